// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ModExpGasProbe
/// @notice Benchmark only, never deployed outside tests and `bench/`: one call of the modexp
/// precompile (EIP-198, priced by EIP-2565) as a transaction, so that what an on-chain verifier
/// of a ledger transfer proof would pay per exponentiation can be read from a receipt.
/// @dev Trust assumptions: none; it holds no state. `bench/ledger.py` subtracts the gas of the
/// same call with the exponent 1 (same lengths, so the same calldata and copies) to isolate the
/// precompile's own price.
contract ModExpGasProbe {
    /// @notice The precompile failed or returned a result of the wrong length.
    error ModExpGasProbeFailed();

    /// @notice A result was computed.
    /// @param resultHash keccak256 of base^exponent mod modulus.
    event Computed(bytes32 resultHash);

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
        (bool ok, bytes memory out) = address(5).staticcall(input);
        if (!ok || out.length != modulus.length) revert ModExpGasProbeFailed();
        emit Computed(keccak256(out));
        return out;
    }
}
