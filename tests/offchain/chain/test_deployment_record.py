"""DeploymentRecord: JSON round trip, atomic save, and clear errors on bad records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offchain.chain.deployment import ContractDeployment, DeploymentRecord, deployment_path
from offchain.errors import DeploymentRecordError

ADDRESS = "0x3194cBDC3dbcd3E11a07892e7bA5c3394048Cc87"
DEPLOYER = "0x66aB6D9362d4F35596279692F0251Db635165871"


def make_record(**changes) -> DeploymentRecord:
    fields = dict(
        network="ganache-cli",
        chain_id=1337,
        deployer=DEPLOYER,
        block_number=3,
        created_at="2026-11-26T18:00:00+00:00",
        toolkit_version="0.1.0",
        contracts={"DataRegistry": ContractDeployment(address=ADDRESS, tx_hash="0x" + "ab" * 32, block_number=1)},
    )
    fields.update(changes)
    return DeploymentRecord(**fields)


def test_record_survives_a_json_round_trip():
    record = make_record()
    assert DeploymentRecord.from_json(record.to_json()) == record


def test_record_saved_to_disk_loads_back_equal(tmp_path: Path):
    record = make_record()
    path = tmp_path / "deployments" / "ganache-cli.json"
    record.save(path)
    assert DeploymentRecord.load(path) == record


def test_save_leaves_no_temporary_file_behind(tmp_path: Path):
    path = tmp_path / "net.json"
    make_record().save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]


def test_failed_save_keeps_the_previous_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "net.json"
    make_record().save(path)
    before = path.read_text()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("offchain.atomic_io.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        make_record(block_number=99).save(path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]


def test_missing_record_says_how_to_create_one(tmp_path: Path):
    with pytest.raises(DeploymentRecordError, match=r"scripts/deploy\.py"):
        DeploymentRecord.load(tmp_path / "absent.json")


def test_unknown_schema_is_rejected():
    data = json.loads(make_record().to_json())
    data["schema"] = 99
    with pytest.raises(DeploymentRecordError, match="schema 99"):
        DeploymentRecord.from_json(json.dumps(data))


@pytest.mark.parametrize("text", ["not json", "{}", '{"schema": 1}', "[]"])
def test_malformed_record_raises_deployment_record_error(text: str):
    with pytest.raises(DeploymentRecordError):
        DeploymentRecord.from_json(text)


def test_lowercase_addresses_in_a_file_are_checksummed_on_load():
    data = json.loads(make_record().to_json())
    data["contracts"]["DataRegistry"]["address"] = ADDRESS.lower()
    record = DeploymentRecord.from_json(json.dumps(data))
    assert record.address_of("DataRegistry") == ADDRESS


def test_non_checksummed_address_in_code_is_rejected():
    with pytest.raises(DeploymentRecordError, match="checksummed"):
        ContractDeployment(address=ADDRESS.lower(), tx_hash="0x00", block_number=1)


def test_address_of_an_absent_contract_names_the_ones_present():
    with pytest.raises(DeploymentRecordError, match="has: DataRegistry"):
        make_record().address_of("MerkleAnchor")


def test_first_block_is_the_earliest_contract_block():
    assert make_record().first_block == 1


def test_deployment_path_is_per_network(tmp_path: Path):
    assert deployment_path("anvil", root=tmp_path) == tmp_path / "deployments" / "anvil.json"


@pytest.mark.parametrize("name", ["", "../etc", "a/b", ".hidden"])
def test_deployment_path_rejects_names_that_are_not_plain(name: str):
    with pytest.raises(DeploymentRecordError):
        deployment_path(name)
