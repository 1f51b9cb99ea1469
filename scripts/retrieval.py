"""Privacy-preserving image retrieval end to end: hospitals publish, the service syncs, users query.

    brownie run scripts/retrieval.py --network ganache-cli   # not run by the docs test: the demo runs its steps

Two hospitals (consortium agencies) describe synthetic diagnostic images (MPEG-7 colour
structure, edge histogram, region shape), seal each feature to the retrieval service (envelope
+ Umbral), store the blobs and publish the records in batches on the ``FeatureIndex``, whose
roots are anchored in ``MerkleAnchor``. One hospital updates an image and deletes another. The
service syncs, verifying every batch against its anchored root. An agency registers a user, who
asks one plaintext query and one private query (CKKS); the service answers both on chain, and the
user checks each answer's hash against the chain and that the private top K equals the plaintext
one. Research: Shen, Zhu, Xu, ch. 6, §6.3–6.5.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from eth_utils import keccak
from umbral_pre import SecretKey

from offchain.chain import Session, settle
from offchain.chain.feature_index import FeatureRecord
from offchain.protocols.retrieval_service import RetrievalService, result_hash, seal_feature
from offchain.storage import FilesystemBlobStore
from offchain.vision import SyntheticImageSet, describe, private_query

IMAGES = 40
TOP_K = 5


def main() -> None:
    run(Session.load(deploy_if_missing=True))
    settle()


def run(session: Session) -> None:
    """The scenario on ``session``'s deployment (part 15 of the demo)."""
    from brownie import accounts

    index = session.feature_index
    service_account = next(a for a in accounts if a.address == index.service())
    founders = [session.consortium.contract.memberAt(i) for i in range(2)]
    hospitals = [next(a for a in accounts if a.address == f) for f in founders]
    user = accounts[1]
    service_sk = SecretKey.random()
    images = SyntheticImageSet(seed=16, size=IMAGES)
    vectors = np.stack([describe(images[i]).vector() for i in range(IMAGES)])
    with tempfile.TemporaryDirectory() as folder:
        store = FilesystemBlobStore(Path(folder) / "blobs")

        def record(i: int, vector: np.ndarray, version: int = 1) -> FeatureRecord:
            image_id = keccak(b"script image %d" % i)
            blob = seal_feature(vector, image_id=image_id, service_pk=service_sk.public_key())
            return FeatureRecord(image_id, version, images.label(i), keccak(blob), store.put(blob))

        print(f"\n== Publish: {IMAGES} images described and sealed to the service, two hospitals")
        start_batch = index.contract.batchCount() + 1
        for h, hospital in enumerate(hospitals):
            batch = index.publish_batch(sender=hospital, records=[record(i, vectors[i]) for i in range(h, IMAGES, 2)])
            print(
                f"   batch {batch.batch_id}: {len(batch.records)} records, root 0x{batch.root.hex()[:16]}…, "
                f"{batch.gas_used:,} gas ({batch.gas_used // len(batch.records):,} per record)"
            )
        update = record(0, vectors[1], version=2)
        index.publish_batch(
            sender=hospitals[0], records=[update, FeatureRecord.tombstone(keccak(b"script image 2"), 2)]
        )
        print("   hospital 0 updated image 0 (version 2) and deleted image 2")

        service = RetrievalService(
            index,
            service_sk=service_sk,
            fetch_blob=store.get,
            database=Path(folder) / "index.db",
            dimension=vectors.shape[1],
        )
        for batch in index.batches(from_batch=start_batch):
            service.ingest(batch)
        print(f"\n== Sync: {len(service)} images indexed, every batch checked against its anchored root")
        for refused in service.refused():
            image = refused.record.image_id.hex()[:12]
            print(f"   refused image 0x{image}… of batch {refused.batch_id}: {refused.reason}")

        if not index.is_user(user):
            index.register_user(sender=hospitals[1], user=user)
        query = vectors[7]
        plain_id = index.submit_query(
            sender=user, query_hash=keccak(query.astype("<f4").tobytes()), top_k=TOP_K, private_mode=False
        )
        hits = service.answer(sender=service_account, query_id=plain_id, query=query)
        assert index.get_query(plain_id).result_hash == result_hash(hits)
        for hit in hits:
            index.check_evidence(hit.evidence)  # current, anchored records (Python and the contract)
        print(
            f"\n== Plaintext query {plain_id}: labels {[h.label for h in hits]} (query label {images.label(7)}); "
            "result hash matches the chain; every record's proof checks against its anchored root"
        )

        context = private_query.new_user_context(service.query_projection())
        encrypted = private_query.encrypt_query(context, query)
        private_id = index.submit_query(sender=user, query_hash=keccak(encrypted), top_k=TOP_K, private_mode=True)
        answer = service.answer_private(
            sender=service_account,
            query_id=private_id,
            public_context=private_query.public_context(context),
            encrypted_query=encrypted,
        )
        assert index.get_query(private_id).result_hash == answer.result_hash
        private_hits = answer.top_k(context, TOP_K)
        assert [h.image_id for h in private_hits] == [h.image_id for h in hits]
        for evidence in service.evidence([h.image_id for h in private_hits]):
            index.check_evidence(evidence)
        print(
            f"== Private query {private_id}: the service saw a {len(encrypted):,}-byte CKKS ciphertext; "
            "the user's top K equals the plaintext top K; result hash matches the chain"
        )
        service.close()
