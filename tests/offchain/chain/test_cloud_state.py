"""offchain.protocols.cloud_state: a CloudServer's index and kfrags persisted in SQL: a new server
on the same database serves what the old one stored, and a crash between the blob write and the
index commit is reconciled. Every test runs on an SQLite file and on a real PostgreSQL server
(started by the session, see postgres_server.py; skipped without it, failed under CI=true).

The chain is the test chain: a DataRegistry deployed once for the module (each test isolated).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from offchain.chain.registry import DataRegistryClient
from offchain.crypto.merkle import MerkleTree
from offchain.errors import AccessDeniedError, IntegrityError, StateSchemaError, StorageError
from offchain.protocols import Auditor, Buyer, CloudServer, DataOwner
from offchain.protocols.cloud_server import UploadPlan
from offchain.protocols.cloud_state import SCHEMA, SCHEMA_VERSION, CloudServerState, ReconcileReport
from offchain.storage.base import locator_for
from offchain.storage.filesystem import FilesystemBlobStore
from tests.offchain.protocols.postgres_server import PostgresServer

CONTENT = b"patient record " * 300
BLOCK_SIZE = 256


class World:
    """An owner, a buyer, a storage server and one proxy, each server with its own database."""

    def __init__(self, root: Path, database_for, registry: DataRegistryClient, owner, buyer) -> None:
        self.registry = registry
        self.store = FilesystemBlobStore(root / "blobs")
        self.database_for = database_for
        self.owner = DataOwner(owner, self.registry)
        self.buyer = Buyer(buyer, self.registry)
        self.states: list[CloudServerState] = []

    def server(self, name: str) -> CloudServer:
        """A fresh CloudServer (as after a restart) on ``name``'s database, reconciled first."""
        state = CloudServerState(self.database_for(name))
        self.states.append(state)
        state.reconcile(self.store)
        return CloudServer(name, self.store, self.registry, state=state)

    def close(self) -> None:
        for state in self.states:
            state.close()


@pytest.fixture(scope="module")
def chain_registry(registry) -> DataRegistryClient:
    return DataRegistryClient(registry, from_block=registry.tx.block_number)


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path, chain_registry, accounts):
    if request.param == "sqlite":
        database_for = lambda name: tmp_path / f"{name}.sqlite"  # noqa: E731
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        urls: dict[str, str] = {}
        database_for = lambda name: urls.setdefault(name, server.new_database(name))  # noqa: E731
    made = World(tmp_path, database_for, chain_registry, accounts[1], accounts[3])
    yield made
    made.close()


def receive(world: World, storage: CloudServer, proxy: CloudServer, file_id: bytes) -> bytes:
    return world.buyer.receive(
        file_id, storage=storage, proxies=[proxy], threshold=1, verifying_pk=world.owner.signer.public_key
    )


def test_a_new_server_on_the_same_database_serves_download_audit_and_reencryption(world):
    storage, proxy = world.server("storage"), world.server("proxy")
    receipt = world.owner.upload(CONTENT, storage, block_size=BLOCK_SIZE)
    file_id = receipt.registration.file_id
    world.owner.grant(file_id, world.buyer.recipient, [proxy], threshold=1)
    del storage, proxy  # "restart": nothing in memory survives

    storage, proxy = world.server("storage"), world.server("proxy")
    assert world.owner.download(storage, file_id) == CONTENT
    report = Auditor(world.registry).audit(file_id, storage, k=5)
    assert report.passed, report
    assert receive(world, storage, proxy, file_id) == CONTENT


def test_a_revocation_after_a_restart_stops_reencryption_at_once(world):
    storage, proxy = world.server("storage"), world.server("proxy")
    file_id = world.owner.upload(CONTENT, storage, block_size=BLOCK_SIZE).registration.file_id
    world.owner.grant(file_id, world.buyer.recipient, [proxy], threshold=1)
    world.owner.revoke(file_id, world.buyer.address)
    proxy = world.server("proxy")
    with pytest.raises(AccessDeniedError, match="not active"):
        proxy.reencrypt(file_id, world.buyer.address, storage.sealed_key(file_id))


def test_a_stored_file_is_never_replaced_across_restarts(world):
    storage = world.server("storage")
    file_id = world.owner.upload(CONTENT, storage, block_size=BLOCK_SIZE).registration.file_id
    state = world.states[-1]
    assert state.file_ids() == (file_id,) and state.pending_blobs() == ()
    restarted = world.server("storage")
    row = restarted.state.file(file_id)
    assert row is not None and row.blob_locator == locator_for(storage.fetch(file_id, _token(world, storage, file_id)))


def _token(world: World, storage: CloudServer, file_id: bytes) -> bytes:
    return world.owner.open_keys(storage, file_id).download_token


def crashed_upload(world: World, monkeypatch) -> tuple[CloudServer, str]:
    """An upload killed between the blob write and the index commit: the server and the blob's locator."""
    storage = world.server("storage")

    def crash(record):
        raise RuntimeError("killed between the blob write and the index commit")

    monkeypatch.setattr(storage.state, "add_file", crash)
    with pytest.raises(RuntimeError, match="killed"):
        world.owner.upload(CONTENT, storage, block_size=BLOCK_SIZE)
    (orphan,) = storage.state.pending_blobs()
    assert world.store.exists(orphan)  # the blob was written, its row never committed
    return storage, orphan


def test_a_restart_after_a_crash_between_blob_write_and_index_commit_leaves_no_orphan(world, monkeypatch):
    _, orphan = crashed_upload(world, monkeypatch)
    restarted = world.server("storage")  # reconciles at start-up
    assert not world.store.exists(orphan)
    assert restarted.state.pending_blobs() == () and restarted.state.file_ids() == ()
    assert restarted.state.reconcile(world.store) == ReconcileReport((), 0, ())  # nothing left to do


def test_reconcile_removes_the_orphan_blob_and_clears_its_intent(world, monkeypatch):
    _, orphan = crashed_upload(world, monkeypatch)
    report = CloudServerState(world.database_for("storage")).reconcile(world.store)
    assert (report.removed_blobs, report.cleared_intents, report.missing_blobs) == ((orphan,), 1, ())


def test_reconcile_keeps_a_blob_that_was_in_the_store_before_the_failed_upload(world, monkeypatch):
    _, locator = crashed_upload(world, monkeypatch)
    state = CloudServerState(world.database_for("other"))
    state.begin_blob(locator, preexisting=True)
    assert state.reconcile(world.store).removed_blobs == ()
    assert world.store.exists(locator)


def test_reconcile_reports_an_index_row_whose_blob_is_missing(world):
    storage = world.server("storage")
    file_id = world.owner.upload(CONTENT, storage, block_size=BLOCK_SIZE).registration.file_id
    world.store.delete(storage.state.file(file_id).blob_locator)  # lost outside the server's control
    report = CloudServerState(world.database_for("storage")).reconcile(world.store)
    assert report.missing_blobs == (file_id,) and not report.consistent


def test_the_migrations_table_records_each_migration_once(world):
    state = CloudServerState(world.database_for("storage"))
    CloudServerState(world.database_for("storage"))  # reopening applies nothing again
    assert state.schema_version() == SCHEMA_VERSION == 1
    with state.engine.connect() as connection:
        rows = connection.execute(text("SELECT version, name FROM schema_migrations")).all()
    assert [row.version for row in rows] == [1]


def test_a_database_from_a_newer_toolkit_is_refused(world):
    state = CloudServerState(world.database_for("storage"))
    with state.engine.begin() as connection:
        connection.execute(insert(SCHEMA.table).values(version=SCHEMA_VERSION + 1, name="future", applied_at=0))
    state.close()
    with pytest.raises(StateSchemaError, match=f"schema version {SCHEMA_VERSION + 1}"):
        CloudServerState(world.database_for("storage"))


def test_tables_without_a_migrations_table_are_refused(world):
    state = CloudServerState(world.database_for("storage"))
    with state.engine.begin() as connection:
        connection.execute(text("DROP TABLE schema_migrations"))
    state.close()
    with pytest.raises(StateSchemaError, match="no schema_migrations table"):
        CloudServerState(world.database_for("storage"))


def test_an_unreachable_database_is_a_storage_error():
    with pytest.raises(StorageError):
        CloudServerState("sqlite:////nonexistent-folder/x/state.sqlite")


def test_the_in_memory_default_is_unchanged(world):
    server = CloudServer("memory", world.store, world.registry)
    file_id = world.owner.upload(CONTENT, server, block_size=BLOCK_SIZE).registration.file_id
    assert server.state is None and world.owner.download(server, file_id) == CONTENT
    with pytest.raises(StorageError, match="holds no file"):
        CloudServer("memory", world.store, world.registry).sealed_key(file_id)


# ---- streamed uploads (plan_upload → staged blob → finish_upload) -------------------------------


class _Captured:
    """Where DataOwner.upload "stores": keeps the signed upload, to stream it by hand."""

    name = "storage"
    uploads: list[dict]

    def __init__(self) -> None:
        self.uploads = []

    def locator_for(self, index_hash: bytes) -> str:
        return f"cloud://storage/{index_hash.hex()}"

    def store_file(self, **upload) -> str:
        self.uploads.append(upload)
        return self.locator_for(b"")


def _planned(world: World) -> tuple[CloudServer, dict, UploadPlan]:
    captured = _Captured()
    world.owner.upload(CONTENT, captured, block_size=BLOCK_SIZE)
    (upload,) = captured.uploads
    storage = world.server("storage")
    digest = hashlib.sha256(upload["ciphertext"]).digest()
    plan = storage.plan_upload(
        file_id=upload["file_id"],
        ciphertext_digest=digest,
        sealed_key=upload["sealed_key"],
        owner_signature=upload["owner_signature"],
    )
    return storage, upload, plan


def test_a_streamed_upload_commits_its_intent_first_then_the_blob_then_its_index_row(world):
    storage, upload, plan = _planned(world)
    assert storage.state.pending_blobs() == (plan.locator,) and not world.store.exists(plan.locator)
    with world.store.stage() as staged:
        staged.write(upload["ciphertext"])
        storage.finish_upload(plan, staged, MerkleTree.from_bytes(upload["ciphertext"], plan.block_size))
    assert storage.state.pending_blobs() == () and storage.state.file(upload["file_id"]).blob_locator == plan.locator
    assert (
        world.server("storage").fetch(upload["file_id"], _token(world, storage, upload["file_id"]))
        == (upload["ciphertext"])
    )


def test_a_streamed_upload_whose_bytes_are_not_the_declared_ones_stores_nothing(world):
    storage, upload, plan = _planned(world)
    wrong = upload["ciphertext"][:-1] + bytes([upload["ciphertext"][-1] ^ 1])
    with world.store.stage() as staged:
        staged.write(wrong)
        with pytest.raises(IntegrityError, match="the body hashes to"):
            storage.finish_upload(plan, staged, MerkleTree.from_bytes(wrong, plan.block_size))
    assert storage.state.file_ids() == () and not world.store.exists(plan.locator)
    assert [p for p in world.store.root.iterdir() if p.is_file()] == []  # the staged file is gone
    assert world.server("storage").state.pending_blobs() == ()  # the intent is reconciled at restart


def test_a_streamed_upload_declaring_another_digest_than_registered_is_refused_before_its_intent(world):
    captured = _Captured()
    world.owner.upload(CONTENT, captured, block_size=BLOCK_SIZE)
    (upload,) = captured.uploads
    storage = world.server("storage")
    with pytest.raises(IntegrityError, match=r"H\(H\(f\*\)\)"):
        storage.plan_upload(
            file_id=upload["file_id"],
            ciphertext_digest=hashlib.sha256(b"other").digest(),
            sealed_key=upload["sealed_key"],
            owner_signature=upload["owner_signature"],
        )
    assert storage.state.pending_blobs() == ()
