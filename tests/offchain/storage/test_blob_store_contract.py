"""The BlobStore contract: the same behaviour tests over every store (filesystem, S3 on s3rver).

A store kind whose backend is unavailable (s3rver not installed) is skipped, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from offchain.errors import IntegrityError, InvalidInputError, StorageError
from offchain.storage import BlobStore, FilesystemBlobStore, locator_for
from offchain.storage.s3 import S3BlobStore

ABC_LOCATOR = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256(b"abc")
MALFORMED_LOCATOR = ABC_LOCATOR.upper()


@dataclass
class StoreUnderTest:
    """A store, and a way to change a stored blob's bytes behind its back (as a faulty disk or an attacker)."""

    store: Any  # a BlobStore; Any so that store-specific helpers type-check in tests
    overwrite: Callable[[str, bytes], None]


@pytest.fixture(params=["filesystem", "s3"])
def under_test(request: pytest.FixtureRequest) -> StoreUnderTest:
    if request.param == "filesystem":
        fs_store: FilesystemBlobStore = request.getfixturevalue("fs_store")
        return StoreUnderTest(fs_store, lambda locator, data: fs_store.path_for(locator).write_bytes(data))
    s3_store: S3BlobStore = request.getfixturevalue("s3_store")
    s3_client = request.getfixturevalue("s3_client")
    return StoreUnderTest(
        s3_store,
        lambda locator, data: s3_client.put_object(Bucket=s3_store.bucket, Key=s3_store.key_for(locator), Body=data),
    )


@pytest.fixture
def store(under_test: StoreUnderTest) -> Any:
    return under_test.store


# --- storing and reading ----------------------------------------------------------------------


def test_store_satisfies_the_blob_store_protocol(store: Any):
    assert isinstance(store, BlobStore)


@pytest.mark.parametrize("size", [0, 1, 1000, 100_000])
def test_put_then_get_returns_the_same_bytes(store: Any, size: int):
    data = bytes((7 * i + 3) % 256 for i in range(size))
    assert store.get(store.put(data)) == data


def test_put_returns_the_content_locator(store: Any):
    assert store.put(b"abc") == ABC_LOCATOR


def test_putting_the_same_bytes_twice_gives_the_same_locator(store: Any):
    assert store.put(b"abc") == store.put(b"abc")
    assert store.get(ABC_LOCATOR) == b"abc"


def test_put_file_gives_the_same_locator_as_put(store: Any, tmp_path: Path):
    source = tmp_path / "abc.bin"
    source.write_bytes(b"abc")
    assert store.put_file(source) == locator_for(b"abc") == ABC_LOCATOR
    assert store.get(ABC_LOCATOR) == b"abc"


def test_put_file_of_a_file_above_the_multipart_threshold_equals_put(store: Any, tmp_path: Path):
    data = bytes(range(256)) * (36 * 1024 + 1)  # 9 MiB + 256 bytes: two parts of an S3 multipart upload
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    locator = store.put_file(source)
    assert locator == locator_for(data)
    assert store.get(locator) == data


def test_put_file_of_content_already_stored_returns_its_locator(store: Any, tmp_path: Path):
    store.put(b"abc")
    source = tmp_path / "abc.bin"
    source.write_bytes(b"abc")
    assert store.put_file(source) == ABC_LOCATOR


def test_open_streams_the_blob_in_pieces(store: Any):
    locator = store.put(b"streamed content")
    with store.open(locator) as blob:
        assert blob.read(8) + blob.read(3) + blob.read() == b"streamed content"


def test_exists_is_true_for_a_stored_blob_and_false_otherwise(store: Any):
    locator = store.put(b"abc")
    assert store.exists(locator)
    assert not store.exists(locator_for(b"other"))


def test_delete_removes_the_blob(store: Any):
    locator = store.put(b"abc")
    store.delete(locator)
    assert not store.exists(locator)


def test_a_deleted_blob_can_be_stored_again(store: Any):
    store.delete(store.put(b"abc"))
    assert store.get(store.put(b"abc")) == b"abc"


# --- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "open", "delete"])
def test_missing_blob_raises_storage_error_naming_the_locator(store: Any, method: str):
    with pytest.raises(StorageError, match=ABC_LOCATOR):
        getattr(store, method)(ABC_LOCATOR)


def test_deleting_a_blob_twice_raises_storage_error(store: Any):
    locator = store.put(b"abc")
    store.delete(locator)
    with pytest.raises(StorageError, match="not in"):
        store.delete(locator)


@pytest.mark.parametrize("method", ["get", "open", "exists", "delete"])
def test_malformed_locator_is_invalid_input(store: Any, method: str):
    with pytest.raises(InvalidInputError, match="64 lowercase hex digits"):
        getattr(store, method)(MALFORMED_LOCATOR)


def test_corrupted_blob_raises_integrity_error_on_get(under_test: StoreUnderTest):
    locator = under_test.store.put(b"abc")
    under_test.overwrite(locator, b"abd")
    with pytest.raises(IntegrityError, match=f"blob {locator} .* hashes to {locator_for(b'abd')}$"):
        under_test.store.get(locator)


def test_truncated_blob_raises_integrity_error_on_get(under_test: StoreUnderTest):
    locator = under_test.store.put(b"abc")
    under_test.overwrite(locator, b"ab")
    with pytest.raises(IntegrityError, match=locator):
        under_test.store.get(locator)


def test_corrupted_blob_raises_integrity_error_when_read_to_the_end(under_test: StoreUnderTest):
    locator = under_test.store.put(b"abc" * 50_000)
    under_test.overwrite(locator, b"abd" * 50_000)
    with under_test.store.open(locator) as blob, pytest.raises(IntegrityError, match=locator):
        while blob.read(10_000):
            pass


def test_corrupted_blob_raises_integrity_error_when_read_at_once(under_test: StoreUnderTest):
    locator = under_test.store.put(b"abc")
    under_test.overwrite(locator, b"abd")
    with under_test.store.open(locator) as blob, pytest.raises(IntegrityError, match=locator):
        blob.read()


def test_put_file_of_a_missing_source_raises_storage_error(store: Any, tmp_path: Path):
    with pytest.raises(StorageError, match=r"absent\.bin"):
        store.put_file(tmp_path / "absent.bin")


def test_read_range_returns_the_bytes_at_an_offset(store: Any):
    locator = store.put(b"0123456789")
    assert store.read_range(locator, 3, 4) == b"3456"


def test_read_range_past_the_end_is_cut_short(store: Any):
    locator = store.put(b"0123456789")
    assert store.read_range(locator, 8, 10) == b"89"
    assert store.read_range(locator, 10, 5) == b""


def test_read_range_of_a_missing_blob_raises_storage_error(store: Any):
    with pytest.raises(StorageError, match="no blob"):
        store.read_range(locator_for(b"absent"), 0, 1)


def test_read_range_rejects_a_negative_offset(store: Any):
    locator = store.put(b"data")
    with pytest.raises(InvalidInputError, match="offset"):
        store.read_range(locator, -1, 1)
