"""Several processes loading the Brownie project at once (offchain.chain.contracts.load_project)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from offchain.toolchain import PROJECT_ROOT

LOADERS = 3

_LOAD = """
import sys
from pathlib import Path
from offchain.chain.contracts import load_project
project = load_project(Path(sys.argv[1]))
print(len(project.keys()))
"""


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the project whose build folder holds the compiled contracts and stale build files."""
    if not (PROJECT_ROOT / "build" / "contracts" / "Consortium.json").exists():
        subprocess.run([sys.executable, "-m", "brownie", "compile"], cwd=PROJECT_ROOT, check=True, capture_output=True)
    root = tmp_path / "project"
    root.mkdir()
    for name in ("contracts", "interfaces"):
        shutil.copytree(PROJECT_ROOT / name, root / name)
    shutil.copy(PROJECT_ROOT / "brownie-config.yaml", root)
    (root / "node_modules").symlink_to(PROJECT_ROOT / "node_modules")
    shutil.copytree(PROJECT_ROOT / "build" / "contracts", root / "build" / "contracts")
    template = json.loads((PROJECT_ROOT / "build" / "contracts" / "Math.json").read_text())
    for index in range(200):  # build files of contracts nobody uses: the first load prunes them
        name = f"Stale{index}"
        (root / "build" / "contracts" / f"{name}.json").write_text(json.dumps({**template, "contractName": name}))
    return root


def test_processes_loading_the_project_at_once_all_succeed(project_copy: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    loaders = [
        subprocess.Popen(
            [sys.executable, "-c", _LOAD, str(project_copy)],
            cwd=project_copy,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(LOADERS)
    ]
    outcomes = [(loader.wait(timeout=300), *loader.communicate()) for loader in loaders]
    assert [code for code, _, _ in outcomes] == [0] * LOADERS, [err[-2000:] for _, _, err in outcomes]
    assert not list((project_copy / "build" / "contracts").glob("Stale*.json"))
