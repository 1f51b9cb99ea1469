"""Audit challenges: which blocks of a file an auditor asks the server to prove it still holds.

Research: Huang et al. 2020 §3.3 "Data auditing": any user audits a file without a third party
by sampling k blocks from a seed derived from the file's Merkle root R, ``s = H^k(R)``, and
checking the returned blocks against R.

Correction kept from the paper's intent: a seed computed from R alone is known in advance, so
a server could keep just the k blocks it will be asked for and discard the rest. Here the seed
also binds a *fresh, unpredictable* challenge nonce (the auditor's random bytes, or the hash of
a block mined after the server committed to R, which makes the challenge publicly checkable):

    s = keccak256(H^k(R) || nonce)            with H^k the k-fold keccak256

Indices come from a counter-mode PRNG on s (``keccak256(s || counter)``), reduced to
``[0, block_count)`` by rejection sampling (no modulo bias), without repetition while
``k <= block_count``.

If a fraction f of the blocks is damaged, k distinct samples miss all of them with probability
at most ``(1 - f)^k``: k = 10 finds a 30 % loss with probability above 97 %; finding one flipped
bit in a large file with high probability needs k close to the block count (or repeated audits).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from offchain.crypto.hashing import keccak256
from offchain.errors import InvalidInputError
from offchain.validation import is_int

__all__ = ["MAX_K", "NONCE_BYTES", "Challenge", "challenge_indices", "challenge_seed", "new_challenge"]

#: Length of an auditor's random challenge nonce.
NONCE_BYTES = 32
#: Most blocks one challenge asks for (the seed costs k hashes: an unbounded k never returns).
MAX_K = 1 << 16


@dataclass(frozen=True)
class Challenge:
    """A challenge for ``k`` blocks of a file of ``block_count`` blocks under Merkle root ``root``.

    Attributes:
        root: The file's Merkle root as registered on chain.
        block_count: Number of blocks of the file.
        k: Number of blocks asked for.
        nonce: The fresh randomness bound into the seed.
        indices: The block indices asked for, in challenge order.
    """

    root: bytes
    block_count: int
    k: int
    nonce: bytes
    indices: tuple[int, ...]


def challenge_seed(root: bytes, k: int, nonce: bytes) -> bytes:
    """``keccak256(H^k(root) || nonce)``, see the module docstring.

    Raises:
        InvalidInputError: ``root`` is not 32 bytes, ``nonce`` not non-empty bytes, or ``k`` not
            an int in 1..:data:`MAX_K`.
    """
    if not isinstance(root, bytes) or len(root) != 32:
        raise InvalidInputError(f"root must be 32 bytes, got {_describe(root)}")
    _check_k(k)
    if not isinstance(nonce, bytes) or not nonce:
        raise InvalidInputError("nonce must be non-empty bytes: a seed from the root alone is predictable")
    digest = root
    for _ in range(k):
        digest = keccak256(digest)
    return keccak256(digest + nonce)


def challenge_indices(seed: bytes, k: int, block_count: int) -> tuple[int, ...]:
    """``k`` block indices in ``[0, block_count)`` from ``seed``, distinct while ``k <= block_count``.

    Raises:
        InvalidInputError: if ``seed`` is not bytes, ``block_count`` is not an int in 1..2^64 − 1, or
            ``k`` not an int in 1..:data:`MAX_K`.
    """
    if not isinstance(seed, bytes):
        raise InvalidInputError(f"seed must be bytes, got {_describe(seed)}")
    if not is_int(block_count) or not 1 <= block_count < 1 << 64:
        # above 2^256 no hash value would be below the rejection limit: the loop would never end
        raise InvalidInputError(f"block_count must be an int in 1..2^64 − 1, got {block_count!r}")
    _check_k(k)
    distinct = k <= block_count
    bound = 1 << 256
    limit = bound - bound % block_count  # values at or above it would bias the modulo
    chosen: list[int] = []
    seen: set[int] = set()
    counter = 0
    while len(chosen) < k:
        value = int.from_bytes(keccak256(seed + counter.to_bytes(8, "big")), "big")
        counter += 1
        if value >= limit:
            continue
        index = value % block_count
        if distinct and index in seen:
            continue
        seen.add(index)
        chosen.append(index)
    return tuple(chosen)


def _check_k(k: object) -> None:
    if not is_int(k) or not 1 <= k <= MAX_K:
        raise InvalidInputError(f"k must be an int in 1..{MAX_K}, got {k!r}")


def _describe(value: object) -> str:
    return f"{len(value)} bytes" if isinstance(value, bytes) else f"a {type(value).__name__}"


def new_challenge(root: bytes, block_count: int, k: int, nonce: bytes | None = None) -> Challenge:
    """A challenge with a fresh random nonce (or the given one, e.g. a recent block hash)."""
    fresh = nonce if nonce is not None else secrets.token_bytes(NONCE_BYTES)
    seed = challenge_seed(root, k, fresh)
    return Challenge(
        root=root, block_count=block_count, k=k, nonce=fresh, indices=challenge_indices(seed, k, block_count)
    )
