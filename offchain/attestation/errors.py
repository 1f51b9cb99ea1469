"""The attestation errors: one typed error per reason a quote or an attested upload is refused.

Every one is a :class:`~offchain.errors.VerificationError` (so an
:class:`~offchain.errors.OffchainError`): catch :class:`AttestationError` for "this quote does
not prove what it claims", or a subclass for one reason.
"""

from __future__ import annotations

from offchain.errors import OffchainError, VerificationError, WrongPassphraseError  # the keystore's, re-exported

__all__ = [
    "AttestationError",
    "AttestationRequiredError",
    "DataDigestMismatchError",
    "MalformedQuoteError",
    "MeasurementMismatchError",
    "NonceExpiredError",
    "NonceReplayError",
    "QuoteSignatureError",
    "RevokedAttestationKeyError",
    "RevokedMeasurementError",
    "TpmError",
    "UnknownAttestationKeyError",
    "UnknownNonceError",
    "WrongPassphraseError",
]


class AttestationError(VerificationError):
    """A quote or an attested upload was refused; nothing was stored."""


class MalformedQuoteError(AttestationError):
    """The quote cannot be parsed, or what it signs is not bound to the nonce and data digest it carries."""


class QuoteSignatureError(AttestationError):
    """The quote's signature does not verify under the attestation key it names."""


class DataDigestMismatchError(AttestationError):
    """The quote covers another envelope than the one received."""


class UnknownNonceError(AttestationError):
    """The quote's nonce was never issued by this receiver (or was forgotten after it expired)."""


class NonceReplayError(AttestationError):
    """The quote's nonce was already used: a replayed quote."""


class NonceExpiredError(AttestationError):
    """The quote's nonce was issued too long ago."""


class UnknownAttestationKeyError(AttestationError):
    """The quote's attestation key is not admitted to any device class on chain."""


class RevokedAttestationKeyError(AttestationError):
    """The quote's attestation key (its device) was revoked on chain."""


class MeasurementMismatchError(AttestationError):
    """The quoted PCR digest is not the device class's current golden digest: modified software."""


class RevokedMeasurementError(AttestationError):
    """The quoted PCR digest is a golden digest the class's agency revoked."""


class AttestationRequiredError(AttestationError):
    """The device's class requires a quote and the upload carries none."""


class TpmError(OffchainError):
    """The TPM (or its tools, tpm2-tools and swtpm) failed or is missing."""
