"""RetrievalService against a deployed FeatureIndex: hospitals publish sealed features, the service
syncs, verifies each batch against its anchored root, adds, updates and deletes, persists its
index, searches in plaintext and answers an on-chain query (Shen, Zhu, Xu §6.4–6.5)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from eth_utils import keccak
from umbral_pre import SecretKey

from offchain.chain.feature_index import (
    FeatureIndexClient,
    FeatureRecord,
    StaleRecordError,
    WrongBatchError,
)
from offchain.crypto import envelope, pre
from offchain.errors import IntegrityError, InvalidInputError, TransactionRevertedError
from offchain.protocols.retrieval_service import RetrievalService, TamperedRecordError, result_hash, seal_feature
from offchain.vision.index import ExactIndex
from tests.helpers import deploy_feature_index

DIMENSION = 8
SERVICE_SK = SecretKey.random()
VECTORS = np.random.default_rng(16).normal(size=(6, DIMENSION)).astype(np.float32)


class Blobs(dict):
    """A content-addressed blob store in memory (locator -> blob)."""

    def put(self, blob: bytes) -> str:
        locator = "keccak:" + keccak(blob).hex()
        self[locator] = blob
        return locator


def sealed_record(blobs: Blobs, n: int, vector, version: int = 1) -> FeatureRecord:
    image_id = keccak(b"image %d" % n)
    blob = seal_feature(vector, image_id=image_id, service_pk=SERVICE_SK.public_key())
    return FeatureRecord(image_id, version, n % 2, keccak(blob), blobs.put(blob))


@pytest.fixture(scope="module")
def service_account(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def client(FeatureIndex, MerkleAnchor, consortium, service_account, deployer):
    contract, _ = deploy_feature_index(FeatureIndex, MerkleAnchor, consortium, service_account, deployer)
    return FeatureIndexClient(contract, from_block=contract.tx.block_number)


@pytest.fixture
def blobs():
    return Blobs()


@pytest.fixture
def service(client, blobs, tmp_path):
    made = RetrievalService(
        client, service_sk=SERVICE_SK, fetch_blob=blobs.__getitem__, database=tmp_path / "index.db", dimension=DIMENSION
    )
    yield made
    made.close()


def test_sync_indexes_adds_updates_and_deletes_and_survives_a_restart(client, service, blobs, agencies, tmp_path):
    hospital = agencies[0]
    records = [sealed_record(blobs, n, VECTORS[n]) for n in range(5)]
    client.publish_batch(sender=hospital, records=records)
    updated = sealed_record(blobs, 1, VECTORS[5], version=2)
    client.publish_batch(sender=hospital, records=[updated, FeatureRecord.tombstone(records[2].image_id, 2)])
    assert service.sync() == 2 and service.synced_batch == 2 and len(service) == 4
    expected = ExactIndex(DIMENSION)
    expected.add([0, 1, 3, 4], VECTORS[[0, 5, 3, 4]])
    _, rows = expected.search(VECTORS[5], 4)
    ids = [records[int(r)].image_id for r in rows[0]]
    assert [hit.image_id for hit in service.search(VECTORS[5], 4)] == ids
    assert service.search(VECTORS[5], 1)[0].distance == 0.0  # the updated vector, not the old one
    assert service.sync() == 0
    reopened = RetrievalService(
        client, service_sk=SERVICE_SK, fetch_blob=blobs.__getitem__, database=tmp_path / "index.db", dimension=DIMENSION
    )
    assert [hit.image_id for hit in reopened.search(VECTORS[5], 4)] == ids and reopened.synced_batch == 2
    reopened.close()


def test_a_tampered_record_is_refused(client, service, blobs, agencies):
    records = [sealed_record(blobs, n, VECTORS[n]) for n in range(3)]
    client.publish_batch(sender=agencies[0], records=records)
    batch = client.batches()[0]
    forged = dataclasses.replace(batch, records=(dataclasses.replace(records[0], label=9), *records[1:]))
    with pytest.raises(TamperedRecordError):
        service.ingest(forged)
    assert len(service) == 0 and service.synced_batch == 0


def test_a_record_with_another_batch_root_is_refused(client, service, blobs, agencies):
    client.publish_batch(sender=agencies[0], records=[sealed_record(blobs, 0, VECTORS[0])])
    client.publish_batch(sender=agencies[0], records=[sealed_record(blobs, 1, VECTORS[1])])
    first, second = client.batches()
    with pytest.raises(TamperedRecordError):
        service.ingest(dataclasses.replace(first, anchor_batch_id=second.anchor_batch_id))


def test_a_swapped_blob_is_refused_and_the_rest_of_its_batch_indexed(client, service, blobs, agencies):
    record, other = sealed_record(blobs, 0, VECTORS[0]), sealed_record(blobs, 1, VECTORS[1])
    client.publish_batch(sender=agencies[0], records=[record, other])
    blobs[record.locator] = seal_feature(VECTORS[1], image_id=record.image_id, service_pk=SERVICE_SK.public_key())
    assert service.sync() == 1 and service.synced_batch == 1
    assert [hit.image_id for hit in service.search(VECTORS[0], 5)] == [other.image_id]
    (refused,) = service.refused()
    assert (refused.record, refused.hospital, refused.batch_id) == (record, agencies[0].address, 1)
    assert "does not hash to its feature digest" in refused.reason


def test_the_service_answers_an_on_chain_query(client, service, blobs, agencies, accounts, service_account):
    client.publish_batch(sender=agencies[0], records=[sealed_record(blobs, n, VECTORS[n]) for n in range(4)])
    service.sync()
    user = accounts[9]
    client.register_user(sender=agencies[1], user=user)
    query = VECTORS[2] + 0.01
    query_id = client.submit_query(sender=user, query_hash=keccak(query.tobytes()), top_k=3, private_mode=False)
    with pytest.raises(IntegrityError):
        service.answer(sender=service_account, query_id=query_id, query=VECTORS[3])
    hits = service.answer(sender=service_account, query_id=query_id, query=query)
    assert hits[0].image_id == keccak(b"image 2") and len(hits) == 3
    assert client.get_query(query_id).result_hash == result_hash(hits)  # the user's check against the chain
    for hit in hits:
        client.check_evidence(hit.evidence)  # each result is a current, anchored record


def test_an_unregistered_users_query_is_refused(client, accounts):
    with pytest.raises(TransactionRevertedError) as raised:
        client.submit_query(sender=accounts[7], query_hash=keccak(b"q"), top_k=3, private_mode=False)
    assert raised.value.error_name == "FeatureIndexNotUser"


def answered_evidence(client, service, blobs, agencies, count=4):
    client.publish_batch(sender=agencies[0], records=[sealed_record(blobs, n, VECTORS[n]) for n in range(count)])
    service.sync()
    return service.evidence([keccak(b"image %d" % n) for n in range(count)])


def test_a_result_with_a_tampered_record_is_refused(client, service, blobs, agencies):
    evidence = answered_evidence(client, service, blobs, agencies)[1]
    forged = dataclasses.replace(evidence, record=dataclasses.replace(evidence.record, label=7))
    with pytest.raises(TamperedRecordError):
        client.check_evidence(forged)


def test_a_result_with_another_records_proof_is_refused(client, service, blobs, agencies):
    evidence = answered_evidence(client, service, blobs, agencies)
    with pytest.raises(TamperedRecordError):
        client.check_evidence(dataclasses.replace(evidence[1], proof=evidence[2].proof))


def test_a_result_with_a_proof_for_another_batch_is_refused(client, service, blobs, agencies):
    first = answered_evidence(client, service, blobs, agencies)[0]
    client.publish_batch(sender=agencies[0], records=[sealed_record(blobs, 5, VECTORS[5])])
    service.sync()
    (other,) = service.evidence([keccak(b"image 5")])
    moved = dataclasses.replace(
        first, batch_id=other.batch_id, anchor_batch_id=other.anchor_batch_id, proof=other.proof
    )
    with pytest.raises(WrongBatchError):
        client.check_evidence(moved)


def test_a_superseded_result_is_refused_and_the_new_version_passes(client, service, blobs, agencies):
    old = answered_evidence(client, service, blobs, agencies)[2]
    client.publish_batch(sender=agencies[0], records=[sealed_record(blobs, 2, VECTORS[3], version=2)])
    service.sync()
    with pytest.raises(StaleRecordError, match="superseded by version 2"):
        client.check_evidence(old)
    (new,) = service.evidence([keccak(b"image 2")])
    assert new.record.version == 2
    client.check_evidence(new)


def test_a_deleted_result_is_refused(client, service, blobs, agencies):
    old = answered_evidence(client, service, blobs, agencies)[0]
    client.publish_batch(sender=agencies[0], records=[FeatureRecord.tombstone(old.record.image_id, 2)])
    service.sync()
    with pytest.raises(StaleRecordError, match="deleted"):
        client.check_evidence(old)
    with pytest.raises(InvalidInputError):
        service.evidence([old.record.image_id])  # no longer indexed


def test_a_private_query_ranks_like_the_plaintext_one_and_matches_the_chain(
    client, service, blobs, agencies, accounts, service_account
):
    from offchain.vision import private_query

    client.publish_batch(sender=agencies[0], records=[sealed_record(blobs, n, VECTORS[n]) for n in range(6)])
    service.sync()
    user = accounts[9]
    client.register_user(sender=agencies[1], user=user)
    context = private_query.new_user_context(service.query_projection())
    query = VECTORS[4] + 0.05
    encrypted = private_query.encrypt_query(context, query)
    query_id = client.submit_query(sender=user, query_hash=keccak(encrypted), top_k=3, private_mode=True)
    answer = service.answer_private(
        sender=service_account,
        query_id=query_id,
        public_context=private_query.public_context(context),
        encrypted_query=encrypted,
    )
    assert client.get_query(query_id).result_hash == answer.result_hash  # the user's check against the chain
    hits = answer.top_k(context, 3)
    assert [h.image_id for h in hits] == [h.image_id for h in service.search(query, 3)]
    assert query.tobytes() not in encrypted


def test_a_faiss_index_answers_like_the_exact_default(client, service, blobs, agencies, tmp_path):
    from offchain.vision.index import FaissIndex

    client.publish_batch(sender=agencies[0], records=[sealed_record(blobs, n, VECTORS[n]) for n in range(6)])
    service.sync()
    hnsw = RetrievalService(
        client,
        service_sk=SERVICE_SK,
        fetch_blob=blobs.__getitem__,
        database=tmp_path / "hnsw.db",
        dimension=DIMENSION,
        index=FaissIndex(DIMENSION, "hnsw"),
    )
    hnsw.sync()
    assert [h.image_id for h in hnsw.search(VECTORS[1], 3)] == [h.image_id for h in service.search(VECTORS[1], 3)]
    hnsw.close()
    with pytest.raises(InvalidInputError, match="dimension"):
        RetrievalService(
            client,
            service_sk=SERVICE_SK,
            fetch_blob=blobs.__getitem__,
            database=tmp_path / "bad.db",
            dimension=DIMENSION,
            index=ExactIndex(DIMENSION + 1),
        )


# ---- records the service cannot index: refused, and nobody else's are held up -----------------


def blob_of(plaintext: bytes, image_id: bytes, service_pk=None) -> bytes:
    """A feature blob of ``seal_feature``'s format around any plaintext (seal_feature refuses
    what a malicious hospital may publish)."""
    data_key = envelope.new_data_key()
    sealed = pre.seal(service_pk or SERVICE_SK.public_key(), data_key).to_bytes()
    return len(sealed).to_bytes(4, "big") + sealed + envelope.encrypt(plaintext, data_key, file_id=image_id)


def raw_record(blobs: Blobs, n: int, blob: bytes, version: int = 1) -> FeatureRecord:
    return FeatureRecord(keccak(b"image %d" % n), version, n % 2, keccak(blob), blobs.put(blob))


UNOPENABLE = {
    "sealed to another service": lambda image_id: blob_of(
        VECTORS[0].tobytes(), image_id, SecretKey.random().public_key()
    ),
    "bound to another image": lambda image_id: blob_of(VECTORS[0].tobytes(), keccak(b"elsewhere")),
    "another dimension": lambda image_id: blob_of(np.ones(DIMENSION + 1, "<f4").tobytes(), image_id),
    "not whole float32s": lambda image_id: blob_of(VECTORS[0].tobytes()[:-1], image_id),
    "not finite": lambda image_id: blob_of(np.full(DIMENSION, np.nan, "<f4").tobytes(), image_id),
    "empty": lambda image_id: blob_of(b"", image_id),
    "junk": lambda image_id: b"\x00\x00\x00\x05junk!",
}


@pytest.mark.parametrize("make", UNOPENABLE.values(), ids=UNOPENABLE.keys())
def test_a_blob_that_does_not_open_to_a_vector_is_refused(client, service, blobs, agencies, make, tmp_path):
    good = sealed_record(blobs, 0, VECTORS[0])
    bad = raw_record(blobs, 1, make(keccak(b"image 1")))
    client.publish_batch(sender=agencies[0], records=[good, bad])
    assert service.sync() == 1 and len(service) == 1
    assert [(r.record, r.batch_id) for r in service.refused()] == [(bad, 1)]
    reopened = RetrievalService(
        client, service_sk=SERVICE_SK, fetch_blob=blobs.__getitem__, database=tmp_path / "index.db", dimension=DIMENSION
    )
    assert len(reopened) == 1 and [r.record for r in reopened.refused()] == [bad]  # memory = database
    reopened.close()


def test_one_hospitals_refused_record_does_not_hold_up_the_later_batches(client, service, blobs, agencies):
    client.publish_batch(sender=agencies[0], records=[raw_record(blobs, 0, b"junk")])
    client.publish_batch(sender=agencies[1], records=[sealed_record(blobs, 1, VECTORS[1])])
    assert service.sync() == 2 and service.synced_batch == 2
    assert service.search(VECTORS[1], 1)[0].image_id == keccak(b"image 1")


def test_a_missing_blob_is_refused_and_indexed_once_retried_with_it_in_place(client, service, blobs, agencies):
    record = sealed_record(blobs, 0, VECTORS[0])
    blob = blobs.pop(record.locator)
    client.publish_batch(sender=agencies[0], records=[record])
    assert service.sync() == 1 and len(service) == 0
    assert "cannot be had" in service.refused()[0].reason
    assert service.retry_refused() == 0 and len(service.refused()) == 1  # still missing
    blobs[record.locator] = blob
    assert service.retry_refused() == 1 and service.refused() == []
    (evidence,) = service.evidence([record.image_id])
    client.check_evidence(evidence)


def test_a_refused_update_takes_the_old_version_out_of_the_index(client, service, blobs, agencies):
    client.publish_batch(sender=agencies[0], records=[sealed_record(blobs, 0, VECTORS[0])])
    update = raw_record(blobs, 0, b"junk", version=2)
    client.publish_batch(sender=agencies[0], records=[update])
    assert service.sync() == 2 and len(service) == 0
    with pytest.raises(InvalidInputError, match="not indexed"):
        service.evidence([update.image_id])  # version 1 is superseded on chain: it is not served
    assert [r.record for r in service.refused()] == [update]


def test_a_later_version_supersedes_a_refusal(client, service, blobs, agencies):
    client.publish_batch(sender=agencies[0], records=[raw_record(blobs, 0, b"junk")])
    client.publish_batch(sender=agencies[0], records=[sealed_record(blobs, 0, VECTORS[2], version=2)])
    assert service.sync() == 2 and service.refused() == []
    assert service.search(VECTORS[2], 1)[0].distance == 0.0


def test_a_new_image_updated_in_its_own_batch_is_indexed_once_at_its_last_version(client, service, blobs, agencies):
    first, second = sealed_record(blobs, 0, VECTORS[0]), sealed_record(blobs, 0, VECTORS[1], version=2)
    client.publish_batch(sender=agencies[0], records=[first, second])
    assert service.sync() == 1 and len(service) == 1
    assert service.search(VECTORS[1], 1)[0].distance == 0.0
    assert service.evidence([first.image_id])[0].record == second


def test_a_new_image_deleted_in_its_own_batch_is_not_indexed(client, service, blobs, agencies):
    record = sealed_record(blobs, 0, VECTORS[0])
    client.publish_batch(sender=agencies[0], records=[record, FeatureRecord.tombstone(record.image_id, 2)])
    assert service.sync() == 1 and len(service) == 0
