"""offchain.zk.ceremony: the contribution chain of phase 1, and installing an external key.

A full ceremony for the shipped circuits takes minutes (phase 1 of size 2^13); these tests run
phase 1 at size 2^4, and check that a key which does not verify is never installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from offchain.crypto.hashing import sha256_file
from offchain.errors import ProverError
from offchain.zk import artifacts
from offchain.zk.ceremony import _phase1, install_key, run_ceremony


@pytest.fixture(scope="module")
def small_ptau(tmp_path_factory) -> tuple[Path, dict[str, object]]:
    return _phase1(tmp_path_factory.mktemp("ceremony"), 4, 2, None)


def test_phase1_chains_two_contributions_and_prepares_phase2(small_ptau):
    prepared, record = small_ptau
    assert prepared.name == "pot_final.ptau" and prepared.stat().st_size > 0
    assert record["contributions"] == ["local contribution 1", "local contribution 2"]


def test_phase1_keeps_only_the_last_contribution_and_the_prepared_file(small_ptau):
    prepared, _ = small_ptau
    assert sorted(p.name for p in prepared.parent.iterdir()) == ["pot_0002.ptau", "pot_final.ptau"]


def test_a_key_that_does_not_verify_against_phase1_is_not_installed(small_ptau):
    circuit = artifacts(8)
    before = (sha256_file(circuit.zkey), sha256_file(circuit.vkey), circuit.verifier_source.read_text())
    with pytest.raises(ProverError, match="zkey verify failed"):
        install_key(circuit.zkey, 8, ptau=small_ptau[0], contributions=["nobody"])
    assert (sha256_file(circuit.zkey), sha256_file(circuit.vkey), circuit.verifier_source.read_text()) == before


def test_a_ceremony_needs_a_contribution():
    with pytest.raises(ProverError, match="at least one contribution"):
        run_ceremony((8,), contributions=0)
