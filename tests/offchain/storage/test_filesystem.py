"""offchain.storage: content locators and what is particular to the filesystem blob store.

Behaviour every BlobStore shares is tested once for all stores in test_blob_store_contract.py.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.errors import IntegrityError, InvalidInputError, StorageError
from offchain.storage import FilesystemBlobStore, locator_for, parse_locator
from tests.helpers import evict_from_page_cache

ABC_HEX = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256(b"abc")
ABC_LOCATOR = "sha256:" + ABC_HEX

BAD_LOCATORS = [
    "",
    "sha256:",
    ABC_HEX,  # no prefix
    "SHA256:" + ABC_HEX,
    "md5:" + ABC_HEX,
    "sha256:" + ABC_HEX.upper(),
    "sha256:" + ABC_HEX[:-1],
    "sha256:" + ABC_HEX + "0",
    "sha256:" + "g" * 64,
    "sha256:" + ABC_HEX + "\n",
    " sha256:" + ABC_HEX,
    "sha256:../../" + ABC_HEX[6:],
]


@pytest.fixture
def store(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "blobs")


def files_under(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


# --- locators -------------------------------------------------------------------------------


def test_locator_is_sha256_prefix_and_lowercase_hex_digest():
    assert locator_for(b"abc") == ABC_LOCATOR


def test_parse_locator_returns_the_digest():
    assert parse_locator(ABC_LOCATOR) == hashlib.sha256(b"abc").digest()


@pytest.mark.parametrize("locator", BAD_LOCATORS)
def test_malformed_locator_is_rejected(locator: str):
    with pytest.raises(InvalidInputError, match="64 lowercase hex digits"):
        parse_locator(locator)


def test_locator_that_is_not_a_string_is_rejected():
    with pytest.raises(InvalidInputError, match="64 lowercase hex digits"):
        parse_locator(hashlib.sha256(b"abc").digest())  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["get", "get_if_cached", "open", "exists", "delete", "path_for"])
def test_every_store_method_rejects_a_malformed_locator(store: FilesystemBlobStore, method: str):
    with pytest.raises(InvalidInputError):
        getattr(store, method)("sha256:" + ABC_HEX.upper())


# --- storing and reading ----------------------------------------------------------------------


def test_blob_lives_under_two_levels_of_hex_prefixes(store: FilesystemBlobStore):
    store.put(b"abc")
    assert files_under(store.root) == [Path("ba") / "78" / ABC_HEX]


def test_same_content_gets_the_same_locator_and_one_blob(store: FilesystemBlobStore):
    assert store.put(b"abc") == store.put(b"abc")
    assert len(files_under(store.root)) == 1


def test_putting_content_already_present_does_not_rewrite_the_blob(store: FilesystemBlobStore):
    locator = store.put(b"abc")
    inode_before = store.path_for(locator).stat().st_ino
    store.put(b"abc")
    assert store.path_for(locator).stat().st_ino == inode_before


def test_empty_blob_round_trips(store: FilesystemBlobStore):
    assert store.get(store.put(b"")) == b""


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=2000))
def test_any_bytes_round_trip(tmp_path_factory: pytest.TempPathFactory, data: bytes):
    store = FilesystemBlobStore(tmp_path_factory.mktemp("blobs"))
    assert store.get(store.put(data)) == data


def test_put_file_streams_a_file_larger_than_one_read(store: FilesystemBlobStore, tmp_path: Path):
    data = bytes(range(256)) * 9000  # about 2.2 MiB: three 1 MiB reads
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    locator = store.put_file(source)
    assert locator == locator_for(data)
    assert store.get(locator) == data


def test_put_file_of_content_already_present_leaves_one_blob_and_no_temporary_file(
    store: FilesystemBlobStore, tmp_path: Path
):
    source = tmp_path / "abc.bin"
    source.write_bytes(b"abc")
    store.put(b"abc")
    store.put_file(source)
    assert files_under(store.root) == [Path("ba") / "78" / ABC_HEX]


# --- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("read", ["get", "get_if_cached"])
def test_tampered_blob_raises_integrity_error(store: FilesystemBlobStore, read: str):
    locator = store.put(b"abc")
    store.path_for(locator).write_bytes(b"abd")
    with pytest.raises(IntegrityError, match=f"blob {locator} .* hashes to {locator_for(b'abd')}$"):
        getattr(store, read)(locator)


def test_truncated_blob_raises_integrity_error(store: FilesystemBlobStore):
    locator = store.put(b"abc")
    store.path_for(locator).write_bytes(b"ab")
    with pytest.raises(IntegrityError):
        store.get(locator)


def test_reading_a_tampered_blob_to_the_end_raises_integrity_error(store: FilesystemBlobStore):
    locator = store.put(b"abc" * 5000)
    store.path_for(locator).write_bytes(b"abd" * 5000)
    with store.open(locator) as blob, pytest.raises(IntegrityError, match=locator):
        while blob.read(1000):
            pass


def test_reading_a_tampered_blob_at_once_raises_integrity_error(store: FilesystemBlobStore):
    locator = store.put(b"abc")
    store.path_for(locator).write_bytes(b"abd")
    with store.open(locator) as blob, pytest.raises(IntegrityError):
        blob.read()


# --- reads that never wait for the disk (get_if_cached) ---------------------------------------


def test_get_if_cached_returns_a_blob_in_the_page_cache(store: FilesystemBlobStore):
    data = os.urandom(1 << 20)
    assert store.get_if_cached(store.put(data)) == data  # just written: cached


def test_get_if_cached_returns_an_empty_blob(store: FilesystemBlobStore):
    assert store.get_if_cached(store.put(b"")) == b""


def test_get_if_cached_returns_none_for_a_blob_on_disk_only(store: FilesystemBlobStore):
    data = os.urandom(2 << 20)
    locator = store.put(data)
    evict_from_page_cache(store.path_for(locator))
    assert store.get_if_cached(locator) is None


def test_get_if_cached_returns_none_when_part_of_the_blob_is_on_disk_only(store: FilesystemBlobStore):
    locator = store.put(os.urandom(4 << 20))
    path = store.path_for(locator)
    evict_from_page_cache(path)
    with path.open("rb") as blob:
        # Read-ahead off for this read: the first 512 KiB alone come back into the cache. With
        # it on (8 MiB on the CI disk), the read would leave a read-ahead mark that get_if_cached's
        # own read trips, and a fast disk could fill the rest of the file during that read
        # (4 times in 600 here under load), so that the whole blob is cached by then.
        os.posix_fadvise(blob.fileno(), 0, 0, os.POSIX_FADV_RANDOM)
        assert len(blob.read(512 << 10)) == 512 << 10
    assert store.get_if_cached(locator) is None


def test_get_if_cached_returns_a_blob_again_once_get_read_it(store: FilesystemBlobStore):
    data = os.urandom(2 << 20)
    locator = store.put(data)
    evict_from_page_cache(store.path_for(locator))
    assert store.get(locator) == data
    assert store.get_if_cached(locator) == data


def test_get_if_cached_of_a_missing_blob_raises_storage_error(store: FilesystemBlobStore):
    with pytest.raises(StorageError, match="no blob"):
        store.get_if_cached(ABC_LOCATOR)


def test_get_if_cached_returns_none_without_rwf_nowait(store: FilesystemBlobStore, monkeypatch):
    locator = store.put(b"abc")
    monkeypatch.delattr(os, "RWF_NOWAIT")
    assert store.get_if_cached(locator) is None


def test_deleting_a_blob_twice_raises_storage_error(store: FilesystemBlobStore):
    locator = store.put(b"abc")
    store.delete(locator)
    with pytest.raises(StorageError, match="not in the store"):
        store.delete(locator)


def test_put_file_of_a_missing_source_raises_storage_error_and_leaves_nothing(
    store: FilesystemBlobStore, tmp_path: Path
):
    with pytest.raises(StorageError, match=re.escape(str(tmp_path / "absent.bin"))):
        store.put_file(tmp_path / "absent.bin")
    assert not store.root.exists() or files_under(store.root) == []


def test_put_file_that_fails_after_copying_leaves_no_temporary_file(
    store: FilesystemBlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    source = tmp_path / "abc.bin"
    source.write_bytes(b"abc")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("offchain.storage.filesystem.os.replace", broken_replace)
    with pytest.raises(StorageError, match="disk full"):
        store.put_file(source)
    assert files_under(store.root) == []


def test_put_that_fails_to_write_raises_storage_error(store: FilesystemBlobStore, monkeypatch: pytest.MonkeyPatch):
    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("offchain.atomic_io.os.replace", broken_replace)
    with pytest.raises(StorageError, match=f"could not write blob {ABC_LOCATOR}"):
        store.put(b"abc")
    assert files_under(store.root) == []


# --- staged writes adopted by rename (streamed uploads) ----------------------------------------


def test_a_staged_blob_written_in_pieces_is_adopted_by_rename_and_round_trips(store: FilesystemBlobStore):
    data = bytes(range(256)) * 5000
    with store.stage() as staged:
        for start in range(0, len(data), 100_000):
            staged.write(data[start : start + 100_000])
        assert staged.size_bytes == len(data)
        assert store.adopt(staged, locator_for(data)) == locator_for(data)
    assert store.get(locator_for(data)) == data
    assert files_under(store.root) == [store.path_for(locator_for(data)).relative_to(store.root)]


def test_adopt_refuses_a_digest_mismatch_and_stores_nothing(store: FilesystemBlobStore):
    with store.stage() as staged:
        staged.write(b"abd")
        with pytest.raises(IntegrityError, match=f"expected {ABC_LOCATOR}"):
            store.adopt(staged, ABC_LOCATOR)
    assert not store.exists(ABC_LOCATOR)
    assert files_under(store.root) == []


def test_a_staged_blob_left_without_adopting_leaves_no_file(store: FilesystemBlobStore):
    with pytest.raises(RuntimeError), store.stage() as staged:
        staged.write(b"abc")
        assert staged.path.parent == store.root and staged.path.name.startswith(".")
        raise RuntimeError("the upload failed")
    assert files_under(store.root) == []


def test_adopting_content_already_present_leaves_one_blob(store: FilesystemBlobStore):
    store.put(b"abc")
    with store.stage() as staged:
        staged.write(b"abc")
        store.adopt(staged, ABC_LOCATOR)
    assert files_under(store.root) == [Path("ba") / "78" / ABC_HEX]


def test_a_blob_staged_by_another_store_is_not_adopted(store: FilesystemBlobStore, tmp_path: Path):
    with FilesystemBlobStore(tmp_path / "other").stage() as staged:
        staged.write(b"abc")
        with pytest.raises(InvalidInputError, match="staged by this store"):
            store.adopt(staged, ABC_LOCATOR)
    assert not store.exists(ABC_LOCATOR)


@pytest.mark.parametrize("action", ["write", "sync"])
def test_writing_to_or_syncing_an_adopted_blob_raises_storage_error(store: FilesystemBlobStore, action: str):
    with store.stage() as staged:
        staged.write(b"ab")
        staged.sync()  # flushed early, while other checks run; more may follow
        staged.write(b"c")
        store.adopt(staged, ABC_LOCATOR)
        with pytest.raises(StorageError, match="already adopted or discarded"):
            staged.write(b"more") if action == "write" else staged.sync()
    assert store.get(ABC_LOCATOR) == b"abc"


def test_sweep_staged_removes_what_a_crash_left_and_keeps_blobs(store: FilesystemBlobStore):
    locator = store.put(b"kept")
    staged = store.stage()  # a crash: never adopted nor discarded
    staged.write(b"partial")
    (store.root / ".put-leftover.tmp").write_bytes(b"partial")
    assert store.sweep_staged(older_than_s=3600) == 0  # too young: a write may still be under way
    assert store.sweep_staged() == 2
    assert files_under(store.root) == [store.path_for(locator).relative_to(store.root)]
    staged.discard()
