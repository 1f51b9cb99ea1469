"""The ``datashare`` command line without a chain: argument parsing, the keystore commands,
``--json`` output and the documented exit codes (the chain flows are in tests/e2e/test_cli.py)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from offchain import errors
from offchain.cli import EXIT_CODES, AuditFailedError, ServiceUnavailableError, UsageError, exit_code_of, main
from offchain.keystore import Keystore

ROOT = Path(__file__).resolve().parents[3]
FILE_ID = "0x" + "ab" * 32


@pytest.fixture
def keystore_args(tmp_path, monkeypatch):
    """Global options naming a keystore in tmp_path, its passphrase in a file; no account key."""
    monkeypatch.delenv("DATASHARE_PASSPHRASE", raising=False)
    monkeypatch.delenv("DATASHARE_PRIVATE_KEY", raising=False)
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("correct horse\n")
    return ["--json", "--keystore", str(tmp_path / "keystore.json"), "--passphrase-file", str(passphrase)]


def run(capsys, *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    stdout = capsys.readouterr().out.strip().splitlines()
    assert len(stdout) == 1, stdout  # --json: exactly one object
    return code, json.loads(stdout[0])


def test_keys_create_then_show_round_trip_the_public_keys(capsys, keystore_args, tmp_path):
    code, created = run(capsys, *keystore_args, "keys", "create")
    assert code == 0
    assert created["secrets"] == ["umbral-master", "umbral-receiving", "umbral-signer"]
    code, shown = run(capsys, *keystore_args, "keys", "show")
    assert code == 0 and shown == created
    store = Keystore.open(tmp_path / "keystore.json", "correct horse")  # the trailing newline is not part of it
    assert len(store.get("umbral-master")) == 32
    raw = (tmp_path / "keystore.json").read_text()
    assert store.get("umbral-master").hex() not in raw  # never in the clear


def test_keys_show_gives_the_account_address_of_the_key_in_the_environment(capsys, keystore_args, monkeypatch):
    run(capsys, *keystore_args, "keys", "create")
    monkeypatch.setenv("DATASHARE_PRIVATE_KEY", "0x" + "11" * 32)
    _, shown = run(capsys, *keystore_args, "keys", "show")
    assert shown["address"] == "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"


def test_the_passphrase_comes_from_the_environment_without_a_file(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("DATASHARE_PASSPHRASE", "from the environment")
    path = tmp_path / "k.json"
    assert run(capsys, "--json", "--keystore", str(path), "keys", "create")[0] == 0
    assert Keystore.open(path, "from the environment").names()


def test_keys_create_refuses_to_replace_a_keystore_without_force(capsys, keystore_args):
    run(capsys, *keystore_args, "keys", "create")
    code, error = run(capsys, *keystore_args, "keys", "create")
    assert (code, error["error"]) == (3, "InvalidInputError") and "--force" in error["detail"]
    assert run(capsys, *keystore_args, "keys", "create", "--force")[0] == 0


def test_a_wrong_passphrase_is_refused_with_exit_code_4(capsys, keystore_args, tmp_path):
    run(capsys, *keystore_args, "keys", "create")
    (tmp_path / "passphrase").write_text("wrong horse")
    code, error = run(capsys, *keystore_args, "keys", "show")
    assert (code, error["error"], error["exit_code"]) == (4, "WrongPassphraseError", 4)


def test_a_missing_keystore_is_not_found_with_exit_code_5(capsys, keystore_args):
    code, error = run(capsys, *keystore_args, "keys", "show")
    assert code == 5 and "datashare keys create" in error["detail"]


def test_no_passphrase_without_a_terminal_is_bad_input(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("DATASHARE_PASSPHRASE", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal
    code, error = run(capsys, "--json", "--keystore", str(tmp_path / "k.json"), "keys", "create")
    assert code == 3 and "DATASHARE_PASSPHRASE" in error["detail"]


@pytest.mark.parametrize(
    ("argv", "detail"),
    [
        (["frobnicate"], "invalid choice"),
        (["upload", "x.csv"], "--storage"),
        (["share", FILE_ID, "--to", "0x" + "00" * 20, "--receiving-pk", "02", "--proxy", "u"], "--threshold"),
        (["audit", FILE_ID, "--storage", "u", "--samples", "ten"], "invalid int value"),
        (["serve", "cache", "--port", "1", "--data", "d"], "invalid choice"),
    ],
)
def test_usage_errors_exit_with_code_2(capsys, argv, detail):
    code, error = run(capsys, "--json", *argv)
    assert (code, error["error"]) == (2, "UsageError") and detail in error["detail"]


@pytest.mark.parametrize(
    ("argv", "detail"),
    [
        (["fetch", "0x1234", "--storage", "u", "--out", "o"], "file id must be 32 bytes"),
        (["revoke", "not hex", "--grantee", "0x" + "00" * 20], "file id must be hex"),
        (["share", FILE_ID, "--to", "nobody", "--receiving-pk", "02", "--proxy", "u", "--threshold", "1"], "--to"),
        (
            ["share", FILE_ID, "--to", "0x" + "11" * 20, "--receiving-pk", "zz", "--proxy", "u", "--threshold", "1"],
            "--receiving-pk must be hex",
        ),
        (["upload", "/no/such/file.csv", "--storage", "u"], "cannot read /no/such/file.csv"),
    ],
)
def test_malformed_values_exit_with_code_3_before_touching_the_chain(capsys, argv, detail):
    code, error = run(capsys, "--json", *argv)
    assert code == 3 and detail in error["detail"], error


def test_a_bad_account_key_is_bad_input(capsys, keystore_args, tmp_path):
    run(capsys, *keystore_args, "keys", "create")
    key_file = tmp_path / "key"
    key_file.write_text("0x1234")
    code, error = run(capsys, *keystore_args, "--key-file", str(key_file), "keys", "show")
    assert code == 3 and "not a secp256k1 private key" in error["detail"]


def test_without_json_results_are_a_table_and_errors_go_to_stderr(capsys, keystore_args):
    human = [a for a in keystore_args if a != "--json"]
    assert main([*human, "keys", "create"]) == 0
    assert "verifying_pk" in capsys.readouterr().out
    assert main([*human, "fetch", "0x12", "--storage", "u", "--out", "o"]) == 3
    captured = capsys.readouterr()
    assert captured.out == "" and "file id must be 32 bytes" in captured.err


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageError("x"), 2),
        (errors.InvalidInputError("x"), 3),
        (errors.KeystoreFormatError("x"), 3),
        (errors.MissingAccountKeyError("x"), 3),
        (errors.AccessDeniedError("x"), 4),
        (errors.WrongPassphraseError("x"), 4),
        (errors.TransactionRevertedError("DataRegistry", "grantAccess", "x"), 4),
        (errors.UnknownFileError(b"\x01" * 32), 5),
        (errors.UnknownSecretError("x"), 5),
        (errors.DeploymentRecordError("x"), 5),
        (FileNotFoundError("x"), 5),
        (errors.IntegrityError("x"), 6),
        (errors.TamperedKeystoreError("x"), 6),
        (AuditFailedError("x"), 6),
        (ServiceUnavailableError("x"), 7),
        (errors.ServiceBusyError("x"), 7),
        (errors.ChainError("x"), 7),
        (errors.OffchainError("x"), 1),
        (RuntimeError("x"), 1),
    ],
)
def test_each_error_has_its_documented_exit_code(error, code):
    assert exit_code_of(error) == code


def test_every_exit_code_is_documented_in_the_module_and_the_readme():
    import offchain.cli

    readme = (ROOT / "README.md").read_text()
    for code in sorted({code for _, code in EXIT_CODES}):
        assert f"{code} " in (offchain.cli.__doc__ or "")
        assert f"| {code} |" in readme


def test_python_dash_m_offchain_cli_runs_and_exits_with_the_code(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "offchain.cli", "--json", "--keystore", str(tmp_path / "none.json"), "keys", "show"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "DATASHARE_PASSPHRASE": "p"},
    )
    assert result.returncode == 5, result.stderr
    assert json.loads(result.stdout)["error"] == "FileNotFoundError"


def test_make_setup_installs_the_datashare_script_into_the_venv():
    script = Path(sys.executable).parent / "datashare"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "usage: datashare" in done.stdout
