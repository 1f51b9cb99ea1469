"""The metadata a file record carries on chain (bound to the record by the registry's digest).

Every metadata byte costs gas twice (calldata and event data, about 24 gas a byte), so the
format is packed binary, not JSON: 51 bytes plus the optional name.

    version          1 byte   0x01
    block_size       4 bytes  big-endian, bytes per Merkle block of the ciphertext
    block_count      4 bytes  big-endian, leaves of the ciphertext's Merkle tree
    ciphertext_bytes 8 bytes  big-endian
    delegating_pk   33 bytes  the file's Umbral public key (compressed secp256k1)
    cipher           1 byte   0x01 = AES-256-GCM STREAM, envelope format v1
    name             0..256 bytes of UTF-8, public label (never put secrets here)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from offchain.errors import IntegrityError, InvalidInputError

__all__ = ["CIPHERS", "FORMAT_VERSION", "MAX_NAME_BYTES", "FileMetadata"]

#: Version byte of this layout.
FORMAT_VERSION = 1
#: Cipher ids and their names.
CIPHERS = {1: "AES-256-GCM-STREAM/v1"}
#: Longest name, in UTF-8 bytes.
MAX_NAME_BYTES = 256

_LAYOUT = struct.Struct(">BIIQ33sB")


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
    """

    block_size: int
    block_count: int
    ciphertext_bytes: int
    delegating_pk: bytes
    cipher: int = 1
    name: str = ""

    def __post_init__(self) -> None:
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
        """The packed form registered on chain (see the module docstring)."""
        head = _LAYOUT.pack(
            FORMAT_VERSION, self.block_size, self.block_count, self.ciphertext_bytes, self.delegating_pk, self.cipher
        )
        return head + self.name.encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> FileMetadata:
        """Parse registered metadata.

        Raises:
            IntegrityError: if it is not metadata of this format.
        """
        if len(raw) < _LAYOUT.size or raw[0] != FORMAT_VERSION:
            raise IntegrityError(
                f"file metadata must start with version {FORMAT_VERSION} and hold at least {_LAYOUT.size} bytes, "
                f"got {len(raw)} bytes starting {raw[:1].hex() or 'empty'}"
            )
        _, block_size, block_count, ciphertext_bytes, delegating_pk, cipher = _LAYOUT.unpack_from(raw)
        try:
            return cls(
                block_size=block_size,
                block_count=block_count,
                ciphertext_bytes=ciphertext_bytes,
                delegating_pk=delegating_pk,
                cipher=cipher,
                name=raw[_LAYOUT.size :].decode("utf-8"),
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
        }
