"""The blob-store interface and content locators.

A blob store keeps opaque byte strings (in this toolkit: envelopes from
:mod:`offchain.crypto.envelope`) under *content locators*: ``"sha256:"`` followed by the 64
lowercase hex digits of the blob's SHA-256. The locator is the blob's address and its
integrity check at once: whoever reads a blob can re-hash it and compare, so a store (a
folder, a cloud bucket) need not be trusted for integrity, only for availability.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from offchain.errors import InvalidInputError
from offchain.validation import is_int

__all__ = ["LOCATOR_PREFIX", "MAX_RANGE_BYTES", "BlobStore", "check_range", "locator_for", "parse_locator"]

#: Prefix of every content locator; names the hash function.
LOCATOR_PREFIX = "sha256:"

_LOCATOR_PATTERN = re.compile(r"sha256:[0-9a-f]{64}")


def locator_for(data: bytes) -> str:
    """Return the content locator of ``data``: ``"sha256:" + sha256(data).hex()``."""
    return LOCATOR_PREFIX + hashlib.sha256(data).hexdigest()


#: Largest offset or length of a ranged read (a file position is a signed 64-bit integer).
MAX_RANGE_BYTES = (1 << 63) - 1


def check_range(offset: object, length: object) -> None:
    """Raise unless ``offset`` and ``length`` are ints in [0, :data:`MAX_RANGE_BYTES`].

    Raises:
        InvalidInputError: naming the value that is not.
    """
    for name, value in (("offset", offset), ("length", length)):
        if not is_int(value) or not 0 <= value <= MAX_RANGE_BYTES:
            raise InvalidInputError(f"{name} must be an int in [0, 2^63 − 1], got {value!r}")


def parse_locator(locator: str) -> bytes:
    """Return the 32-byte SHA-256 digest a locator names.

    Args:
        locator: ``"sha256:"`` followed by exactly 64 lowercase hex digits.

    Returns:
        The digest.

    Raises:
        InvalidInputError: if ``locator`` is not of that form.
    """
    if not isinstance(locator, str) or _LOCATOR_PATTERN.fullmatch(locator) is None:
        raise InvalidInputError(
            f"locator must be {LOCATOR_PREFIX!r} followed by 64 lowercase hex digits, got {locator!r}"
        )
    return bytes.fromhex(locator[len(LOCATOR_PREFIX) :])


@runtime_checkable
class BlobStore(Protocol):
    """A content-addressed store of blobs.

    Every method taking a locator raises :class:`~offchain.errors.InvalidInputError` for a
    malformed one (see :func:`parse_locator`).
    """

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its locator; storing the same bytes again is a no-op.

        Raises:
            StorageError: if the blob cannot be written.
        """
        ...

    def put_file(self, path: Path) -> str:
        """Store the contents of the file at ``path``, streaming it, and return its locator.

        Raises:
            StorageError: if the file cannot be read or the blob cannot be written.
        """
        ...

    def get(self, locator: str) -> bytes:
        """Return the blob stored under ``locator``, after checking it against its address.

        Raises:
            StorageError: if no blob is stored under ``locator`` or it cannot be read.
            IntegrityError: if the stored bytes do not hash to ``locator``.
        """
        ...

    def open(self, locator: str) -> BinaryIO:
        """Open the blob stored under ``locator`` for streaming reads.

        Implementations either check the content while it is read or document that the
        caller must check it (e.g. by re-hashing, or by authenticated decryption).

        Raises:
            StorageError: if no blob is stored under ``locator`` or it cannot be opened.
        """
        ...

    def read_range(self, locator: str, offset: int, length: int) -> bytes:
        """Return up to ``length`` bytes of the blob from ``offset``, UNVERIFIED.

        WARNING: a part of a blob cannot be checked against the blob's address. Use this only
        where the caller verifies the bytes otherwise, as an audit does with Merkle paths.

        Raises:
            InvalidInputError: if ``offset`` or ``length`` is negative.
            StorageError: if no blob is stored under ``locator`` or it cannot be read.
        """
        ...

    def exists(self, locator: str) -> bool:
        """Return whether a blob is stored under ``locator`` (its content is not checked)."""
        ...

    def delete(self, locator: str) -> None:
        """Remove the blob stored under ``locator``.

        Raises:
            StorageError: if no blob is stored under ``locator`` or it cannot be removed.
        """
        ...
