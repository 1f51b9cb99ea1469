"""DataMarketClient against a deployed DataMarket with the generated verifiers and real proofs:
typed round trips, input checks before any transaction, reverts mapped to typed errors, matches
checked against their events."""

from __future__ import annotations

import dataclasses

import pytest
from brownie import chain
from eth_utils import keccak

from offchain.chain import market as market_module
from offchain.chain.market import (
    MAX_CAPACITY,
    MAX_PERIOD_S,
    MAX_PRICE_WEI,
    MIN_PERIOD_S,
    SNARK_SCALAR_FIELD,
    DataMarketClient,
    MarketMatch,
    MarketPayment,
    MarketRequirement,
    MatchState,
)
from offchain.chain.registry import file_id_of
from offchain.errors import (
    IntegrityError,
    InvalidInputError,
    TransactionRevertedError,
    UnknownMatchError,
    UnknownRequirementError,
)
from tests.helpers import (
    BOND_WEI,
    CAPACITY,
    DESCRIPTION_HASH,
    DURATION_S,
    GRANT_PERIOD_S,
    PRICE_WEI,
    REASON_HASH,
    REVIEW_PERIOD_S,
    RULING_HASH,
    chain_now,
    grant_access,
    register_record,
    sleep,
)

ZERO_ADDRESS = "0x" + "00" * 20


@pytest.fixture(scope="module")
def client(market):
    return DataMarketClient(market, from_block=market.tx.block_number)


def post(client, buyer, arbiter, commitment: bytes, **changes):
    terms = {
        "arbiter": arbiter.address,
        "commitment": commitment,
        "description_hash": DESCRIPTION_HASH,
        "price_wei": PRICE_WEI,
        "capacity": CAPACITY,
        "field_count": 8,
        "min_satisfied": 2,
        "expires_at": chain_now() + DURATION_S,
        "grant_period_s": GRANT_PERIOD_S,
        "review_period_s": REVIEW_PERIOD_S,
        "bond_wei": BOND_WEI,
    }
    terms.update(changes)
    return client.post_requirement(sender=buyer, **terms)


@pytest.fixture
def posted(client, buyer, arbiter, zk_requirement):
    """Requirement 1 over zk_requirement, posted through the client."""
    return post(client, buyer, arbiter, zk_requirement.commitment_bytes)


@pytest.fixture
def file_id(registry, owner, zk_record):
    return register_record(registry, owner, zk_record.commitment)


@pytest.fixture
def matched(client, owner, posted, file_id, owner_proof):
    """Match 1: the owner's file, submitted through the client."""
    return client.submit(sender=owner, requirement_id=posted.requirement_id, file_id=file_id, proof=owner_proof)


@pytest.fixture
def granted(client, registry, owner, buyer, file_id, matched):
    grant_access(registry, owner, file_id, buyer)
    return client.record_grant(sender=owner, match_id=matched.match_id)


# --- requirements ---------------------------------------------------------------------------


def test_post_requirement_returns_the_requirement_with_its_transaction(posted, buyer, arbiter, zk_requirement):
    assert isinstance(posted, MarketRequirement)
    assert (posted.requirement_id, posted.buyer, posted.arbiter) == (1, buyer.address, arbiter.address)
    assert (posted.commitment, posted.description_hash) == (zk_requirement.commitment_bytes, DESCRIPTION_HASH)
    assert (posted.price_wei, posted.capacity, posted.filled, posted.open_slots) == (PRICE_WEI, CAPACITY, 0, CAPACITY)
    assert posted.bond_wei == BOND_WEI
    assert (posted.field_count, posted.min_satisfied, posted.unfilled_refunded) == (8, 2, False)
    assert (posted.grant_period_s, posted.review_period_s) == (GRANT_PERIOD_S, REVIEW_PERIOD_S)
    assert posted.tx_hash is not None and posted.gas_used is not None


def test_post_requirement_escrows_price_times_capacity(client, posted):
    assert client.balance_wei() == PRICE_WEI * CAPACITY


def test_get_requirement_reads_back_the_posted_requirement(client, posted):
    assert client.get_requirement(1) == dataclasses.replace(posted, tx_hash=None, gas_used=None)


def test_get_requirement_of_an_unknown_id_raises_unknown_requirement_error(client):
    with pytest.raises(UnknownRequirementError, match="no requirement is posted under id 4"):
        client.get_requirement(4)


def test_posting_a_commitment_the_buyer_used_raises_the_contracts_error(client, buyer, arbiter, posted, zk_requirement):
    with pytest.raises(TransactionRevertedError) as info:
        post(client, buyer, arbiter, zk_requirement.commitment_bytes)
    assert (info.value.function, info.value.error_name) == ("postRequirement", "DataMarketCommitmentUsed")


def test_a_buyer_posts_its_commitment_after_a_squatter_posted_a_copy(client, buyer, stranger, arbiter, zk_requirement):
    squatted = post(client, stranger, arbiter, zk_requirement.commitment_bytes, price_wei=1, capacity=1)
    posted = post(client, buyer, arbiter, zk_requirement.commitment_bytes)
    assert client.requirement_id_of(buyer.address, zk_requirement.commitment_bytes) == posted.requirement_id
    assert client.requirement_id_of(stranger.address, zk_requirement.commitment_bytes) == squatted.requirement_id


def test_views_count_and_find(client, posted, matched, file_id, zk_requirement, verifiers):
    assert (client.requirement_count(), client.match_count()) == (1, 1)
    assert client.match_id_of(posted.requirement_id, file_id) == matched.match_id
    assert client.match_id_of(posted.requirement_id, keccak(b"another file")) is None
    assert client.requirement_id_of(posted.buyer, zk_requirement.commitment_bytes) == posted.requirement_id
    assert client.requirement_id_of(posted.buyer, keccak(b"another commitment")) is None
    assert client.verifier_for(16) == verifiers[16].address
    assert client.verifier_for(12) is None


# --- matches --------------------------------------------------------------------------------


def test_submit_returns_the_match_with_its_public_signals(matched, owner, file_id, zk_record, owner_proof):
    assert isinstance(matched, MarketMatch)
    assert (matched.match_id, matched.requirement_id, matched.file_id, matched.owner) == (1, 1, file_id, owner.address)
    assert (matched.data_commitment, matched.satisfied) == (zk_record.commitment_bytes, owner_proof.satisfied)
    assert (matched.state, matched.review_deadline) == (MatchState.MATCHED, None)
    assert matched.grant_deadline == chain[-1].timestamp + GRANT_PERIOD_S
    assert matched.gas_used is not None


def test_submit_sends_the_requirements_bond(client, owner, posted, matched):
    assert client.balance_wei() == PRICE_WEI * CAPACITY + BOND_WEI


def test_get_match_reads_back_the_submitted_match(client, matched):
    assert client.get_match(matched.match_id) == dataclasses.replace(matched, gas_used=None)


def test_proof_of_gives_back_the_proof_the_match_was_accepted_with(client, matched, owner_proof):
    assert client.proof_of(matched.match_id) == owner_proof


def test_matches_of_lists_a_requirements_matches(client, registry, rival, posted, matched, zk_record, rival_proof):
    rivals = register_record(registry, rival, zk_record.commitment)
    second = client.submit(sender=rival, requirement_id=posted.requirement_id, file_id=rivals, proof=rival_proof)
    assert [m.match_id for m in client.matches_of(posted.requirement_id)] == [matched.match_id, second.match_id]


def test_a_stolen_proof_raises_the_contracts_invalid_proof_error(
    client, registry, rival, posted, zk_record, owner_proof
):
    register_record(registry, rival, zk_record.commitment)
    with pytest.raises(TransactionRevertedError) as info:
        client.submit(
            sender=rival,
            requirement_id=posted.requirement_id,
            file_id=file_id_of(rival.address, zk_record.commitment_bytes),
            proof=owner_proof,
        )
    assert (info.value.function, info.value.error_name) == ("submit", "DataMarketInvalidProof")


def test_submitting_to_an_unknown_requirement_raises_unknown_requirement_error(client, owner, file_id, owner_proof):
    with pytest.raises(UnknownRequirementError):
        client.submit(sender=owner, requirement_id=3, file_id=file_id, proof=owner_proof)


def test_record_grant_returns_the_granted_match_with_its_review_deadline(granted):
    assert granted.state == MatchState.GRANTED
    assert granted.review_deadline == chain[-1].timestamp + REVIEW_PERIOD_S
    assert granted.gas_used is not None


def test_confirm_receipt_then_withdraw_pays_the_owner_the_price(client, owner, buyer, granted):
    confirmed = client.confirm_receipt(sender=buyer, match_id=granted.match_id)
    assert confirmed.state == MatchState.RELEASED
    assert client.credit_of(owner.address) == PRICE_WEI + BOND_WEI
    paid = client.withdraw(sender=owner)
    assert isinstance(paid, MarketPayment)
    assert (paid.account, paid.amount_wei, client.credit_of(owner.address)) == (owner.address, PRICE_WEI + BOND_WEI, 0)


def test_release_after_the_review_deadline_credits_the_owner(client, owner, stranger, granted):
    sleep(REVIEW_PERIOD_S)
    assert client.release(sender=stranger, match_id=granted.match_id).state == MatchState.RELEASED
    assert client.credit_of(owner.address) == PRICE_WEI + BOND_WEI


def test_a_dispute_settled_by_an_account_arbiter_refunds_the_buyer(client, buyer, arbiter, granted):
    disputed = client.dispute(sender=buyer, match_id=granted.match_id, reason_hash=REASON_HASH)
    assert disputed.state == MatchState.DISPUTED
    settled = client.settle_dispute(sender=arbiter, match_id=granted.match_id, pay_owner=False, ruling_hash=RULING_HASH)
    assert settled.state == MatchState.REFUNDED
    assert client.credit_of(buyer.address) == PRICE_WEI + BOND_WEI


def test_reclaim_ungranted_lapses_the_match_frees_its_slot_and_forfeits_the_bond(
    client, buyer, stranger, posted, matched
):
    sleep(GRANT_PERIOD_S)
    lapsed = client.reclaim_ungranted(sender=stranger, match_id=matched.match_id)
    assert (lapsed.state, lapsed.review_deadline) == (MatchState.LAPSED, None)
    assert client.get_requirement(posted.requirement_id).open_slots == CAPACITY
    assert client.credit_of(buyer.address) == BOND_WEI


def test_refund_unfilled_credits_the_buyer_the_unfilled_slots(client, buyer, stranger, posted, matched):
    sleep(DURATION_S)
    refund = client.refund_unfilled(sender=stranger, requirement_id=posted.requirement_id)
    assert (refund.account, refund.amount_wei) == (buyer.address, PRICE_WEI * (CAPACITY - 1))
    assert client.get_requirement(posted.requirement_id).unfilled_refunded is True


def test_cancel_unfilled_credits_the_buyer_and_closes_the_requirement(
    client, registry, buyer, rival, posted, matched, zk_record, rival_proof
):
    cancelled = client.cancel_unfilled(sender=buyer, requirement_id=posted.requirement_id)
    assert (cancelled.account, cancelled.amount_wei) == (buyer.address, PRICE_WEI * (CAPACITY - 1))
    assert client.get_requirement(posted.requirement_id).unfilled_refunded is True
    rivals = register_record(registry, rival, zk_record.commitment)
    with pytest.raises(TransactionRevertedError) as info:
        client.submit(sender=rival, requirement_id=posted.requirement_id, file_id=rivals, proof=rival_proof)
    assert info.value.error_name == "DataMarketRequirementCancelled"


def test_cancel_unfilled_by_another_account_raises_the_contracts_error(client, stranger, posted):
    with pytest.raises(TransactionRevertedError) as info:
        client.cancel_unfilled(sender=stranger, requirement_id=posted.requirement_id)
    assert (info.value.function, info.value.error_name) == ("cancelUnfilled", "DataMarketNotRequirementBuyer")


def test_cancel_unfilled_of_an_unknown_requirement_raises_unknown_requirement_error(client, buyer):
    with pytest.raises(UnknownRequirementError, match="no requirement is posted under id 6"):
        client.cancel_unfilled(sender=buyer, requirement_id=6)


def test_a_transition_refused_by_the_contract_raises_its_error(client, buyer, matched):
    with pytest.raises(TransactionRevertedError) as info:
        client.confirm_receipt(sender=buyer, match_id=matched.match_id)
    assert (info.value.function, info.value.error_name) == ("confirmReceipt", "DataMarketWrongState")


def test_withdraw_without_credit_raises_the_contracts_error(client, stranger):
    with pytest.raises(TransactionRevertedError) as info:
        client.withdraw(sender=stranger)
    assert info.value.error_name == "DataMarketNothingToWithdraw"


@pytest.mark.parametrize(
    "action",
    [
        lambda c, s: c.get_match(7),
        lambda c, s: c.record_grant(sender=s, match_id=7),
        lambda c, s: c.release(sender=s, match_id=7),
        lambda c, s: c.reclaim_ungranted(sender=s, match_id=7),
    ],
    ids=["get_match", "record_grant", "release", "reclaim_ungranted"],
)
def test_an_unknown_match_raises_unknown_match_error(client, stranger, action):
    with pytest.raises(UnknownMatchError, match="no match is made under id 7"):
        action(client, stranger)


def test_get_match_with_a_tampered_log_raises_integrity_error(client, matched, monkeypatch):
    genuine = market_module.get_events

    def tampered_logs(*args, **kwargs):
        return [
            dataclasses.replace(log, args={**log.args, "dataCommitment": keccak(b"another record")})
            for log in genuine(*args, **kwargs)
        ]

    monkeypatch.setattr(market_module, "get_events", tampered_logs)
    with pytest.raises(IntegrityError, match="none of the 1 Matched logs"):
        client.get_match(matched.match_id)


def test_get_match_without_the_log_in_range_raises_integrity_error(market, matched):
    late = DataMarketClient(market, from_block=chain.height + 1)
    with pytest.raises(IntegrityError, match="none of the 0 Matched logs"):
        late.get_match(matched.match_id)


# --- input checks ---------------------------------------------------------------------------

GOOD_TERMS = {
    "commitment": (5).to_bytes(32, "big"),
    "description_hash": DESCRIPTION_HASH,
    "price_wei": PRICE_WEI,
    "capacity": CAPACITY,
    "field_count": 8,
    "min_satisfied": 2,
    "expires_at": 2**33,
    "grant_period_s": GRANT_PERIOD_S,
    "review_period_s": REVIEW_PERIOD_S,
    "bond_wei": BOND_WEI,
}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"arbiter": ZERO_ADDRESS}, "arbiter must not be the zero address"),
        ({"arbiter": "buyer"}, "the arbiter must not be the buyer"),
        ({"commitment": bytes(32)}, "commitment must not be all zero"),
        ({"commitment": SNARK_SCALAR_FIELD.to_bytes(32, "big")}, "below the BN254 scalar field order"),
        ({"commitment": 5}, "commitment must be 32 bytes, got int"),
        ({"description_hash": b"short"}, "description_hash must be 32 bytes, got 5 bytes"),
        ({"price_wei": 0}, "price_wei must be in 1.."),
        ({"price_wei": MAX_PRICE_WEI + 1}, "price_wei must be in 1.."),
        ({"capacity": MAX_CAPACITY + 1}, "capacity must be in 1.."),
        ({"min_satisfied": 9}, r"min_satisfied must be in 1..8, got 9"),
        ({"expires_at": 0}, "expires_at must be in 1.."),
        ({"grant_period_s": MIN_PERIOD_S - 1}, f"grant_period_s must be in {MIN_PERIOD_S}..{MAX_PERIOD_S}"),
        ({"review_period_s": MAX_PERIOD_S + 1}, f"review_period_s must be in {MIN_PERIOD_S}..{MAX_PERIOD_S}"),
        ({"bond_wei": 0}, "bond_wei must be in 1.."),
        ({"bond_wei": MAX_PRICE_WEI + 1}, "bond_wei must be in 1.."),
    ],
)
def test_bad_terms_are_rejected_before_any_transaction(client, buyer, arbiter, changes, message):
    terms = {**GOOD_TERMS, "arbiter": arbiter.address, **changes}
    if terms["arbiter"] == "buyer":
        terms["arbiter"] = buyer.address
    nonce_before = buyer.nonce
    with pytest.raises(InvalidInputError, match=message):
        client.post_requirement(sender=buyer, **terms)
    assert buyer.nonce == nonce_before


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (
            lambda c, a, p: c.submit(sender=a, requirement_id=1, file_id=bytes(32), proof=p),
            "file_id must not be all zero",
        ),
        (
            lambda c, a, p: c.submit(sender=a, requirement_id=1, file_id=b"\x01" * 32, proof="proof"),
            "offchain.zk.Proof",
        ),
        (lambda c, a, p: c.submit(sender=a, requirement_id=-1, file_id=b"\x01" * 32, proof=p), "requirement_id"),
        (lambda c, a, p: c.dispute(sender=a, match_id=1, reason_hash=bytes(32)), "reason_hash must not be all zero"),
        (
            lambda c, a, p: c.settle_dispute(sender=a, match_id=1, pay_owner=1, ruling_hash=RULING_HASH),
            "pay_owner must be a bool, got int",
        ),
        (
            lambda c, a, p: c.settle_dispute(sender=a, match_id=1, pay_owner=True, ruling_hash=bytes(32)),
            "ruling_hash must not be all zero",
        ),
        (lambda c, a, p: c.record_grant(sender=a, match_id="1"), "match_id must be an int, got str"),
    ],
)
def test_bad_input_is_rejected_before_any_transaction(client, owner, owner_proof, action, message):
    nonce_before = owner.nonce
    with pytest.raises(InvalidInputError, match=message):
        action(client, owner, owner_proof)
    assert owner.nonce == nonce_before
