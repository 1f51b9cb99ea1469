"""Anchoring of registered records in batches (Zheng et al. 2018 §4.4).

Records are grouped, in order, into item blocks of up to 10; item block roots are the leaves
of a data block, whose root one transaction anchors in ``MerkleAnchor``. Each record keeps a
two-level proof, so that anyone can later prove, off chain or on chain, that it was anchored.

A record here is a file registration: (owner address, metadata, registry record digest), the
digest binding commitment, ciphertext hash, Merkle root, locator and metadata.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from eth_utils import to_bytes

from offchain.chain.anchor import AnchoredBatch, MerkleAnchorClient
from offchain.chain.registry import FileRegistration, record_digest_of
from offchain.crypto.batching import DataBlock, RecordProof, record_digest, verify_record
from offchain.crypto.hashing import keccak256
from offchain.errors import InvalidInputError

__all__ = ["AnchoredRecord", "RecordAnchorer", "registration_record_digest"]

logger = logging.getLogger(__name__)


def registration_record_digest(registration: FileRegistration) -> bytes:
    """The batching record digest of a registration (owner, metadata, registry digest)."""
    registry_digest = record_digest_of(
        registration.content_commitment,
        registration.ciphertext_hash,
        registration.merkle_root,
        registration.locator,
        registration.metadata,
    )
    return record_digest(to_bytes(hexstr=registration.owner), registration.metadata, registry_digest)


@dataclass(frozen=True)
class AnchoredRecord:
    """A registration anchored in a data block.

    Attributes:
        file_id: The registered file.
        record_digest: Its batching digest (:func:`registration_record_digest`).
        batch: The anchored data block.
        proof: The record's two-level proof against the data block root.
    """

    file_id: bytes
    record_digest: bytes
    batch: AnchoredBatch
    proof: RecordProof

    def verify_offchain(self) -> bool:
        """Check the proof against the anchored root, without the chain."""
        return verify_record(self.batch.root, self.record_digest, self.proof)


class RecordAnchorer:
    """Collects registrations and anchors them a data block at a time.

    Args:
        client: Client of the deployed ``MerkleAnchor``.
        account: An account holding the anchorer role.
    """

    def __init__(self, client: MerkleAnchorClient, account: Any) -> None:
        self.client = client
        self.account = account
        self._pending: list[FileRegistration] = []

    @property
    def pending(self) -> int:
        """Registrations waiting for the next anchoring."""
        return len(self._pending)

    def add(self, registration: FileRegistration) -> None:
        """Queue a registration for the next data block."""
        self._pending.append(registration)

    def anchor(self) -> list[AnchoredRecord]:
        """Anchor every pending registration in one data block (one transaction).

        Raises:
            InvalidInputError: if nothing is pending.
        """
        if not self._pending:
            raise InvalidInputError("nothing to anchor: add registrations first")
        digests = [registration_record_digest(r) for r in self._pending]
        block = DataBlock.from_record_digests(digests)
        batch = self.client.anchor(
            sender=self.account,
            root=block.root,
            leaf_count=block.tree.size,  # the data block's leaves are its item blocks
            metadata_hash=keccak256(b"".join(r.file_id for r in self._pending)),
        )
        anchored = [
            AnchoredRecord(r.file_id, d, batch, block.record_proof(i))
            for i, (r, d) in enumerate(zip(self._pending, digests, strict=True))
        ]
        logger.info("anchored %d records as batch %d", len(anchored), batch.batch_id)
        self._pending.clear()
        return anchored

    def verify_onchain(self, record: AnchoredRecord) -> bool:
        """Check the record's proof with the contract, against the root it anchored."""
        return self.client.verify_record(record.batch.batch_id, record.record_digest, record.proof)
