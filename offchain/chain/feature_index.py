"""Typed client of the ``FeatureIndex`` contract: feature record batches, users, queries and answers.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 6: hospital
nodes publish their images' feature records (§6.3.1, the transaction format of Fig. 6.3–6.4),
the retrieval service syncs them into its index and supports add, delete and update as new
versions (§6.5.2); a registered user's query and the service's answer are both on record
(§6.5.1). The research's feature encryption (Eq. 6.1–6.4) is not used: a record carries only
the keccak256 digest of the feature encrypted to the service (envelope + Umbral) and its
locator; the label is public, as in the research.

A batch's Merkle root is computed by the contract over the record digests
(:func:`feature_record_digest`, trees of :mod:`offchain.crypto.merkle`) and anchored through
``MerkleAnchor``; :meth:`FeatureIndexClient.batches` reads the records back from events so a
service can rebuild each batch's tree and refuse any record that does not verify.

Example::

    index = session.feature_index
    batch = index.publish_batch(sender=hospital, records=[FeatureRecord(image_id, 1, 3, digest, locator)])
    index.register_user(sender=agency, user=alice)
    query_id = index.submit_query(sender=alice, query_hash=keccak(ciphertext), top_k=20, private_mode=True)
    index.answer_query(sender=service, query_id=query_id, result_hash=keccak(answer))
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.contracts import ContractClient, call, contract_at, require_bytes32, require_uint, transact
from offchain.chain.events import get_events
from offchain.crypto.merkle import InclusionProof, verify_inclusion
from offchain.errors import ChainError, IntegrityError, InvalidInputError

__all__ = [
    "FEATURE_INDEX_CONTRACT",
    "MAX_BATCH_RECORDS",
    "MAX_LOCATOR_BYTES",
    "MAX_TOP_K",
    "FeatureIndexClient",
    "FeatureRecord",
    "PublishedBatch",
    "QueryState",
    "RecordEvidence",
    "StaleRecordError",
    "TamperedRecordError",
    "UnknownQueryError",
    "WrongBatchError",
    "feature_record_digest",
]

logger = logging.getLogger(__name__)

#: The contract's name in the project and in deployment records.
FEATURE_INDEX_CONTRACT = "FeatureIndex"
#: Largest batch (``MAX_BATCH_RECORDS``).
MAX_BATCH_RECORDS = 64
#: Longest locator in bytes (``MAX_LOCATOR_BYTES``).
MAX_LOCATOR_BYTES = 128
#: Largest ``topK`` of a query (``MAX_TOP_K``).
MAX_TOP_K = 1000
_MAX_UINT32 = (1 << 32) - 1
_ZERO32 = b"\x00" * 32


class TamperedRecordError(IntegrityError):
    """A feature record, or its encrypted blob, does not match what the chain anchored."""


class WrongBatchError(IntegrityError):
    """A record's evidence names a batch (or hospital) other than the one that holds its image."""


class StaleRecordError(IntegrityError):
    """A record that was deleted, or superseded by a newer version, was returned as current."""


class UnknownQueryError(ChainError):
    """No query was submitted under the given id."""

    def __init__(self, query_id: int) -> None:
        super().__init__(f"no query was submitted under id {query_id}")
        self.query_id = query_id


@dataclass(frozen=True)
class FeatureRecord:
    """One feature record (``IFeatureIndex.Record``).

    Attributes:
        image_id: The image's 32-byte id (non-zero).
        version: 1 for a new image, then current + 1 for each update or deletion.
        label: The diagnosis label code (public).
        feature_digest: keccak256 of the encrypted feature blob; all zero for a deletion.
        locator: Where the blob is stored (empty for a deletion).
    """

    image_id: bytes
    version: int
    label: int
    feature_digest: bytes
    locator: str

    def __post_init__(self) -> None:
        require_bytes32(self.image_id, "image_id", nonzero=True)
        require_uint(self.version, "version", low=1, high=_MAX_UINT32)
        require_uint(self.label, "label", low=0, high=_MAX_UINT32)
        require_bytes32(self.feature_digest, "feature_digest", nonzero=False)
        if not isinstance(self.locator, str):
            raise InvalidInputError(f"locator must be a str, got {type(self.locator).__name__}")
        size = len(self.locator.encode())
        if size > MAX_LOCATOR_BYTES or (size == 0) != self.deleted:
            raise InvalidInputError(
                f"locator must be 1..{MAX_LOCATOR_BYTES} bytes (empty only for a deletion), got {size} bytes"
            )

    @property
    def deleted(self) -> bool:
        """Whether this record is a tombstone (zero feature digest)."""
        return self.feature_digest == _ZERO32

    @classmethod
    def tombstone(cls, image_id: bytes, version: int, label: int = 0) -> FeatureRecord:
        """The record deleting ``image_id`` as ``version``."""
        return cls(image_id, version, label, _ZERO32, "")

    def as_tuple(self) -> tuple[bytes, int, int, bytes, str]:
        """The record as the contract's ABI tuple."""
        return (self.image_id, self.version, self.label, self.feature_digest, self.locator)


def feature_record_digest(contract: AddressLike, hospital: AddressLike, record: FeatureRecord) -> bytes:
    """The Merkle item of ``record`` published by ``hospital`` to the ``FeatureIndex`` at ``contract``.

    keccak256(abi.encode(contract, hospital, imageId, version, label, featureDigest,
    keccak256(locator))), as ``FeatureIndex.recordDigest``.
    """
    return bytes(
        keccak(
            encode(
                ["address", "address", "bytes32", "uint32", "uint32", "bytes32", "bytes32"],
                [
                    require_address(contract, "contract"),
                    require_address(hospital, "hospital"),
                    record.image_id,
                    record.version,
                    record.label,
                    record.feature_digest,
                    keccak(record.locator.encode()),
                ],
            )
        )
    )


@dataclass(frozen=True)
class PublishedBatch:
    """A published batch, as its events tell it.

    Attributes:
        batch_id: The feature batch id.
        hospital: Checksummed address of its publisher.
        anchor_batch_id: The ``MerkleAnchor`` batch holding its root.
        root: The anchored root (32 bytes).
        records: The records in tree order.
        block_number: The block that published it.
        tx_hash: 0x-prefixed hash of the publishing transaction.
        gas_used: Gas it used, when this came from the transaction.
    """

    batch_id: int
    hospital: str
    anchor_batch_id: int
    root: bytes
    records: tuple[FeatureRecord, ...]
    block_number: int
    tx_hash: str
    gas_used: int | None = None


@dataclass(frozen=True)
class RecordEvidence:
    """What a retrieval result carries so that its user can check it (§6.5.1, verifiable results).

    Attributes:
        record: The feature record as published.
        hospital: Checksummed address of the hospital that published it.
        batch_id: The feature batch that holds it.
        anchor_batch_id: The ``MerkleAnchor`` batch holding that batch's root.
        proof: Its inclusion proof in the batch's tree (``proof.index``: its position).
    """

    record: FeatureRecord
    hospital: str
    batch_id: int
    anchor_batch_id: int
    proof: InclusionProof


@dataclass(frozen=True)
class QueryState:
    """A query as the contract stores it.

    Attributes:
        query_id: Its id.
        user: Checksummed address of who asked.
        submitted_at: When, in seconds.
        answered_at: When answered, in seconds (0: not yet).
        top_k: Results asked for.
        private_mode: Whether the query was encrypted.
        query_hash: keccak256 of the (encrypted) query.
        result_hash: keccak256 of the answer (all zero: not yet).
    """

    query_id: int
    user: str
    submitted_at: int
    answered_at: int
    top_k: int
    private_mode: bool
    query_hash: bytes
    result_hash: bytes

    @property
    def answered(self) -> bool:
        """Whether the service answered."""
        return self.answered_at != 0


def _record_from_event(args: Any, deleted: bool) -> tuple[int, FeatureRecord]:
    image_id = bytes(args["imageId"])
    if deleted:
        return int(args["index"]), FeatureRecord.tombstone(image_id, int(args["version"]), int(args["label"]))
    return int(args["index"]), FeatureRecord(
        image_id, int(args["version"]), int(args["label"]), bytes(args["featureDigest"]), str(args["locator"])
    )


class FeatureIndexClient(ContractClient):
    """Feature record batches, users and queries through a deployed ``FeatureIndex``.

    Inputs are checked here first; the contract's checks come back as
    :class:`~offchain.errors.TransactionRevertedError` named after its custom error.

    Args:
        contract: Brownie handle of the deployed contract.
        from_block: Where event scans start (the contract's deployment block).
    """

    def publish_batch(self, *, sender: Any, records: list[FeatureRecord]) -> PublishedBatch:
        """Publish ``records`` (1..64) as one batch from ``sender``, a consortium member.

        Raises:
            InvalidInputError: on an empty or oversized batch; nothing is sent.
            TransactionRevertedError: ``FeatureIndexNotMember``, ``FeatureIndexBadVersion``,
                ``FeatureIndexNotImageOwner``, ``FeatureIndexNothingToDelete``.
        """
        if not isinstance(records, list | tuple) or not all(isinstance(r, FeatureRecord) for r in records):
            raise InvalidInputError("records must be a list of FeatureRecord")
        if not 1 <= len(records) <= MAX_BATCH_RECORDS:
            raise InvalidInputError(f"a batch holds 1..{MAX_BATCH_RECORDS} records, got {len(records)}")
        receipt = transact(self.contract, "publishBatch", [r.as_tuple() for r in records], sender=sender)
        event = receipt.events["BatchPublished"]
        return PublishedBatch(
            batch_id=int(event["batchId"]),
            hospital=to_checksum_address(event["hospital"]),
            anchor_batch_id=int(event["anchorBatchId"]),
            root=bytes(event["root"]),
            records=tuple(records),
            block_number=int(receipt.block_number),
            tx_hash=str(receipt.txid),
            gas_used=int(receipt.gas_used),
        )

    def register_user(self, *, sender: Any, user: AddressLike) -> None:
        """Register ``user`` from ``sender``, a consortium member.

        Raises:
            TransactionRevertedError: ``FeatureIndexNotMember``, ``FeatureIndexUserExists``.
        """
        transact(self.contract, "registerUser", require_address(user, "user", nonzero=True), sender=sender)

    def revoke_user(self, *, sender: Any, user: AddressLike) -> None:
        """Revoke ``user``, registered by ``sender``.

        Raises:
            TransactionRevertedError: ``FeatureIndexNotUserAgency``.
        """
        transact(self.contract, "revokeUser", require_address(user, "user", nonzero=True), sender=sender)

    def submit_query(self, *, sender: Any, query_hash: bytes, top_k: int, private_mode: bool) -> int:
        """Put a query's hash on record; returns its id.

        Raises:
            InvalidInputError: on a zero hash or ``top_k`` out of 1..1000; nothing is sent.
            TransactionRevertedError: ``FeatureIndexNotUser``.
        """
        digest = require_bytes32(query_hash, "query_hash", nonzero=True)
        k = require_uint(top_k, "top_k", low=1, high=MAX_TOP_K)
        if not isinstance(private_mode, bool):
            raise InvalidInputError(f"private_mode must be a bool, got {type(private_mode).__name__}")
        receipt = transact(self.contract, "submitQuery", digest, k, private_mode, sender=sender)
        return int(receipt.events["QuerySubmitted"]["queryId"])

    def answer_query(self, *, sender: Any, query_id: int, result_hash: bytes) -> None:
        """Put the answer's hash on record, from the service.

        Raises:
            InvalidInputError: on a zero hash; nothing is sent.
            TransactionRevertedError: ``FeatureIndexNotService``, ``FeatureIndexUnknownQuery``,
                ``FeatureIndexAlreadyAnswered``.
        """
        digest = require_bytes32(result_hash, "result_hash", nonzero=True)
        qid = require_uint(query_id, "query_id", low=1, high=(1 << 256) - 1)
        transact(self.contract, "answerQuery", qid, digest, sender=sender)

    # --- reads --------------------------------------------------------------------------------

    def service(self) -> str:
        """Checksummed address of the retrieval service."""
        return to_checksum_address(call(self.contract, "service"))

    def anchored_root(self, anchor_batch_id: int) -> bytes:
        """The root the ``MerkleAnchor`` holds for ``anchor_batch_id`` (read from storage, not events).

        Raises:
            TransactionRevertedError: ``MerkleAnchorUnknownBatch``.
        """
        anchor = contract_at("MerkleAnchor", call(self.contract, "anchor"))
        return bytes(
            call(anchor, "rootOf", require_uint(anchor_batch_id, "anchor_batch_id", low=1, high=(1 << 48) - 1))
        )

    def is_user(self, user: AddressLike) -> bool:
        """Whether ``user`` may submit queries."""
        return bool(call(self.contract, "isUser", require_address(user, "user")))

    def get_query(self, query_id: int) -> QueryState:
        """The query ``query_id``.

        Raises:
            UnknownQueryError: if none was submitted under it.
        """
        qid = require_uint(query_id, "query_id", low=0, high=(1 << 256) - 1)
        user, submitted, answered, top_k, private, query_hash, result_hash = call(self.contract, "queryOf", qid)
        if int(user, 16) == 0:
            raise UnknownQueryError(qid)
        return QueryState(
            qid,
            to_checksum_address(user),
            int(submitted),
            int(answered),
            int(top_k),
            bool(private),
            bytes(query_hash),
            bytes(result_hash),
        )

    def current_version(self, image_id: bytes) -> tuple[int, bool]:
        """``(version, deleted)`` of ``image_id`` (``(0, False)`` if unknown)."""
        _, version, _, deleted = call(self.contract, "imageOf", require_bytes32(image_id, "image_id", nonzero=False))
        return int(version), bool(deleted)

    def verify_record(self, record: FeatureRecord, index: int, proof: list[bytes]) -> bool:
        """The contract's check: ``record`` is current and at ``index`` of its anchored batch."""
        return bool(call(self.contract, "verifyRecord", record.as_tuple(), index, list(proof)))

    def check_evidence(self, evidence: RecordEvidence) -> None:
        """The user's check of one result before trusting it (§6.5.1).

        The image must be current on chain (not deleted, at the record's version), held by the
        batch and hospital the evidence names; the record's digest must fold with the proof to
        the root anchored for that batch (checked here, in Python), and the contract's
        ``verifyRecord`` (which asks ``MerkleAnchor``) must agree. What this does not prove: that
        the service returned the true nearest records (it proves only that each one returned is
        a current, anchored record).

        Raises:
            StaleRecordError: the image was deleted or its record superseded.
            WrongBatchError: the evidence names another batch or hospital than the chain's.
            TamperedRecordError: the record or its proof does not match the anchored root.
        """
        record = evidence.record
        hospital, version, batch_id, deleted = call(
            self.contract, "imageOf", require_bytes32(record.image_id, "image_id", nonzero=False)
        )
        if int(version) == 0:
            raise StaleRecordError(f"image 0x{record.image_id.hex()} was never published")
        if bool(deleted):
            raise StaleRecordError(f"image 0x{record.image_id.hex()} was deleted (version {int(version)})")
        if int(version) != record.version:
            raise StaleRecordError(
                f"image 0x{record.image_id.hex()}: version {record.version} was superseded by version {int(version)}"
            )
        if int(batch_id) != evidence.batch_id or to_checksum_address(hospital) != to_checksum_address(
            evidence.hospital
        ):
            raise WrongBatchError(
                f"image 0x{record.image_id.hex()} is held by batch {int(batch_id)} of {to_checksum_address(hospital)}, "
                f"the evidence names batch {evidence.batch_id} of {evidence.hospital}"
            )
        _, anchor_batch_id, _ = call(self.contract, "batchOf", evidence.batch_id)
        if int(anchor_batch_id) != evidence.anchor_batch_id:
            raise WrongBatchError(
                f"batch {evidence.batch_id} is anchored as {int(anchor_batch_id)}, "
                f"the evidence says {evidence.anchor_batch_id}"
            )
        digest = feature_record_digest(self.address, hospital, record)
        if not verify_inclusion(self.anchored_root(evidence.anchor_batch_id), digest, evidence.proof):
            raise TamperedRecordError(
                f"image 0x{record.image_id.hex()}: the record and proof do not reach "
                f"batch {evidence.batch_id}'s anchored root"
            )
        if not self.verify_record(record, evidence.proof.index, list(evidence.proof.siblings)):
            raise TamperedRecordError(
                f"image 0x{record.image_id.hex()}: the contract's verifyRecord refuses the record"
            )

    def batches(self, *, from_batch: int = 1, from_block: int | None = None) -> list[PublishedBatch]:
        """Every batch from ``from_batch`` on, its records rebuilt from events, oldest first.

        Raises:
            ChainError: if the node refuses a query or a batch's record events are incomplete.
        """
        start = self.from_block if from_block is None else from_block
        published = [
            e for e in get_events(self.contract, "BatchPublished", from_block=start) if e.args["batchId"] >= from_batch
        ]
        if not published:
            return []
        first = min(e.block_number for e in published)
        rows: dict[int, dict[int, FeatureRecord]] = {}
        for name, deleted in (("RecordPublished", False), ("RecordDeleted", True)):
            for event in get_events(self.contract, name, from_block=first):
                position, record = _record_from_event(event.args, deleted)
                rows.setdefault(int(event.args["batchId"]), {})[position] = record
        result = []
        for event in published:
            batch_id = int(event.args["batchId"])
            found = rows.get(batch_id, {})
            count = int(event.args["recordCount"])
            if sorted(found) != list(range(count)):
                raise ChainError(f"batch {batch_id} announces {count} records, its events hold {len(found)}")
            result.append(
                PublishedBatch(
                    batch_id=batch_id,
                    hospital=to_checksum_address(event.args["hospital"]),
                    anchor_batch_id=int(event.args["anchorBatchId"]),
                    root=bytes(event.args["root"]),
                    records=tuple(found[i] for i in range(count)),
                    block_number=event.block_number,
                    tx_hash=event.tx_hash,
                )
            )
        return result
