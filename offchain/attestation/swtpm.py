"""The ``swtpm`` TPM 2.0 emulator as a child process: for tests, benchmarks and the scenario.

``swtpm`` (Debian package ``swtpm``, 0.7) is the emulator QEMU uses for virtual machines'
TPMs: a complete TPM 2.0 (libtpms) behind a TCP socket. :class:`Swtpm` starts one on free
loopback ports with its state in a temporary folder, sends ``TPM2_Startup(CLEAR)`` with
``tpm2_startup``, and stops it (the state folder goes with it).
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from offchain.attestation.errors import TpmError

__all__ = ["Swtpm", "swtpm_available"]

logger = logging.getLogger(__name__)

_START_TIMEOUT_S = 10.0


def swtpm_available() -> bool:
    """Whether ``swtpm`` and ``tpm2_startup`` are on the PATH."""
    return shutil.which("swtpm") is not None and shutil.which("tpm2_startup") is not None


class Swtpm:
    """A running swtpm; use as a context manager (``with Swtpm() as tpm: tpm.tcti``)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._state: tempfile.TemporaryDirectory[str] | None = None
        self.port = 0

    @property
    def tcti(self) -> str:
        """The TCTI string tpm2-tools use to reach it."""
        return f"swtpm:host=127.0.0.1,port={self.port}"

    def start(self) -> Swtpm:
        """Start the emulator on two free loopback ports and run ``TPM2_Startup(CLEAR)``.

        Raises:
            TpmError: if swtpm or tpm2-tools are missing, or it does not come up.
        """
        if not swtpm_available():
            raise TpmError("swtpm or tpm2-tools are not installed (Debian: apt-get install swtpm tpm2-tools)")
        self._state = tempfile.TemporaryDirectory(prefix="swtpm-")
        self.port = _free_port_pair()
        control_port = self.port + 1  # the swtpm TCTI finds the control channel at port + 1
        log = Path(self._state.name) / "swtpm.log"
        self._process = subprocess.Popen(
            ["swtpm", "socket", "--tpm2",
             "--server", f"type=tcp,port={self.port},bindaddr=127.0.0.1",
             "--ctrl", f"type=tcp,port={control_port},bindaddr=127.0.0.1",
             "--tpmstate", f"dir={self._state.name}", "--flags", "not-need-init",
             "--log", f"file={log}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                self.stop()
                raise TpmError(f"swtpm exited with code {self._process.returncode} before listening")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TpmError(f"swtpm did not listen on port {self.port} within {_START_TIMEOUT_S} s") from None
                time.sleep(0.02)
        done = subprocess.run(
            ["tpm2_startup", "-c", "-T", self.tcti], capture_output=True, timeout=_START_TIMEOUT_S, check=False
        )
        if done.returncode != 0:
            self.stop()
            raise TpmError(f"tpm2_startup failed: {done.stderr.decode(errors='replace').strip()}")
        logger.info("swtpm listening on 127.0.0.1:%d", self.port)
        return self

    def stop(self) -> None:
        """Stop the emulator and remove its state."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._state is not None:
            self._state.cleanup()
            self._state = None

    def __enter__(self) -> Swtpm:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def _free_port_pair() -> int:
    """A free loopback port whose successor is free too."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port >= 65535:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as follower:
            try:
                follower.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise TpmError("found no two consecutive free loopback ports for swtpm")
