"""Shared plumbing of the benchmark scripts: arguments, timing, the table and the JSON result."""

from __future__ import annotations

import argparse
import atexit
import json
import re
import secrets
import socket
import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import gmpy2
from gmpy2 import mpz

from offchain.atomic_io import atomic_write_text

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse_args(description: str, default_network: str = "ganache-cli") -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a short run (fewer repetitions)")
    parser.add_argument("--network", default=default_network, help="Brownie network for on-chain figures")
    return parser.parse_args()


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``action`` in milliseconds over ``repeats`` runs."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


#: Seconds per unit of a timing figure, by the unit token in its name (``prove_s_n8``, ``x_ms``).
_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


def modexp_baseline_ms(bits: int, runs: int, exponent_bits: int | None = None) -> float:
    """One modular exponentiation modulo a random odd ``bits``-bit modulus with an
    ``exponent_bits``-bit exponent (``bits`` by default), median in ms: the same-run baseline of
    the timings whose cost is exponentiations."""
    modulus = mpz(secrets.randbits(bits)) | (mpz(1) << (bits - 1)) | 1
    base = mpz(secrets.randbits(bits)) % modulus
    exponent = mpz(secrets.randbits(exponent_bits or bits))
    return median_ms(lambda: gmpy2.powmod(base, exponent, modulus), runs)


def _seconds_per_unit(key: str) -> float:
    for token in reversed(key.split("_")):
        if token in _TIME_UNITS:
            return _TIME_UNITS[token]
    raise ValueError(f"{key!r} names no time unit (s, ms, us)")


def with_baseline_ratios(
    figures: Mapping[str, float | int], baseline: str, label: str, keys: Iterable[str]
) -> dict[str, float | int]:
    """``figures`` with ``<key>_over_<label>`` right after each timing figure in ``keys``: its time
    divided by the same run's ``baseline`` time (units read from the names), a figure that does
    not move with the machine's load as much as the times do. Keys absent from ``figures`` are skipped."""
    wanted = set(keys)
    baseline_s = figures[baseline] * _seconds_per_unit(baseline)
    result: dict[str, float | int] = {}
    for key, value in figures.items():
        result[key] = value
        if key in wanted:
            result[f"{re.sub(r'_(s|ms|us)(?=_|$)', '', key, count=1)}_over_{label}"] = (
                value * _seconds_per_unit(key) / baseline_s
            )
    return result


def connect_own_chain(network_name: str) -> None:
    """Connect Brownie to ``network_name``; a local chain is launched on a free port, never one a
    test run or another benchmark uses. Brownie stops it at exit, after its background threads
    are done (:func:`offchain.chain.settle`): a thread still talking to the stopped chain would
    print a connection traceback."""
    from brownie._config import CONFIG

    from offchain.chain import connect, settle

    network = CONFIG.networks.get(network_name, {})
    settings = network.get("cmd_settings")
    if "cmd" in network and isinstance(settings, dict):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as free:
            free.bind(("127.0.0.1", 0))
            settings["port"] = free.getsockname()[1]
    connect(network_name)
    atexit.register(settle)  # runs before Brownie's own exit handler, registered earlier, stops the chain


def report(name: str, figures: Mapping[str, float | int], notes: Mapping[str, str] | None = None) -> Path:
    """Print ``figures`` as a table and write them to ``bench/results/<name>.json``."""
    width = max(len(k) for k in figures)
    print(f"\n{name}")
    print(f"{'figure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 14}")
    for key, value in figures.items():
        shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
        note = f"   {notes[key]}" if notes and key in notes else ""
        print(f"{key:<{width}}  {shown:>14}{note}")
    path = RESULTS_DIR / f"{name}.json"
    atomic_write_text(path, json.dumps(dict(figures), indent=2) + "\n")
    print(f"\nwrote {path}")
    return path
