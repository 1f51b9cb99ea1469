"""The cloud server's persisted state: its file index and its kfrags, in a database.

Research: the storage server of Zheng et al. 2018 §4.3 keeps, per file, the blob of ``f*`` and
``K_f** = H(K_f*)``; the proxy of Feng et al. 2022 §6.8–6.9 keeps the kfrags owners delivered
to it and the grant each was accepted under. :class:`~offchain.protocols.cloud_server.CloudServer`
keeps them here when made with ``state=`` (issue 17), so that a restart loses nothing.

Storage: SQLAlchemy 2.x Core. The default is an embedded SQLite file (one per role, no server to
start); any SQLAlchemy URL works, e.g. ``postgresql+psycopg://user@host/db`` when several
service replicas share one index. Tables:

* ``schema_migrations`` (version, name, applied_at): one row per migration applied, in order;
  a database whose newest version is above :data:`SCHEMA_VERSION` (written by a newer toolkit),
  or that holds this module's tables without that table, raises
  :class:`~offchain.errors.StateSchemaError` and is left untouched;
* ``cloud_files``: file id → K_f**, blob locator, block size, block count, Merkle root, the
  serialised sealed key capsule, whether it came as an anonymous group upload, when stored;
* ``cloud_kfrags``: (file id, grantee) → kfrag, the three public keys it was verified against,
  and the grant it was accepted under (policy hash, granted_at: the proxy's grant cache; the
  chain is still asked before every re-encryption, so a revocation takes effect at once);
* ``cloud_pending_blobs``: blobs being written (locator, whether it was already in the store,
  since when): the write-ahead intent that makes a crash recoverable.

Consistency (no index entry without its blob, no blob reported stored that is not): an upload
(1) commits an intent row for the blob's locator, (2) writes the blob (the blob store writes
atomically), (3) in one transaction inserts the index row and deletes the intent. A crash
after (1) or (2) leaves an intent; :meth:`CloudServerState.reconcile`, run at start-up, deletes
the blobs of leftover intents that no index row references and that were not in the store
before, and reports index rows whose blob is missing (lost outside this code's control, e.g.
a disk or bucket emptied by hand). A blob store without a listing cannot be swept for strays
written by nobody's intent; none are, by this code.

Durability: step (1) commits without an fsync of its own (SQLite ``synchronous=NORMAL`` for that
transaction, :func:`~offchain.database.begin_write`), step (3) with one, after the blob's file
and folder are fsynced. A process crash (SIGKILL) loses no commit of either. A power loss can
roll back an intent whose upload had not reached step (3): the blob, if already renamed into
place, then stays as an unindexed stray (complete, never served, since nothing indexes it); no
index row can survive without its blob, and no acknowledged upload is lost (the synced commit of
step (3) precedes the acknowledgement and makes every earlier commit durable with it). The
power-loss claims assume a disk and file system that honour fsync (no volatile write cache
that lies about it); the tests kill the process (SIGKILL), they cannot cut the power.

Caveats: a blob store shared by several servers with *separate* databases can hold one blob
for two of them (blobs are content-addressed); an intent records whether the blob was there
before, so reconcile never deletes a blob it did not create, but two servers writing the same
new blob at the same moment could still race. Give each database its own store (or prefix).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

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
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from offchain.database import (
    DriverStatement,
    Migration,
    RoleState,
    SchemaMigrations,
    begin_write,
    driver_exists,
    driver_write,
)
from offchain.errors import InvalidInputError
from offchain.storage.base import BlobStore

__all__ = [
    "SCHEMA_VERSION",
    "CloudServerState",
    "HeldKFragRecord",
    "IndexedFile",
    "ReconcileReport",
]

logger = logging.getLogger(__name__)

_metadata = MetaData()

files_table = Table(
    "cloud_files",
    _metadata,
    Column("file_id", LargeBinary(32), primary_key=True),
    Column("index_hash", LargeBinary(32), nullable=False),
    Column("blob_locator", String(80), nullable=False, index=True),
    Column("block_size", Integer, nullable=False),
    Column("block_count", BigInteger, nullable=False),
    Column("merkle_root", LargeBinary(32), nullable=False),
    Column("sealed_key", LargeBinary, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("stored_at", BigInteger, nullable=False),
)

kfrags_table = Table(
    "cloud_kfrags",
    _metadata,
    Column("file_id", LargeBinary(32), primary_key=True),
    Column("grantee", String(42), primary_key=True),
    Column("kfrag", LargeBinary, nullable=False),
    Column("delegating_pk", LargeBinary(33), nullable=False),
    Column("receiving_pk", LargeBinary(33), nullable=False),
    Column("verifying_pk", LargeBinary(33), nullable=False),
    Column("policy_hash", LargeBinary(32), nullable=False),
    Column("granted_at", BigInteger, nullable=False),
    Column("accepted_at", BigInteger, nullable=False),
)

pending_blobs_table = Table(
    "cloud_pending_blobs",
    _metadata,
    Column("blob_locator", String(80), primary_key=True),
    Column("preexisting", Boolean, nullable=False),
    Column("started_at", BigInteger, nullable=False),
)

_STATE_TABLES = (files_table, kfrags_table, pending_blobs_table)

# The statements of every upload, run on the driver's cursor (see offchain.database).
_HAS_FILE = DriverStatement(select(files_table.c.file_id).where(files_table.c.file_id == bindparam("file_id")))
_HAS_INTENT = DriverStatement(
    select(pending_blobs_table.c.blob_locator).where(pending_blobs_table.c.blob_locator == bindparam("locator"))
)
_ADD_INTENT = DriverStatement(insert(pending_blobs_table))
_ADD_FILE = DriverStatement(insert(files_table))
_CLEAR_INTENT = DriverStatement(
    delete(pending_blobs_table).where(pending_blobs_table.c.blob_locator == bindparam("locator"))
)


def _migration_1(connection: Connection) -> None:
    _metadata.create_all(connection, tables=list(_STATE_TABLES))


#: The migrations, in order: (version, name, function run inside the migration's transaction).
MIGRATIONS: tuple[Migration, ...] = ((1, "cloud server index, kfrags and pending blobs", _migration_1),)

SCHEMA = SchemaMigrations("schema_migrations", MIGRATIONS, [t.name for t in _STATE_TABLES])

#: The schema version this code writes and reads (the newest migration's).
SCHEMA_VERSION = SCHEMA.latest


@dataclass(frozen=True)
class IndexedFile:
    """One file the storage server holds (a row of ``cloud_files``).

    Attributes:
        file_id: The file's id on chain (32 bytes).
        index_hash: ``K_f** = H(H(f*))`` (32 bytes).
        blob_locator: Where ``f*`` is in the blob store (``sha256:…``).
        block_size: Block size of its Merkle tree, in bytes.
        block_count: Number of blocks.
        merkle_root: Root of its Merkle tree (32 bytes).
        sealed_key: The owner's sealed key capsule, serialised (``SealedKey.to_bytes()``).
        anonymous: Whether it came as a group member's anonymous upload.
        stored_at: When it was stored (Unix seconds).
    """

    file_id: bytes
    index_hash: bytes
    blob_locator: str
    block_size: int
    block_count: int
    merkle_root: bytes
    sealed_key: bytes
    anonymous: bool = False
    stored_at: int = 0


@dataclass(frozen=True)
class HeldKFragRecord:
    """One kfrag a proxy holds (a row of ``cloud_kfrags``); verify it again after loading.

    Attributes:
        file_id: The file it re-encrypts the capsule of.
        grantee: The receiver's address, lower case.
        kfrag: The serialised kfrag.
        delegating_pk, receiving_pk, verifying_pk: The public keys it was verified against (33 bytes each).
        policy_hash: The on-chain grant's policy hash when it was accepted.
        granted_at: The on-chain grant's time when it was accepted.
    """

    file_id: bytes
    grantee: str
    kfrag: bytes
    delegating_pk: bytes
    receiving_pk: bytes
    verifying_pk: bytes
    policy_hash: bytes
    granted_at: int


@dataclass(frozen=True)
class ReconcileReport:
    """What :meth:`CloudServerState.reconcile` found and did.

    Attributes:
        removed_blobs: Locators of blobs written by an unfinished upload, now deleted.
        cleared_intents: How many leftover intents were removed (with or without a blob).
        missing_blobs: File ids whose index row names a blob the store does not hold.
    """

    removed_blobs: tuple[str, ...]
    cleared_intents: int
    missing_blobs: tuple[bytes, ...]

    @property
    def consistent(self) -> bool:
        """Whether every index row has its blob (strays, if any, were removed)."""
        return not self.missing_blobs


class CloudServerState(RoleState):
    """A cloud server's index and kfrags in a SQL database (SQLite file by default).

    Example::

        state = CloudServerState(Path("storage.sqlite"))            # or "postgresql+psycopg://…"
        state.reconcile(store)                                       # at start-up
        server = CloudServer("storage", store, registry, state=state)

    Args:
        database: A path (an SQLite file, created with its folder if missing) or an SQLAlchemy
            URL (a string containing ``://``).
        engine_options: Extra keyword arguments for :func:`sqlalchemy.create_engine`.

    Raises:
        StateSchemaError: if the database's schema is newer than this code, or unrecognised.
        StorageError: if the database cannot be reached or migrated.
    """

    schema = SCHEMA

    def __repr__(self) -> str:
        return f"CloudServerState({self.url!r})"

    # ---- the file index ----------------------------------------------------------------------

    def file(self, file_id: bytes) -> IndexedFile | None:
        """The index row of ``file_id``, or ``None``."""
        row = self.first_row(select(files_table).where(files_table.c.file_id == file_id))
        return None if row is None else IndexedFile(**row)

    def has_file(self, file_id: bytes) -> bool:
        """Whether the index holds a row for ``file_id``."""
        return driver_exists(self.engine, _HAS_FILE, {"file_id": file_id})

    def file_ids(self) -> tuple[bytes, ...]:
        """The ids of every file in the index."""
        with self.engine.connect() as connection:
            ids: list[bytes] = list(connection.execute(select(files_table.c.file_id)).scalars())
        return tuple(bytes(v) for v in ids)

    def begin_blob(self, locator: str, *, preexisting: bool) -> None:
        """Record (and commit) the intent to write the blob ``locator``: step (1) of an upload.

        The commit is not fsynced (:func:`~offchain.database.begin_write`): it survives a
        process crash at once and a power loss once the index row of step (3) commits (synced).

        Args:
            locator: The blob's content locator.
            preexisting: Whether the store already held the blob (then reconcile never deletes it).
        """
        with driver_write(self.engine, synced=False) as transaction:
            if not transaction.exists(_HAS_INTENT, {"locator": locator}):
                transaction.execute(
                    _ADD_INTENT, {"blob_locator": locator, "preexisting": preexisting, "started_at": int(time.time())}
                )

    def add_file(self, record: IndexedFile) -> bool:
        """Insert ``record`` and clear its blob's intent in one transaction: step (3) of an upload.

        Returns:
            ``True`` if inserted, ``False`` if a row for the file id was already there (left as is;
            the intent is cleared all the same when that row names the same blob).
        """
        if not isinstance(record, IndexedFile):
            raise InvalidInputError(f"record must be an IndexedFile, got {type(record).__name__}")
        values = {**record.__dict__, "stored_at": record.stored_at or int(time.time())}
        try:
            with driver_write(self.engine) as transaction:
                transaction.execute(_ADD_FILE, values)
                transaction.execute(_CLEAR_INTENT, {"locator": record.blob_locator})
        except SqlIntegrityError:
            existing = self.file(record.file_id)
            if existing is not None and existing.blob_locator == record.blob_locator:
                with begin_write(self.engine) as connection:
                    connection.execute(
                        delete(pending_blobs_table).where(pending_blobs_table.c.blob_locator == record.blob_locator)
                    )
            return False
        return True

    def pending_blobs(self) -> tuple[str, ...]:
        """Locators of blobs whose upload began and has not been indexed."""
        with self.engine.connect() as connection:
            return tuple(connection.execute(select(pending_blobs_table.c.blob_locator)).scalars())

    # ---- kfrags (the proxy) ------------------------------------------------------------------

    def kfrag(self, file_id: bytes, grantee: str) -> HeldKFragRecord | None:
        """The kfrag held for ``(file_id, grantee)``, or ``None``."""
        values = self.first_row(
            select(kfrags_table).where(kfrags_table.c.file_id == file_id, kfrags_table.c.grantee == grantee.lower())
        )
        if values is None:
            return None
        del values["accepted_at"]
        return HeldKFragRecord(**values)

    def put_kfrag(self, record: HeldKFragRecord) -> None:
        """Keep ``record``, replacing the kfrag held for the same file and grantee (a new grant)."""
        if not isinstance(record, HeldKFragRecord):
            raise InvalidInputError(f"record must be a HeldKFragRecord, got {type(record).__name__}")
        values = {**record.__dict__, "grantee": record.grantee.lower(), "accepted_at": int(time.time())}
        key = (kfrags_table.c.file_id == record.file_id, kfrags_table.c.grantee == values["grantee"])
        with begin_write(self.engine) as connection:
            replaced = connection.execute(update(kfrags_table).where(*key).values(**values)).rowcount
            if not replaced:
                connection.execute(insert(kfrags_table).values(**values))

    # ---- recovery ----------------------------------------------------------------------------

    def reconcile(self, store: BlobStore, *, older_than_s: float = 0.0) -> ReconcileReport:
        """Bring the index and the blob store back to consistency after a crash; run at start-up.

        Deletes the blob of every leftover intent (older than ``older_than_s`` seconds) that no
        index row references and that was not in the store before its upload, clears those
        intents, and lists index rows whose blob the store does not hold.

        Args:
            store: The blob store the server writes to.
            older_than_s: Leave intents younger than this alone (uploads another replica may
                still be writing); 0 at the start-up of the only replica.

        Returns:
            What was found and done.
        """
        cutoff = time.time() - older_than_s
        removed: list[str] = []
        cleared = 0
        with self.engine.connect() as connection:
            intents = connection.execute(select(pending_blobs_table)).mappings().all()
        for intent in intents:
            if intent["started_at"] > cutoff:
                continue
            locator = intent["blob_locator"]
            with self.engine.begin() as connection:
                indexed = connection.execute(
                    select(files_table.c.file_id).where(files_table.c.blob_locator == locator).limit(1)
                ).first()
                if indexed is None and not intent["preexisting"] and store.exists(locator):
                    store.delete(locator)
                    removed.append(locator)
                connection.execute(delete(pending_blobs_table).where(pending_blobs_table.c.blob_locator == locator))
                cleared += 1
        with self.engine.connect() as connection:
            rows = [
                (bytes(row.file_id), str(row.blob_locator))
                for row in connection.execute(select(files_table.c.file_id, files_table.c.blob_locator))
            ]
        missing = tuple(file_id for file_id, locator in rows if not store.exists(locator))
        for locator in removed:
            logger.warning("%s: removed blob %s of an upload that never completed", self.url, locator)
        for file_id in missing:
            logger.error("%s: file 0x%s is indexed but its blob is missing", self.url, file_id.hex())
        return ReconcileReport(tuple(removed), cleared, missing)
