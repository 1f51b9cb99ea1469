"""What a receiver needs to open a file: the data key, the commitment salt and the download token.

The owner seals these 96 bytes under its own Umbral public key when it uploads (the key capsule
the proxies later re-encrypt, Feng et al. 2022 §6.8), so that sharing a file never means
sending its data key in the clear.
"""

from __future__ import annotations

from dataclasses import dataclass

from offchain.crypto.envelope import DATA_KEY_BYTES
from offchain.crypto.hashing import SALT_BYTES
from offchain.errors import InvalidInputError

__all__ = ["FileKeys"]

_TOKEN_BYTES = 32


@dataclass(frozen=True, repr=False)
class FileKeys:
    """The secrets of one file version.

    Attributes:
        data_key: The AES-256-GCM data key of the envelope.
        salt: The salt of the content commitment.
        download_token: ``K_f* = H(f*)``; the server serves ``f*`` to whoever shows it, since it
            keeps only ``K_f** = H(K_f*)`` (Zheng et al. 2018 §4.3).
    """

    data_key: bytes
    salt: bytes
    download_token: bytes

    def __post_init__(self) -> None:
        for name, value, size in (
            ("data_key", self.data_key, DATA_KEY_BYTES),
            ("salt", self.salt, SALT_BYTES),
            ("download_token", self.download_token, _TOKEN_BYTES),
        ):
            if len(value) != size:
                raise InvalidInputError(f"{name} must be {size} bytes, got {len(value)}")

    def to_bytes(self) -> bytes:
        """The 96-byte payload sealed with proxy re-encryption."""
        return self.data_key + self.salt + self.download_token

    @classmethod
    def from_bytes(cls, payload: bytes) -> FileKeys:
        """Parse a payload made by :meth:`to_bytes`.

        Raises:
            InvalidInputError: if ``payload`` is not bytes of the right length.
        """
        expected = DATA_KEY_BYTES + SALT_BYTES + _TOKEN_BYTES
        if not isinstance(payload, bytes):
            raise InvalidInputError(f"file keys payload must be bytes, got {type(payload).__name__}")
        if len(payload) != expected:
            raise InvalidInputError(f"file keys payload must be {expected} bytes, got {len(payload)}")
        return cls(
            data_key=payload[:DATA_KEY_BYTES],
            salt=payload[DATA_KEY_BYTES : DATA_KEY_BYTES + SALT_BYTES],
            download_token=payload[DATA_KEY_BYTES + SALT_BYTES :],
        )

    def __repr__(self) -> str:  # never print secrets
        return "FileKeys(<secret>)"
