"""Shared plumbing of the benchmark scripts: arguments, timing, the table and the JSON result."""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from offchain.atomic_io import atomic_write_text

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a short run (fewer repetitions)")
    parser.add_argument("--network", default="ganache-cli", help="Brownie network for on-chain figures")
    return parser.parse_args()


def connect_own_chain(network_name: str) -> None:
    """Connect to ``network_name``; a local chain is launched on a free port, never shared."""
    from brownie._config import CONFIG

    from offchain.chain import connect

    network = CONFIG.networks.get(network_name, {})
    settings = network.get("cmd_settings")
    if "cmd" in network and isinstance(settings, dict):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as free:
            free.bind(("127.0.0.1", 0))
            settings["port"] = free.getsockname()[1]
    connect(network_name)


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``action`` in milliseconds over ``repeats`` runs."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


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
