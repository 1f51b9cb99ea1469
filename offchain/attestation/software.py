"""The software measured-boot path: a quote signed by a key in a file, over a software PCR chain.

For data-source nodes without a TPM. WEAKER THAN HARDWARE: the attestation key lives in an
encrypted file (:mod:`offchain.attestation.keystore`) that the node's operating system can read
once unlocked, and the PCR chain (:mod:`offchain.attestation.pcr`) is computed by the node's own
agent. A software quote therefore proves only that its signer holds the admitted key and chose
to sign this PCR digest for this nonce and envelope; a compromised node can sign the golden
digest while running anything. A TPM quote (:mod:`offchain.attestation.tpm`) comes from a key
that cannot leave the chip and that signs only PCR values the chip holds.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from offchain.attestation.keystore import public_key_der
from offchain.attestation.pcr import MeasurementLog
from offchain.attestation.quote import Quote, QuoteKind, qualifying_data, software_attested

__all__ = ["SoftwareAttester"]


class SoftwareAttester:
    """A node that quotes in software.

    Args:
        private_key: Its P-256 attestation key (:func:`~offchain.attestation.keystore.load_attestation_key`).
        log: Its measured code and configuration.
    """

    kind = QuoteKind.SOFTWARE

    def __init__(self, private_key: ec.EllipticCurvePrivateKey, log: MeasurementLog) -> None:
        self._key = private_key
        self.log = log
        self.attestation_key = public_key_der(private_key)

    def quote(self, nonce: bytes, data_digest: bytes) -> Quote:
        """Sign the PCR digest with the receiver's ``nonce`` and the envelope's ``data_digest``."""
        attested = software_attested(self.log.pcr_digest(), qualifying_data(nonce, data_digest))
        signature = self._key.sign(attested, ec.ECDSA(hashes.SHA256()))
        return Quote(QuoteKind.SOFTWARE, self.attestation_key, attested, signature, nonce, data_digest)
