"""Benchmark of DataRegistry: gas per registration and the latency of register and read-back.

    python bench/registry.py [--quick] [--network anvil]

Figures (bench/results/registry.json):
    deploy_gas                   deployment of DataRegistry
    register_gas_min             smallest record (1-byte locator, no metadata)
    register_gas_typical         what DataOwner.upload registers: a cloud:// locator (81 bytes) and the
                                 packed file metadata v2 (with the capsule hash) and a 26-byte name
                                 (109 bytes) (goal <= 80,000)
    register_gas_per_metadata_byte  marginal gas per extra metadata byte (calldata + event data)
    register_ms_median           wall time of register_file through the offchain client
    get_file_ms_median           wall time of get_file (state read + log query + digest check)
    plaintext_baseline_sha256_us time to hash the same record locally (the work registration attests to)
    plain_transfer_ms_median     same-run baseline of register: a bare 0-wei transfer on the same chain
    plain_call_ms_median         same-run baseline of get_file: one raw eth_call (isRegistered) on the same chain
    register_median_over_transfer, get_file_median_over_call
                                 each latency over its baseline (less dependent on the machine's load)

The chain is a private local one on a free port (never one a test run uses).
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import connect_own_chain, median_ms, parse_args, report, with_baseline_ratios

from offchain.chain import DataRegistryClient, load_project
from offchain.protocols.metadata import FileMetadata

LOCATOR = "cloud://storage/" + "ab" * 32
METADATA = FileMetadata(
    block_size=16384,
    block_count=64,
    ciphertext_bytes=1_048_609,
    delegating_pk=b"\x02" + b"\x5a" * 32,
    name="hospital-a/cohort-2026.csv",
    capsule_hash=hashlib.sha256(b"sealed key capsule").digest(),
).to_bytes()


def main() -> None:
    args = parse_args(__doc__ or "")
    repeats = 5 if args.quick else 30
    project = load_project()
    connect_own_chain(args.network)
    from brownie import accounts, web3

    deployer, owner = accounts[0], accounts[1]
    registry = project.DataRegistry.deploy({"from": deployer})
    client = DataRegistryClient(registry, from_block=registry.tx.block_number)
    counter = iter(range(1, 10**9))

    def fresh() -> bytes:
        return hashlib.sha256(next(counter).to_bytes(8, "big")).digest()

    def register(locator: str = LOCATOR, metadata: bytes = METADATA) -> int:
        tx = registry.registerFile(fresh(), fresh(), fresh(), locator, metadata, {"from": owner})
        return int(tx.gas_used)

    gas_min = register("x", b"")
    gas_typical = register()
    gas_big = register(LOCATOR, METADATA + b"x" * 1000)
    last = None

    def register_via_client() -> None:
        nonlocal last
        last = client.register_file(
            sender=owner, content_commitment=fresh(), ciphertext_hash=fresh(), locator=LOCATOR, metadata=METADATA
        )

    register_ms = median_ms(register_via_client, repeats)
    assert last is not None
    get_ms = median_ms(lambda: client.get_file(last.file_id), repeats)
    transfer_ms = median_ms(lambda: owner.transfer(deployer, 0, silent=True), repeats)
    is_registered = {"to": registry.address, "data": registry.isRegistered.encode_input(last.file_id)}
    call_ms = median_ms(lambda: web3.eth.call(is_registered), repeats)
    record = b"x" * 1024
    start = time.perf_counter()
    for _ in range(1000):
        hashlib.sha256(record).digest()
    baseline_us = (time.perf_counter() - start) * 1000  # 1000 runs: ms total == us each

    figures = {
        "deploy_gas": int(registry.tx.gas_used),
        "register_gas_min": gas_min,
        "register_gas_typical": gas_typical,
        "register_gas_per_metadata_byte": round((gas_big - gas_typical) / 1000, 2),
        "register_ms_median": round(register_ms, 3),
        "get_file_ms_median": round(get_ms, 3),
        "plaintext_baseline_sha256_us": round(baseline_us, 3),
        "plain_transfer_ms_median": round(transfer_ms, 3),
        "plain_call_ms_median": round(call_ms, 3),
    }
    figures = with_baseline_ratios(figures, "plain_transfer_ms_median", "transfer", ["register_ms_median"])
    figures = with_baseline_ratios(figures, "plain_call_ms_median", "call", ["get_file_ms_median"])
    report(
        "registry",
        figures,
        {
            "register_gas_typical": "goal <= 80,000 (issue 3)",
            "register_ms_median": f"on {args.network}, {repeats} runs",
            "plaintext_baseline_sha256_us": "SHA-256 of a 1 KiB record, no chain",
        },
    )


if __name__ == "__main__":
    main()
