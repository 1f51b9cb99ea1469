"""The ``datashare`` command line end to end (issue 17): the storage service and a second proxy
run as ``datashare serve`` processes on free loopback ports; an owner and a lab, each a
``datashare`` process with its own keystore and account, go keys → upload → share → fetch (the
lab's, and the owner's own, beside an audit) → revoke → fetch refused, the storage service SIGKILLed and
restarted between steps.

Research: Zheng et al. 2018 §4.3, Feng et al. 2022 §6.8–6.9, Huang et al. 2020 §3.3.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from offchain.services.local import DatashareCli, LocalService
from tests.e2e.test_services import ROOT, Service, _rpc_url

CONTENT = b"patient_id,age,diagnosis\n" + b"P-00042,54,benign\n" * 400
CLI_TIMEOUT_S = 120.0


def Cli(folder: Path, network: str, registry: str, private_key: str) -> DatashareCli:
    """One person's ``datashare`` on this test's chain."""
    return DatashareCli(folder, network=network, registry=registry, rpc=_rpc_url(), private_key=private_key, cwd=ROOT)


@pytest.fixture(scope="module")
def cli_services(registry, tmp_path_factory):
    """The storage service (also the first proxy) and a second proxy, as ``datashare serve``."""
    from brownie import network

    folder = tmp_path_factory.mktemp("cli-services")
    started = [
        Service(role, name, folder / name, network.show_active(), registry.address)
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


def _kill_and_start(service: LocalService) -> None:
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
    owner_keys, lab_keys = (DatashareCli.finish(process) for process in creating)
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
    assert DatashareCli.finish(own_copy)["plaintext_bytes"] == len(CONTENT)  # the owner's own, no proxies
    assert (tmp_path / "own.csv").read_bytes() == CONTENT
    audit = DatashareCli.finish(auditing)
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
    assert DatashareCli.finish(unknown, expect=5)["error"] == "UnknownFileError"
    assert DatashareCli.finish(unreachable, expect=7)["error"] == "ServiceUnavailableError"
