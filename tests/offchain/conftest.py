"""Fixtures of the attestation tests (tests/offchain/attestation, and the quote verifier's against
the chain in tests/offchain/chain): a software node, a TPM node on the swtpm emulator, a clock.

The TPM tests talk to ``swtpm`` (Debian package ``swtpm``, the TPM 2.0 emulator QEMU uses)
through tpm2-tools (Debian package ``tpm2-tools``), started once per test session on free
loopback ports with a temporary state folder, ``TPM2_Startup(CLEAR)`` sent, and stopped at the
end. ``make setup`` installs both with apt-get. If they are missing the TPM tests are skipped
with the reason, except under ``CI=true``, where their absence fails the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from offchain.attestation import (
    MeasurementLog,
    SoftwareAttester,
    Swtpm,
    TpmAttester,
    generate_attestation_key,
    swtpm_available,
)

CLASS_ID = b"\x5c" * 32
#: The node's measured state: its code and configuration.
GOOD_LOG = MeasurementLog().with_event("node.py", b"print('sensor')").with_event("config", b'{"rate_hz":10}')
NONCE_TTL_S = 30.0


class FakeClock:
    """Monotonic seconds that tests move by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def swtpm() -> Iterator[Swtpm]:
    """A running swtpm for the whole session."""
    if not swtpm_available():
        reason = "swtpm or tpm2-tools not found (Debian packages swtpm, tpm2-tools; `make setup` installs them)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI installs them with `make setup`, so their absence is a failure there")
        pytest.skip(reason)
    with Swtpm() as running:
        yield running


@pytest.fixture(scope="session")
def tpm_node(swtpm: Swtpm) -> TpmAttester:
    """A node whose attestation key lives in the emulated TPM, measured with GOOD_LOG."""
    node = TpmAttester(swtpm.tcti)
    node.provision()
    node.measure(GOOD_LOG)
    return node


@pytest.fixture(scope="session")
def software_key():
    return generate_attestation_key()


@pytest.fixture
def software_node(software_key) -> SoftwareAttester:
    return SoftwareAttester(software_key, GOOD_LOG)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
