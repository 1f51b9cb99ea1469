"""make test runs every test file: the no-chain list (PY_TESTS) and the chain list (TESTS) of the
Makefile together hold each one exactly once, and no chain-free file asks for a chain."""

from __future__ import annotations

import glob
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def make_list(name: str) -> list[Path]:
    """The default value of a ``?=`` variable of the Makefile, its globs and wildcards expanded."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    value = re.search(rf"^{name} \?=(.*)$", text, re.MULTILINE).group(1)
    value = re.sub(r"\$\(wildcard ([^)]*)\)", r"\1", value)
    paths: list[Path] = []
    for word in value.split():
        paths.extend(Path(p) for p in sorted(glob.glob(str(ROOT / word))))
    return paths


def files_under(paths: list[Path]) -> set[Path]:
    files: set[Path] = set()
    for path in paths:
        files.update(path.rglob("test_*.py") if path.is_dir() else [path])
    return files


def test_the_two_lists_hold_every_test_file_once():
    plain, chain = files_under(make_list("PY_TESTS")), files_under(make_list("TESTS"))
    everything = set((ROOT / "tests").rglob("test_*.py"))
    assert plain | chain == everything, sorted(str(p.relative_to(ROOT)) for p in everything - plain - chain)
    assert not plain & chain


def test_no_chain_free_test_uses_a_brownie_fixture():
    fixtures = re.compile(r"\bdef test_\w+\([^)]*\b(accounts|chain|web3|deployer|Contract)\b")
    offenders = [p for p in files_under(make_list("PY_TESTS")) if fixtures.search(p.read_text())]
    assert not offenders, offenders
