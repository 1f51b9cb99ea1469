"""The receiver's nonces: issued by the receiver, single use, expiring (Peng et al., step (2)).

A quote is fresh only if its nonce is one this receiver issued, has not been used, and was
issued less than ``ttl_s`` seconds ago; :meth:`NonceBook.consume` checks all three and uses the
nonce up, whatever the rest of the verification then finds (a device asks for a new nonce per
attempt). :class:`NonceBook` is in memory: a receiver that restarts forgets its outstanding
nonces, which only makes devices ask again, and its used ones, which a replay within the TTL
could then present as unknown (still refused). :class:`PersistentNonceBook` keeps both in a
database (SQLite file or SQLAlchemy URL), for receivers that run as services: a nonce is used
up by one atomic ``UPDATE … WHERE used = false`` that commits before any other check, so no
restart, crash or concurrent request can make a used nonce usable again.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    LargeBinary,
    MetaData,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)

from offchain.attestation.errors import NonceExpiredError, NonceReplayError, UnknownNonceError
from offchain.database import open_engine
from offchain.errors import InvalidInputError

__all__ = ["DEFAULT_NONCE_TTL_S", "NONCE_BYTES", "NonceBook", "PersistentNonceBook"]

#: Length of a nonce, in bytes.
NONCE_BYTES = 32
#: How long a nonce stays valid by default, in seconds.
DEFAULT_NONCE_TTL_S = 60.0
_MAX_OUTSTANDING = 100_000


class NonceBook:
    """Nonces a receiver issued and those it saw used.

    Args:
        ttl_s: How long a nonce stays valid, in seconds.
        clock: Monotonic seconds (tests pass a fake one).
    """

    def __init__(self, ttl_s: float = DEFAULT_NONCE_TTL_S, *, clock: Callable[[], float] = time.monotonic) -> None:
        if not ttl_s > 0:
            raise InvalidInputError(f"ttl_s must be positive, got {ttl_s!r}")
        self.ttl_s = ttl_s
        self._clock = clock
        self._issued: dict[bytes, float] = {}  # nonce -> issue time
        self._used: dict[bytes, float] = {}  # nonce -> issue time, kept until it would have expired
        self._lock = threading.Lock()

    def issue(self) -> bytes:
        """A fresh random nonce (from :mod:`secrets`), valid for ``ttl_s`` seconds, once.

        Raises:
            InvalidInputError: if too many nonces are outstanding (a device flooding the receiver).
        """
        with self._lock:
            now = self._clock()
            self._forget_expired(now)
            if len(self._issued) >= _MAX_OUTSTANDING:
                raise InvalidInputError(f"{_MAX_OUTSTANDING} nonces are outstanding; try again later")
            nonce = secrets.token_bytes(NONCE_BYTES)
            self._issued[nonce] = now
            return nonce

    def consume(self, nonce: bytes) -> None:
        """Use ``nonce`` up.

        Raises:
            NonceReplayError: if it was already used.
            NonceExpiredError: if it was issued ``ttl_s`` seconds ago or more.
            UnknownNonceError: if this book never issued it (or forgot it long after it expired).
        """
        with self._lock:
            now = self._clock()
            if nonce in self._used:
                raise NonceReplayError(f"nonce 0x{nonce.hex()} was already used: the quote is replayed")
            issued_at = self._issued.pop(nonce, None)
            if issued_at is None:
                raise UnknownNonceError(f"nonce 0x{nonce.hex()} was not issued by this receiver")
            self._used[nonce] = issued_at
            age = now - issued_at
            if age >= self.ttl_s:
                raise NonceExpiredError(
                    f"nonce 0x{nonce.hex()} was issued {age:.1f} s ago; it expires after {self.ttl_s:g} s"
                )

    def _forget_expired(self, now: float) -> None:
        horizon = now - 2 * self.ttl_s  # an expired nonce is still reported as expired for a while
        for book in (self._issued, self._used):
            for nonce in [n for n, at in book.items() if at < horizon]:
                del book[nonce]


_metadata = MetaData()
_nonces_table = Table(
    "attestation_nonces",
    _metadata,
    Column("nonce", LargeBinary(NONCE_BYTES), primary_key=True),
    Column("issued_at", Float, nullable=False, index=True),  # wall-clock seconds (survive a restart)
    Column("used", Boolean, nullable=False),
)


class PersistentNonceBook(NonceBook):
    """A :class:`NonceBook` in a database: issued and used nonces survive a restart.

    Every nonce is a row (nonce, issue time, used). :meth:`consume` marks it used in one
    atomic update that commits before the expiry is judged, so a nonce is accepted at most
    once whatever happens to the process. Rows are pruned ``2 * ttl_s`` after issue; a pruned
    nonce is then refused as unknown (it expired long before).

    Args:
        database: A path (SQLite file) or an SQLAlchemy URL.
        ttl_s: How long a nonce stays valid, in seconds.
        clock: Wall-clock seconds (a monotonic clock restarts with the process); tests pass a fake one.
    """

    def __init__(
        self, database: str | Path, ttl_s: float = DEFAULT_NONCE_TTL_S, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(ttl_s, clock=clock)
        self.engine = open_engine(database)
        _metadata.create_all(self.engine)

    def issue(self) -> bytes:
        """A fresh random nonce, committed before it is returned (see :meth:`NonceBook.issue`).

        Raises:
            InvalidInputError: if too many nonces are outstanding.
        """
        now = self._clock()
        nonce = secrets.token_bytes(NONCE_BYTES)
        with self.engine.begin() as connection:
            connection.execute(delete(_nonces_table).where(_nonces_table.c.issued_at < now - 2 * self.ttl_s))
            outstanding = connection.execute(
                select(func.count()).select_from(_nonces_table).where(_nonces_table.c.used.is_(False))
            ).scalar_one()
            if outstanding >= _MAX_OUTSTANDING:
                raise InvalidInputError(f"{_MAX_OUTSTANDING} nonces are outstanding; try again later")
            connection.execute(insert(_nonces_table).values(nonce=nonce, issued_at=now, used=False))
        return nonce

    def consume(self, nonce: bytes) -> None:
        """Use ``nonce`` up (committed), then judge its age (see :meth:`NonceBook.consume`).

        Raises:
            NonceReplayError: if it was already used.
            NonceExpiredError: if it was issued ``ttl_s`` seconds ago or more.
            UnknownNonceError: if this book never issued it (or pruned it long after it expired).
        """
        if not isinstance(nonce, bytes):
            raise InvalidInputError(f"a nonce is bytes, got {type(nonce).__name__}")
        now = self._clock()
        table = _nonces_table
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(table).where(table.c.nonce == nonce, table.c.used.is_(False)).values(used=True)
            ).rowcount
            issued_at = connection.execute(select(table.c.issued_at).where(table.c.nonce == nonce)).scalar_one_or_none()
        if issued_at is None:
            raise UnknownNonceError(f"nonce 0x{nonce.hex()} was not issued by this receiver")
        if taken != 1:
            raise NonceReplayError(f"nonce 0x{nonce.hex()} was already used: the quote is replayed")
        age = now - issued_at
        if age >= self.ttl_s:
            raise NonceExpiredError(
                f"nonce 0x{nonce.hex()} was issued {age:.1f} s ago; it expires after {self.ttl_s:g} s"
            )

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
