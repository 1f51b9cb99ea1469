"""scripts/attested_upload.py end to end: a good node's upload is accepted; a modified node, a
replayed quote and a revoked node are refused, on the TPM path (swtpm) and on the software path."""

from __future__ import annotations

import os

import pytest

from offchain.attestation import swtpm_available
from offchain.chain.deploy import deploy_all
from offchain.chain.session import Session
from scripts import attested_upload

REFUSALS = {
    "modified measurement": "MeasurementMismatchError",
    "replayed quote": "NonceReplayError",
    "revoked device": "RevokedAttestationKeyError",
}


@pytest.fixture(scope="module")
def session(accounts, tmp_path_factory):
    return Session(deploy_all(accounts[0], path=tmp_path_factory.mktemp("attested") / "deployment.json"))


def test_the_tpm_scenario_accepts_the_good_node_and_refuses_the_others(session, tmp_path):
    if not swtpm_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("swtpm or tpm2-tools missing under CI=true: `make setup` installs them")
        pytest.skip("swtpm or tpm2-tools not installed (Debian packages swtpm, tpm2-tools)")
    report = attested_upload.run(session, tmp_path)
    assert (report.path, report.refusals) == ("tpm2", REFUSALS)


def test_the_software_scenario_does_the_same_without_a_tpm(session, tmp_path, monkeypatch):
    monkeypatch.setattr(attested_upload, "swtpm_available", lambda: False)
    report = attested_upload.run(session, tmp_path)
    assert (report.path, report.refusals) == ("software", REFUSALS)
    assert (tmp_path / "attestation-key.json").is_file()
