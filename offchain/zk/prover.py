"""Prove that a record meets a requirement: the witness from circom's wasm, the proof from snarkjs.

Research: Feng et al. 2022 §5 (the data owner's validity proof). :func:`prove` first checks in
Python that every required field is in range, and refuses with :class:`RequirementNotMetError`
naming the fields otherwise: no witness could exist, since the circuit asserts it. It then runs
``snarkjs groth16 fullprove`` (the wasm witness generator, then the Groth16 prover, with the
checked-in proving key) and checks that the public signals it produced are the ones expected.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from offchain.errors import InvalidInputError, ProverError, RequirementNotMetError
from offchain.validation import parse_json
from offchain.zk.artifacts import ensure_built, run_node_tool
from offchain.zk.proof import Proof
from offchain.zk.statement import Record, Requirement

__all__ = ["prove", "witness_input"]

logger = logging.getLogger(__name__)


def witness_input(record: Record, requirement: Requirement, owner: str) -> dict[str, Any]:
    """The circuit's input signals for this record, requirement and owner (decimal strings)."""
    return {
        "values": [str(v) for v in record.values],
        "salt": str(record.salt),
        "lo": [str(r.lo) for r in requirement.ranges],
        "hi": [str(r.hi) for r in requirement.ranges],
        "required": [str(int(r.required)) for r in requirement.ranges],
        "nonce": str(requirement.nonce),
        "requirementCommitment": str(requirement.commitment),
        "dataCommitment": str(record.commitment),
        "owner": str(int(owner, 16)),
    }


def _full_prove(field_count: int, signals: dict[str, Any]) -> Proof:
    """Run the witness generator and the prover on raw input signals (no checks of ours)."""
    circuit = ensure_built(field_count)
    if not circuit.zkey.exists():
        raise ProverError(f"the proving key {circuit.zkey} is missing: run `python tools/zk_ceremony.py`")
    with tempfile.TemporaryDirectory(prefix="datashare-prove-") as scratch:
        folder = Path(scratch)
        (folder / "input.json").write_text(json.dumps(signals))
        try:
            run_node_tool(
                "snarkjs",
                [
                    "groth16",
                    "fullprove",
                    str(folder / "input.json"),
                    str(circuit.wasm),
                    str(circuit.zkey),
                    str(folder / "proof.json"),
                    str(folder / "public.json"),
                ],
                what="proving",
            )
        except ProverError as error:
            if "Error in template" in str(error) or "Assert Failed" in str(error):
                raise ProverError(
                    "no witness exists for this input: the circuit's constraints fail (a required field out of "
                    f"range, a value above 2^64, or commitments that do not open): {error}"
                ) from error
            raise
        proof_json = parse_json((folder / "proof.json").read_text())
        public_json = parse_json((folder / "public.json").read_text())
    return Proof.from_snarkjs(proof_json, public_json)


def _require_owner(owner: object) -> str:
    try:
        address = str(to_checksum_address(str(owner)))
    except ValueError as error:
        raise InvalidInputError(f"owner must be an address, got {owner!r}") from error
    if int(address, 16) == 0:
        raise InvalidInputError("owner must not be the zero address")
    return address


def prove(record: Record, requirement: Requirement, owner: str) -> Proof:
    """Prove that ``record`` meets ``requirement``, bound to the account ``owner``.

    Args:
        record: The owner's private record (its commitment h is registered on chain).
        requirement: The buyer's requirement, as opened to the owner.
        owner: The account that will submit the proof; nobody else can use it.

    Returns:
        The proof, whose public signals are [R, requirement commitment, h, owner].

    Raises:
        InvalidInputError: if the record's width differs from the requirement's, or ``owner``
            is not an address.
        RequirementNotMetError: if a required field is out of range (no proof can exist), or R
            would fall below the requirement's minimum.
        ProverError: if the tool chain fails.
    """
    owner = _require_owner(owner)
    unmet = requirement.unmet_required(record)  # refuses a record of another width
    if unmet:
        raise RequirementNotMetError(
            f"the record does not meet the requirement: required field(s) {', '.join(map(str, unmet))} out of range",
            fields=unmet,
        )
    satisfied = requirement.satisfied_by(record)
    if satisfied < requirement.min_satisfied:
        raise RequirementNotMetError(
            f"the record meets {satisfied} field(s), the requirement asks for at least {requirement.min_satisfied}"
        )
    proof = _full_prove(record.field_count, witness_input(record, requirement, owner))
    expected = (satisfied, requirement.commitment, record.commitment, int(owner, 16))
    if proof.public_signals != expected:
        raise ProverError(f"the prover returned public signals {proof.public_signals}, expected {expected}")
    logger.info("proved a %d-field record meets %d field(s) of the requirement", record.field_count, satisfied)
    return proof
