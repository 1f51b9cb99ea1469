"""`make setup`'s import of the project's live networks into Brownie's shared network list."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "import_networks.py"
_spec = importlib.util.spec_from_file_location("import_networks", SCRIPT)
assert _spec is not None and _spec.loader is not None
import_networks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(import_networks)

IDS = import_networks.project_ids()


def network(id_: str) -> dict:
    return {"id": id_, "name": id_, "host": "$URL", "chainid": 1}


def copies(config: dict, id_: str) -> int:
    return sum(n["id"] == id_ for group in config["live"] for n in group["networks"])


def test_project_ids_are_the_live_networks_of_networks_yaml():
    assert import_networks.project_ids() == {"sepolia-rpc", "consortium"}


def test_drop_duplicates_keeps_the_first_copy_of_each_project_network():
    config = {
        "live": [
            {"name": "Ethereum", "networks": [network("mainnet"), network("sepolia-rpc")]},
            {"name": "Datashare", "networks": [network("sepolia-rpc"), network("consortium"), network("consortium")]},
        ]
    }
    assert import_networks.drop_duplicates(config, IDS) == {"sepolia-rpc", "consortium"}
    assert config["live"][0]["networks"] == [network("mainnet"), network("sepolia-rpc")]
    assert config["live"][1]["networks"] == [network("consortium")]


def test_drop_duplicates_leaves_other_networks_duplicated_or_not_alone():
    config = {"live": [{"name": "Other", "networks": [network("x"), network("x")]}]}
    assert import_networks.drop_duplicates(config, IDS) == set()
    assert config["live"][0]["networks"] == [network("x"), network("x")]


def test_repair_rewrites_the_list_without_duplicates_and_leaves_no_temporary_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(import_networks, "DATA_FOLDER", tmp_path)
    monkeypatch.setattr(import_networks, "CONFIG", tmp_path / "network-config.yaml")
    config = {"development": [], "live": [{"name": "Datashare", "networks": [network("consortium")] * 2}]}
    import_networks.CONFIG.write_text(yaml.safe_dump(config))
    import_networks.repair(IDS)
    assert copies(yaml.safe_load(import_networks.CONFIG.read_text()), "consortium") == 1
    assert "removed duplicated copies of ['consortium'] from" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["network-config.yaml"]


def test_repair_does_not_touch_a_list_without_duplicates(tmp_path, monkeypatch):
    monkeypatch.setattr(import_networks, "DATA_FOLDER", tmp_path)
    monkeypatch.setattr(import_networks, "CONFIG", tmp_path / "network-config.yaml")
    text = "# Brownie's own comment\nlive: []\n"
    import_networks.CONFIG.write_text(text)
    import_networks.repair(IDS)
    assert import_networks.CONFIG.read_text() == text


def test_concurrent_setups_leave_one_copy_of_each_network(tmp_path):
    """Four imports at once into a fresh Brownie data folder (HOME is a temporary folder): without
    the lock, processes that loaded the list before another wrote it appended the networks again."""
    env = {**os.environ, "HOME": str(tmp_path)}
    seed = subprocess.run([sys.executable, "-c", "import brownie"], env=env, capture_output=True, text=True)
    assert seed.returncode == 0, seed.stderr  # Brownie creates its data folder and default list
    runs = [
        subprocess.Popen([sys.executable, str(SCRIPT)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()
    config = yaml.safe_load((tmp_path / ".brownie" / "network-config.yaml").read_text())
    assert {id_: copies(config, id_) for id_ in IDS} == {id_: 1 for id_ in IDS}
