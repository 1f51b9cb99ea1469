// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDataMarket} from "../../interfaces/IDataMarket.sol";

/// @title ReentrantBuyer
/// @notice Test-only buyer of a `DataMarket` that tries to re-enter the market when it is paid;
/// never deployed outside tests.
/// @dev Trust assumptions: none; anyone may drive it. Armed with a list of calls, its `receive`
/// makes each call to the market once (inside the market's `withdraw`), catching and recording
/// the outcome, so that tests can show that re-entering gains nothing. Set to refuse ether, its
/// `receive` reverts, so that tests reach `DataMarketTransferFailed`.
contract ReentrantBuyer {
    /// @notice The market it buys from.
    IDataMarket public immutable market;
    /// @notice Whether `receive` reverts.
    bool public refusesEther;

    bytes[] private _calls; // made by the next `receive`, then cleared
    bool[] private _succeeded;
    bytes[] private _returned;

    /// @param market_ The market to buy from.
    constructor(IDataMarket market_) {
        market = market_;
    }

    /// @notice Post a requirement with the ether sent as escrow; this contract is the buyer.
    /// @param terms The requirement's terms.
    /// @return requirementId The new requirement's id.
    function post(IDataMarket.RequirementTerms calldata terms) external payable returns (uint256 requirementId) {
        return market.postRequirement{value: msg.value}(terms);
    }

    /// @notice Dispute a match as its buyer.
    /// @param matchId The match.
    /// @param reasonHash Hash of the complaint.
    function dispute(uint256 matchId, bytes32 reasonHash) external {
        market.dispute(matchId, reasonHash);
    }

    /// @notice Withdraw this contract's credit from the market.
    function withdraw() external {
        market.withdraw();
    }

    /// @notice Make `calls` (ABI-encoded market calls) from the next `receive`, and record them.
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

    /// @notice Accepts the market's payment, making the armed calls first.
    receive() external payable {
        if (refusesEther) revert("ReentrantBuyer: refusing ether");
        uint256 count = _calls.length;
        for (uint256 i = 0; i < count; ++i) {
            (bool succeeded, bytes memory returned) = address(market).call(_calls[i]);
            _succeeded.push(succeeded);
            _returned.push(returned);
        }
        delete _calls;
    }
}
