"""scripts/attested_upload.py end to end: a good node's upload is accepted; a modified node, a
replayed quote and a revoked node are refused (TPM path on swtpm when installed, else software)."""

from __future__ import annotations

import os

import pytest

from offchain.attestation import swtpm_available
from offchain.chain.deploy import deploy_all
from offchain.chain.session import Session
from scripts import attested_upload


def test_the_scenario_accepts_the_good_node_and_refuses_the_others(accounts, tmp_path):
    session = Session(deploy_all(accounts[0], path=tmp_path / "deployment.json"))
    report = attested_upload.run(session, tmp_path / "work")
    assert report.refusals == {
        "modified measurement": "MeasurementMismatchError",
        "replayed quote": "NonceReplayError",
        "revoked device": "RevokedAttestationKeyError",
    }
    if os.environ.get("CI", "").lower() == "true" and not swtpm_available():
        pytest.fail("swtpm is missing under CI=true: `make setup` installs it")
    assert report.path == ("tpm2" if swtpm_available() else "software")
