"""The local process helpers of offchain.services.local: typed errors when a service or a command fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from offchain.services.local import CommandFailedError, DatashareCli, LocalService, ServiceStartError, free_port

ROOT = Path(__file__).resolve().parents[3]
ZERO = "0x" + "00" * 20


def test_a_service_that_cannot_reach_its_chain_is_a_start_error_with_its_log(tmp_path):
    dead_rpc = f"http://127.0.0.1:{free_port()}"
    service = LocalService(
        "storage", "storage", tmp_path / "storage", network="ganache-cli", registry=ZERO, rpc=dead_rpc, cwd=ROOT
    )
    service.start()
    try:
        with pytest.raises(ServiceStartError, match="exited during start-up") as caught:
            service.wait_ready(timeout_s=60)
    finally:
        service.kill()
    log_end = service.log.read_text(errors="replace").rstrip()[-60:]
    assert log_end and log_end in str(caught.value)  # the message ends with the service's own log


@pytest.fixture
def person(tmp_path):
    """A ``datashare`` user whose chain is unreachable (the commands below need none)."""
    dead_rpc = f"http://127.0.0.1:{free_port()}"
    key = "0x" + "11" * 32
    return DatashareCli(
        tmp_path / "person", network="ganache-cli", registry=ZERO, rpc=dead_rpc, private_key=key, cwd=ROOT
    )


def test_a_command_that_exits_otherwise_than_expected_raises_with_its_exit_code(person):
    with pytest.raises(CommandFailedError) as caught:
        person("keys", "show")  # no keystore was created
    assert caught.value.returncode == 5 and caught.value.result["error"]


def test_the_expected_failure_returns_its_json(person):
    assert person("keys", "show", expect=5)["error"]


def test_the_passphrase_file_is_private_to_its_owner(person):
    assert (person.folder / "passphrase").stat().st_mode & 0o077 == 0
