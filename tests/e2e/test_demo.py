"""The main demo runs end to end on the test chain and shows every step."""

from __future__ import annotations

from scripts import demo


def test_demo_registers_reads_back_and_refuses_a_duplicate(tmp_path, capsys):
    demo.main(
        output=tmp_path / "out",
        record_path=tmp_path / "deployment.json",
        group_bits=1024,
        paillier_bits=1024,
        svm_iterations=10,
        vertical_rounds=3,
        shapley_sweep_owners=2,
        processes=False,  # part 16 (scripts/across_machines.py) is tests/e2e/test_cli.py's scenario
    )
    printed = capsys.readouterr().out
    assert "same model as centralised plaintext training of the same schedule: True" in printed
    assert "DataRegistry" in printed
    assert "commitment opens: OK" in printed
    assert "refused by the contract: DataRegistryAlreadyRegistered" in printed
    assert "commitment match the chain: OK" in printed
    assert "proxies refuse" in printed
    assert "proven on chain: True; off chain: True" in printed
    assert "hospital-a refuses to open" in printed
    assert "anyone checks the opening proof and bob's join receipt" in printed
    assert "no proof can exist" in printed
    assert "refused by the contract: DataMarketInvalidProof" in printed
    assert "receipt confirmed" in printed
    assert "match 2: Refunded" in printed
    assert "escrow left in the market: 0 wei" in printed
    assert "equal to the plaintext computation over all records: yes" in printed
    assert "rejected: hospital-b" in printed
    assert "with two honest parties left: refused" in printed
    assert "same anonymity set" in printed
    assert "each user keeps its anonymity sets sealed" in printed
    assert len(list((tmp_path / "out" / "ledger").glob("*-ledger.sqlite"))) == 5
    assert not list((tmp_path / "out" / "ledger").glob("*.json"))  # no book in the clear
    assert "withdraw 2.5 ETH" in printed and ": executed" in printed
    assert ": rejected" in printed
    assert "decoy theft (E(−0.5) to erin, E(+0.5) to himself): rejected: transfer proof rejected" in printed
    assert "paying erin 3 ETH with a valid proof: rejected: the sender's balance after it would be" in printed
    assert "refused on chain: ConfidentialLedgerNotAUnit" in printed
    assert "dave has 3 offenses, frozen: True" in printed
    assert "refused: ConfidentialLedgerAccountFrozen" in printed
    assert "audit of erin    1.00 ETH  in range" in printed
    assert ": balanced" in printed
    assert "analyst: every blob matches its on-chain Merkle root and hash" in printed
    assert "same model as the plaintext run of the same schedule: True" in printed
    assert "every share equal to Python's: True" in printed
    assert "every claim equal to Python's: True" in printed
    assert "= pool 1000000000000000007 wei: True" in printed
    assert (tmp_path / "out" / "shapley" / "revenue_by_samples.png").is_file()
    assert "every record's proof checks against its anchored root" in printed
    assert "the user's top K equals the plaintext top K" in printed
    assert printed.rstrip().endswith("Demo finished.")
    assert (tmp_path / "deployment.json").is_file()
    assert any(p.is_file() for p in (tmp_path / "out" / "blobs").rglob("*"))


def test_the_ledger_scenario_replaces_a_book_left_by_an_earlier_run(tmp_path):
    """The scenario's chain is new at each run and the ledger often lands at the same address:
    `make demo` run twice must not find the first run's book, sealed under another key."""
    from scripts import ledger

    ledger_address, account = "0x" + "a1" * 20, "0x" + "b2" * 20
    first = ledger._sealed_book(tmp_path, "alice", ledger_address, account)
    first.record("0x" + "c3" * 20, ["0x" + "d4" * 20])
    again = ledger._sealed_book(tmp_path, "alice", ledger_address, account)
    assert again.decoys_for("0x" + "c3" * 20) is None
