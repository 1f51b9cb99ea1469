"""Spent request nonces in the storage service's state database, committed without an fsync of
their own (offchain.services.signing.NonceBook with ``synced=False``, on the engine of a
CloudServerState): replays stay refused after a restart or a SIGKILL, and the blob intents that
share the database survive a SIGKILL the same way."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import inspect, text

from offchain.protocols.cloud_state import CloudServerState
from offchain.services.signing import NonceBook, ReplayedRequestError, sign_request, verify_request

KEY = "0x" + "11" * 32
REQUEST = {"chain_id": 1337, "service": "storage", "method": "PUT", "path": "/files/ab", "body": b"ciphertext"}


@pytest.fixture
def state(tmp_path):
    opened = CloudServerState(tmp_path / "state.sqlite")
    yield opened
    opened.close()


def test_a_book_on_the_state_engine_keeps_its_nonces_in_the_state_database(state):
    NonceBook(state.engine)
    assert "service_nonces" in inspect(state.engine).get_table_names()


def test_closing_a_book_on_a_given_engine_leaves_the_engine_usable(state):
    NonceBook(state.engine).close()
    assert state.file(b"\x00" * 32) is None


def test_a_nonce_spent_unsynced_is_refused_when_replayed(state):
    book = NonceBook(state.engine)
    headers = sign_request(KEY, **REQUEST)
    verify_request(headers, nonces=book, synced=False, **REQUEST)
    with pytest.raises(ReplayedRequestError):
        verify_request(headers, nonces=book, synced=False, **REQUEST)


def test_a_nonce_spent_unsynced_is_refused_after_a_restart(tmp_path):
    first = CloudServerState(tmp_path / "state.sqlite")
    headers = sign_request(KEY, **REQUEST)
    verify_request(headers, nonces=NonceBook(first.engine), synced=False, **REQUEST)
    first.close()
    reopened = CloudServerState(tmp_path / "state.sqlite")
    with pytest.raises(ReplayedRequestError):
        verify_request(headers, nonces=NonceBook(reopened.engine), **REQUEST)
    reopened.close()


_SPEND_THEN_SIGKILL = """
import os, signal, sys
from offchain.protocols.cloud_state import CloudServerState
from offchain.services.signing import NonceBook
state = CloudServerState(sys.argv[1])
NonceBook(state.engine).spend("0x" + "ab" * 20, 42, int(sys.argv[2]), synced=False)
state.begin_blob("sha256:" + "cd" * 32, preexisting=False)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_an_unsynced_nonce_and_blob_intent_survive_a_sigkill(tmp_path):
    database = tmp_path / "state.sqlite"
    expiry = int(time.time()) + 300
    killed = subprocess.run([sys.executable, "-c", _SPEND_THEN_SIGKILL, str(database), str(expiry)], check=False)
    assert killed.returncode == -signal.SIGKILL
    state = CloudServerState(database)
    try:
        assert state.pending_blobs() == ("sha256:" + "cd" * 32,)
        with pytest.raises(ReplayedRequestError):
            NonceBook(state.engine).spend("0x" + "ab" * 20, 42, expiry)
    finally:
        state.close()


def test_absorb_takes_over_the_unexpired_nonces_of_another_book(tmp_path, state):
    legacy = NonceBook(tmp_path / "nonces.sqlite")
    legacy.spend("0x" + "ab" * 20, 1, int(time.time()) + 300)
    legacy.close()
    book = NonceBook(state.engine)
    assert book.absorb(tmp_path / "nonces.sqlite") == 1
    with pytest.raises(ReplayedRequestError):
        book.spend("0x" + "ab" * 20, 1, int(time.time()) + 300)


def test_absorb_skips_expired_nonces(tmp_path, state):
    legacy = NonceBook(tmp_path / "nonces.sqlite")
    with legacy.engine.begin() as connection:  # spend() would prune it at once: written as a crash left it
        connection.execute(
            text("INSERT INTO service_nonces (signer, nonce, expiry) VALUES (:s, '1', :e)"),
            {"s": "0x" + "ab" * 20, "e": int(time.time()) - 5},
        )
    legacy.close()
    assert NonceBook(state.engine).absorb(tmp_path / "nonces.sqlite") == 0


def test_absorb_skips_nonces_already_spent_here(tmp_path, state):
    expiry = int(time.time()) + 300
    legacy = NonceBook(tmp_path / "nonces.sqlite")
    legacy.spend("0x" + "ab" * 20, 1, expiry)
    legacy.close()
    book = NonceBook(state.engine)
    book.spend("0x" + "ab" * 20, 1, expiry)
    assert book.absorb(tmp_path / "nonces.sqlite") == 0


def _expired_row(book: NonceBook) -> None:
    with book.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO service_nonces (signer, nonce, expiry) VALUES (:s, '9', :e)"),
            {"s": "0x" + "cd" * 20, "e": int(time.time()) - 5},
        )


def _rows(book: NonceBook) -> int:
    with book.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM service_nonces")).scalar_one())


def test_a_spend_prunes_the_rows_of_expired_requests(state):
    book = NonceBook(state.engine, prune_interval_s=0)
    _expired_row(book)
    book.spend("0x" + "ab" * 20, 1, int(time.time()) + 300)
    assert _rows(book) == 1  # the new one only


def test_spends_within_the_prune_interval_leave_expired_rows_for_later(state):
    book = NonceBook(state.engine, prune_interval_s=3600)
    book.spend("0x" + "ab" * 20, 1, int(time.time()) + 300)  # the first spend prunes
    _expired_row(book)
    book.spend("0x" + "ab" * 20, 2, int(time.time()) + 300)
    assert _rows(book) == 3


def test_one_signed_request_replayed_concurrently_is_accepted_once(state):
    book = NonceBook(state.engine)
    headers = sign_request(KEY, **REQUEST)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def replay() -> None:
        barrier.wait()
        try:
            verify_request(headers, nonces=book, synced=False, **REQUEST)
            outcomes.append("accepted")
        except ReplayedRequestError:
            outcomes.append("refused")

    workers = [threading.Thread(target=replay) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(outcomes) == ["accepted"] + ["refused"] * 7
