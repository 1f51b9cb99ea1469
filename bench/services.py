"""Benchmark of the storage / proxy service over HTTP (issue 17): throughput against the local
blob store, many concurrent small fetches, proxy re-encryptions.

    python bench/services.py [--quick] [--network anvil]

The service runs as its own process (``python -m offchain.services storage``, as deployed) on
a free loopback port, against a private local chain on a free port; the clients run here.

Figures (bench/results/services.json):
    upload_mib_per_s_<size>            MiB/s of ``StorageClient.store_file`` of a registered file
                                       (body, EIP-712 check, registration read from the chain,
                                       SHA-256 and Merkle checks, blob written): median of the runs
    blob_put_mib_per_s_<size>          same-run baseline: ``FilesystemBlobStore.put`` of the same bytes
                                       (hashed for its locator, written, file fsynced, renamed, folder
                                       fsynced: the durability work the service does for the blob)
    upload_over_blob_put_<size>        the ratio (goal >= 0.7); the service does more than the
                                       baseline: the request signature and the registration check,
                                       the Merkle leaves, and one synced SQLite commit of the index
                                       row before it acknowledges (the blob intent and the request
                                       nonce commit unsynced, made durable by that commit)
    in_process_upload_mib_per_s_<size> same-run baseline: ``CloudServer.store_file`` of the same upload
                                       in this process (every check, no HTTP, in-memory index)
    upload_over_in_process_<size>      the ratio: what HTTP, the EIP-712 check and the persisted
                                       index cost on top of the checks themselves
    download_mib_per_s_<size>          MiB/s of ``StorageClient.fetch`` (streamed)
    blob_get_mib_per_s_<size>          same-run baseline: ``FilesystemBlobStore.get`` (reads and
                                       re-hashes the blob against its locator, as the service does
                                       before it sends a file of up to 2 MiB, and while it
                                       streams a larger one)
    download_over_blob_get_<size>      the ratio (goal >= 0.7)
    small_fetch_requests_per_s_c32     32 client threads, each its own connection, fetching a 4 KiB
                                       file again and again
    small_fetch_p50_ms_c32, small_fetch_p99_ms_c32, small_fetch_failed_c32
                                       their latency percentiles and the failed requests (goal: 0)
    reencrypt_per_s                    sequential ``StorageClient.reencrypt`` of a capsule for an active
                                       grant (client EIP-712 signature, server check, grant read on
                                       chain, Umbral re-encryption)
    local_reencrypt_per_s              same-run baseline: ``pre.reencrypt`` in this process
    reencrypt_over_local               the ratio

Sizes are 1 MiB and 128 MiB (``--quick``: 1 MiB and 16 MiB); 40 files of 1 MiB (10 with
``--quick``: their times are short and move with the machine's load), 3 of the larger size.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # the clients run the same offchain as the service

from _common import connect_own_chain, median_ms, parse_args, report

from offchain.chain import load_project
from offchain.chain.registry import DataRegistryClient
from offchain.crypto import pre
from offchain.protocols import Buyer, CloudServer, DataOwner
from offchain.services.client import StorageClient
from offchain.services.local import LocalService
from offchain.storage import FilesystemBlobStore

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20
BLOCK_SIZE = 64 * 1024
CLIENTS = 32


class _Captured:
    """Where DataOwner.upload "stores": keeps the signed upload, to send it over HTTP under the clock."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.uploads: list[dict[str, Any]] = []

    def locator_for(self, index_hash: bytes) -> str:
        return f"cloud://{self.name}/{index_hash.hex()}"

    def store_file(self, **upload: Any) -> str:
        self.uploads.append(upload)
        return self.locator_for(b"")


def _mib_per_s(size: int, samples_s: list[float]) -> float:
    return size / MIB / statistics.median(samples_s)


def _throughput(owner: DataOwner, client: StorageClient, local: CloudServer, size: int, runs: int) -> dict[str, float]:
    """Upload and download ``runs`` fresh registered files of ``size`` bytes through the service;
    the same bytes through the blob store, and the same uploads to ``local`` (an in-process
    CloudServer: the same checks without HTTP) as baselines."""
    baseline = local.store
    captured = _Captured(client.name)
    for _ in range(runs):
        owner.upload(os.urandom(size), captured, block_size=BLOCK_SIZE)  # encrypted and registered, not timed
    up, down, put, get, local_up = [], [], [], [], []
    for upload in captured.uploads:
        ciphertext: bytes = upload["ciphertext"]
        start = time.perf_counter()
        client.store_file(**upload)
        up.append(time.perf_counter() - start)
        token = owner.open_keys(client, upload["file_id"]).download_token
        start = time.perf_counter()
        fetched = client.fetch(upload["file_id"], token)
        down.append(time.perf_counter() - start)
        assert fetched == ciphertext
        start = time.perf_counter()
        locator = baseline.put(ciphertext)
        put.append(time.perf_counter() - start)
        start = time.perf_counter()
        assert len(baseline.get(locator)) == len(ciphertext)
        get.append(time.perf_counter() - start)
        baseline.delete(locator)
        start = time.perf_counter()
        local.store_file(**upload)
        local_up.append(time.perf_counter() - start)
    label = f"{size // MIB}mib"
    figures = {
        f"upload_mib_per_s_{label}": _mib_per_s(size, up),
        f"blob_put_mib_per_s_{label}": _mib_per_s(size, put),
        f"download_mib_per_s_{label}": _mib_per_s(size, down),
        f"blob_get_mib_per_s_{label}": _mib_per_s(size, get),
    }
    figures[f"upload_over_blob_put_{label}"] = statistics.median(put) / statistics.median(up)
    figures[f"download_over_blob_get_{label}"] = statistics.median(get) / statistics.median(down)
    figures[f"in_process_upload_mib_per_s_{label}"] = _mib_per_s(size, local_up)
    figures[f"upload_over_in_process_{label}"] = statistics.median(local_up) / statistics.median(up)
    return figures


def _concurrent_fetches(url: str, file_id: bytes, token: bytes, per_client: int) -> dict[str, float | int]:
    latencies_s: list[float] = []
    failures = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS + 1)

    def fetcher() -> None:
        client = StorageClient(url)
        mine: list[float] = []
        failed = 0
        barrier.wait()
        for _ in range(per_client):
            start = time.perf_counter()
            try:
                client.fetch(file_id, token)
                mine.append(time.perf_counter() - start)
            except Exception:  # every failure counts, whatever its kind
                failed += 1
        client.close()
        with lock:
            latencies_s.extend(mine)
            failures[0] += failed

    threads = [threading.Thread(target=fetcher) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall_s = time.perf_counter() - start
    ordered = sorted(latencies_s)
    return {
        f"small_fetch_requests_per_s_c{CLIENTS}": len(ordered) / wall_s,
        f"small_fetch_p50_ms_c{CLIENTS}": ordered[len(ordered) // 2] * 1000,
        f"small_fetch_p99_ms_c{CLIENTS}": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        f"small_fetch_failed_c{CLIENTS}": failures[0],
        f"small_fetch_requests_c{CLIENTS}": len(ordered) + failures[0],
    }


def main() -> None:
    args = parse_args(__doc__ or "")
    sizes = (1 * MIB, 16 * MIB) if args.quick else (1 * MIB, 128 * MIB)
    runs = {1 * MIB: 10 if args.quick else 40, 16 * MIB: 3, 128 * MIB: 3}
    project = load_project()
    connect_own_chain(args.network)
    from brownie import accounts, web3

    rpc_url = str(web3.provider.endpoint_uri)  # the service attaches to this private chain
    registry = project.DataRegistry.deploy({"from": accounts[0]})
    chain_client = DataRegistryClient(registry, from_block=registry.tx.block_number)

    def funded() -> Any:
        account = accounts.add()
        accounts[0].transfer(account, "10 ether")
        return account

    owner, buyer = DataOwner(funded(), chain_client), Buyer(funded(), chain_client)
    figures: dict[str, float | int] = {}
    notes: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-services-") as tmp:
        folder = Path(tmp)
        service = LocalService(
            "storage",
            "storage",
            folder / "storage",
            network=args.network,
            registry=registry.address,
            rpc=rpc_url,
            cwd=ROOT,
        )
        service.start()
        url = service.url
        try:
            service.wait_ready(timeout_s=120)
            client = StorageClient(url, private_key=owner.account.private_key)
            local = CloudServer("local", FilesystemBlobStore(folder / "baseline"), chain_client)
            for size in sizes:
                figures.update(_throughput(owner, client, local, size, runs[size]))

            small = owner.upload(os.urandom(4096), client, block_size=4096)
            small_id = small.registration.file_id
            token = owner.open_keys(client, small_id).download_token
            figures.update(_concurrent_fetches(url, small_id, token, 20 if args.quick else 100))
            notes[f"small_fetch_requests_per_s_c{CLIENTS}"] = "4 KiB file; client threads share this process's GIL"

            owner.grant(small_id, buyer.recipient, [client], threshold=1)
            buyer_client = StorageClient(url, private_key=buyer.account.private_key)
            sealed = buyer_client.sealed_key(small_id)
            repeats = 20 if args.quick else 200
            http_ms = median_ms(lambda: buyer_client.reencrypt(small_id, buyer.account.address, sealed), repeats)
            delegating, signer = pre.KeyPair.generate(), pre.KeyPair.generate()
            keys = {
                "delegating_pk": delegating.public_key,
                "receiving_pk": buyer.recipient.receiving_pk,
                "verifying_pk": signer.public_key,
            }
            raw = pre.generate_kfrags(
                delegating_sk=delegating.secret_key,
                receiving_pk=buyer.recipient.receiving_pk,
                signer_sk=signer.secret_key,
                threshold=1,
                shares=1,
            )[0]
            kfrag = pre.verify_kfrag(raw, **keys)
            local_sealed = pre.seal(delegating.public_key, b"\x00" * 32)
            local_ms = median_ms(lambda: pre.reencrypt(local_sealed, kfrag), repeats)
            figures["reencrypt_per_s"] = 1000 / http_ms
            figures["local_reencrypt_per_s"] = 1000 / local_ms
            figures["reencrypt_over_local"] = local_ms / http_ms
            notes["reencrypt_per_s"] = f"one client, sequential; grant read on {args.network}"
        finally:
            service.kill()
    report(
        "services",
        {name: round(value, 3) if isinstance(value, float) else value for name, value in figures.items()},
        notes,
    )


if __name__ == "__main__":
    main()
