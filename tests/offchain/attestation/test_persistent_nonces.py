"""PersistentNonceBook: the receiver's nonces in a database, so that a restart never makes a used
nonce usable again (Peng et al., step (2); the storage service's nonce endpoint, issue 18)."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from offchain.attestation import NonceExpiredError, NonceReplayError, PersistentNonceBook, UnknownNonceError
from offchain.errors import InvalidInputError

TTL_S = 30.0


@pytest.fixture
def database(tmp_path):
    return tmp_path / "nonces.sqlite"


@pytest.fixture
def book(database, clock):
    opened = PersistentNonceBook(database, TTL_S, clock=clock)
    yield opened
    opened.close()


def test_an_issued_nonce_is_accepted_once(book):
    nonce = book.issue()
    assert len(nonce) == 32
    book.consume(nonce)
    with pytest.raises(NonceReplayError):
        book.consume(nonce)


def test_a_used_nonce_stays_used_after_a_restart(book, database, clock):
    nonce = book.issue()
    book.consume(nonce)
    book.close()
    reopened = PersistentNonceBook(database, TTL_S, clock=clock)
    try:
        with pytest.raises(NonceReplayError):
            reopened.consume(nonce)
    finally:
        reopened.close()


def test_an_outstanding_nonce_survives_a_restart(book, database, clock):
    nonce = book.issue()
    book.close()
    reopened = PersistentNonceBook(database, TTL_S, clock=clock)
    try:
        reopened.consume(nonce)
    finally:
        reopened.close()


def test_an_expired_nonce_is_refused_and_used_up(book, clock):
    nonce = book.issue()
    clock.now += TTL_S
    with pytest.raises(NonceExpiredError):
        book.consume(nonce)
    with pytest.raises(NonceReplayError):
        book.consume(nonce)


def test_a_nonce_never_issued_is_refused(book):
    with pytest.raises(UnknownNonceError):
        book.consume(b"\x07" * 32)


def test_a_pruned_used_nonce_is_still_refused(book, clock, database):
    nonce = book.issue()
    book.consume(nonce)
    clock.now += 2 * TTL_S + 1
    book.consume(book.issue())  # prunes the first
    assert used_rows(database) == 1
    with pytest.raises(NonceExpiredError):
        book.consume(nonce)


def used_rows(database) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM attestation_used_nonces").fetchone()[0]


def test_issuing_writes_nothing(book, database):
    for _ in range(50):
        book.issue()
    assert used_rows(database) == 0


def test_a_nonce_of_another_database_is_refused(book, tmp_path, clock):
    other = PersistentNonceBook(tmp_path / "other.sqlite", TTL_S, clock=clock)
    try:
        with pytest.raises(UnknownNonceError):
            book.consume(other.issue())
    finally:
        other.close()


def test_two_books_on_one_database_share_its_key(book, database, clock):
    second = PersistentNonceBook(database, TTL_S, clock=clock)
    try:
        nonce = second.issue()
        book.consume(nonce)
        with pytest.raises(NonceReplayError):
            second.consume(nonce)
    finally:
        second.close()


def test_concurrent_consumers_accept_a_nonce_once(book):
    nonce = book.issue()
    outcomes: list[str] = []

    def consume() -> None:
        try:
            book.consume(nonce)
            outcomes.append("accepted")
        except NonceReplayError:
            outcomes.append("replay")

    threads = [threading.Thread(target=consume) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted"] + ["replay"] * 7


def test_a_nonce_must_be_bytes(book):
    with pytest.raises(InvalidInputError):
        book.consume("00" * 32)  # type: ignore[arg-type]
