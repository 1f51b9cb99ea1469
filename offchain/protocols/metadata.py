"""The metadata a file record carries on chain (bound to the record by the registry's digest)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from offchain.errors import IntegrityError

__all__ = ["SCHEMA", "FileMetadata"]

#: Identifier of this metadata layout.
SCHEMA = "datashare/file/v1"


@dataclass(frozen=True)
class FileMetadata:
    """Public facts about a file version, needed to check and audit it.

    Attributes:
        block_size: Bytes per Merkle block of the ciphertext.
        block_count: Number of blocks (leaves) of the ciphertext's Merkle tree.
        ciphertext_bytes: Size of the ciphertext.
        delegating_pk: The file's own Umbral public key (33 bytes), that its key capsule is
            sealed to and its kfrags are made from (one key per file: see DataOwner).
        cipher: The envelope format.
        name: Optional human-readable label (do not put secrets here: it is public).
    """

    block_size: int
    block_count: int
    ciphertext_bytes: int
    delegating_pk: bytes
    cipher: str = "AES-256-GCM-STREAM/v1"
    name: str = ""

    def to_bytes(self) -> bytes:
        """Compact JSON, keys sorted, as registered on chain."""
        data = {
            "schema": SCHEMA,
            "block_size": self.block_size,
            "block_count": self.block_count,
            "ciphertext_bytes": self.ciphertext_bytes,
            "delegating_pk": self.delegating_pk.hex(),
            "cipher": self.cipher,
            "name": self.name,
        }
        return json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> FileMetadata:
        """Parse registered metadata.

        Raises:
            IntegrityError: if it is not metadata of this schema.
        """
        try:
            data = json.loads(raw.decode("utf-8"))
            if data.get("schema") != SCHEMA:
                raise IntegrityError(f"metadata schema {data.get('schema')!r} is not {SCHEMA!r}")
            return cls(
                block_size=int(data["block_size"]),
                block_count=int(data["block_count"]),
                ciphertext_bytes=int(data["ciphertext_bytes"]),
                delegating_pk=bytes.fromhex(str(data["delegating_pk"])),
                cipher=str(data["cipher"]),
                name=str(data.get("name", "")),
            )
        except IntegrityError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IntegrityError(f"file metadata is not valid {SCHEMA} JSON: {exc!r}") from exc
