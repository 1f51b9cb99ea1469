"""Session: loading the active network's deployment, redeploying on fresh local chains, refusing stale records."""

from __future__ import annotations

import dataclasses

import pytest
from brownie import web3

from offchain.chain import Session, deploy_all
from offchain.chain.deployment import ContractDeployment, DeploymentRecord
from offchain.errors import ContractNotDeployedError, DeploymentRecordError


@pytest.fixture
def record_path(tmp_path):
    return tmp_path / "deployments" / "test.json"


def test_deploy_all_writes_a_record_of_this_chain(deployer, record_path):
    record = deploy_all(deployer, path=record_path)
    assert DeploymentRecord.load(record_path) == record
    assert record.chain_id == web3.eth.chain_id
    assert record.deployer == deployer.address
    assert set(record.contracts) == {"DataRegistry", "MerkleAnchor"}


def test_deploy_all_lets_the_deployer_anchor(deployer, record_path):
    deploy_all(deployer, path=record_path)
    assert Session.load(record_path).anchor.is_anchorer(deployer.address)


def test_session_gives_a_registry_client_at_the_recorded_address(deployer, record_path):
    record = deploy_all(deployer, path=record_path)
    session = Session.load(record_path)
    assert session.registry.address == record.address_of("DataRegistry")
    assert session.registry.from_block == record.contracts["DataRegistry"].block_number


def test_session_refuses_a_record_of_another_chain(deployer, record_path):
    record = deploy_all(deployer, path=record_path)
    dataclasses.replace(record, chain_id=record.chain_id + 1).save(record_path)
    with pytest.raises(DeploymentRecordError, match="connected chain is"):
        Session.load(record_path)


def test_session_refuses_an_address_without_code(deployer, stranger, record_path):
    record = deploy_all(deployer, path=record_path)
    empty = ContractDeployment(address=stranger.address, tx_hash="0x" + "00" * 32, block_number=1)
    dataclasses.replace(record, contracts={"DataRegistry": empty}).save(record_path)
    with pytest.raises(ContractNotDeployedError, match="no code at"):
        Session.load(record_path)


def test_session_redeploys_on_a_local_chain_when_asked(deployer, stranger, record_path):
    record = deploy_all(deployer, path=record_path)
    empty = ContractDeployment(address=stranger.address, tx_hash="0x" + "00" * 32, block_number=1)
    dataclasses.replace(record, contracts={"DataRegistry": empty}).save(record_path)
    session = Session.load(record_path, deploy_if_missing=True)
    assert session.registry.address != stranger.address
    assert DeploymentRecord.load(record_path) == session.record


def test_session_without_a_record_raises_unless_asked_to_deploy(record_path):
    with pytest.raises(DeploymentRecordError, match="no deployment record"):
        Session.load(record_path)
    assert Session.load(record_path, deploy_if_missing=True).record.contracts
