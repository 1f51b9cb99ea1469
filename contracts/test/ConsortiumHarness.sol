// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Consortium} from "../Consortium.sol";

/// @title ConsortiumHarness
/// @notice Test-only `Consortium` with one back door; never deployed outside tests.
/// @dev Trust assumptions: none; anyone may call the back door. It removes a member without a
/// ballot and without a new membership epoch, breaking the staleness rule on purpose, so that
/// tests reach the checks `Consortium` repeats when it executes an approved removal.
contract ConsortiumHarness is Consortium {
    /// @notice Found the consortium as `Consortium` does.
    /// @param founders The founding agencies' accounts.
    /// @param votingPeriod_ How long a ballot stays open, in seconds.
    constructor(address[] memory founders, uint64 votingPeriod_) Consortium(founders, votingPeriod_) {}

    /// @notice Remove `member` at once, keeping the membership epoch (pending ballots stay live).
    /// @param member The member to remove.
    function removeKeepingEpoch(address member) external {
        _deleteMember(member);
    }
}
