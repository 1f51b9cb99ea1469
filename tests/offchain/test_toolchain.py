"""The project's own compiler wiring: solc-js behind py-solc-x, found without any download."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from offchain import toolchain

ROOT = toolchain.PROJECT_ROOT
SOLC_VERSION = json.loads((ROOT / "package.json").read_text())["devDependencies"]["solc"]
SOLC = toolchain.solc_dir() / f"solc-v{SOLC_VERSION}"


def standard_json(sources: dict[str, str]) -> dict:
    request = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }
    done = subprocess.run(
        [str(SOLC), "--standard-json", "--allow-paths", str(ROOT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout)


def test_solc_wrapper_reports_the_pinned_version_as_native_solc_does():
    out = subprocess.run([str(SOLC), "--version"], capture_output=True, text=True, check=True).stdout
    assert f"Version: {SOLC_VERSION}+commit." in out


def test_solc_wrapper_compiles_standard_json_input():
    output = standard_json({"A.sol": "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30; contract A { uint x; }"})
    assert "errors" not in output or not [e for e in output["errors"] if e["severity"] == "error"]
    assert output["contracts"]["A.sol"]["A"]["abi"] == []


def test_solc_wrapper_refuses_imports_outside_the_allowed_paths():
    output = standard_json({"B.sol": 'pragma solidity 0.8.30; import "/etc/hostname";'})
    messages = " ".join(e["message"] for e in output["errors"])
    assert "File not found inside the allowed paths: /etc/hostname" in messages


def test_py_solc_x_finds_the_project_compiler_in_the_project_folder():
    import solcx

    assert Path(os.environ["SOLCX_BINARY_PATH"]) == toolchain.solc_dir()
    assert str(SOLC_VERSION) in [str(v) for v in solcx.get_installed_solc_versions()]


def test_compiling_the_contracts_opens_no_network_connection(monkeypatch: pytest.MonkeyPatch):
    from brownie.project import compiler

    def refuse(*args, **kwargs):
        raise AssertionError(f"network connection attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    # One contract whose imports cover every kind the project uses: an OpenZeppelin remapping, an
    # interface and a library (compiling all of them takes a minute and proves nothing more).
    paths = ["contracts/MerkleAnchor.sol", "interfaces/IMerkleAnchor.sol", "contracts/libraries/MerkleInclusion.sol"]
    sources = {path: (ROOT / path).read_text() for path in paths}
    build = compiler.compile_and_format(
        sources,
        solc_version=SOLC_VERSION,
        evm_version="shanghai",
        silent=True,
        allow_paths=str(ROOT),
        remappings=["@openzeppelin/contracts=node_modules/@openzeppelin/contracts"],
    )
    assert "MerkleAnchor" in build


def test_activate_keeps_a_compiler_path_the_user_set(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOLCX_BINARY_PATH", "/opt/my-solc")
    toolchain.activate()
    assert os.environ["SOLCX_BINARY_PATH"] == "/opt/my-solc"


def test_activate_puts_node_tools_on_path_once(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", "/usr/bin")
    toolchain.activate()
    toolchain.activate()
    parts = os.environ["PATH"].split(os.pathsep)
    assert parts.count(str(toolchain.node_bin_dir())) == 1
    assert parts[-1] == "/usr/bin"


def test_forge_is_the_pinned_npm_build():
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["@foundry-rs/forge-linux-amd64"]
    forge = ROOT / "node_modules" / ".bin" / "forge"
    out = subprocess.run([str(forge), "--version"], capture_output=True, text=True, check=True).stdout
    assert f"forge Version: {pinned}" in out


def test_forge_compiles_with_the_project_shim_offline_and_as_brownie_does():
    import tomllib

    config = tomllib.loads((ROOT / "tests" / "forge" / "foundry.toml").read_text())
    profile = config["profile"]["default"]
    assert ROOT / profile["solc"] == SOLC
    assert profile["offline"] is True
    assert profile["auto_detect_solc"] is False
    brownie = (ROOT / "brownie-config.yaml").read_text()
    assert f"evm_version: {profile['evm_version']}" in brownie
    assert f"runs: {profile['optimizer_runs']}" in brownie
    assert config["invariant"]["runs"] >= 256
    assert config["invariant"]["depth"] >= 50
