"""Benchmark of Merkle trees and MerkleAnchor: build throughput against raw SHA-256, proofs, gas.

    python bench/merkle.py [--quick] [--network ganache-cli]

Throughput is measured on a file of random bytes in a temporary folder (128 MiB; 16 MiB with
--quick), deleted afterwards, read from the page cache. Raw SHA-256 and the tree builds read
the same file in the same run, alternately, and the median of the runs is kept.

Figures (bench/results/merkle.json):
    file_mib                         size of the test file
    block_size_bytes                 DEFAULT_BLOCK_SIZE, the block size of the next two figures
    workers                          hashing threads of MerkleTree.from_file (the default)
    hashlib_sha256_mib_s             hashlib.sha256 over the whole file, one thread, 4 MiB reads
    merkle_build_mib_s               MerkleTree.from_file at the default block size
    merkle_build_ratio_to_hashlib    the two above divided (goal >= 0.8)
    merkle_build_ratio_<n>kib        the ratio at other block sizes (4 KiB always; 8..64 KiB without --quick)
    proof_verify_us                  verify_inclusion of one item of a 1,024-item tree (depth 10), Python
    record_verify_us                 verify_record of one record of a 1,000-record data block, Python
    data_block_build_ms_1000         DataBlock.build of 1,000 records (100 item blocks)
    inclusion_check_gas_depth10      verifyInclusion sent as a transaction, depth 10, worst index (goal <= 32,000)
    record_check_gas_1000            verifyRecordInclusion as a transaction, 1,000-record data block
    anchor_gas_per_data_block_1000   anchorRoot of a 1,000-record data block (not the contract's first batch)
    anchor_gas_per_record_1000       the above / 1,000 (goal <= 100)
    anchor_gas_first_batch_1000      the same anchoring as the contract's very first batch (its counter goes 0 -> 1)
    sha256_64b_us                    same-run baseline of the Python figures: one hashlib.sha256 of 64 bytes
                                     (one node of a tree)
    <timing>_over_sha256             proof_verify, record_verify and data_block_build over that baseline

The chain is a private local one on a free port (never one a test run uses).
"""

from __future__ import annotations

import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import connect_own_chain, parse_args, report, with_baseline_ratios

from offchain.chain import load_project
from offchain.crypto.batching import DataBlock, Record, verify_record
from offchain.crypto.merkle import DEFAULT_BLOCK_SIZE, MerkleTree, verify_inclusion

MIB = 1 << 20
READ_BYTES = 4 * MIB
RECORDS = 1000


def write_random_file(path: Path, size_mib: int) -> None:
    with path.open("wb") as out:
        for _ in range(size_mib):
            out.write(os.urandom(MIB))


def sha256_of_file(path: Path) -> bytes:
    hasher = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(READ_BYTES):
            hasher.update(chunk)
    return hasher.digest()


def median_seconds(actions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each action, running them in turn ``repeats`` times (so drift hits all)."""
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeats):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def median_us(action: Callable[[], object], repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        action()
    return (time.perf_counter() - start) / repeats * 1e6


def throughput_figures(size_mib: int, block_sizes: list[int], repeats: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="bench-merkle-") as folder:
        path = Path(folder) / "random.bin"
        print(f"writing a {size_mib} MiB test file to {folder} ...")
        write_random_file(path, size_mib)
        actions: dict[str, Callable[[], object]] = {"hashlib": lambda: sha256_of_file(path)}
        for size in block_sizes:
            actions[f"tree_{size}"] = lambda size=size: MerkleTree.from_file(path, block_size=size)
        print(f"hashing it {repeats} times per method ...")
        seconds = median_seconds(actions, repeats)
    raw_mib_s = size_mib / seconds["hashlib"]
    figures: dict[str, float | int] = {
        "file_mib": size_mib,
        "block_size_bytes": DEFAULT_BLOCK_SIZE,
        "workers": min(4, os.cpu_count() or 1),
        "hashlib_sha256_mib_s": round(raw_mib_s, 1),
        "merkle_build_mib_s": round(size_mib / seconds[f"tree_{DEFAULT_BLOCK_SIZE}"], 1),
        "merkle_build_ratio_to_hashlib": round(seconds["hashlib"] / seconds[f"tree_{DEFAULT_BLOCK_SIZE}"], 3),
    }
    for size in block_sizes:
        figures[f"merkle_build_ratio_{size // 1024}kib"] = round(seconds["hashlib"] / seconds[f"tree_{size}"], 3)
    return figures


def python_figures(repeats: int) -> dict[str, float | int]:
    rng = random.Random(10)
    tree = MerkleTree.from_digests(rng.randbytes(32) for _ in range(1024))
    proof, digest = tree.proof(777), tree.digest(777)
    records = [Record(rng.randbytes(20), b'{"row":%d}' % i, rng.randbytes(32)) for i in range(RECORDS)]
    start = time.perf_counter()
    block = DataBlock.build(records)
    build_ms = (time.perf_counter() - start) * 1000
    record_proof, record_digest = block.record_proof(537), block.record_digest(537)
    proof_us = median_us(lambda: verify_inclusion(tree.root, digest, proof), repeats)
    record_us = median_us(lambda: verify_record(block.root, record_digest, record_proof), repeats)
    pair = rng.randbytes(64)
    hash_us = median_us(lambda: hashlib.sha256(pair).digest(), repeats * 10)
    figures: dict[str, float | int] = {
        "proof_verify_us": round(proof_us, 2),
        "record_verify_us": round(record_us, 2),
        "data_block_build_ms_1000": round(build_ms, 2),
        "sha256_64b_us": round(hash_us, 3),
    }
    timings = ["proof_verify_us", "record_verify_us", "data_block_build_ms_1000"]
    return with_baseline_ratios(figures, "sha256_64b_us", "sha256", timings)


def gas_figures(network: str) -> dict[str, float | int]:
    project = load_project()
    connect_own_chain(network)
    from brownie import accounts

    deployer, anchorer, verifier = accounts[0], accounts[3], accounts[4]
    anchor = project.MerkleAnchor.deploy({"from": deployer})
    anchor.grantRole(anchor.ANCHORER_ROLE(), anchorer, {"from": deployer})
    rng = random.Random(1000)
    block = DataBlock.build(Record(rng.randbytes(20), b'{"row":%d}' % i, rng.randbytes(32)) for i in range(RECORDS))
    first = anchor.anchorRoot(block.root, block.tree.size, rng.randbytes(32), {"from": anchorer})
    later = anchor.anchorRoot(block.root, block.tree.size, rng.randbytes(32), {"from": anchorer})
    tree = MerkleTree.from_digests(rng.randbytes(32) for _ in range(1024))
    batch_id = anchor.anchorRoot(tree.root, tree.size, bytes(32), {"from": anchorer}).return_value
    inclusion_gas = 0
    for index in (0, 1, 511, 777, 1023):
        tx = anchor.verifyInclusion.transact(
            batch_id, index, tree.digest(index), tree.proof(index).siblings, {"from": verifier}
        )
        assert tx.return_value is True
        inclusion_gas = max(inclusion_gas, int(tx.gas_used))
    proof = block.record_proof(537)
    record_tx = anchor.verifyRecordInclusion.transact(
        first.return_value,
        proof.item_index,
        proof.record_index_in_item,
        block.record_digest(537),
        proof.item_proof,
        proof.block_proof,
        {"from": verifier},
    )
    assert record_tx.return_value is True
    return {
        "inclusion_check_gas_depth10": inclusion_gas,
        "record_check_gas_1000": int(record_tx.gas_used),
        "anchor_gas_per_data_block_1000": int(later.gas_used),
        "anchor_gas_per_record_1000": round(int(later.gas_used) / RECORDS, 1),
        "anchor_gas_first_batch_1000": int(first.gas_used),
    }


def main() -> None:
    args = parse_args(__doc__ or "")
    if args.quick:
        size_mib, block_sizes, repeats = 16, [4096, DEFAULT_BLOCK_SIZE], 3
    else:
        size_mib, block_sizes, repeats = 128, [4096, 8192, 16384, 32768, 65536], 5
    block_sizes = sorted(set(block_sizes) | {DEFAULT_BLOCK_SIZE})
    figures = throughput_figures(size_mib, block_sizes, repeats)
    figures.update(python_figures(200 if args.quick else 2000))
    figures.update(gas_figures(args.network))
    report(
        "merkle",
        figures,
        {
            "hashlib_sha256_mib_s": "raw baseline, same file, same run",
            "merkle_build_mib_s": f"block {DEFAULT_BLOCK_SIZE // 1024} KiB",
            "merkle_build_ratio_to_hashlib": "goal >= 0.8",
            "proof_verify_us": "depth 10",
            "inclusion_check_gas_depth10": "goal <= 32,000 (whole transaction)",
            "anchor_gas_per_record_1000": "goal <= 100",
            "anchor_gas_first_batch_1000": f"{int(figures['anchor_gas_first_batch_1000']) / RECORDS:.1f} per record",
        },
    )


if __name__ == "__main__":
    main()
