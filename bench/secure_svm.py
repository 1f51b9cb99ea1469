"""Benchmark of secureSVM training (Shen, Zhu, Xu ch. 4) against the research's Table 4.3–4.4.

    python bench/secure_svm.py [--quick]

Figures written to bench/results/secure_svm.json. Training runs the default schedule
(offchain.learning.Schedule: 80 iterations of 32-row mini-batches, η = 0.5, λ = 0.001, f = 16)
over the seeded 80 % training split, three providers in processes of their own, the default
blinded comparison; times are wall-clock seconds of ``train_secure_svm`` (key generation and
dataset registration excluded):

    bcw_train_s_1024, bcw_train_s_2048   Breast Cancer Wisconsin (559 training rows of 699)
    hdd_train_s_1024                     Hungarian heart disease (235 training rows of 294)
    bcw_train_cpu_s_1024 (…)             CPU seconds of the analyst and the provider processes
                                         together (what the run costs whatever the machine's load)
    bcw_same_model_1024 (…_2048, hdd_…)  1 if the encrypted model equals the plaintext one
    bcw_{accuracy,precision,recall,f1}_{encrypted,plaintext_same_schedule,sklearn}
                                         test-set metrics (sklearn: LinearSVC, C = 1)
    comparisons_per_s_2048               blind + answer + unblind of one margin, in one process
    rows_<r>_full_batch_s_1024           3 full-batch iterations over the first r rows of the whole
                                         dataset (r = 100 … 699), three providers: cost ∝ rows
    providers_<k>_full_batch_s_1024      3 full-batch iterations over 300 rows split among k
                                         providers (k = 2 … 8): cost per row ~constant, plus one
                                         chain hop per provider
    load_average_1min                    the machine's load when the run ended (2 cores, shared)
    *_over_modexp                        each time over one 2048-bit exponentiation mod a 4096-bit
                                         modulus (modexp_ms, same run), steadier than the times
    bcw_train_over_plaintext_1024        the 1024-bit training over plaintext training of the same
                                         schedule (plaintext_train_ms, same run)

--quick skips the 2048-bit training and uses fewer scaling points.
"""

from __future__ import annotations

import os
import re
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import median_ms, modexp_baseline_ms, parse_args, report, with_baseline_ratios

from offchain.crypto.paillier import FixedPoint, encrypt_raw, generate_keypair
from offchain.crypto.secure_comparison import ComparisonBlinder, ComparisonKeyHolder
from offchain.crypto.secure_polynomial import margin_bound
from offchain.learning import (
    Schedule,
    TrainingTrace,
    classification_metrics,
    load_dataset,
    prepare,
    quantize,
    train_plaintext,
)
from offchain.learning.baselines import linear_svc_metrics
from offchain.protocols.secure_svm import DataAnalyst, DataProvider, train_secure_svm

#: The research's Table 4.3 (1024-bit Paillier): training times in seconds.
RESEARCH_BCW_S = 3195.0
RESEARCH_HDD_S = 1935.0
GOAL_BCW_S = RESEARCH_BCW_S / 100


def _progress(message: str) -> None:
    print(f"-- {message}", flush=True)


def providers_for(rows: list[list[int]], labels: list[int], count: int) -> list[DataProvider]:
    parts = np.array_split(np.arange(len(rows)), count)
    return [DataProvider(f"provider-{k}", [rows[i] for i in p], [labels[i] for i in p]) for k, p in enumerate(parts)]


def _cpu_s() -> float:
    """CPU seconds of this process and its reaped children (the provider processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


LAST_CPU_S = [0.0]


def timed_training(
    rows: list[list[int]], labels: list[int], schedule: Schedule, bits: int, count: int = 3
) -> tuple[float, TrainingTrace]:
    analyst = DataAnalyst(schedule, key_bits=bits)
    cpu, start = _cpu_s(), time.perf_counter()
    trace = train_secure_svm(analyst, providers_for(rows, labels, count))
    LAST_CPU_S[0] = _cpu_s() - cpu
    return time.perf_counter() - start, trace


def training_figures(name: str, bits: int, figures: dict[str, float | int], with_metrics: bool) -> None:
    schedule = Schedule()
    prepared = prepare(load_dataset(name), seed=0)
    rows, labels = quantize(prepared.x_train, schedule.fraction_bits), [int(v) for v in prepared.y_train]
    _progress(f"{name}: encrypted training at {bits} bits ({len(rows)} rows)")
    seconds, trace = timed_training(rows, labels, schedule, bits)
    plain = train_plaintext(rows, labels, schedule)
    figures[f"{name}_train_s_{bits}"] = seconds
    figures[f"{name}_train_cpu_s_{bits}"] = LAST_CPU_S[0]
    figures[f"{name}_same_model_{bits}"] = int(trace.model == plain.model)
    if not with_metrics:
        return
    runs = {
        "encrypted": classification_metrics(prepared.y_test, trace.model.predict(prepared.x_test)),
        "plaintext_same_schedule": classification_metrics(prepared.y_test, plain.model.predict(prepared.x_test)),
        "sklearn": linear_svc_metrics(prepared.x_train, prepared.y_train, prepared.x_test, prepared.y_test),
    }
    for run, metrics in runs.items():
        for metric, value in metrics.as_dict().items():
            figures[f"{name}_{metric}_{run}"] = value


def comparison_figures(figures: dict[str, float | int], count: int) -> None:
    _progress(f"{count} comparisons at 2048 bits")
    public_key, private_key = generate_keypair(2048)
    schedule = Schedule()
    blinder = ComparisonBlinder(public_key, margin_bound(schedule.weight_bound_bits, 9, schedule.fraction_bits))
    holder = ComparisonKeyHolder(private_key)
    encoding = FixedPoint.for_key(public_key, 0)
    margins = [encrypt_raw(public_key, encoding.encode(v)) for v in range(-count // 2, count - count // 2)]
    start = time.perf_counter()
    for c in margins:
        blinded, secret = blinder.blind(c)
        blinder.unblind(holder.answer(blinded), secret)
    figures["comparisons_per_s_2048"] = count / (time.perf_counter() - start)


def scaling_figures(figures: dict[str, float | int], quick: bool) -> None:
    schedule = Schedule(batch_size=0, iterations=3)
    prepared = prepare(load_dataset("bcw"), seed=0)
    everything = np.vstack([prepared.x_train, prepared.x_test])
    rows = quantize(everything, schedule.fraction_bits)
    labels = [int(v) for v in np.concatenate([prepared.y_train, prepared.y_test])]
    order = np.random.default_rng(0).permutation(len(rows))
    rows, labels = [rows[i] for i in order], [labels[i] for i in order]
    for count in (100, 699) if quick else (100, 300, 500, 699):
        _progress(f"scaling: {count} rows, full batch, 3 iterations")
        figures[f"rows_{count}_full_batch_s_1024"] = timed_training(rows[:count], labels[:count], schedule, 1024)[0]
    for providers in (2, 8) if quick else (2, 4, 6, 8):
        _progress(f"scaling: {providers} providers, 300 rows, full batch, 3 iterations")
        seconds, _ = timed_training(rows[:300], labels[:300], schedule, 1024, providers)
        figures[f"providers_{providers}_full_batch_s_1024"] = seconds


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    schedule = Schedule()
    prepared = prepare(load_dataset("bcw"), seed=0)
    rows, labels = quantize(prepared.x_train, schedule.fraction_bits), [int(v) for v in prepared.y_train]
    figures: dict[str, float | int] = {
        "modexp_ms": modexp_baseline_ms(4096, 30, exponent_bits=2048),
        "plaintext_train_ms": median_ms(lambda: train_plaintext(rows, labels, schedule), 5),
    }
    training_figures("bcw", 1024, figures, with_metrics=True)
    training_figures("hdd", 1024, figures, with_metrics=False)
    if not args.quick:
        training_figures("bcw", 2048, figures, with_metrics=False)
    comparison_figures(figures, 40 if args.quick else 200)
    scaling_figures(figures, args.quick)
    figures["load_average_1min"] = os.getloadavg()[0]
    timings = [k for k in figures if re.search(r"_s(_|$)", k) and "_cpu_" not in k and "_per_s" not in k]
    figures = with_baseline_ratios(figures, "modexp_ms", "modexp", timings)
    figures = with_baseline_ratios(figures, "plaintext_train_ms", "plaintext", ["bcw_train_s_1024"])
    notes = {
        "bcw_train_s_1024": f"research {RESEARCH_BCW_S:,.0f} s: {RESEARCH_BCW_S / figures['bcw_train_s_1024']:.0f}x; "
        f"goal <= {GOAL_BCW_S:.0f} s: {'met' if figures['bcw_train_s_1024'] <= GOAL_BCW_S else 'MISSED'}",
        "hdd_train_s_1024": f"research {RESEARCH_HDD_S:,.0f} s: {RESEARCH_HDD_S / figures['hdd_train_s_1024']:.0f}x",
        "bcw_precision_encrypted": "research 0.9035",
        "bcw_recall_encrypted": "research 0.9619",
    }
    gap = abs(figures["bcw_accuracy_encrypted"] - figures["bcw_accuracy_plaintext_same_schedule"])
    notes["bcw_accuracy_encrypted"] = f"{100 * gap:.2f} points from the plaintext run (goal <= 1)"
    report("secure_svm", figures, notes)


if __name__ == "__main__":
    main()
