"""offchain.chain.feature_index against a deployed FeatureIndex: batches read back from events,
digests and proofs agreeing with the contract, users and queries, typed refusals."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from offchain.chain.feature_index import (
    FeatureIndexClient,
    FeatureRecord,
    UnknownQueryError,
    feature_record_digest,
)
from offchain.crypto.merkle import MerkleTree
from offchain.errors import InvalidInputError, TransactionRevertedError
from tests.helpers import deploy_feature_index


def record(n: int, version: int = 1) -> FeatureRecord:
    return FeatureRecord(
        keccak(b"image %d" % n), version, n % 3, keccak(b"feature %d/%d" % (n, version)), f"sha256:{n}"
    )


@pytest.fixture(scope="module")
def service(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def client(FeatureIndex, MerkleAnchor, consortium, service, deployer):
    contract, _ = deploy_feature_index(FeatureIndex, MerkleAnchor, consortium, service, deployer)
    return FeatureIndexClient(contract, from_block=contract.tx.block_number)


def test_batches_come_back_from_events_with_the_anchored_root(client, agencies):
    hospital = agencies[0]
    first = client.publish_batch(sender=hospital, records=[record(n) for n in range(3)])
    second = client.publish_batch(
        sender=hospital, records=[record(1, 2), FeatureRecord.tombstone(record(2).image_id, 2)]
    )
    read = client.batches()
    assert [b.batch_id for b in read] == [1, 2]
    assert read[0].records == first.records and read[1].records == second.records
    for batch in read:
        tree = MerkleTree.from_digests([feature_record_digest(client.address, hospital, r) for r in batch.records])
        assert tree.root == batch.root
    assert client.batches(from_batch=2)[0].records[1].deleted
    assert client.current_version(record(2).image_id) == (2, True)


def test_python_digest_and_proof_agree_with_the_contract(client, agencies):
    hospital = agencies[0]
    records = [record(n) for n in range(5)]
    client.publish_batch(sender=hospital, records=records)
    tree = MerkleTree.from_digests([feature_record_digest(client.address, hospital, r) for r in records])
    assert bytes(client.contract.recordDigest(hospital, records[3].as_tuple())) == tree.digest(3)
    assert client.verify_record(records[3], 3, list(tree.proof(3).siblings))
    assert not client.verify_record(records[3], 2, list(tree.proof(2).siblings))


def test_a_query_and_its_answer_are_on_record(client, agencies, accounts, service):
    user = accounts[9]
    client.register_user(sender=agencies[1], user=user)
    assert client.is_user(user)
    query_id = client.submit_query(sender=user, query_hash=keccak(b"q"), top_k=10, private_mode=False)
    client.answer_query(sender=service, query_id=query_id, result_hash=keccak(b"r"))
    state = client.get_query(query_id)
    assert (state.user, state.top_k, state.answered, state.result_hash) == (user.address, 10, True, keccak(b"r"))
    with pytest.raises(TransactionRevertedError) as raised:
        client.answer_query(sender=service, query_id=query_id, result_hash=keccak(b"r2"))
    assert raised.value.error_name == "FeatureIndexAlreadyAnswered"
    client.revoke_user(sender=agencies[1], user=user)
    assert not client.is_user(user)


def test_bad_input_is_refused_before_sending(client, agencies):
    with pytest.raises(InvalidInputError):
        FeatureRecord(b"\x00" * 32, 1, 0, keccak(b"f"), "loc")
    with pytest.raises(InvalidInputError):
        FeatureRecord(keccak(b"i"), 1, 0, keccak(b"f"), "")  # a live record needs a locator
    with pytest.raises(InvalidInputError):
        client.publish_batch(sender=agencies[0], records=[])
    with pytest.raises(InvalidInputError):
        client.submit_query(sender=agencies[0], query_hash=keccak(b"q"), top_k=0, private_mode=True)
    with pytest.raises(UnknownQueryError):
        client.get_query(7)
