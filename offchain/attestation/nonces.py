"""The receiver's nonces: issued by the receiver, single use, expiring (Peng et al., step (2)).

A quote is fresh only if its nonce is one this receiver issued, has not been used, and was
issued less than ``ttl_s`` seconds ago; :meth:`NonceBook.consume` checks all three and uses the
nonce up, whatever the rest of the verification then finds (a device asks for a new nonce per
attempt).

Issuing keeps no state: a nonce is ``issue time (8 bytes, ms) || 8 random bytes || a 16-byte
HMAC-SHA256 tag of both under the book's secret key``, so the receiver recognises its own
nonces and their age by the tag alone. (An earlier version kept every issued nonce and refused
to issue more than 100,000 outstanding: anyone could ask for nonces, which are public and
unauthenticated, and 100,000 requests in two TTLs locked every device out of attested uploads.)
Only :meth:`~NonceBook.consume` writes: the nonce, as used, until it is two TTLs old. Nobody can
make a nonce the book takes without its key (HMAC-SHA256 is a PRF); whoever reads a
:class:`PersistentNonceBook`'s database holds the key, and could then mint fresh nonces.

:class:`NonceBook` is in memory, with a key of its own: a receiver that restarts no longer
recognises the nonces it issued before (devices ask again). :class:`PersistentNonceBook` keeps
its key and the used nonces in a database (SQLite file or SQLAlchemy URL), for receivers that
run as services: a nonce is used up by one atomic ``INSERT`` that commits before any other check,
so no restart, crash or concurrent request can make a used nonce usable again.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Column, Float, Integer, LargeBinary, MetaData, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

from offchain.attestation.errors import NonceExpiredError, NonceReplayError, UnknownNonceError
from offchain.database import open_engine
from offchain.errors import InvalidInputError

__all__ = ["DEFAULT_NONCE_TTL_S", "NONCE_BYTES", "NonceBook", "PersistentNonceBook"]

#: Length of a nonce, in bytes.
NONCE_BYTES = 32
#: How long a nonce stays valid by default, in seconds.
DEFAULT_NONCE_TTL_S = 60.0
_TAG_BYTES = 16
_STAMP = struct.Struct(">Q8s")  # issue time in ms, 8 random bytes: what the tag covers
_DOMAIN = b"datashare/attestation-nonce/v1"


class NonceBook:
    """Nonces a receiver issued (recognised by their tag) and those it saw used.

    Args:
        ttl_s: How long a nonce stays valid, in seconds.
        clock: Monotonic seconds (tests pass a fake one).
        key: The secret the nonces' tags are made with (a fresh random one by default).
    """

    def __init__(
        self,
        ttl_s: float = DEFAULT_NONCE_TTL_S,
        *,
        clock: Callable[[], float] = time.monotonic,
        key: bytes | None = None,
    ) -> None:
        if not ttl_s > 0:
            raise InvalidInputError(f"ttl_s must be positive, got {ttl_s!r}")
        self.ttl_s = ttl_s
        self._clock = clock
        self._key = secrets.token_bytes(32) if key is None else bytes(key)
        self._used: dict[bytes, float] = {}  # nonce -> issue time, kept until it is two TTLs old
        self._pruned_at = clock()
        self._lock = threading.Lock()

    def issue(self) -> bytes:
        """A fresh nonce, valid for ``ttl_s`` seconds, once (nothing is stored)."""
        stamp = _STAMP.pack(math.floor(self._clock() * 1000), secrets.token_bytes(8))
        return stamp + self._tag(stamp)

    def consume(self, nonce: bytes) -> None:
        """Use ``nonce`` up.

        Raises:
            InvalidInputError: if ``nonce`` is not bytes.
            UnknownNonceError: if this book did not issue it (its tag is not this book's).
            NonceReplayError: if it was already used.
            NonceExpiredError: if it was issued ``ttl_s`` seconds ago or more.
        """
        issued_at = self._issued_at(nonce)
        now = self._clock()
        with self._lock:
            self._prune(now)
            if nonce in self._used:
                raise NonceReplayError(f"nonce 0x{nonce.hex()} was already used: the quote is replayed")
            self._used[nonce] = issued_at
        self._judge_age(nonce, issued_at, now)

    def _tag(self, stamp: bytes) -> bytes:
        return hmac.new(self._key, _DOMAIN + stamp, hashlib.sha256).digest()[:_TAG_BYTES]

    def _issued_at(self, nonce: object) -> float:
        """The issue time (seconds of this book's clock) of a nonce carrying this book's tag."""
        if not isinstance(nonce, bytes):
            raise InvalidInputError(f"a nonce is bytes, got {type(nonce).__name__}")
        stamp, tag = nonce[: _STAMP.size], nonce[_STAMP.size :]
        if len(nonce) != NONCE_BYTES or not hmac.compare_digest(tag, self._tag(stamp)):
            raise UnknownNonceError(f"nonce 0x{nonce.hex()} was not issued by this receiver")
        issued_ms, _ = _STAMP.unpack(stamp)
        return int(issued_ms) / 1000

    def _judge_age(self, nonce: bytes, issued_at: float, now: float) -> None:
        age = now - issued_at
        if age >= self.ttl_s:
            raise NonceExpiredError(
                f"nonce 0x{nonce.hex()} was issued {age:.1f} s ago; it expires after {self.ttl_s:g} s"
            )

    def _prune(self, now: float) -> None:
        """Forget the used nonces two TTLs old (at most once a TTL): they are refused as expired."""
        if now - self._pruned_at < self.ttl_s:
            return
        self._pruned_at = now
        self._forget_used_before(now - 2 * self.ttl_s)

    def _forget_used_before(self, horizon: float) -> None:
        for nonce in [n for n, at in self._used.items() if at < horizon]:
            del self._used[nonce]


_metadata = MetaData()
_key_table = Table(
    "attestation_nonce_key",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("key", LargeBinary(32), nullable=False),
)
_used_table = Table(
    "attestation_used_nonces",
    _metadata,
    Column("nonce", LargeBinary(NONCE_BYTES), primary_key=True),
    Column("issued_at", Float, nullable=False, index=True),  # wall-clock seconds (survive a restart)
)


class PersistentNonceBook(NonceBook):
    """A :class:`NonceBook` in a database: its key and the used nonces survive a restart.

    The key is made on first use and kept in the database. :meth:`consume` inserts the nonce as
    used in one atomic ``INSERT`` that commits before the expiry is judged (a second insert of
    it fails on the primary key), so a nonce is accepted at most once whatever happens to the
    process. Used nonces are pruned two TTLs after issue; one presented after that is refused as
    expired.

    Args:
        database: A path (SQLite file) or an SQLAlchemy URL.
        ttl_s: How long a nonce stays valid, in seconds.
        clock: Wall-clock seconds (a monotonic clock restarts with the process); tests pass a fake one.
    """

    def __init__(
        self, database: str | Path, ttl_s: float = DEFAULT_NONCE_TTL_S, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = open_engine(database)
        _metadata.create_all(self.engine)
        super().__init__(ttl_s, clock=clock, key=self._stored_key())

    def _stored_key(self) -> bytes:
        """The book's key: the one in the database, or a new one stored there (once, even when
        two processes open a new database together)."""
        for _ in range(2):
            with self.engine.begin() as connection:
                key = connection.execute(select(_key_table.c.key).where(_key_table.c.id == 1)).scalar_one_or_none()
            if key is not None:
                return bytes(key)
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(_key_table).values(id=1, key=secrets.token_bytes(32)))
            except IntegrityError:
                continue  # another process stored one first: read it
        raise AssertionError("the nonce key row is written once and never deleted")  # pragma: no cover

    def consume(self, nonce: bytes) -> None:
        """Use ``nonce`` up (committed), then judge its age (see :meth:`NonceBook.consume`).

        Raises:
            InvalidInputError: if ``nonce`` is not bytes.
            UnknownNonceError: if this book did not issue it.
            NonceReplayError: if it was already used.
            NonceExpiredError: if it was issued ``ttl_s`` seconds ago or more.
        """
        issued_at = self._issued_at(nonce)
        now = self._clock()
        self._prune(now)
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(_used_table).values(nonce=nonce, issued_at=issued_at))
        except IntegrityError:
            raise NonceReplayError(f"nonce 0x{nonce.hex()} was already used: the quote is replayed") from None
        self._judge_age(nonce, issued_at, now)

    def _forget_used_before(self, horizon: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(_used_table).where(_used_table.c.issued_at < horizon))

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
