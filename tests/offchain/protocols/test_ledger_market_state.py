"""offchain.protocols.ledger_state and market_state: the ledger accounts' books, payments and
withdrawals, the trustees' review journal and the market buyer's openings and deliveries survive
a restart (a new object on the same database and keystore continues), on an SQLite file and on a
real PostgreSQL server (see postgres_server.py: skipped without it, failed under CI=true); the
secrets (a trustee's key share, a requirement's opening) are in the keystore, never in the
database. No chain: the rows are what the roles would write (the chain flows are in
tests/e2e/test_ledger_market_cli.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from eth_utils import to_checksum_address
from sqlalchemy import create_engine, text

from offchain.chain.ledger import LedgerTransfer, TransferState, WithdrawalState
from offchain.chain.market import MarketRequirement
from offchain.crypto import threshold_paillier as tp
from offchain.crypto.transfer_proof import TransferStatement, make_deltas, prove_transfer
from offchain.errors import (
    AccessDeniedError,
    IntegrityError,
    InvalidInputError,
    StateSchemaError,
    UnknownRequirementError,
    UnknownSecretError,
)
from offchain.keystore import Keystore
from offchain.protocols.buyer import Delivery
from offchain.protocols.ledger_account import PendingPayment
from offchain.protocols.ledger_state import (
    SCHEMA,
    LedgerState,
    book_key,
    key_share,
    key_share_name,
    seal_key_share,
)
from offchain.protocols.market_state import MarketState, opening_name
from offchain.zk import FieldRange, Record, Requirement
from tests.offchain.protocols.postgres_server import PostgresServer

LEDGER = "0x" + "1a" * 20
MARKET = "0x" + "2b" * 20
ALICE, BOB, CAROL, DAVE = ("0x" + c * 40 for c in "abcd")
PASSPHRASE = "state tests"


@pytest.fixture(scope="module")
def key() -> tuple[tp.ThresholdPublicKey, list[tp.KeyShare]]:
    return tp.generate_threshold_keypair(512, 3, 2, rng=random.Random(17))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Callable[[], str | Path]:
    """The same database each call (a restart opens it again)."""
    if request.param == "sqlite":
        path = tmp_path / "role.sqlite"
        return lambda: path
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.new_database("ledger_market")
    return lambda: url


@pytest.fixture
def keystore(tmp_path) -> Keystore:
    return Keystore.create(tmp_path / "keystore.json", PASSPHRASE, scrypt_n=1 << 14)


def reopen(store: Keystore) -> Keystore:
    return Keystore.open(store.path, PASSPHRASE)


def requirement() -> Requirement:
    return Requirement.create((FieldRange(40, 60, required=True), FieldRange(48, 250), FieldRange.ignored()), 2)


def payment(key, transfer_id: int) -> PendingPayment:
    public, _ = key
    accounts = (ALICE, BOB, CAROL)
    deltas, opening = make_deltas(public.n, [0, 5, 0], 0)
    proof = prove_transfer(TransferStatement(public.n, b"\x07" * 32, deltas, 0), opening)
    transfer = LedgerTransfer(transfer_id, ALICE, accounts, deltas, deltas[0], b"\x07" * 32, proof.digest(), 0)
    return PendingPayment(transfer, proof, 0.0)


BOOK_KEY = bytes(range(32))


def test_an_account_book_survives_a_restart_and_refuses_a_second_set(database):
    state = LedgerState(database(), LEDGER)
    book = state.book(ALICE, BOOK_KEY)
    assert book.decoys_for(BOB) is None and len(book) == 0 and book
    book.record(BOB, [CAROL, DAVE])
    state.close()
    again = LedgerState(database(), LEDGER).book(ALICE, BOOK_KEY)
    assert again.decoys_for(BOB) == (to_checksum_address(CAROL), to_checksum_address(DAVE))
    assert len(again) == 1
    assert LedgerState(database(), LEDGER).book(CAROL, bytes(32)).decoys_for(BOB) is None  # per account
    with pytest.raises(InvalidInputError, match="reused, never replaced"):
        again.record(BOB, [DAVE])
    with pytest.raises(InvalidInputError, match="sequence of addresses"):
        again.record(CAROL, DAVE)


def test_a_book_opened_with_another_key_is_refused_not_read_as_empty(database):
    LedgerState(database(), LEDGER).book(ALICE, BOOK_KEY).record(BOB, [CAROL])
    with pytest.raises(AccessDeniedError, match="sealed under another key"):
        LedgerState(database(), LEDGER).book(ALICE, bytes(32))


def test_a_book_key_must_be_32_bytes(database):
    with pytest.raises(InvalidInputError, match="32 bytes"):
        LedgerState(database(), LEDGER).book(ALICE, BOOK_KEY[:16])


def test_a_sealed_set_moved_to_another_receiver_fails_its_check(database):
    state = LedgerState(database(), LEDGER)
    book = state.book(ALICE, BOOK_KEY)
    book.record(BOB, [CAROL])
    book.record(DAVE, [CAROL])
    engine = create_engine(state.url)
    with engine.begin() as connection:  # give DAVE's row BOB's sealed set
        rows = {
            bytes(r.tag): bytes(r.sealed)
            for r in connection.execute(text("SELECT tag, sealed FROM ledger_sealed_sets"))
        }
        bob_tag = state._tag(BOOK_KEY, to_checksum_address(BOB))
        dave_tag = state._tag(BOOK_KEY, to_checksum_address(DAVE))
        connection.execute(
            text("UPDATE ledger_sealed_sets SET sealed = :sealed WHERE tag = :tag"),
            {"sealed": rows[bob_tag], "tag": dave_tag},
        )
    engine.dispose()
    with pytest.raises(IntegrityError, match="does not open under its book key"):
        book.decoys_for(DAVE)
    assert book.decoys_for(BOB) == (to_checksum_address(CAROL),)


def test_the_sealed_book_names_neither_the_receiver_nor_its_decoys(tmp_path):
    path = tmp_path / "ledger.sqlite"
    state = LedgerState(path, LEDGER)
    state.book(ALICE, BOOK_KEY).record(BOB, [CAROL, DAVE])
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir()).lower()  # the file, its WAL
    for address in (BOB, CAROL, DAVE):
        assert address[2:].encode() not in stored
    assert LEDGER[2:].encode() in stored  # control: the search finds what is stored in the clear


def test_clear_text_sets_of_schema_1_are_sealed_and_removed_when_the_book_opens(database):
    state = LedgerState(database(), LEDGER)
    engine = create_engine(state.url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ledger_anonymity_sets (ledger, account, receiver, decoys, recorded_at) "
                "VALUES (:ledger, :account, :receiver, :decoys, 1)"
            ),
            {"ledger": to_checksum_address(LEDGER), "account": to_checksum_address(ALICE),
             "receiver": to_checksum_address(BOB), "decoys": f'["{to_checksum_address(CAROL)}"]'},
        )  # fmt: skip
    book = state.book(ALICE, BOOK_KEY)
    assert book.decoys_for(BOB) == (to_checksum_address(CAROL),) and len(book) == 1
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM ledger_anonymity_sets")).scalar() == 0
    engine.dispose()


def test_an_accounts_book_key_is_made_once_and_kept_in_the_keystore(keystore):
    made = book_key(keystore, ALICE)
    assert len(made) == 32 and book_key(reopen(keystore), ALICE) == made
    assert book_key(keystore, BOB) != made
    assert f"ledger/book-key/{ALICE.lower()}" in keystore.names()


def test_payments_and_withdrawals_survive_a_restart_with_their_state(database, key):
    state = LedgerState(database(), LEDGER)
    made = payment(key, 7)
    state.add_payment(made)
    state.add_withdrawal(3, ALICE, 2 * 10**18)
    state.close()
    again = LedgerState(database(), LEDGER)
    (kept,) = again.payments(ALICE, state="pending")
    assert kept.transfer_id == 7 and kept.proof == made.proof.to_bytes() and len(kept.accounts) == 3
    again.set_payment_state(7, TransferState.VERIFIED)
    again.set_withdrawal_state(3, WithdrawalState.EXECUTED)
    assert again.payments(ALICE, state="pending") == ()
    assert again.payment(7).state == "verified" and again.payment(8) is None
    assert again.withdrawals(ALICE) == ((3, 2 * 10**18, "executed"),)
    assert LedgerState(database(), "0x" + "99" * 20).payments(ALICE) == ()  # keyed by ledger


def test_a_proof_kept_before_sending_survives_a_restart_until_its_payment_is_recorded(database, key):
    made = payment(key, 11)
    state = LedgerState(database(), LEDGER)
    state.keep_proof(ALICE, made.proof)
    state.close()
    again = LedgerState(database(), LEDGER)
    assert again.kept_proofs(ALICE) == (made.proof.to_bytes(),) and again.kept_proofs(BOB) == ()
    again.add_payment(made)  # the transfer's record clears the proof kept for it, in one transaction
    assert again.kept_proofs(ALICE) == () and again.payment(11).proof == made.proof.to_bytes()


def test_the_trustees_journal_keeps_a_pending_review_across_a_restart_and_never_redoes_one(database):
    state = LedgerState(database(), LEDGER)
    state.receive("transfer", 5, b"proof-5")
    state.receive("withdrawal", 2)
    state.close()
    again = LedgerState(database(), LEDGER)
    assert [(r.kind, r.item_id, r.status) for r in again.pending_reviews()] == [
        ("transfer", 5, "pending"),
        ("withdrawal", 2, "pending"),
    ]
    assert again.receive("transfer", 5, b"proof-5").proof == b"proof-5"  # handed over twice: kept once
    with pytest.raises(InvalidInputError, match="another proof"):
        again.receive("transfer", 5, b"another")
    again.finish("transfer", 5, accepted=False, detail="the sender's balance after it would be -1 wei")
    done = LedgerState(database(), LEDGER).receive("transfer", 5, b"proof-5")
    assert done.status == "done" and done.accepted is False and "-1 wei" in done.detail
    assert [r.item_id for r in again.pending_reviews()] == [2]


@pytest.mark.parametrize(("kind", "proof"), [("vote", b"x"), ("transfer", None)])
def test_the_journal_refuses_an_unknown_kind_or_a_transfer_without_its_proof(tmp_path, kind, proof):
    with pytest.raises(InvalidInputError):
        LedgerState(tmp_path / "s.sqlite", LEDGER).receive(kind, 1, proof)


def test_a_key_share_is_sealed_in_the_keystore_and_never_written_to_the_database(tmp_path, key, keystore):
    _, shares = key
    state = LedgerState(tmp_path / "trustee.sqlite", LEDGER)
    name = seal_key_share(keystore, LEDGER, shares[1])
    assert name == key_share_name(LEDGER, 2)
    state.receive("withdrawal", 1)
    state.close()
    loaded = key_share(reopen(keystore), LEDGER, 2)
    assert (loaded.index, int(loaded.share), loaded.public_key) == (2, int(shares[1].share), shares[1].public_key)
    with pytest.raises(UnknownSecretError):
        key_share(keystore, LEDGER, 3)
    secret = format(shares[1].share, "x").encode()
    for path in (tmp_path / "trustee.sqlite", keystore.path):
        assert secret not in path.read_bytes()
    assert shares[1].to_json().encode() not in keystore.path.read_bytes()


def test_a_requirement_opening_survives_a_restart_from_the_keystore_and_the_database(database, keystore):
    wanted = requirement()
    state = MarketState(database(), keystore, MARKET)
    state.seal_opening(wanted)  # before posting
    posted = MarketRequirement(
        requirement_id=4, buyer=ALICE, arbiter=BOB, commitment=wanted.commitment_bytes,
        description_hash=wanted.description_hash, price_wei=5 * 10**16, bond_wei=10**15, capacity=3, filled=0,
        field_count=3, min_satisfied=2, expires_at=0, grant_period_s=1, review_period_s=1, unfilled_refunded=False,
    )  # fmt: skip
    state.add_requirement(posted, wanted)
    state.add_requirement(posted, wanted)  # recorded once
    state.close()
    again = MarketState(database(), reopen(keystore), MARKET)
    kept = again.requirement(4)
    assert kept.opening == wanted and kept.price_wei == 5 * 10**16 and kept.capacity == 3
    assert again.requirement_ids() == (4,)
    with pytest.raises(UnknownRequirementError):
        again.requirement(5)
    record = Record.create((52, 61, 0))
    again.add_delivery(4, Delivery(match_id=9, record=record, reason=""))
    again.add_delivery(4, Delivery(match_id=10, record=None, reason="match 10: no cfrags"))
    restarted = MarketState(database(), reopen(keystore), MARKET)
    confirmed, disputed = restarted.delivery(9), restarted.delivery(10)
    assert confirmed.confirmed and confirmed.record_commitment == record.commitment_bytes
    assert not disputed.confirmed and disputed.record_commitment is None and "no cfrags" in disputed.reason
    assert restarted.delivery(11) is None


def test_an_opening_is_never_in_the_database_in_the_clear(tmp_path, keystore):
    wanted = requirement()
    state = MarketState(tmp_path / "buyer.sqlite", keystore, MARKET)
    state.seal_opening(wanted)
    posted = MarketRequirement(
        1, ALICE, BOB, wanted.commitment_bytes, wanted.description_hash, 1, 1, 1, 0, 3, 2, 0, 1, 1, False
    )
    state.add_requirement(posted, wanted)
    state.close()
    for path in tmp_path.iterdir():  # the database, its WAL, and the keystore
        raw = path.read_bytes()
        assert wanted.to_json().encode() not in raw
        assert str(wanted.nonce).encode() not in raw, path


def test_a_requirement_whose_opening_is_not_sealed_or_does_not_match_is_refused(tmp_path, keystore):
    wanted, other = requirement(), requirement()
    state = MarketState(tmp_path / "buyer.sqlite", keystore, MARKET)
    posted = MarketRequirement(
        1, ALICE, BOB, wanted.commitment_bytes, wanted.description_hash, 1, 1, 1, 0, 3, 2, 0, 1, 1, False
    )
    with pytest.raises(UnknownSecretError):
        state.add_requirement(posted, wanted)
    with pytest.raises(InvalidInputError, match="not requirement 1's"):
        state.add_requirement(posted, other)
    keystore.put(opening_name(MARKET, wanted.commitment_bytes), other.to_json().encode())
    with pytest.raises(IntegrityError, match="opens another commitment"):
        state.opening_for(wanted.commitment_bytes)


def test_a_database_of_schema_1_is_migrated_to_the_sealed_book_on_opening(tmp_path):
    from offchain.database import SchemaMigrations
    from offchain.protocols.ledger_state import MIGRATIONS

    path = tmp_path / "s.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    SchemaMigrations(SCHEMA.table.name, MIGRATIONS[:1], []).apply(engine, str(engine.url))
    engine.dispose()
    state = LedgerState(path, LEDGER)
    assert state.schema_version() == 2
    state.book(ALICE, BOOK_KEY).record(BOB, [CAROL])
    assert LedgerState(path, LEDGER).book(ALICE, BOOK_KEY).decoys_for(BOB) == (to_checksum_address(CAROL),)


def test_a_database_from_a_newer_toolkit_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    state = LedgerState(path, LEDGER)
    assert state.schema_version() == SCHEMA.latest == 2
    state.close()
    with create_engine(f"sqlite:///{path}").begin() as connection:
        connection.execute(text("INSERT INTO ledger_schema_migrations VALUES (3, 'future', 0)"))
    with pytest.raises(StateSchemaError, match="newer toolkit"):
        LedgerState(path, LEDGER)
