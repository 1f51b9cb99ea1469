// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IGroth16Verifier
/// @notice The Groth16 verifiers snarkjs 0.7.6 generates for the data market's circuit
/// (`contracts/Groth16VerifierN8.sol`, `contracts/Groth16VerifierN16.sol`: records of 8 and 16
/// fields), as `DataMarket` calls them.
/// @dev The generated contracts do not inherit this interface; their `verifyProof` has exactly
/// this ABI. Public signals, in the circuit's order: [0] R, the number of satisfied fields (the
/// circuit's output); [1] the requirement's Poseidon commitment; [2] the record's Poseidon
/// commitment h; [3] the submitting owner, `uint256(uint160(owner))`.
///
/// WARNING: the generated code returns false for a public signal ≥ the BN254 scalar field and
/// for proof points the pairing precompile rejects, but it negates `pA` modulo the base field
/// without checking that `pA[1]` is below it, so one proof has several accepted encodings.
/// Callers that need one encoding per proof check every coordinate themselves (`DataMarket`
/// does).
interface IGroth16Verifier {
    /// @notice Whether (pA, pB, pC) is a valid Groth16 proof for `pubSignals`.
    /// @dev A view: it cannot change state. Returns false (never reverts) on malformed input.
    /// @param pA The proof's G1 point A, (x, y).
    /// @param pB The proof's G2 point B, ((x1, x0), (y1, y0)) as snarkjs exports it.
    /// @param pC The proof's G1 point C, (x, y).
    /// @param pubSignals The public signals, in the order above.
    /// @return valid True if the proof verifies.
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata pubSignals
    ) external view returns (bool valid);
}
