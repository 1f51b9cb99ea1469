"""ArbiterPolicy against deployed contracts: the deployment's ConsortiumArbiter and allow-listed
arbiter contracts are trusted; accounts, contracts without the arbiter interface, arbiters of
another market and arbiters on neither list are refused with UntrustedArbiterError; the default
policy comes from the deployment record."""

from __future__ import annotations

import pytest
from brownie import network

from offchain.chain import ArbiterPolicy, Session, deploy_all
from offchain.chain.deploy import ENV_CONSORTIUM_FOUNDERS, ENV_TRACE_VOTING_PERIOD_S
from offchain.chain.market import DataMarketClient
from offchain.errors import AccessDeniedError, DeploymentRecordError, InvalidInputError, UntrustedArbiterError


@pytest.fixture(scope="module")
def consortium_arbiter(ConsortiumArbiter, consortium, market, deployer):
    return ConsortiumArbiter.deploy(consortium, market, {"from": deployer})


@pytest.fixture(scope="module")
def other_arbiter(ConsortiumArbiter, consortium, market, deployer):
    """A second arbiter contract over the same market (another consortium's, say)."""
    return ConsortiumArbiter.deploy(consortium, market, {"from": deployer})


@pytest.fixture(scope="module")
def client(market):
    return DataMarketClient(market, from_block=market.tx.block_number)


def refusal(policy: ArbiterPolicy, client: DataMarketClient, arbiter: str) -> UntrustedArbiterError:
    with pytest.raises(UntrustedArbiterError) as info:
        policy.require_trusted(client, arbiter, requirement_id=4)
    return info.value


def test_the_deployments_consortium_arbiter_is_trusted(client, consortium_arbiter):
    policy = ArbiterPolicy(consortium_arbiter.address)
    assert policy.require_trusted(client, consortium_arbiter.address.lower()) == consortium_arbiter.address


def test_an_allow_listed_arbiter_contract_is_trusted(client, consortium_arbiter, other_arbiter):
    policy = ArbiterPolicy(consortium_arbiter.address, frozenset({other_arbiter.address}))
    assert policy.require_trusted(client, other_arbiter.address) == other_arbiter.address


def test_an_arbiter_on_neither_list_is_refused_with_its_address(client, consortium_arbiter, arbiter):
    refused = refusal(ArbiterPolicy(consortium_arbiter.address), client, arbiter.address)
    assert isinstance(refused, AccessDeniedError)
    assert (refused.arbiter, refused.requirement_id) == (arbiter.address, 4)
    assert f"requirement 4 names arbiter {arbiter.address}" in str(refused)
    assert "found an arbiter on neither" in refused.reason


def test_an_allow_listed_arbiter_contract_is_not_trusted_by_a_policy_without_it(
    client, consortium_arbiter, other_arbiter
):
    assert "on neither" in refusal(ArbiterPolicy(consortium_arbiter.address), client, other_arbiter.address).reason


def test_an_allow_listed_plain_account_is_refused(client, consortium_arbiter, arbiter):
    policy = ArbiterPolicy(consortium_arbiter.address, frozenset({arbiter.address}))
    assert "found an account with no code" in refusal(policy, client, arbiter.address).reason


def test_a_plain_account_recorded_as_the_consortium_arbiter_is_refused(client, arbiter):
    assert "found an account with no code" in refusal(ArbiterPolicy(arbiter.address), client, arbiter.address).reason


def test_an_allow_listed_contract_without_the_arbiter_interface_is_refused(client, consortium_arbiter, registry):
    policy = ArbiterPolicy(consortium_arbiter.address, frozenset({registry.address}))
    assert "IConsortiumArbiter.market(); the call failed" in refusal(policy, client, registry.address).reason


def test_an_arbiter_contract_of_another_market_is_refused(
    DataMarket, ConsortiumArbiter, consortium, registry, verifiers, deployer, client, consortium_arbiter
):
    elsewhere = DataMarket.deploy(registry, [8], [verifiers[8]], {"from": deployer})
    foreign = ConsortiumArbiter.deploy(consortium, elsewhere, {"from": deployer})
    policy = ArbiterPolicy(consortium_arbiter.address, frozenset({foreign.address}))
    reason = refusal(policy, client, foreign.address).reason
    assert f"expected the arbiter of market {client.address}; found one of market {elsewhere.address}" == reason


def test_a_malformed_allow_list_entry_is_rejected(consortium_arbiter):
    with pytest.raises(InvalidInputError, match="allowed_contracts entry must be an address"):
        ArbiterPolicy(consortium_arbiter.address, frozenset({"not an address"}))


def test_the_default_policy_trusts_the_consortium_arbiter_of_the_active_networks_record(
    deployer, tmp_path, monkeypatch
):
    monkeypatch.delenv(ENV_CONSORTIUM_FOUNDERS, raising=False)
    monkeypatch.delenv(ENV_TRACE_VOTING_PERIOD_S, raising=False)
    path = tmp_path / "deployments" / f"{network.show_active()}.json"
    record = deploy_all(deployer, path=path)
    policy = ArbiterPolicy.for_active_network(root=tmp_path)
    assert policy == ArbiterPolicy(record.address_of("ConsortiumArbiter"))
    market = Session.load(path).market
    assert policy.require_trusted(market, record.address_of("ConsortiumArbiter")) == policy.consortium_arbiter


def test_the_default_policy_without_a_deployment_record_raises(tmp_path):
    with pytest.raises(DeploymentRecordError, match="no deployment record"):
        ArbiterPolicy.for_active_network(root=tmp_path)
