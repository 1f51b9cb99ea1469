// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ReentrantPayee
/// @notice Test-only base of contracts that try to re-enter the contract paying them; never
/// deployed outside tests.
/// @dev Trust assumptions: none; anyone may drive it. Armed with a list of calls, its `receive`
/// makes each call to `payer` once (inside the payer's `withdraw`), catching and recording the
/// outcome, so that tests can show that re-entering gains nothing. The list is disarmed before
/// the first call: a payment received while re-entering is simply accepted (it neither makes the
/// calls again nor interleaves its own outcomes). Set to refuse ether, its `receive` reverts, so
/// that tests reach the payer's transfer-failed error.
abstract contract ReentrantPayee {
    /// @notice Whether `receive` reverts.
    bool public refusesEther;

    address private immutable _payer;
    bytes[] private _calls; // made by the next `receive`, which clears them first
    bool[] private _succeeded;
    bytes[] private _returned;

    /// @param payer_ The contract whose payments this one receives and re-enters.
    constructor(address payer_) {
        _payer = payer_;
    }

    /// @notice Make `calls` (ABI-encoded calls to the payer) from the next `receive`, and record them.
    /// @dev Replaces calls armed before and the outcomes of the last armed `receive`.
    /// @param calls The calls, in order.
    function arm(bytes[] calldata calls) external {
        delete _calls;
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

    /// @notice Accepts the payer's payment, making the armed calls first.
    receive() external payable {
        if (refusesEther) revert("ReentrantPayee: refusing ether");
        bytes[] memory calls = _calls;
        delete _calls; // before any call: a payment received while re-entering finds nothing armed
        for (uint256 i = 0; i < calls.length; ++i) {
            (bool succeeded, bytes memory returned) = _payer.call(calls[i]);
            _succeeded.push(succeeded);
            _returned.push(returned);
        }
    }
}
