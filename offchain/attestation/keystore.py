"""The attestation keystore: a node's P-256 attestation key in a passphrase-encrypted file.

For nodes without a TPM (the software measured-boot path, :mod:`offchain.attestation.software`).
The file is a :class:`~offchain.keystore.Keystore` (scrypt → AES-256-GCM, written then renamed;
its format is documented there) holding one secret, ``attestation-key`` (the PKCS#8 DER private
key), with purpose ``datashare attestation key`` and two authenticated public attributes:
``curve`` (``P-256``) and ``public_key`` (hex of the DER SubjectPublicKeyInfo, readable without
the passphrase). A wrong passphrase raises :class:`~offchain.errors.WrongPassphraseError`, a
modified file :class:`~offchain.errors.TamperedKeystoreError`.

Files of the earlier ``datashare-attestation-key`` format are no longer read: make a new key
(:func:`generate_attestation_key`) and admit it on chain.

Caveat: a key in a file is only as safe as the node's operating system and passphrase; a
software quote proves possession of this key, not what the node runs.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from offchain.errors import InvalidInputError, KeystoreFormatError
from offchain.keystore import DEFAULT_SCRYPT_N, KEYSTORE_VERSION, Keystore

__all__ = [
    "DEFAULT_SCRYPT_N",
    "KEYSTORE_VERSION",
    "generate_attestation_key",
    "load_attestation_key",
    "public_key_der",
    "save_attestation_key",
]

_PURPOSE = "datashare attestation key"
_SECRET_NAME = "attestation-key"


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
            power of two in [2**14, 2**20].
    """
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(private_key.curve, ec.SECP256R1):
        raise InvalidInputError("the attestation key must be a P-256 private key")
    secret = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    Keystore.create(
        Path(path),
        passphrase,
        secrets_by_name={_SECRET_NAME: secret},
        purpose=_PURPOSE,
        public={"curve": "P-256", "public_key": public_key_der(private_key).hex()},
        scrypt_n=scrypt_n,
    )


def load_attestation_key(path: Path, passphrase: str) -> ec.EllipticCurvePrivateKey:
    """Open the keystore at ``path``.

    Raises:
        KeystoreFormatError: if the file is not a keystore of this format and version, or not
            an attestation key's (an :class:`~offchain.errors.InvalidInputError`).
        WrongPassphraseError: if the passphrase is wrong.
        TamperedKeystoreError: if the file was modified.
        OSError: if it cannot be read.
    """
    store = Keystore.open(Path(path), passphrase)
    if store.purpose != _PURPOSE or store.names() != (_SECRET_NAME,):
        raise KeystoreFormatError(f"{path} is a keystore for {store.purpose!r}, not an attestation key")
    key = serialization.load_der_private_key(store.get(_SECRET_NAME), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or public_key_der(key).hex() != store.public.get("public_key"):
        raise KeystoreFormatError(f"{path} holds no P-256 key matching its public key")
    return key
