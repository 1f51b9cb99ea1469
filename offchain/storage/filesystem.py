"""A content-addressed blob store in a local folder.

Layout: the blob with locator ``sha256:<hex>`` lives at ``<root>/<hex[0:2]>/<hex[2:4]>/<hex>``
(two levels of 256 sub-folders keep folders small). Writes are atomic: a blob file is either
absent or complete, never partial. Reads re-hash the content, so a blob corrupted on disk or
edited by someone with access to the folder is reported, never returned.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from offchain.atomic_io import atomic_write_bytes
from offchain.errors import IntegrityError, StorageError
from offchain.storage.base import LOCATOR_PREFIX, check_range, locator_for, parse_locator

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["FilesystemBlobStore"]

logger = logging.getLogger(__name__)

_COPY_CHUNK_BYTES = 1 << 20  # 1 MiB per read when streaming a file into the store


class FilesystemBlobStore:
    """A :class:`~offchain.storage.base.BlobStore` keeping blobs as files under ``root``.

    Example::

        store = FilesystemBlobStore(Path("blobs"))
        locator = store.put(envelope)          # "sha256:9f86d0…"
        assert store.get(locator) == envelope

    Args:
        root: The store's folder; created on the first write.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, locator: str) -> Path:
        """Return where the blob named by ``locator`` is (or would be) stored.

        Raises:
            InvalidInputError: if ``locator`` is malformed.
        """
        hex_digest = parse_locator(locator).hex()
        return self.root / hex_digest[0:2] / hex_digest[2:4] / hex_digest

    def put(self, data: bytes) -> str:
        """Store ``data`` atomically and return its locator; a blob already present is not rewritten.

        Args:
            data: The blob.

        Returns:
            ``"sha256:" + sha256(data).hex()``.

        Raises:
            StorageError: if the blob cannot be written.
        """
        locator = locator_for(data)
        path = self.path_for(locator)
        if path.is_file():
            logger.debug("blob %s already stored", locator)
            return locator
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            raise StorageError(f"could not write blob {locator} to {path}: {exc}") from exc
        logger.debug("stored blob %s (%d bytes)", locator, len(data))
        return locator

    def put_file(self, path: Path) -> str:
        """Store the contents of the file at ``path``, streaming it in constant memory.

        The bytes are hashed while they are copied to a temporary file in ``root``, which is
        renamed to the blob's place once the digest is known. On any error the temporary file
        is removed, so no partial blob is ever stored. A blob already present is not rewritten.

        Args:
            path: The file to store.

        Returns:
            The blob's locator, the same :meth:`put` returns for the file's bytes.

        Raises:
            StorageError: if ``path`` cannot be read (e.g. it does not exist) or the blob
                cannot be written.
        """
        hasher = hashlib.sha256()
        try:
            with path.open("rb") as src:
                self.root.mkdir(parents=True, exist_ok=True)
                fd, tmp_name = tempfile.mkstemp(prefix=".put-", suffix=".tmp", dir=self.root)
                try:
                    with os.fdopen(fd, "wb") as tmp:
                        while chunk := src.read(_COPY_CHUNK_BYTES):
                            hasher.update(chunk)
                            tmp.write(chunk)
                        tmp.flush()
                        os.fsync(tmp.fileno())
                    locator = LOCATOR_PREFIX + hasher.hexdigest()
                    blob_path = self.path_for(locator)
                    if not blob_path.is_file():
                        blob_path.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(tmp_name, blob_path)
                finally:
                    Path(tmp_name).unlink(missing_ok=True)  # no-op once renamed into place
        except OSError as exc:
            raise StorageError(f"could not store the file {path} in {self.root}: {exc}") from exc
        logger.debug("stored file %s as blob %s", path, locator)
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
            IntegrityError: if the stored bytes no longer hash to ``locator`` (corrupted or tampered with).
        """
        expected = parse_locator(locator)
        path = self.path_for(locator)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StorageError(f"no blob {locator} in the store at {self.root}") from None
        except OSError as exc:
            raise StorageError(f"could not read blob {locator} from {path}: {exc}") from exc
        found = hashlib.sha256(data).digest()
        if found != expected:
            raise IntegrityError(
                f"blob {locator} at {path} is corrupted or was tampered with: "
                f"its content hashes to {LOCATOR_PREFIX}{found.hex()}"
            )
        return data

    def open(self, locator: str) -> BinaryIO:
        """Open the blob stored under ``locator`` for streaming reads, checked as it is read.

        The returned file hashes what is read and raises
        :class:`~offchain.errors.IntegrityError` when it reaches the end of a blob that does
        not hash to ``locator``. WARNING: the check happens at the end only; treat the bytes as
        unverified until a read has returned ``b""`` (or ``read()`` returned everything) without
        raising. The file is not seekable. Close it after use (it is a context manager).

        Args:
            locator: The blob's locator.

        Returns:
            A readable binary file.

        Raises:
            InvalidInputError: if ``locator`` is malformed.
            StorageError: if no blob is stored under ``locator`` or it cannot be opened.
        """
        expected = parse_locator(locator)
        path = self.path_for(locator)
        try:
            raw = path.open("rb", buffering=0)
        except FileNotFoundError:
            raise StorageError(f"no blob {locator} in the store at {self.root}") from None
        except OSError as exc:
            raise StorageError(f"could not open blob {locator} at {path}: {exc}") from exc
        return io.BufferedReader(_VerifyingReader(raw, expected, locator))

    def read_range(self, locator: str, offset: int, length: int) -> bytes:
        """Return up to ``length`` bytes of the blob from ``offset``, UNVERIFIED (see BlobStore).

        Raises:
            InvalidInputError: if ``locator`` is malformed or ``offset``/``length`` negative.
            StorageError: if no blob is stored under ``locator`` or it cannot be read.
        """
        check_range(offset, length)
        path = self.path_for(locator)
        try:
            with path.open("rb") as handle:
                available = max(0, os.fstat(handle.fileno()).st_size - offset)
                handle.seek(offset)
                return handle.read(min(length, available))  # never a buffer larger than the blob
        except FileNotFoundError:
            raise StorageError(f"no blob {locator} in the store at {self.root}") from None
        except OSError as exc:
            raise StorageError(f"could not read blob {locator} at {path}: {exc}") from exc

    def exists(self, locator: str) -> bool:
        """Return whether a blob is stored under ``locator`` (its content is not checked).

        Raises:
            InvalidInputError: if ``locator`` is malformed.
        """
        return self.path_for(locator).is_file()

    def delete(self, locator: str) -> None:
        """Remove the blob stored under ``locator``.

        Raises:
            InvalidInputError: if ``locator`` is malformed.
            StorageError: if no blob is stored under ``locator`` or it cannot be removed.
        """
        path = self.path_for(locator)
        try:
            path.unlink()
        except FileNotFoundError:
            raise StorageError(f"cannot delete blob {locator}: it is not in the store at {self.root}") from None
        except OSError as exc:
            raise StorageError(f"could not delete blob {locator} at {path}: {exc}") from exc
        logger.debug("deleted blob %s", locator)


class _VerifyingReader(io.RawIOBase):
    """A raw reader that hashes what passes through and checks the digest at end of file."""

    def __init__(self, file: io.FileIO, expected: bytes, locator: str) -> None:
        super().__init__()
        self._file = file
        self._expected = expected
        self._locator = locator
        self._hasher = hashlib.sha256()
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        count = self._file.readinto(view)
        if count:
            self._hasher.update(view[:count])
        elif len(view) and not self._checked:
            self._checked = True
            found = self._hasher.digest()
            if found != self._expected:
                raise IntegrityError(
                    f"blob {self._locator} is corrupted or was tampered with: "
                    f"its content hashes to {LOCATOR_PREFIX}{found.hex()}"
                )
        return count or 0

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()
