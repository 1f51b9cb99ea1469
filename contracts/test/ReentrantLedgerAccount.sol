// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConfidentialLedger} from "../../interfaces/IConfidentialLedger.sol";

/// @title ReentrantLedgerAccount
/// @notice Test-only account of a `ConfidentialLedger` that tries to re-enter the ledger when it
/// is paid; never deployed outside tests.
/// @dev Trust assumptions: none; anyone may drive it. Armed with a list of calls, its `receive`
/// makes each call to the ledger once (inside the ledger's `withdraw`), catching and recording
/// the outcome, so that tests can show that re-entering gains nothing. Set to refuse ether, its
/// `receive` reverts, so that tests reach `ConfidentialLedgerTransferFailed`.
contract ReentrantLedgerAccount {
    /// @notice The ledger it holds a balance in.
    IConfidentialLedger public immutable ledger;
    /// @notice Whether `receive` reverts.
    bool public refusesEther;

    bytes[] private _calls; // made by the next `receive`, then cleared
    bool[] private _succeeded;
    bytes[] private _returned;

    /// @param ledger_ The ledger.
    constructor(IConfidentialLedger ledger_) {
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

    /// @notice Make `calls` (ABI-encoded ledger calls) from the next `receive`, and record them.
    /// @param calls The calls, in order.
    function arm(bytes[] calldata calls) external {
        delete _succeeded;
        delete _returned;
        for (uint256 i = 0; i < calls.length; ++i) {
            _calls.push(calls[i]);
        }
    }

    /// @notice Make `receive` revert (or accept again).
    /// @param refuses True to refuse ether.
    function setRefusesEther(bool refuses) external {
        refusesEther = refuses;
    }

    /// @notice The number of calls the last armed `receive` made.
    /// @return count The number of calls.
    function reentryCount() external view returns (uint256 count) {
        return _succeeded.length;
    }

    /// @notice The outcome of the `index`-th call of the last armed `receive`.
    /// @param index The call's position.
    /// @return succeeded Whether it succeeded.
    /// @return returned Its return data, or its revert data.
    function reentry(uint256 index) external view returns (bool succeeded, bytes memory returned) {
        return (_succeeded[index], _returned[index]);
    }

    /// @notice Accepts the ledger's payment, making the armed calls first.
    receive() external payable {
        if (refusesEther) revert("ReentrantLedgerAccount: refusing ether");
        uint256 count = _calls.length;
        for (uint256 i = 0; i < count; ++i) {
            (bool succeeded, bytes memory returned) = address(ledger).call(_calls[i]);
            _succeeded.push(succeeded);
            _returned.push(returned);
        }
        delete _calls;
    }
}
