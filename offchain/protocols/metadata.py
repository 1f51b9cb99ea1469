"""The metadata a file record carries on chain (bound to the record by the registry's digest).

Every metadata byte costs gas twice (calldata and event data, about 24 gas a byte), so the
format is packed binary, not JSON: 83 bytes plus the optional name (version 2).

    version          1 byte   0x02 (0x01: the same without capsule_hash, 51 bytes)
    block_size       4 bytes  big-endian, bytes per Merkle block of the ciphertext
    block_count      4 bytes  big-endian, leaves of the ciphertext's Merkle tree
    ciphertext_bytes 8 bytes  big-endian
    delegating_pk   33 bytes  the file's Umbral public key (compressed secp256k1)
    cipher           1 byte   0x01 = AES-256-GCM STREAM, envelope format v1
    capsule_hash    32 bytes  SHA-256 of the sealed key capsule (version 2 only)
    name             0..256 bytes of UTF-8, public label (never put secrets here)

The capsule hash binds the owner's sealed key capsule (the data key, salt and download token
sealed under ``delegating_pk``) to the registration: the registry's record digest covers the
metadata, so a storage server, or anyone storing under the file's id, cannot swap the capsule
without every reader noticing (:func:`check_capsule`). Version 1 metadata (no capsule hash)
still parses, with ``capsule_hash=None``; readers refuse to use the capsule of such a file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from offchain.crypto import pre
from offchain.crypto.hashing import sha256
from offchain.errors import IntegrityError, InvalidInputError

__all__ = ["CIPHERS", "FORMAT_VERSION", "MAX_NAME_BYTES", "FileMetadata", "capsule_hash", "check_capsule"]

#: Version byte of the layout written (version 1, without the capsule hash, is still read).
FORMAT_VERSION = 2
#: Cipher ids and their names.
CIPHERS = {1: "AES-256-GCM-STREAM/v1"}
#: Longest name, in UTF-8 bytes.
MAX_NAME_BYTES = 256

_LAYOUT_V1 = struct.Struct(">BIIQ33sB")
_LAYOUT = struct.Struct(">BIIQ33sB32s")


def capsule_hash(sealed: pre.SealedKey) -> bytes:
    """SHA-256 of a sealed key capsule's serialised form: what the metadata commits to.

    Raises:
        InvalidInputError: if ``sealed`` is not a :class:`~offchain.crypto.pre.SealedKey`.
    """
    if not isinstance(sealed, pre.SealedKey):
        raise InvalidInputError(f"expected a SealedKey, got {type(sealed).__name__}")
    return sha256(sealed.to_bytes())


@dataclass(frozen=True)
class FileMetadata:
    """Public facts about a file version, needed to check, audit and share it.

    Attributes:
        block_size: Bytes per Merkle block of the ciphertext.
        block_count: Number of blocks (leaves) of the ciphertext's Merkle tree.
        ciphertext_bytes: Size of the ciphertext.
        delegating_pk: The file's own Umbral public key (33 bytes), which its key capsule is
            sealed to and its kfrags are made from (one key per file: see DataOwner).
        cipher: Cipher id, a key of :data:`CIPHERS`.
        name: Optional public label.
        capsule_hash: SHA-256 of the file's sealed key capsule (:func:`capsule_hash`); ``None``
            only for version-1 metadata, whose capsule no reader accepts.
    """

    block_size: int
    block_count: int
    ciphertext_bytes: int
    delegating_pk: bytes
    cipher: int = 1
    name: str = ""
    capsule_hash: bytes | None = None

    def __post_init__(self) -> None:
        if self.capsule_hash is not None and len(self.capsule_hash) != 32:
            raise InvalidInputError(f"capsule_hash must be 32 bytes, got {len(self.capsule_hash)}")
        if self.cipher not in CIPHERS:
            raise InvalidInputError(f"cipher id must be one of {sorted(CIPHERS)}, got {self.cipher}")
        if len(self.delegating_pk) != 33:
            raise InvalidInputError(f"delegating_pk must be 33 bytes, got {len(self.delegating_pk)}")
        if len(self.name.encode("utf-8")) > MAX_NAME_BYTES:
            raise InvalidInputError(f"name must be at most {MAX_NAME_BYTES} bytes of UTF-8")
        for field_name, value, bits in (
            ("block_size", self.block_size, 32),
            ("block_count", self.block_count, 32),
            ("ciphertext_bytes", self.ciphertext_bytes, 64),
        ):
            if not 0 < value < 2**bits:
                raise InvalidInputError(f"{field_name} must be in 1..2**{bits}-1, got {value}")

    def to_bytes(self) -> bytes:
        """The packed form registered on chain (see the module docstring): version 2, or version
        1 for metadata without a capsule hash."""
        fields = (self.block_size, self.block_count, self.ciphertext_bytes, self.delegating_pk, self.cipher)
        if self.capsule_hash is None:
            head = _LAYOUT_V1.pack(1, *fields)
        else:
            head = _LAYOUT.pack(FORMAT_VERSION, *fields, self.capsule_hash)
        return head + self.name.encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> FileMetadata:
        """Parse registered metadata.

        Raises:
            IntegrityError: if it is not metadata of this format.
        """
        if not isinstance(raw, bytes | bytearray):
            raise IntegrityError(f"file metadata is bytes, got {type(raw).__name__}")
        raw = bytes(raw)
        layout = {1: _LAYOUT_V1, FORMAT_VERSION: _LAYOUT}.get(raw[0]) if raw else None
        if layout is None or len(raw) < layout.size:
            raise IntegrityError(
                f"file metadata must start with version 1 or {FORMAT_VERSION} and hold at least {_LAYOUT_V1.size} "
                f"(version 1) or {_LAYOUT.size} bytes, got {len(raw)} bytes starting {raw[:1].hex() or 'empty'}"
            )
        _, block_size, block_count, ciphertext_bytes, delegating_pk, cipher, *rest = layout.unpack_from(raw)
        try:
            return cls(
                block_size=block_size,
                block_count=block_count,
                ciphertext_bytes=ciphertext_bytes,
                delegating_pk=delegating_pk,
                cipher=cipher,
                name=raw[layout.size :].decode("utf-8"),
                capsule_hash=rest[0] if rest else None,
            )
        except (InvalidInputError, UnicodeDecodeError) as exc:
            raise IntegrityError(f"file metadata is malformed: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        """A readable form, for display."""
        return {
            "block_size": self.block_size,
            "block_count": self.block_count,
            "ciphertext_bytes": self.ciphertext_bytes,
            "delegating_pk": self.delegating_pk.hex(),
            "cipher": CIPHERS[self.cipher],
            "name": self.name,
            "capsule_hash": self.capsule_hash.hex() if self.capsule_hash is not None else None,
        }


def check_capsule(metadata: FileMetadata, sealed: pre.SealedKey, file_id: bytes) -> pre.SealedKey:
    """Return ``sealed`` if its hash is the one registered in ``metadata``.

    Every reader of a capsule (owner, buyer, auditor, storage server) calls this before use.

    Raises:
        IntegrityError: if ``sealed`` is not a sealed key capsule, or the metadata has no
            capsule hash (version 1) or another one.
    """
    if not isinstance(sealed, pre.SealedKey):
        raise IntegrityError(
            f"the sealed key capsule of file 0x{file_id.hex()} is a {type(sealed).__name__}, not a SealedKey"
        )
    if metadata.capsule_hash is None:
        raise IntegrityError(
            f"file 0x{file_id.hex()} was registered without a capsule hash (metadata version 1): "
            "its sealed key capsule cannot be checked against the chain"
        )
    found = capsule_hash(sealed)
    if found != metadata.capsule_hash:
        raise IntegrityError(
            f"the sealed key capsule of file 0x{file_id.hex()} does not match the chain: "
            f"SHA-256 0x{found.hex()}, registered 0x{metadata.capsule_hash.hex()}"
        )
    return sealed
