"""Quote verification and the attested-upload gate of a receiving node.

Research: Peng et al., *Towards Decentralized Privacy-Preserving of Encrypted Data Sharing
Protocol*, steps (3)–(5), Eq. 1–9: the receiver checks the quote's signature, that the quoted
PCR is the expected one, that the nonce is its own and fresh, and only then accepts (and may
open) the digital envelope the quote covers.

:meth:`QuoteVerifier.verify` checks, in this order, each failure its own error:

1. the signature under the quote's attestation key (:class:`QuoteSignatureError`; a structure
   that cannot be read, :class:`MalformedQuoteError`);
2. the signed qualifying data is ``SHA-256(domain || nonce || data digest)`` of the nonce and
   data digest the quote carries (:class:`MalformedQuoteError`), and a TPM quote's PCR selection
   is the expected one;
3. the data digest is SHA-256 of the envelope received (:class:`DataDigestMismatchError`);
4. the nonce: issued here, unused, unexpired (:class:`UnknownNonceError`,
   :class:`NonceReplayError`, :class:`NonceExpiredError`), and used up;
5. on chain: the key is an admitted device (:class:`UnknownAttestationKeyError`) not revoked
   (:class:`RevokedAttestationKeyError`);
6. the PCR digest is its class's current golden digest (:class:`MeasurementMismatchError`),
   and that version is not revoked (:class:`RevokedMeasurementError`).

The on-chain state comes from any :class:`DeviceDirectory`:
:class:`~offchain.chain.device_registry.DeviceRegistryClient` in use, an in-memory one in tests.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Protocol

from offchain.attestation.errors import (
    AttestationRequiredError,
    DataDigestMismatchError,
    MalformedQuoteError,
    MeasurementMismatchError,
    RevokedAttestationKeyError,
    RevokedMeasurementError,
    UnknownAttestationKeyError,
)
from offchain.attestation.nonces import NonceBook
from offchain.attestation.quote import TPM_SHA256, Quote, QuoteKind, qualifying_data, verify_quote_signature
from offchain.attestation.tpm import DEFAULT_PCR_INDEX
from offchain.chain.device_registry import (
    AdmittedDevice,
    DeviceClass,
    GoldenMeasurement,
    UnknownDeviceError,
)
from offchain.crypto.hashing import sha256
from offchain.errors import InvalidInputError

__all__ = ["DeviceDirectory", "QuoteVerifier", "VerifiedQuote"]


class DeviceDirectory(Protocol):
    """Where device classes, golden measurements and devices are read (the chain)."""

    def get_device(self, device_id: bytes) -> AdmittedDevice:
        """The device; UnknownDeviceError if none."""
        ...

    def get_class(self, class_id: bytes) -> DeviceClass:
        """The class; UnknownDeviceClassError if none."""
        ...

    def get_measurement(self, class_id: bytes, version: int) -> GoldenMeasurement:
        """One version of the class's golden digest."""
        ...


@dataclass(frozen=True)
class VerifiedQuote:
    """A quote that passed every check (only :class:`QuoteVerifier` makes these).

    Attributes:
        kind: TPM 2.0 or software (a software quote proves only possession of the key).
        device_id: The device on chain.
        class_id: Its class.
        measurement_version: The golden version its PCR digest matched.
        pcr_digest: The quoted PCR digest.
        data_digest: SHA-256 of the envelope it covers.
    """

    kind: QuoteKind
    device_id: bytes
    class_id: bytes
    measurement_version: int
    pcr_digest: bytes
    data_digest: bytes


class QuoteVerifier:
    """A receiver's quote checks.

    Args:
        directory: The device registry (on chain) to check keys and golden digests against.
        nonces: The receiver's nonce book (a fresh one, 60 s nonces, by default).
        tpm_pcr_selection: The PCR selection a TPM quote must have (SHA-256 PCR 23 by default).
    """

    def __init__(
        self,
        directory: DeviceDirectory,
        nonces: NonceBook | None = None,
        *,
        tpm_pcr_selection: tuple[tuple[int, tuple[int, ...]], ...] = ((TPM_SHA256, (DEFAULT_PCR_INDEX,)),),
    ) -> None:
        self.directory = directory
        self.nonces = nonces or NonceBook()
        self.tpm_pcr_selection = tpm_pcr_selection

    def issue_nonce(self) -> bytes:
        """A fresh nonce for a device's next quote."""
        return self.nonces.issue()

    def verify(self, quote: Quote, envelope: bytes) -> VerifiedQuote:
        """Check ``quote`` for ``envelope`` (see the module docstring for the checks and errors).

        Raises:
            AttestationError: the subclass naming the first check that failed.
            InvalidInputError: if an argument has the wrong type.
        """
        if not isinstance(envelope, bytes | bytearray):
            raise InvalidInputError(f"envelope must be bytes, got {type(envelope).__name__}")
        state = verify_quote_signature(quote)
        if not hmac.compare_digest(state.qualifying_data, qualifying_data(quote.nonce, quote.data_digest)):
            raise MalformedQuoteError("the signed qualifying data is not bound to the nonce and data digest carried")
        if quote.kind is QuoteKind.TPM2 and state.pcr_selection != self.tpm_pcr_selection:
            raise MalformedQuoteError(
                f"the TPM quote selects PCRs {state.pcr_selection}, expected {self.tpm_pcr_selection}"
            )
        received = sha256(bytes(envelope))
        if not hmac.compare_digest(received, quote.data_digest):
            raise DataDigestMismatchError(
                f"the quote covers envelope 0x{quote.data_digest.hex()}, the envelope received is 0x{received.hex()}"
            )
        self.nonces.consume(quote.nonce)
        device_id = quote.device_id
        try:
            device = self.directory.get_device(device_id)
        except UnknownDeviceError:
            raise UnknownAttestationKeyError(
                f"attestation key 0x{device_id.hex()} is not admitted to any device class"
            ) from None
        if device.revoked:
            raise RevokedAttestationKeyError(f"device 0x{device_id.hex()} was revoked at {device.revoked_at}")
        device_class = self.directory.get_class(device.class_id)
        golden = self.directory.get_measurement(device.class_id, device_class.current_version)
        if not hmac.compare_digest(state.pcr_digest, golden.pcr_digest):
            raise MeasurementMismatchError(
                f"device 0x{device_id.hex()} quoted PCR digest 0x{state.pcr_digest.hex()}, its class's golden "
                f"digest (version {golden.version}) is 0x{golden.pcr_digest.hex()}"
            )
        if golden.revoked:
            raise RevokedMeasurementError(
                f"device 0x{device_id.hex()} quoted measurement version {golden.version} of its class, "
                f"revoked at {golden.revoked_at}"
            )
        return VerifiedQuote(
            quote.kind, device_id, device.class_id, golden.version, state.pcr_digest, quote.data_digest
        )

    def check_upload(self, envelope: bytes, device_id: bytes, quote: Quote | None) -> VerifiedQuote | None:
        """The upload gate: a device of a class that requires attestation must bring a valid quote.

        Args:
            envelope: The digital envelope uploaded.
            device_id: The device it claims to come from.
            quote: Its quote, or ``None``.

        Returns:
            The verified quote, or ``None`` for a quote-less upload from a class that does not
            require one (nothing is proven about such an upload).

        Raises:
            AttestationRequiredError: if the class requires a quote and none came.
            UnknownAttestationKeyError: if ``device_id`` is not admitted.
            MalformedQuoteError: if the quote is by another key than ``device_id``'s.
            AttestationError: as :meth:`verify`.
        """
        if quote is not None:
            if quote.device_id != device_id:
                raise MalformedQuoteError(
                    f"the quote is by device 0x{quote.device_id.hex()}, the upload claims 0x{device_id.hex()}"
                )
            return self.verify(quote, envelope)
        try:
            device = self.directory.get_device(device_id)
        except UnknownDeviceError:
            raise UnknownAttestationKeyError(f"device 0x{device_id.hex()} is not admitted") from None
        if self.directory.get_class(device.class_id).attestation_required:
            raise AttestationRequiredError(
                f"device 0x{device_id.hex()}'s class 0x{device.class_id.hex()} requires a quote with every upload"
            )
        return None
