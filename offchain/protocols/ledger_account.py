"""A holder of a confidential ledger account: deposits, pays with decoys, withdraws.

Research: Zheng et al., "Scalable and Privacy-Preserving Data Sharing Based on Blockchain",
J. Comput. Sci. Technol. 33(3), 2018, §4.5 (transaction-information privacy). A payment of a
to a receiver sends, in one transaction, E(a) to the receiver, E(0) to each decoy and E(−a)
to the sender itself, every ciphertext with fresh randomness, so an observer of the chain sees
k + 1 balances change and cannot tell which of the k others was paid, nor how much.

**The anonymity-set rule** (§4.5): a sender who pays the same receiver again reuses the
anonymity set of its first payment to that receiver. Fresh decoys on every payment would let an
observer intersect the sets: the receiver is the one account in all of them.
:class:`AnonymitySetBook` keeps the sets (in a JSON file when given a path, written atomically)
and :meth:`LedgerAccount.pay` enforces the rule.

Caveat, as in the paper's semi-honest model: nothing proves that a sender's ciphertexts encrypt
a, 0 and −a, or that a ≤ its balance. The trustees' audit
(:meth:`~offchain.protocols.ledger_trustee.TrusteeBoard.audit`) finds balances that went out of
range, and withdrawals are paid only after t trustees decrypted the balance left.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from offchain.atomic_io import atomic_write_text
from offchain.chain.contracts import require_address, require_uint
from offchain.chain.ledger import (
    MAX_AMOUNT_WEI,
    MAX_SET_SIZE,
    BalanceUpdate,
    ConfidentialLedgerClient,
    LedgerTransfer,
    WithdrawalRequest,
)
from offchain.crypto.paillier import NoisePool, encrypt_raw
from offchain.crypto.threshold_paillier import ThresholdPublicKey
from offchain.errors import InvalidInputError

__all__ = ["AnonymitySetBook", "LedgerAccount"]

logger = logging.getLogger(__name__)

_BOOK_FORMAT = "datashare/anonymity-sets/v1"


class AnonymitySetBook:
    """The decoys a sender chose for each receiver on its first payment to it.

    Args:
        path: A JSON file to keep the sets in (read if it exists, rewritten atomically after
            each new set); in memory only when ``None``.

    Raises:
        InvalidInputError: The file exists but is not a book of anonymity sets.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._sets: dict[str, tuple[str, ...]] = {}
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text())
                if data.get("format") != _BOOK_FORMAT:
                    raise ValueError(f"format {data.get('format')!r}")
                self._sets = {
                    require_address(r, "receiver", nonzero=True): tuple(
                        require_address(d, "decoy", nonzero=True) for d in decoys
                    )
                    for r, decoys in data["sets"].items()
                }
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise InvalidInputError(f"{path} is not a book of anonymity sets: {exc}") from exc

    def decoys_for(self, receiver: str) -> tuple[str, ...] | None:
        """The decoys used with ``receiver`` before, or ``None`` if it was never paid."""
        return self._sets.get(require_address(receiver, "receiver", nonzero=True))

    def record(self, receiver: str, decoys: Sequence[str]) -> None:
        """Keep the decoys of the first payment to ``receiver`` (and save the book).

        Raises:
            InvalidInputError: ``receiver`` already has a set (the rule: it is reused, never replaced).
        """
        key = require_address(receiver, "receiver", nonzero=True)
        if key in self._sets:
            raise InvalidInputError(f"{key} already has an anonymity set: it is reused, never replaced")
        self._sets[key] = tuple(require_address(d, "decoy", nonzero=True) for d in decoys)
        if self.path is not None:
            text = json.dumps({"format": _BOOK_FORMAT, "sets": {r: list(d) for r, d in self._sets.items()}}, indent=2)
            atomic_write_text(self.path, text + "\n")

    def __len__(self) -> int:
        return len(self._sets)


class LedgerAccount:
    """An account on the ``ConfidentialLedger`` (§4.5).

    Args:
        account: The Brownie account that signs.
        ledger: The ledger client.
        public_key: The consortium's threshold key (the ledger's n).
        book: Where the anonymity sets are kept; a fresh in-memory book by default.
        pool: Optional precomputed r^n values, so that a payment's k + 1 encryptions are fast.

    Raises:
        InvalidInputError: The key is not the ledger's.
    """

    def __init__(
        self,
        account: Any,
        ledger: ConfidentialLedgerClient,
        public_key: ThresholdPublicKey,
        *,
        book: AnonymitySetBook | None = None,
        pool: NoisePool | None = None,
    ) -> None:
        if ledger.modulus != public_key.n:
            raise InvalidInputError("the threshold key is not the ledger's: their moduli differ")
        self.account = account
        self.address = require_address(account, "account", nonzero=True)
        self.ledger = ledger
        self.public_key = public_key
        self.book = book if book is not None else AnonymitySetBook()  # an empty book is falsy
        self._pool = pool

    def _encrypt(self, residue: int) -> int:
        noise = self._pool.take() if self._pool is not None else None
        return int(encrypt_raw(self.public_key.paillier, residue, noise))

    def deposit(self, amount_wei: int) -> BalanceUpdate:
        """Deposit ether (the chain adds E(amount) itself)."""
        return self.ledger.deposit(sender=self.account, amount_wei=amount_wei)

    def anonymity_set(self, receiver: Any, candidates: Sequence[Any], set_size: int | None) -> tuple[str, ...]:
        """The receiver and its decoys for a payment, under the anonymity-set rule.

        On the first payment to ``receiver``: ``set_size`` − 1 decoys drawn uniformly (from
        ``secrets``) among ``candidates`` other than this account and the receiver and not
        locked by a pending withdrawal, recorded in the book. Later: the recorded set, whatever
        the candidates (a payment then waits for a locked decoy's request to be decided). Decoys
        that already hold a balance make the cheapest transfer: the first write to an
        untouched account's slot costs ~17,000 gas more.

        Raises:
            InvalidInputError: Too few candidates, a size out of range, or a size other than
                the recorded set's.
        """
        target = require_address(receiver, "receiver", nonzero=True)
        if target == self.address:
            raise InvalidInputError("an account cannot pay itself")
        recorded = self.book.decoys_for(target)
        if recorded is not None:
            if set_size is not None and set_size != len(recorded) + 1:
                raise InvalidInputError(
                    f"{target} was first paid with an anonymity set of {len(recorded) + 1}; the rule reuses "
                    f"that set, so a set of {set_size} is refused"
                )
            logger.debug("reusing the anonymity set of %s", target)
            return (target, *recorded)
        size = require_uint(set_size, "set_size", low=1, high=MAX_SET_SIZE - 1)
        named = {require_address(c, "candidate", nonzero=True) for c in candidates} - {self.address, target}
        # an account with a pending withdrawal is locked: a transfer naming it would revert
        pool = sorted(c for c in named if self.ledger.pending_withdrawal(c) == 0)
        if len(pool) < size - 1:
            raise InvalidInputError(
                f"an anonymity set of {size} needs {size - 1} decoys, only {len(pool)} unlocked candidates"
            )
        rng = secrets.SystemRandom()
        decoys = tuple(sorted(rng.sample(pool, size - 1)))
        self.book.record(target, decoys)
        return (target, *decoys)

    def pay(
        self,
        receiver: Any,
        amount_wei: int,
        *,
        candidates: Sequence[Any] = (),
        set_size: int | None = None,
    ) -> LedgerTransfer:
        """Pay ``amount_wei`` to ``receiver`` hidden among decoys (§4.5).

        Args:
            receiver: Who is paid.
            amount_wei: How much, 1 .. 2^128 − 1.
            candidates: Accounts decoys may be drawn from (first payment to ``receiver`` only).
            set_size: Receiver plus decoys (the anonymity set's size k); on later payments to
                the same receiver, ``None`` or the recorded size.

        Returns:
            The mined transfer. The accounts go on chain sorted by address, so their order
            tells nothing.

        Raises:
            InvalidInputError: See :meth:`anonymity_set`; or a bad amount.
            TransactionRevertedError: E.g. a stale balance (retry) or a locked decoy.
        """
        amount = require_uint(amount_wei, "amount_wei", low=1, high=MAX_AMOUNT_WEI)
        members = self.anonymity_set(receiver, candidates, set_size)
        n = self.public_key.n
        deltas = {members[0]: self._encrypt(amount), self.address: self._encrypt(n - amount)}
        for decoy in members[1:]:
            deltas[decoy] = self._encrypt(0)
        accounts = sorted(deltas)
        return self.ledger.transfer(sender=self.account, accounts=accounts, deltas=[deltas[a] for a in accounts])

    def request_withdrawal(self, amount_wei: int) -> WithdrawalRequest:
        """Ask the trustees to pay out ``amount_wei`` (they check the balance left first)."""
        return self.ledger.request_withdrawal(sender=self.account, amount_wei=amount_wei)

    def withdraw(self) -> int:
        """Collect the ether the trustees released; returns the wei sent."""
        return self.ledger.withdraw(sender=self.account)
