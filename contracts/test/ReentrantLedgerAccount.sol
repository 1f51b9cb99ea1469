// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConfidentialLedger} from "../../interfaces/IConfidentialLedger.sol";
import {ReentrantPayee} from "./ReentrantPayee.sol";

/// @title ReentrantLedgerAccount
/// @notice Test-only account of a `ConfidentialLedger` that tries to re-enter the ledger when it
/// is paid; never deployed outside tests.
/// @dev Trust assumptions: none; anyone may drive it. The re-entry machinery is `ReentrantPayee`'s:
/// armed, its `receive` calls the ledger again inside the ledger's `withdraw`; set to refuse ether,
/// it makes tests reach `ConfidentialLedgerTransferFailed`.
contract ReentrantLedgerAccount is ReentrantPayee {
    /// @notice The ledger it holds a balance in.
    IConfidentialLedger public immutable ledger;

    /// @param ledger_ The ledger.
    constructor(IConfidentialLedger ledger_) ReentrantPayee(address(ledger_)) {
        ledger = ledger_;
    }

    /// @notice Deposit the ether sent into this contract's balance.
    /// @param currentBalance This contract's current balance ciphertext.
    function deposit(bytes calldata currentBalance) external payable {
        ledger.deposit{value: msg.value}(currentBalance);
    }

    /// @notice Ask to withdraw `amountWei` of this contract's balance.
    /// @param currentBalance This contract's current balance ciphertext.
    /// @param amountWei The amount.
    /// @return requestId The request's id.
    function requestWithdrawal(bytes calldata currentBalance, uint256 amountWei) external returns (uint256 requestId) {
        return ledger.requestWithdrawal(currentBalance, amountWei);
    }

    /// @notice Withdraw this contract's credit from the ledger.
    function withdraw() external {
        ledger.withdraw();
    }
}
