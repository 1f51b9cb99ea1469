// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDataMarket} from "../../interfaces/IDataMarket.sol";
import {ReentrantPayee} from "./ReentrantPayee.sol";

/// @title ReentrantBuyer
/// @notice Test-only buyer of a `DataMarket` that tries to re-enter the market when it is paid;
/// never deployed outside tests.
/// @dev Trust assumptions: none; anyone may drive it. The re-entry machinery is `ReentrantPayee`'s:
/// armed, its `receive` calls the market again inside the market's `withdraw`; set to refuse ether,
/// it makes tests reach `DataMarketTransferFailed`.
contract ReentrantBuyer is ReentrantPayee {
    /// @notice The market it buys from.
    IDataMarket public immutable market;

    /// @param market_ The market to buy from.
    constructor(IDataMarket market_) ReentrantPayee(address(market_)) {
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
}
