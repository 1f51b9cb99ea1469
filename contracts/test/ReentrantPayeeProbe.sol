// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrantPayee} from "./ReentrantPayee.sol";

/// @title ReentrantPayeeProbe
/// @notice Test-only `ReentrantPayee` with nothing added, to test the base itself against any
/// payer (`UnguardedPayer`); never deployed outside tests.
/// @dev Trust assumptions: none, as for `ReentrantPayee`.
contract ReentrantPayeeProbe is ReentrantPayee {
    /// @param payer_ The contract whose payments this one receives and re-enters.
    constructor(address payer_) ReentrantPayee(payer_) {}
}
