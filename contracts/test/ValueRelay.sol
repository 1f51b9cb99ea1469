// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ValueRelay
/// @notice Test-only: calls a contract with ether from its own balance; never deployed outside tests.
/// @dev A node may refuse a transaction carrying a large value whatever the sender's balance
/// (Anvil refuses any whose value plus fee reaches 2^128 wei); an internal call has no such
/// limit, so tests reach a contract's bounds on every chain by funding this relay (the node's
/// set-balance call) and relaying. The callee sees the relay as `msg.sender`. A refused call
/// reverts with the callee's own revert data, so tests match the callee's custom errors.
/// Trust assumptions: none; anyone may drive it.
contract ValueRelay {
    /// @notice Accept ether (a refund, a payout).
    receive() external payable {}

    /// @notice Call `target` with `data`, sending `value` wei from this contract's balance.
    /// @param target The contract to call.
    /// @param value The wei to send along.
    /// @param data The ABI-encoded call.
    /// @return result What the call returned.
    function relay(address target, uint256 value, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }
}
