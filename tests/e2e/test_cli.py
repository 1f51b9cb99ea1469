"""The ``datashare`` command line end to end (issue 17). Every role its own process: the storage
service and three proxies as ``datashare serve`` processes on free loopback ports, a hospital and a
lab as ``datashare`` processes with keystores and accounts of their own, going keys → upload →
share (2 of 3) → fetch (the lab's through two proxies with the third killed, the hospital's own
beside an audit) → revoke → fetch refused, the storage service SIGKILLed and restarted between
steps. The scenario is ``scripts/across_machines.py`` (demo part 16), run here with assertions on
every step's ``--json`` result. Also: chain and service errors mapped to exit codes.

Research: Zheng et al. 2018 §4.3, Feng et al. 2022 §6.8–6.9, Huang et al. 2020 §3.3.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from offchain.services.local import DatashareCli
from scripts import across_machines
from tests.e2e.test_services import ROOT, Service, _rpc_url


def Cli(folder: Path, network: str, registry: str, private_key: str) -> DatashareCli:
    """One person's ``datashare`` on this test's chain."""
    return DatashareCli(folder, network=network, registry=registry, rpc=_rpc_url(), private_key=private_key, cwd=ROOT)


@pytest.fixture(scope="module")
def storage(registry, tmp_path_factory):
    """The storage service, as ``datashare serve``."""
    from brownie import network

    service = Service(
        "storage",
        "storage",
        tmp_path_factory.mktemp("cli-services") / "storage",
        network.show_active(),
        registry.address,
    )
    service.start()
    yield service
    service.kill()


@pytest.fixture(scope="module")
def owner(registry, accounts, tmp_path_factory):
    """An owner's ``datashare`` with a funded account of its own."""
    from brownie import network

    account = accounts.add()
    accounts[0].transfer(account, "10 ether")
    return Cli(
        tmp_path_factory.mktemp("people") / "owner", network.show_active(), registry.address, account.private_key
    )


def test_every_role_as_its_own_process_through_the_cli_survives_sigkill(registry, accounts, tmp_path, capsys):
    steps = across_machines.run(registry.address, tmp_path / "scenario", accounts[0])
    hospital, lab = steps["people"]["hospital"], steps["people"]["lab"]
    assert set(steps["keys"]["hospital"]["secrets"]) == {"umbral-master", "umbral-signer", "umbral-receiving"}
    assert steps["upload"]["locator"].startswith("cloud://storage/") and steps["upload"]["blocks"] > 1
    assert steps["share"]["proxies"] == ["proxy-1", "proxy-2", "proxy-3"]
    assert steps["share"]["verifying_pk"] == steps["keys"]["hospital"]["verifying_pk"]
    assert steps["fetch"]["plaintext_bytes"] == len(across_machines.RECORDS)  # through 2 of 3 proxies
    assert steps["received"].read_bytes() == across_machines.RECORDS
    assert steps["own"].read_bytes() == across_machines.RECORDS  # the hospital's own, no proxies
    assert steps["audit"]["passed"] and len(steps["audit"]["challenged"]) == 8 and steps["audit"]["failed"] == []
    assert steps["revoke"]["grantee"] == lab != hospital
    assert steps["refused"]["error"] == "AccessDeniedError" and "only 0 of the 2" in steps["refused"]["detail"]
    assert capsys.readouterr().out.count("SIGKILLed") == 3  # storage twice, proxy-1 for good


def test_the_cli_maps_chain_and_service_errors_to_exit_codes(storage, owner):
    unknown = owner.start("audit", "0x" + "ab" * 32, "--storage", storage.url)
    unreachable = owner.start("--connect-wait-s", "0", "audit", "0x" + "ab" * 32, "--storage", "http://127.0.0.1:9")
    assert DatashareCli.finish(unknown, expect=5)["error"] == "UnknownFileError"
    assert DatashareCli.finish(unreachable, expect=7)["error"] == "ServiceUnavailableError"


def test_an_upload_without_json_shows_its_progress_and_succeeds(storage, owner, tmp_path):
    """Without ``--json`` the upload goes through the progress bar (the fast transport's on_sent)."""
    import re
    import subprocess
    import sys

    if not (owner.folder / "keystore.json").exists():
        owner("keys", "create")
    plaintext = tmp_path / "cohort.csv"
    plaintext.write_bytes(b"id,value\n" + b"".join(b"%d,%d\n" % (i, i * i) for i in range(120_000)))  # 2 MB
    human = [arg for arg in owner.global_args if arg != "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "offchain.cli", *human, "upload", str(plaintext), "--storage", storage.url],
        cwd=ROOT,
        env=owner.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    bar = re.search(r"upload to storage \S+ ([\d.]+)/([\d.]+) MB", done.stderr)
    assert bar is not None, done.stderr[-2000:]
    assert bar.group(1) == bar.group(2)  # the bar reached the whole ciphertext (two 1 MiB slices and more)
