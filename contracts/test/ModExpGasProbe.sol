// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ModExpGasProbe
/// @notice Benchmark only, never deployed outside tests and `bench/`: one call of the modexp
/// precompile (EIP-198, priced by EIP-2565) as a transaction, so that what an on-chain verifier
/// of a ledger transfer proof would pay per exponentiation can be read from a receipt.
/// @dev Trust assumptions: none; it holds no state. The gas the precompile call itself used is
/// measured with `gasleft()` around it and emitted, so calldata and copying are not counted
/// (EIP-2565 prices an exponent by its length as well as its value: a long exponent of value 1
/// is no baseline).
contract ModExpGasProbe {
    /// @notice The precompile failed or returned a result of the wrong length.
    error ModExpGasProbeFailed();

    /// @notice A result was computed.
    /// @param resultHash keccak256 of base^exponent mod modulus.
    /// @param gasUsed Gas the precompile call used (its price plus the call's own ~100).
    event Computed(bytes32 resultHash, uint256 gasUsed);

    /// @notice base^exponent mod modulus, by the modexp precompile.
    /// @param base Big-endian base.
    /// @param exponent Big-endian exponent.
    /// @param modulus Big-endian modulus.
    /// @return result The power, as long as the modulus.
    function powMod(bytes calldata base, bytes calldata exponent, bytes calldata modulus)
        external
        returns (bytes memory result)
    {
        bytes memory input = abi.encodePacked(base.length, exponent.length, modulus.length, base, exponent, modulus);
        uint256 before = gasleft();
        (bool ok, bytes memory out) = address(5).staticcall(input);
        uint256 used = before - gasleft();
        if (!ok || out.length != modulus.length) revert ModExpGasProbeFailed();
        emit Computed(keccak256(out), used);
        return out;
    }
}
