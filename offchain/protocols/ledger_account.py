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

Beyond the paper's semi-honest model, every payment carries a zero-knowledge proof
(:mod:`offchain.crypto.transfer_proof`) that each account but the sender is credited a
non-negative amount and that the deltas sum to zero, bound to the transfer's on-chain context.
The payment is pending until t trustees checked that proof and that the sender's new balance is
non-negative (:meth:`~offchain.protocols.ledger_trustee.TrusteeBoard.review_transfer`);
:meth:`LedgerAccount.pay` returns the proof to hand them.

Credits from others' transfers land in the account's inbox; :meth:`LedgerAccount.fold_credits`
multiplies the settled ones into the balance. The account folds *every* settled credit, an
E(0) from being a decoy as much as a real payment, so that folding says nothing about who was paid.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.atomic_io import atomic_write_text
from offchain.chain.addresses import AddressLike, require_address, require_signer
from offchain.chain.contracts import require_uint
from offchain.chain.ledger import (
    MAX_AMOUNT_WEI,
    MAX_FOLD,
    MAX_SET_SIZE,
    BalanceUpdate,
    ConfidentialLedgerClient,
    LedgerTransfer,
    TransferState,
    WithdrawalRequest,
)
from offchain.crypto.threshold_paillier import ThresholdPublicKey
from offchain.crypto.transfer_proof import TransferProof, TransferStatement, make_deltas, prove_transfer
from offchain.errors import ChainError, InvalidInputError
from offchain.validation import parse_json

__all__ = ["AnonymitySetBook", "LedgerAccount", "PendingPayment"]

logger = logging.getLogger(__name__)

_BOOK_FORMAT = "datashare/anonymity-sets/v1"


class AnonymitySetBook:
    """The decoys a sender chose for each receiver on its first payment to it.

    The JSON file is clear text: with the anonymity sets on chain it tells whoever reads it
    whom the account paid. Where that matters (anything but a demonstration), keep the book in
    a :class:`~offchain.protocols.ledger_state.LedgerState`, which seals it under a key from the
    encrypted keystore (``state.book(account, book_key(keystore, account))``), as the
    ``datashare ledger`` commands do.

    Args:
        path: A JSON file to keep the sets in, in the clear (read if it exists, rewritten
            atomically after each new set); in memory only when ``None``.

    Raises:
        InvalidInputError: The file exists but cannot be read or is not a book of anonymity sets.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._sets: dict[str, tuple[str, ...]] = {}
        if path is not None and path.exists():
            try:
                data = parse_json(path.read_text())
                if data.get("format") != _BOOK_FORMAT:
                    raise ValueError(f"format {data.get('format')!r}")
                self._sets = {
                    require_address(r, "receiver", nonzero=True): tuple(
                        require_address(d, "decoy", nonzero=True) for d in decoys
                    )
                    for r, decoys in data["sets"].items()
                }
            except (ValueError, KeyError, TypeError, AttributeError) as exc:  # ValueError: also not UTF-8
                raise InvalidInputError(f"{path} is not a book of anonymity sets: {exc}") from exc
            except OSError as exc:
                raise InvalidInputError(f"cannot read the book of anonymity sets {path}: {exc.strerror}") from None

    def decoys_for(self, receiver: AddressLike) -> tuple[str, ...] | None:
        """The decoys used with ``receiver`` before, or ``None`` if it was never paid."""
        return self._sets.get(require_address(receiver, "receiver", nonzero=True))

    def record(self, receiver: AddressLike, decoys: Sequence[AddressLike]) -> None:
        """Keep the decoys of the first payment to ``receiver`` (and save the book).

        Raises:
            InvalidInputError: ``receiver`` or a decoy is not an address, or ``receiver`` already has
                a set (the rule: it is reused, never replaced).
        """
        key = require_address(receiver, "receiver", nonzero=True)
        if isinstance(decoys, str | bytes) or not isinstance(decoys, Sequence):
            raise InvalidInputError(f"decoys must be a sequence of addresses, got {type(decoys).__name__}")
        if key in self._sets:
            raise InvalidInputError(f"{key} already has an anonymity set: it is reused, never replaced")
        self._sets[key] = tuple(require_address(d, "decoy", nonzero=True) for d in decoys)
        if self.path is not None:
            text = json.dumps({"format": _BOOK_FORMAT, "sets": {r: list(d) for r, d in self._sets.items()}}, indent=2)
            atomic_write_text(self.path, text + "\n")

    def __len__(self) -> int:
        return len(self._sets)


@dataclass(frozen=True)
class PendingPayment:
    """A payment as submitted: the mined transfer and the proof the trustees need to settle it.

    Attributes:
        transfer: The transfer as mined (pending).
        proof: Its zero-knowledge proof; hand it to the trustees
            (:meth:`~offchain.protocols.ledger_trustee.TrusteeBoard.review_transfer`). Its
            keccak256 is the ``proof_hash`` the transfer committed to on chain.
        proving_s: Seconds spent building the deltas and the proof.
    """

    transfer: LedgerTransfer
    proof: TransferProof
    proving_s: float


class LedgerAccount:
    """An account on the ``ConfidentialLedger`` (§4.5).

    Args:
        account: The signer (a Brownie account or an ``eth_account`` key, see
            :func:`~offchain.chain.addresses.require_signer`).
        ledger: The ledger client.
        public_key: The consortium's threshold key (the ledger's n).
        book: Where the anonymity sets are kept; a fresh in-memory book by default.

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
    ) -> None:
        if ledger.modulus != public_key.n:
            raise InvalidInputError("the threshold key is not the ledger's: their moduli differ")
        self.account = require_signer(account, "account")
        self.address = require_address(self.account, "account", nonzero=True)
        self.ledger = ledger
        self.public_key = public_key
        self.book = book if book is not None else AnonymitySetBook()  # an empty book is falsy

    def fold_credits(self) -> tuple[BalanceUpdate, ...]:
        """Fold every settled credit into the balance, :data:`MAX_FOLD` per transaction.

        Verified credits add to the balance; those of rejected or cancelled transfers are
        dropped. Credits of transfers still pending stay. Zero credits (decoy ones) are folded
        like the others, so a fold does not tell a receiver from a decoy.
        """
        settled = [c for c in self.ledger.credits_to(self.address) if c.state is not TransferState.PENDING]
        updates = []
        for start in range(0, len(settled), MAX_FOLD):
            updates.append(self.ledger.fold(sender=self.account, credits=settled[start : start + MAX_FOLD]))
        return tuple(updates)

    def deposit(self, amount_wei: int) -> BalanceUpdate:
        """Deposit ether (the chain adds E(amount) itself)."""
        return self.ledger.deposit(sender=self.account, amount_wei=amount_wei)

    def anonymity_set(
        self, receiver: AddressLike, candidates: Sequence[AddressLike], set_size: int | None
    ) -> tuple[str, ...]:
        """The receiver and its decoys for a payment, under the anonymity-set rule.

        On the first payment to ``receiver``: ``set_size`` − 1 decoys drawn uniformly (from
        ``secrets``) among ``candidates`` other than this account and the receiver, recorded in
        the book. Later: the recorded set, whatever the candidates. A transfer writes credits
        and never touches another account's balance, so locked or frozen accounts serve as
        decoys as well as any.

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
        pool = sorted({require_address(c, "candidate", nonzero=True) for c in candidates} - {self.address, target})
        if len(pool) < size - 1:
            raise InvalidInputError(f"an anonymity set of {size} needs {size - 1} decoys, only {len(pool)} candidates")
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
        on_proved: Callable[[TransferProof], None] | None = None,
    ) -> PendingPayment:
        """Pay ``amount_wei`` to ``receiver`` hidden among decoys, with a proof (§4.5).

        Settled credits are folded first, so the balance the trustees check includes them.

        Args:
            receiver: Who is paid.
            amount_wei: How much, 1 .. 2^128 − 1.
            candidates: Accounts decoys may be drawn from (first payment to ``receiver`` only).
            set_size: Receiver plus decoys (the anonymity set's size k); on later payments to
                the same receiver, ``None`` or the recorded size.
            on_proved: Called with the proof once it is made, before the transfer is sent: a
                caller that persists it there loses no proof in a crash while the transfer is
                mined (see :meth:`offchain.protocols.ledger_state.LedgerState.keep_proof`).

        Returns:
            The pending transfer and its proof, for the trustees. The accounts go on chain
            sorted by address, so their order tells nothing.

        Raises:
            InvalidInputError: See :meth:`anonymity_set`; or a bad amount.
            ChainError: The contract bound the transfer to another context than the one proved
                (the sender's balance or nonce changed between proving and mining).
            TransactionRevertedError: E.g. the account is locked by a pending transfer or withdrawal.
        """
        amount = require_uint(amount_wei, "amount_wei", low=1, high=MAX_AMOUNT_WEI)
        members = self.anonymity_set(receiver, candidates, set_size)
        self.fold_credits()
        started = time.perf_counter()
        accounts = sorted({*members, self.address})
        sender_index = accounts.index(self.address)
        credits = [amount if a == members[0] else 0 for a in accounts]
        deltas, opening = make_deltas(self.public_key.n, credits, sender_index)
        context = self.ledger.proof_context(sender=self.address, accounts=accounts, deltas=deltas)
        proof = prove_transfer(TransferStatement(self.public_key.n, context, deltas, sender_index), opening)
        proving_s = time.perf_counter() - started
        if on_proved is not None:
            on_proved(proof)
        transfer = self.ledger.transfer(
            sender=self.account, accounts=accounts, deltas=deltas, proof_hash=proof.digest()
        )
        if transfer.proof_context != context:
            raise ChainError("the ledger bound the transfer to another context than the one proved: retry")
        logger.info(
            "transfer %s submitted over %d accounts (proof %.0f ms)",
            transfer.transfer_id,
            len(accounts),
            1000 * proving_s,
        )
        return PendingPayment(transfer, proof, proving_s)

    def request_withdrawal(self, amount_wei: int) -> WithdrawalRequest:
        """Ask the trustees to pay out ``amount_wei`` (they check the balance left first).

        Settled credits are folded first, so that they count.
        """
        self.fold_credits()
        return self.ledger.request_withdrawal(sender=self.account, amount_wei=amount_wei)

    def withdraw(self) -> int:
        """Collect the ether the trustees released; returns the wei sent."""
        return self.ledger.withdraw(sender=self.account)
