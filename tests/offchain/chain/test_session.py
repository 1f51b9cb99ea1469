"""Session: loading the active network's deployment, redeploying on fresh local chains, refusing stale records;
deploy_all's Consortium settings from arguments, environment or local defaults."""

from __future__ import annotations

import dataclasses

import pytest
from brownie import web3

from offchain.chain import Session, deploy_all
from offchain.chain.deploy import (
    DEFAULT_TRACE_VOTING_PERIOD_S,
    ENV_CONSORTIUM_FOUNDERS,
    ENV_RETRIEVAL_SERVICE,
    ENV_TRACE_VOTING_PERIOD_S,
)
from offchain.chain.deployment import ContractDeployment, DeploymentRecord
from offchain.errors import ContractNotDeployedError, DeploymentRecordError, InvalidInputError


@pytest.fixture
def record_path(tmp_path):
    return tmp_path / "deployments" / "test.json"


@pytest.fixture(autouse=True)
def no_consortium_environment(monkeypatch):
    """The Consortium settings come from each test, never from the developer's shell."""
    monkeypatch.delenv(ENV_CONSORTIUM_FOUNDERS, raising=False)
    monkeypatch.delenv(ENV_TRACE_VOTING_PERIOD_S, raising=False)
    monkeypatch.delenv(ENV_RETRIEVAL_SERVICE, raising=False)


def test_deploy_all_writes_a_record_of_this_chain(deployer, record_path):
    record = deploy_all(deployer, path=record_path)
    assert DeploymentRecord.load(record_path) == record
    assert record.chain_id == web3.eth.chain_id
    assert record.deployer == deployer.address
    assert set(record.contracts) == {
        "DataRegistry",
        "MerkleAnchor",
        "Consortium",
        "Groth16VerifierN8",
        "Groth16VerifierN16",
        "DataMarket",
        "ConsortiumArbiter",
        "TrainingBoard",
        "DeviceRegistry",
        "ShapleyPayout",
        "FeatureIndex",
    }


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


def test_session_gives_a_consortium_client_at_the_recorded_address(deployer, record_path):
    record = deploy_all(deployer, path=record_path)
    session = Session.load(record_path)
    assert session.consortium.address == record.address_of("Consortium")
    assert session.consortium.from_block == record.contracts["Consortium"].block_number


def test_session_gives_a_market_wired_to_the_registry_and_both_verifiers(deployer, record_path):
    record = deploy_all(deployer, path=record_path)
    market = Session.load(record_path).market
    assert market.address == record.address_of("DataMarket")
    assert market.from_block == record.contracts["DataMarket"].block_number
    assert market.contract.registry() == record.address_of("DataRegistry")
    assert market.verifier_for(8) == record.address_of("Groth16VerifierN8")
    assert market.verifier_for(16) == record.address_of("Groth16VerifierN16")


def test_session_gives_an_arbiter_wired_to_the_consortium_and_the_market(deployer, record_path):
    record = deploy_all(deployer, path=record_path)
    arbiter = Session.load(record_path).arbiter
    assert arbiter.address == record.address_of("ConsortiumArbiter")
    assert (arbiter.consortium_address(), arbiter.market_address()) == (
        record.address_of("Consortium"),
        record.address_of("DataMarket"),
    )


def test_session_gives_a_training_board_client_at_the_recorded_address(deployer, record_path):
    record = deploy_all(deployer, path=record_path)
    board = Session.load(record_path).training_board
    assert board.address == record.address_of("TrainingBoard")
    assert board.from_block == record.contracts["TrainingBoard"].block_number
    assert board.session_count() == 0


def test_session_gives_a_device_registry_client_wired_to_the_consortium(deployer, record_path):
    record = deploy_all(deployer, path=record_path)
    devices = Session.load(record_path).device_registry
    assert devices.address == record.address_of("DeviceRegistry")
    assert devices.contract.consortium() == record.address_of("Consortium")


def test_session_gives_a_shapley_payout_client_wired_to_the_consortium_and_the_registry(deployer, record_path):
    record = deploy_all(deployer, path=record_path)
    payout = Session.load(record_path).shapley_payout
    assert payout.address == record.address_of("ShapleyPayout")
    assert payout.contract.consortium() == record.address_of("Consortium")
    assert payout.contract.registry() == record.address_of("DataRegistry")


def test_deploy_all_founds_the_consortium_with_the_last_four_local_accounts(deployer, accounts, record_path):
    deploy_all(deployer, path=record_path)
    consortium = Session.load(record_path).consortium
    assert consortium.members() == [accounts[i].address for i in range(6, 10)]
    assert consortium.voting_period_s() == DEFAULT_TRACE_VOTING_PERIOD_S == 3 * 24 * 3600


def test_deploy_all_takes_founders_and_voting_period_from_its_arguments(deployer, accounts, record_path):
    founders = [accounts[3], accounts[4].address, accounts[5]]
    deploy_all(deployer, path=record_path, consortium_founders=founders, trace_voting_period_s=600)
    consortium = Session.load(record_path).consortium
    assert consortium.members() == [accounts[i].address for i in (3, 4, 5)]
    assert consortium.voting_period_s() == 600


def test_deploy_all_takes_founders_and_voting_period_from_the_environment(deployer, accounts, record_path, monkeypatch):
    monkeypatch.setenv(ENV_CONSORTIUM_FOUNDERS, f" {accounts[5].address}, {accounts[4].address},{accounts[3].address},")
    monkeypatch.setenv(ENV_TRACE_VOTING_PERIOD_S, "3600")
    deploy_all(deployer, path=record_path)
    consortium = Session.load(record_path).consortium
    assert consortium.members() == [accounts[i].address for i in (5, 4, 3)]
    assert consortium.voting_period_s() == 3600


@pytest.mark.parametrize(
    ("founders", "message"),
    [
        (lambda a: [a[3], a[4]], "at least 3 distinct founding agencies, got 2"),
        (lambda a: [a[3], a[4], a[3]], r"got 3 \(2 distinct\)"),
        (lambda a: [a[3], a[4], "0x" + "00" * 20], "consortium founder must not be the zero address"),
        (lambda a: [a[3], a[4], "agency five"], "consortium founder must be an address"),
    ],
)
def test_deploy_all_with_bad_founders_deploys_nothing(deployer, accounts, record_path, founders, message):
    nonce_before = deployer.nonce
    with pytest.raises(InvalidInputError, match=message):
        deploy_all(deployer, path=record_path, consortium_founders=founders(accounts))
    assert deployer.nonce == nonce_before
    assert not record_path.exists()


@pytest.mark.parametrize(("period", "message"), [("3 days", "must be whole seconds"), ("0", "must be in 1..")])
def test_deploy_all_with_a_bad_voting_period_in_the_environment_deploys_nothing(
    deployer, record_path, monkeypatch, period, message
):
    monkeypatch.setenv(ENV_TRACE_VOTING_PERIOD_S, period)
    nonce_before = deployer.nonce
    with pytest.raises(InvalidInputError, match=message):
        deploy_all(deployer, path=record_path)
    assert deployer.nonce == nonce_before


def test_deploy_all_on_a_live_network_without_founders_says_how_to_give_them(deployer, record_path, monkeypatch):
    monkeypatch.setattr("offchain.chain.deploy.is_local_network", lambda: False)
    with pytest.raises(InvalidInputError, match=ENV_CONSORTIUM_FOUNDERS):
        deploy_all(deployer, path=record_path)


def test_session_gives_a_feature_index_client_that_anchors_through_the_merkle_anchor(deployer, record_path):
    record = deploy_all(deployer, path=record_path)
    session = Session.load(record_path)
    index = session.feature_index
    assert index.address == record.address_of("FeatureIndex")
    assert index.contract.anchor() == record.address_of("MerkleAnchor")
    assert index.service() == deployer.address  # no DATASHARE_RETRIEVAL_SERVICE: the deployer
    assert session.anchor.is_anchorer(index.address)
