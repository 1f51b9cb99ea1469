"""Run the trusted setup of the data-validity circuits and regenerate keys and verifiers.

    .venv/bin/python tools/zk_ceremony.py                    # local ceremony, both widths
    .venv/bin/python tools/zk_ceremony.py --ptau pot.ptau    # phase 1 from a public ceremony
    .venv/bin/python tools/zk_ceremony.py --install final.zkey --fields 8 --ptau pot.ptau \
        --contributor "Alice (hospital A)" --contributor "Bob (bank B)"   # an external phase 2

See offchain/zk/ceremony.py and the README ("zk-SNARK data market") for what this trusts.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from offchain.errors import ProverError
from offchain.zk.artifacts import KEYS_DIR, SUPPORTED_FIELD_COUNTS
from offchain.zk.ceremony import DEFAULT_POWER, TRANSCRIPT, install_key, run_ceremony


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Trusted setup of the data-validity circuits (Groth16).")
    parser.add_argument("--fields", type=int, nargs="+", default=list(SUPPORTED_FIELD_COUNTS))
    parser.add_argument("--power", type=int, default=DEFAULT_POWER, help="phase-1 size: 2^power constraints")
    parser.add_argument("--contributions", type=int, default=2, help="local contributions per phase (at least 2)")
    parser.add_argument("--ptau", type=Path, help="a phase-1 file prepared for phase 2, instead of a local one")
    parser.add_argument("--install", type=Path, help="install this final .zkey of an external phase 2 (needs --ptau)")
    parser.add_argument("--contributor", action="append", default=[], help="a phase-2 contributor, for the transcript")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        if args.install:
            if args.ptau is None or len(args.fields) != 1:
                parser.error("--install needs --ptau and exactly one --fields width")
            transcript = install_key(args.install, args.fields[0], ptau=args.ptau, contributions=args.contributor)
        else:
            transcript = run_ceremony(args.fields, power=args.power, contributions=args.contributions, ptau=args.ptau)
    except ProverError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name in transcript["circuits"]:  # type: ignore[attr-defined]
        print(f"{name}: keys in {KEYS_DIR}, verifier in contracts/")
    print(f"transcript: {TRANSCRIPT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
