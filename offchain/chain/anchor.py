"""Typed client of the ``MerkleAnchor`` contract: anchor roots, read batches, check proofs on chain.

Research: Zheng et al. 2018 §4.4 (the root of a data block of records is what goes on chain)
and Huang et al. 2020 §3.3 (an auditor checks file blocks against an anchored root). The trees
and proofs are those of :mod:`offchain.crypto.merkle` and :mod:`offchain.crypto.batching`; the
contract's ``verifyInclusion`` and ``verifyRecordInclusion`` apply the same rules as
:func:`~offchain.crypto.merkle.verify_inclusion` and :func:`~offchain.crypto.batching.verify_record`,
so a proof can be checked off chain for free, or on chain where a contract needs the answer.

The contract stores, per batch, the root, the leaf count, the time and the anchorer; the
metadata hash travels only in the ``RootAnchored`` event. :meth:`MerkleAnchorClient.get_batch`
reads both and returns the event whose fields match the stored ones; the metadata hash is then
only as trustworthy as the node that served the log.

Example (an anchorer anchors a file tree; anyone checks a block against it)::

    tree = MerkleTree.from_file("scan.dcm")
    client = MerkleAnchorClient(contract, from_block=deployment_block)
    batch = client.anchor(sender=anchorer, root=tree.root, leaf_count=tree.size)
    client.verify_inclusion(batch.batch_id, tree.digest(3), tree.proof(3))  # True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.contracts import (
    MAX_UINT256,
    ContractClient,
    call,
    require_bytes32,
    require_uint,
    transact,
)
from offchain.chain.events import get_events
from offchain.crypto.batching import RecordProof
from offchain.crypto.merkle import InclusionProof
from offchain.errors import IntegrityError, InvalidInputError, TransactionRevertedError, UnknownBatchError

__all__ = [
    "MAX_LEAF_COUNT",
    "AnchoredBatch",
    "MerkleAnchorClient",
]

#: Largest leaf count the contract accepts (``uint48``).
MAX_LEAF_COUNT = (1 << 48) - 1


@dataclass(frozen=True)
class AnchoredBatch:
    """A root anchored on chain.

    Attributes:
        batch_id: The batch's id (1 for the first batch of a contract, then increasing).
        root: The anchored 32-byte Merkle root.
        leaf_count: Number of items of the anchored tree (for a data block, its item blocks).
        anchored_at: Block timestamp of the anchoring, in seconds.
        anchorer: Checksummed address of the account that anchored it.
        metadata_hash: The 32-byte metadata hash emitted with it (zero if none).
        block_number: Block of the anchoring.
        tx_hash: 0x-prefixed hash of the anchoring transaction.
    """

    batch_id: int
    root: bytes
    leaf_count: int
    anchored_at: int
    anchorer: str
    metadata_hash: bytes
    block_number: int
    tx_hash: str


class MerkleAnchorClient(ContractClient):
    """Anchor roots and check proofs through a deployed ``MerkleAnchor``.

    Args:
        contract: Brownie handle of the deployed contract.
        from_block: Where event scans start (the contract's deployment block).
    """

    def anchor(self, *, sender: Any, root: bytes, leaf_count: int, metadata_hash: bytes = bytes(32)) -> AnchoredBatch:
        """Anchor ``root`` as a new batch, from ``sender``, who needs the anchorer role.

        Inputs are checked here first, so bad input costs no transaction. For a data block pass
        ``root=block.root, leaf_count=block.tree.size``.

        Args:
            sender: The Brownie account that sends the transaction.
            root: The 32-byte, non-zero Merkle root.
            leaf_count: Number of items of the tree, ``1 .. MAX_LEAF_COUNT``.
            metadata_hash: 32-byte hash of application metadata (zero if none); emitted, not stored.

        Returns:
            The new batch, read from the transaction's event.

        Raises:
            InvalidInputError: on a zero or wrong-sized root, a leaf count out of range or a
                wrong-sized metadata hash.
            TransactionRevertedError: if the contract reverts, e.g. with
                ``AccessControlUnauthorizedAccount`` when ``sender`` is not an anchorer.
        """
        checked_root = require_bytes32(root, "root", nonzero=True)
        count = require_uint(leaf_count, "leaf_count", low=1, high=MAX_LEAF_COUNT)
        metadata = require_bytes32(metadata_hash, "metadata_hash", nonzero=False)
        receipt = transact(self.contract, "anchorRoot", checked_root, count, metadata, sender=sender)
        event = receipt.events["RootAnchored"]
        return AnchoredBatch(
            batch_id=int(event["batchId"]),
            root=bytes(event["root"]),
            leaf_count=int(event["leafCount"]),
            anchored_at=int(receipt.timestamp),
            anchorer=to_checksum_address(event["anchorer"]),
            metadata_hash=bytes(event["metadataHash"]),
            block_number=int(receipt.block_number),
            tx_hash=str(receipt.txid),
        )

    def batch_count(self) -> int:
        """The number of batches anchored, which is also the latest batch's id."""
        return int(call(self.contract, "batchCount"))

    def get_batch(self, batch_id: int) -> AnchoredBatch:
        """Batch ``batch_id`` as stored, with the metadata hash from its ``RootAnchored`` event.

        Raises:
            InvalidInputError: if ``batch_id`` is not a uint256.
            UnknownBatchError: if nothing was anchored under ``batch_id``.
            IntegrityError: if no ``RootAnchored`` log from ``from_block`` on matches the stored
                batch (a node serving wrong logs, or ``from_block`` after the anchoring).
        """
        checked_id = require_uint(batch_id, "batch_id", low=0, high=MAX_UINT256)
        try:
            root, leaf_count, anchored_at, anchorer = call(self.contract, "getBatch", checked_id)
        except TransactionRevertedError as exc:
            raise self._unknown_batch(exc, checked_id) from exc
        stored = (bytes(root), int(leaf_count), to_checksum_address(anchorer))
        logs = get_events(
            self.contract, "RootAnchored", from_block=self.from_block, argument_filters={"batchId": checked_id}
        )
        for log in logs:
            args = log.args
            if (bytes(args["root"]), int(args["leafCount"]), to_checksum_address(args["anchorer"])) == stored:
                return AnchoredBatch(
                    batch_id=checked_id,
                    root=stored[0],
                    leaf_count=stored[1],
                    anchored_at=int(anchored_at),
                    anchorer=stored[2],
                    metadata_hash=bytes(args["metadataHash"]),
                    block_number=log.block_number,
                    tx_hash=log.tx_hash,
                )
        raise IntegrityError(
            f"batch {checked_id} is anchored with root 0x{stored[0].hex()}, but none of the {len(logs)} "
            f"RootAnchored logs from block {self.from_block} matches it"
        )

    def verify_inclusion(self, batch_id: int, digest: bytes, proof: InclusionProof) -> bool:
        """Ask the contract whether ``proof`` shows ``digest`` at ``proof.index`` of batch ``batch_id``.

        Args:
            batch_id: The batch's id.
            digest: The claimed 32-byte item digest.
            proof: The inclusion proof (:meth:`MerkleTree.proof <offchain.crypto.merkle.MerkleTree.proof>`).

        Returns:
            The contract's answer: ``False`` for any wrong proof.

        Raises:
            InvalidInputError: on a malformed argument.
            UnknownBatchError: if nothing was anchored under ``batch_id``.
        """
        checked_id = require_uint(batch_id, "batch_id", low=0, high=MAX_UINT256)
        item = require_bytes32(digest, "digest", nonzero=False)
        if not isinstance(proof, InclusionProof):
            raise InvalidInputError(f"proof must be an InclusionProof, got {type(proof).__name__}")
        try:
            return bool(call(self.contract, "verifyInclusion", checked_id, proof.index, item, list(proof.siblings)))
        except TransactionRevertedError as exc:
            raise self._unknown_batch(exc, checked_id) from exc

    def verify_record(self, batch_id: int, record_digest: bytes, proof: RecordProof) -> bool:
        """Ask the contract whether ``proof`` shows ``record_digest`` in the data block of batch ``batch_id``.

        Args:
            batch_id: The batch's id (a data block's root, anchored with its item-block count).
            record_digest: The claimed record digest (:func:`~offchain.crypto.batching.record_digest`).
            proof: The record proof (:meth:`DataBlock.record_proof <offchain.crypto.batching.DataBlock.record_proof>`).

        Returns:
            The contract's answer: ``False`` for any wrong proof.

        Raises:
            InvalidInputError: on a malformed argument.
            UnknownBatchError: if nothing was anchored under ``batch_id``.
        """
        checked_id = require_uint(batch_id, "batch_id", low=0, high=MAX_UINT256)
        item = require_bytes32(record_digest, "record_digest", nonzero=False)
        if not isinstance(proof, RecordProof):
            raise InvalidInputError(f"proof must be a RecordProof, got {type(proof).__name__}")
        args = (
            checked_id,
            proof.item_index,
            proof.record_index_in_item,
            item,
            list(proof.item_proof),
            list(proof.block_proof),
        )
        try:
            return bool(call(self.contract, "verifyRecordInclusion", *args))
        except TransactionRevertedError as exc:
            raise self._unknown_batch(exc, checked_id) from exc

    def anchorer_role(self) -> bytes:
        """The ``ANCHORER_ROLE`` id."""
        return bytes(call(self.contract, "ANCHORER_ROLE"))

    def is_anchorer(self, account: AddressLike) -> bool:
        """Whether ``account`` holds the anchorer role."""
        return bool(call(self.contract, "hasRole", self.anchorer_role(), require_address(account, "account")))

    def grant_anchorer(self, sender: Any, account: AddressLike) -> None:
        """Let ``account`` anchor roots; ``sender`` must be the admin.

        Raises:
            InvalidInputError: if ``account`` is not an address.
            TransactionRevertedError: with ``AccessControlUnauthorizedAccount`` if ``sender`` is
                not the admin.
        """
        address = require_address(account, "account", nonzero=False)
        transact(self.contract, "grantRole", self.anchorer_role(), address, sender=sender)

    @staticmethod
    def _unknown_batch(exc: TransactionRevertedError, batch_id: int) -> Exception:
        return UnknownBatchError(batch_id) if exc.error_name == "MerkleAnchorUnknownBatch" else exc
