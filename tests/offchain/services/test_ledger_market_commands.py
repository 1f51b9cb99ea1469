"""``datashare ledger`` and ``datashare market`` without a chain: their actions are registered,
and malformed arguments are refused with the documented exit codes before any chain is reached
(the chain flows are in tests/e2e/test_ledger_market_cli.py)."""

from __future__ import annotations

import json

import pytest

from offchain.cli import Output, build_parser, main
from offchain.commands.deployed import spinner
from offchain.commands.market import requirement_from_spec
from offchain.errors import InvalidInputError

ALICE = "0x" + "ab" * 20


def run(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["--json", *argv])
    (line,) = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(line)


@pytest.mark.parametrize(
    ("group", "actions"),
    [
        ("ledger", {"deal", "deposit", "pay", "proof", "fold", "withdraw", "review", "balance", "audit"}),
        ("market", {"post", "prove", "deliver", "take"}),
    ],
)
def test_the_groups_and_their_actions_are_registered(group, actions):
    parser = build_parser()
    groups = next(a for a in parser._actions if a.dest == "command").choices
    group_parser = groups[group]
    registered = next(a for a in group_parser._actions if a.dest == f"{group}_command").choices
    assert set(registered) == actions


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("ledger", "withdraw"), "one of them"),
        (("ledger", "withdraw", "5", "--collect"), "one of them"),
        (("ledger", "withdraw", "ten"), "integer number of wei"),
        (("ledger", "deposit", "-5"), "must be positive"),
        (("ledger", "deposit", "0"), "must be positive"),
        (("ledger", "pay", "bob", "1", "--proof-out", "p"), "receiver"),
        (("ledger", "review", "--transfer", "1"), "needs --proof"),
        (("ledger", "review", "--transfer", "1", "--proof", "/nonexistent/proof"), "cannot read the proof"),
        (("ledger", "review", "--transfer", "1", "--withdrawal", "2"), "one transfer or one withdrawal"),
        (("ledger", "audit"), "accounts, or --supply"),
        (
            ("ledger", "deal", "--trustee-key-file", "/nonexistent/key", "--threshold", "1", "--public-key-out", "k"),
            "cannot read the trustee key file",
        ),
    ],
)
def test_malformed_ledger_arguments_are_refused_as_bad_input_before_the_chain(capsys, argv, message):
    code, error = run(capsys, *argv)
    assert code == 3 and error["exit_code"] == 3
    assert message in error["detail"]


@pytest.mark.parametrize(
    "argv",
    [
        ("ledger", "pay", ALICE),  # no amount
        ("ledger", "pay", ALICE, "1"),  # no --proof-out
        ("ledger", "deal", "--threshold", "2", "--public-key-out", "k"),  # no trustees
        ("market", "post", "--price-wei", "1"),  # no --requirement
        ("market", "prove", "1", "--opening", "o", "--record", "r"),  # no --buyer
        ("market", "take", "1", "--storage", "http://s", "--proxy", "http://p"),  # no --verifying-pk
        ("market", "fly"),
    ],
)
def test_missing_or_unknown_arguments_are_usage_errors(capsys, argv):
    code, error = run(capsys, *argv)
    assert code == 2 and error["error"] == "UsageError"


def test_a_requirement_spec_gives_a_fresh_requirement_with_ignored_fields_for_nulls():
    spec = json.dumps({"ranges": [[40, 60, True], [48, 250, False], *[None] * 6], "min_satisfied": 2}).encode()
    first, second = requirement_from_spec(spec), requirement_from_spec(spec)
    assert first.field_count == 8 and first.min_satisfied == 2
    assert first.ranges[0].required and not first.ranges[1].required and first.ranges[7].is_ignored
    assert first.commitment != second.commitment  # a fresh nonce each time: the market refuses a repeat


@pytest.mark.parametrize(
    "spec",
    [
        b"not json",
        b'{"ranges": [[40, 60, true]]}',  # no min_satisfied
        b'{"ranges": [[40]], "min_satisfied": 1}',
        b'{"ranges": [[60, 40, true]], "min_satisfied": 1}',  # lo > hi
        b'{"ranges": [[40, 60, true]], "min_satisfied": 5}',  # more than the fields
    ],
)
def test_a_malformed_requirement_spec_is_refused(spec):
    with pytest.raises(InvalidInputError):
        requirement_from_spec(spec)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("market", "post", "--requirement", "{missing}", "--price-wei", "1", "--bond-wei", "1"), "cannot read"),
        (("market", "post", "--requirement", "{bad}", "--price-wei", "1", "--bond-wei", "1"), "not a requirement"),
        (("market", "prove", "1", "--opening", "{bad}", "--record", "{bad}", "--buyer", ALICE), "not a requirement"),
        (("market", "prove", "1", "--opening", "{missing}", "--record", "r", "--buyer", ALICE), "cannot read"),
    ],
)
def test_unreadable_or_malformed_market_inputs_are_bad_input_before_the_chain(capsys, tmp_path, argv, message):
    (tmp_path / "bad.json").write_text("[1, 2")
    paths = {"missing": str(tmp_path / "missing.json"), "bad": str(tmp_path / "bad.json")}
    code, error = run(capsys, *(arg.format(**paths) for arg in argv))
    assert code == 3 and message in error["detail"]


@pytest.mark.parametrize("as_json", [False, True])
def test_the_proving_spinner_shows_on_stderr_and_never_under_json(capsys, as_json):
    out = Output(as_json)
    with spinner(out) as progress:
        progress.add_task("proving (8-field Groth16 proof) and submitting")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert ("Groth16" in captured.err) is not as_json
