"""The TPM 2.0 path: quotes from a real TPM through the tpm2-tools command line.

Research: Peng et al., *Towards Decentralized Privacy-Preserving of Encrypted Data Sharing
Protocol*, steps (1)–(2): the node's TPM signs its PCR values with its platform identity key
(PIK, TPM 2.0's attestation key, AK).

Why the CLI: tpm2-tools (Debian package ``tpm2-tools``, 5.4) talks to a hardware TPM
(``device:/dev/tpmrm0``) or to the ``swtpm`` emulator (``swtpm:host=…,port=…``) through the
TCTI string given; no Python binding has to be built. Each call is a short subprocess.

What :class:`TpmAttester` does:

* :meth:`~TpmAttester.provision`: creates a restricted ECDSA P-256 signing key as a primary
  key of the owner hierarchy (deterministic for a TPM's seed) and makes it persistent at
  ``key_handle``; returns its DER public key, which an agency admits on chain. A restricted
  key signs only structures the TPM itself generates (``TPM_GENERATED``), so its quotes cannot
  be forged by the host.
* :meth:`~TpmAttester.measure`: resets ``pcr_index`` (23, the application PCR, resettable) and
  extends it with every event of a :class:`~offchain.attestation.pcr.MeasurementLog`, so the
  TPM's PCR equals the software chain's.
* :meth:`~TpmAttester.quote`: ``tpm2_quote`` over that PCR with the qualifying data of
  :func:`~offchain.attestation.quote.qualifying_data` as ``extraData``.

Caveats: PCR 23 is extended by the node's own agent here (so that the emulator can be
driven); what it proves is then only that the TPM's key signed what the agent extended. Real
measured boot quotes PCRs extended by firmware and kernel (0–7, 10) and an agency admits an AK
only after checking, with ``tpm2_makecredential``/``activatecredential`` against the TPM's
endorsement key certificate, that it lives in a genuine TPM; neither is done here.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from offchain.attestation.errors import TpmError
from offchain.attestation.pcr import MeasurementLog
from offchain.attestation.quote import Quote, QuoteKind, qualifying_data

__all__ = ["DEFAULT_KEY_HANDLE", "DEFAULT_PCR_INDEX", "TpmAttester", "tpm2_tools_available"]

logger = logging.getLogger(__name__)

#: The persistent handle the attestation key is kept at.
DEFAULT_KEY_HANDLE = 0x81010002
#: The PCR measured into: 23, resettable from locality 0.
DEFAULT_PCR_INDEX = 23
_KEY_ATTRIBUTES = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign|noda"
_TOOL_TIMEOUT_S = 30.0


def tpm2_tools_available() -> bool:
    """Whether the tpm2-tools commands used here are on the PATH."""
    return all(shutil.which(tool) for tool in ("tpm2_quote", "tpm2_createprimary", "tpm2_pcrextend"))


class TpmAttester:
    """A node whose quotes come from a TPM 2.0.

    Args:
        tcti: How tpm2-tools reach the TPM, e.g. ``"swtpm:host=127.0.0.1,port=2321"`` or
            ``"device:/dev/tpmrm0"``.
        key_handle: Persistent handle of the attestation key.
        pcr_index: The PCR measured into and quoted.
    """

    kind = QuoteKind.TPM2

    def __init__(self, tcti: str, *, key_handle: int = DEFAULT_KEY_HANDLE, pcr_index: int = DEFAULT_PCR_INDEX) -> None:
        if not tpm2_tools_available():
            raise TpmError("tpm2-tools are not installed (Debian: apt-get install tpm2-tools)")
        self.tcti = tcti
        self.key_handle = key_handle
        self.pcr_index = pcr_index
        self._attestation_key: bytes | None = None

    @property
    def attestation_key(self) -> bytes:
        """DER SubjectPublicKeyInfo of the attestation key (provisioned on first use)."""
        if self._attestation_key is None:
            self._attestation_key = self.provision()
        return self._attestation_key

    def provision(self) -> bytes:
        """Create and persist the attestation key unless it already is; return its DER public key."""
        with tempfile.TemporaryDirectory(prefix="tpm-ak-") as work:
            pem = Path(work) / "ak.pem"
            handle = f"0x{self.key_handle:08x}"
            if self._run("tpm2_readpublic", "-Q", "-c", handle, "-f", "pem", "-o", str(pem), check=False) != 0:
                context = str(Path(work) / "ak.ctx")
                self._run("tpm2_createprimary", "-Q", "-C", "o", "-G", "ecc256:ecdsa-sha256:null", "-g", "sha256",
                          "-a", _KEY_ATTRIBUTES, "-c", context)  # fmt: skip
                self._run("tpm2_evictcontrol", "-Q", "-C", "o", "-c", context, handle)
                self._run("tpm2_flushcontext", "-t")  # no resource manager on a raw TCTI: free the slot
                self._run("tpm2_readpublic", "-Q", "-c", handle, "-f", "pem", "-o", str(pem))
                logger.info("created the attestation key at persistent handle %s", handle)
            key = serialization.load_pem_public_key(pem.read_bytes())
        self._attestation_key = key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return self._attestation_key

    def measure(self, log: MeasurementLog) -> None:
        """Reset the PCR and extend it with every event of ``log``."""
        self._run("tpm2_pcrreset", "-Q", str(self.pcr_index))
        for event in log.events:
            self._run("tpm2_pcrextend", "-Q", f"{self.pcr_index}:sha256={event.digest.hex()}")

    def pcr_value(self) -> bytes:
        """The PCR's current value, as the TPM reports it."""
        with tempfile.TemporaryDirectory(prefix="tpm-pcr-") as work:
            out = Path(work) / "pcr.bin"
            self._run("tpm2_pcrread", "-Q", f"sha256:{self.pcr_index}", "-o", str(out))
            return out.read_bytes()

    def quote(self, nonce: bytes, data_digest: bytes) -> Quote:
        """``tpm2_quote`` of the PCR, bound to the receiver's ``nonce`` and the envelope's ``data_digest``."""
        extra = qualifying_data(nonce, data_digest)
        key = self.attestation_key
        with tempfile.TemporaryDirectory(prefix="tpm-quote-") as work:
            message, signature = Path(work) / "quote.msg", Path(work) / "quote.sig"
            self._run("tpm2_quote", "-Q", "-c", f"0x{self.key_handle:08x}", "-l", f"sha256:{self.pcr_index}",
                      "-q", extra.hex(), "-g", "sha256", "-m", str(message), "-s", str(signature),
                      "-f", "plain")  # fmt: skip
            return Quote(QuoteKind.TPM2, key, message.read_bytes(), signature.read_bytes(), nonce, data_digest)

    def _run(self, *command: str, check: bool = True) -> int:
        env = {**os.environ, "TPM2TOOLS_TCTI": self.tcti}
        try:
            done = subprocess.run(command, env=env, capture_output=True, timeout=_TOOL_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TpmError(f"{command[0]} could not run against {self.tcti}: {exc}") from exc
        if check and done.returncode != 0:
            raise TpmError(
                f"{' '.join(command)} failed ({done.returncode}) against {self.tcti}: "
                f"{done.stderr.decode(errors='replace').strip()}"
            )
        return done.returncode
