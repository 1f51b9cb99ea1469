"""Item blocks and data blocks: many records under one anchored root (Zheng et al. 2018 §4.4).

In Zheng et al.'s design every uploaded record is a small tuple (who owns it, what it is, the
hash of its encrypted content); records are gathered into *item blocks*, item blocks into a
*data block*, and only the data block's root goes on chain, so anchoring costs a fixed
transaction per data block instead of one per record. This module builds that two-level
structure with the trees of :mod:`offchain.crypto.merkle`:

* a record's digest is ``keccak256(abi.encode(bytes owner, bytes32 keccak256(metadata),
  bytes32 content_hash))`` (:func:`record_digest`), computable in Solidity as is;
* records are grouped in order into item blocks of up to :data:`ITEM_BLOCK_CAPACITY` (10, as
  in the paper); an item block's root is the Merkle root over its record digests;
* the item-block roots are the item digests of the data-block tree, whose root is anchored
  (``MerkleAnchor.anchorRoot(root, leaf_count=len(item_blocks), metadata_hash)``).

A :class:`RecordProof` is two inclusion proofs, record in item block and item block in data
block, with exactly the arguments of ``MerkleAnchor.verifyRecordInclusion``.

Assumptions and caveats: the metadata is committed to by its Keccak-256 only. Like any
unsalted hash, that commitment does not hide low-entropy metadata; put a salted commitment
(:func:`~offchain.crypto.hashing.content_commitment`) in the metadata if it must stay
private. The record count is not part of the root: anchor it in the batch's metadata hash if
a verifier needs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi import encode

from offchain.crypto.hashing import keccak256
from offchain.crypto.merkle import (
    DIGEST_BYTES,
    InclusionProof,
    MerkleTree,
    implied_root,
    verify_inclusion,
)
from offchain.errors import InvalidInputError
from offchain.validation import is_int

__all__ = [
    "ITEM_BLOCK_CAPACITY",
    "DataBlock",
    "Record",
    "RecordProof",
    "record_digest",
    "verify_record",
]

#: Records per item block (Zheng et al. 2018 §4.4); the last item block may hold fewer.
ITEM_BLOCK_CAPACITY = 10


def _bytes(value: object, name: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)):
        raise InvalidInputError(f"{name} must be bytes, got {type(value).__name__}")
    return bytes(value)


def record_digest(owner: bytes, metadata: bytes, content_hash: bytes) -> bytes:
    """The digest of a record: ``keccak256(abi.encode(owner, keccak256(metadata), content_hash))``.

    Args:
        owner: The owner's public key or address, as bytes (ABI type ``bytes``).
        metadata: Application metadata about the record.
        content_hash: The 32-byte hash of the record's (encrypted) content.

    Returns:
        The 32-byte record digest, an item digest of its item block.

    Raises:
        InvalidInputError: if an argument is not bytes or ``content_hash`` is not 32 bytes.
    """
    owner_bytes = _bytes(owner, "owner")
    metadata_bytes = _bytes(metadata, "metadata")
    content = _bytes(content_hash, "content_hash")
    if len(content) != DIGEST_BYTES:
        raise InvalidInputError(f"content_hash must be {DIGEST_BYTES} bytes, got {len(content)} bytes")
    return keccak256(encode(["bytes", "bytes32", "bytes32"], [owner_bytes, keccak256(metadata_bytes), content]))


@dataclass(frozen=True)
class Record:
    """One record of a data block.

    Attributes:
        owner: The owner's public key or address bytes.
        metadata: Application metadata.
        content_hash: The 32-byte hash of the record's content.
    """

    owner: bytes
    metadata: bytes
    content_hash: bytes

    @property
    def digest(self) -> bytes:
        """:func:`record_digest` of the record."""
        return record_digest(self.owner, self.metadata, self.content_hash)


def _siblings(values: object, name: str) -> tuple[bytes, ...]:
    # InclusionProof does every check (sizes, at most MAX_PROOF_DEPTH hashes).
    if isinstance(values, (bytes, bytearray, str)) or not isinstance(values, Iterable):
        raise InvalidInputError(f"{name} must be a sequence of 32-byte hashes, got {type(values).__name__}")
    try:
        return InclusionProof(0, tuple(values)).siblings
    except InvalidInputError as exc:
        raise InvalidInputError(f"{name}: {exc}") from exc


@dataclass(frozen=True)
class RecordProof:
    """A record's place in a data block: the arguments of ``MerkleAnchor.verifyRecordInclusion``.

    Attributes:
        item_index: Which item block holds the record.
        record_index_in_item: The record's position in its item block.
        item_proof: Siblings from the record up to its item block's root.
        block_proof: Siblings from the item block's root up to the data block's root.

    Raises:
        InvalidInputError: on a negative or too large index or a malformed list of siblings.
    """

    item_index: int
    record_index_in_item: int
    item_proof: tuple[bytes, ...]
    block_proof: tuple[bytes, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "item_proof", _siblings(self.item_proof, "item_proof"))
        object.__setattr__(self, "block_proof", _siblings(self.block_proof, "block_proof"))
        _ = self.record_inclusion, self.item_block_inclusion  # checks both indices

    @property
    def record_inclusion(self) -> InclusionProof:
        """The proof of the record in its item block."""
        return InclusionProof(self.record_index_in_item, self.item_proof)

    @property
    def item_block_inclusion(self) -> InclusionProof:
        """The proof of the item block's root in the data block."""
        return InclusionProof(self.item_index, self.block_proof)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form with 0x-prefixed hex hashes."""
        return {
            "item_index": self.item_index,
            "record_index_in_item": self.record_index_in_item,
            "item_proof": ["0x" + h.hex() for h in self.item_proof],
            "block_proof": ["0x" + h.hex() for h in self.block_proof],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordProof:
        """Decode :meth:`to_dict`.

        Raises:
            InvalidInputError: on a missing field, bad hex or any check of the constructor.
        """
        try:
            inner = InclusionProof.from_dict({"index": data["record_index_in_item"], "siblings": data["item_proof"]})
            outer = InclusionProof.from_dict({"index": data["item_index"], "siblings": data["block_proof"]})
        except (KeyError, TypeError) as exc:
            raise InvalidInputError(f"a record proof needs its four fields, got {data!r}") from exc
        return cls(outer.index, inner.index, inner.siblings, outer.siblings)


class DataBlock:
    """Records grouped into item blocks under one data-block root; build with :meth:`build`.

    Example:
        >>> records = [Record(b"\\x01" * 20, b'{"n":%d}' % i, bytes(32)) for i in range(25)]
        >>> block = DataBlock.build(records)
        >>> len(block.item_blocks), block.record_count
        (3, 25)
        >>> verify_record(block.root, records[13].digest, block.record_proof(13))
        True
    """

    __slots__ = ("_item_blocks", "_record_count", "_tree")

    def __init__(self, item_blocks: tuple[MerkleTree, ...], record_count: int) -> None:
        """Use :meth:`build` or :meth:`from_record_digests`."""
        self._item_blocks = item_blocks
        self._record_count = record_count
        self._tree = MerkleTree.from_digests(tree.root for tree in item_blocks)

    @classmethod
    def build(cls, records: Iterable[Record]) -> DataBlock:
        """The data block of ``records``, in order.

        Raises:
            InvalidInputError: if there is no record or one is malformed.
        """
        digests = []
        for k, record in enumerate(records):
            if not isinstance(record, Record):
                raise InvalidInputError(f"records[{k}] must be a Record, got {type(record).__name__}")
            digests.append(record.digest)
        return cls.from_record_digests(digests)

    @classmethod
    def from_record_digests(cls, digests: Iterable[bytes]) -> DataBlock:
        """The data block of records given by their :func:`record_digest`, in order.

        Raises:
            InvalidInputError: if ``digests`` is not an iterable, or holds no digest or one that
                is not 32 bytes.
        """
        if isinstance(digests, bytes | bytearray | memoryview | str) or not isinstance(digests, Iterable):
            raise InvalidInputError(f"digests must be an iterable of 32-byte digests, got {type(digests).__name__}")
        listed = list(digests)
        if not listed:
            raise InvalidInputError("a data block needs at least one record, got none")
        item_blocks = tuple(
            MerkleTree.from_digests(listed[start : start + ITEM_BLOCK_CAPACITY])
            for start in range(0, len(listed), ITEM_BLOCK_CAPACITY)
        )
        return cls(item_blocks, len(listed))

    @property
    def root(self) -> bytes:
        """The data block's root: what is anchored on chain."""
        return self._tree.root

    @property
    def record_count(self) -> int:
        """The number of records."""
        return self._record_count

    @property
    def item_blocks(self) -> tuple[MerkleTree, ...]:
        """The item blocks' trees, in order; their roots are the data block's items."""
        return self._item_blocks

    @property
    def tree(self) -> MerkleTree:
        """The data-block tree over the item blocks' roots. Anchor ``tree.size`` as the leaf count."""
        return self._tree

    def record_digest(self, index: int) -> bytes:
        """The digest of record ``index`` (``0 .. record_count - 1``).

        Raises:
            InvalidInputError: if ``index`` is out of range.
        """
        item_index, position = self._locate(index)
        return self._item_blocks[item_index].digest(position)

    def record_proof(self, index: int) -> RecordProof:
        """The proof of record ``index`` (``0 .. record_count - 1``) under :attr:`root`.

        Raises:
            InvalidInputError: if ``index`` is out of range.
        """
        item_index, position = self._locate(index)
        inner = self._item_blocks[item_index].proof(position)
        outer = self._tree.proof(item_index)
        return RecordProof(item_index, position, inner.siblings, outer.siblings)

    def _locate(self, index: int) -> tuple[int, int]:
        if not is_int(index) or not 0 <= index < self._record_count:
            raise InvalidInputError(f"record index must be in 0..{self._record_count - 1}, got {index!r}")
        return divmod(index, ITEM_BLOCK_CAPACITY)

    def __repr__(self) -> str:
        return (
            f"DataBlock(records={self._record_count}, item_blocks={len(self._item_blocks)}, root=0x{self.root.hex()})"
        )


def verify_record(data_root: bytes, record_digest: bytes, proof: RecordProof) -> bool:
    """Whether ``proof`` shows that ``record_digest`` is in the data block of root ``data_root``.

    Checks the record against its item block's root (recomputed from the proof), then that root
    against ``data_root``, with the rules of :func:`~offchain.crypto.merkle.verify_inclusion`.

    Args:
        data_root: The trusted 32-byte data-block root (e.g. read from ``MerkleAnchor``).
        record_digest: The claimed record digest (:func:`record_digest`).
        proof: The record proof.

    Returns:
        ``True`` if both levels verify, ``False`` for any well-formed but wrong proof.

    Raises:
        InvalidInputError: if a root or digest is not 32 bytes or ``proof`` is not a
            :class:`RecordProof`.
    """
    if not isinstance(proof, RecordProof):
        raise InvalidInputError(f"proof must be a RecordProof, got {type(proof).__name__}")
    item_root = implied_root(record_digest, proof.record_inclusion)
    if item_root is None:
        return False
    return verify_inclusion(data_root, item_root, proof.item_block_inclusion)
