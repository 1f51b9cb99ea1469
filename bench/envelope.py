"""Benchmark of envelope encryption (AES-256-GCM, STREAM, 1 MiB chunks) against plain AES-GCM and SHA-256.

    python bench/envelope.py [--quick]

Figures (bench/results/envelope.json), throughput in MiB/s of plaintext, median of the runs:
    envelope_encrypt_mib_s                  envelope.encrypt on an in-memory buffer (128 MiB; 32 MiB with --quick)
    envelope_decrypt_mib_s                  envelope.decrypt of that envelope
    envelope_encrypt_file_mib_s             envelope.encrypt_file, file to file, including the final fsync
    aesgcm_raw_mib_s                        baseline: one AESGCM.encrypt call over the whole buffer
    aesgcm_raw_1mib_chunks_mib_s            the cipher alone: AESGCM.encrypt over 1 MiB views, outputs dropped
    sha256_raw_mib_s                        baseline: hashlib.sha256 over the whole buffer
    envelope_<op>_ratio_to_raw_aesgcm       each envelope throughput / aesgcm_raw_mib_s, beside it
                                            (op: encrypt, decrypt, encrypt_file)
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parse_args, report
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from offchain.crypto import envelope

FILE_ID = bytes.fromhex("11" * 32)
CHUNK_BYTES = envelope.DEFAULT_CHUNK_SIZE


def median_mib_s(action: Callable[[], object], size_bytes: int, repeats: int) -> float:
    """Median throughput of ``action`` over ``repeats`` runs, in MiB/s of ``size_bytes``."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return size_bytes / (1 << 20) / statistics.median(samples)


def main() -> None:
    args = parse_args(__doc__ or "")
    size_bytes = (32 if args.quick else 128) << 20
    repeats = 3 if args.quick else 7
    plaintext = os.urandom(size_bytes)
    data_key = envelope.new_data_key()
    aead = AESGCM(data_key)
    nonce = bytes(12)  # one fixed nonce is fine here: the outputs are thrown away, never published
    view = memoryview(plaintext)

    def raw_chunks() -> None:
        for offset in range(0, size_bytes, CHUNK_BYTES):
            aead.encrypt(nonce, view[offset : offset + CHUNK_BYTES], None)

    ciphertext = envelope.encrypt(plaintext, data_key, file_id=FILE_ID)
    figures: dict[str, float] = {
        "envelope_encrypt_mib_s": median_mib_s(
            lambda: envelope.encrypt(plaintext, data_key, file_id=FILE_ID), size_bytes, repeats
        ),
        "envelope_decrypt_mib_s": median_mib_s(
            lambda: envelope.decrypt(ciphertext, data_key, file_id=FILE_ID), size_bytes, repeats
        ),
        "aesgcm_raw_mib_s": median_mib_s(lambda: aead.encrypt(nonce, plaintext, None), size_bytes, repeats),
        "aesgcm_raw_1mib_chunks_mib_s": median_mib_s(raw_chunks, size_bytes, repeats),
        "sha256_raw_mib_s": median_mib_s(lambda: hashlib.sha256(plaintext).digest(), size_bytes, repeats),
    }
    with tempfile.TemporaryDirectory(prefix="bench-envelope-") as folder:
        source, target = Path(folder) / "plain.bin", Path(folder) / "envelope.bin"
        source.write_bytes(plaintext)
        figures["envelope_encrypt_file_mib_s"] = median_mib_s(
            lambda: envelope.encrypt_file(source, target, data_key, file_id=FILE_ID), size_bytes, repeats
        )
    for operation in ("encrypt", "decrypt", "encrypt_file"):
        ratio = figures[f"envelope_{operation}_mib_s"] / figures["aesgcm_raw_mib_s"]
        figures[f"envelope_{operation}_ratio_to_raw_aesgcm"] = ratio

    order = [
        "envelope_encrypt_mib_s",
        "envelope_encrypt_ratio_to_raw_aesgcm",
        "envelope_decrypt_mib_s",
        "envelope_decrypt_ratio_to_raw_aesgcm",
        "envelope_encrypt_file_mib_s",
        "envelope_encrypt_file_ratio_to_raw_aesgcm",
        "aesgcm_raw_mib_s",
        "aesgcm_raw_1mib_chunks_mib_s",
        "sha256_raw_mib_s",
    ]
    size_note = f"{size_bytes >> 20} MiB, median of {repeats}"
    report(
        "envelope",
        {name: round(figures[name], 3) for name in order},
        {
            "envelope_encrypt_mib_s": size_note,
            "envelope_encrypt_file_mib_s": "page-cached source, includes fsync of the output",
            "aesgcm_raw_mib_s": "single call: allocates and fills one output buffer",
            "aesgcm_raw_1mib_chunks_mib_s": "the cipher alone, no output kept",
        },
    )


if __name__ == "__main__":
    main()
