"""The storage server's index rows and blob intents (offchain.protocols.cloud_state), whose
upload statements run on the database driver's cursor: on an SQLite file and on PostgreSQL."""

from __future__ import annotations

import pytest

from offchain.protocols.cloud_state import CloudServerState, IndexedFile

LOCATOR = "sha256:" + "ab" * 32


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request, tmp_path):
    if request.param == "sqlite":
        database = str(tmp_path / "state.sqlite")
    else:
        database = request.getfixturevalue("postgres").new_database("index")
    opened = CloudServerState(database)
    yield opened
    opened.close()


def _row(file_id: bytes, locator: str = LOCATOR) -> IndexedFile:
    return IndexedFile(
        file_id=file_id,
        index_hash=b"\x01" * 32,
        blob_locator=locator,
        block_size=4096,
        block_count=3,
        merkle_root=b"\x02" * 32,
        sealed_key=b"\x03" * 98,
        anonymous=False,
    )


def test_has_file_is_false_before_and_true_after_the_row_is_added(state):
    assert not state.has_file(b"\x0a" * 32)
    state.begin_blob(LOCATOR, preexisting=False)
    assert state.add_file(_row(b"\x0a" * 32))
    assert state.has_file(b"\x0a" * 32)
    assert not state.has_file(b"\x0b" * 32)


def test_adding_a_row_clears_its_blob_intent(state):
    state.begin_blob(LOCATOR, preexisting=False)
    assert state.pending_blobs() == (LOCATOR,)
    state.add_file(_row(b"\x0a" * 32))
    assert state.pending_blobs() == ()


def test_a_blob_intent_begun_twice_is_one_intent(state):
    state.begin_blob(LOCATOR, preexisting=False)
    state.begin_blob(LOCATOR, preexisting=True)
    assert state.pending_blobs() == (LOCATOR,)


def test_a_second_row_for_a_file_is_refused_and_the_first_kept(state):
    assert state.add_file(_row(b"\x0a" * 32))
    other = "sha256:" + "cd" * 32
    state.begin_blob(other, preexisting=False)
    assert not state.add_file(_row(b"\x0a" * 32, other))
    assert state.file(b"\x0a" * 32).blob_locator == LOCATOR
    assert state.pending_blobs() == (other,)  # another blob's intent: left for reconcile


def test_a_second_row_naming_the_same_blob_clears_its_intent(state):
    assert state.add_file(_row(b"\x0a" * 32))
    state.begin_blob(LOCATOR, preexisting=True)
    assert not state.add_file(_row(b"\x0a" * 32))
    assert state.pending_blobs() == ()


def test_a_row_reads_back_as_written(state):
    state.add_file(_row(b"\x0a" * 32))
    read = state.file(b"\x0a" * 32)
    assert (read.index_hash, read.block_count, read.sealed_key) == (b"\x01" * 32, 3, b"\x03" * 98)
    assert read.anonymous is False
