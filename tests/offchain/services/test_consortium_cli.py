"""``datashare consortium`` without a chain: the user's side of the join (each step one
invocation, the join in progress sealed in the keystore), the documented exit codes of its
refusals, and a wrong passphrase. The agency's steps and a whole trace run on a chain in
tests/e2e/test_consortium_cli.py.
"""

from __future__ import annotations

import json

import pytest

from offchain.cli import build_parser, main
from offchain.commands.consortium import JOIN_SECRET, MEMBER_SECRET
from offchain.crypto import group_signature as gs
from offchain.keystore import Keystore
from tests.offchain.acjt_vectors import CERTIFICATE_PRIMES_1024

PASSPHRASE = "correct horse"


@pytest.fixture(scope="module")
def manager() -> gs.GroupManager:
    made = gs.GroupManager(gs.generate_group(1024))
    made.add_primes(CERTIFICATE_PRIMES_1024)
    return made


@pytest.fixture
def user(tmp_path, monkeypatch, manager):
    """The user's global options (keystore, passphrase file, identity key file) and the group file."""
    monkeypatch.delenv("DATASHARE_PASSPHRASE", raising=False)
    monkeypatch.delenv("DATASHARE_PRIVATE_KEY", raising=False)
    (tmp_path / "passphrase").write_text(PASSPHRASE + "\n")
    (tmp_path / "key").write_text("0x" + "11" * 32)
    (tmp_path / "group.json").write_text(manager.public.to_json())
    return [
        "--json", "--keystore", str(tmp_path / "keystore.json"), "--passphrase-file", str(tmp_path / "passphrase"),
        "--key-file", str(tmp_path / "key"),
    ]  # fmt: skip


def run(capsys, *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    (line,) = capsys.readouterr().out.strip().splitlines()  # --json: exactly one object
    return code, json.loads(line)


def test_a_join_run_as_three_user_invocations_leaves_the_member_key_in_the_keystore(capsys, user, tmp_path, manager):
    group = str(tmp_path / "group.json")
    code, started = run(capsys, *user, "consortium", "join", "start", "--group", group, "--out", str(tmp_path / "r"))
    assert code == 0 and started["user"] == "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
    request = gs.join_message_from_json((tmp_path / "r").read_text(), gs.JoinRequest)
    (tmp_path / "c").write_text(gs.join_message_to_json(manager.challenge(request)))
    respond = ["join", "respond", str(tmp_path / "c"), "--request", str(tmp_path / "r"), "--group", group]
    assert run(capsys, *user, "consortium", *respond, "--out", str(tmp_path / "s"))[0] == 0
    sealed = Keystore.open(tmp_path / "keystore.json", PASSPHRASE).get(JOIN_SECRET)
    x = json.loads(sealed)["x"]
    assert x[2:] not in (tmp_path / "keystore.json").read_text()  # the member's secret never in the clear
    document = json.loads((tmp_path / "s").read_text())
    response = gs.join_message_from_json(json.dumps(document["response"]), gs.JoinResponse)
    (tmp_path / "cert").write_text(gs.join_message_to_json(manager.certify(response)))
    code, joined = run(capsys, *user, "consortium", "join", "finish", str(tmp_path / "cert"), "--group", group)
    assert code == 0 and joined["group"] == "0x" + manager.public.fingerprint().hex()
    store = Keystore.open(tmp_path / "keystore.json", PASSPHRASE)
    assert JOIN_SECRET not in store.names()
    assert gs.MemberKey.from_json(store.get(MEMBER_SECRET).decode()).x == int(x, 16)


def test_a_second_join_start_without_force_is_refused_with_exit_code_3(capsys, user, tmp_path):
    start = ["consortium", "join", "start", "--group", str(tmp_path / "group.json"), "--out", str(tmp_path / "r")]
    assert run(capsys, *user, *start)[0] == 0
    code, error = run(capsys, *user, *start)
    assert (code, error["error"]) == (3, "InvalidInputError") and "--force" in error["detail"]
    assert run(capsys, *user, *start, "--force")[0] == 0


def test_a_wrong_passphrase_is_refused_with_exit_code_4(capsys, user, tmp_path):
    group = str(tmp_path / "group.json")
    run(capsys, *user, "consortium", "join", "start", "--group", group, "--out", str(tmp_path / "r"))
    (tmp_path / "passphrase").write_text("wrong horse")
    (tmp_path / "cert").write_text(gs.join_message_to_json(gs.MembershipCertificate(b"j", 5, 7)))
    code, error = run(capsys, *user, "consortium", "join", "finish", str(tmp_path / "cert"), "--group", group)
    assert (code, error["error"]) == (4, "WrongPassphraseError")


def test_finishing_a_join_never_started_is_not_found_with_exit_code_5(capsys, user, tmp_path, manager):
    Keystore.create(tmp_path / "keystore.json", PASSPHRASE, scrypt_n=1 << 14)
    certificate = gs.MembershipCertificate(b"j", 5, 7)
    (tmp_path / "cert").write_text(gs.join_message_to_json(certificate))
    code, error = run(
        capsys, *user, "consortium", "join", "finish", str(tmp_path / "cert"), "--group", str(tmp_path / "group.json")
    )
    assert (code, error["error"]) == (5, "UnknownSecretError")


def test_a_join_without_an_identity_key_is_bad_input_with_exit_code_3(capsys, user, tmp_path):
    without_key = user[: user.index("--key-file")]
    code, error = run(
        capsys, *without_key, "consortium", "join", "start", "--group", str(tmp_path / "group.json"), "--out", "r"
    )
    assert (code, error["error"]) == (3, "InvalidInputError") and "identity" in error["detail"]


def test_the_consortium_help_documents_the_exit_codes():
    consortium = build_parser()._subparsers._group_actions[0].choices["consortium"]  # type: ignore[union-attr]
    assert "exit codes: 0 ok" in consortium.format_help() and "4 refused" in consortium.format_help()
