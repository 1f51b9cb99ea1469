"""SQLAlchemy engines for the roles' small databases: an SQLite file by default, any URL otherwise.

Every role that persists state (storage server, proxies, agencies, trustees, buyers) keeps it
in its own tables, versioned by a :class:`SchemaMigrations`.

An SQLite file is opened in WAL mode with ``synchronous=FULL``: a commit is one append and one
fsync of the write-ahead log instead of the rollback journal's several fsyncs (about 20 ms per
commit on this project's machines, 1–2 ms in WAL), and it is as durable: a committed
transaction survives a process kill and a power loss. Readers do not block the writer.

:func:`begin_write` with ``synced=False`` opens one transaction whose commit skips that fsync
(``synchronous=NORMAL`` for it alone): the commit is in the write-ahead log, in the operating
system's cache, so it survives a kill of the process at once, and a power loss once the next
synced commit on the same file (or a checkpoint) has run, since the log is synced in order. A
power loss before then may roll it back (never half of it). Use it only for writes whose
durability a later synced commit of the same request provides (the storage service's blob
intents and request nonces, made durable by the index row that acknowledges the upload).

:class:`DriverStatement` and :func:`driver_write` run a few hot statements (those of every
upload to the storage service) on the driver's own cursor, compiled once per dialect: SQLAlchemy's
per-execution work (cache key, execution context, result) costs about 0.3 ms per statement,
the driver itself about 0.03 ms on SQLite. Same transactions, same durability as
:func:`begin_write`; drivers other than sqlite3 and psycopg go through SQLAlchemy as usual.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Executable,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError, StatementError
from sqlalchemy.sql.expression import Delete, Insert, Select, Update

from offchain.errors import InvalidInputError, StateSchemaError, StorageError

__all__ = [
    "DriverStatement",
    "DriverTransaction",
    "Migration",
    "RoleState",
    "SchemaMigrations",
    "begin_write",
    "database_url",
    "driver_exists",
    "driver_write",
    "open_engine",
    "open_state",
    "redacted",
]

logger = logging.getLogger(__name__)


def database_url(database: str | Path) -> str:
    """The SQLAlchemy URL of ``database``: a path (an SQLite file, its folder created) or a URL.

    Raises:
        InvalidInputError: if ``database`` is neither a path nor a string.
    """
    if isinstance(database, Path) or (isinstance(database, str) and "://" not in database):
        path = Path(database)
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if isinstance(database, str):
        return database
    raise InvalidInputError(f"database must be a path or an SQLAlchemy URL, got {type(database).__name__}")


def open_engine(database: str | Path, **options: Any) -> Engine:
    """An engine on ``database`` (see :func:`database_url`); SQLite files in WAL mode."""
    url = database_url(database)
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        # The sqlite3 driver commits DDL on its own and begins transactions lazily; let
        # SQLAlchemy's BEGIN start every transaction, so that a migration's CREATE/ALTER and
        # its version row commit or roll back together (SQLAlchemy's documented recipe).
        event.listen(engine, "connect", _autocommit_driver)
        event.listen(engine, "begin", _begin)
        if engine.url.database not in (None, "", ":memory:"):
            event.listen(engine, "connect", _wal)
    return engine


def _autocommit_driver(connection: Any, _record: Any) -> None:
    connection.isolation_level = None


#: Execution option naming the statement that begins a transaction (``BEGIN`` when unset).
_BEGIN_OPTION = "datashare_sqlite_begin"


def _begin(connection: Connection) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))


def _wal(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _set_synchronous(connection: Connection, level: str) -> None:
    """Set an SQLite connection's ``synchronous`` level on its driver connection directly (the
    driver is in autocommit mode: no transaction is begun by it)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA synchronous={level}")


@contextmanager
def begin_write(engine: Engine, *, synced: bool = True) -> Iterator[Connection]:
    """A write transaction (like ``engine.begin()``); on an SQLite file ``BEGIN IMMEDIATE``, and
    with ``synced=False`` a commit without fsync.

    ``BEGIN IMMEDIATE`` takes the write lock first, waiting for another writer through the busy
    timeout: a deferred transaction that reads and then writes fails at once ("database is
    locked") when another connection committed in between.

    WARNING: with ``synced=False`` the commit survives a process crash at once, but a power loss
    only after the next synced commit on the same database (see the module docstring); give it
    only writes that such a commit follows before anyone is told they happened. On other
    databases (PostgreSQL) and in-memory SQLite it is an ordinary transaction.

    Yields:
        The connection, inside its transaction.
    """
    sqlite_file = engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")
    with engine.connect() as connection:
        if not sqlite_file:
            with connection.begin():
                yield connection
            return
        connection.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        if not synced:
            _set_synchronous(connection, "NORMAL")
        try:
            with connection.begin():
                yield connection
        finally:
            if not synced:  # back to the engine's level before the connection returns to the pool
                _set_synchronous(connection, "FULL")


#: The drivers whose cursors :class:`DriverStatement` runs on directly (by dialect name): their
#: parameters and results are plain Python values (``int``, ``bool``, ``str``, ``bytes``).
_DIRECT_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}


class DriverStatement:
    """A Core statement with bound parameters, compiled once per dialect and run on the driver's
    cursor by :class:`DriverTransaction` (see the module docstring).

    Args:
        statement: An INSERT, DELETE, UPDATE or SELECT whose values are all bound parameters
            (``insert(table)``, ``bindparam("name")``), given by name at each execution.
    """

    def __init__(self, statement: Insert | Update | Delete | Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...], bool]] = {}

    def __repr__(self) -> str:
        return f"DriverStatement({self.statement})"

    def driver_sql(self, engine: Engine, params: Mapping[str, Any]) -> tuple[str, Any]:
        """The SQL text in ``engine``'s paramstyle and its parameters (a tuple if positional).

        Raises:
            InvalidInputError: if ``params`` lacks a value the statement binds.
        """
        key = engine.dialect.name
        if key not in self._compiled:
            compiled = self.statement.compile(dialect=engine.dialect)
            names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.params)
            self._compiled[key] = (compiled.string, names, compiled.positional)
        sql, names, positional = self._compiled[key]
        missing = [name for name in names if name not in params]
        if missing:
            raise InvalidInputError(f"{self}: no value for parameter {', '.join(missing)}")
        return sql, tuple(params[name] for name in names) if positional else {name: params[name] for name in names}


def _direct(engine: Engine) -> bool:
    """Whether :class:`DriverStatement` runs on ``engine``'s driver cursor (else through SQLAlchemy)."""
    dialect = engine.dialect
    if _DIRECT_DRIVERS.get(dialect.name) != dialect.driver:
        return False
    return dialect.name != "sqlite" or engine.url.database not in (None, "", ":memory:")


class DriverTransaction:
    """One transaction of :func:`driver_write` (or the lone read of :func:`driver_exists`): its
    statements run on the driver's cursor."""

    def __init__(self, engine: Engine, cursor: Any, connection: Connection | None) -> None:
        self._engine = engine
        self._cursor = cursor
        self._connection = connection  # set when the driver is not one run directly

    def execute(self, statement: DriverStatement, params: Mapping[str, Any]) -> None:
        """Run ``statement`` with ``params``.

        Raises:
            sqlalchemy.exc.IntegrityError: on a constraint violation (as SQLAlchemy raises it).
            sqlalchemy.exc.DBAPIError: on any other database error.
        """
        self._run(statement, params)

    def exists(self, statement: DriverStatement, params: Mapping[str, Any]) -> bool:
        """Whether the SELECT ``statement`` finds a row."""
        return self._run(statement, params) is not None

    def _run(self, statement: DriverStatement, params: Mapping[str, Any]) -> Any:
        sql, values = statement.driver_sql(self._engine, params)  # the parameters checked either way
        if self._connection is not None:
            result = self._connection.execute(statement.statement, dict(params))
            return result.first() if result.returns_rows else None
        try:
            self._cursor.execute(sql, values)
            return self._cursor.fetchone() if self._cursor.description is not None else None
        except self._engine.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(self._engine, sql, values, exc) from exc


def _wrapped(engine: Engine, sql: str, values: Any, exc: Exception) -> StatementError:
    """The SQLAlchemy exception for the driver's ``exc`` (``IntegrityError`` for a constraint)."""
    return DBAPIError.instance(sql, values, exc, engine.dialect.loaded_dbapi.Error)


@contextmanager
def driver_write(engine: Engine, *, synced: bool = True) -> Iterator[DriverTransaction]:
    """A write transaction as :func:`begin_write` (``BEGIN IMMEDIATE`` on an SQLite file;
    ``synced=False`` with the same WARNING), whose :class:`DriverStatement` run on the driver's
    cursor. Commits on leaving, rolls back on an exception.

    Raises:
        sqlalchemy.exc.DBAPIError: if the transaction cannot begin or commit.
    """
    if not _direct(engine):
        with begin_write(engine, synced=synced) as connection:
            yield DriverTransaction(engine, None, connection)
        return
    raw = engine.raw_connection()
    sqlite = engine.dialect.name == "sqlite"
    try:
        cursor = raw.cursor()
        try:
            if sqlite:  # the driver is in autocommit mode (see open_engine): we begin and end
                if not synced:
                    cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("BEGIN IMMEDIATE")
            try:
                yield DriverTransaction(engine, cursor, None)
            except BaseException:
                if sqlite:
                    cursor.execute("ROLLBACK")
                else:
                    raw.rollback()
                raise
            if sqlite:
                cursor.execute("COMMIT")
            else:
                raw.commit()
        except engine.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(engine, "BEGIN/COMMIT", (), exc) from exc
        finally:
            if sqlite and not synced:  # back to the engine's level before the connection returns to the pool
                cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()
    finally:
        raw.close()


def driver_exists(engine: Engine, statement: DriverStatement, params: Mapping[str, Any]) -> bool:
    """Whether the SELECT ``statement`` finds a row (read outside any write transaction)."""
    if not _direct(engine):
        with engine.connect() as connection:
            return DriverTransaction(engine, None, connection).exists(statement, params)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            return DriverTransaction(engine, cursor, None).exists(statement, params)
        finally:
            cursor.close()
    finally:
        raw.close()  # back to the pool, which rolls back a driver's implicit transaction


#: One schema migration: (version, name, function run inside the migration's transaction).
Migration = tuple[int, str, Callable[[Connection], None]]


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url.split("@")[-1]


def open_state(database: str | Path, engine_options: dict[str, object] | None = None) -> tuple[Engine, str]:
    """An engine on a role's state database and its URL without password, for messages.

    Raises:
        StorageError: if the URL names a driver that is not installed or is malformed.
    """
    url = database_url(database)
    try:
        return open_engine(url, **(engine_options or {})), redacted(url)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StorageError(f"cannot use database {redacted(url)}: {exc}") from exc


class SchemaMigrations:
    """The versioned schema of one role's tables, migrated forward in order, never backward.

    A role's database holds a table ``table_name`` (version, name, applied_at) with one row per
    migration applied. :meth:`apply` creates it, refuses a database written by a newer toolkit or
    holding the role's tables without that table (:class:`~offchain.errors.StateSchemaError`,
    nothing touched), and runs each missing migration in its own transaction together with its
    row, so a crash mid-migration leaves the previous version intact. Several roles may share
    one database (e.g. one PostgreSQL schema) as long as each has its own ``table_name``.

    Args:
        table_name: The name of the version table (``schema_migrations`` for the storage server).
        migrations: The migrations, in increasing version order.
        owned_tables: The names of the tables the migrations create.
    """

    def __init__(self, table_name: str, migrations: Sequence[Migration], owned_tables: Sequence[str]) -> None:
        versions = [version for version, _, _ in migrations]
        if versions != list(range(1, len(versions) + 1)):
            raise InvalidInputError(f"migrations must be numbered 1, 2, … in order, got {versions}")
        self.migrations = tuple(migrations)
        self.owned_tables = frozenset(owned_tables)
        self.table = Table(
            table_name,
            MetaData(),
            Column("version", Integer, primary_key=True, autoincrement=False),
            Column("name", String(200), nullable=False),
            Column("applied_at", BigInteger, nullable=False),
        )

    @property
    def latest(self) -> int:
        """The version this code writes and reads (the newest migration's)."""
        return len(self.migrations)

    def version(self, engine: Engine) -> int:
        """The newest migration applied to ``engine``'s database (0 for an empty database)."""
        with engine.connect() as connection:
            return int(connection.execute(select(func.coalesce(func.max(self.table.c.version), 0))).scalar_one())

    def apply(self, engine: Engine, label: str) -> int:
        """Bring ``engine``'s database to :attr:`latest`; ``label`` names it in messages.

        Returns:
            The version after migrating.

        Raises:
            StateSchemaError: if the database is newer than this code, or unrecognised.
            StorageError: if the database cannot be reached or migrated.
        """
        try:
            return self._apply(engine, label)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot open the state database {label}: {exc}") from exc

    def _apply(self, engine: Engine, label: str) -> int:
        with engine.begin() as connection:
            tables = set(inspect(connection).get_table_names())
            if self.table.name not in tables:
                ours = self.owned_tables & tables
                if ours:
                    raise StateSchemaError(
                        f"{label} holds tables {sorted(ours)} but no {self.table.name} table: "
                        "not a database this code created"
                    )
                self.table.create(connection)
        current = self.version(engine)
        if current > self.latest:
            raise StateSchemaError(
                f"{label} has schema version {current}; this code reads up to {self.latest} "
                "(written by a newer toolkit)"
            )
        for version, name, migrate in self.migrations[current:]:
            with engine.begin() as connection:  # a migration and its row commit together
                migrate(connection)
                connection.execute(insert(self.table).values(version=version, name=name, applied_at=int(time.time())))
            logger.info("%s: applied migration %d (%s)", label, version, name)
        return self.latest


class RoleState:
    """Base of a role's state: an engine on its database, migrated to :attr:`schema` on opening.

    Subclasses set :attr:`schema` and add their reads and writes (each in its own transaction).

    Args:
        database: A path (an SQLite file, created with its folder) or an SQLAlchemy URL.
        engine_options: Extra keyword arguments for :func:`sqlalchemy.create_engine`.

    Raises:
        StateSchemaError: if the database's schema is newer than this code, or unrecognised.
        StorageError: if the database cannot be reached or migrated.
    """

    schema: ClassVar[SchemaMigrations]

    def __init__(self, database: str | Path, *, engine_options: dict[str, object] | None = None) -> None:
        self.engine: Engine
        self.engine, self.url = open_state(database, engine_options)
        self.schema.apply(self.engine, self.url)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def schema_version(self) -> int:
        """The newest migration applied (0 for an empty database)."""
        return self.schema.version(self.engine)

    def first_row(self, query: Executable) -> dict[str, Any] | None:
        """The first row ``query`` selects, as plain values (BLOBs as ``bytes``), or ``None``."""
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else plain_row(row)


def plain_row(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row as plain Python values: ``memoryview`` (some drivers' BLOBs) as ``bytes``."""
    return {key: bytes(value) if isinstance(value, memoryview | bytearray) else value for key, value in row.items()}
