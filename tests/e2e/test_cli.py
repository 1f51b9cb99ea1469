"""The ``datashare`` command line end to end (issue 17): the storage service and a second proxy
run as ``datashare serve`` processes on free loopback ports; an owner and a lab, each a
``datashare`` process with its own keystore and account, go keys → upload → share → fetch (the
lab's, and the owner's own, beside an audit) → revoke → fetch refused, the storage service SIGKILLed and
restarted between steps.

Research: Zheng et al. 2018 §4.3, Feng et al. 2022 §6.8–6.9, Huang et al. 2020 §3.3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from tests.e2e.test_services import ROOT, Service, _rpc_url

CONTENT = b"patient_id,age,diagnosis\n" + b"P-00042,54,benign\n" * 400
CLI_TIMEOUT_S = 120.0


class CliService(Service):
    """A service started through ``datashare serve`` instead of ``python -m offchain.services``."""

    def __init__(self, role: str, name: str, data: Path, network: str, registry: str) -> None:
        super().__init__(role, name, data, network, registry)
        self.argv = [
            sys.executable, "-m", "offchain.cli", "--network", network, "--registry", registry, "--rpc", _rpc_url(),
            "serve", role, "--name", name, "--port", str(self.port), "--data", str(data),
        ]  # fmt: skip


class Cli:
    """One person's ``datashare``: its keystore, passphrase and account key."""

    def __init__(self, folder: Path, network: str, registry: str, private_key: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        passphrase = folder / "passphrase"
        passphrase.write_text(f"passphrase of {folder.name}\n")
        self.global_args = [
            "--json", "--network", network, "--rpc", _rpc_url(), "--registry", registry,
            "--keystore", str(folder / "keystore.json"), "--passphrase-file", str(passphrase),
            "--connect-wait-s", "60",
        ]  # fmt: skip
        self.env = {**os.environ, "DATASHARE_PRIVATE_KEY": private_key}
        self.address = str(Account.from_key(private_key).address)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "offchain.cli", *self.global_args, *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @staticmethod
    def finish(process: subprocess.Popen[str], expect: int = 0) -> dict[str, Any]:
        stdout, stderr = process.communicate(timeout=CLI_TIMEOUT_S)
        assert process.returncode == expect, f"exit {process.returncode}\n{stdout}\n{stderr[-3000:]}"
        lines = stdout.strip().splitlines()
        assert len(lines) == 1, stdout  # --json: exactly one object on stdout
        return dict(json.loads(lines[0]))

    def __call__(self, *args: str, expect: int = 0) -> dict[str, Any]:
        return self.finish(self.start(*args), expect)


@pytest.fixture(scope="module")
def cli_services(registry, tmp_path_factory):
    """The storage service (also the first proxy) and a second proxy, as ``datashare serve``."""
    from brownie import network

    folder = tmp_path_factory.mktemp("cli-services")
    started = [
        CliService(role, name, folder / name, network.show_active(), registry.address)
        for role, name in (("storage", "storage"), ("proxy", "proxy-2"))
    ]
    for service in started:
        service.start()
    yield started
    for service in started:
        service.kill()


@pytest.fixture(scope="module")
def people(registry, accounts, tmp_path_factory):
    """The owner's and the lab's ``datashare``, each with a funded account of its own."""
    from brownie import network

    folder = tmp_path_factory.mktemp("people")
    made = {}
    for name in ("owner", "lab"):
        account = accounts.add()
        accounts[0].transfer(account, "10 ether")
        made[name] = Cli(folder / name, network.show_active(), registry.address, account.private_key)
    return made["owner"], made["lab"]


def _kill_and_start(service: Service) -> None:
    """SIGKILL, then start again: the next ``datashare`` step (started at once, its start-up
    overlapping the service's) waits for the service to listen (``--connect-wait-s``)."""
    service.kill()
    service.start()


def test_keys_upload_share_fetch_audit_revoke_through_the_cli_survive_sigkill(cli_services, people, tmp_path):
    storage, proxy2 = cli_services
    owner, lab = people
    plaintext = tmp_path / "records.csv"
    plaintext.write_bytes(CONTENT)

    creating = [person.start("keys", "create") for person in (owner, lab)]  # while the services start
    owner_keys, lab_keys = (Cli.finish(process) for process in creating)
    assert set(owner_keys["secrets"]) == {"umbral-master", "umbral-signer", "umbral-receiving"}
    uploaded = owner("upload", str(plaintext), "--storage", storage.url, "--block-size", "512", "--label", "records")
    file_id = uploaded["file_id"]
    assert uploaded["locator"].startswith("cloud://storage/") and uploaded["blocks"] > 1

    _kill_and_start(storage)
    shared = owner(
        "share", file_id, "--to", lab.address, "--receiving-pk", lab_keys["receiving_pk"],
        "--proxy", storage.url, "--proxy", proxy2.url, "--threshold", "2",
    )  # fmt: skip
    assert shared["proxies"] == ["storage", "proxy-2"] and shared["verifying_pk"] == owner_keys["verifying_pk"]

    _kill_and_start(storage)
    received = tmp_path / "received.csv"
    receive = (
        "fetch", file_id, "--storage", storage.url, "--proxy", storage.url, "--proxy", proxy2.url,
        "--threshold", "2", "--verifying-pk", owner_keys["verifying_pk"], "--out", str(received),
    )  # fmt: skip
    own_copy = owner.start("fetch", file_id, "--storage", storage.url, "--out", str(tmp_path / "own.csv"))
    auditing = lab.start("audit", file_id, "--storage", storage.url, "--samples", "6")
    assert lab(*receive)["plaintext_bytes"] == len(CONTENT)
    assert received.read_bytes() == CONTENT
    assert Cli.finish(own_copy)["plaintext_bytes"] == len(CONTENT)  # the owner's own, no proxies
    assert (tmp_path / "own.csv").read_bytes() == CONTENT
    audit = Cli.finish(auditing)
    assert audit["passed"] and len(audit["challenged"]) == 6 and audit["failed"] == []

    _kill_and_start(storage)
    revoked = owner("revoke", file_id, "--grantee", lab.address)  # on chain only, while storage restarts
    assert revoked["grantee"] == lab.address
    refused = lab(*receive, expect=4)
    assert refused["error"] == "AccessDeniedError" and "only 0 of the 2" in refused["detail"]


def test_the_cli_maps_chain_and_service_errors_to_exit_codes(cli_services, people, tmp_path):
    storage, _ = cli_services
    owner, _lab = people
    unknown = owner.start("audit", "0x" + "ab" * 32, "--storage", storage.url)
    unreachable = owner.start("--connect-wait-s", "0", "audit", "0x" + "ab" * 32, "--storage", "http://127.0.0.1:9")
    assert Cli.finish(unknown, expect=5)["error"] == "UnknownFileError"
    assert Cli.finish(unreachable, expect=7)["error"] == "ServiceUnavailableError"
