"""Binary Merkle trees over 32-byte item digests, with inclusion proofs, multi-proofs and file trees.

Research: Zheng et al. 2018 §4.4 (records grouped into item blocks and data blocks whose roots
are anchored on chain; see :mod:`offchain.crypto.batching`) and Huang et al. 2020 §3.3 (a
Merkle tree over a file's blocks, so that an auditor who holds only the root can check any
block, or a random sample of blocks, without the rest of the file). The on-chain verifier is
``contracts/libraries/MerkleInclusion.sol``; it implements exactly the rules below, and the
tests check that both sides accept and reject the same proofs.

Construction
------------
The tree is over ``n >= 1`` *item digests* ``d_0 .. d_{n-1}`` of 32 bytes each::

    leaf_hash(d)    = keccak256(0x00 || d)
    node_hash(l, r) = keccak256(0x01 || l || r)

* Domain separation: the one-byte prefixes keep leaves and inner nodes apart, so an inner node
  can never be passed off as a leaf (the second-preimage attack on plain Merkle trees).
* Ordered pairs, not sorted ones: the path bits of a proof are the leaf's index, so a proof
  proves *where* an item is (block ``j`` of a file), not only that it is somewhere.
* Padding: the leaves are padded to the next power of two with :data:`EMPTY_LEAF`
  (``bytes32(0)``), used as the leaf *value*, not hashed. ``depth = ceil(log2 n)`` (0 for
  ``n = 1``, whose root is ``leaf_hash(d_0)``). No keccak256 preimage is known to hash to zero,
  so no digest can be proven at a padded slot. An all-padding subtree of height ``k`` hashes to
  ``Z_k`` (``Z_0 = 0x00..00``, ``Z_{k+1} = node_hash(Z_k, Z_k)``), precomputed, so padding costs
  ``O(log n)`` hashes, not ``O(n)``.
* Inclusion proof of index ``i``: the ``depth`` sibling hashes, bottom-up. Verification:
  ``h = leaf_hash(d)``; at level ``k``, if bit ``k`` of ``i`` is 0 then ``h = node_hash(h,
  sibling_k)`` else ``h = node_hash(sibling_k, h)``; require ``i < 2**len(proof)`` (otherwise
  ``i`` and ``i + 2**depth`` would share a proof); compare ``h`` with the root.
* Multi-proof of a set of indices: the smallest set of hashes not derivable from the proven
  leaves themselves, in the canonical order "level by level, bottom-up, left to right"; the
  tree's shape (which nodes are needed) follows from the indices and the depth alone, so no
  flags travel with the proof.

Hash functions
--------------
Nodes use Keccak-256 because the EVM computes it natively: ``MerkleInclusion`` pays 48 gas per
level for it (30 + 6 per 32-byte word of the 65-byte preimage) and about 110 gas per level in
all, so checking a depth-10 proof in a transaction costs 31,912 gas, within the 32,000-gas goal.
SHA-256 would go through the precompile at 0x02: 96 gas for 65 bytes plus 100 for the
``STATICCALL`` and its argument set-up, about 200 to 250 gas per level, which at depth 10 puts
the transaction over the goal by more than 1,000 gas. Off chain, Keccak-256 comes from
safe-pysha3's C code through :func:`~offchain.crypto.hashing.keccak256`: about 1.5 to 2 µs per
node in CPython (a depth-10 proof verifies in about 16 to 22 µs).

The bulk data of a file is hashed with SHA-256 (:mod:`hashlib`), which runs at memory speed
with the CPU's SHA extensions and releases the GIL for inputs of 2 KiB and more: the item
digest of block ``j`` is ``sha256(block_j)``, and :meth:`MerkleTree.from_file` hashes chunks of
blocks in a thread pool, each worker also hashing the subtree above its chunk. An empty file is
one empty block (one item, ``sha256(b"")``).

Block size
----------
:data:`DEFAULT_BLOCK_SIZE` is 16 KiB: the smallest power of two from 4 KiB up whose file tree
builds at no less than 0.8 of raw ``hashlib.sha256`` throughput over the same file, measured by
``bench/merkle.py`` on the 2-core development machine (Xeon with SHA-NI; a 128 MiB file in the
page cache; 2 worker threads, the default there; raw SHA-256, one thread, 990 to 1,070 MiB/s).
Build ratios over four full runs: 4 KiB 0.43 to 0.50, 8 KiB 0.64 to 0.79 (misses the goal),
16 KiB 0.91 to 1.06, 32 KiB 1.10 to 1.19, 64 KiB 1.18 to 1.28. Below 16 KiB the per-block Python
work under the GIL (two Keccak-256 hashes and the bookkeeping of each block) dominates; from
16 KiB up two threads hashing blocks in parallel outrun one thread over the whole file. A
smaller block makes a smaller proof of possession (the block an auditor receives) and a deeper
tree: a 1 GiB file at 16 KiB is 65,536 items, depth 16.

Assumptions and caveats
-----------------------
* Security rests on the collision resistance of Keccak-256 (and of SHA-256 for file blocks).
* A root commits to the digests and their order, not to the item count: a verifier that needs
  ``n`` (e.g. "the file has exactly 12 blocks") takes it from where the root was anchored
  (``MerkleAnchor`` stores a leaf count) or another authenticated source.
* :func:`verify_inclusion` and :func:`verify_multiproof` return ``False`` for a well-formed
  but wrong proof and never raise for it; malformed *arguments* (a digest that is not 32 bytes,
  a negative index) raise :class:`~offchain.errors.InvalidInputError`.
* A tree keeps every digest and every level in memory: about ``3 * 32 * n`` bytes of hashes
  (plus Python's per-object overhead), never the file's contents.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, BinaryIO

from offchain.crypto.hashing import keccak256
from offchain.errors import InvalidInputError
from offchain.validation import is_int, require_int

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "DIGEST_BYTES",
    "EMPTY_LEAF",
    "MAX_PROOF_DEPTH",
    "InclusionProof",
    "MerkleTree",
    "MultiProof",
    "block_count",
    "block_digests",
    "implied_root",
    "leaf_hash",
    "node_hash",
    "verify_inclusion",
    "verify_multiproof",
]

#: Length of an item digest, a node hash and a root, in bytes.
DIGEST_BYTES = 32
#: The value of a padding leaf: ``bytes32(0)``, which no digest's ``leaf_hash`` can equal.
EMPTY_LEAF = bytes(DIGEST_BYTES)
#: Longest proof accepted (``MerkleAnchor.MAX_PROOF_DEPTH``): trees of up to 2**64 items.
MAX_PROOF_DEPTH = 64
#: Default file block size in bytes (16 KiB), chosen with ``bench/merkle.py`` (module docstring).
DEFAULT_BLOCK_SIZE = 16 * 1024

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_READ_BYTES = 4 << 20  # bytes per read in from_file: large reads, few system calls
_PROOF_HEADER_BYTES = 9  # to_bytes: depth (1 byte) || index (8 bytes)


def _zero_hashes() -> tuple[bytes, ...]:
    zeros = [EMPTY_LEAF]
    for _ in range(MAX_PROOF_DEPTH):
        zeros.append(keccak256(_NODE_PREFIX + zeros[-1] + zeros[-1]))
    return tuple(zeros)


#: ``_ZERO_HASHES[k]`` is the hash of an all-padding subtree of height ``k``.
_ZERO_HASHES = _zero_hashes()


def _check_digest(value: object, name: str) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)) and len(value) == DIGEST_BYTES:
        return bytes(value)
    found = f"{len(value)} bytes" if isinstance(value, (bytes, bytearray, memoryview)) else type(value).__name__
    raise InvalidInputError(f"{name} must be {DIGEST_BYTES} bytes, got {found}")


def _check_index(value: object, name: str) -> int:
    index = require_int(value, name)
    if index < 0:
        raise InvalidInputError(f"{name} must be non-negative, got {index}")
    return index


def _check_block_size(block_size: object) -> int:
    if not is_int(block_size) or block_size < 1:
        raise InvalidInputError(f"block_size must be an int of at least 1, got {block_size!r}")
    return block_size


def leaf_hash(digest: bytes) -> bytes:
    """The leaf of an item: ``keccak256(0x00 || digest)``.

    Args:
        digest: The 32-byte item digest.

    Returns:
        The 32-byte leaf hash.

    Raises:
        InvalidInputError: if ``digest`` is not 32 bytes.
    """
    return keccak256(_LEAF_PREFIX + _check_digest(digest, "digest"))


def node_hash(left: bytes, right: bytes) -> bytes:
    """An inner node: ``keccak256(0x01 || left || right)`` (ordered, not sorted).

    Args:
        left: The 32-byte left child.
        right: The 32-byte right child.

    Returns:
        The 32-byte node hash.

    Raises:
        InvalidInputError: if a child is not 32 bytes.
    """
    return keccak256(_NODE_PREFIX + _check_digest(left, "left") + _check_digest(right, "right"))


def _fold(leaf: bytes, index: int, siblings: Sequence[bytes]) -> bytes:
    """The root reached from ``leaf`` at ``index`` through ``siblings`` (no range check)."""
    node = leaf
    for sibling in siblings:
        node = keccak256(_NODE_PREFIX + (sibling + node if index & 1 else node + sibling))
        index >>= 1
    return node


def _check_siblings(values: object, name: str) -> tuple[bytes, ...]:
    if isinstance(values, (bytes, bytearray, str)) or not isinstance(values, Iterable):
        raise InvalidInputError(f"{name} must be a sequence of {DIGEST_BYTES}-byte hashes, got {type(values).__name__}")
    checked = tuple(_check_digest(value, f"{name}[{k}]") for k, value in enumerate(values))
    if len(checked) > MAX_PROOF_DEPTH:
        raise InvalidInputError(f"{name} must hold at most {MAX_PROOF_DEPTH} hashes, got {len(checked)}")
    return checked


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _from_hex(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidInputError(f"{name} must be a 0x-prefixed hex string, got {type(value).__name__}")
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError as exc:
        raise InvalidInputError(f"{name} is not valid hex: {value!r}") from exc
    return _check_digest(raw, name)


@dataclass(frozen=True)
class InclusionProof:
    """A proof that an item digest sits at ``index`` under a root.

    Attributes:
        index: The item's position, ``0 <= index < 2**64``.
        siblings: The sibling hashes from the leaf's level up to the root's children, at most
            :data:`MAX_PROOF_DEPTH` of 32 bytes each. An index that does not fit
            ``len(siblings)`` bits makes a well-formed proof that never verifies.

    Raises:
        InvalidInputError: on a negative or too large index, a hash that is not 32 bytes, or
            more than :data:`MAX_PROOF_DEPTH` siblings.
    """

    index: int
    siblings: tuple[bytes, ...]

    def __post_init__(self) -> None:
        index = _check_index(self.index, "index")
        if index >= 1 << MAX_PROOF_DEPTH:
            raise InvalidInputError(f"index must be below 2**{MAX_PROOF_DEPTH}, got {index}")
        object.__setattr__(self, "siblings", _check_siblings(self.siblings, "siblings"))

    @property
    def depth(self) -> int:
        """The number of siblings, which is the depth of the tree the proof is for."""
        return len(self.siblings)

    def to_bytes(self) -> bytes:
        """The compact encoding: ``depth`` (1 byte) || ``index`` (8 bytes, big-endian) || siblings."""
        return bytes([self.depth]) + self.index.to_bytes(8, "big") + b"".join(self.siblings)

    @classmethod
    def from_bytes(cls, data: bytes) -> InclusionProof:
        """Decode :meth:`to_bytes`.

        Raises:
            InvalidInputError: if ``data`` is not a complete encoding.
        """
        if not isinstance(data, (bytes, bytearray)) or len(data) < _PROOF_HEADER_BYTES:
            raise InvalidInputError("an encoded inclusion proof starts with 9 header bytes")
        depth = data[0]
        expected = _PROOF_HEADER_BYTES + DIGEST_BYTES * depth
        if len(data) != expected:
            raise InvalidInputError(f"an encoded proof of depth {depth} is {expected} bytes, got {len(data)}")
        siblings = tuple(bytes(data[k : k + DIGEST_BYTES]) for k in range(_PROOF_HEADER_BYTES, expected, DIGEST_BYTES))
        return cls(int.from_bytes(data[1:_PROOF_HEADER_BYTES], "big"), siblings)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form: ``{"index": int, "siblings": ["0x…", …]}``."""
        return {"index": self.index, "siblings": [_hex(s) for s in self.siblings]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InclusionProof:
        """Decode :meth:`to_dict`.

        Raises:
            InvalidInputError: on a missing field, bad hex or a hash that is not 32 bytes.
        """
        try:
            index, siblings = data["index"], data["siblings"]
        except (KeyError, TypeError) as exc:
            raise InvalidInputError(f"an inclusion proof needs 'index' and 'siblings', got {data!r}") from exc
        if not isinstance(siblings, list):
            raise InvalidInputError(f"siblings must be a list, got {type(siblings).__name__}")
        return cls(index, tuple(_from_hex(s, f"siblings[{k}]") for k, s in enumerate(siblings)))


@dataclass(frozen=True)
class MultiProof:
    """A proof that several item digests sit at ``indices`` under a root.

    Attributes:
        depth: The depth of the tree, ``0 .. MAX_PROOF_DEPTH``.
        indices: The proven positions, strictly increasing, at least one.
        hashes: The nodes the verifier cannot derive from the proven leaves, level by level
            from the leaves up, left to right within a level.

    Raises:
        InvalidInputError: on a depth out of range, indices that are empty, negative or not
            strictly increasing, or a hash that is not 32 bytes.
    """

    depth: int
    indices: tuple[int, ...]
    hashes: tuple[bytes, ...]

    def __post_init__(self) -> None:
        depth = _check_index(self.depth, "depth")
        if depth > MAX_PROOF_DEPTH:
            raise InvalidInputError(f"depth must be at most {MAX_PROOF_DEPTH}, got {depth}")
        indices = tuple(_check_index(i, "index") for i in self.indices)
        if not indices:
            raise InvalidInputError("a multi-proof proves at least one index, got none")
        if any(a >= b for a, b in pairwise(indices)):
            raise InvalidInputError(f"indices must be strictly increasing, got {indices}")
        if isinstance(self.hashes, (bytes, bytearray)):
            raise InvalidInputError("hashes must be a sequence of 32-byte hashes, got bytes")
        hashes = tuple(_check_digest(h, f"hashes[{k}]") for k, h in enumerate(self.hashes))
        object.__setattr__(self, "indices", indices)
        object.__setattr__(self, "hashes", hashes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form: ``{"depth": int, "indices": [int, …], "hashes": ["0x…", …]}``."""
        return {"depth": self.depth, "indices": list(self.indices), "hashes": [_hex(h) for h in self.hashes]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MultiProof:
        """Decode :meth:`to_dict`.

        Raises:
            InvalidInputError: on a missing field, bad hex or any check of the constructor.
        """
        try:
            depth, indices, hashes = data["depth"], data["indices"], data["hashes"]
        except (KeyError, TypeError) as exc:
            raise InvalidInputError(f"a multi-proof needs 'depth', 'indices' and 'hashes', got {data!r}") from exc
        if not isinstance(indices, list) or not isinstance(hashes, list):
            raise InvalidInputError("indices and hashes must be lists")
        return cls(depth, tuple(indices), tuple(_from_hex(h, f"hashes[{k}]") for k, h in enumerate(hashes)))


def _hash_level(level: list[bytes], height: int) -> list[bytes]:
    """The parents of ``level`` (nodes at ``height``), padding an odd end with ``Z_height``."""
    prefix = _NODE_PREFIX
    parents = [keccak256(prefix + left + right) for left, right in zip(level[0::2], level[1::2], strict=False)]
    if len(level) & 1:
        parents.append(keccak256(prefix + level[-1] + _ZERO_HASHES[height]))
    return parents


class MerkleTree:
    """A Merkle tree over item digests; build one with a ``from_*`` class method.

    Example:
        >>> tree = MerkleTree.from_bytes(b"hello, auditor", block_size=4)
        >>> proof = tree.proof(2)
        >>> verify_inclusion(tree.root, tree.digest(2), proof)
        True
    """

    __slots__ = ("_digests", "_levels")

    def __init__(self, digests: list[bytes], levels: list[list[bytes]]) -> None:
        """Use :meth:`from_digests` and the other class methods; this trusts its arguments.

        Args:
            digests: The item digests.
            levels: The leaves and, optionally, the lowest levels above them; the missing
                levels up to the root are computed.
        """
        self._digests = digests
        while len(levels[-1]) > 1:
            levels.append(_hash_level(levels[-1], len(levels) - 1))
        self._levels = levels

    @classmethod
    def from_digests(cls, digests: Iterable[bytes]) -> MerkleTree:
        """The tree over ``digests``, in order.

        Args:
            digests: One or more 32-byte item digests.

        Raises:
            InvalidInputError: if ``digests`` is not an iterable, or holds no digest or one that is
                not 32 bytes.
        """
        if isinstance(digests, bytes | bytearray | memoryview | str) or not isinstance(digests, Iterable):
            raise InvalidInputError(f"digests must be an iterable of 32-byte digests, got {type(digests).__name__}")
        checked = [_check_digest(d, f"digests[{k}]") for k, d in enumerate(digests)]
        if not checked:
            raise InvalidInputError("a Merkle tree needs at least one item digest, got none")
        if len(checked) > 1 << MAX_PROOF_DEPTH:
            raise InvalidInputError(f"a Merkle tree holds at most 2**{MAX_PROOF_DEPTH} items")
        return cls(checked, [[keccak256(_LEAF_PREFIX + d) for d in checked]])

    @classmethod
    def from_blocks(cls, blocks: Iterable[bytes]) -> MerkleTree:
        """The file tree of ``blocks``: item ``j`` is ``sha256(blocks[j])``.

        An empty iterable is the empty file, one empty block.

        Args:
            blocks: The file's blocks in order (any sizes; normally all but the last are full).

        Raises:
            InvalidInputError: if a block is not bytes.
        """
        digests = []
        for k, block in enumerate(blocks):
            if not isinstance(block, (bytes, bytearray, memoryview)):
                raise InvalidInputError(f"blocks[{k}] must be bytes, got {type(block).__name__}")
            digests.append(hashlib.sha256(block).digest())
        return cls.from_digests(digests or [hashlib.sha256(b"").digest()])

    @classmethod
    def from_bytes(cls, data: bytes, block_size: int = DEFAULT_BLOCK_SIZE) -> MerkleTree:
        """The file tree of ``data`` cut into blocks of ``block_size`` bytes (:func:`block_digests`).

        Raises:
            InvalidInputError: if ``data`` is not bytes or ``block_size`` is not an int of at least 1.
        """
        return cls.from_digests(block_digests(data, block_size))

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], block_size: int = DEFAULT_BLOCK_SIZE, workers: int | None = None
    ) -> MerkleTree:
        """The file tree of the file at ``path``, streamed; equal to ``from_bytes(contents, block_size)``.

        The file is read in large chunks of ``2**h`` blocks (about 4 MiB). A pool of
        ``workers`` threads hashes each chunk into its block digests and the subtree above them
        (:mod:`hashlib` releases the GIL on large inputs, so SHA-256 runs in parallel with the
        Keccak-256 work of another chunk); the subtrees are then joined. At most ``workers + 1``
        chunks are in memory at once, so memory is bounded by the digests and hashes kept.

        Args:
            path: The file.
            block_size: Bytes per block, at least 1.
            workers: Hashing threads; ``min(4, os.cpu_count())`` by default. 1 hashes inline.

        Raises:
            InvalidInputError: if ``path`` is not a path, or ``block_size`` or ``workers`` is
                not an int of at least 1.
            OSError: if the file cannot be read.
        """
        size = _check_block_size(block_size)
        if not isinstance(path, str | os.PathLike) or isinstance(path, bytes):
            raise InvalidInputError(f"path must be a path (str or os.PathLike), got {type(path).__name__}")
        threads = _default_workers() if workers is None else workers
        if not is_int(threads) or threads < 1:
            raise InvalidInputError(f"workers must be an int of at least 1, got {workers!r}")
        file_path = Path(path)
        # A block as large as the file is the whole file: reading no more keeps a huge
        # block_size from asking the OS for an impossible read.
        size = min(size, max(1, file_path.stat().st_size))
        chunk_height = max(0, (_READ_BYTES // size).bit_length() - 1)  # 2**h blocks per read
        chunks = list(_file_subtrees(file_path, size, chunk_height, threads))
        if not chunks:
            return cls.from_digests([hashlib.sha256(b"").digest()])
        if len(chunks) == 1:
            return cls(*chunks[0])
        last_levels = chunks[-1][1]  # a short last chunk: its top is padded like any level end
        while len(last_levels) <= chunk_height:
            last_levels.append(_hash_level(last_levels[-1], len(last_levels) - 1))
        digests = [d for chunk_digests, _ in chunks for d in chunk_digests]
        levels = [[node for _, chunk_levels in chunks for node in chunk_levels[k]] for k in range(chunk_height + 1)]
        return cls(digests, levels)

    @property
    def root(self) -> bytes:
        """The 32-byte root."""
        return self._levels[-1][0]

    @property
    def size(self) -> int:
        """The number of items (leaves before padding)."""
        return len(self._digests)

    @property
    def depth(self) -> int:
        """``ceil(log2(size))``: the length of every inclusion proof."""
        return len(self._levels) - 1

    def digest(self, index: int) -> bytes:
        """The item digest at ``index``.

        Raises:
            InvalidInputError: if ``index`` is not in ``0 .. size - 1``.
        """
        return self._digests[self._checked_index(index)]

    def proof(self, index: int) -> InclusionProof:
        """The inclusion proof of the item at ``index``.

        Raises:
            InvalidInputError: if ``index`` is not in ``0 .. size - 1``.
        """
        position = self._checked_index(index)
        siblings = tuple(self._node(height, (position >> height) ^ 1) for height in range(self.depth))
        return InclusionProof(position, siblings)

    def multiproof(self, indices: Iterable[int]) -> MultiProof:
        """One proof for the items at ``indices`` (order and repeats do not matter).

        Raises:
            InvalidInputError: if ``indices`` is empty or one is not in ``0 .. size - 1``.
        """
        known = sorted({self._checked_index(i) for i in indices})
        if not known:
            raise InvalidInputError("a multi-proof proves at least one index, got none")
        proven = tuple(known)
        hashes: list[bytes] = []
        for height in range(self.depth):
            parents: list[int] = []
            k = 0
            while k < len(known):
                position = known[k]
                if not position & 1 and k + 1 < len(known) and known[k + 1] == position + 1:
                    k += 2  # both children are known: nothing to send
                else:
                    hashes.append(self._node(height, position ^ 1))
                    k += 1
                parents.append(position >> 1)
            known = parents
        return MultiProof(self.depth, proven, tuple(hashes))

    def _checked_index(self, index: int) -> int:
        position = _check_index(index, "index")
        if position >= len(self._digests):
            raise InvalidInputError(f"index must be in 0..{len(self._digests) - 1}, got {position}")
        return position

    def _node(self, height: int, position: int) -> bytes:
        level = self._levels[height]
        return level[position] if position < len(level) else _ZERO_HASHES[height]

    def __repr__(self) -> str:
        return f"MerkleTree(size={self.size}, depth={self.depth}, root=0x{self.root.hex()})"


def implied_root(digest: bytes, proof: InclusionProof) -> bytes | None:
    """The root that ``proof`` leads to from ``digest``; compare it with a trusted root.

    Use :func:`verify_inclusion` unless the root is itself an item of another tree (as an item
    block's root is in a data block, :mod:`offchain.crypto.batching`).

    Args:
        digest: The 32-byte item digest.
        proof: The inclusion proof.

    Returns:
        The 32-byte root, or ``None`` if ``proof.index`` does not fit ``proof.depth`` bits (no
        tree has that leaf).

    Raises:
        InvalidInputError: if ``digest`` is not 32 bytes or ``proof`` is not an
            :class:`InclusionProof`.
    """
    item = _check_digest(digest, "digest")
    if not isinstance(proof, InclusionProof):
        raise InvalidInputError(f"proof must be an InclusionProof, got {type(proof).__name__}")
    if proof.index >> proof.depth:
        return None
    return _fold(keccak256(_LEAF_PREFIX + item), proof.index, proof.siblings)


def verify_inclusion(root: bytes, digest: bytes, proof: InclusionProof) -> bool:
    """Whether ``proof`` shows that ``digest`` is the item at ``proof.index`` under ``root``.

    Args:
        root: The trusted 32-byte root (e.g. read from ``MerkleAnchor``).
        digest: The claimed 32-byte item digest (for a file block: ``sha256(block)``).
        proof: The inclusion proof.

    Returns:
        ``True`` if the proof verifies, ``False`` for any well-formed but wrong proof,
        including an index that does not fit ``proof.depth`` bits.

    Raises:
        InvalidInputError: if ``root`` or ``digest`` is not 32 bytes, or ``proof`` is not an
            :class:`InclusionProof`.
    """
    expected = _check_digest(root, "root")
    reached = implied_root(digest, proof)
    return reached is not None and reached == expected


def verify_multiproof(root: bytes, digests_by_index: Mapping[int, bytes], proof: MultiProof) -> bool:
    """Whether ``proof`` shows that every ``digests_by_index[i]`` is the item at ``i`` under ``root``.

    Args:
        root: The trusted 32-byte root.
        digests_by_index: The claimed item digest of every proven index; its keys must be
            exactly ``proof.indices``.
        proof: The multi-proof.

    Returns:
        ``True`` if the proof verifies, ``False`` for any well-formed but wrong proof: other
        indices than the proof's, an index that does not fit ``proof.depth`` bits, too few or
        too many hashes, or a wrong digest or hash.

    Raises:
        InvalidInputError: if ``root`` or a digest is not 32 bytes, or ``proof`` is not a
            :class:`MultiProof`.
    """
    expected = _check_digest(root, "root")
    if not isinstance(proof, MultiProof):
        raise InvalidInputError(f"proof must be a MultiProof, got {type(proof).__name__}")
    if not isinstance(digests_by_index, Mapping):
        raise InvalidInputError(f"digests_by_index must map indices to digests, got {type(digests_by_index).__name__}")
    items = {i: _check_digest(d, f"digests_by_index[{i}]") for i, d in digests_by_index.items()}
    if set(items) != set(proof.indices) or proof.indices[-1] >> proof.depth:
        return False
    current = [(i, keccak256(_LEAF_PREFIX + items[i])) for i in proof.indices]
    hashes = proof.hashes
    used = 0
    for _ in range(proof.depth):
        parents: list[tuple[int, bytes]] = []
        k = 0
        while k < len(current):
            position, node = current[k]
            if not position & 1 and k + 1 < len(current) and current[k + 1][0] == position + 1:
                parent = keccak256(_NODE_PREFIX + node + current[k + 1][1])
                k += 2
            else:
                if used == len(hashes):
                    return False
                sibling = hashes[used]
                used += 1
                parent = keccak256(_NODE_PREFIX + (sibling + node if position & 1 else node + sibling))
                k += 1
            parents.append((position >> 1, parent))
        current = parents
    return used == len(hashes) and current[0][1] == expected


def block_count(size: int, block_size: int = DEFAULT_BLOCK_SIZE) -> int:
    """How many blocks, the leaves of its tree, a file of ``size`` bytes has: ⌈size / block_size⌉,
    and one (an empty block) for an empty file.

    Raises:
        InvalidInputError: if ``size`` is not an int ≥ 0 or ``block_size`` not an int ≥ 1.
    """
    if not is_int(size) or size < 0:
        raise InvalidInputError(f"size must be an int of at least 0, got {size!r}")
    return max(1, -(-size // _check_block_size(block_size)))


def block_digests(data: bytes | bytearray | memoryview, block_size: int = DEFAULT_BLOCK_SIZE) -> list[bytes]:
    """The item digests of a file's contents: ``sha256`` of each ``block_size``-byte block.

    The last block may be shorter; empty ``data`` is one empty block.

    Args:
        data: The file's contents.
        block_size: Bytes per block, at least 1.

    Returns:
        One 32-byte digest per block.

    Raises:
        InvalidInputError: if ``data`` is not bytes or ``block_size`` is not an int of at least 1.
    """
    size = _check_block_size(block_size)
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInputError(f"data must be bytes, got {type(data).__name__}")
    view = memoryview(data).cast("B")
    if not len(view):
        return [hashlib.sha256(b"").digest()]
    sha256 = hashlib.sha256
    return [sha256(view[offset : offset + size]).digest() for offset in range(0, len(view), size)]


def _default_workers() -> int:
    return min(4, os.cpu_count() or 1)


def _subtree(chunk: bytes, block_size: int) -> tuple[list[bytes], list[list[bytes]]]:
    """The block digests of ``chunk`` and every level of the subtree above them."""
    digests = block_digests(chunk, block_size)
    prefix = _LEAF_PREFIX
    levels = [[keccak256(prefix + d) for d in digests]]
    while len(levels[-1]) > 1:
        levels.append(_hash_level(levels[-1], len(levels) - 1))
    return digests, levels


def _read_full(source: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes, short only at the end of the input (pipes may return less per read)."""
    data = source.read(size)
    if len(data) == size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size and (more := source.read(size - got)):
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _file_subtrees(
    path: Path, block_size: int, chunk_height: int, workers: int
) -> Iterator[tuple[list[bytes], list[list[bytes]]]]:
    """:func:`_subtree` of each ``2**chunk_height``-block chunk of the file, in order."""
    read_bytes = block_size << chunk_height
    with path.open("rb") as source:
        if workers == 1:
            while chunk := _read_full(source, read_bytes):
                yield _subtree(chunk, block_size)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="merkle-sha256") as pool:
            pending: deque[Future[tuple[list[bytes], list[list[bytes]]]]] = deque()
            while chunk := _read_full(source, read_bytes):
                pending.append(pool.submit(_subtree, chunk, block_size))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
