"""NonceBook and PersistentNonceBook: a nonce is recognised by its tag, so issuing keeps no state
and a flood of nonce requests locks no device out; forged nonces are refused (Peng et al., step (2))."""

from __future__ import annotations

import pytest

from offchain.attestation import NonceBook, NonceExpiredError, NonceReplayError, PersistentNonceBook, UnknownNonceError

TTL_S = 30.0


@pytest.fixture(params=["memory", "database"])
def book(request, clock, tmp_path):
    if request.param == "memory":
        yield NonceBook(TTL_S, clock=clock)
        return
    opened = PersistentNonceBook(tmp_path / "nonces.sqlite", TTL_S, clock=clock)
    yield opened
    opened.close()


def test_a_flood_of_nonce_requests_locks_no_device_out(clock):
    """The book refused to issue more than 100,000 outstanding nonces, which anyone can ask for."""
    book = NonceBook(TTL_S, clock=clock)
    for _ in range(150_000):
        book.issue()
    book.consume(book.issue())


def flip(nonce: bytes, position: int) -> bytes:
    return nonce[:position] + bytes([nonce[position] ^ 1]) + nonce[position + 1 :]


@pytest.mark.parametrize(
    "forge",
    [
        lambda nonce: b"\x07" * 32,
        lambda nonce: flip(nonce, 31),  # the tag
        lambda nonce: flip(nonce, 7),  # the issue time: a later one would look fresher
        lambda nonce: flip(nonce, 10),  # the random part
        lambda nonce: nonce[:31],
        lambda nonce: nonce + b"\x00",
        lambda nonce: b"",
    ],
    ids=["random", "tag", "issue time", "random part", "short", "long", "empty"],
)
def test_a_nonce_this_book_did_not_issue_is_refused(book, forge):
    with pytest.raises(UnknownNonceError):
        book.consume(forge(book.issue()))


def test_another_books_nonce_is_refused(book, clock):
    with pytest.raises(UnknownNonceError):
        book.consume(NonceBook(TTL_S, clock=clock).issue())


def test_a_nonce_is_accepted_once_then_replayed(book):
    nonce = book.issue()
    book.consume(nonce)
    with pytest.raises(NonceReplayError):
        book.consume(nonce)


def test_a_nonce_expires_at_its_ttl(book, clock):
    issued, nonce, late = clock.now, book.issue(), book.issue()
    clock.now = issued + TTL_S - 0.01
    book.consume(nonce)
    clock.now = issued + TTL_S
    with pytest.raises(NonceExpiredError):
        book.consume(late)


def test_a_used_nonce_is_refused_long_after_it_was_forgotten(book, clock):
    nonce = book.issue()
    book.consume(nonce)
    clock.now += 10 * TTL_S
    book.consume(book.issue())  # prunes the first
    with pytest.raises(NonceExpiredError):
        book.consume(nonce)
