"""PCR-style measurement: a SHA-256 extend chain over a node's code and configuration.

Research: Peng et al., *Towards Decentralized Privacy-Preserving of Encrypted Data Sharing
Protocol*, step (1): a node's trusted platform measures its software into platform configuration
registers (PCRs) before it may share data; the quote signs the PCR values.

The chain is the TPM 2.0 one: a PCR starts at 32 zero bytes and each measured event extends it,
``PCR := SHA-256(PCR || SHA-256(event))``. The *PCR digest* a TPM 2.0 quote signs over one
selected PCR is ``SHA-256(PCR value)`` (``TPMS_QUOTE_INFO.pcrDigest``), and that is the golden
value a device class publishes on chain. The same :class:`MeasurementLog` drives the software
path (:mod:`offchain.attestation.software`) and the TPM path (:mod:`offchain.attestation.tpm`,
which replays the events into a resettable PCR), so both yield the same digest.

Caveat: whoever extends the PCR decides what is measured. Here the node's own agent measures
itself; a compromised agent can extend the golden events while running other code. In a real
measured boot the firmware and kernel extend boot PCRs (0–7, IMA's 10) before the agent runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from offchain.crypto.hashing import sha256
from offchain.errors import InvalidInputError

__all__ = ["PCR_BYTES", "ZERO_PCR", "MeasurementEvent", "MeasurementLog", "extend", "measure_node"]

#: Size of a SHA-256 PCR, in bytes.
PCR_BYTES = 32
#: A PCR's value after reset.
ZERO_PCR = bytes(PCR_BYTES)


def extend(pcr: bytes, event_digest: bytes) -> bytes:
    """One extend: ``SHA-256(pcr || event_digest)``, both 32 bytes."""
    for name, value in (("pcr", pcr), ("event_digest", event_digest)):
        if not isinstance(value, bytes) or len(value) != PCR_BYTES:
            raise InvalidInputError(f"{name} must be {PCR_BYTES} bytes, got {value!r:.40}")
    return sha256(pcr + event_digest)


@dataclass(frozen=True)
class MeasurementEvent:
    """One measured item: what it is and the SHA-256 of its bytes."""

    label: str
    digest: bytes


@dataclass(frozen=True)
class MeasurementLog:
    """The ordered events extended into one PCR (the TCG event log of this toolkit's agent)."""

    events: tuple[MeasurementEvent, ...] = ()

    def with_event(self, label: str, data: bytes) -> MeasurementLog:
        """This log with one more event: ``data`` measured under ``label``."""
        if not isinstance(data, bytes | bytearray):
            raise InvalidInputError(f"measured data must be bytes, got {type(data).__name__}")
        return MeasurementLog((*self.events, MeasurementEvent(label, sha256(bytes(data)))))

    def pcr_value(self) -> bytes:
        """The PCR after extending every event from reset."""
        pcr = ZERO_PCR
        for event in self.events:
            pcr = extend(pcr, event.digest)
        return pcr

    def pcr_digest(self) -> bytes:
        """What a TPM 2.0 quote of this one PCR signs, and the golden value on chain: SHA-256(PCR)."""
        return sha256(self.pcr_value())


def measure_node(code_paths: Sequence[Path], config: Mapping[str, object]) -> MeasurementLog:
    """Measure a node: each code file's bytes (in the order given), then its configuration.

    Args:
        code_paths: The node's code files, e.g. its Python modules; each label is the file name.
        config: Its configuration, measured as canonical JSON (sorted keys, no spaces).

    Raises:
        InvalidInputError: if the configuration is not JSON-serialisable.
        OSError: if a file cannot be read.
    """
    log = MeasurementLog()
    for path in code_paths:
        log = log.with_event(Path(path).name, Path(path).read_bytes())
    try:
        canonical = json.dumps(dict(config), sort_keys=True, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"the node's configuration must be JSON-serialisable: {exc}") from None
    return log.with_event("config", canonical)
