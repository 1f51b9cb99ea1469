"""Import the project's live networks (networks.yaml) into Brownie's network list.

Brownie keeps networks in its data folder (~/.brownie/network-config.yaml); this copies the
project's definitions there, replacing older copies of the same ids, so that
`brownie run ... --network consortium` works with nothing but environment variables.
Run by `make setup`. (`brownie networks import networks.yaml True` would do the same, but
Brownie 1.22.2's compiled CLI rejects the `replace` argument, so the function is called here.)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    from brownie._cli.networks import _import

    _import(str(ROOT / "networks.yaml"), True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
