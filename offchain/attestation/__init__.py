"""Attested uploads: a data-source node proves its measured software state before its data is accepted.

Research: Peng, Zhu, Wang, Hu, Song, Wang, *Towards Decentralized Privacy-Preserving of Encrypted
Data Sharing Protocol*, steps (1)–(5), Eq. 1–9: Quote = Sign_PIK(PCR, nonce, Updata); the
receiver checks the quote and the PCR against the expected value before it accepts and opens
the digital envelope (:mod:`offchain.crypto.digital_envelope`).

* :mod:`~offchain.attestation.pcr`: the SHA-256 extend chain over a node's code and configuration.
* :class:`TpmAttester` (tpm2-tools, a real TPM 2.0 or the :class:`Swtpm` emulator) and
  :class:`SoftwareAttester` (a key in an encrypted :mod:`~offchain.attestation.keystore`;
  weaker: proves only possession of the key).
* :class:`QuoteVerifier`: signature, key admitted and not revoked on chain
  (:class:`~offchain.chain.device_registry.DeviceRegistryClient`), PCR digest equal to the
  class's current golden one, nonce fresh (:class:`NonceBook`; :class:`PersistentNonceBook` in
  a service), data digest equal to the envelope received; a typed error for each failure
  (:mod:`~offchain.attestation.errors`).
"""

from offchain.attestation.errors import (
    AttestationError,
    AttestationRequiredError,
    DataDigestMismatchError,
    MalformedQuoteError,
    MeasurementMismatchError,
    NonceExpiredError,
    NonceReplayError,
    QuoteSignatureError,
    RevokedAttestationKeyError,
    RevokedMeasurementError,
    TpmError,
    UnknownAttestationKeyError,
    UnknownNonceError,
    WrongPassphraseError,
)
from offchain.attestation.keystore import (
    generate_attestation_key,
    load_attestation_key,
    public_key_der,
    save_attestation_key,
)
from offchain.attestation.nonces import NonceBook, PersistentNonceBook
from offchain.attestation.pcr import MeasurementLog, extend, measure_node
from offchain.attestation.quote import Quote, QuoteKind, qualifying_data, verify_quote_signature
from offchain.attestation.software import SoftwareAttester
from offchain.attestation.swtpm import Swtpm, swtpm_available
from offchain.attestation.tpm import TpmAttester, tpm2_tools_available
from offchain.attestation.verifier import DeviceDirectory, QuoteVerifier, VerifiedQuote

__all__ = [
    "AttestationError",
    "AttestationRequiredError",
    "DataDigestMismatchError",
    "DeviceDirectory",
    "MalformedQuoteError",
    "MeasurementLog",
    "MeasurementMismatchError",
    "NonceBook",
    "NonceExpiredError",
    "NonceReplayError",
    "PersistentNonceBook",
    "Quote",
    "QuoteKind",
    "QuoteSignatureError",
    "QuoteVerifier",
    "RevokedAttestationKeyError",
    "RevokedMeasurementError",
    "SoftwareAttester",
    "Swtpm",
    "TpmAttester",
    "TpmError",
    "UnknownAttestationKeyError",
    "UnknownNonceError",
    "VerifiedQuote",
    "WrongPassphraseError",
    "extend",
    "generate_attestation_key",
    "load_attestation_key",
    "measure_node",
    "public_key_der",
    "qualifying_data",
    "save_attestation_key",
    "swtpm_available",
    "tpm2_tools_available",
    "verify_quote_signature",
]
