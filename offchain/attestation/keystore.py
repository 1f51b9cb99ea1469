"""The attestation keystore: a node's P-256 attestation key in a passphrase-encrypted file.

For nodes without a TPM (the software measured-boot path, :mod:`offchain.attestation.software`).
The private key never touches the disk in the clear: it is sealed with AES-256-GCM under a key
derived from the passphrase with scrypt (RFC 7914), and the file is written to a temporary name
and renamed into place (:func:`~offchain.atomic_io.atomic_write_text`).

File format (JSON, version 1)::

    {"format": "datashare-attestation-key", "version": 1, "curve": "P-256",
     "public_key": hex(DER SubjectPublicKeyInfo),
     "kdf": {"name": "scrypt", "salt": hex(16 bytes), "n": 2**15, "r": 8, "p": 1},
     "cipher": {"name": "AES-256-GCM", "nonce": hex(12 bytes)},
     "ciphertext": hex(AES-GCM(PKCS#8 DER private key) || tag)}

The associated data is every field but ``ciphertext`` (canonical JSON), so a changed public
key, curve or KDF parameter fails like a wrong passphrase (:class:`WrongPassphraseError`).

Caveat: a key in a file is only as safe as the node's operating system and passphrase; a
software quote proves possession of this key, not what the node runs.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from offchain.atomic_io import atomic_write_text
from offchain.attestation.errors import WrongPassphraseError
from offchain.errors import InvalidInputError

__all__ = [
    "DEFAULT_SCRYPT_N",
    "KEYSTORE_VERSION",
    "generate_attestation_key",
    "load_attestation_key",
    "public_key_der",
    "save_attestation_key",
]

#: Format version written and read.
KEYSTORE_VERSION = 1
#: scrypt's cost parameter by default (2**15: about 0.1 s and 32 MiB).
DEFAULT_SCRYPT_N = 1 << 15
_MIN_SCRYPT_N = 1 << 14
_FORMAT = "datashare-attestation-key"


def generate_attestation_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 attestation key."""
    return ec.generate_private_key(ec.SECP256R1())


def public_key_der(private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """The DER SubjectPublicKeyInfo of ``private_key``'s public key (what the registry admits)."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def save_attestation_key(
    path: Path, private_key: ec.EllipticCurvePrivateKey, passphrase: str, *, scrypt_n: int = DEFAULT_SCRYPT_N
) -> None:
    """Seal ``private_key`` under ``passphrase`` into ``path`` (written then renamed).

    Raises:
        InvalidInputError: on an empty passphrase, a key that is not P-256, or ``scrypt_n`` not a
            power of two of at least 2**14.
    """
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(private_key.curve, ec.SECP256R1):
        raise InvalidInputError("the attestation key must be a P-256 private key")
    if (
        isinstance(scrypt_n, bool)
        or not isinstance(scrypt_n, int)
        or scrypt_n < _MIN_SCRYPT_N
        or scrypt_n & (scrypt_n - 1)
    ):
        raise InvalidInputError(f"scrypt_n must be a power of two of at least {_MIN_SCRYPT_N}, got {scrypt_n!r}")
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    header: dict[str, Any] = {
        "format": _FORMAT,
        "version": KEYSTORE_VERSION,
        "curve": "P-256",
        "public_key": public_key_der(private_key).hex(),
        "kdf": {"name": "scrypt", "salt": salt.hex(), "n": scrypt_n, "r": 8, "p": 1},
        "cipher": {"name": "AES-256-GCM", "nonce": nonce.hex()},
    }
    secret = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    sealed = AESGCM(_derive(passphrase, salt, scrypt_n)).encrypt(nonce, secret, _aad(header))
    atomic_write_text(Path(path), json.dumps({**header, "ciphertext": sealed.hex()}, indent=2) + "\n")


def load_attestation_key(path: Path, passphrase: str) -> ec.EllipticCurvePrivateKey:
    """Open the keystore at ``path``.

    Raises:
        InvalidInputError: if the file is not a keystore of this format and version.
        WrongPassphraseError: if the passphrase is wrong or the file was modified.
        OSError: if it cannot be read.
    """
    try:
        stored = json.loads(Path(path).read_text())
        header = {key: stored[key] for key in ("format", "version", "curve", "public_key", "kdf", "cipher")}
        ciphertext = bytes.fromhex(stored["ciphertext"])
        salt, scrypt_n = bytes.fromhex(header["kdf"]["salt"]), int(header["kdf"]["n"])
        nonce = bytes.fromhex(header["cipher"]["nonce"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"{path} is not an attestation keystore: {exc}") from None
    if (header["format"], header["version"]) != (_FORMAT, KEYSTORE_VERSION):
        raise InvalidInputError(
            f"{path}: expected {_FORMAT} version {KEYSTORE_VERSION}, "
            f"found {header['format']} version {header['version']}"
        )
    if scrypt_n < _MIN_SCRYPT_N or scrypt_n > 1 << 22:
        raise InvalidInputError(f"{path}: scrypt n {scrypt_n} is out of range")
    try:
        secret = AESGCM(_derive(passphrase, salt, scrypt_n)).decrypt(nonce, ciphertext, _aad(header))
    except InvalidTag:
        raise WrongPassphraseError(f"{path} does not open with this passphrase (or was modified)") from None
    key = serialization.load_der_private_key(secret, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InvalidInputError(f"{path} holds no EC private key")
    return key


def _derive(passphrase: str, salt: bytes, scrypt_n: int) -> bytes:
    if not isinstance(passphrase, str) or not passphrase:
        raise InvalidInputError("the passphrase must be a non-empty string")
    return Scrypt(salt=salt, length=32, n=scrypt_n, r=8, p=1).derive(passphrase.encode("utf-8"))


def _aad(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
