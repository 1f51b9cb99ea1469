"""The data market's flows end to end: the Buyer's and DataOwner's steps on the local chain.

Feng et al. 2022 §5-6: a requirement posted with escrow, a record registered under its Poseidon
commitment, a validity proof submitted, the record shared through the proxies and checked by
the buyer against the chain and the requirement, then paid, or disputed and settled by the
consortium's 2/3 vote.
"""

from __future__ import annotations

import pytest

from offchain.chain.arbiter import ConsortiumArbiterClient
from offchain.chain.consortium import ConsortiumClient
from offchain.chain.market import DataMarketClient, MatchState
from offchain.chain.registry import DataRegistryClient
from offchain.errors import IntegrityError, InvalidInputError, RequirementNotMetError
from offchain.protocols import Buyer, CloudServer, DataOwner
from offchain.storage import FilesystemBlobStore
from offchain.zk import FieldRange, Record, Requirement, record_opens
from tests.helpers import VOTING_PERIOD_S

DAY = 24 * 3600
PRICE = 10**16


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
def buyer(accounts, clients):
    return Buyer(accounts[2], clients[0])


@pytest.fixture
def seller(accounts, clients):
    return DataOwner(accounts[3], clients[0])


@pytest.fixture
def posted(buyer, clients, requirement, chain):
    market, arbiter = clients[1], clients[3]
    return buyer.post_requirement(
        market,
        requirement,
        arbiter=arbiter.address,
        price_wei=PRICE,
        capacity=2,
        expires_at=chain.time() + 7 * DAY,
        grant_period_s=DAY,
        review_period_s=DAY,
    )


@pytest.fixture
def matched(seller, clients, servers, posted, requirement, record):
    seller.upload_record(record, servers[0], block_size=128)
    return seller.offer(clients[1], requirement_id=posted.requirement_id, opening=requirement, record=record)


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


def test_an_offer_against_a_wrong_opening_is_refused_before_proving(seller, clients, servers, posted, record):
    other = Requirement.create((FieldRange(0, 100, required=True), *[FieldRange.ignored()] * 7))
    seller.upload_record(record, servers[0], block_size=128)
    with pytest.raises(IntegrityError, match="does not match requirement"):
        seller.offer(clients[1], requirement_id=posted.requirement_id, opening=other, record=record)


def test_an_unqualified_record_cannot_be_offered(seller, clients, servers, posted, requirement):
    young = Record.create((35, 4019, 61, 1, 2, 3, 4, 5))
    seller.upload_record(young, servers[0], block_size=128)
    with pytest.raises(RequirementNotMetError, match="field\\(s\\) 0"):
        seller.offer(clients[1], requirement_id=posted.requirement_id, opening=requirement, record=young)


def test_the_buyer_checks_the_proof_of_a_match_without_the_chain(buyer, clients, matched, requirement):
    proof = clients[1].proof_of(matched.match_id)
    assert buyer.check_proof(proof, requirement, matched)


def test_delivery_is_confirmed_and_the_owner_is_paid(buyer, seller, clients, servers, matched, requirement, record):
    market = clients[1]
    seller.deliver(market, matched.match_id, buyer.recipient, servers[1], threshold=2)
    delivery = _take(buyer, seller, market, matched, requirement, servers)
    assert delivery.confirmed and delivery.record == record
    assert market.credit_of(seller.address) == PRICE


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
    assert market.credit_of(buyer.recipient.address) == PRICE
