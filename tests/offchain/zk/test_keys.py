"""The checked-in keys and Solidity verifiers belong together and to the current circuits.

If a circuit changes, its compiled R1CS no longer matches the ceremony's transcript and these
tests fail until ``python tools/zk_ceremony.py`` is run again.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from offchain.crypto.hashing import sha256_file
from offchain.zk import SUPPORTED_FIELD_COUNTS, artifacts, ensure_built
from offchain.zk.artifacts import KEYS_DIR, run_node_tool
from offchain.zk.ceremony import solidity_verifier

TRANSCRIPT = json.loads((KEYS_DIR / "ceremony.json").read_text())


@pytest.mark.parametrize("count", SUPPORTED_FIELD_COUNTS)
def test_the_solidity_verifier_is_the_one_exported_from_the_proving_key(count):
    circuit = artifacts(count)
    assert solidity_verifier(circuit.zkey, circuit) == circuit.verifier_source.read_text()


@pytest.mark.parametrize("count", SUPPORTED_FIELD_COUNTS)
def test_the_verification_key_is_the_one_in_the_proving_key(count):
    circuit = artifacts(count)
    with tempfile.TemporaryDirectory() as scratch:
        exported = Path(scratch) / "vkey.json"
        run_node_tool("snarkjs", ["zkey", "export", "verificationkey", str(circuit.zkey), str(exported)], what="export")
        assert json.loads(exported.read_text()) == json.loads(circuit.vkey.read_text())


@pytest.mark.parametrize("count", SUPPORTED_FIELD_COUNTS)
def test_the_keys_were_made_for_the_current_circuit(count):
    circuit = ensure_built(count)
    assert sha256_file(circuit.r1cs).hex() == TRANSCRIPT["circuits"][circuit.name]["r1cs_sha256"]


@pytest.mark.parametrize("count", SUPPORTED_FIELD_COUNTS)
def test_the_keys_are_the_ones_the_ceremony_wrote(count):
    circuit = artifacts(count)
    entry = TRANSCRIPT["circuits"][circuit.name]
    assert (sha256_file(circuit.zkey).hex(), sha256_file(circuit.vkey).hex()) == (
        entry["zkey_sha256"],
        entry["vkey_sha256"],
    )


def test_the_ceremony_had_at_least_two_contributions_per_phase():
    assert len(TRANSCRIPT["phase1"]["contributions"]) >= 2
    assert all(len(entry["contributions"]) >= 2 for entry in TRANSCRIPT["circuits"].values())
