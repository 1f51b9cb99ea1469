"""A deployment record is read from disk (``deployments/<network>.json``), so from outside: its
loaders raise only :class:`~offchain.errors.DeploymentRecordError` (issue 12), fuzzed with junk,
random JSON and bytes, and valid records with a member deleted or replaced at any depth.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.chain.deployment import ContractDeployment, DeploymentRecord
from offchain.errors import DeploymentRecordError
from tests.offchain import fuzzing as fz

RECORD = DeploymentRecord(
    network="ganache-cli",
    chain_id=1337,
    deployer="0x66aB6D9362d4F35596279692F0251Db635165871",
    block_number=3,
    created_at="2026-11-26T18:00:00+00:00",
    toolkit_version="0.1.0",
    contracts={
        "DataRegistry": ContractDeployment("0x3194cBDC3dbcd3E11a07892e7bA5c3394048Cc87", "0x" + "ab" * 32, 1),
        "MerkleAnchor": ContractDeployment("0x66aB6D9362d4F35596279692F0251Db635165871", "0x" + "cd" * 32, 2),
    },
)
#: Each example writes and reads a file.
FILES = settings(fz.CHEAP, max_examples=100)


def record_or_refused(function, *args):
    """``function(*args)``, or REFUSED if it raised DeploymentRecordError (any other error fails)."""
    try:
        return function(*args)
    except DeploymentRecordError as exc:
        assert str(exc)
        return fz.REFUSED


@fz.CHEAP
@given(text=st.one_of(fz.junk, st.builds(fz.json_text, fz.json_values)))
def test_deployment_record_from_json_refuses_junk(text):
    assert record_or_refused(DeploymentRecord.from_json, text) is fz.REFUSED


@fz.CHEAP
@given(tamper=st.data())
def test_deployment_record_from_json_raises_only_deployment_record_errors_on_a_tampered_record(tamper):
    edited = tamper.draw(fz.tampered_json(json.loads(RECORD.to_json())))
    record = record_or_refused(DeploymentRecord.from_json, fz.json_text(edited))
    assert record is fz.REFUSED or isinstance(record, DeploymentRecord)


@FILES
@given(content=st.one_of(st.binary(max_size=200), st.builds(lambda v: fz.json_text(v).encode(), fz.json_values)))
def test_deployment_record_load_refuses_a_file_that_is_not_a_record(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("deployments") / "ganache-cli.json"
    path.write_bytes(content)
    assert record_or_refused(DeploymentRecord.load, path) is fz.REFUSED


@fz.CHEAP
@given(path=fz.junk.filter(lambda value: not isinstance(value, str)))
def test_deployment_record_load_refuses_a_path_that_is_not_a_path(path):
    assert record_or_refused(DeploymentRecord.load, path) is fz.REFUSED


def test_deployment_record_load_refuses_a_folder(tmp_path):
    assert record_or_refused(DeploymentRecord.load, tmp_path) is fz.REFUSED


def test_deployment_record_from_json_refuses_an_infinite_block_number():
    text = RECORD.to_json().replace('"block_number": 3', '"block_number": Infinity')
    assert record_or_refused(DeploymentRecord.from_json, text) is fz.REFUSED
