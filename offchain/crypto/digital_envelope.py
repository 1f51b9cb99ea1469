"""The digital envelope of Peng et al.: data under a fresh symmetric key, the key under the receiver's ECC key.

Research: Peng, Zhu, Wang, Hu, Song, Wang, *Towards Decentralized Privacy-Preserving of Encrypted
Data Sharing Protocol*, steps (3)–(4): the data-source node encrypts its data with a symmetric key
(SM4 in the paper) and that key with the receiver's public key (ECC), uploads both as one
envelope, and the receiver opens the key with its private key, then the data.

Construction:

* the data key is wrapped with ECIES on P-256: an ephemeral key pair, ECDH with the receiver's
  public key, HKDF-SHA256 (info = domain, cipher, ephemeral and receiver public keys, file id)
  to a one-time key-encryption key, AES-256-GCM of the data key (the KEK is fresh per envelope,
  so its fixed all-zero nonce is never reused);
* the data, by the cipher chosen:

  - ``AES_256_GCM`` (default): the toolkit's chunked AES-256-GCM STREAM envelope
    (:mod:`offchain.crypto.envelope`) under a 32-byte data key, bound to the file id;
  - ``SM4_GCM``: SM4 (GB/T 32907-2016) in GCM mode (RFC 8998), one 12-byte random nonce, the
    header and file id as associated data, a 16-byte data key, for users bound to the Chinese
    standards the paper uses. ``cryptography``'s bundled OpenSSL provides SM4-GCM
    (:func:`sm4_gcm_available`); without it sealing with SM4 raises InvalidInputError.

Format (version 1)::

    envelope = b"DSDENV" || 0x01 || cipher (1 byte: 1 AES-256-GCM, 2 SM4-GCM)
            || ephemeral public key (65 bytes, uncompressed P-256)
            || wrapped data key (AES-GCM: key || 16-byte tag; 48 or 32 bytes by cipher)
            || payload (the STREAM envelope; or the SM4-GCM nonce || ciphertext || tag)

What it does not do: SM2, the paper's curve, is not offered by ``cryptography``; P-256 stands in.
The envelope hides the data, not its length, and does not say who made it: that is the quote's
job (:mod:`offchain.attestation`), which signs SHA-256 of these bytes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import IntEnum

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from offchain.crypto import envelope as stream
from offchain.errors import InvalidInputError, VerificationError

__all__ = [
    "EPHEMERAL_KEY_BYTES",
    "DigitalEnvelope",
    "EnvelopeCipher",
    "generate_receiver_key",
    "open_envelope",
    "receiver_public_bytes",
    "seal",
    "sm4_gcm_available",
    "sm4_gcm_decrypt",
    "sm4_gcm_encrypt",
]

_MAGIC = b"DSDENV"
_VERSION = 1
_KDF_DOMAIN = b"datashare/digital-envelope/v1"
#: Length of the ephemeral public key in an envelope (uncompressed P-256 point).
EPHEMERAL_KEY_BYTES = 65
_TAG_BYTES = 16
_SM4_NONCE_BYTES = 12
_WRAP_NONCE = bytes(12)  # the KEK is single-use (fresh ephemeral key), so one fixed nonce is safe


class EnvelopeCipher(IntEnum):
    """The symmetric cipher of the data."""

    AES_256_GCM = 1
    SM4_GCM = 2

    @property
    def key_bytes(self) -> int:
        """Its data key's length."""
        return 32 if self is EnvelopeCipher.AES_256_GCM else 16


@dataclass(frozen=True)
class DigitalEnvelope:
    """A sealed envelope: the cipher, the ECIES-wrapped data key and the encrypted data."""

    cipher: EnvelopeCipher
    ephemeral_pk: bytes
    wrapped_key: bytes
    payload: bytes

    def to_bytes(self) -> bytes:
        """The envelope's bytes (see the module docstring); a quote signs their SHA-256."""
        return _header(self.cipher, self.ephemeral_pk) + self.wrapped_key + self.payload

    @classmethod
    def from_bytes(cls, data: bytes) -> DigitalEnvelope:
        """Parse :meth:`to_bytes`.

        Raises:
            VerificationError: if ``data`` is not an envelope of this format.
        """
        if not isinstance(data, bytes | bytearray):
            raise InvalidInputError(f"an envelope is bytes, got {type(data).__name__}")
        data = bytes(data)
        if data[: len(_MAGIC)] != _MAGIC or len(data) < len(_MAGIC) + 2 or data[len(_MAGIC)] != _VERSION:
            raise VerificationError("not a digital envelope of format DSDENV version 1")
        try:
            cipher = EnvelopeCipher(data[len(_MAGIC) + 1])
        except ValueError:
            raise VerificationError(f"unknown envelope cipher {data[len(_MAGIC) + 1]}") from None
        offset = len(_MAGIC) + 2
        wrapped_end = offset + EPHEMERAL_KEY_BYTES + cipher.key_bytes + _TAG_BYTES
        if len(data) < wrapped_end:
            raise VerificationError(f"the envelope is {len(data)} bytes, shorter than its header")
        ephemeral = data[offset : offset + EPHEMERAL_KEY_BYTES]
        return cls(cipher, ephemeral, data[offset + EPHEMERAL_KEY_BYTES : wrapped_end], data[wrapped_end:])


def generate_receiver_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key pair for a receiver."""
    return ec.generate_private_key(ec.SECP256R1())


def receiver_public_bytes(receiving_pk: ec.EllipticCurvePublicKey) -> bytes:
    """The receiver's public key as an uncompressed point (65 bytes)."""
    return receiving_pk.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def seal(
    plaintext: bytes,
    receiving_pk: ec.EllipticCurvePublicKey,
    *,
    file_id: bytes,
    cipher: EnvelopeCipher = EnvelopeCipher.AES_256_GCM,
) -> DigitalEnvelope:
    """Encrypt ``plaintext`` under a fresh data key and wrap that key to ``receiving_pk``.

    Args:
        plaintext: The data.
        receiving_pk: The receiver's P-256 public key.
        file_id: 1..64 bytes the envelope is bound to (authenticated, not secret).
        cipher: AES-256-GCM (default) or SM4-GCM.

    Raises:
        InvalidInputError: on a key that is not P-256, a bad file id, or SM4-GCM unavailable.
    """
    _check_receiver(receiving_pk)
    _check_file_id(file_id)
    if not isinstance(plaintext, bytes | bytearray):
        raise InvalidInputError(f"plaintext must be bytes, got {type(plaintext).__name__}")
    cipher = EnvelopeCipher(cipher)
    data_key = secrets.token_bytes(cipher.key_bytes)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    ephemeral_pk = receiver_public_bytes(ephemeral.public_key())
    header = _header(cipher, ephemeral_pk)
    kek = _kek(ephemeral.exchange(ec.ECDH(), receiving_pk), cipher, ephemeral_pk, receiving_pk, file_id)
    wrapped = AESGCM(kek).encrypt(_WRAP_NONCE, data_key, header + file_id)
    if cipher is EnvelopeCipher.AES_256_GCM:
        payload = stream.encrypt(bytes(plaintext), data_key, file_id=file_id)
    else:
        nonce = secrets.token_bytes(_SM4_NONCE_BYTES)
        payload = nonce + sm4_gcm_encrypt(data_key, nonce, bytes(plaintext), header + file_id)
    return DigitalEnvelope(cipher, ephemeral_pk, wrapped, payload)


def open_envelope(
    envelope: DigitalEnvelope | bytes, receiving_sk: ec.EllipticCurvePrivateKey, *, file_id: bytes
) -> bytes:
    """Unwrap the data key with ``receiving_sk`` and decrypt the data; nothing unless all is authentic.

    Raises:
        InvalidInputError: on a key that is not P-256 or a bad file id.
        VerificationError: if the envelope is malformed, for another receiver or file id, or was modified.
    """
    if isinstance(envelope, bytes | bytearray):
        envelope = DigitalEnvelope.from_bytes(envelope)
    if not isinstance(receiving_sk, ec.EllipticCurvePrivateKey):
        raise InvalidInputError(f"receiving_sk must be a P-256 private key, got {type(receiving_sk).__name__}")
    receiving_pk = receiving_sk.public_key()
    _check_receiver(receiving_pk)
    _check_file_id(file_id)
    header = _header(envelope.cipher, envelope.ephemeral_pk)
    try:
        ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), envelope.ephemeral_pk)
    except ValueError:
        raise VerificationError("the envelope's ephemeral key is not a P-256 point") from None
    kek = _kek(
        receiving_sk.exchange(ec.ECDH(), ephemeral), envelope.cipher, envelope.ephemeral_pk, receiving_pk, file_id
    )
    try:
        data_key = AESGCM(kek).decrypt(_WRAP_NONCE, envelope.wrapped_key, header + file_id)
    except InvalidTag:
        raise VerificationError(
            "the data key does not unwrap: another receiver's or file's envelope, or modified"
        ) from None
    if envelope.cipher is EnvelopeCipher.AES_256_GCM:
        return stream.decrypt(envelope.payload, data_key, file_id=file_id)
    nonce, sealed = envelope.payload[:_SM4_NONCE_BYTES], envelope.payload[_SM4_NONCE_BYTES:]
    return sm4_gcm_decrypt(data_key, nonce, sealed, header + file_id)


def sm4_gcm_available() -> bool:
    """Whether ``cryptography``'s OpenSSL offers SM4 in GCM mode."""
    try:
        Cipher(algorithms.SM4(bytes(16)), modes.GCM(bytes(12))).encryptor()
    except UnsupportedAlgorithm:
        return False
    return True


def sm4_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """SM4-GCM (RFC 8998): ciphertext || 16-byte tag.

    Raises:
        InvalidInputError: on a key that is not 16 bytes, a nonce that is not 12, or SM4-GCM unavailable.
    """
    _check_sm4(key, nonce)
    try:
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    except UnsupportedAlgorithm:
        raise InvalidInputError("this build of cryptography offers no SM4-GCM; use AES-256-GCM") from None
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def sm4_gcm_decrypt(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Authenticate and decrypt :func:`sm4_gcm_encrypt`'s output.

    Raises:
        VerificationError: if the tag does not verify (wrong key, nonce or associated data, or modified).
    """
    _check_sm4(key, nonce)
    if len(sealed) < _TAG_BYTES:
        raise VerificationError(f"SM4-GCM ciphertext of {len(sealed)} bytes has no room for its tag")
    try:
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[-_TAG_BYTES:])).decryptor()
    except UnsupportedAlgorithm:
        raise InvalidInputError("this build of cryptography offers no SM4-GCM") from None
    decryptor.authenticate_additional_data(aad)
    plaintext = decryptor.update(sealed[:-_TAG_BYTES])
    try:
        return plaintext + decryptor.finalize()
    except InvalidTag:
        raise VerificationError("SM4-GCM tag does not verify: wrong key, or the ciphertext was modified") from None


def _header(cipher: EnvelopeCipher, ephemeral_pk: bytes) -> bytes:
    return _MAGIC + bytes([_VERSION, int(cipher)]) + ephemeral_pk


def _kek(
    shared: bytes, cipher: EnvelopeCipher, ephemeral_pk: bytes, receiving_pk: ec.EllipticCurvePublicKey, file_id: bytes
) -> bytes:
    info = _KDF_DOMAIN + bytes([int(cipher)]) + ephemeral_pk + receiver_public_bytes(receiving_pk) + file_id
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def _check_receiver(key: object) -> None:
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InvalidInputError("the receiver's key must be a P-256 public key")


def _check_file_id(file_id: object) -> None:
    if not isinstance(file_id, bytes) or not 1 <= len(file_id) <= stream.MAX_FILE_ID_BYTES:
        raise InvalidInputError(f"file_id must be 1..{stream.MAX_FILE_ID_BYTES} bytes")


def _check_sm4(key: object, nonce: object) -> None:
    if not isinstance(key, bytes) or len(key) != 16:
        raise InvalidInputError("an SM4 key is 16 bytes")
    if not isinstance(nonce, bytes) or len(nonce) != _SM4_NONCE_BYTES:
        raise InvalidInputError(f"an SM4-GCM nonce is {_SM4_NONCE_BYTES} bytes")
