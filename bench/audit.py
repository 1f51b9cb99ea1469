"""Benchmark of public auditing (Huang et al. 2020 §3.3) and of the upload that makes it possible.

    python bench/audit.py [--quick] [--network anvil]

A data owner uploads a 128 MiB file (16 MiB with --quick) to a cloud server (local folder) and
registers it; an auditor then challenges k = 10 blocks against the Merkle root on chain.

Figures (bench/results/audit.json):
    file_mib                      size of the audited file
    block_size_bytes              Merkle block size
    upload_s                      encrypt + Merkle tree + store + seal + register, whole upload
    upload_mib_s                  the same as a throughput
    audit_k10_ms_median           whole audit: read the record from chain, challenge, answer, verify
    audit_server_answer_k10_ms    the server's part: read 10 blocks, produce 10 Merkle paths
    audit_verify_k10_ms           the auditor's part: hash 10 blocks, check 10 paths
    plaintext_baseline_read_10_blocks_ms  reading the same 10 blocks with no proof (the floor)
    plaintext_baseline_sha256_file_s      same-run baseline of the upload: one SHA-256 of the file in memory
    upload_over_sha256                    upload_s over that baseline
    audit_*_over_plain_read               each audit time over reading the 10 blocks with no proof

The chain is a private local one on a free port (never one a test run uses).
"""

from __future__ import annotations

import hashlib
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import connect_own_chain, median_ms, parse_args, report, with_baseline_ratios

from offchain.chain import DataRegistryClient, load_project
from offchain.crypto.challenge import new_challenge
from offchain.crypto.hashing import sha256
from offchain.crypto.merkle import DEFAULT_BLOCK_SIZE, verify_inclusion
from offchain.protocols import Auditor, CloudServer, DataOwner
from offchain.storage import FilesystemBlobStore

K = 10


def main() -> None:
    args = parse_args(__doc__ or "")
    size_mib = 16 if args.quick else 128
    repeats = 5 if args.quick else 25
    project = load_project()
    connect_own_chain(args.network)
    from brownie import accounts

    registry_contract = project.DataRegistry.deploy({"from": accounts[0]})
    registry = DataRegistryClient(registry_contract, from_block=registry_contract.tx.block_number)
    content = secrets.token_bytes(size_mib << 20)
    with tempfile.TemporaryDirectory(prefix="datashare-bench-audit-") as tmp:
        server = CloudServer("bench", FilesystemBlobStore(Path(tmp)), registry)
        owner = DataOwner(accounts[1], registry)
        start = time.perf_counter()
        receipt = owner.upload(content, server, block_size=DEFAULT_BLOCK_SIZE)
        upload_s = time.perf_counter() - start
        auditor = Auditor(registry)
        file_id = receipt.file_id
        record = registry.get_file(file_id)
        reports = []

        def audit() -> None:
            reports.append(auditor.audit(file_id, server, k=K))

        audit_ms = median_ms(audit, repeats)
        assert all(r.passed for r in reports), "an honest server failed an audit"
        challenge = new_challenge(record.merkle_root, receipt.metadata.block_count, K)
        answers = []
        answer_ms = median_ms(lambda: answers.append(server.answer_challenge(file_id, challenge.indices)), repeats)
        last = answers[-1]

        def verify() -> None:
            assert all(verify_inclusion(record.merkle_root, sha256(a.block), a.proof) for a in last)

        verify_ms = median_ms(verify, repeats)
        blob = server.store.path_for(server._files[file_id].blob_locator)

        def raw_read() -> None:
            with blob.open("rb") as handle:
                for index in challenge.indices:
                    handle.seek(index * DEFAULT_BLOCK_SIZE)
                    handle.read(DEFAULT_BLOCK_SIZE)

        baseline_ms = median_ms(raw_read, repeats)
    sha256_file_ms = median_ms(lambda: hashlib.sha256(content).digest(), 3)

    figures: dict[str, float | int] = {
        "file_mib": size_mib,
        "block_size_bytes": DEFAULT_BLOCK_SIZE,
        "upload_s": round(upload_s, 3),
        "upload_mib_s": round(size_mib / upload_s, 1),
        "audit_k10_ms_median": round(audit_ms, 3),
        "audit_server_answer_k10_ms": round(answer_ms, 3),
        "audit_verify_k10_ms": round(verify_ms, 3),
        "plaintext_baseline_read_10_blocks_ms": round(baseline_ms, 3),
        "plaintext_baseline_sha256_file_s": round(sha256_file_ms / 1000, 3),
    }
    figures = with_baseline_ratios(figures, "plaintext_baseline_sha256_file_s", "sha256", ["upload_s"])
    audit_timings = ["audit_k10_ms_median", "audit_server_answer_k10_ms", "audit_verify_k10_ms"]
    figures = with_baseline_ratios(figures, "plaintext_baseline_read_10_blocks_ms", "plain_read", audit_timings)
    report("audit", figures, {"audit_k10_ms_median": f"on {args.network}, includes one registry read"})


if __name__ == "__main__":
    main()
