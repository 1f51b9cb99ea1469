"""offchain.storage.s3: S3BlobStore against a real S3-compatible server (s3rver, see conftest.py).

The behaviour every store shares is in test_blob_store_contract.py; this module covers what is
S3-specific: the key layout, the requests sent, multipart uploads, error mapping, settings.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from offchain.errors import IntegrityError, InvalidInputError, StorageError
from offchain.services.local import free_port
from offchain.storage import BlobStore, locator_for
from offchain.storage.s3 import MULTIPART_THRESHOLD_BYTES, S3BlobStore

ABC_HEX = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256(b"abc")
ABC_LOCATOR = "sha256:" + ABC_HEX


class RequestLog:
    """Counts the S3 operations a client sends and keeps the headers of each request."""

    def __init__(self, client: Any) -> None:
        self.operations: Counter[str] = Counter()
        self.headers: list[tuple[str, dict[str, str]]] = []
        client.meta.events.register("before-call.s3", self._on_call)
        client.meta.events.register("before-send.s3", self._on_send)

    def _on_call(self, model: Any, **kwargs: Any) -> None:
        self.operations[model.name] += 1

    def _on_send(self, request: Any, **kwargs: Any) -> None:
        self.headers.append((request.method, dict(request.headers)))


def object_keys(client: Any, bucket: str) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", []))


# --- layout and requests ------------------------------------------------------------------------


def test_s3_store_satisfies_the_blob_store_protocol(s3_store: S3BlobStore):
    assert isinstance(s3_store, BlobStore)


def test_blob_key_is_sha256_then_two_hex_digits_then_the_digest(s3_store: S3BlobStore, s3_client: Any):
    s3_store.put(b"abc")
    assert object_keys(s3_client, s3_store.bucket) == [f"sha256/ba/{ABC_HEX}"]


def test_prefix_is_prepended_to_every_key(s3_server: Any, s3_bucket: str, s3_client: Any):
    store = S3BlobStore(s3_bucket, client=s3_client, prefix="hospital-a/")
    store.put(b"abc")
    assert store.key_for(ABC_LOCATOR) == f"hospital-a/sha256/ba/{ABC_HEX}"
    assert object_keys(s3_client, s3_bucket) == [f"hospital-a/sha256/ba/{ABC_HEX}"]


def test_stores_with_different_prefixes_do_not_see_each_other(s3_bucket: str, s3_client: Any):
    tenant_a = S3BlobStore(s3_bucket, client=s3_client, prefix="a/")
    tenant_b = S3BlobStore(s3_bucket, client=s3_client, prefix="b/")
    locator = tenant_a.put(b"abc")
    assert not tenant_b.exists(locator)


def test_store_built_from_a_client_reads_what_a_store_built_from_settings_wrote(s3_store: S3BlobStore, s3_client: Any):
    locator = s3_store.put(b"abc")
    assert S3BlobStore(s3_store.bucket, client=s3_client).get(locator) == b"abc"


def test_put_sends_the_sha256_of_the_blob_for_the_store_to_check(s3_store: S3BlobStore):
    requests = RequestLog(s3_store.client)
    s3_store.put(b"abc")
    put_headers = [headers for method, headers in requests.headers if method == "PUT"]
    assert len(put_headers) == 1
    expected = base64.b64encode(hashlib.sha256(b"abc").digest()).decode()
    sent = put_headers[0]["x-amz-checksum-sha256"]
    assert (sent.decode() if isinstance(sent, bytes) else sent) == expected


def test_putting_stored_content_again_uploads_nothing(s3_store: S3BlobStore):
    s3_store.put(b"abc")
    requests = RequestLog(s3_store.client)
    s3_store.put(b"abc")
    assert requests.operations == Counter({"HeadObject": 1})


def test_put_replaces_a_stored_object_of_the_wrong_size(s3_store: S3BlobStore, s3_client: Any):
    locator = s3_store.put(b"abc")
    s3_client.put_object(Bucket=s3_store.bucket, Key=s3_store.key_for(locator), Body=b"ab")  # truncated
    s3_store.put(b"abc")
    assert s3_store.get(locator) == b"abc"


def test_put_file_above_the_threshold_is_a_multipart_upload(s3_store: S3BlobStore, tmp_path: Path):
    data = bytes(range(256)) * (MULTIPART_THRESHOLD_BYTES // 256 + 4096)  # 9 MiB: two parts
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    requests = RequestLog(s3_store.client)
    locator = s3_store.put_file(source)
    assert requests.operations["CreateMultipartUpload"] == 1
    assert requests.operations["UploadPart"] == 2
    assert requests.operations["CompleteMultipartUpload"] == 1
    assert locator == locator_for(data) == s3_store.put(data)
    assert s3_store.get(locator) == data


def test_put_file_below_the_threshold_is_a_single_put(s3_store: S3BlobStore, tmp_path: Path):
    source = tmp_path / "small.bin"
    source.write_bytes(b"abc")
    requests = RequestLog(s3_store.client)
    s3_store.put_file(source)
    assert requests.operations["PutObject"] == 1
    assert requests.operations["CreateMultipartUpload"] == 0


def test_put_file_of_stored_content_uploads_nothing(s3_store: S3BlobStore, tmp_path: Path):
    s3_store.put(b"abc")
    source = tmp_path / "abc.bin"
    source.write_bytes(b"abc")
    requests = RequestLog(s3_store.client)
    assert s3_store.put_file(source) == ABC_LOCATOR
    assert requests.operations == Counter({"HeadObject": 1})


def test_file_changed_during_its_upload_is_refused_and_its_object_removed(
    s3_store: S3BlobStore, s3_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    source = tmp_path / "abc.bin"
    source.write_bytes(b"abc")
    upload_file = s3_store.client.upload_file

    def upload_then_append(*args: Any, **kwargs: Any) -> None:
        upload_file(*args, **kwargs)
        with source.open("ab") as changed:
            changed.write(b" and more")

    monkeypatch.setattr(s3_store.client, "upload_file", upload_then_append)
    with pytest.raises(StorageError, match="changed while it was uploaded"):
        s3_store.put_file(source)
    assert object_keys(s3_client, s3_store.bucket) == []


def test_open_reads_a_large_blob_in_pieces(s3_store: S3BlobStore):
    data = bytes(range(256)) * 4096  # 1 MiB
    locator = s3_store.put(data)
    with s3_store.open(locator) as blob:
        pieces = []
        while piece := blob.read(100_000):
            pieces.append(piece)
    assert b"".join(pieces) == data


# --- failures -----------------------------------------------------------------------------------


def test_blob_overwritten_on_the_server_raises_integrity_error_naming_bucket_and_key(
    s3_store: S3BlobStore, s3_client: Any
):
    locator = s3_store.put(b"abc")
    key = s3_store.key_for(locator)
    s3_client.put_object(Bucket=s3_store.bucket, Key=key, Body=b"abd")
    with pytest.raises(IntegrityError, match=re.escape(f"s3://{s3_store.bucket}/{key}")):
        s3_store.get(locator)


def test_blob_overwritten_on_the_server_raises_integrity_error_when_streamed(s3_store: S3BlobStore, s3_client: Any):
    data = b"abc" * 100_000
    locator = s3_store.put(data)
    s3_client.put_object(Bucket=s3_store.bucket, Key=s3_store.key_for(locator), Body=b"abd" * 100_000)
    with s3_store.open(locator) as blob, pytest.raises(IntegrityError, match=locator):
        while blob.read(65_536):
            pass


def test_missing_blob_raises_storage_error_naming_bucket_and_key(s3_store: S3BlobStore):
    with pytest.raises(StorageError, match=re.escape(f"s3://{s3_store.bucket}/sha256/ba/{ABC_HEX}")):
        s3_store.get(ABC_LOCATOR)


@pytest.mark.parametrize("method", ["put", "get"])
def test_missing_bucket_raises_storage_error_naming_it(s3_client: Any, method: str):
    store = S3BlobStore("no-such-bucket", client=s3_client)
    argument = b"abc" if method == "put" else ABC_LOCATOR
    with pytest.raises(StorageError, match=r"s3://no-such-bucket/.*NoSuchBucket"):
        getattr(store, method)(argument)


def test_put_file_into_a_missing_bucket_raises_storage_error(s3_client: Any, tmp_path: Path):
    source = tmp_path / "abc.bin"
    source.write_bytes(b"abc")
    with pytest.raises(StorageError, match=r"could not upload the file .*abc.bin.* s3://no-such-bucket/"):
        S3BlobStore("no-such-bucket", client=s3_client).put_file(source)


def test_unknown_access_key_raises_storage_error(s3_server: Any, s3_bucket: str):
    # s3rver checks that the access key exists but does not verify SigV4 signatures.
    store = S3BlobStore(
        s3_bucket, endpoint_url=s3_server.endpoint_url, access_key_id="NOT-A-KEY", secret_access_key="secret"
    )
    with pytest.raises(StorageError, match=rf"s3://{s3_bucket}/.*\(HTTP 403\)"):
        store.put(b"abc")


@pytest.mark.parametrize("method", ["put", "get", "exists"])
def test_unreachable_store_raises_storage_error(s3_server: Any, method: str):
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        aws_access_key_id=s3_server.access_key_id,
        aws_secret_access_key=s3_server.secret_access_key,
        region_name=s3_server.region,
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    store = S3BlobStore("any-bucket", client=client)
    argument = b"abc" if method == "put" else ABC_LOCATOR
    with pytest.raises(StorageError, match=r"EndpointConnectionError|Could not connect"):
        getattr(store, method)(argument)


# --- settings -------------------------------------------------------------------------------------


def test_client_and_connection_settings_together_are_refused(s3_server: Any, s3_client: Any):
    with pytest.raises(InvalidInputError, match="either a client or connection settings"):
        S3BlobStore("bucket", client=s3_client, endpoint_url=s3_server.endpoint_url)


def test_half_of_the_credentials_is_refused():
    with pytest.raises(InvalidInputError, match="both access_key_id and secret_access_key"):
        S3BlobStore("bucket", endpoint_url="http://127.0.0.1:1", access_key_id="key")


@pytest.mark.parametrize("prefix", ["tenant", "/tenant/", 7])
def test_prefix_must_be_empty_or_end_with_a_slash(prefix: object):
    with pytest.raises(InvalidInputError, match="prefix"):
        S3BlobStore("bucket", endpoint_url="http://127.0.0.1:1", prefix=prefix)  # type: ignore[arg-type]


@pytest.mark.parametrize("bucket", ["", "a/b", None])
def test_bucket_must_be_a_name(bucket: object):
    with pytest.raises(InvalidInputError, match="bucket"):
        S3BlobStore(bucket, endpoint_url="http://127.0.0.1:1")  # type: ignore[arg-type]


def test_repr_names_bucket_and_prefix_and_no_credentials(s3_server: Any):
    store = S3BlobStore("bucket", endpoint_url=s3_server.endpoint_url, access_key_id="id", secret_access_key="sekrit")
    assert repr(store) == "S3BlobStore(bucket='bucket', prefix='')"
