"""zk-SNARK proofs that private data meets a buyer's requirement (Feng et al. 2022 §5).

* :mod:`offchain.zk.statement`: requirements, records and their Poseidon commitments;
* :mod:`offchain.zk.poseidon`: circomlib's Poseidon in Python;
* :mod:`offchain.zk.prover`: :func:`prove` through circom's wasm witness generator and snarkjs;
* :mod:`offchain.zk.verifier`: :func:`verify` with ``py_ecc`` pairings, no chain needed;
* :mod:`offchain.zk.ceremony`: the trusted setup (``python -m offchain.zk.ceremony``);
* :mod:`offchain.zk.artifacts`: where circuits, keys and builds live; compiling the circuits.
"""

from offchain.errors import ProverError, RequirementNotMetError
from offchain.zk.artifacts import SUPPORTED_FIELD_COUNTS, CircuitArtifacts, artifacts, ensure_built
from offchain.zk.poseidon import SNARK_SCALAR_FIELD, poseidon
from offchain.zk.proof import PUBLIC_SIGNAL_NAMES, Proof
from offchain.zk.prover import prove, witness_input
from offchain.zk.statement import (
    MAX_VALUE,
    VALUE_BITS,
    FieldRange,
    Record,
    Requirement,
    record_commitment,
    record_opens,
)
from offchain.zk.verifier import MalformedProofError, VerificationKey, require_valid, verification_key, verify

__all__ = [
    "MAX_VALUE",
    "PUBLIC_SIGNAL_NAMES",
    "SNARK_SCALAR_FIELD",
    "SUPPORTED_FIELD_COUNTS",
    "VALUE_BITS",
    "CircuitArtifacts",
    "FieldRange",
    "MalformedProofError",
    "Proof",
    "ProverError",
    "Record",
    "Requirement",
    "RequirementNotMetError",
    "VerificationKey",
    "artifacts",
    "ensure_built",
    "poseidon",
    "prove",
    "record_commitment",
    "record_opens",
    "require_valid",
    "verification_key",
    "verify",
    "witness_input",
]
