// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IShapleyPayout} from "../../interfaces/IShapleyPayout.sol";
import {ReentrantPayee} from "./ReentrantPayee.sol";

/// @title ReentrantPayoutPayee
/// @notice Test-only payee of a `ShapleyPayout` round that tries to re-enter the payout when it
/// is paid; never deployed outside tests.
/// @dev Trust assumptions: none; anyone may drive it. The re-entry machinery is `ReentrantPayee`'s:
/// armed, its `receive` calls the payout again inside `claim`; set to refuse ether, it makes
/// tests reach `ShapleyPayoutTransferFailed`.
contract ReentrantPayoutPayee is ReentrantPayee {
    /// @notice The payout contract.
    IShapleyPayout public immutable payout;

    /// @param payout_ The payout contract.
    constructor(IShapleyPayout payout_) ReentrantPayee(address(payout_)) {
        payout = payout_;
    }

    /// @notice Claim this contract's leaf of a Merkle round.
    /// @param roundId The round.
    /// @param index The leaf's index.
    /// @param amountWei The leaf's amount.
    /// @param proof The leaf's proof.
    function claim(uint256 roundId, uint256 index, uint256 amountWei, bytes32[] calldata proof) external {
        payout.claim(roundId, index, amountWei, proof);
    }
}
