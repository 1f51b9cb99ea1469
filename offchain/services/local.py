"""The roles as separate local processes: services started through ``datashare serve`` and people
driving the ``datashare`` command line, each in its own process (issue 17).

Research: the storage server of Zheng et al. 2018 §4.3 and the re-encryption proxies of Feng et
al. 2022 §6.8–6.9 run on machines of their own; the demo (``scripts/across_machines.py``), the
end-to-end tests and the benchmarks start them here as processes on free loopback ports, so that
they share nothing with their callers but the chain, HTTP and the files a person would hand over.

* :class:`LocalService`: one ``datashare serve storage|proxy`` process; :meth:`~LocalService.kill`
  is SIGKILL (a crash), :meth:`~LocalService.start` reuses its port and data folder, so a restart
  finds the state the service persisted;
* :class:`DatashareCli`: one person's ``datashare`` (its encrypted keystore, passphrase file and
  Ethereum key), each call a new process whose ``--json`` result is returned as a dict.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from offchain.errors import OffchainError
from offchain.validation import parse_json

__all__ = ["CommandFailedError", "DatashareCli", "LocalService", "ServiceStartError", "free_port"]

logger = logging.getLogger(__name__)

#: How long a service may take to answer ``/health`` (a Brownie start-up is several seconds).
START_TIMEOUT_S = 90.0
#: How long one ``datashare`` command may take.
COMMAND_TIMEOUT_S = 300.0


class ServiceStartError(OffchainError):
    """A service process exited or did not answer ``/health`` in time; the message ends with its log."""


class CommandFailedError(OffchainError):
    """A ``datashare`` command exited with another code than expected.

    Attributes:
        returncode: Its exit code (see ``datashare --help``).
        result: Its ``--json`` object (``error`` and ``detail`` on failure), or ``{}``.
        stderr: The end of its standard error.
    """

    def __init__(self, argv: Sequence[str], returncode: int, result: dict[str, Any], stderr: str) -> None:
        detail = result.get("detail") or stderr.strip().splitlines()[-1:] or ["no output"]
        super().__init__(f"datashare {' '.join(argv)}: exit {returncode}: {detail}")
        self.returncode = returncode
        self.result = result
        self.stderr = stderr


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _datashare() -> list[str]:
    return [sys.executable, "-m", "offchain.cli"]


class LocalService:
    """One ``datashare serve`` process on a loopback port.

    Args:
        role: ``"storage"`` or ``"proxy"``.
        name: The server's name (in locators and signed requests).
        data: Its folder (blobs, SQLite state, and ``<name>.log`` beside it).
        network: The Brownie network id.
        registry: The DataRegistry's address.
        rpc: The chain's JSON-RPC URL.
        extra: More ``serve`` options (e.g. ``("--device-registry", address)``).
        cwd: The working folder of the process (the project root, for brownie-config.yaml).
    """

    def __init__(
        self,
        role: str,
        name: str,
        data: Path,
        *,
        network: str,
        registry: str,
        rpc: str,
        extra: Sequence[str] = (),
        cwd: Path | None = None,
    ) -> None:
        self.role = role
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.argv = [
            *_datashare(), "--network", network, "--registry", registry, "--rpc", rpc,
            "serve", role, "--name", name, "--port", str(self.port), "--data", str(data), *extra,
        ]  # fmt: skip
        data.parent.mkdir(parents=True, exist_ok=True)
        self.log = data.parent / f"{name}.log"
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"LocalService({self.role!r}, {self.name!r}, {self.url!r})"

    def start(self) -> None:
        """Start the process (its output appended to :attr:`log`); see :meth:`wait_ready`."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.argv, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT)
        logger.info("%s: started (pid %d)", self, self.process.pid)

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Wait until ``/health`` answers 200.

        Raises:
            ServiceStartError: if the process exits or does not answer within ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise ServiceStartError(f"{self} exited during start-up: {self._log_tail()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise ServiceStartError(f"{self} did not answer /health within {timeout_s:.0f} s: {self._log_tail()}")

    def kill(self) -> None:
        """SIGKILL the process (no clean shutdown: what a crash or power loss does)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
            logger.info("%s: killed", self)
        self.process = None

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the process cleanly (SIGTERM), SIGKILL after ``timeout_s``."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def restart(self) -> None:
        """:meth:`kill`, :meth:`start` and :meth:`wait_ready`."""
        self.kill()
        self.start()
        self.wait_ready()

    def _log_tail(self, size: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-size:]
        except OSError:
            return "(no log)"


class DatashareCli:
    """One person's ``datashare``: a keystore and passphrase file in ``folder`` and an account key.

    Args:
        folder: The person's folder (created): ``keystore.json`` and ``passphrase``.
        network: The Brownie network id.
        registry: The DataRegistry's address.
        rpc: The chain's JSON-RPC URL.
        private_key: The person's Ethereum key (passed in ``DATASHARE_PRIVATE_KEY``).
        connect_wait_s: How long a command keeps retrying a restarting service.
        cwd: The working folder of the processes.
    """

    def __init__(
        self,
        folder: Path,
        *,
        network: str,
        registry: str,
        rpc: str,
        private_key: str,
        connect_wait_s: float = 60.0,
        cwd: Path | None = None,
    ) -> None:
        from eth_account import Account

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        passphrase = folder / "passphrase"
        if not passphrase.exists():
            passphrase.write_text(f"passphrase of {folder.name}: {os.urandom(16).hex()}\n")
            passphrase.chmod(0o600)
        self.global_args = [
            "--json", "--network", network, "--rpc", rpc, "--registry", registry,
            "--keystore", str(folder / "keystore.json"), "--passphrase-file", str(passphrase),
            "--connect-wait-s", str(connect_wait_s),
        ]  # fmt: skip
        self.env = {**os.environ, "DATASHARE_PRIVATE_KEY": private_key}
        self.address = str(Account.from_key(private_key).address)
        self.cwd = cwd

    def __repr__(self) -> str:
        return f"DatashareCli({self.folder.name!r}, {self.address})"

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start ``datashare <args>`` (with this person's options) and return at once."""
        return subprocess.Popen(
            [*_datashare(), *self.global_args, *args],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @staticmethod
    def finish(process: subprocess.Popen[str], expect: int = 0, timeout_s: float = COMMAND_TIMEOUT_S) -> dict[str, Any]:
        """Wait for a started command; its ``--json`` object.

        Raises:
            CommandFailedError: if it exits with another code than ``expect`` or does not print
                exactly one JSON object on stdout.
        """
        stdout, stderr = process.communicate(timeout=timeout_s)
        argv = [str(a) for a in process.args[len(_datashare()) :]] if isinstance(process.args, list) else []
        lines = stdout.strip().splitlines()
        try:
            result = dict(parse_json(lines[0])) if len(lines) == 1 else {}
        except ValueError:
            result = {}
        if process.returncode != expect or not result:
            raise CommandFailedError(argv, process.returncode, result, stderr[-3000:] or stdout[-3000:])
        return result

    def __call__(self, *args: str, expect: int = 0) -> dict[str, Any]:
        """Run ``datashare <args>`` to the end; its ``--json`` object (see :meth:`finish`)."""
        return self.finish(self.start(*args), expect)
