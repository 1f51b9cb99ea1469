"""ConsortiumArbiterClient against a deployed ConsortiumArbiter: votes, tallies, the carried
ruling and its hash, reverts mapped to typed errors."""

from __future__ import annotations

import pytest

from offchain.chain.arbiter import ArbiterVote, ConsortiumArbiterClient, DisputeRuling, DisputeTally
from offchain.chain.market import DataMarketClient, MatchState
from offchain.errors import InvalidInputError, TransactionRevertedError, UnknownMatchError
from tests.helpers import (
    BOND_WEI,
    PRICE_WEI,
    REASON_HASH,
    grant_access,
    market_terms,
    matched_id,
    post_requirement,
    posted_id,
    register_record,
    submit_proof,
)


@pytest.fixture(scope="module")
def consortium_arbiter(ConsortiumArbiter, consortium, market, deployer):
    return ConsortiumArbiter.deploy(consortium, market, {"from": deployer})


@pytest.fixture(scope="module")
def client(consortium_arbiter):
    return ConsortiumArbiterClient(consortium_arbiter, from_block=consortium_arbiter.tx.block_number)


@pytest.fixture(scope="module")
def market_client(market):
    return DataMarketClient(market, from_block=market.tx.block_number)


@pytest.fixture
def disputed(market, registry, consortium_arbiter, buyer, owner, zk_requirement, zk_record, owner_proof):
    """Match 1, disputed by the buyer; the consortium arbitrates its requirement."""
    requirement_id = posted_id(
        post_requirement(market, buyer, market_terms(consortium_arbiter, zk_requirement.commitment))
    )
    file_id = register_record(registry, owner, zk_record.commitment)
    match_id = matched_id(submit_proof(market, owner, requirement_id, owner_proof))
    grant_access(registry, owner, file_id, buyer)
    market.recordGrant(match_id, {"from": owner})
    market.dispute(match_id, REASON_HASH, {"from": buyer})
    return match_id


def test_the_client_names_the_consortium_and_the_market(client, consortium, market):
    assert (client.consortium_address(), client.market_address()) == (consortium.address, market.address)


def test_a_vote_short_of_the_quorum_is_counted_and_not_executed(client, agencies, disputed):
    vote = client.vote(sender=agencies[0], match_id=disputed, pay_owner=False)
    assert isinstance(vote, ArbiterVote)
    assert (vote.member, vote.epoch, vote.votes, vote.executed, vote.ruling_hash) == (
        agencies[0].address,
        0,
        1,
        False,
        None,
    )
    assert client.tally(disputed, 0) == DisputeTally(match_id=disputed, epoch=0, pay_owner_votes=0, refund_votes=1)
    assert client.has_voted(disputed, 0, agencies[0].address) is True
    assert client.ruling_of(disputed) is None


def test_the_vote_reaching_the_quorum_executes_the_ruling(
    client, consortium_arbiter, market_client, agencies, buyer, disputed
):
    votes = [client.vote(sender=a, match_id=disputed, pay_owner=False) for a in agencies[:3]]
    expected_hash = bytes(consortium_arbiter.rulingHashOf(disputed, 0, False))
    assert (votes[-1].executed, votes[-1].ruling_hash) == (True, expected_hash)
    assert client.ruling_of(disputed) == DisputeRuling(
        match_id=disputed, pay_owner=False, epoch=0, ruling_hash=expected_hash
    )
    assert market_client.get_match(disputed).state == MatchState.REFUNDED
    assert market_client.credit_of(buyer.address) == PRICE_WEI + BOND_WEI  # the bond is forfeited


def test_ruling_hash_is_computed_as_the_contract_does(client, consortium_arbiter):
    assert client.ruling_hash(3, 1, True) == bytes(consortium_arbiter.rulingHashOf(3, 1, True))


def test_a_non_members_vote_raises_the_contracts_error(client, stranger, disputed):
    with pytest.raises(TransactionRevertedError) as info:
        client.vote(sender=stranger, match_id=disputed, pay_owner=True)
    assert (info.value.function, info.value.error_name) == ("vote", "ConsortiumArbiterNotMember")


def test_a_vote_on_an_unknown_match_raises_unknown_match_error(client, agencies):
    with pytest.raises(UnknownMatchError, match="no match is made under id 4"):
        client.vote(sender=agencies[0], match_id=4, pay_owner=True)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda c, a: c.vote(sender=a, match_id=1, pay_owner="yes"), "pay_owner must be a bool, got str"),
        (lambda c, a: c.vote(sender=a, match_id=-1, pay_owner=True), "match_id must be in 0.."),
        (lambda c, a: c.tally(1, -1), "epoch must be in 0.."),
        (lambda c, a: c.has_voted(1, 0, "not an address"), "member must be an address"),
    ],
)
def test_bad_input_is_rejected_before_any_transaction(client, agencies, action, message):
    nonce_before = agencies[0].nonce
    with pytest.raises(InvalidInputError, match=message):
        action(client, agencies[0])
    assert agencies[0].nonce == nonce_before
