"""Import the project's live networks (networks.yaml) into Brownie's network list.

Brownie keeps networks in its data folder (~/.brownie/network-config.yaml); this copies the
project's definitions there, replacing older copies of the same ids, so that
`brownie run ... --network consortium` works with nothing but environment variables.
Run by `make setup`. (`brownie networks import networks.yaml True` would do the same, but
Brownie 1.22.2's compiled CLI rejects the `replace` argument, so the function is called here.)

Two checkouts set up at once share that file. Brownie reads it when it is imported and writes it
back after an import: a second process that loaded it before the first one wrote, and read it
again after, appended the project's networks a second time, and from then on every `import
brownie` failed ("Multiple networks using ID 'sepolia-rpc'"). So the import holds an exclusive
lock on a file beside it (Brownie is imported under the lock, so it loads the current list), and
first removes any copy of the project's ids beyond the first that such a race, or an older setup,
left behind (written to a temporary file, then renamed).
"""

from __future__ import annotations

import fcntl
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from offchain.atomic_io import atomic_write_text  # noqa: E402  (the project's root is on the path first)

DATA_FOLDER = Path.home() / ".brownie"  # brownie._config.DATA_FOLDER, which cannot be read before importing Brownie
CONFIG = DATA_FOLDER / "network-config.yaml"
LOCK = DATA_FOLDER / ".datashare-import-networks.lock"


def project_ids() -> set[str]:
    """The ids of the project's live networks."""
    networks = yaml.safe_load((ROOT / "networks.yaml").read_text())
    return {n["id"] for group in networks.get("live", []) for n in group["networks"]}


def drop_duplicates(config: dict[str, Any], ids: set[str]) -> set[str]:
    """Keep only the first live network of each id in ``ids``; the ids of which copies were dropped."""
    seen: set[str] = set()
    dropped: set[str] = set()
    for group in config.get("live") or []:
        kept = []
        for network in group.get("networks") or []:
            id_ = network.get("id")
            if id_ in ids and id_ in seen:
                dropped.add(id_)
                continue
            seen.add(id_)
            kept.append(network)
        group["networks"] = kept
    return dropped


def repair(ids: set[str]) -> None:
    """Remove duplicated copies of ``ids`` from Brownie's network list (atomically), if any."""
    if not CONFIG.exists():
        return
    config = yaml.safe_load(CONFIG.read_text())
    if not isinstance(config, dict) or not (dropped := drop_duplicates(config, ids)):
        return
    atomic_write_text(CONFIG, yaml.safe_dump(config, sort_keys=False, default_flow_style=False))
    print(f"removed duplicated copies of {sorted(dropped)} from {CONFIG}")


def main() -> int:
    DATA_FOLDER.mkdir(exist_ok=True)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        repair(project_ids())
        from brownie._cli.networks import _import

        _import(str(ROOT / "networks.yaml"), True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
