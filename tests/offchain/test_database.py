"""The shared schema-migration machinery of the roles' state databases (offchain.database)."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text

from offchain.database import SchemaMigrations, open_state, redacted
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
