// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Vm
/// @notice The few Foundry cheatcodes the invariant tests use (forge answers calls to the address
/// below; the signatures are forge's own). Written here rather than imported: forge-std is not
/// on npm in a usable version, and nothing is downloaded at run time.
interface Vm {
    function prank(address sender) external;
    function deal(address account, uint256 newBalance) external;
    function warp(uint256 newTimestamp) external;
    function addr(uint256 privateKey) external pure returns (address account);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
}

/// @title Checks
/// @notice The cheatcode handle and `check(condition, what)`, for test contracts and handlers.
abstract contract Checks {
    /// @notice forge's cheatcode address: address(uint160(uint256(keccak256("hevm cheat code")))).
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    /// @notice An invariant or a handler's expectation did not hold.
    /// @param what Which one.
    error CheckFailed(string what);

    /// @dev Reverts with `CheckFailed(what)` unless `condition` holds.
    function check(bool condition, string memory what) internal pure {
        if (!condition) revert CheckFailed(what);
    }
}

/// @title Handler
/// @notice Base of the handlers: counts the refusals the model predicted.
abstract contract Handler is Checks {
    /// @notice Calls the contract refused, as the model predicted.
    uint256 public refused;

    /// @dev After a refused call: reverts with `CheckFailed(what)` if the model expected success.
    function refusedAsPredicted(bool ok, string memory what) internal {
        check(!ok, what);
        refused += 1;
    }
}

/// @title InvariantTest
/// @notice Base of the project's forge invariant tests: the target list forge reads
/// (`targetContracts`, as forge-std's `StdInvariant` names it).
/// @dev Forge calls the target contracts' functions in random sequences (foundry.toml:
/// `[invariant] runs`, `depth`) and every `invariant_*` function after each call; a revert
/// there, or in a handler (`fail_on_revert = true`), fails the run and shows the sequence.
abstract contract InvariantTest is Checks {
    address[] private _targetContracts;

    /// @notice The contracts forge calls at random (forge reads this by selector).
    /// @return targets The handlers.
    function targetContracts() public view returns (address[] memory targets) {
        return _targetContracts;
    }

    /// @dev Add a contract to the random calls.
    function targetContract(address target) internal {
        _targetContracts.push(target);
    }
}
