"""A content-addressed blob store in an S3 bucket (Amazon S3 or any S3-compatible object store).

Layout: the blob with locator ``sha256:<hex>`` is the object ``<prefix>sha256/<hex[0:2]>/<hex>``
of the bucket (the two-hex-digit level spreads keys over 256 key ranges, which S3 partitions
on). Like :class:`~offchain.storage.filesystem.FilesystemBlobStore`, the store is trusted for
availability only: :meth:`S3BlobStore.get` and :meth:`S3BlobStore.open` re-hash every blob, so an
object corrupted or replaced in the bucket is reported, never returned.

Writes:

* :meth:`~S3BlobStore.put` sends one ``PutObject`` with the blob's SHA-256 as
  ``x-amz-checksum-sha256``: Amazon S3 (and stores that implement additional checksums, such
  as MinIO) then refuse to store bytes that do not hash to the locator. Stores that ignore
  the header (s3rver, older Ceph) store the upload unchecked; reads still check it.
* :meth:`~S3BlobStore.put_file` hashes the file in one pass, then uploads it with boto3's
  managed transfer, which switches to a multipart upload from
  :data:`MULTIPART_THRESHOLD_BYTES` on (parts of :data:`MULTIPART_CHUNK_BYTES`, sent in
  parallel, each retried on its own). A single ``PutObject`` and a completed multipart upload
  are both atomic: readers never see a partial object.
* Both are idempotent: a ``HeadObject`` first, and no upload when an object of the right size
  is already there. Two writers racing on one blob both upload the same bytes, which is harmless.
  An object of the right size but wrong content is not repaired by a new ``put`` (reads
  report it as :class:`~offchain.errors.IntegrityError`): :meth:`~S3BlobStore.delete` it first.

Durability and consistency (what the store, not this class, provides):

* Amazon S3 has strong read-after-write consistency for every ``PUT``, ``DELETE``, ``GET``,
  ``HEAD`` and ``LIST`` since December 2020, and S3 Standard is designed for eleven nines of
  durability across at least three availability zones. A blob is durable once :meth:`put`
  returns.
* S3-compatible stores differ: MinIO (erasure-coded) and Ceph RGW are strongly consistent
  within one site, but their multi-site replication is asynchronous; a single-node server
  (s3rver, used by the tests) is as durable as its one disk. Check your store before relying
  on a blob being readable elsewhere right after it was written.
* A client that dies during a multipart upload leaves invisible parts that are billed until
  removed: give the bucket a lifecycle rule ``AbortIncompleteMultipartUpload`` (e.g. after a day).
* In a versioned bucket :meth:`delete` only adds a delete marker; the ciphertext stays in
  older versions until they are purged. Envelopes are encrypted, but if a deletion must be
  final, do not enable versioning (or purge versions too).
* ``HeadObject`` cannot tell a missing bucket from a missing key (both are a bodiless 404),
  so :meth:`exists` is ``False`` and :meth:`delete` reports a missing blob when the bucket
  itself is missing; :meth:`put` and :meth:`get` name the missing bucket.

Every error of the client (HTTP errors, connection failures, failed uploads) is raised as
:class:`~offchain.errors.StorageError` naming the bucket and key.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import boto3
import boto3.exceptions
import botocore.exceptions
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from offchain.errors import IntegrityError, InvalidInputError, StorageError
from offchain.storage.base import LOCATOR_PREFIX, check_range, parse_locator

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["MULTIPART_CHUNK_BYTES", "MULTIPART_THRESHOLD_BYTES", "S3BlobStore"]

logger = logging.getLogger(__name__)

#: Files of at least this many bytes are uploaded in parts (boto3's default, 8 MiB).
MULTIPART_THRESHOLD_BYTES = 8 << 20
#: Size of each part of a multipart upload (8 MiB; S3 allows 5 MiB .. 5 GiB and 10,000 parts).
MULTIPART_CHUNK_BYTES = 8 << 20

_HASH_CHUNK_BYTES = 1 << 20  # 1 MiB per read when hashing a file before its upload
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_CLIENT_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, boto3.exceptions.Boto3Error)


class S3BlobStore:
    """A :class:`~offchain.storage.base.BlobStore` keeping blobs as objects of an S3 bucket.

    Give either a boto3 S3 ``client`` (configured as you like), or the connection settings
    from which the store builds one (Signature Version 4; path-style addressing when
    ``endpoint_url`` is given, as MinIO, Ceph and s3rver expect; standard retry mode).
    Without ``endpoint_url`` the client talks to Amazon S3; without credentials it uses
    boto3's usual chain (environment, ``~/.aws``, instance role).

    Example::

        store = S3BlobStore("datashare-blobs", endpoint_url="http://127.0.0.1:9000",
                            access_key_id="...", secret_access_key="...", prefix="hospital-a/")
        locator = store.put(envelope)          # "sha256:9f86d0…"
        assert store.get(locator) == envelope

    Args:
        bucket: The bucket's name; it must exist.
        client: A boto3 S3 client; then give none of the connection settings.
        endpoint_url: URL of an S3-compatible service, e.g. ``"http://127.0.0.1:9000"``.
        access_key_id: Access key id; give it together with ``secret_access_key``.
        secret_access_key: Secret access key.
        region: Region name (``"us-east-1"`` when neither given nor configured).
        prefix: Prepended to every key; empty, or ending with ``"/"`` (``"tenant-a/"``).

    Raises:
        InvalidInputError: if the arguments are inconsistent (a client and connection
            settings, only one half of the credentials, a prefix not ending with ``"/"``).
    """

    def __init__(
        self,
        bucket: str,
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str | None = None,
        prefix: str = "",
    ) -> None:
        if not isinstance(bucket, str) or not bucket or "/" in bucket:
            raise InvalidInputError(f"bucket must be a non-empty name without '/', got {bucket!r}")
        if not isinstance(prefix, str) or (prefix and not prefix.endswith("/")) or prefix.startswith("/"):
            raise InvalidInputError(f"prefix must be empty or end with '/' (and not start with it), got {prefix!r}")
        settings = {
            "endpoint_url": endpoint_url,
            "access_key_id": access_key_id,
            "secret_access_key": secret_access_key,
            "region": region,
        }
        if client is not None and any(value is not None for value in settings.values()):
            given = ", ".join(name for name, value in settings.items() if value is not None)
            raise InvalidInputError(f"give either a client or connection settings, not both (also got {given})")
        if (access_key_id is None) != (secret_access_key is None):
            raise InvalidInputError("give both access_key_id and secret_access_key, or neither")
        self.bucket = bucket
        self.prefix = prefix
        self.client: Any = client if client is not None else _make_client(**settings)
        self._transfer_config = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD_BYTES,
            multipart_chunksize=MULTIPART_CHUNK_BYTES,
            preferred_transfer_client="classic",  # the same code path with or without awscrt
        )

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def key_for(self, locator: str) -> str:
        """Return the object key of the blob named by ``locator``: ``<prefix>sha256/<hex[0:2]>/<hex>``.

        Raises:
            InvalidInputError: if ``locator`` is malformed.
        """
        hex_digest = parse_locator(locator).hex()
        return f"{self.prefix}sha256/{hex_digest[0:2]}/{hex_digest}"

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its locator; a blob already present is not uploaded again.

        Args:
            data: The blob.

        Returns:
            ``"sha256:" + sha256(data).hex()``.

        Raises:
            StorageError: if the blob cannot be written (missing bucket, no permission,
                unreachable store, or the store found the upload corrupted).
        """
        digest = hashlib.sha256(data).digest()
        locator = LOCATOR_PREFIX + digest.hex()
        key = self.key_for(locator)
        if self._stored_size(key, locator) == len(data):
            logger.debug("blob %s already stored in bucket %s", locator, self.bucket)
            return locator
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ChecksumSHA256=base64.b64encode(digest).decode("ascii"),  # the store checks the upload
            )
        except _CLIENT_ERRORS as exc:
            raise StorageError(f"could not write blob {locator} to {self._where(key)}: {_reason(exc)}") from exc
        logger.debug("stored blob %s (%d bytes) in bucket %s", locator, len(data), self.bucket)
        return locator

    def put_file(self, path: Path) -> str:
        """Store the contents of the file at ``path``, streaming it, and return its locator.

        The file is read twice: once to hash it (its locator names the object), then by
        boto3's managed transfer, which uploads files of :data:`MULTIPART_THRESHOLD_BYTES` or
        more in parallel parts. The file must not change meanwhile: if its size, modification
        time or inode differ after the upload, the object is removed again and
        :class:`~offchain.errors.StorageError` is raised. A blob already present is not
        uploaded again.

        Args:
            path: The file to store.

        Returns:
            The blob's locator, the same :meth:`put` returns for the file's bytes.

        Raises:
            StorageError: if ``path`` cannot be read, changed during the upload, or the blob
                cannot be written.
        """
        path = Path(path)
        try:
            with path.open("rb") as src:
                before = os.fstat(src.fileno())
                hasher = hashlib.sha256()
                while chunk := src.read(_HASH_CHUNK_BYTES):
                    hasher.update(chunk)
        except OSError as exc:
            raise StorageError(f"could not read the file {path}: {exc}") from exc
        locator = LOCATOR_PREFIX + hasher.hexdigest()
        key = self.key_for(locator)
        if self._stored_size(key, locator) == before.st_size:
            logger.debug("blob %s (file %s) already stored in bucket %s", locator, path, self.bucket)
            return locator
        try:
            self.client.upload_file(str(path), self.bucket, key, Config=self._transfer_config)
        except _CLIENT_ERRORS as exc:
            raise StorageError(
                f"could not upload the file {path} as blob {locator} to {self._where(key)}: {_reason(exc)}"
            ) from exc
        try:
            after = os.stat(path)
        except OSError as exc:
            after = None
            logger.warning("file %s vanished during its upload: %s", path, exc)
        if after is None or _identity(after) != _identity(before):
            self._delete_key(key, locator)
            raise StorageError(
                f"the file {path} changed while it was uploaded as blob {locator}; the object was removed, try again"
            )
        logger.debug("stored file %s (%d bytes) as blob %s in bucket %s", path, before.st_size, locator, self.bucket)
        return locator

    def get(self, locator: str) -> bytes:
        """Return the blob stored under ``locator``, after checking that it hashes to ``locator``.

        Args:
            locator: The blob's locator.

        Returns:
            The blob.

        Raises:
            InvalidInputError: if ``locator`` is malformed.
            StorageError: if no blob is stored under ``locator`` or it cannot be read.
            IntegrityError: if the stored bytes do not hash to ``locator`` (corrupted or replaced).
        """
        expected = parse_locator(locator)
        key = self.key_for(locator)
        body = self._open_body(key, locator)
        try:
            data: bytes = body.read()
        except botocore.exceptions.FlexibleChecksumError as exc:
            raise IntegrityError(f"blob {locator} at {self._where(key)} failed the transfer checksum: {exc}") from exc
        except _CLIENT_ERRORS as exc:
            raise StorageError(f"could not read blob {locator} from {self._where(key)}: {_reason(exc)}") from exc
        finally:
            body.close()
        found = hashlib.sha256(data).digest()
        if found != expected:
            logger.warning("blob %s at %s does not match its locator", locator, self._where(key))
            raise IntegrityError(
                f"blob {locator} at {self._where(key)} is corrupted or was tampered with: "
                f"its content hashes to {LOCATOR_PREFIX}{found.hex()}"
            )
        return data

    def open(self, locator: str) -> BinaryIO:
        """Open the blob stored under ``locator`` for streaming reads, checked as it is read.

        The returned file streams the object's body, hashes what is read and raises
        :class:`~offchain.errors.IntegrityError` when it reaches the end of a blob that does
        not hash to ``locator``. WARNING: the check happens at the end only; treat the bytes as
        unverified until a read has returned ``b""`` (or ``read()`` returned everything) without
        raising. The file is not seekable; close it after use (it is a context manager), which
        also releases the HTTP connection.

        Args:
            locator: The blob's locator.

        Returns:
            A readable binary file.

        Raises:
            InvalidInputError: if ``locator`` is malformed.
            StorageError: if no blob is stored under ``locator`` or it cannot be opened (and,
                from reads, if the connection fails midway).
        """
        expected = parse_locator(locator)
        key = self.key_for(locator)
        body = self._open_body(key, locator)
        return io.BufferedReader(_VerifyingBody(body, expected, locator, self._where(key)), buffer_size=1 << 16)

    def read_range(self, locator: str, offset: int, length: int) -> bytes:
        """Return up to ``length`` bytes of the blob from ``offset``, UNVERIFIED (an HTTP range GET).

        WARNING: a part of a blob cannot be checked against its address; the caller verifies it
        otherwise (an audit does, with Merkle paths).

        Raises:
            InvalidInputError: if ``locator`` is malformed or ``offset``/``length`` negative.
            StorageError: if no blob is stored under ``locator`` or it cannot be read.
        """
        check_range(offset, length)
        key = self.key_for(locator)
        if length == 0:
            if self._stored_size(key, locator) is None:
                raise StorageError(f"no blob {locator} in the store: {self._where(key)} does not exist")
            return b""
        try:
            response = self.client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes={offset}-{offset + length - 1}"
            )
            data: bytes = response["Body"].read()
        except botocore.exceptions.ClientError as exc:
            code = _error_code(exc)
            if code in _MISSING_CODES:
                raise StorageError(f"no blob {locator} in the store: {self._where(key)} does not exist") from None
            if code == "InvalidRange":  # offset at or past the end
                return b""
            raise StorageError(f"could not read blob {locator} from {self._where(key)}: {_reason(exc)}") from exc
        except _CLIENT_ERRORS as exc:
            raise StorageError(f"could not read blob {locator} from {self._where(key)}: {_reason(exc)}") from exc
        return data[:length]

    def exists(self, locator: str) -> bool:
        """Return whether a blob is stored under ``locator`` (its content is not checked).

        Raises:
            InvalidInputError: if ``locator`` is malformed.
            StorageError: if the store cannot be asked.
        """
        return self._stored_size(self.key_for(locator), locator) is not None

    def delete(self, locator: str) -> None:
        """Remove the blob stored under ``locator``.

        Raises:
            InvalidInputError: if ``locator`` is malformed.
            StorageError: if no blob is stored under ``locator`` or it cannot be removed.
        """
        key = self.key_for(locator)
        if self._stored_size(key, locator) is None:  # DeleteObject succeeds on a missing key
            raise StorageError(f"cannot delete blob {locator}: it is not in {self._where(key)}")
        self._delete_key(key, locator)
        logger.debug("deleted blob %s from bucket %s", locator, self.bucket)

    def _stored_size(self, key: str, locator: str) -> int | None:
        """The size of the object at ``key``, or ``None`` if there is none."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except botocore.exceptions.ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                return None
            raise StorageError(f"could not look up blob {locator} at {self._where(key)}: {_reason(exc)}") from exc
        except _CLIENT_ERRORS as exc:
            raise StorageError(f"could not look up blob {locator} at {self._where(key)}: {_reason(exc)}") from exc
        return int(head["ContentLength"])

    def _open_body(self, key: str, locator: str) -> Any:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except botocore.exceptions.ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                raise StorageError(f"no blob {locator} in the store: {self._where(key)} does not exist") from None
            raise StorageError(f"could not read blob {locator} from {self._where(key)}: {_reason(exc)}") from exc
        except _CLIENT_ERRORS as exc:
            raise StorageError(f"could not read blob {locator} from {self._where(key)}: {_reason(exc)}") from exc

    def _delete_key(self, key: str, locator: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except _CLIENT_ERRORS as exc:
            raise StorageError(f"could not delete blob {locator} at {self._where(key)}: {_reason(exc)}") from exc

    def _where(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


class _VerifyingBody(io.RawIOBase):
    """A raw reader over a botocore streaming body that checks the SHA-256 at end of stream."""

    def __init__(self, body: Any, expected: bytes, locator: str, where: str) -> None:
        super().__init__()
        self._body = body
        self._expected = expected
        self._locator = locator
        self._where = where
        self._hasher = hashlib.sha256()
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if not len(view):
            return 0
        data = self._read(len(view))
        if data:
            view[: len(data)] = data
            self._hasher.update(data)
        else:
            self._check()
        return len(data)

    def readall(self) -> bytes:
        data = self._read(None)
        self._hasher.update(data)
        self._check()
        return data

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()

    def _read(self, size: int | None) -> bytes:
        try:
            data: bytes = self._body.read(size)
        except botocore.exceptions.FlexibleChecksumError as exc:
            raise IntegrityError(f"blob {self._locator} at {self._where} failed the transfer checksum: {exc}") from exc
        except (*_CLIENT_ERRORS, OSError) as exc:
            raise StorageError(f"could not read blob {self._locator} from {self._where}: {_reason(exc)}") from exc
        return data

    def _check(self) -> None:
        if self._checked:
            return
        self._checked = True
        found = self._hasher.digest()
        if found != self._expected:
            logger.warning("blob %s at %s does not match its locator", self._locator, self._where)
            raise IntegrityError(
                f"blob {self._locator} at {self._where} is corrupted or was tampered with: "
                f"its content hashes to {LOCATOR_PREFIX}{found.hex()}"
            )


def _make_client(
    *,
    endpoint_url: str | None,
    access_key_id: str | None,
    secret_access_key: str | None,
    region: str | None,
) -> Any:
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=60,
    )
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        region_name=region or boto3.session.Session().region_name or "us-east-1",
        config=config,
    )


def _identity(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _error_code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{error.get('Code', 'error')} (HTTP {status}): {error.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"
