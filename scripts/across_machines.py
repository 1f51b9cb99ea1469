"""The roles as separate processes, driven through the ``datashare`` command line (issue 17).

    brownie run scripts/across_machines.py --network ganache-cli   # not run by the docs test: demo part 16 runs it

One storage service and three re-encryption proxies run as ``datashare serve`` processes on
loopback ports; a hospital (the owner) and a research lab, each a ``datashare`` process with its
own encrypted keystore and Ethereum key, go keys → upload → share (2 of 3 proxies) → fetch and
audit → revoke → fetch refused. They share nothing but the chain, HTTP and the public keys a
person would hand over. Between steps the storage service is SIGKILLed and restarted, and one
proxy is killed for good: every step after finds the state from before, and 2 of 3 proxies
still serve the lab. On separate machines, replace the loopback URLs (README, "Run it across
machines").

Research: Zheng et al. 2018 §4.3 (storage server, audit), Feng et al. 2022 §6.8–6.9 (proxies,
revocation), Huang et al. 2020 §3.3 (signed requests).
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from brownie import accounts, network, web3

from offchain.chain import Session, settle
from offchain.services.local import DatashareCli, LocalService

ROOT = Path(__file__).resolve().parents[1]
RECORDS = b"patient_id,age,clump_thickness,cell_size,class\n" + b"".join(
    b"P-%05d,%d,%d,%d,%s\n" % (i, 30 + i % 50, 1 + i % 10, 1 + i % 7, b"benign" if i % 3 else b"malignant")
    for i in range(3000)
)


def _step(title: str, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    result = action()
    print(f"   {title:<58} {time.perf_counter() - started:6.2f} s")
    return result


def run(registry: str, workdir: Path, funder: Any) -> dict[str, Any]:
    """Play the scenario on the DataRegistry at ``registry``; processes' files under ``workdir``.

    Returns:
        Each step's ``--json`` result by name (``upload``, ``share``, ``fetch``, ``own_fetch``,
        ``audit``, ``revoke``, ``refused``), the people's ``keys`` and the files' paths.

    Raises:
        AssertionError: if a copy differs from the hospital's file.
        CommandFailedError: if a step exits otherwise than expected.
    """
    name = str(network.show_active())
    rpc = str(web3.provider.endpoint_uri)
    services = [
        LocalService("storage", "storage", workdir / "storage", network=name, registry=registry, rpc=rpc, cwd=ROOT)
    ]
    services += [
        LocalService("proxy", f"proxy-{i}", workdir / f"proxy-{i}", network=name, registry=registry, rpc=rpc, cwd=ROOT)
        for i in (1, 2, 3)
    ]
    storage, proxies = services[0], services[1:]
    people = []
    for who in ("hospital", "lab"):
        account = accounts.add("0x" + secrets.token_hex(32))  # a fresh key of the person's own
        funder.transfer(account, "1 ether", silent=True)
        people.append(
            DatashareCli(
                workdir / who, network=name, registry=registry, rpc=rpc, private_key=account.private_key, cwd=ROOT
            )
        )
    hospital, lab = people
    try:
        print(f"\n== Four service processes on loopback: {', '.join(f'{s.name} {s.url}' for s in services)}")
        for service in services:
            service.start()
        creating = [person.start("keys", "create") for person in people]  # while the services start
        hospital_keys, lab_keys = (DatashareCli.finish(process) for process in creating)
        for service in services:
            service.wait_ready()
        print(f"   hospital {hospital.address}, lab {lab.address}: encrypted keystores created")

        plaintext = workdir / "cohort-2026.csv"
        plaintext.write_bytes(RECORDS)
        print("\n== Through the command line (each step a new process)")
        uploaded = _step(
            f"datashare upload ({len(RECORDS):,} bytes)",
            lambda: hospital("upload", str(plaintext), "--storage", storage.url, "--block-size", "4096"),
        )
        file_id = uploaded["file_id"]
        print(f"      file id {file_id}, {uploaded['blocks']} blocks, locator {uploaded['locator']}")

        storage.kill()
        storage.start()
        print("   (storage service SIGKILLed and restarted)")
        proxy_args = [arg for proxy in proxies for arg in ("--proxy", proxy.url)]
        share = ("share", file_id, "--to", lab.address, "--receiving-pk", lab_keys["receiving_pk"], *proxy_args)
        shared = _step("datashare share --threshold 2 (three proxies)", lambda: hospital(*share, "--threshold", "2"))
        proxies[0].kill()
        print(f"   ({proxies[0].name} SIGKILLed for good: 2 of 3 proxies remain)")
        received = workdir / "received.csv"
        live_proxies = [arg for proxy in proxies[1:] for arg in ("--proxy", proxy.url)]
        fetch = (
            "fetch", file_id, "--storage", storage.url, *live_proxies, "--threshold", "2",
            "--verifying-pk", hospital_keys["verifying_pk"], "--out", str(received),
        )  # fmt: skip
        fetched = _step("datashare fetch (lab, 2 of 3 proxies)", lambda: lab(*fetch))
        if received.read_bytes() != RECORDS:
            raise AssertionError("the lab's copy differs from the hospital's file")
        print(f"      {fetched['plaintext_bytes']:,} bytes, checked against the chain and decrypted: OK")
        own = workdir / "own-copy.csv"
        owning = hospital.start("fetch", file_id, "--storage", storage.url, "--out", str(own))  # beside the audit
        audit = _step(
            "datashare audit (lab, 8 sampled blocks)",
            lambda: lab("audit", file_id, "--storage", storage.url, "--samples", "8"),
        )
        print(f"      blocks {audit['challenged']}: {'passed' if audit['passed'] else 'FAILED'}")
        own_fetch = DatashareCli.finish(owning)
        if own.read_bytes() != RECORDS:
            raise AssertionError("the hospital's own copy differs from its file")
        print(f"   hospital's own fetch (no proxies, beside the audit): {own_fetch['plaintext_bytes']:,} bytes")

        storage.kill()
        storage.start()
        print("   (storage service SIGKILLed and restarted)")
        revoke = _step(
            "datashare revoke (hospital, on chain)", lambda: hospital("revoke", file_id, "--grantee", lab.address)
        )
        refused = _step("datashare fetch after the revocation (exit 4 expected)", lambda: lab(*fetch, expect=4))
        print(f"      refused: {refused['error']}: {refused['detail'][:80]}")
        return {
            "upload": uploaded, "share": shared, "fetch": fetched, "own_fetch": own_fetch, "audit": audit,
            "revoke": revoke, "refused": refused, "keys": {"hospital": hospital_keys, "lab": lab_keys},
            "people": {"hospital": hospital.address, "lab": lab.address}, "received": received, "own": own,
        }  # fmt: skip
    finally:
        for service in services:
            service.stop()


def main() -> None:
    """Deploy afresh on a local chain if needed, then run the scenario."""
    session = Session.load(deploy_if_missing=True)
    print(f"Network {network.show_active()}: {session}")
    with tempfile.TemporaryDirectory(prefix="datashare-across-") as tmp:
        run(session.record.address_of("DataRegistry"), Path(tmp), accounts[0])
    settle()
    print("\nAcross-machines scenario finished.")
