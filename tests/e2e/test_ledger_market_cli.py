"""``datashare ledger`` and ``datashare market`` end to end (issue 17): each step is a separate
``datashare`` invocation (in this process, to spare a Brownie start-up per step: each builds its
objects anew from its keystore and state database, as a new process would), and what one step
leaves (anonymity sets, payments, the trustees' journal, a requirement's opening) is what the
next one finds. The market's storage service (also the proxy) is a ``datashare serve`` process (:class:`LocalService`).

Research: Zheng et al. 2018 §4.5 (the ledger), Feng et al. 2022 §5–6 (the market).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from offchain.chain.contracts import contract_at
from offchain.chain.ledger import ConfidentialLedgerClient
from offchain.chain.market import DataMarketClient
from offchain.cli import main
from offchain.commands.market import requirement_from_spec
from offchain.crypto.threshold_paillier import ThresholdPublicKey
from offchain.keystore import Keystore
from offchain.protocols.ledger_account import LedgerAccount
from offchain.protocols.ledger_state import LedgerState, book_key, key_share
from offchain.protocols.market_state import MarketState
from offchain.services.local import COMMAND_TIMEOUT_S, LocalService
from offchain.zk import Record
from tests.e2e.test_services import ROOT, _rpc_url
from tests.helpers import VOTING_PERIOD_S, chain_now

ETHER = 10**18
PASSPHRASE = "ledger and market"


class Person:
    """One person's ``datashare``: a folder with its keystore, passphrase, account key and state."""

    def __init__(self, folder: Path, private_key: str, *extra: str) -> None:
        from brownie import network

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        (folder / "passphrase").write_text(PASSPHRASE + "\n")
        (folder / "account.key").write_text(private_key + "\n")
        self.global_args = [
            "--json", "--network", network.show_active(), "--rpc", _rpc_url(),
            "--keystore", str(folder / "keystore.json"), "--passphrase-file", str(folder / "passphrase"),
            "--key-file", str(folder / "account.key"), "--deployment", str(folder / "no-record.json"), *extra,
        ]  # fmt: skip

    def as_process(self, *argv: str) -> dict[str, Any]:
        """Run one step as a process of its own (a Brownie start-up: a few seconds)."""
        result = subprocess.run(
            [sys.executable, "-m", "offchain.cli", *self.global_args, *argv],
            cwd=ROOT, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"exit {result.returncode}: {result.stdout}\n{result.stderr[-3000:]}"
        (line,) = result.stdout.strip().splitlines()
        return dict(json.loads(line))

    def __call__(self, capsys, *argv: str, expect: int = 0) -> dict[str, Any]:
        capsys.readouterr()  # what the test printed before (Brownie's chatter)
        code = main([*self.global_args, *argv])
        captured = capsys.readouterr()
        lines = captured.out.strip().splitlines()
        assert code == expect, f"exit {code}: {captured.out}\n{captured.err[-3000:]}"
        assert len(lines) == 1, captured.out
        return dict(json.loads(lines[0]))


def person(accounts, folder: Path, *extra: str) -> Person:
    account = accounts.add()
    accounts[0].transfer(account, "20 ether")
    return Person(folder, account.private_key, *extra)


def test_a_ledger_payment_and_its_review_run_as_separate_commands_and_survive_restarts(accounts, tmp_path, capsys):
    board = person(accounts, tmp_path / "board")  # deals, and runs the trustees' board
    for index in (1, 2, 3):
        trustee = accounts.add()
        accounts[0].transfer(trustee, "5 ether")
        (tmp_path / f"trustee-{index}.key").write_text(trustee.private_key)
    alice, bob = (person(accounts, tmp_path / name) for name in ("alice", "bob"))
    carol, dave = (str(accounts.add().address) for _ in range(2))  # decoys only: they never transact
    for who in (board, alice, bob):
        who(capsys, "keys", "create")
    public_key = tmp_path / "ledger-key.json"
    dealt = board(
        capsys, "ledger", "deal", "--threshold", "2", "--bits", "1024", "--public-key-out", str(public_key),
        *[arg for i in (1, 2, 3) for arg in ("--trustee-key-file", str(tmp_path / f"trustee-{i}.key"))],
    )  # fmt: skip
    ledger = dealt["ledger"]
    assert dealt["threshold"] == 2 and len(dealt["trustees"]) == 3 and dealt["modulus_bits"] == 1024
    shares = Keystore.open(tmp_path / "board" / "keystore.json", PASSPHRASE).names()
    assert sum(name.startswith(f"ledger/{ledger.lower()}/share-") for name in shares) == 3

    first_args = ("--ledger", ledger, "--public-key", str(public_key))
    alice(capsys, "ledger", "deposit", str(3 * ETHER), *first_args)
    bob(capsys, "ledger", "deposit", str(ETHER), *first_args)
    paid = alice(
        capsys, "ledger", "pay", address_of(bob), str(ETHER), "--ledger", ledger, "--set-size", "3",
        "--candidate", carol, "--candidate", dave, "--proof-out", str(tmp_path / "p1"),
    )  # fmt: skip
    assert len(paid["accounts"]) == 4  # alice, bob and the two decoys (set size 3: bob and two)

    reviewed = board(capsys, "ledger", "review", "--ledger", ledger, "--transfer", str(paid["transfer_id"]),
                     "--proof", str(tmp_path / "p1"))  # fmt: skip
    assert reviewed["reviews"] == [{"kind": "transfer", "id": paid["transfer_id"], "accepted": True, "detail": ""}]
    again = board(capsys, "ledger", "review", "--ledger", ledger, "--transfer", str(paid["transfer_id"]),
                  "--proof", str(tmp_path / "p1"))  # fmt: skip
    assert again["reviews"] == reviewed["reviews"]  # from the journal: not reviewed twice

    # a new process pays bob again: the set recorded by the first payment is reused
    second = alice.as_process("ledger", "pay", address_of(bob), str(ETHER // 2), "--ledger", ledger,
                              "--proof-out", str(tmp_path / "p2"))  # fmt: skip
    assert second["accounts"] == paid["accounts"]
    alice(capsys, "ledger", "pay", address_of(bob), "1", "--ledger", ledger, "--set-size", "2",
          "--proof-out", str(tmp_path / "p3"), expect=3)  # fmt: skip  # another set is refused

    # the board journaled the second transfer, then died before reviewing it: a restart finishes it
    board_state = LedgerState(tmp_path / "board" / "ledger.sqlite", ledger)
    board_state.receive("transfer", second["transfer_id"], (tmp_path / "p2").read_bytes())
    board_state.close()
    resumed = board(capsys, "ledger", "review", "--ledger", ledger)
    assert resumed["reviews"] == [{"kind": "transfer", "id": second["transfer_id"], "accepted": True, "detail": ""}]
    # a journal that missed the verdict (settled on chain, e.g. by the others) takes the chain's
    other = LedgerState(tmp_path / "other-board.sqlite", ledger)
    other.receive("transfer", paid["transfer_id"], (tmp_path / "p1").read_bytes())
    other.close()
    caught_up = board(
        capsys, "ledger", "review", "--ledger", ledger, "--database", str(tmp_path / "other-board.sqlite")
    )
    assert caught_up["reviews"] == [
        {"kind": "transfer", "id": paid["transfer_id"], "accepted": True, "detail": "verified"}
    ]

    # alice's process proves and sends a third payment, then dies before recording it
    crashed_state = LedgerState(tmp_path / "alice" / "ledger.sqlite", ledger)
    payer = LedgerAccount(
        accounts.add((tmp_path / "alice" / "account.key").read_text().strip()),
        ConfidentialLedgerClient(contract_at("ConfidentialLedger", ledger)),
        ThresholdPublicKey.from_json(public_key.read_text()),
        book=crashed_state.book(
            address_of(alice),
            book_key(Keystore.open(tmp_path / "alice" / "keystore.json", PASSPHRASE), address_of(alice)),
        ),
    )
    third = payer.pay(address_of(bob), ETHER // 4, on_proved=lambda p: crashed_state.keep_proof(payer.address, p))
    crashed_state.close()
    written = alice(capsys, "ledger", "proof", str(third.transfer.transfer_id), "--out", str(tmp_path / "p4"),
                    "--ledger", ledger)  # fmt: skip  # recovered from the proof kept before sending
    assert written["state"] == "pending" and (tmp_path / "p4").read_bytes() == third.proof.to_bytes()
    board(capsys, "ledger", "review", "--ledger", ledger, "--transfer", str(third.transfer.transfer_id),
          "--proof", str(tmp_path / "p4"))  # fmt: skip

    folded = alice(capsys, "ledger", "fold", "--ledger", ledger)
    assert folded["payments"] == {
        str(t): "verified" for t in (paid["transfer_id"], second["transfer_id"], third.transfer.transfer_id)
    }
    bob(capsys, "ledger", "fold", "--ledger", ledger)
    assert board(capsys, "ledger", "balance", address_of(bob), "--ledger", ledger)["balance_wei"] == 11 * ETHER // 4

    request = bob(capsys, "ledger", "withdraw", str(2 * ETHER), "--ledger", ledger)
    # the board's process cast trustee 1's approval, then died: the restarted board skips that vote
    ledger_client = ConfidentialLedgerClient(contract_at("ConfidentialLedger", ledger))
    first_trustee = accounts.add((tmp_path / "trustee-1.key").read_text())
    assert not ledger_client.has_voted(request["request_id"], first_trustee.address)
    ledger_client.approve_withdrawal(sender=first_trustee, request_id=request["request_id"])
    assert ledger_client.has_voted(request["request_id"], first_trustee.address)
    withdrawal = board(capsys, "ledger", "review", "--ledger", ledger, "--withdrawal", str(request["request_id"]))
    assert withdrawal["reviews"][0]["accepted"] is True and withdrawal["reviews"][0]["detail"] == "executed"
    assert bob(capsys, "ledger", "withdraw", "--collect", "--ledger", ledger)["collected_wei"] == 2 * ETHER
    books = board(capsys, "ledger", "audit", "--supply", address_of(alice), "--ledger", ledger)
    assert books["balanced"] and books["audits"][0]["balance_wei"] == 5 * ETHER // 4
    assert board(capsys, "ledger", "review", "--ledger", ledger)["reviews"] == []  # nothing left pending

    store = Keystore.open(tmp_path / "board" / "keystore.json", PASSPHRASE)
    state_bytes = b"".join(p.read_bytes() for p in (tmp_path / "board").glob("ledger.sqlite*"))
    for index in (1, 2, 3):
        share = key_share(store, ledger, index)
        assert format(share.share, "x").encode() not in state_bytes  # the shares are only in the keystore
        assert store.get(f"ledger/{ledger.lower()}/account-{index}") not in state_bytes


def address_of(who: Person) -> str:
    from eth_account import Account

    return str(Account.from_key((who.folder / "account.key").read_text().strip()).address)


@pytest.fixture(scope="module")
def market_contracts(DataRegistry, Groth16VerifierN8, DataMarket, Consortium, ConsortiumArbiter, accounts):
    deployer = accounts[0]
    registry = DataRegistry.deploy({"from": deployer})
    verifier = Groth16VerifierN8.deploy({"from": deployer})
    market = DataMarket.deploy(registry, [8], [verifier], {"from": deployer})
    consortium = Consortium.deploy(list(accounts[6:10]), VOTING_PERIOD_S, {"from": deployer})
    arbiter = ConsortiumArbiter.deploy(consortium, market, {"from": deployer})
    return registry, market, arbiter


def test_a_market_post_prove_deliver_take_run_as_separate_commands(market_contracts, accounts, tmp_path, capsys):
    from brownie import network

    registry, market, arbiter = market_contracts
    storage = LocalService(
        "storage", "storage", tmp_path / "storage", network=network.show_active(), registry=registry.address,
        rpc=_rpc_url(), cwd=ROOT,
    )  # fmt: skip
    storage.start()  # its start-up overlaps the first steps
    try:
        extra = ("--registry", registry.address, "--connect-wait-s", "60")
        lab, clinic = (person(accounts, tmp_path / name, *extra) for name in ("lab", "clinic"))
        lab_keys, clinic_keys = lab(capsys, "keys", "create"), clinic(capsys, "keys", "create")
        on_market = ("--market", market.address, "--arbiter", arbiter.address)
        spec = tmp_path / "spec.json"
        spec.write_text(json.dumps({"ranges": [[40, 60, True], [48, 250, False], *[None] * 6], "min_satisfied": 2}))
        opening_file = tmp_path / "opening.json"
        posted = lab(
            capsys, "market", "post", "--requirement", str(spec), "--price-wei", str(ETHER // 100),
            "--bond-wei", str(ETHER // 1000), "--opening-out", str(opening_file), *on_market,
        )  # fmt: skip
        assert posted["escrow_wei"] == ETHER // 100 and posted["arbiter"] == arbiter.address
        lab_keystore = tmp_path / "lab" / "keystore.json"
        lab_store = lab_keystore.read_bytes()
        opening = opening_file.read_text().strip()
        assert (
            opening.encode() not in lab_store
            and opening.encode() not in (tmp_path / "lab" / "market.sqlite").read_bytes()
        )

        # the lab's next requirement is sealed and posted, then its process dies before the row
        lab_account = accounts.add((tmp_path / "lab" / "account.key").read_text().strip())
        crashed = requirement_from_spec(spec.read_bytes())
        lab_state = MarketState(tmp_path / "lab" / "market.sqlite", Keystore.open(lab_keystore, PASSPHRASE), market)
        lab_state.seal_opening(crashed)
        lost = DataMarketClient(market).post_requirement(
            sender=lab_account, arbiter=arbiter.address, commitment=crashed.commitment_bytes,
            description_hash=crashed.description_hash, price_wei=1, capacity=1, field_count=8, min_satisfied=2,
            expires_at=chain_now() + 86400, grant_period_s=3600, review_period_s=3600, bond_wei=1,
        )  # fmt: skip
        lab_state.close()

        record = tmp_path / "record.json"
        record.write_bytes(Record.create((52, 61, 138, 291, 0, 2, 1, 7)).to_bytes())
        prove = (
            "market", "prove", str(posted["requirement_id"]), "--opening", str(opening_file),
            "--buyer", address_of(lab), "--record", str(record), "--storage", storage.url, *on_market,
        )  # fmt: skip
        proved = clinic(capsys, *prove)
        assert proved["registered_now"] and proved["proved_now"] and proved["satisfied"] == 2
        again = clinic(capsys, *prove)  # run again (as after a crash): neither stored nor proved twice
        assert not again["registered_now"] and not again["proved_now"] and again["match_id"] == proved["match_id"]
        deliver = ("market", "deliver", str(proved["match_id"]), "--to", address_of(lab), "--receiving-pk",
                   lab_keys["receiving_pk"], "--proxy", storage.url, "--threshold", "1", *on_market)  # fmt: skip
        assert clinic(capsys, *deliver)["state"] == "granted"
        again = clinic(capsys, *deliver)  # run again (as after a crash): nothing granted twice
        assert again["state"] == "granted" and again["review_deadline"] is not None

        opening_file.unlink()  # the buyer's opening now comes from its keystore alone
        take = ("market", "take", str(proved["match_id"]), "--storage", storage.url, "--proxy", storage.url,
                "--verifying-pk", clinic_keys["verifying_pk"], *on_market)  # fmt: skip
        taken = lab(capsys, *take)
        assert taken["confirmed"] and taken["record_commitment"] and taken["reason"] == ""
        assert lab(capsys, *take) == taken  # taken once: the second answer is the kept delivery
        recovered = MarketState(tmp_path / "lab" / "market.sqlite", Keystore.open(lab_keystore, PASSPHRASE), market)
        assert recovered.requirement_ids() == (posted["requirement_id"], lost.requirement_id)  # recorded on restart
        assert recovered.requirement(lost.requirement_id).opening == crashed
    finally:
        storage.kill()
