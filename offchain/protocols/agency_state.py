"""An agency's persisted state: its members, joins in flight, stocked primes, uploads and ballots.

Research: the group manager of Huang, Chen, Wang 2020 §3.3–3.5 keeps, for each member, what
ties an opened certificate to a person (the join receipt over C2, the exponent e); to trace an
upload later it must also keep the upload's group signature (only its hash is on chain).
:class:`~offchain.protocols.agency.Agency` keeps them here when made with ``state=`` (issue 17),
so that a restart (a new ``Agency`` on the same database and keystore) loses nothing: a join
challenged before it is certified after it, an upload recorded before it is traced after it.

No secret is in these tables: the agency's manager key (p', q', X_j) and a member's key live
only in the encrypted keystore (:mod:`offchain.keystore`). What is here does de-anonymise (the
member list maps certificates to users): protect the database as the agency's records.

Storage: SQLAlchemy 2.x Core through :func:`offchain.database.open_state` (an SQLite file by
default, any SQLAlchemy URL, e.g. PostgreSQL). Tables, versioned by ``agency_schema_migrations``
(:class:`~offchain.database.SchemaMigrations`):

* ``agency_identity``: the one agency (group key fingerprint, address) the database belongs to;
  an agency of another group or address is refused (:class:`~offchain.errors.StateSchemaError`);
* ``agency_admissions``: identities admitted to one join, not yet used;
* ``agency_joins``: joins challenged and not yet certified (user, the request and the challenge
  sent, as JSON: public messages);
* ``agency_members``: certificate (canonical A, hex) → user, join id, C2, e, A and the receipt;
* ``agency_primes``: certificate primes searched ahead of the joins, not yet issued;
* ``agency_uploads``: each upload accepted (file id, its group signature, root, block count and
  size, locator, the recording transaction); written *before* the record is submitted on chain,
  so that a crash after the submission still leaves the signature needed to trace it;
* ``agency_ballots``: the ballots this agency requested, voted on or opened, with transactions.

Transactions: certifying a join is one transaction (the member listed, its join and admission
cleared, its prime removed from the stock), so a crash leaves either the join pending (the
certificate was never handed out) or the member listed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
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

from offchain.database import Migration, RoleState, SchemaMigrations, plain_row
from offchain.errors import InvalidInputError, StateSchemaError

__all__ = [
    "AGENCY_SCHEMA",
    "AgencyState",
    "BallotRecord",
    "JoinInFlight",
    "MemberRecord",
    "UploadRecord",
]

logger = logging.getLogger(__name__)

_metadata = MetaData()

identity_table = Table(
    "agency_identity",
    _metadata,
    Column("slot", Integer, primary_key=True, autoincrement=False),  # always 1: one agency per database
    Column("group_fingerprint", LargeBinary(32), nullable=False),
    Column("address", String(42), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

admissions_table = Table(
    "agency_admissions",
    _metadata,
    Column("identity", String(42), primary_key=True),
    Column("admitted_at", BigInteger, nullable=False),
)

joins_table = Table(
    "agency_joins",
    _metadata,
    Column("join_id", LargeBinary(255), primary_key=True),
    Column("identity", String(42), nullable=False),
    Column("request", Text, nullable=False),
    Column("challenge", Text, nullable=False),
    Column("started_at", BigInteger, nullable=False),
)

members_table = Table(
    "agency_members",
    _metadata,
    Column("certificate", String(1100), primary_key=True),  # canonical A, hex (up to 4096-bit n)
    Column("user", String(42), nullable=False, index=True),
    Column("join_id", LargeBinary(255), nullable=False, unique=True),
    Column("c2", Text, nullable=False),
    Column("e", String(1400), nullable=False, unique=True),
    Column("a_cert", Text, nullable=False),
    Column("receipt", LargeBinary(65), nullable=False),
    Column("certified_at", BigInteger, nullable=False),
)

primes_table = Table(
    "agency_primes",
    _metadata,
    Column("e", String(1400), primary_key=True),
    Column("stocked_at", BigInteger, nullable=False),
)

uploads_table = Table(
    "agency_uploads",
    _metadata,
    Column("file_id", LargeBinary(32), primary_key=True),
    Column("signature", LargeBinary, nullable=False),
    Column("merkle_root", LargeBinary(32), nullable=False),
    Column("block_count", BigInteger, nullable=False),
    Column("block_size", Integer, nullable=False),
    Column("locator", String(300), nullable=False),
    Column("tx_hash", String(66), nullable=True),  # NULL until the record is on chain
    Column("accepted_at", BigInteger, nullable=False),
)

ballots_table = Table(
    "agency_ballots",
    _metadata,
    Column("ballot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("action", String(16), primary_key=True),  # requested | voted | opened
    Column("file_id", LargeBinary(32), nullable=True),
    Column("support", Boolean, nullable=False),
    Column("detail", Text, nullable=False),  # the reason, the signer opened, …
    Column("tx_hash", String(66), nullable=True),
    Column("at", BigInteger, nullable=False),
)

_TABLES = (identity_table, admissions_table, joins_table, members_table, primes_table, uploads_table, ballots_table)


def _migration_1(connection: Connection) -> None:
    _metadata.create_all(connection, tables=list(_TABLES))


MIGRATIONS: tuple[Migration, ...] = ((1, "agency members, joins, primes, uploads and ballots", _migration_1),)

#: The agency's schema: its own version table, so it can share a database with other roles.
AGENCY_SCHEMA = SchemaMigrations("agency_schema_migrations", MIGRATIONS, [t.name for t in _TABLES])

BALLOT_ACTIONS = ("requested", "voted", "opened")


@dataclass(frozen=True)
class JoinInFlight:
    """A join challenged and not yet certified.

    Attributes:
        join_id: The join's id.
        identity: The admitted user running it (checksummed address).
        request: The user's join request (JSON, :func:`~offchain.crypto.group_signature.join_message_to_json`).
        challenge: The challenge sent (JSON).
    """

    join_id: bytes
    identity: str
    request: str
    challenge: str


@dataclass(frozen=True)
class MemberRecord:
    """A listed member (a row of ``agency_members``).

    Attributes:
        certificate: The canonical certificate min(A, n − A), by which openings name the member.
        user: The user's address, from its join receipt.
        join_id: The join's id.
        c2: The join commitment C2 the receipt signs.
        e: The certificate's prime exponent.
        a_cert: The certificate A as issued.
        receipt: The user's 65-byte join receipt signature.
    """

    certificate: int
    user: str
    join_id: bytes
    c2: int
    e: int
    a_cert: int
    receipt: bytes


@dataclass(frozen=True)
class UploadRecord:
    """An upload the agency accepted (a row of ``agency_uploads``).

    Attributes:
        file_id: The anonymous file id.
        signature: The group signature, serialised (``GroupSignature.to_bytes()``).
        merkle_root: H(R).
        block_count: Number of blocks.
        block_size: Block size in bytes.
        locator: Where the storage service keeps it.
        tx_hash: The transaction that recorded it on chain (``None`` until then).
    """

    file_id: bytes
    signature: bytes
    merkle_root: bytes
    block_count: int
    block_size: int
    locator: str
    tx_hash: str | None = None


@dataclass(frozen=True)
class BallotRecord:
    """A ballot step this agency took (a row of ``agency_ballots``).

    Attributes:
        ballot_id: The ballot on chain.
        action: ``requested``, ``voted`` or ``opened``.
        file_id: The traced record's file id, if a trace.
        support: The vote (a request counts as a vote for).
        detail: The request's reason, or the signer opened.
        tx_hash: The transaction.
    """

    ballot_id: int
    action: str
    file_id: bytes | None
    support: bool
    detail: str
    tx_hash: str | None


class AgencyState(RoleState):
    """An agency's members, joins, primes, uploads and ballots in a SQL database.

    Example::

        state = AgencyState(Path("agency.sqlite"))            # or "postgresql+psycopg://…"
        agency = Agency("hospital", manager_key, account, consortium, state=state)

    Args:
        database: A path (an SQLite file, created with its folder if missing) or an SQLAlchemy URL.
        engine_options: Extra keyword arguments for :func:`sqlalchemy.create_engine`.

    Raises:
        StateSchemaError: if the database's schema is newer than this code, or unrecognised.
        StorageError: if the database cannot be reached or migrated.
    """

    schema = AGENCY_SCHEMA

    def __repr__(self) -> str:
        return f"AgencyState({self.url!r})"

    # ---- whose database ----------------------------------------------------------------------

    def bind(self, group_fingerprint: bytes, address: str) -> None:
        """Tie the database to one agency (its group key and address) the first time; refuse another.

        Raises:
            StateSchemaError: if the database belongs to another group or address.
        """
        with self.engine.begin() as connection:
            row = connection.execute(select(identity_table)).mappings().first()
            if row is None:
                connection.execute(
                    insert(identity_table).values(
                        slot=1, group_fingerprint=group_fingerprint, address=address, created_at=int(time.time())
                    )
                )
                return
        if bytes(row["group_fingerprint"]) != group_fingerprint or str(row["address"]).lower() != address.lower():
            held = bytes(row["group_fingerprint"]).hex()[:16]
            raise StateSchemaError(
                f"{self.url} is the state of agency {row['address']} (group 0x{held}…), "
                f"not of {address} (group 0x{group_fingerprint.hex()[:16]}…)"
            )

    # ---- admissions and joins ----------------------------------------------------------------

    def admit(self, identity: str) -> None:
        """Keep an admission (idempotent)."""
        with self.engine.begin() as connection:
            held = connection.execute(
                select(admissions_table.c.identity).where(admissions_table.c.identity == identity)
            ).first()
            if held is None:
                connection.execute(insert(admissions_table).values(identity=identity, admitted_at=int(time.time())))

    def admitted(self) -> tuple[str, ...]:
        """Identities admitted and not yet certified."""
        with self.engine.connect() as connection:
            identities: list[str] = list(connection.execute(select(admissions_table.c.identity)).scalars())
        return tuple(identities)

    def start_join(self, join: JoinInFlight) -> None:
        """Keep a challenged join (replacing an earlier challenge of the same join id)."""
        values = {**join.__dict__, "started_at": int(time.time())}
        with self.engine.begin() as connection:
            connection.execute(delete(joins_table).where(joins_table.c.join_id == join.join_id))
            connection.execute(insert(joins_table).values(**values))

    def joins(self) -> tuple[JoinInFlight, ...]:
        """The joins challenged and not yet certified."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(joins_table)).mappings().all()
        return tuple(
            JoinInFlight(bytes(r["join_id"]), str(r["identity"]), str(r["request"]), str(r["challenge"])) for r in rows
        )

    def certify(self, member: MemberRecord) -> None:
        """List ``member`` and, in the same transaction, clear its join, its admission and its prime.

        Raises:
            InvalidInputError: if a member with this certificate, join id or exponent is listed.
        """
        if not isinstance(member, MemberRecord):
            raise InvalidInputError(f"member must be a MemberRecord, got {type(member).__name__}")
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(members_table).values(**_member_row(member)))
                connection.execute(delete(joins_table).where(joins_table.c.join_id == member.join_id))
                connection.execute(delete(admissions_table).where(admissions_table.c.identity == member.user))
                connection.execute(delete(primes_table).where(primes_table.c.e == hex(member.e)))
        except SqlIntegrityError:
            raise InvalidInputError(
                f"a member with this certificate, join id 0x{member.join_id.hex()} or exponent is already listed"
            ) from None

    def members(self) -> tuple[MemberRecord, ...]:
        """Every listed member."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(members_table)).mappings().all()
        return tuple(_member_of(plain_row(r)) for r in rows)

    def member_by_join(self, join_id: bytes) -> MemberRecord | None:
        """The member certified in join ``join_id``, or ``None``."""
        row = self.first_row(select(members_table).where(members_table.c.join_id == join_id))
        return None if row is None else _member_of(row)

    # ---- certificate primes ------------------------------------------------------------------

    def stock_primes(self, primes: Iterable[int]) -> int:
        """Add certificate primes to the stock (ones already there are skipped); returns how many were new."""
        added = 0
        with self.engine.begin() as connection:
            held = set(connection.execute(select(primes_table.c.e)).scalars())
            for e in primes:
                key = hex(int(e))
                if key not in held:
                    connection.execute(insert(primes_table).values(e=key, stocked_at=int(time.time())))
                    held.add(key)
                    added += 1
        return added

    def primes(self) -> tuple[int, ...]:
        """The stocked primes, not yet issued."""
        with self.engine.connect() as connection:
            exponents: list[str] = list(connection.execute(select(primes_table.c.e)).scalars())
        return tuple(int(e, 16) for e in exponents)

    # ---- uploads -----------------------------------------------------------------------------

    def begin_upload(self, upload: UploadRecord) -> None:
        """Keep an upload (its signature) before its record is submitted on chain.

        Raises:
            InvalidInputError: if an upload with this file id is already recorded on chain.
        """
        if not isinstance(upload, UploadRecord):
            raise InvalidInputError(f"upload must be an UploadRecord, got {type(upload).__name__}")
        with self.engine.begin() as connection:
            held = connection.execute(
                select(uploads_table.c.tx_hash).where(uploads_table.c.file_id == upload.file_id)
            ).first()
            if held is not None and held.tx_hash is not None:
                raise InvalidInputError(f"upload 0x{upload.file_id.hex()} is already recorded")
            connection.execute(delete(uploads_table).where(uploads_table.c.file_id == upload.file_id))
            connection.execute(insert(uploads_table).values(**upload.__dict__, accepted_at=int(time.time())))

    def finish_upload(self, file_id: bytes, tx_hash: str) -> None:
        """Mark the upload recorded on chain by ``tx_hash``."""
        with self.engine.begin() as connection:
            connection.execute(update(uploads_table).where(uploads_table.c.file_id == file_id).values(tx_hash=tx_hash))

    def abandon_upload(self, file_id: bytes) -> None:
        """Forget an upload whose submission failed (never recorded on chain)."""
        with self.engine.begin() as connection:
            connection.execute(
                delete(uploads_table).where(uploads_table.c.file_id == file_id, uploads_table.c.tx_hash.is_(None))
            )

    def upload(self, file_id: bytes) -> UploadRecord | None:
        """The upload with ``file_id``, or ``None``."""
        values = self.first_row(select(uploads_table).where(uploads_table.c.file_id == file_id))
        if values is None:
            return None
        del values["accepted_at"]
        return UploadRecord(**values)

    def upload_ids(self) -> tuple[bytes, ...]:
        """The file ids of every upload kept."""
        with self.engine.connect() as connection:
            ids: list[bytes] = list(connection.execute(select(uploads_table.c.file_id)).scalars())
        return tuple(bytes(v) for v in ids)

    # ---- ballots -----------------------------------------------------------------------------

    def record_ballot(self, ballot: BallotRecord) -> None:
        """Keep a ballot step (replacing the same ballot's same action)."""
        if not isinstance(ballot, BallotRecord) or ballot.action not in BALLOT_ACTIONS:
            raise InvalidInputError(f"a ballot record's action is one of {BALLOT_ACTIONS}")
        key = (ballots_table.c.ballot_id == ballot.ballot_id, ballots_table.c.action == ballot.action)
        with self.engine.begin() as connection:
            connection.execute(delete(ballots_table).where(*key))
            connection.execute(insert(ballots_table).values(**ballot.__dict__, at=int(time.time())))

    def ballots(self) -> tuple[BallotRecord, ...]:
        """Every ballot step kept, by ballot id and action."""
        with self.engine.connect() as connection:
            rows = (
                connection.execute(select(ballots_table).order_by(ballots_table.c.ballot_id, ballots_table.c.action))
                .mappings()
                .all()
            )
        records = []
        for row in rows:
            values = plain_row(row)
            del values["at"]
            records.append(BallotRecord(**values))
        return tuple(records)


def _member_row(member: MemberRecord) -> dict[str, Any]:
    return {
        "certificate": hex(member.certificate),
        "user": member.user,
        "join_id": member.join_id,
        "c2": hex(member.c2),
        "e": hex(member.e),
        "a_cert": hex(member.a_cert),
        "receipt": member.receipt,
        "certified_at": int(time.time()),
    }


def _member_of(row: Mapping[str, Any]) -> MemberRecord:
    return MemberRecord(
        certificate=int(row["certificate"], 16),
        user=str(row["user"]),
        join_id=row["join_id"],
        c2=int(row["c2"], 16),
        e=int(row["e"], 16),
        a_cert=int(row["a_cert"], 16),
        receipt=row["receipt"],
    )
