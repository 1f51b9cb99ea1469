"""The shared schema-migration machinery of the roles' state databases (offchain.database)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.pool import StaticPool

from offchain.database import (
    DriverStatement,
    SchemaMigrations,
    begin_write,
    driver_exists,
    driver_write,
    open_state,
    redacted,
)
from offchain.errors import InvalidInputError, StateSchemaError, StorageError

_metadata = MetaData()
_items = Table("items", _metadata, Column("id", Integer, primary_key=True))


def _create_items(connection):
    _metadata.create_all(connection, tables=[_items])


def _add_column(connection):
    connection.execute(text("ALTER TABLE items ADD COLUMN weight INTEGER"))


def _failing(connection):
    connection.execute(text("CREATE TABLE half_done (id INTEGER)"))
    raise RuntimeError("crash inside the migration")


V1 = (1, "items", _create_items)
V2 = (2, "items.weight", _add_column)


def test_an_empty_database_is_brought_to_the_latest_version(tmp_path):
    engine, label = open_state(tmp_path / "role.sqlite")
    schema = SchemaMigrations("role_migrations", [V1, V2], ["items"])
    assert schema.apply(engine, label) == 2 == schema.version(engine)
    assert {c["name"] for c in inspect(engine).get_columns("items")} == {"id", "weight"}


def test_a_database_at_an_older_version_gets_only_the_missing_migrations(tmp_path):
    engine, label = open_state(tmp_path / "role.sqlite")
    SchemaMigrations("role_migrations", [V1], ["items"]).apply(engine, label)
    SchemaMigrations("role_migrations", [V1, V2], ["items"]).apply(engine, label)
    with engine.connect() as connection:
        assert [r.version for r in connection.execute(text("SELECT version FROM role_migrations"))] == [1, 2]


def test_a_newer_database_is_refused_and_left_untouched(tmp_path):
    engine, label = open_state(tmp_path / "role.sqlite")
    SchemaMigrations("role_migrations", [V1, V2], ["items"]).apply(engine, label)
    with pytest.raises(StateSchemaError, match="schema version 2; this code reads up to 1"):
        SchemaMigrations("role_migrations", [V1], ["items"]).apply(engine, label)


def test_the_role_tables_without_the_version_table_are_refused(tmp_path):
    engine, label = open_state(tmp_path / "role.sqlite")
    with engine.begin() as connection:
        _create_items(connection)
    with pytest.raises(StateSchemaError, match="no role_migrations table"):
        SchemaMigrations("role_migrations", [V1], ["items"]).apply(engine, label)


def test_a_failed_migration_leaves_the_previous_version(tmp_path):
    engine, label = open_state(tmp_path / "role.sqlite")
    SchemaMigrations("role_migrations", [V1], ["items"]).apply(engine, label)
    with pytest.raises(RuntimeError, match="crash inside"):
        SchemaMigrations("role_migrations", [V1, (2, "fails", _failing)], ["items"]).apply(engine, label)
    assert SchemaMigrations("role_migrations", [V1], ["items"]).version(engine) == 1
    assert "half_done" not in inspect(engine).get_table_names()


def test_two_roles_share_one_database_through_their_own_version_tables(tmp_path):
    engine, label = open_state(tmp_path / "shared.sqlite")
    SchemaMigrations("a_migrations", [V1], ["items"]).apply(engine, label)
    other = SchemaMigrations("b_migrations", [(1, "nothing", lambda connection: None)], [])
    assert other.apply(engine, label) == 1 and other.version(engine) == 1


def test_migrations_out_of_order_are_refused():
    with pytest.raises(InvalidInputError, match="numbered 1, 2"):
        SchemaMigrations("role_migrations", [V2, V1], ["items"])


def test_an_unknown_driver_is_a_storage_error():
    with pytest.raises(StorageError, match="cannot use database"):
        open_state("nosuchdriver://user:secret@host/db")


def test_a_password_never_reaches_a_message():
    assert "secret" not in redacted("postgresql+psycopg://user:secret@db.example/state")


def _synchronous(connection) -> int:
    return int(connection.exec_driver_sql("PRAGMA synchronous").scalar_one())


def test_an_unsynced_transaction_commits_at_synchronous_normal(tmp_path):
    engine, _ = open_state(tmp_path / "role.sqlite", {"poolclass": StaticPool})  # one connection, reused
    _metadata.create_all(engine)
    with begin_write(engine, synced=False) as connection:
        assert _synchronous(connection) == 1  # NORMAL
        connection.execute(_items.insert().values(id=1))
    with engine.connect() as connection:
        assert _synchronous(connection) == 2  # FULL again for the next user of the connection
        assert connection.execute(text("SELECT id FROM items")).scalars().all() == [1]


def test_an_unsynced_transaction_that_raises_commits_nothing(tmp_path):
    engine, _ = open_state(tmp_path / "role.sqlite")
    _metadata.create_all(engine)
    with pytest.raises(RuntimeError), begin_write(engine, synced=False) as connection:
        connection.execute(_items.insert().values(id=1))
        raise RuntimeError("refused mid-transaction")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM items")).scalar_one() == 0


_KILLED_AFTER_UNSYNCED_COMMIT = """
import os, signal, sys
from sqlalchemy import Column, Integer, MetaData, Table
from offchain.database import begin_write, open_engine
items = Table("items", MetaData(), Column("id", Integer, primary_key=True))
engine = open_engine(sys.argv[1])
items.metadata.create_all(engine)
with begin_write(engine, synced=False) as connection:
    connection.execute(items.insert().values(id=7))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_an_unsynced_commit_survives_a_sigkill_of_its_process(tmp_path):
    database = tmp_path / "role.sqlite"
    process = subprocess.run([sys.executable, "-c", _KILLED_AFTER_UNSYNCED_COMMIT, str(database)], check=False)
    assert process.returncode == -signal.SIGKILL
    engine, _ = open_state(database)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM items")).scalars().all() == [7]


def test_a_write_transaction_that_reads_first_is_not_broken_by_a_concurrent_writer(tmp_path):
    engine, _ = open_state(tmp_path / "role.sqlite")
    _metadata.create_all(engine)

    def other_writer() -> None:
        with begin_write(engine) as connection:  # waits for the first one's lock (busy timeout)
            connection.execute(_items.insert().values(id=2))

    with begin_write(engine) as connection:
        assert connection.execute(text("SELECT count(*) FROM items")).scalar_one() == 0
        writer = threading.Thread(target=other_writer)
        writer.start()
        writer.join(timeout=0.3)  # with a deferred BEGIN it would commit now, and the insert below fail
        connection.execute(_items.insert().values(id=1))
    writer.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM items ORDER BY id")).scalars().all() == [1, 2]


# ---- statements on the driver's cursor (driver_write, driver_exists) ----------------------------

_ADD_ITEM = DriverStatement(insert(_items))
_HAS_ITEM = DriverStatement(select(_items.c.id).where(_items.c.id == bindparam("id")))


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "postgresql"])
def items_engine(request, tmp_path):
    """An engine with the items table: on an SQLite file and on PostgreSQL the statements run on
    the driver's cursor; in-memory SQLite takes SQLAlchemy's path."""
    if request.param == "sqlite-file":
        database = str(tmp_path / "role.sqlite")
    elif request.param == "sqlite-memory":
        database = "sqlite://"
    else:
        database = request.getfixturevalue("postgres").new_database("driver")
    options = {"poolclass": StaticPool} if request.param == "sqlite-memory" else None
    engine, _ = open_state(database, options)
    _metadata.create_all(engine)
    yield engine
    engine.dispose()


def _item_ids(engine) -> list[int]:
    with engine.connect() as connection:
        return connection.execute(select(_items.c.id).order_by(_items.c.id)).scalars().all()


@pytest.mark.parametrize("synced", [True, False])
def test_a_driver_transaction_commits_its_statements(items_engine, synced):
    with driver_write(items_engine, synced=synced) as transaction:
        transaction.execute(_ADD_ITEM, {"id": 1})
        transaction.execute(_ADD_ITEM, {"id": 2})
    assert _item_ids(items_engine) == [1, 2]


def test_a_driver_transaction_that_raises_commits_nothing(items_engine):
    with pytest.raises(RuntimeError), driver_write(items_engine) as transaction:
        transaction.execute(_ADD_ITEM, {"id": 1})
        raise RuntimeError("refused mid-transaction")
    assert _item_ids(items_engine) == []


def test_a_driver_constraint_violation_is_sqlalchemys_integrity_error_and_rolls_back(items_engine):
    with driver_write(items_engine) as transaction:
        transaction.execute(_ADD_ITEM, {"id": 1})
    with pytest.raises(SqlIntegrityError), driver_write(items_engine) as transaction:
        transaction.execute(_ADD_ITEM, {"id": 2})
        transaction.execute(_ADD_ITEM, {"id": 1})
    assert _item_ids(items_engine) == [1]


def test_driver_exists_finds_a_row_inside_and_outside_a_transaction(items_engine):
    with driver_write(items_engine) as transaction:
        assert not transaction.exists(_HAS_ITEM, {"id": 5})
        transaction.execute(_ADD_ITEM, {"id": 5})
        assert transaction.exists(_HAS_ITEM, {"id": 5})
    assert driver_exists(items_engine, _HAS_ITEM, {"id": 5})
    assert not driver_exists(items_engine, _HAS_ITEM, {"id": 6})


def test_a_driver_statement_without_a_parameter_value_is_refused(items_engine):
    with pytest.raises(InvalidInputError, match="no value for parameter"), driver_write(items_engine) as transaction:
        transaction.execute(_HAS_ITEM, {"ident": 1})


def test_an_unsynced_driver_transaction_commits_at_synchronous_normal(tmp_path):
    engine, _ = open_state(tmp_path / "role.sqlite", {"poolclass": StaticPool})  # one connection, reused
    _metadata.create_all(engine)
    with driver_write(engine, synced=False) as transaction:
        assert transaction._cursor.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
        transaction.execute(_ADD_ITEM, {"id": 1})
    with engine.connect() as connection:
        assert _synchronous(connection) == 2  # FULL again for the next user of the connection
        assert connection.execute(text("SELECT id FROM items")).scalars().all() == [1]
