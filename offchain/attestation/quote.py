"""Quotes: a platform's signature over its PCR digest and a qualifying value bound to the upload.

Research: Peng et al., *Towards Decentralized Privacy-Preserving of Encrypted Data Sharing
Protocol*, Eq. 1–9: Quote = Sign_PIK(PCR, nonce, Updata). Here the signed qualifying value is
``SHA-256(domain || nonce || SHA-256(envelope))`` (:func:`qualifying_data`): 32 bytes, as a TPM's
``extraData`` allows, binding the quote to the receiver's fresh nonce *and* to the exact digital
envelope uploaded. A quote carries the nonce and the data digest in the clear beside the signed
structure, so the verifier can say which of the two is wrong.

Two kinds of signed structure (``attested``):

* ``tpm2``: a TPM 2.0 ``TPMS_ATTEST`` of type ``TPM_ST_ATTEST_QUOTE`` (magic ``TPM_GENERATED``),
  made by the TPM itself with a restricted signing key, which will sign nothing that does not
  start with that magic (:func:`parse_tpm_attest` reads it);
* ``software``: ``b"DSSWQUOTE" || 0x01 || pcr_digest || qualifying_data``, signed by a key in a
  file (:mod:`offchain.attestation.software`): proves only possession of that key.

Both are ECDSA P-256 / SHA-256 signatures (DER) under the attestation key, a DER
SubjectPublicKeyInfo, whose keccak256 is the device id on chain.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from offchain.attestation.errors import MalformedQuoteError, QuoteSignatureError
from offchain.chain.device_registry import device_id_of
from offchain.crypto.hashing import sha256
from offchain.errors import InvalidInputError

__all__ = [
    "SOFTWARE_MAGIC",
    "TPM_GENERATED",
    "TPM_SHA256",
    "AttestedState",
    "Quote",
    "QuoteKind",
    "parse_tpm_attest",
    "qualifying_data",
    "software_attested",
    "verify_quote_signature",
]

_QUALIFYING_DOMAIN = b"datashare/attested-upload/v1"
_FORMAT_MAGIC = b"DSQUOTE"
_FORMAT_VERSION = 1
#: The first bytes of a software quote's signed structure.
SOFTWARE_MAGIC = b"DSSWQUOTE\x01"
#: ``TPM_GENERATED_VALUE``: the first four bytes of every structure a TPM signs.
TPM_GENERATED = 0xFF544347
_TPM_ST_ATTEST_QUOTE = 0x8018
#: ``TPM_ALG_SHA256``.
TPM_SHA256 = 0x000B


class QuoteKind(StrEnum):
    """Who made a quote: a TPM 2.0, or the software measured-boot path."""

    TPM2 = "tpm2"
    SOFTWARE = "software"


def qualifying_data(nonce: bytes, data_digest: bytes) -> bytes:
    """What a quote signs beside the PCR digest: ``SHA-256(domain || nonce || data_digest)``."""
    for name, value in (("nonce", nonce), ("data_digest", data_digest)):
        if not isinstance(value, bytes) or len(value) != 32:
            raise InvalidInputError(f"{name} must be 32 bytes, got {value!r:.40}")
    return sha256(_QUALIFYING_DOMAIN + nonce + data_digest)


def software_attested(pcr_digest: bytes, qualifying: bytes) -> bytes:
    """The structure a software quote signs."""
    return SOFTWARE_MAGIC + pcr_digest + qualifying


@dataclass(frozen=True)
class AttestedState:
    """What a signed structure states.

    Attributes:
        pcr_digest: SHA-256 over the selected PCR values.
        qualifying_data: The signed value bound to the nonce and the upload.
        pcr_selection: ``(hash algorithm, PCR indices)`` pairs quoted (``((TPM_SHA256, (23,)),)``
            for a software quote, which stands for one SHA-256 PCR).
    """

    pcr_digest: bytes
    qualifying_data: bytes
    pcr_selection: tuple[tuple[int, tuple[int, ...]], ...]


@dataclass(frozen=True)
class Quote:
    """A quote with what it was made for.

    Attributes:
        kind: TPM 2.0 or software.
        attestation_key: DER SubjectPublicKeyInfo of the P-256 key that signed it.
        attested: The signed structure (``TPMS_ATTEST`` or the software form).
        signature: DER ECDSA signature over ``attested`` (SHA-256).
        nonce: The receiver's 32-byte nonce.
        data_digest: SHA-256 of the envelope the quote covers.
    """

    kind: QuoteKind
    attestation_key: bytes
    attested: bytes
    signature: bytes
    nonce: bytes
    data_digest: bytes

    @property
    def device_id(self) -> bytes:
        """The device id on chain: keccak256 of the attestation key."""
        return device_id_of(self.attestation_key)

    def to_bytes(self) -> bytes:
        """``b"DSQUOTE" || 0x01 || kind || nonce || data_digest`` then key, attested and
        signature, each with a 2-byte big-endian length."""
        kind = 0 if self.kind is QuoteKind.TPM2 else 1
        parts = [_FORMAT_MAGIC, bytes([_FORMAT_VERSION, kind]), self.nonce, self.data_digest]
        for field in (self.attestation_key, self.attested, self.signature):
            parts.append(struct.pack(">H", len(field)) + field)
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> Quote:
        """Parse :meth:`to_bytes`.

        Raises:
            MalformedQuoteError: if ``data`` is not a quote of this format.
        """
        reader = _Reader(data, "quote")
        if reader.take(len(_FORMAT_MAGIC)) != _FORMAT_MAGIC or reader.take(1)[0] != _FORMAT_VERSION:
            raise MalformedQuoteError("not a quote of format DSQUOTE version 1")
        kind_byte = reader.take(1)[0]
        if kind_byte not in (0, 1):
            raise MalformedQuoteError(f"unknown quote kind {kind_byte}")
        nonce, digest = reader.take(32), reader.take(32)
        key, attested, signature = (reader.take(reader.u16()) for _ in range(3))
        reader.done()
        kind = QuoteKind.TPM2 if kind_byte == 0 else QuoteKind.SOFTWARE
        return cls(kind, key, attested, signature, nonce, digest)


def parse_tpm_attest(attested: bytes) -> AttestedState:
    """Read a TPM 2.0 ``TPMS_ATTEST`` quote structure (TPM 2.0 Part 2, §10.12).

    Raises:
        MalformedQuoteError: if it is not a ``TPM_GENERATED`` quote structure, or has trailing bytes.
    """
    reader = _Reader(attested, "TPMS_ATTEST")
    magic, kind = reader.u32(), reader.u16()
    if magic != TPM_GENERATED or kind != _TPM_ST_ATTEST_QUOTE:
        raise MalformedQuoteError(f"not a TPM quote: magic 0x{magic:08x}, type 0x{kind:04x}")
    reader.take(reader.u16())  # qualifiedSigner (TPM2B_NAME)
    extra = reader.take(reader.u16())  # extraData (TPM2B_DATA)
    reader.take(17 + 8)  # clockInfo (clock, resetCount, restartCount, safe), firmwareVersion
    selection = []
    for _ in range(reader.u32()):  # TPML_PCR_SELECTION
        algorithm, size = reader.u16(), reader.take(1)[0]
        bitmap = reader.take(size)
        indices = tuple(8 * i + b for i, byte in enumerate(bitmap) for b in range(8) if byte >> b & 1)
        selection.append((algorithm, indices))
    digest = reader.take(reader.u16())  # pcrDigest (TPM2B_DIGEST)
    reader.done()
    return AttestedState(pcr_digest=digest, qualifying_data=extra, pcr_selection=tuple(selection))


def verify_quote_signature(quote: Quote) -> AttestedState:
    """Check the quote's signature under its attestation key and read what it states.

    Returns:
        The signed structure's PCR digest, qualifying data and PCR selection.

    Raises:
        MalformedQuoteError: if the key is not a P-256 SubjectPublicKeyInfo or the structure
            cannot be read.
        QuoteSignatureError: if the signature does not verify.
    """
    if not isinstance(quote, Quote):
        raise InvalidInputError(f"expected a Quote, got {type(quote).__name__}")
    try:
        key = serialization.load_der_public_key(quote.attestation_key)
    except ValueError:
        raise MalformedQuoteError("the attestation key is not a DER SubjectPublicKeyInfo") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise MalformedQuoteError("the attestation key is not a P-256 key")
    try:
        key.verify(quote.signature, quote.attested, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise QuoteSignatureError(
            f"the {quote.kind.value} quote's signature does not verify under attestation key 0x{quote.device_id.hex()}"
        ) from None
    if quote.kind is QuoteKind.TPM2:
        return parse_tpm_attest(quote.attested)
    if len(quote.attested) != len(SOFTWARE_MAGIC) + 64 or not quote.attested.startswith(SOFTWARE_MAGIC):
        raise MalformedQuoteError("not a software quote structure")
    body = quote.attested[len(SOFTWARE_MAGIC) :]
    return AttestedState(pcr_digest=body[:32], qualifying_data=body[32:], pcr_selection=((TPM_SHA256, (23,)),))


class _Reader:
    """Big-endian reads over a buffer; any overrun is a MalformedQuoteError."""

    def __init__(self, data: bytes, what: str) -> None:
        if not isinstance(data, bytes | bytearray):
            raise InvalidInputError(f"a {what} is bytes, got {type(data).__name__}")
        self._data, self._offset, self._what = bytes(data), 0, what

    def take(self, size: int) -> bytes:
        end = self._offset + size
        if end > len(self._data):
            raise MalformedQuoteError(f"the {self._what} ends early ({len(self._data)} bytes)")
        chunk, self._offset = self._data[self._offset : end], end
        return chunk

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def done(self) -> None:
        if self._offset != len(self._data):
            raise MalformedQuoteError(f"the {self._what} has {len(self._data) - self._offset} trailing bytes")
