"""ConsortiumArbiter: 2/3 votes of the consortium's agencies settle DataMarket disputes; votes
count per membership epoch; every revert of vote."""

from __future__ import annotations

import brownie
import pytest
from eth_abi import encode
from eth_utils import keccak

from tests.helpers import (
    BOND_WEI,
    DISPUTED,
    GRANTED,
    PRICE_WEI,
    REFUNDED,
    RELEASED,
    custom_error,
    market_terms,
    match_of,
    matched_id,
    post_requirement,
    posted_id,
    submit_proof,
)

TALLY_FIELDS = ("payOwnerVotes", "refundVotes")
RULING_FIELDS = ("decided", "payOwner", "epoch")
VOTE_GAS_GOAL = 92_000
RULING_VOTE_GAS_GOAL = 130_000


@pytest.fixture(scope="module")
def consortium_arbiter(ConsortiumArbiter, consortium, market, deployer):
    return ConsortiumArbiter.deploy(consortium, market, {"from": deployer})


@pytest.fixture
def requirement_arbiter(consortium_arbiter):
    """Requirement 1's disputes are settled by the consortium's vote."""
    return consortium_arbiter


def tally_of(consortium_arbiter, match_id: int, epoch: int) -> dict:
    return dict(zip(TALLY_FIELDS, consortium_arbiter.tallyOf(match_id, epoch), strict=True))


def ruling_of(consortium_arbiter, match_id: int) -> dict:
    return dict(zip(RULING_FIELDS, consortium_arbiter.rulingOf(match_id), strict=True))


def vote(consortium_arbiter, match_id, voters, pay_owner=True):
    """Votes from ``voters``, in order; the receipt of the last one."""
    return [consortium_arbiter.vote(match_id, pay_owner, {"from": v}) for v in voters][-1]


def admit(consortium, agencies, candidate) -> None:
    """The consortium admits the candidate (three of four approve): membership epoch 1."""
    ballot = consortium.proposeAdmission(candidate, {"from": agencies[0]}).return_value
    for agency in agencies[1:3]:
        consortium.vote(ballot, True, {"from": agency})


# --- constructor ----------------------------------------------------------------------------


def test_the_constructor_sets_the_consortium_and_the_market(consortium_arbiter, consortium, market):
    assert (consortium_arbiter.consortium(), consortium_arbiter.market()) == (consortium, market)


@pytest.mark.parametrize("which", ["consortium", "market"])
def test_deploying_over_an_address_without_code_reverts(
    ConsortiumArbiter, consortium, market, deployer, stranger, which
):
    args = (stranger, market) if which == "consortium" else (consortium, stranger)
    with brownie.reverts(custom_error("ConsortiumArbiterNoCode", stranger.address)):
        ConsortiumArbiter.deploy(*args, {"from": deployer})


# --- votes ----------------------------------------------------------------------------------


def test_a_members_vote_is_counted_in_the_current_epoch(consortium_arbiter, agencies, match_id, disputed):
    tx = consortium_arbiter.vote(match_id, True, {"from": agencies[0]})
    assert tally_of(consortium_arbiter, match_id, 0) == {"payOwnerVotes": 1, "refundVotes": 0}
    assert consortium_arbiter.hasVoted(match_id, 0, agencies[0]) is True
    assert consortium_arbiter.hasVoted(match_id, 0, agencies[1]) is False
    assert dict(tx.events["DisputeVoted"]) == {
        "matchId": match_id,
        "member": agencies[0],
        "epoch": 0,
        "payOwner": True,
        "votes": 1,
    }


def test_votes_short_of_the_quorum_leave_the_dispute_frozen(market, consortium_arbiter, agencies, match_id, disputed):
    tx = vote(consortium_arbiter, match_id, agencies[:2])
    assert "DisputeRuled" not in tx.events
    assert match_of(market, match_id)["state"] == DISPUTED
    assert ruling_of(consortium_arbiter, match_id) == {"decided": False, "payOwner": False, "epoch": 0}


def test_the_vote_reaching_the_quorum_pays_the_owner(market, consortium_arbiter, agencies, owner, match_id, disputed):
    tx = vote(consortium_arbiter, match_id, agencies[:3])
    ruling_hash = consortium_arbiter.rulingHashOf(match_id, 0, True)
    assert match_of(market, match_id)["state"] == RELEASED
    assert market.creditOf(owner) == PRICE_WEI + BOND_WEI  # the price and the owner's bond
    assert ruling_of(consortium_arbiter, match_id) == {"decided": True, "payOwner": True, "epoch": 0}
    assert dict(tx.events["DisputeRuled"]) == {
        "matchId": match_id,
        "payOwner": True,
        "epoch": 0,
        "votes": 3,
        "quorum": 3,
        "rulingHash": ruling_hash,
    }
    settled = tx.events["DisputeSettled"]
    assert (settled["arbiter"], settled["recipient"], settled["rulingHash"]) == (
        consortium_arbiter,
        owner,
        ruling_hash,
    )


def test_the_vote_reaching_the_quorum_for_a_refund_refunds_the_buyer(
    market, consortium_arbiter, agencies, buyer, owner, match_id, disputed
):
    vote(consortium_arbiter, match_id, agencies[1:4], pay_owner=False)
    assert match_of(market, match_id)["state"] == REFUNDED
    assert (market.creditOf(buyer), market.creditOf(owner)) == (PRICE_WEI + BOND_WEI, 0)  # the bond is forfeited
    assert ruling_of(consortium_arbiter, match_id) == {"decided": True, "payOwner": False, "epoch": 0}


def test_a_split_vote_decides_nothing(market, consortium_arbiter, agencies, match_id, disputed):
    vote(consortium_arbiter, match_id, agencies[:2], pay_owner=True)
    vote(consortium_arbiter, match_id, agencies[2:], pay_owner=False)
    assert tally_of(consortium_arbiter, match_id, 0) == {"payOwnerVotes": 2, "refundVotes": 2}
    assert match_of(market, match_id)["state"] == DISPUTED


def test_the_ruling_hash_names_the_arbiter_the_match_the_epoch_and_the_ruling(consortium_arbiter):
    expected = keccak(encode(["address", "uint256", "uint64", "bool"], [consortium_arbiter.address, 5, 2, True]))
    assert consortium_arbiter.rulingHashOf(5, 2, True) == "0x" + expected.hex()


def test_a_vote_stays_within_its_gas_goals(consortium_arbiter, agencies, match_id, disputed):
    assert consortium_arbiter.vote(match_id, True, {"from": agencies[0]}).gas_used <= VOTE_GAS_GOAL
    consortium_arbiter.vote(match_id, True, {"from": agencies[1]})
    assert consortium_arbiter.vote(match_id, True, {"from": agencies[2]}).gas_used <= RULING_VOTE_GAS_GOAL


# --- membership epochs ----------------------------------------------------------------------


def test_votes_of_an_earlier_membership_no_longer_count(
    market, consortium, consortium_arbiter, agencies, candidate, match_id, disputed
):
    vote(consortium_arbiter, match_id, agencies[:2])
    admit(consortium, agencies, candidate)  # epoch 1: five members, quorum 4
    tx = consortium_arbiter.vote(match_id, True, {"from": agencies[2]})
    assert tx.events["DisputeVoted"]["epoch"] == 1
    assert tally_of(consortium_arbiter, match_id, 1) == {"payOwnerVotes": 1, "refundVotes": 0}
    assert match_of(market, match_id)["state"] == DISPUTED


def test_members_vote_again_after_a_membership_change_and_the_new_quorum_decides(
    market, consortium, consortium_arbiter, agencies, candidate, match_id, disputed
):
    vote(consortium_arbiter, match_id, agencies[:2])
    admit(consortium, agencies, candidate)
    vote(consortium_arbiter, match_id, [*agencies[:2], candidate])
    assert match_of(market, match_id)["state"] == DISPUTED  # 3 of the 4 now needed
    tx = consortium_arbiter.vote(match_id, True, {"from": agencies[3]})
    assert (tx.events["DisputeRuled"]["epoch"], tx.events["DisputeRuled"]["quorum"]) == (1, 4)
    assert match_of(market, match_id)["state"] == RELEASED


# --- reverts --------------------------------------------------------------------------------


def test_a_non_member_cannot_vote(consortium_arbiter, stranger, match_id, disputed):
    with brownie.reverts(custom_error("ConsortiumArbiterNotMember", stranger.address)):
        consortium_arbiter.vote(match_id, True, {"from": stranger})


def test_a_member_cannot_vote_twice_in_an_epoch(consortium_arbiter, agencies, match_id, disputed):
    consortium_arbiter.vote(match_id, True, {"from": agencies[0]})
    with brownie.reverts(custom_error("ConsortiumArbiterAlreadyVoted", match_id, 0, agencies[0].address)):
        consortium_arbiter.vote(match_id, False, {"from": agencies[0]})


def test_a_decided_dispute_takes_no_more_votes(consortium_arbiter, agencies, match_id, disputed):
    vote(consortium_arbiter, match_id, agencies[:3])
    with brownie.reverts(custom_error("ConsortiumArbiterAlreadyDecided", match_id)):
        consortium_arbiter.vote(match_id, True, {"from": agencies[3]})


def test_an_undisputed_match_takes_no_votes(consortium_arbiter, agencies, match_id, granted):
    with brownie.reverts(custom_error("ConsortiumArbiterNotDisputed", match_id, GRANTED)):
        consortium_arbiter.vote(match_id, True, {"from": agencies[0]})


def test_a_vote_on_an_unknown_match_reverts_with_the_markets_error(consortium_arbiter, agencies):
    with brownie.reverts(custom_error("DataMarketUnknownMatch", 9)):
        consortium_arbiter.vote(9, True, {"from": agencies[0]})


def test_a_dispute_another_arbiter_settles_takes_no_votes(
    market, registry, consortium_arbiter, agencies, arbiter, buyer, owner, zk_requirement, file_id, owner_proof
):
    requirement_id = posted_id(post_requirement(market, buyer, market_terms(arbiter, zk_requirement.commitment)))
    match_id = matched_id(submit_proof(market, owner, requirement_id, owner_proof))
    registry.grantAccess(file_id, buyer, bytes(32), 0, {"from": owner})
    market.recordGrant(match_id, {"from": owner})
    market.dispute(match_id, keccak(b"complaint"), {"from": buyer})
    with brownie.reverts(custom_error("ConsortiumArbiterNotArbiter", match_id, arbiter.address)):
        consortium_arbiter.vote(match_id, True, {"from": agencies[0]})


def test_a_removed_member_cannot_vote(consortium, consortium_arbiter, agencies, match_id, disputed):
    ballot = consortium.proposeRemoval(agencies[3], {"from": agencies[0]}).return_value
    for agency in agencies[1:3]:
        consortium.vote(ballot, True, {"from": agency})
    with brownie.reverts(custom_error("ConsortiumArbiterNotMember", agencies[3].address)):
        consortium_arbiter.vote(match_id, True, {"from": agencies[3]})
