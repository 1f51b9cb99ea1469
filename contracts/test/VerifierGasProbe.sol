// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGroth16Verifier} from "../../interfaces/IGroth16Verifier.sol";

/// @title VerifierGasProbe
/// @notice Test and benchmark helper: the gas a contract spends on one external `verifyProof`
/// call, as `DataMarket.submit` makes it (call, calldata copy, pairing check, return).
/// @dev Never deployed outside tests and benchmarks; it holds no state.
contract VerifierGasProbe {
    /// @notice Call `verifier.verifyProof` and measure the gas of the call.
    /// @param verifier The Groth16 verifier.
    /// @param pA The proof's A.
    /// @param pB The proof's B (imaginary parts first).
    /// @param pC The proof's C.
    /// @param pubSignals The public signals.
    /// @return valid What the verifier returned.
    /// @return gasUsed Gas spent between just before and just after the call.
    function measure(
        IGroth16Verifier verifier,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata pubSignals
    ) external view returns (bool valid, uint256 gasUsed) {
        uint256 before = gasleft();
        valid = verifier.verifyProof(pA, pB, pC, pubSignals);
        gasUsed = before - gasleft();
    }
}
