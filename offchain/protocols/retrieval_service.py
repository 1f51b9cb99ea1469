"""The retrieval service of content-based image retrieval, and the hospitals' sealing of features.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 6: hospitals
publish their images' MPEG-7 features (§6.3.1); the retrieval service syncs them from the chain
into its index (§6.4.1), handles add, delete and update (§6.5.2), ranks by Euclidean distance
(Eq. 6.5) and answers a registered user's on-chain query (§6.5.1).

Who learns what:

* Outsiders reading the chain learn a record's image id, label code, locator, version and the
  keccak256 of its *encrypted* feature: nothing about the feature. A feature leaves its hospital
  sealed to the service (:func:`seal_feature`): AES-256-GCM envelope under a fresh data key
  bound to the image id, the data key sealed with Umbral to the service's public key (so the
  hospital can also re-encrypt it to other authorised parties). The research's feature
  encryption (Eq. 6.1–6.4) is deliberately not used: its ciphertexts preserve distances and its
  modulus is public, so it hides nothing from chain readers.
* The retrieval service is trusted with the features, as in the research: it decrypts them and
  searches in plaintext (:class:`~offchain.vision.index.ExactIndex`, exact by default).
* In plaintext mode (:meth:`RetrievalService.answer`) the service also sees the query vector. In
  private mode (:meth:`RetrievalService.answer_private`) the user encrypts its query under its
  own CKKS key (:mod:`offchain.vision.private_query`), after projecting it through the
  service's PCA of the index (:meth:`RetrievalService.query_projection`, so the user learns that
  projection); the service returns encrypted scores for every indexed image with the image ids
  in score order, and learns nothing of the query but its projected length; the user decrypts,
  takes its top K and checks the chosen records against the chain.
* Integrity: before indexing, every record of a batch is hashed (:func:`feature_record_digest`)
  and the batch's tree is rebuilt and compared with the root stored in ``MerkleAnchor``; a
  record that does not match (the chain's node or a relay lied) raises :class:`TamperedRecordError`
  and nothing of that batch is indexed. A record whose blob cannot be had, does not hash to its
  feature digest, or does not open to a finite vector of the index's dimension (a faulty or
  malicious hospital, or a storage server that lost or altered the blob) is *refused*: not
  indexed, its image's earlier version taken out of the index (the chain's current record is
  this one), the refusal kept with its reason (:meth:`RetrievalService.refused`), and the rest of
  the batch and the later batches indexed, so that one member cannot stop the service for all
  (:meth:`RetrievalService.retry_refused` tries the refused records again, once their blobs are
  in place). Every result carries its record, batch and inclusion proof
  (:meth:`RetrievalService.evidence`), which the user checks against the anchored root, in
  Python and through the contract (:meth:`FeatureIndexClient.check_evidence`): a record that
  was tampered with, proven in another batch, deleted or superseded is refused. The chain records
  that the service answered a query and with which result hash; neither proves that the answer
  is the true top K (only that each record returned is a current, anchored one).

State: one SQLite file (any SQLAlchemy URL) with the indexed records and the last synced batch;
the vectors are reloaded into the in-memory index on start.
"""

from __future__ import annotations

import dataclasses
import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from eth_utils import keccak
from numpy.typing import NDArray
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from umbral_pre import PublicKey, SecretKey

from offchain.chain.feature_index import (
    FeatureIndexClient,
    FeatureRecord,
    PublishedBatch,
    RecordEvidence,
    TamperedRecordError,
    feature_record_digest,
)
from offchain.crypto import envelope, pre
from offchain.crypto.merkle import InclusionProof, MerkleTree
from offchain.database import open_engine
from offchain.errors import IntegrityError, InvalidInputError, OffchainError, StorageError
from offchain.validation import real_array
from offchain.vision import private_query
from offchain.vision.index import ExactIndex, FaissIndex

__all__ = [
    "PrivateAnswer",
    "RecordEvidence",
    "RefusedRecord",
    "RetrievalHit",
    "RetrievalService",
    "TamperedRecordError",
    "open_feature",
    "result_hash",
    "seal_feature",
]

logger = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")


def seal_feature(vector: NDArray[np.float32], *, image_id: bytes, service_pk: PublicKey) -> bytes:
    """A hospital's encrypted feature blob: Umbral-sealed data key || AES-GCM envelope of the vector.

    Format: ``len(sealed) (4 bytes, big-endian) || SealedKey.to_bytes() || envelope``; the
    envelope is bound to ``image_id``, the plaintext is the vector as little-endian float32.

    Raises:
        InvalidInputError: on a non-1-D or non-finite vector or a bad image id.
    """
    array = real_array(vector, "<f4", what="a feature")
    if array.ndim != 1 or array.size == 0:
        raise InvalidInputError(f"a feature is a non-empty 1-D vector, got shape {array.shape}")
    data_key = envelope.new_data_key()
    sealed = pre.seal(service_pk, data_key).to_bytes()
    return _LENGTH.pack(len(sealed)) + sealed + envelope.encrypt(array.tobytes(), data_key, file_id=image_id)


def open_feature(blob: bytes, *, image_id: bytes, service_sk: SecretKey) -> NDArray[np.float32]:
    """The vector of a blob made by :func:`seal_feature`.

    Raises:
        VerificationError: wrong key, wrong image id, or a modified blob.
        InvalidInputError: a blob of another format.
    """
    if len(blob) < _LENGTH.size:
        raise InvalidInputError("a feature blob starts with a 4-byte length")
    (length,) = _LENGTH.unpack_from(blob)
    sealed = pre.SealedKey.from_bytes(blob[_LENGTH.size : _LENGTH.size + length])
    data_key = pre.open_sealed(service_sk, sealed)
    plaintext = envelope.decrypt(blob[_LENGTH.size + length :], data_key, file_id=image_id)
    return np.frombuffer(plaintext, dtype="<f4").astype(np.float32)


@dataclass(frozen=True)
class RetrievalHit:
    """One result: the image, its label code, its Euclidean distance to the query, and (in an
    answer) the evidence its user checks with :meth:`FeatureIndexClient.check_evidence`."""

    image_id: bytes
    label: int
    distance: float
    evidence: RecordEvidence | None = None


@dataclass(frozen=True)
class PrivateAnswer:
    """The service's answer to a private query.

    Attributes:
        image_ids: The indexed images, in the order of the encrypted scores.
        labels: Their label codes, in the same order.
        blocks: The serialised CKKS score ciphertexts.
    """

    image_ids: tuple[bytes, ...]
    labels: tuple[int, ...]
    blocks: tuple[bytes, ...]

    @property
    def result_hash(self) -> bytes:
        """keccak256 of the image ids then the ciphertexts: what goes on chain."""
        return bytes(keccak(b"".join(self.image_ids) + b"".join(self.blocks)))

    def top_k(self, context: private_query.UserKey, k: int) -> list[RetrievalHit]:
        """The user's side: decrypt the scores, rank them and keep the ``k`` best.

        Each hit's ``distance`` holds the decrypted score ``||x − y||² − ||x||²`` on the
        projected descriptor (same order as that distance).
        """
        scores = private_query.decrypt_scores(context, list(self.blocks), len(self.image_ids))
        return [
            RetrievalHit(self.image_ids[int(i)], self.labels[int(i)], float(scores[int(i)]))
            for i in private_query.top_k(scores, k)
        ]


def result_hash(hits: list[RetrievalHit]) -> bytes:
    """keccak256 of an answer: the concatenated image ids, in rank order (what goes on chain)."""
    return bytes(keccak(b"".join(hit.image_id for hit in hits)))


def _record_columns_in_place() -> list[Column[Any]]:
    """A record's columns and its place in the anchored batch (the evidence returned with a
    result): fresh objects for each table that holds them."""
    return [
        Column("image_id", LargeBinary(32), primary_key=True),
        Column("version", Integer, nullable=False),
        Column("label", BigInteger, nullable=False),
        Column("feature_digest", LargeBinary(32), nullable=False),
        Column("locator", String(256), nullable=False),
        Column("hospital", String(42), nullable=False),
        Column("batch_id", BigInteger, nullable=False),
        Column("anchor_batch_id", BigInteger, nullable=False),
        Column("proof", LargeBinary, nullable=False),
    ]


_metadata = MetaData()
_features = Table(
    "retrieval_features",
    _metadata,
    *_record_columns_in_place(),
    Column("row_id", BigInteger, nullable=False, unique=True),
    Column("vector", LargeBinary, nullable=False),
)
#: The latest record of each image that was refused (see the module docstring), with its place.
_refused = Table(
    "retrieval_refused", _metadata, *_record_columns_in_place(), Column("reason", String(500), nullable=False)
)
_sync = Table(
    "retrieval_sync",
    _metadata,
    Column("key", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)


@dataclass(frozen=True)
class RefusedRecord:
    """A published record the service did not index, and why (see the module docstring)."""

    record: FeatureRecord
    hospital: str
    batch_id: int
    reason: str


@dataclass(frozen=True)
class _Unopened:
    """Why a record's blob gave no vector to index (a refusal's reason)."""

    reason: str


def _record_columns(record: FeatureRecord) -> dict[str, Any]:
    return {
        "image_id": record.image_id,
        "version": record.version,
        "label": record.label,
        "feature_digest": record.feature_digest,
        "locator": record.locator,
    }


def _record_of(row: Any) -> FeatureRecord:
    return FeatureRecord(
        bytes(row.image_id), int(row.version), int(row.label), bytes(row.feature_digest), str(row.locator)
    )


class RetrievalService:
    """Syncs feature batches from a ``FeatureIndex``, keeps a persisted index, answers queries.

    Args:
        client: The ``FeatureIndex`` client.
        service_sk: The service's Umbral secret key (features are sealed to its public key).
        fetch_blob: ``locator -> bytes``, e.g. a blob store's ``get``.
        database: An SQLite path or SQLAlchemy URL for the persisted index.
        dimension: The feature vectors' length.
        private_dimension: Length of the PCA projection private queries are scored on
            (default :data:`~offchain.vision.private_query.PCA_DIMENSION`, fitted on the index by
            :meth:`~offchain.vision.private_query.Projection.fit`; ``None``: the full descriptor).
        index: The plaintext-mode search index, empty, of ``dimension`` (default:
            :class:`~offchain.vision.index.ExactIndex`, exact, ties broken by image id, so two
            honest services give the same answer and the same on-chain result hash;
            ``FaissIndex(dimension, "hnsw")`` for approximate search at larger scale, ``"flat"``
            for faiss's exact search).

    Raises:
        StorageError: if the database cannot be opened.
    """

    def __init__(
        self,
        client: FeatureIndexClient,
        *,
        service_sk: SecretKey,
        fetch_blob: Callable[[str], bytes],
        database: str | Path,
        dimension: int,
        private_dimension: int | None = private_query.PCA_DIMENSION,
        index: ExactIndex | FaissIndex | None = None,
    ) -> None:
        self.client = client
        self._service_sk = service_sk
        self._fetch_blob = fetch_blob
        try:
            self._engine = open_engine(database)
            _metadata.create_all(self._engine)
        except (SQLAlchemyError, ValueError, OSError) as exc:
            raise StorageError(f"cannot open the retrieval index {database}: {exc}") from exc
        if index is not None and (len(index) != 0 or index.dimension != dimension):
            raise InvalidInputError(f"the search index must be empty and of dimension {dimension}")
        self.index = index if index is not None else ExactIndex(dimension)
        self._private_dimension = private_dimension
        self._plan: private_query.ScoringPlan | None = None
        self._by_row: dict[int, tuple[bytes, int]] = {}
        self._rows: dict[bytes, int] = {}
        self._next_row = 1  # the next new row's id (not one freed by a deletion, within a run)
        with self._engine.connect() as connection:
            rows: list[Any] = list(connection.execute(select(_features)))
        for row in rows:
            self._remember(bytes(row.image_id), int(row.row_id), int(row.label), np.frombuffer(row.vector, dtype="<f4"))

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    @property
    def synced_batch(self) -> int:
        """The last feature batch indexed (0: none)."""
        with self._engine.connect() as connection:
            value = connection.execute(select(_sync.c.value).where(_sync.c.key == "batch")).scalar()
        return int(value or 0)

    def __len__(self) -> int:
        return len(self.index)

    def sync(self) -> int:
        """Index every batch published after :attr:`synced_batch`; returns how many were indexed.

        A record that cannot be indexed is refused and the sync goes on (see the module
        docstring, :meth:`refused`).

        Raises:
            TamperedRecordError: a batch's records do not hash to its anchored root (the node
                lied); the batches before it stay indexed, it and the later ones are not.
        """
        count = 0
        for batch in self.client.batches(from_batch=self.synced_batch + 1):
            self.ingest(batch)
            count += 1
        return count

    def ingest(self, batch: PublishedBatch) -> None:
        """Verify ``batch`` against its anchored root, then add, update or delete its records,
        refusing those whose blob gives no vector to index (kept in :meth:`refused`).

        Raises:
            TamperedRecordError: see :meth:`sync`; nothing of the batch is indexed then.
        """
        if batch.batch_id != self.synced_batch + 1:
            raise InvalidInputError(f"expected batch {self.synced_batch + 1}, got {batch.batch_id}")
        tree = MerkleTree.from_digests(
            [feature_record_digest(self.client.address, batch.hospital, r) for r in batch.records]
        )
        anchored = self.client.anchored_root(batch.anchor_batch_id)
        if tree.root != anchored:
            raise TamperedRecordError(
                f"batch {batch.batch_id}: its records hash to root 0x{tree.root.hex()}, "
                f"the anchor holds 0x{anchored.hex()}"
            )
        opened = [None if r.deleted else self._open(r) for r in batch.records]  # before any change
        self._plan = None  # the private-query packing is rebuilt on the next private query
        changes: list[Callable[[], None]] = []
        rows: dict[bytes, int | None] = {}  # the batch's own changes of self._rows, until committed
        with self._engine.begin() as connection:
            for position, (record, vector) in enumerate(zip(batch.records, opened, strict=True)):
                place = {
                    "hospital": batch.hospital,
                    "batch_id": batch.batch_id,
                    "anchor_batch_id": batch.anchor_batch_id,
                    "proof": tree.proof(position).to_bytes(),
                }
                changes += self._apply(connection, record, vector, place, rows)
            connection.execute(delete(_sync).where(_sync.c.key == "batch"))
            connection.execute(insert(_sync).values(key="batch", value=batch.batch_id))
        for change in changes:  # the in-memory index follows the committed rows
            change()
        logger.info("indexed batch %d (%d records)", batch.batch_id, len(batch.records))

    def refused(self) -> list[RefusedRecord]:
        """The records refused and not superseded since (each image's latest), oldest batch first."""
        with self._engine.connect() as connection:
            rows = list(connection.execute(select(_refused).order_by(_refused.c.batch_id, _refused.c.image_id)))
        return [RefusedRecord(_record_of(row), str(row.hospital), int(row.batch_id), str(row.reason)) for row in rows]

    def retry_refused(self) -> int:
        """Try every refused record again (its blob may be in place now); returns how many were
        indexed. Those that fail again stay refused, with the new reason."""
        with self._engine.connect() as connection:
            rows = list(connection.execute(select(_refused)))
        indexed = 0
        for row in rows:
            record = _record_of(row)
            vector = self._open(record)
            place = {key: getattr(row, key) for key in ("hospital", "batch_id", "anchor_batch_id", "proof")}
            self._plan = None
            with self._engine.begin() as connection:
                changes = self._apply(connection, record, vector, place, {})
            for change in changes:
                change()
            indexed += not isinstance(vector, _Unopened)
        return indexed

    def _open(self, record: FeatureRecord) -> NDArray[np.float32] | _Unopened:
        """The record's vector, or why it gives none (not raised: the caller refuses the record)."""
        try:
            blob = self._fetch_blob(record.locator)
        except (OffchainError, KeyError, OSError) as exc:
            return _Unopened(f"its blob at {record.locator} cannot be had: {exc!r}")
        if bytes(keccak(blob)) != record.feature_digest:
            return _Unopened(f"the blob at {record.locator} does not hash to its feature digest")
        try:
            vector = open_feature(blob, image_id=record.image_id, service_sk=self._service_sk)
        except (OffchainError, ValueError) as exc:
            return _Unopened(f"its blob does not open: {exc!r}")
        if vector.shape != (self.index.dimension,) or not np.isfinite(vector).all():
            return _Unopened(
                f"its blob opens to {vector.size} values{'' if np.isfinite(vector).all() else ' not all finite'}, "
                f"not {self.index.dimension} finite ones"
            )
        return vector

    def _apply(
        self,
        connection: Any,
        record: FeatureRecord,
        vector: NDArray[np.float32] | _Unopened | None,
        place: dict[str, Any],
        rows: dict[bytes, int | None],
    ) -> list[Callable[[], None]]:
        """Write one record's rows (a deletion when ``vector`` is ``None``, a refusal when it is
        :class:`_Unopened`); returns the changes of the in-memory index, made once committed.
        ``rows`` holds the row ids the transaction has changed so far (``None``: deleted)."""
        image_id = record.image_id
        row_id = rows[image_id] if image_id in rows else self._rows.get(image_id)
        connection.execute(delete(_refused).where(_refused.c.image_id == image_id))
        if isinstance(vector, _Unopened):
            logger.warning("refused image 0x%s of batch %s: %s", image_id.hex(), place["batch_id"], vector.reason)
            connection.execute(insert(_refused).values(**_record_columns(record), **place, reason=vector.reason[:500]))
        if vector is None or isinstance(vector, _Unopened):
            if row_id is None:
                return []
            connection.execute(delete(_features).where(_features.c.image_id == image_id))
            rows[image_id] = None
            return [lambda: self._forget(image_id, row_id)]
        columns = {**_record_columns(record), **place, "vector": vector.astype("<f4").tobytes()}
        if row_id is None:
            new_row, self._next_row = self._next_row, self._next_row + 1
            connection.execute(insert(_features).values(row_id=new_row, **columns))
            rows[image_id] = new_row
            return [lambda: self._remember(image_id, new_row, record.label, vector)]
        connection.execute(update(_features).where(_features.c.image_id == image_id).values(**columns))
        return [lambda: self._replace(image_id, row_id, record.label, vector)]

    def _remember(self, image_id: bytes, row_id: int, label: int, vector: NDArray[np.float32]) -> None:
        self.index.add([row_id], np.asarray(vector, dtype=np.float32)[None, :])
        self._by_row[row_id] = (image_id, label)
        self._rows[image_id] = row_id
        self._next_row = max(self._next_row, row_id + 1)

    def _replace(self, image_id: bytes, row_id: int, label: int, vector: NDArray[np.float32]) -> None:
        self.index.update([row_id], np.asarray(vector, dtype=np.float32)[None, :])
        self._by_row[row_id] = (image_id, label)

    def _forget(self, image_id: bytes, row_id: int) -> None:
        self.index.delete([row_id])
        del self._by_row[row_id], self._rows[image_id]

    def search(self, query: NDArray[np.float32], k: int) -> list[RetrievalHit]:
        """The ``k`` nearest indexed images to ``query`` (plaintext mode), nearest first."""
        distances, rows = self.index.search(query, k)  # the index checks the query
        return [
            RetrievalHit(self._by_row[int(row)][0], self._by_row[int(row)][1], float(distance))
            for distance, row in zip(distances[0], rows[0], strict=True)
        ]

    def evidence(self, image_ids: list[bytes]) -> list[RecordEvidence]:
        """The indexed record of each image, with its batch and inclusion proof, in the order given.

        In private mode, asking for the evidence of one's top K tells the service which images
        were chosen; a user who would rather not rebuilds the same evidence from the batch's
        events (:meth:`FeatureIndexClient.batches`).

        Raises:
            InvalidInputError: an image that is not indexed.
        """
        with self._engine.connect() as connection:
            rows = {
                bytes(row.image_id): row
                for row in connection.execute(select(_features).where(_features.c.image_id.in_(list(image_ids))))
            }
        result = []
        for image_id in image_ids:
            row = rows.get(bytes(image_id))
            if row is None:
                raise InvalidInputError(f"image 0x{bytes(image_id).hex()} is not indexed")
            result.append(
                RecordEvidence(
                    record=_record_of(row),
                    hospital=str(row.hospital),
                    batch_id=int(row.batch_id),
                    anchor_batch_id=int(row.anchor_batch_id),
                    proof=InclusionProof.from_bytes(bytes(row.proof)),
                )
            )
        return result

    def answer(self, *, sender: Any, query_id: int, query: NDArray[np.float32]) -> list[RetrievalHit]:
        """Answer on-chain query ``query_id`` in plaintext mode: search, then log the result hash.

        Each hit carries its :class:`RecordEvidence`, which the user checks with
        :meth:`FeatureIndexClient.check_evidence` before trusting it.

        Raises:
            IntegrityError: if ``query`` does not hash to the query's on-chain hash.
            TransactionRevertedError: ``FeatureIndexNotService``, ``FeatureIndexAlreadyAnswered``.
        """
        state = self.client.get_query(query_id)
        vector = real_array(query, "<f4", what="a query")
        if bytes(keccak(vector.tobytes())) != state.query_hash:
            raise IntegrityError(f"query {query_id}: the vector given is not the one whose hash is on record")
        found = self.search(vector, state.top_k)
        evidence = self.evidence([hit.image_id for hit in found])
        hits = [dataclasses.replace(hit, evidence=proof) for hit, proof in zip(found, evidence, strict=True)]
        self.client.answer_query(sender=sender, query_id=query_id, result_hash=result_hash(hits))
        return hits

    def _private_plan(self) -> tuple[private_query.ScoringPlan, list[int]]:
        rows = sorted(self._by_row)
        if not rows:
            raise InvalidInputError("the index is empty: nothing to score a private query against")
        if self._plan is None:
            matrix = np.stack([self.index.vector(row) for row in rows]).astype(np.float64)
            projection = (
                private_query.Projection.identity(matrix.shape[1])
                if self._private_dimension is None
                else private_query.Projection.fit(matrix, self._private_dimension)
            )
            self._plan = private_query.ScoringPlan(matrix, projection)
        return self._plan, rows

    def query_projection(self) -> private_query.Projection:
        """The projection private queries go through now: the user builds its key with it
        (:func:`~offchain.vision.private_query.new_user_context`). It changes when a batch is
        indexed; a query made with an older one is refused with ``InvalidInputError``.

        Raises:
            InvalidInputError: the index is empty.
        """
        return self._private_plan()[0].projection

    def answer_private(
        self, *, sender: Any, query_id: int, public_context: bytes, encrypted_query: bytes
    ) -> PrivateAnswer:
        """Answer on-chain private query ``query_id``: encrypted scores of every indexed image.

        Raises:
            IntegrityError: if ``encrypted_query`` does not hash to the on-chain query hash.
            InvalidInputError: a bad key set or ciphertext, or one made for another projection
                (see :meth:`~offchain.vision.private_query.ScoringPlan.scores`).
            TransactionRevertedError: ``FeatureIndexNotService``, ``FeatureIndexAlreadyAnswered``.
        """
        state = self.client.get_query(query_id)
        if bytes(keccak(encrypted_query)) != state.query_hash:
            raise IntegrityError(f"query {query_id}: the ciphertext given is not the one whose hash is on record")
        plan, rows = self._private_plan()
        blocks = plan.scores(public_context, encrypted_query)
        answer = PrivateAnswer(
            image_ids=tuple(self._by_row[row][0] for row in rows),
            labels=tuple(self._by_row[row][1] for row in rows),
            blocks=tuple(blocks),
        )
        self.client.answer_query(sender=sender, query_id=query_id, result_hash=answer.result_hash)
        return answer
