// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title UnguardedPayer
/// @notice Test-only payer that sends ether on request, with no reentrancy guard; never deployed
/// outside tests.
/// @dev Trust assumptions: none; anyone may make it pay out what it holds. It lets tests pay a
/// `ReentrantPayee` while that payee is re-entering it, which the project's guarded payers
/// (`withdraw` is `nonReentrant`) never do.
contract UnguardedPayer {
    /// @notice Sending `amountWei` to `to` failed.
    /// @param to The recipient.
    /// @param amountWei The amount.
    error UnguardedPayerTransferFailed(address to, uint256 amountWei);

    /// @notice Send `amountWei` of this contract's balance (including any value sent with this call) to `to`.
    /// @param to The recipient.
    /// @param amountWei The amount.
    function pay(address to, uint256 amountWei) external payable {
        (bool sent,) = to.call{value: amountWei}("");
        if (!sent) revert UnguardedPayerTransferFailed(to, amountWei);
    }
}
