"""Benchmark of the Paillier layer and the threshold scheme, against plain ``phe``.

    python bench/paillier.py [--quick] [--network ganache-cli]

Figures written to bench/results/paillier.json (<bits>: 512, 1024, 2048, 3072; --quick: no 3072):
    phe_keygen_ms_<bits>              median of ``phe.generate_paillier_keypair`` (our
                                      ``generate_keypair`` is phe's, so one figure serves both)
    phe_encrypt_ms_<bits>             ``pk.encrypt(x)`` of one integer (encode, r^n, obfuscate)
    ours_encrypt_ms_<bits>            ``encrypt_raw`` with an r^n from a pre-filled ``NoisePool``:
                                      the hot path, one multiplication mod n²
    ours_encrypt_fresh_ms_<bits>      ``encrypt_raw`` with no pool (r^n computed on the spot)
    phe_decrypt_ms_<bits>, ours_decrypt_ms_<bits>
                                      ``sk.decrypt`` (CRT and decoding) and ``decrypt_raw`` (CRT)
    phe_add_us_<bits>, ours_add_us_<bits>, raw_add_us_<bits>
                                      E(a)·E(b): phe's ``EncryptedNumber +``, ``EncryptedVector +``
                                      (length 1) and a bare gmpy2 product mod n²
    phe_mul_us_<bits>, ours_mul_us_<bits>, raw_mul_us_<bits>
                                      E(a)^k for a 20-bit plaintext k: phe's ``*``,
                                      ``EncryptedVector.scale_by`` and ``gmpy2.powmod``
    pool_fill_ms_per_value_<bits>     ``NoisePool.fill`` per value, public key only
    pool_fill_crt_ms_per_value_<bits> the same by the private-key holder (r^n mod p² and q²)
    pool_fill_crt_2workers_ms_per_value_2048
                                      the CRT fill in two processes (the machine has two cores,
                                      shared with other work: this one is the noisiest figure)
    phe_encrypt_values_per_s_2048, ours_encrypt_values_per_s_2048
                                      throughput on 200 integers: ``[pk.encrypt(v) ...]`` against
                                      ``EncryptedVector.encrypt(pk, values, pool=pool)``, pool filled
    encrypt_speedup_vs_phe_2048       their ratio (goal >= 5): the pool's hot path only
    encrypt_speedup_amortized_crt_2048, encrypt_speedup_amortized_public_2048
                                      the same ratio with the pool's fill time counted (CRT fill,
                                      public-key fill): the whole cost of an encryption
    threshold_keygen_s_2048           median of ``generate_threshold_keypair(2048, 5, 3)`` (two
                                      safe primes, shares, verification keys)
    threshold_keygen_s_10_7_2048      one (10, 7) key (--quick: at 1024 bits)
    threshold_first_use_ms_<p>_<t>_<bits>
                                      the first whole decryption with a key just read from JSON,
                                      as a party's process sees it: builds v's and each v_i's comb
                                      tables once
    threshold_partial_ms_<p>_<t>_<bits>
                                      one party's ``partial_decrypt`` (c^(2Δs_i) and its proof)
    threshold_verify_ms_<p>_<t>_<bits>
                                      ``verify_partial`` of one partial, alone
    threshold_verify_batch_ms_<p>_<t>_<bits>
                                      ``verify_partials`` of the t partials of one ciphertext in
                                      one batch (what ``threshold_decrypt`` runs)
    threshold_combine_ms_<p>_<t>_<bits>
                                      ``combine`` of t verified partials
    threshold_decrypt_ms_<p>_<t>_<bits>
                                      the whole decryption of a fresh ciphertext: t partials with
                                      proofs, then ``threshold_decrypt`` (verifies all, combines);
                                      median over 10 ciphertexts (goal for (5, 3): <= 150 ms)
    plain_decrypt_ms_2048             the baseline: phe's private-key decryption, same run
    <timing>_over_phe_<op>            every timing of ours (``ours_*``, the pool fills, the threshold
                                      scheme) over its same-run ``phe`` baseline at the same key
                                      size: ``phe_<op>_*_<bits>`` for ours_<op>, phe encryption for
                                      the fills, phe decryption for the threshold operations, phe
                                      key generation for the threshold key generation

    The confidential ledger's figures (proofs, trustees' review, gas) are in bench/ledger.py.

Research: Zheng et al., "Scalable and Privacy-Preserving Data Sharing Based on Blockchain",
JCST 33(3), 2018, Figs. 4–6 plot Paillier key generation, encryption, decryption and
homomorphic operation times against key size. The paper's text was not available here, so no
figure of theirs is quoted; the baseline is plain ``phe`` (python-paillier with gmpy2), measured
in the same run on the same machine.

Timings are medians: the machine has two cores and other work runs beside the benchmark.
"""

from __future__ import annotations

import secrets
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gmpy2
import phe
from _common import median_ms, parse_args, report, with_baseline_ratios
from gmpy2 import mpz

from offchain.crypto import threshold_paillier as tp
from offchain.crypto.paillier import EncryptedVector, NoisePool, decrypt_raw, encrypt_raw

THROUGHPUT_VALUES = 200
SCALAR = 1_000_003  # a 20-bit plaintext factor, as weights and prices are
THRESHOLD_CIPHERTEXTS = 10
ENCRYPT_SPEEDUP_GOAL = 5.0
THRESHOLD_DECRYPT_GOAL_MS = 150.0


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def _timed_s(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _per_call_us(action: Callable[[], object], calls: int, repeats: int) -> float:
    """Median over ``repeats`` batches of ``calls`` calls, per call, in microseconds."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            action()
        samples.append((time.perf_counter() - start) * 1e6 / calls)
    return statistics.median(samples)


def key_size_figures(
    bits: int, quick: bool
) -> tuple[dict[str, float | int], tuple[phe.PaillierPublicKey, phe.PaillierPrivateKey]]:
    """phe against our layer at one key size; also returns a key pair of that size."""
    keygen_runs = 3 if quick else 5
    repeats = 5 if quick else 15
    fill_count = 10 if quick else 30
    keygen = [_timed_s(lambda: phe.generate_paillier_keypair(n_length=bits)) * 1000 for _ in range(keygen_runs)]
    pk, sk = phe.generate_paillier_keypair(n_length=bits)
    x, y = secrets.randbelow(1 << 32), secrets.randbelow(1 << 32)
    figures: dict[str, float | int] = {f"phe_keygen_ms_{bits}": statistics.median(keygen)}

    figures[f"phe_encrypt_ms_{bits}"] = median_ms(lambda: pk.encrypt(x), repeats)
    pool = NoisePool(pk)
    pool.fill(repeats)
    figures[f"ours_encrypt_ms_{bits}"] = median_ms(lambda: encrypt_raw(pk, x, pool.take()), repeats)
    figures[f"ours_encrypt_fresh_ms_{bits}"] = median_ms(lambda: encrypt_raw(pk, x), repeats)

    ea, eb = pk.encrypt(x), pk.encrypt(y)
    ca = encrypt_raw(pk, x)
    figures[f"phe_decrypt_ms_{bits}"] = median_ms(lambda: sk.decrypt(ea), repeats)
    figures[f"ours_decrypt_ms_{bits}"] = median_ms(lambda: decrypt_raw(sk, ca), repeats)
    if sk.decrypt(ea) != x or decrypt_raw(sk, ca) != x:
        raise AssertionError(f"decryption at {bits} bits gave the wrong plaintext")

    va, vb = EncryptedVector.encrypt(pk, [x]), EncryptedVector.encrypt(pk, [y])
    raw_a, raw_b = va.ciphertexts[0], vb.ciphertexts[0]
    nsquare = mpz(pk.nsquare)
    calls, batches = (200, 5) if quick else (1000, 7)
    figures[f"phe_add_us_{bits}"] = _per_call_us(lambda: ea + eb, calls, batches)
    figures[f"ours_add_us_{bits}"] = _per_call_us(lambda: va + vb, calls, batches)
    figures[f"raw_add_us_{bits}"] = _per_call_us(lambda: raw_a * raw_b % nsquare, calls, batches)
    figures[f"phe_mul_us_{bits}"] = _per_call_us(lambda: ea * SCALAR, calls // 4, batches)
    figures[f"ours_mul_us_{bits}"] = _per_call_us(lambda: va.scale_by(SCALAR), calls // 4, batches)
    figures[f"raw_mul_us_{bits}"] = _per_call_us(lambda: gmpy2.powmod(raw_a, SCALAR, nsquare), calls // 4, batches)
    if sk.decrypt(ea + eb) != x + y or (va + vb).decrypt(sk) != [float(x + y)]:
        raise AssertionError(f"homomorphic addition at {bits} bits gave the wrong sum")
    if sk.decrypt(ea * SCALAR) != x * SCALAR or va.scale_by(SCALAR).decrypt(sk) != [float(x * SCALAR)]:
        raise AssertionError(f"multiplication by a scalar at {bits} bits gave the wrong product")

    public, crt = NoisePool(pk), NoisePool(pk, sk)
    figures[f"pool_fill_ms_per_value_{bits}"] = _timed_s(lambda: public.fill(fill_count)) * 1000 / fill_count
    figures[f"pool_fill_crt_ms_per_value_{bits}"] = _timed_s(lambda: crt.fill(fill_count)) * 1000 / fill_count
    return figures, (pk, sk)


def throughput_figures(pk: phe.PaillierPublicKey, sk: phe.PaillierPrivateKey, quick: bool) -> dict[str, float | int]:
    """Encryption of many values at one key: phe, the pool's hot path, and the pool's fill."""
    values = [secrets.randbelow(1 << 32) for _ in range(THROUGHPUT_VALUES)]
    phe_s, hot_s, fill_public_s, fill_crt_s = [], [], [], []
    for _ in range(1 if quick else 3):
        phe_s.append(_timed_s(lambda: [pk.encrypt(v) for v in values]))
        for private_key, fills in ((None, fill_public_s), (sk, fill_crt_s)):
            pool = NoisePool(pk, private_key)
            fills.append(_timed_s(lambda p=pool: p.fill(THROUGHPUT_VALUES)))
            hot_s.append(_timed_s(lambda p=pool: EncryptedVector.encrypt(pk, values, pool=p)))
    two_workers = NoisePool(pk, sk, workers=2)
    fill_two_s = _timed_s(lambda: two_workers.fill(THROUGHPUT_VALUES))
    check = EncryptedVector.encrypt(pk, values[:3], pool=two_workers).decrypt(sk)
    if check != [float(v) for v in values[:3]]:
        raise AssertionError("pooled encryption gave the wrong plaintexts")
    phe_time, hot = statistics.median(phe_s), statistics.median(hot_s)
    fill_public, fill_crt = statistics.median(fill_public_s), statistics.median(fill_crt_s)
    bits = pk.n.bit_length()
    return {
        f"pool_fill_crt_2workers_ms_per_value_{bits}": fill_two_s * 1000 / THROUGHPUT_VALUES,
        f"phe_encrypt_values_per_s_{bits}": THROUGHPUT_VALUES / phe_time,
        f"ours_encrypt_values_per_s_{bits}": THROUGHPUT_VALUES / hot,
        f"encrypt_speedup_vs_phe_{bits}": phe_time / hot,
        f"encrypt_speedup_amortized_crt_{bits}": phe_time / (hot + fill_crt),
        f"encrypt_speedup_amortized_public_{bits}": phe_time / (hot + fill_public),
    }


def _whole_decryption(pk: tp.ThresholdPublicKey, shares: list[tp.KeyShare], ciphertext: int) -> tuple[int, float]:
    """t partials with proofs and ``threshold_decrypt``: the plaintext and the time in ms."""
    start = time.perf_counter()
    partials = [tp.partial_decrypt(share, ciphertext) for share in shares[: pk.threshold]]
    plaintext = tp.threshold_decrypt(pk, ciphertext, partials)
    return plaintext, (time.perf_counter() - start) * 1000


def threshold_case(public_key: tp.ThresholdPublicKey, shares: list[tp.KeyShare], count: int) -> dict[str, float | int]:
    """Partial decryption, verification, combination and the whole decryption for one key."""
    # The key as every party's process reads it: no comb table built yet.
    pk = tp.ThresholdPublicKey.from_json(public_key.to_json())
    loaded = [tp.KeyShare(pk, share.index, share.share) for share in shares]
    tag = f"{pk.parties}_{pk.threshold}_{pk.n.bit_length()}"
    paillier = pk.paillier
    plaintexts = [secrets.randbelow(1 << 64) for _ in range(count + 1)]
    first_plaintext, first_ms = _whole_decryption(pk, loaded, int(encrypt_raw(paillier, plaintexts[0])))
    whole, partial, verify, batch, combine = [], [], [], [], []
    for m in plaintexts[1:]:
        c = int(encrypt_raw(paillier, m))
        found, ms = _whole_decryption(pk, loaded, c)
        whole.append(ms)
        if found != m or first_plaintext != plaintexts[0]:
            raise AssertionError(f"threshold decryption ({tag}) gave the wrong plaintext")
        partials = []
        for share in loaded[: pk.threshold]:
            start = time.perf_counter()
            partials.append(tp.partial_decrypt(share, c))
            partial.append((time.perf_counter() - start) * 1000)
        verified = []
        for item in partials:
            start = time.perf_counter()
            verified.append(tp.verify_partial(pk, c, item))
            verify.append((time.perf_counter() - start) * 1000)
        batch.append(_timed_s(lambda c=c, p=partials: tp.verify_partials(pk, c, p)) * 1000)
        start = time.perf_counter()
        if tp.combine(pk, verified) != m:
            raise AssertionError(f"threshold combination ({tag}) gave the wrong plaintext")
        combine.append((time.perf_counter() - start) * 1000)
    return {
        f"threshold_partial_ms_{tag}": statistics.median(partial),
        f"threshold_verify_ms_{tag}": statistics.median(verify),
        f"threshold_verify_batch_ms_{tag}": statistics.median(batch),
        f"threshold_combine_ms_{tag}": statistics.median(combine),
        f"threshold_decrypt_ms_{tag}": statistics.median(whole),
        f"threshold_first_use_ms_{tag}": first_ms,
    }


def threshold_figures(
    plain: phe.PaillierPrivateKey, quick: bool
) -> tuple[dict[str, float | int], tuple[tp.ThresholdPublicKey, list[tp.KeyShare]]]:
    """Threshold key generation and decryption, with phe's decryption as the baseline."""
    figures: dict[str, float | int] = {}
    keys: list[tuple[tp.ThresholdPublicKey, list[tp.KeyShare]]] = []
    keygen_s = []
    for _ in range(3 if quick else 5):
        start = time.perf_counter()
        keys.append(tp.generate_threshold_keypair(2048, 5, 3))
        keygen_s.append(time.perf_counter() - start)
    figures["threshold_keygen_s_2048"] = statistics.median(keygen_s)
    _progress("threshold (5, 3) at 2048 bits")
    figures.update(threshold_case(*keys[0], THRESHOLD_CIPHERTEXTS))
    ea = plain.public_key.encrypt(secrets.randbelow(1 << 32))
    figures["plain_decrypt_ms_2048"] = median_ms(lambda: plain.decrypt(ea), 30)

    bits_10_7 = 1024 if quick else 2048
    _progress(f"threshold (10, 7) at {bits_10_7} bits")
    start = time.perf_counter()
    key_10_7 = tp.generate_threshold_keypair(bits_10_7, 10, 7)
    figures[f"threshold_keygen_s_10_7_{bits_10_7}"] = time.perf_counter() - start
    figures.update(threshold_case(*key_10_7, THRESHOLD_CIPHERTEXTS // 2 if quick else THRESHOLD_CIPHERTEXTS))
    return figures, keys[0]


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    figures: dict[str, float | int] = {}
    keys: dict[int, Any] = {}
    for bits in (512, 1024, 2048) if args.quick else (512, 1024, 2048, 3072):
        _progress(f"phe and our layer at {bits} bits")
        sized, keys[bits] = key_size_figures(bits, args.quick)
        figures.update(sized)
    _progress(f"throughput of {THROUGHPUT_VALUES} encryptions at 2048 bits")
    figures.update(throughput_figures(*keys[2048], args.quick))
    _progress("threshold key generation at 2048 bits")
    threshold, _ = threshold_figures(keys[2048][1], args.quick)
    figures.update(threshold)
    figures = _with_phe_ratios(figures, keys)
    notes = _notes(figures)
    report("paillier", figures, notes)


def _with_phe_ratios(figures: dict[str, float | int], sizes: Iterable[int]) -> dict[str, float | int]:
    """Each timing of ours beside its ratio to the same-run phe baseline of the same key size."""
    for bits in sizes:
        for op in ("encrypt", "decrypt", "add", "mul"):
            unit = "ms" if op in ("encrypt", "decrypt") else "us"
            ours = [f"ours_{op}_{unit}_{bits}", f"ours_{op}_fresh_{unit}_{bits}", f"raw_{op}_{unit}_{bits}"]
            figures = with_baseline_ratios(figures, f"phe_{op}_{unit}_{bits}", f"phe_{op}", ours)
        fills = [f"pool_fill{kind}_ms_per_value_{bits}" for kind in ("", "_crt", "_crt_2workers")]
        figures = with_baseline_ratios(figures, f"phe_encrypt_ms_{bits}", "phe_encrypt", fills)
        threshold = [key for key in figures if key.startswith("threshold_") and key.endswith(f"_{bits}")]
        keygens = [key for key in threshold if key.startswith("threshold_keygen_")]
        operations = [key for key in threshold if key not in keygens]
        figures = with_baseline_ratios(figures, f"phe_keygen_ms_{bits}", "phe_keygen", keygens)
        figures = with_baseline_ratios(figures, f"phe_decrypt_ms_{bits}", "phe_decrypt", operations)
    return figures


def _versus_phe(ratio: float) -> str:
    """A time ratio phe / ours in words (within 10 %: the same, given the noise)."""
    if 0.9 <= ratio <= 1.1:
        return "same as phe (within 10 %)"
    return f"{ratio:.1f}x faster than phe" if ratio > 1 else f"{1 / ratio:.1f}x slower than phe"


def _notes(figures: dict[str, float | int]) -> dict[str, str]:
    notes: dict[str, str] = {}
    for key, value in figures.items():
        if not key.startswith("ours_") or "_per_s_" in key:
            continue
        baseline = figures.get(key.replace("ours_", "phe_", 1).replace("_fresh", ""))
        if baseline:
            notes[key] = _versus_phe(baseline / value)
    speedup = figures.get("encrypt_speedup_vs_phe_2048")
    if speedup is not None:
        verdict = "met" if speedup >= ENCRYPT_SPEEDUP_GOAL else "MISSED"
        notes["encrypt_speedup_vs_phe_2048"] = f"goal >= {ENCRYPT_SPEEDUP_GOAL:.0f}x: {verdict} (hot path only)"
        notes["encrypt_speedup_amortized_crt_2048"] = "fill counted: the whole cost for the key holder"
        notes["encrypt_speedup_amortized_public_2048"] = "fill counted: the whole cost for anyone else"
    decrypt = figures.get("threshold_decrypt_ms_5_3_2048")
    plain = figures.get("plain_decrypt_ms_2048")
    if decrypt is not None:
        verdict = "met" if decrypt <= THRESHOLD_DECRYPT_GOAL_MS else "MISSED"
        overhead = f"; {decrypt / plain:.0f}x plain decryption" if plain else ""
        notes["threshold_decrypt_ms_5_3_2048"] = f"goal <= {THRESHOLD_DECRYPT_GOAL_MS:.0f} ms: {verdict}{overhead}"
    if plain is not None:
        notes["plain_decrypt_ms_2048"] = "baseline: phe private-key decryption"
        for key in ("threshold_decrypt_ms_10_7_2048",):
            if key in figures:
                notes[key] = f"{figures[key] / plain:.0f}x plain decryption"
    for key in figures:
        if key.startswith("threshold_first_use_ms_"):
            notes[key] = "one-off per process: builds the comb tables of v and each v_i"
    return notes


if __name__ == "__main__":
    main()
