"""The confidential ledger's persisted role state: the accounts' books and the trustees' journal.

Research: Zheng et al., "Scalable and Privacy-Preserving Data Sharing Based on Blockchain",
J. Comput. Sci. Technol. 33(3), 2018, §4.5. A sender must reuse, for every later payment to a
receiver, the anonymity set of its first payment to it (:class:`~offchain.protocols.ledger_account.AnonymitySetBook`):
a book lost in a restart would draw fresh decoys and let an observer intersect the sets. The
trustees review each pending transfer and withdrawal once (§4.5 and
:mod:`offchain.protocols.ledger_trustee`); a trustee process that restarts must neither lose a
review it was handed nor review one twice. This module keeps both in a database (issue 17),
and the trustees' key shares in the encrypted keystore (:mod:`offchain.keystore`), never in the
database.

Storage: SQLAlchemy 2.x Core through :func:`offchain.database.open_state`: an SQLite file by
default, any SQLAlchemy URL otherwise (e.g. PostgreSQL). Tables, versioned by the
``ledger_schema_migrations`` table (:class:`~offchain.database.SchemaMigrations`):

* ``ledger_keys`` ledger → its threshold public key (public: n and the verification keys);
* ``ledger_sealed_sets`` (ledger, account, tag) → sealed set: an account's book, sealed under
  the account's book key (below); ``ledger_book_keys`` (ledger, account) → a check value of
  that key; ``ledger_anonymity_sets``, the clear-text book of schema version 1, is sealed into
  the new table and emptied the first time the account opens its book with its key;
* ``ledger_proofs`` (ledger, digest) → account, proof: a proof made and about to be sent, kept
  until its transfer is recorded in ``ledger_payments`` (the write-ahead record of a payment);
* ``ledger_payments`` (ledger, transfer_id) → account, the anonymity set, the transfer proof
  (public: its keccak256 is on chain, the trustees need it), when submitted, the verdict once
  known: the payments an account made and still has to hand over or see settled;
* ``ledger_withdrawals`` (ledger, request_id) → account, amount (public on chain), state;
* ``ledger_reviews`` (ledger, kind, item_id) → the proof to check, ``pending`` or ``done``, the
  verdict and its detail: the trustees' journal.

The book is sealed. In the clear it would name, per receiver, the decoys it was hidden among,
and with the anonymity set (public on chain) the receiver: whoever read the database would
learn whom the account paid. Each row is therefore keyed by tag = HMAC-SHA256(k, ledger ‖
receiver) and holds AES-256-GCM(k, {receiver, decoys}) with the ledger, account and tag as
associated data, k being a 32-byte book key the account keeps in its encrypted keystore
(:func:`book_key`). A reader of the database learns how many receivers the account has paid and
when each was first paid, not who they are; a row moved to another account, another ledger or
another tag fails its check (:class:`~offchain.errors.IntegrityError`); a book opened with
another key is refused rather than read as empty, since an empty book would draw fresh decoys
and let an observer intersect the sets. Amounts paid are never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.ledger import ConfidentialLedgerClient, TransferState, WithdrawalState
from offchain.crypto import threshold_paillier as tp
from offchain.crypto.transfer_proof import TransferProof
from offchain.database import Migration, RoleState, SchemaMigrations
from offchain.errors import AccessDeniedError, IntegrityError, InvalidInputError, UnknownSecretError
from offchain.keystore import Keystore
from offchain.protocols.ledger_account import AnonymitySetBook, PendingPayment
from offchain.protocols.ledger_trustee import TransferReview, TrusteeBoard, WithdrawalReview
from offchain.validation import parse_json

__all__ = [
    "SCHEMA",
    "LedgerState",
    "PaymentRecord",
    "ReviewRecord",
    "StoredAnonymitySetBook",
    "book_key",
    "key_share",
    "key_share_name",
    "seal_key_share",
]

logger = logging.getLogger(__name__)

_metadata = MetaData()

sets_table = Table(
    "ledger_anonymity_sets",
    _metadata,
    Column("ledger", String(42), primary_key=True),
    Column("account", String(42), primary_key=True),
    Column("receiver", String(42), primary_key=True),
    Column("decoys", Text, nullable=False),  # a JSON list of checksummed addresses
    Column("recorded_at", BigInteger, nullable=False),
)

payments_table = Table(
    "ledger_payments",
    _metadata,
    Column("ledger", String(42), primary_key=True),
    Column("transfer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("account", String(42), nullable=False, index=True),
    Column("accounts", Text, nullable=False),  # the anonymity set as on chain (JSON list)
    Column("proof", LargeBinary, nullable=False),
    Column("submitted_at", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),  # a TransferState name, lower case
)

withdrawals_table = Table(
    "ledger_withdrawals",
    _metadata,
    Column("ledger", String(42), primary_key=True),
    Column("request_id", BigInteger, primary_key=True, autoincrement=False),
    Column("account", String(42), nullable=False, index=True),
    Column("amount_wei", String(80), nullable=False),  # up to 2^128: beyond BIGINT
    Column("requested_at", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),  # a WithdrawalState name, lower case
)

reviews_table = Table(
    "ledger_reviews",
    _metadata,
    Column("ledger", String(42), primary_key=True),
    Column("kind", String(16), primary_key=True),  # "transfer" or "withdrawal"
    Column("item_id", BigInteger, primary_key=True, autoincrement=False),
    Column("proof", LargeBinary, nullable=True),  # transfers only
    Column("status", String(8), nullable=False),  # "pending" or "done"
    Column("accepted", Boolean, nullable=True),
    Column("detail", Text, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("reviewed_at", BigInteger, nullable=True),
)

sealed_sets_table = Table(
    "ledger_sealed_sets",
    _metadata,
    Column("ledger", String(42), primary_key=True),
    Column("account", String(42), primary_key=True),
    Column("tag", LargeBinary(32), primary_key=True),  # HMAC-SHA256(book key, ledger ‖ receiver)
    Column("sealed", LargeBinary, nullable=False),  # nonce ‖ AES-256-GCM({receiver, decoys})
    Column("recorded_at", BigInteger, nullable=False),
)

book_keys_table = Table(
    "ledger_book_keys",
    _metadata,
    Column("ledger", String(42), primary_key=True),
    Column("account", String(42), primary_key=True),
    Column("check_value", LargeBinary(32), nullable=False),  # HMAC-SHA256(book key, "check" ‖ ledger ‖ account)
)

keys_table = Table(
    "ledger_keys",
    _metadata,
    Column("ledger", String(42), primary_key=True),
    Column("public_key", Text, nullable=False),  # ThresholdPublicKey.to_json(): public
)

proofs_table = Table(
    "ledger_proofs",
    _metadata,
    Column("ledger", String(42), primary_key=True),
    Column("digest", LargeBinary(32), primary_key=True),  # keccak256: the transfer's proofHash
    Column("account", String(42), nullable=False, index=True),
    Column("proof", LargeBinary, nullable=False),
    Column("proved_at", BigInteger, nullable=False),
)

_TABLES = (keys_table, sets_table, proofs_table, payments_table, withdrawals_table, reviews_table)


_SEALED_TABLES = (sealed_sets_table, book_keys_table)


def _migration_1(connection: Connection) -> None:
    _metadata.create_all(connection, tables=list(_TABLES))


def _migration_2(connection: Connection) -> None:
    _metadata.create_all(connection, tables=list(_SEALED_TABLES))


MIGRATIONS: tuple[Migration, ...] = (
    (1, "ledger books, payments, withdrawals and reviews", _migration_1),
    (2, "sealed anonymity-set books", _migration_2),
)

#: The ledger roles' schema (version table ``ledger_schema_migrations``).
SCHEMA = SchemaMigrations("ledger_schema_migrations", MIGRATIONS, [t.name for t in (*_TABLES, *_SEALED_TABLES)])

#: Keystore name prefix of the accounts' book keys (:func:`book_key`).
BOOK_KEY_PREFIX = "ledger/book-key/"
_BOOK_AAD = b"datashare ledger anonymity-set book v1"

TRANSFER = "transfer"
WITHDRAWAL = "withdrawal"


@dataclass(frozen=True)
class PaymentRecord:
    """A payment an account submitted (a row of ``ledger_payments``).

    Attributes:
        transfer_id: The transfer on chain.
        account: The payer.
        accounts: The anonymity set as on chain (sorted, the payer included).
        proof: The serialised transfer proof the trustees check.
        state: The last known state (``pending``, ``verified``, ``rejected``, ``cancelled``).
    """

    transfer_id: int
    account: str
    accounts: tuple[str, ...]
    proof: bytes
    state: str


@dataclass(frozen=True)
class ReviewRecord:
    """A review the trustees were handed (a row of ``ledger_reviews``).

    Attributes:
        kind: ``transfer`` or ``withdrawal``.
        item_id: The transfer or request id.
        proof: The transfer's proof (``None`` for a withdrawal).
        status: ``pending`` until decided, then ``done``.
        accepted: The verdict once done.
        detail: Why it was rejected, or the state reached.
    """

    kind: str
    item_id: int
    proof: bytes | None
    status: str
    accepted: bool | None
    detail: str


class LedgerState(RoleState):
    """The ledger roles' state for one ``ConfidentialLedger`` in a SQL database.

    An account and a trustee board may share a database or each have its own; a new object
    on the same database continues where the last one stopped.

    Args:
        database: A path (an SQLite file, created with its folder) or an SQLAlchemy URL.
        ledger: The ledger's address (rows are keyed by it, so one database serves several).
        engine_options: Extra keyword arguments for :func:`sqlalchemy.create_engine`.

    Raises:
        StateSchemaError: if the database's schema is newer than this code, or unrecognised.
        StorageError: if the database cannot be reached or migrated.
    """

    schema = SCHEMA

    def __init__(
        self, database: str | Path, ledger: AddressLike, *, engine_options: dict[str, object] | None = None
    ) -> None:
        self.ledger = require_address(ledger, "ledger", nonzero=True)
        super().__init__(database, engine_options=engine_options)

    def __repr__(self) -> str:
        return f"LedgerState({self.url!r}, ledger={self.ledger})"

    # ---- the ledger's public key ---------------------------------------------------------------

    def set_public_key(self, public_key: tp.ThresholdPublicKey) -> None:
        """Keep the ledger's threshold public key (replacing none: a ledger has one key).

        Raises:
            InvalidInputError: another key is kept for this ledger.
        """
        kept = self.public_key()
        if kept is not None:
            if kept != public_key:
                raise InvalidInputError(f"{self.ledger} already has another public key in {self.url}")
            return
        with self.engine.begin() as connection:
            connection.execute(insert(keys_table).values(ledger=self.ledger, public_key=public_key.to_json()))

    def public_key(self) -> tp.ThresholdPublicKey | None:
        """The ledger's threshold public key, if kept."""
        with self.engine.connect() as connection:
            text = connection.execute(
                select(keys_table.c.public_key).where(keys_table.c.ledger == self.ledger)
            ).scalar_one_or_none()
        return None if text is None else tp.ThresholdPublicKey.from_json(str(text))

    # ---- anonymity sets ------------------------------------------------------------------------

    def book(self, account: AddressLike, key: bytes) -> StoredAnonymitySetBook:
        """``account``'s book of anonymity sets, kept in this database sealed under ``key``.

        Args:
            account: The paying account.
            key: Its 32-byte book key (:func:`book_key`).

        Raises:
            InvalidInputError: ``key`` is not 32 bytes.
            AccessDeniedError: the account's book was sealed under another key.
        """
        return StoredAnonymitySetBook(self, account, key)

    def _open_book(self, account: str, key: bytes) -> None:
        """Check ``key`` against the account's book (recording it on first use) and seal any
        clear-text rows of schema version 1 under it, in one transaction."""
        check = hmac.new(key, b"check" + self.ledger.encode() + account.encode(), hashlib.sha256).digest()
        where = (book_keys_table.c.ledger == self.ledger, book_keys_table.c.account == account)
        legacy_where = (sets_table.c.ledger == self.ledger, sets_table.c.account == account)
        with self.engine.begin() as connection:
            kept = connection.execute(select(book_keys_table.c.check_value).where(*where)).scalar_one_or_none()
            if kept is None:
                connection.execute(
                    insert(book_keys_table).values(ledger=self.ledger, account=account, check_value=check)
                )
            elif not hmac.compare_digest(bytes(kept), check):
                raise AccessDeniedError(
                    f"{account}'s book of anonymity sets in {self.url} was sealed under another key: "
                    "open it with the keystore it was made with"
                )
            legacy = connection.execute(select(sets_table).where(*legacy_where)).mappings().all()
            if not legacy:
                return
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA secure_delete = ON")  # no clear text left in free pages
            for row in legacy:
                receiver = str(row["receiver"])
                tag = self._tag(key, receiver)
                connection.execute(
                    insert(sealed_sets_table).values(
                        ledger=self.ledger, account=account, tag=tag,
                        sealed=self._seal(key, account, tag, receiver, parse_json(row["decoys"])),
                        recorded_at=int(row["recorded_at"]),
                    )
                )  # fmt: skip
            connection.execute(delete(sets_table).where(*legacy_where))
            logger.info("sealed %d clear-text anonymity sets of %s under its book key", len(legacy), account)

    def _tag(self, key: bytes, receiver: str) -> bytes:
        return hmac.new(key, b"receiver" + self.ledger.encode() + receiver.encode(), hashlib.sha256).digest()

    def _aad(self, account: str, tag: bytes) -> bytes:
        return _BOOK_AAD + self.ledger.encode() + account.encode() + tag

    def _seal(self, key: bytes, account: str, tag: bytes, receiver: str, decoys: Sequence[str]) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        plain = json.dumps({"receiver": receiver, "decoys": list(decoys)}).encode()
        return nonce + AESGCM(key).encrypt(nonce, plain, self._aad(account, tag))

    def _unseal(self, key: bytes, account: str, tag: bytes, receiver: str, sealed: bytes) -> tuple[str, ...]:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            data = parse_json(AESGCM(key).decrypt(sealed[:12], sealed[12:], self._aad(account, tag)))
            if data["receiver"] != receiver:
                raise ValueError("another receiver")
            return tuple(require_address(d, "decoy", nonzero=True) for d in data["decoys"])
        except (InvalidTag, ValueError, KeyError, TypeError) as exc:
            raise IntegrityError(
                f"the anonymity set of {account} for {receiver} in {self.url} does not open under its book key: "
                "the row was altered or moved"
            ) from exc

    def decoys_for(self, account: AddressLike, receiver: AddressLike, key: bytes) -> tuple[str, ...] | None:
        """The decoys ``account`` used with ``receiver``, or ``None`` if it never paid it.

        Raises:
            IntegrityError: the sealed row does not open (altered, or moved from another row).
        """
        owner = require_address(account, "account", nonzero=True)
        target = require_address(receiver, "receiver", nonzero=True)
        tag = self._tag(key, target)
        with self.engine.connect() as connection:
            sealed = connection.execute(
                select(sealed_sets_table.c.sealed).where(*self._set_key(owner, tag))
            ).scalar_one_or_none()
        return None if sealed is None else self._unseal(key, owner, tag, target, bytes(sealed))

    def record_set(self, account: AddressLike, receiver: AddressLike, decoys: Sequence[str], key: bytes) -> None:
        """Keep, sealed, the decoys of ``account``'s first payment to ``receiver`` (committed at once).

        Raises:
            InvalidInputError: ``receiver`` already has a set (it is reused, never replaced).
        """
        owner = require_address(account, "account", nonzero=True)
        target = require_address(receiver, "receiver", nonzero=True)
        tag = self._tag(key, target)
        row = {"ledger": self.ledger, "account": owner, "tag": tag}
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(sealed_sets_table).values(
                        **row, sealed=self._seal(key, owner, tag, target, decoys), recorded_at=int(time.time())
                    )
                )
        except SqlIntegrityError:
            raise InvalidInputError(f"{target} already has an anonymity set: it is reused, never replaced") from None

    def set_count(self, account: AddressLike) -> int:
        """How many receivers ``account`` has a set for."""
        owner = require_address(account, "account", nonzero=True)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(sealed_sets_table.c.tag).where(
                    sealed_sets_table.c.ledger == self.ledger, sealed_sets_table.c.account == owner
                )
            ).all()
        return len(rows)

    def _set_key(self, account: str, tag: bytes) -> tuple[ColumnElement[bool], ...]:
        return (
            sealed_sets_table.c.ledger == self.ledger,
            sealed_sets_table.c.account == account,
            sealed_sets_table.c.tag == tag,
        )

    # ---- an account's payments and withdrawals ------------------------------------------------

    def keep_proof(self, account: AddressLike, proof: TransferProof) -> None:
        """Keep a proof before its transfer is sent (:meth:`LedgerAccount.pay`'s ``on_proved``)."""
        with self.engine.begin() as connection:
            connection.execute(
                insert(proofs_table).values(
                    ledger=self.ledger,
                    digest=proof.digest(),
                    account=require_address(account, "account", nonzero=True),
                    proof=proof.to_bytes(),
                    proved_at=int(time.time()),
                )
            )

    def kept_proofs(self, account: AddressLike) -> tuple[bytes, ...]:
        """The proofs ``account`` made whose transfer is not recorded (serialised)."""
        owner = require_address(account, "account", nonzero=True)
        with self.engine.connect() as connection:
            proofs: list[bytes] = list(
                connection.execute(
                    select(proofs_table.c.proof).where(
                        proofs_table.c.ledger == self.ledger, proofs_table.c.account == owner
                    )
                ).scalars()
            )
        return tuple(bytes(p) for p in proofs)

    def recover_payments(self, ledger: ConfidentialLedgerClient, account: AddressLike) -> tuple[int, ...]:
        """Record the transfer a crash left unrecorded: run when the account starts.

        A kept proof whose digest is the proof hash of ``account``'s pending transfer becomes that
        payment; the others were never sent (or their transfer is no longer pending) and are
        dropped. Returns the transfer ids recorded now.
        """
        owner = require_address(account, "account", nonzero=True)
        kept = self.kept_proofs(owner)
        if not kept:
            return ()
        pending = ledger.pending_transfer(owner)
        submitted = ledger.submitted_transfer(pending) if pending else None
        recorded = []
        for raw in kept:
            proof = TransferProof.from_bytes(raw)
            if submitted is not None and submitted.proof_hash == proof.digest() and self.payment(pending) is None:
                self.add_payment(PendingPayment(submitted, proof, 0.0))
                logger.warning("recorded transfer %d, sent before a crash", pending)
                recorded.append(pending)
            else:
                self._drop_proof(proof.digest())
        return tuple(recorded)

    def _drop_proof(self, digest: bytes, connection: Connection | None = None) -> None:
        where = delete(proofs_table).where(proofs_table.c.ledger == self.ledger, proofs_table.c.digest == digest)
        if connection is not None:
            connection.execute(where)
            return
        with self.engine.begin() as own:
            own.execute(where)

    def add_payment(self, payment: PendingPayment) -> PaymentRecord:
        """Keep a submitted payment and its proof until the trustees settle it (the proof kept
        before sending, if any, is cleared in the same transaction)."""
        transfer = payment.transfer
        record = PaymentRecord(
            transfer_id=transfer.transfer_id,
            account=require_address(transfer.sender, "sender", nonzero=True),
            accounts=tuple(transfer.accounts),
            proof=payment.proof.to_bytes(),
            state=TransferState.PENDING.name.lower(),
        )
        with self.engine.begin() as connection:
            connection.execute(
                insert(payments_table).values(
                    ledger=self.ledger,
                    transfer_id=record.transfer_id,
                    account=record.account,
                    accounts=json.dumps(list(record.accounts)),
                    proof=record.proof,
                    submitted_at=int(time.time()),
                    state=record.state,
                )
            )
            self._drop_proof(payment.proof.digest(), connection)
        return record

    def payment(self, transfer_id: int) -> PaymentRecord | None:
        """The payment kept for ``transfer_id``, or ``None``."""
        row = self.first_row(
            select(payments_table).where(
                payments_table.c.ledger == self.ledger, payments_table.c.transfer_id == transfer_id
            )
        )
        if row is None:
            return None
        return PaymentRecord(
            transfer_id=int(row["transfer_id"]),
            account=str(row["account"]),
            accounts=tuple(parse_json(row["accounts"])),
            proof=row["proof"],
            state=str(row["state"]),
        )

    def payments(self, account: AddressLike, *, state: str | None = None) -> tuple[PaymentRecord, ...]:
        """``account``'s payments, oldest first (only those in ``state`` when given)."""
        owner = require_address(account, "account", nonzero=True)
        query = select(payments_table.c.transfer_id).where(
            payments_table.c.ledger == self.ledger, payments_table.c.account == owner
        )
        if state is not None:
            query = query.where(payments_table.c.state == state)
        with self.engine.connect() as connection:
            ids: list[int] = list(connection.execute(query.order_by(payments_table.c.transfer_id)).scalars())
        return tuple(p for p in (self.payment(int(i)) for i in ids) if p is not None)

    def set_payment_state(self, transfer_id: int, state: TransferState) -> None:
        """Record the state a payment reached on chain."""
        with self.engine.begin() as connection:
            connection.execute(
                update(payments_table)
                .where(payments_table.c.ledger == self.ledger, payments_table.c.transfer_id == transfer_id)
                .values(state=state.name.lower())
            )

    def add_withdrawal(self, request_id: int, account: AddressLike, amount_wei: int) -> None:
        """Keep a withdrawal request until the trustees decide and the ether is collected."""
        with self.engine.begin() as connection:
            connection.execute(
                insert(withdrawals_table).values(
                    ledger=self.ledger,
                    request_id=request_id,
                    account=require_address(account, "account", nonzero=True),
                    amount_wei=str(amount_wei),
                    requested_at=int(time.time()),
                    state=WithdrawalState.PENDING.name.lower(),
                )
            )

    def withdrawals(self, account: AddressLike) -> tuple[tuple[int, int, str], ...]:
        """``account``'s requests as (request id, amount in wei, last known state), oldest first."""
        owner = require_address(account, "account", nonzero=True)
        with self.engine.connect() as connection:
            rows = (
                connection.execute(
                    select(withdrawals_table)
                    .where(withdrawals_table.c.ledger == self.ledger, withdrawals_table.c.account == owner)
                    .order_by(withdrawals_table.c.request_id)
                )
                .mappings()
                .all()
            )
        return tuple((int(r["request_id"]), int(r["amount_wei"]), str(r["state"])) for r in rows)

    def set_withdrawal_state(self, request_id: int, state: WithdrawalState | str) -> None:
        """Record the state a request reached (``collected`` once its ether was withdrawn)."""
        name = state if isinstance(state, str) else state.name.lower()
        with self.engine.begin() as connection:
            connection.execute(
                update(withdrawals_table)
                .where(withdrawals_table.c.ledger == self.ledger, withdrawals_table.c.request_id == request_id)
                .values(state=name)
            )

    # ---- the trustees' journal ----------------------------------------------------------------

    def receive(
        self, kind: str, item_id: int, proof: bytes | None = None, *, replace_proof: bool = False
    ) -> ReviewRecord:
        """Journal a review to do (committed at once); the existing entry if it was journaled before.

        ``replace_proof``: a pending transfer journaled with another proof takes ``proof`` instead
        (the caller checked that ``proof`` is the one committed on chain, so the journaled one is not).

        Raises:
            InvalidInputError: ``kind`` is neither ``transfer`` nor ``withdrawal``, or a transfer
                comes without its proof, or (without ``replace_proof``) with another proof than
                the one journaled.
        """
        if kind not in (TRANSFER, WITHDRAWAL):
            raise InvalidInputError(f"a review is of a transfer or a withdrawal, got {kind!r}")
        if kind == TRANSFER and not proof:
            raise InvalidInputError("a transfer's review needs its proof")
        existing = self.review(kind, item_id)
        if existing is not None:
            if kind == TRANSFER and existing.status == "pending" and existing.proof != proof:
                if not replace_proof:
                    raise InvalidInputError(f"transfer {item_id} was handed over with another proof, still pending")
                logger.warning("transfer %d: the journaled proof is not the committed one; replaced", item_id)
                self._update_review(kind, item_id, proof=proof)
                return self.review(kind, item_id) or existing
            return existing
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(reviews_table).values(
                        ledger=self.ledger,
                        kind=kind,
                        item_id=item_id,
                        proof=proof if kind == TRANSFER else None,
                        status="pending",
                        accepted=None,
                        detail="",
                        received_at=int(time.time()),
                        reviewed_at=None,
                    )
                )
        except SqlIntegrityError:  # another process journaled it meanwhile
            pass
        found = self.review(kind, item_id)
        assert found is not None
        return found

    def review(self, kind: str, item_id: int) -> ReviewRecord | None:
        """The journal's entry for a transfer or withdrawal, or ``None``."""
        row = self.first_row(
            select(reviews_table).where(
                reviews_table.c.ledger == self.ledger, reviews_table.c.kind == kind, reviews_table.c.item_id == item_id
            )
        )
        if row is None:
            return None
        return ReviewRecord(
            kind=str(row["kind"]),
            item_id=int(row["item_id"]),
            proof=row["proof"],
            status=str(row["status"]),
            accepted=row["accepted"],
            detail=str(row["detail"]),
        )

    def pending_reviews(self) -> tuple[ReviewRecord, ...]:
        """The reviews journaled and not yet done (transfers first, each by id)."""
        with self.engine.connect() as connection:
            keys = (
                connection.execute(
                    select(reviews_table.c.kind, reviews_table.c.item_id)
                    .where(reviews_table.c.ledger == self.ledger, reviews_table.c.status == "pending")
                    .order_by(reviews_table.c.kind, reviews_table.c.item_id)
                )
                .mappings()
                .all()
            )
        found = (self.review(str(k["kind"]), int(k["item_id"])) for k in keys)
        return tuple(r for r in found if r is not None)

    def finish(self, kind: str, item_id: int, *, accepted: bool, detail: str) -> None:
        """Mark a journaled review done with its verdict."""
        self._update_review(
            kind, item_id, status="done", accepted=accepted, detail=detail, reviewed_at=int(time.time())
        )

    def _update_review(self, kind: str, item_id: int, **values: Any) -> None:
        """Set ``values`` in the journal's entry of a transfer or withdrawal (committed)."""
        with self.engine.begin() as connection:
            connection.execute(
                update(reviews_table)
                .where(
                    reviews_table.c.ledger == self.ledger,
                    reviews_table.c.kind == kind,
                    reviews_table.c.item_id == item_id,
                )
                .values(**values)
            )

    def review_transfer(self, board: TrusteeBoard, transfer_id: int, proof: bytes) -> ReviewRecord:
        """Journal, then review a transfer with ``board`` unless it was decided already.

        A transfer the chain shows settled (by this board before a crash, or by other trustees)
        is marked done with the chain's verdict and not reviewed again. Only the proof the
        sender committed to on chain is journaled: transfer ids are public, so anyone can hand a
        trustee a proof for one, and a wrong one journaled first made the right one refused
        ("handed over with another proof") for good.

        Raises:
            IntegrityError: ``proof`` is not the one the sender committed to (nothing journaled).
        """
        existing = self.review(TRANSFER, transfer_id)
        if existing is not None and existing.status == "done":
            return existing
        if not board.is_committed_proof(transfer_id, proof):
            raise IntegrityError(
                f"this is not the proof the sender of transfer {transfer_id} committed to: not journaled"
            )
        entry = self.receive(TRANSFER, transfer_id, proof, replace_proof=True)
        if entry.status == "done":
            return entry
        state = board.ledger.transfer_of(transfer_id).state
        if state is not TransferState.PENDING:
            self.finish(TRANSFER, transfer_id, accepted=state is TransferState.VERIFIED, detail=state.name.lower())
        else:
            verdict: TransferReview = board.review_transfer(transfer_id, proof)
            self.finish(TRANSFER, transfer_id, accepted=verdict.accepted, detail=verdict.reason or "")
        done = self.review(TRANSFER, transfer_id)
        assert done is not None
        return done

    def review_withdrawal(self, board: TrusteeBoard, request_id: int) -> ReviewRecord:
        """Journal, then review a withdrawal request unless it was decided already."""
        entry = self.receive(WITHDRAWAL, request_id)
        if entry.status == "done":
            return entry
        state = board.ledger.withdrawal(request_id).state
        if state is not WithdrawalState.PENDING:
            self.finish(WITHDRAWAL, request_id, accepted=state is WithdrawalState.EXECUTED, detail=state.name.lower())
        else:
            verdict: WithdrawalReview = board.review_withdrawal(request_id)
            self.finish(WITHDRAWAL, request_id, accepted=verdict.approved, detail=verdict.state.name.lower())
        done = self.review(WITHDRAWAL, request_id)
        assert done is not None
        return done

    def resume(self, board: TrusteeBoard) -> tuple[ReviewRecord, ...]:
        """Finish every review journaled and not done (run when a trustee process starts).

        A transfer journaled (by an earlier version) with a proof that is not the committed one
        stays pending until the right proof is handed over; the others are finished.
        """
        finished = []
        for entry in self.pending_reviews():
            if entry.kind == TRANSFER:
                assert entry.proof is not None
                try:
                    finished.append(self.review_transfer(board, entry.item_id, entry.proof))
                except IntegrityError as exc:
                    logger.warning("transfer %d left pending: %s", entry.item_id, exc)
            else:
                finished.append(self.review_withdrawal(board, entry.item_id))
        return tuple(finished)


class StoredAnonymitySetBook(AnonymitySetBook):
    """An account's :class:`AnonymitySetBook` kept in a :class:`LedgerState`'s database.

    Each new set commits before the payment that uses it is sent, so a restart reuses it. The
    sets are sealed under ``key`` (see the module's docstring).

    Raises:
        InvalidInputError: ``key`` is not 32 bytes.
        AccessDeniedError: the account's book was sealed under another key.
    """

    def __init__(self, state: LedgerState, account: AddressLike, key: bytes) -> None:
        super().__init__(None)
        if not isinstance(key, bytes) or len(key) != 32:
            raise InvalidInputError("a book key is 32 bytes")
        self.state = state
        self.account = require_address(account, "account", nonzero=True)
        self._key = key
        state._open_book(self.account, key)

    def decoys_for(self, receiver: AddressLike) -> tuple[str, ...] | None:
        """The decoys used with ``receiver`` before, or ``None`` if it was never paid."""
        return self.state.decoys_for(self.account, receiver, self._key)

    def record(self, receiver: AddressLike, decoys: Sequence[AddressLike]) -> None:
        """Keep the decoys of the first payment to ``receiver`` (committed at once).

        Raises:
            InvalidInputError: A bad address, or ``receiver`` already has a set.
        """
        if isinstance(decoys, str | bytes) or not isinstance(decoys, Sequence):
            raise InvalidInputError(f"decoys must be a sequence of addresses, got {type(decoys).__name__}")
        checked = [require_address(d, "decoy", nonzero=True) for d in decoys]
        self.state.record_set(self.account, receiver, checked, self._key)

    def __len__(self) -> int:
        return self.state.set_count(self.account)

    def __bool__(self) -> bool:  # an empty book is still a book
        return True


# ---- key shares in the keystore -------------------------------------------------------------


def book_key(keystore: Keystore, account: AddressLike) -> bytes:
    """``account``'s 32-byte book key from the keystore, made (random) and sealed on first use."""
    name = BOOK_KEY_PREFIX + require_address(account, "account", nonzero=True).lower()
    try:
        key = keystore.get(name)
    except UnknownSecretError:
        key = os.urandom(32)
        keystore.put(name, key)
        return key
    if len(key) != 32:
        raise InvalidInputError(f"the keystore's {name} is not a 32-byte key")
    return key


def key_share_name(ledger: AddressLike, index: int) -> str:
    """The keystore name of key share ``index`` for ``ledger``."""
    return f"ledger/{require_address(ledger, 'ledger', nonzero=True).lower()}/share-{int(index)}"


def seal_key_share(keystore: Keystore, ledger: AddressLike, share: tp.KeyShare) -> str:
    """Seal a trustee's key share into the encrypted keystore; returns the name it is under."""
    name = key_share_name(ledger, share.index)
    keystore.put(name, share.to_json().encode())
    return name


def key_share(keystore: Keystore, ledger: AddressLike, index: int) -> tp.KeyShare:
    """Trustee ``index``'s key share for ``ledger``, from the keystore (checked against v_i).

    Raises:
        UnknownSecretError: the keystore holds no such share.
        InvalidInputError: the secret is not a share matching its verification key.
    """
    return tp.KeyShare.from_json(keystore.get(key_share_name(ledger, index)).decode())
