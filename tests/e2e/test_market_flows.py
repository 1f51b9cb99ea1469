"""The data market's flows end to end: the Buyer's and DataOwner's steps on the local chain.

Feng et al. 2022 §5-6: a requirement posted with escrow, a record registered under its Poseidon
commitment, a validity proof submitted, the record shared through the proxies and checked by
the buyer against the chain and the requirement, then paid, or disputed and settled by the
consortium's 2/3 vote. The owner's and the buyer's clients deal only on requirements whose
arbiter their policy trusts (issue 21) and, for the owner, posted by the buyer it expects (issue
23, finding 4): the attacks on both stop before anything is proved, granted or re-encrypted.
"""

from __future__ import annotations

import pytest

from offchain.chain.arbiter import ConsortiumArbiterClient
from offchain.chain.arbiter_policy import ArbiterPolicy
from offchain.chain.consortium import ConsortiumClient
from offchain.chain.market import DataMarketClient, MatchState
from offchain.chain.registry import DataRegistryClient
from offchain.errors import (
    AccessDeniedError,
    IntegrityError,
    InvalidInputError,
    RequirementNotMetError,
    UntrustedArbiterError,
)
from offchain.protocols import Buyer, CloudServer, DataOwner
from offchain.storage import FilesystemBlobStore
from offchain.zk import FieldRange, Record, Requirement, prove, record_opens
from tests.helpers import VOTING_PERIOD_S, chain_now

DAY = 24 * 3600
PRICE = 10**16
BOND = 10**15


@pytest.fixture(scope="module")
def deployed(DataRegistry, Groth16VerifierN8, Groth16VerifierN16, DataMarket, Consortium, ConsortiumArbiter, accounts):
    deployer = accounts[0]
    registry = DataRegistry.deploy({"from": deployer})
    v8 = Groth16VerifierN8.deploy({"from": deployer})
    v16 = Groth16VerifierN16.deploy({"from": deployer})
    market = DataMarket.deploy(registry, [8, 16], [v8, v16], {"from": deployer})
    consortium = Consortium.deploy(list(accounts[6:10]), VOTING_PERIOD_S, {"from": deployer})
    arbiter = ConsortiumArbiter.deploy(consortium, market, {"from": deployer})
    return registry, market, consortium, arbiter


@pytest.fixture
def clients(deployed):
    registry, market, consortium, arbiter = deployed
    return (
        DataRegistryClient(registry, from_block=registry.tx.block_number),
        DataMarketClient(market, from_block=market.tx.block_number),
        ConsortiumClient(consortium, from_block=consortium.tx.block_number),
        ConsortiumArbiterClient(arbiter, from_block=arbiter.tx.block_number),
    )


@pytest.fixture
def servers(clients, tmp_path):
    registry = clients[0]
    storage = CloudServer("storage", FilesystemBlobStore(tmp_path / "storage"), registry)
    proxies = [CloudServer(f"proxy{i}", FilesystemBlobStore(tmp_path / f"proxy{i}"), registry) for i in range(3)]
    return storage, proxies


@pytest.fixture
def requirement():
    ranges = (
        FieldRange(40, 60, required=True),
        FieldRange.exactly(4019),
        FieldRange(48, 250),
        *[FieldRange.ignored()] * 5,
    )
    return Requirement.create(ranges, min_satisfied=2)


@pytest.fixture
def record():
    return Record.create((52, 4019, 61, 1, 2, 3, 4, 5))


@pytest.fixture
def policy(clients):
    """Both sides' default: only the deployment's ConsortiumArbiter."""
    return ArbiterPolicy(clients[3].address)


@pytest.fixture
def buyer(accounts, clients, policy):
    return Buyer(accounts[2], clients[0], arbiters=policy)


@pytest.fixture
def seller(accounts, clients, policy):
    return DataOwner(accounts[3], clients[0], arbiters=policy)


@pytest.fixture
def accomplice(accounts):
    """A second account of the buyer's, which it names as arbiter (issue 21)."""
    return accounts[5]


def terms(chain, **changes):
    """The terms the buyer posts: two records at PRICE, a week to submit, a day to grant and review."""
    return {
        "price_wei": PRICE,
        "capacity": 2,
        "expires_at": chain_now() + 7 * DAY,
        "grant_period_s": DAY,
        "review_period_s": DAY,
        "bond_wei": BOND,
        **changes,
    }


def post_raw(market, sender, requirement, arbiter, chain, **changes):
    """``sender`` posts ``requirement`` straight through the market client (no trust policy)."""
    return market.post_requirement(
        sender=sender,
        arbiter=arbiter,
        commitment=requirement.commitment_bytes,
        description_hash=requirement.description_hash,
        field_count=requirement.field_count,
        min_satisfied=requirement.min_satisfied,
        **terms(chain, **changes),
    )


@pytest.fixture
def posted(buyer, clients, requirement, chain):
    market, arbiter = clients[1], clients[3]
    return buyer.post_requirement(market, requirement, arbiter=arbiter.address, **terms(chain))


@pytest.fixture
def matched(buyer, seller, clients, servers, posted, requirement, record):
    seller.upload_record(record, servers[0], block_size=128)
    return seller.offer(
        clients[1], requirement_id=posted.requirement_id, opening=requirement, record=record, buyer=buyer.address
    )


def _take(buyer, seller, market, matched, requirement, servers):
    storage, proxies = servers
    return buyer.take_delivery(
        market,
        matched.match_id,
        requirement,
        storage=storage,
        proxies=proxies,
        threshold=2,
        verifying_pk=seller.signer.public_key,
    )


def test_an_uploaded_record_is_registered_under_its_poseidon_commitment(seller, clients, servers, record):
    receipt = seller.upload_record(record, servers[0], block_size=128)
    assert clients[0].get_file(receipt.registration.file_id).content_commitment == record.commitment_bytes


def test_the_owner_downloads_its_record_with_the_record_check(seller, servers, record):
    receipt = seller.upload_record(record, servers[0], block_size=128)
    content = seller.download(servers[0], receipt.registration.file_id, opens=record_opens)
    assert Record.from_bytes(content) == record


def test_the_default_salted_hash_check_refuses_a_record_file(seller, servers, record):
    receipt = seller.upload_record(record, servers[0], block_size=128)
    with pytest.raises(IntegrityError, match="does not open the registered commitment"):
        seller.download(servers[0], receipt.registration.file_id)


def test_an_offer_is_matched_on_chain_with_its_r(matched, record):
    assert matched.state is MatchState.MATCHED and matched.satisfied == 3


def test_an_offer_against_a_wrong_opening_is_refused_before_proving(buyer, seller, clients, servers, posted, record):
    other = Requirement.create((FieldRange(0, 100, required=True), *[FieldRange.ignored()] * 7))
    seller.upload_record(record, servers[0], block_size=128)
    with pytest.raises(IntegrityError, match="does not match requirement"):
        seller.offer(
            clients[1], requirement_id=posted.requirement_id, opening=other, record=record, buyer=buyer.address
        )


def test_an_unqualified_record_cannot_be_offered(buyer, seller, clients, servers, posted, requirement):
    young = Record.create((35, 4019, 61, 1, 2, 3, 4, 5))
    seller.upload_record(young, servers[0], block_size=128)
    with pytest.raises(RequirementNotMetError, match="field\\(s\\) 0"):
        seller.offer(
            clients[1],
            requirement_id=posted.requirement_id,
            opening=requirement,
            record=young,
            buyer=buyer.address,
        )


def test_the_buyer_checks_the_proof_of_a_match_without_the_chain(buyer, clients, matched, requirement):
    proof = clients[1].proof_of(matched.match_id)
    assert buyer.check_proof(proof, requirement, matched)


def test_delivery_is_confirmed_and_the_owner_is_paid(buyer, seller, clients, servers, matched, requirement, record):
    market = clients[1]
    seller.deliver(market, matched.match_id, buyer.recipient, servers[1], threshold=2)
    delivery = _take(buyer, seller, market, matched, requirement, servers)
    assert delivery.confirmed and delivery.record == record
    assert market.credit_of(seller.address) == PRICE + BOND


def test_delivering_to_someone_else_is_refused(buyer, seller, clients, servers, matched, accounts):
    stranger = Buyer(accounts[5], clients[0])
    with pytest.raises(InvalidInputError, match="is for buyer"):
        seller.deliver(clients[1], matched.match_id, stranger.recipient, servers[1], threshold=2)


def test_a_grant_without_kfrags_is_disputed_and_the_agencies_refund(
    buyer, seller, clients, servers, matched, requirement, accounts
):
    registry, market, consortium, arbiter = clients
    registry.grant_access(
        sender=seller.account, file_id=matched.file_id, grantee=buyer.recipient.address, policy=b"\x01" * 32
    )
    market.record_grant(sender=seller.account, match_id=matched.match_id)
    delivery = _take(buyer, seller, market, matched, requirement, servers)
    assert not delivery.confirmed and "cfrags" in delivery.reason
    assert market.get_match(matched.match_id).state is MatchState.DISPUTED
    agencies = [a for a in accounts if a.address in set(consortium.members())]
    for agency in agencies[: consortium.quorum()]:
        arbiter.vote(sender=agency, match_id=matched.match_id, pay_owner=False)
    assert market.get_match(matched.match_id).state is MatchState.REFUNDED
    assert market.credit_of(buyer.recipient.address) == PRICE + BOND  # the owner's bond is forfeited


# --- issue 21: arbiters the clients trust ---------------------------------------------------


def assert_nothing_shared(registry, storage, proxies, file_id: bytes, buyer) -> None:
    """No grant on chain and no kfrag at any proxy: nothing lets the buyer open the file."""
    assert not registry.is_granted(file_id, buyer.address)
    sealed = storage.sealed_key(file_id)
    for proxy in proxies:
        with pytest.raises(AccessDeniedError, match="holds no kfrag"):
            proxy.reencrypt(file_id, buyer.address, sealed)


def test_the_accomplice_arbiter_attack_stops_before_any_proof_grant_or_kfrag_leaves_the_owner(
    buyer, seller, accomplice, clients, servers, requirement, record, chain
):
    # The buyer names a second account of its own as arbiter (its client would refuse: it posts
    # through the market client), to receive the record, dispute and have the accomplice refund it.
    registry, market = clients[0], clients[1]
    storage, proxies = servers
    posted = post_raw(market, buyer.account, requirement, accomplice.address, chain)
    receipt = seller.upload_record(record, storage, block_size=128)
    with pytest.raises(UntrustedArbiterError) as refused:
        seller.offer(
            market, requirement_id=posted.requirement_id, opening=requirement, record=record, buyer=buyer.address
        )
    assert (refused.value.arbiter, refused.value.requirement_id) == (accomplice.address, posted.requirement_id)
    assert market.match_count() == 0
    assert_nothing_shared(registry, storage, proxies, receipt.file_id, buyer)
    with pytest.raises(AccessDeniedError, match="only 0 of the 2 cfrags"):
        buyer.receive(
            receipt.file_id,
            storage=storage,
            proxies=proxies,
            threshold=2,
            verifying_pk=seller.signer.public_key,
            opens=record_opens,
        )


def test_delivering_on_a_requirement_whose_arbiter_the_buyer_controls_is_refused(
    buyer, seller, accomplice, clients, servers, requirement, record, chain
):
    registry, market = clients[0], clients[1]
    storage, proxies = servers
    posted = post_raw(market, buyer.account, requirement, accomplice.address, chain)
    receipt = seller.upload_record(record, storage, block_size=128)
    proof = prove(record, requirement, seller.address)  # a match made outside the owner's client
    matched = market.submit(
        sender=seller.account, requirement_id=posted.requirement_id, file_id=receipt.file_id, proof=proof
    )
    with pytest.raises(UntrustedArbiterError, match=f"names arbiter {accomplice.address}"):
        seller.deliver(market, matched.match_id, buyer.recipient, proxies, threshold=2)
    assert market.get_match(matched.match_id).state is MatchState.MATCHED
    assert_nothing_shared(registry, storage, proxies, receipt.file_id, buyer)


def test_an_offer_naming_an_allow_listed_arbiter_contract_is_matched(
    ConsortiumArbiter, buyer, clients, servers, requirement, record, accounts, chain
):
    registry, market, consortium = clients[0], clients[1], clients[2]
    other = ConsortiumArbiter.deploy(consortium.address, market.address, {"from": accounts[0]})
    trusting = DataOwner(accounts[3], registry, arbiters=ArbiterPolicy(clients[3].address, frozenset({other.address})))
    posted = post_raw(market, buyer.account, requirement, other.address, chain)
    trusting.upload_record(record, servers[0], block_size=128)
    matched = trusting.offer(
        market, requirement_id=posted.requirement_id, opening=requirement, record=record, buyer=buyer.address
    )
    assert matched.state is MatchState.MATCHED


def test_an_offer_naming_an_allow_listed_plain_account_is_refused(
    buyer, clients, servers, requirement, record, accomplice, accounts, chain
):
    registry, market = clients[0], clients[1]
    lax = DataOwner(accounts[3], registry, arbiters=ArbiterPolicy(clients[3].address, frozenset({accomplice.address})))
    posted = post_raw(market, buyer.account, requirement, accomplice.address, chain)
    lax.upload_record(record, servers[0], block_size=128)
    with pytest.raises(UntrustedArbiterError, match="found an account with no code"):
        lax.offer(market, requirement_id=posted.requirement_id, opening=requirement, record=record, buyer=buyer.address)
    assert market.match_count() == 0


def test_a_buyer_refuses_to_post_naming_an_arbiter_it_does_not_trust(buyer, accomplice, clients, requirement, chain):
    nonce_before = buyer.account.nonce
    with pytest.raises(UntrustedArbiterError, match="found an arbiter on neither"):
        buyer.post_requirement(clients[1], requirement, arbiter=accomplice.address, **terms(chain))
    assert buyer.account.nonce == nonce_before


# --- issue 23, finding 4: squatting on a buyer's commitment ---------------------------------


def test_an_offer_to_a_squatters_copy_of_the_buyers_requirement_is_refused(
    buyer, seller, clients, servers, requirement, record, accounts, chain
):
    market, arbiter = clients[1], clients[3]
    squatter = accounts[4]
    squatted = post_raw(market, squatter, requirement, arbiter.address, chain, price_wei=1, capacity=1)
    seller.upload_record(record, servers[0], block_size=128)
    with pytest.raises(IntegrityError, match=f"posted by {squatter.address}, not by the expected buyer"):
        seller.offer(
            market,
            requirement_id=squatted.requirement_id,
            opening=requirement,
            record=record,
            buyer=buyer.address,
        )
    assert market.match_count() == 0


def test_the_buyer_posts_after_a_squatter_and_the_owner_finds_the_buyers_requirement(
    buyer, seller, clients, servers, requirement, record, accounts, chain
):
    market, arbiter = clients[1], clients[3]
    post_raw(market, accounts[4], requirement, arbiter.address, chain, price_wei=1, capacity=1)
    posted = buyer.post_requirement(market, requirement, arbiter=arbiter.address, **terms(chain))
    found = market.requirement_id_of(buyer.address, requirement.commitment_bytes)
    seller.upload_record(record, servers[0], block_size=128)
    matched = seller.offer(market, requirement_id=found, opening=requirement, record=record, buyer=buyer.address)
    assert (found, matched.requirement_id) == (posted.requirement_id, posted.requirement_id)
