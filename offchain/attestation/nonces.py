"""The receiver's nonces: issued by the receiver, single use, expiring (Peng et al., step (2)).

A quote is fresh only if its nonce is one this receiver issued, has not been used, and was
issued less than ``ttl_s`` seconds ago; :meth:`NonceBook.consume` checks all three and uses the
nonce up, whatever the rest of the verification then finds (a device asks for a new nonce per
attempt). The book is in memory: a receiver that restarts forgets its outstanding nonces, which
only makes devices ask again.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

from offchain.attestation.errors import NonceExpiredError, NonceReplayError, UnknownNonceError
from offchain.errors import InvalidInputError

__all__ = ["DEFAULT_NONCE_TTL_S", "NONCE_BYTES", "NonceBook"]

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
