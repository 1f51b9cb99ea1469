"""A content-addressed blob store in a local folder.

Layout: the blob with locator ``sha256:<hex>`` lives at ``<root>/<hex[0:2]>/<hex[2:4]>/<hex>``
(two levels of 256 sub-folders keep folders small). Writes are atomic: a blob file is either
absent or complete, never partial; and durable: the file is fsynced before its rename into place
and the folder after it. Reads re-hash the content, so a blob corrupted on disk or
edited by someone with access to the folder is reported, never returned.

Streamed writes (:meth:`FilesystemBlobStore.stage` → :class:`StagedBlob` →
:meth:`FilesystemBlobStore.adopt`): the bytes go to a hidden temporary file in ``root`` (names
starting with ``.``, never a locator), hashed as they are written, so a caller receiving a blob
over the network writes and hashes it once; ``adopt`` then checks the digest against the
locator the caller expected, fsyncs the file, renames it into place and fsyncs the folder. A
crash before the rename leaves only a hidden temporary file, which
:meth:`FilesystemBlobStore.sweep_staged` removes at start-up.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from offchain.atomic_io import atomic_write_bytes
from offchain.errors import IntegrityError, InvalidInputError, StorageError
from offchain.storage.base import LOCATOR_PREFIX, check_range, locator_for, parse_locator

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["FilesystemBlobStore", "StagedBlob"]

logger = logging.getLogger(__name__)

_COPY_CHUNK_BYTES = 1 << 20  # 1 MiB per read when streaming a file into the store
#: Prefixes of the hidden temporary files of unfinished writes (``put_file``, ``stage``).
_TEMP_PREFIXES = (".put-", ".stage-")


def _checked(data: bytes, expected: bytes, locator: str, path: Path) -> bytes:
    """``data``, if it hashes to ``expected`` (the digest of ``locator``, stored at ``path``)."""
    found = hashlib.sha256(data).digest()
    if found != expected:
        raise IntegrityError(
            f"blob {locator} at {path} is corrupted or was tampered with: "
            f"its content hashes to {LOCATOR_PREFIX}{found.hex()}"
        )
    return data


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX: fsync the directory)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class StagedBlob:
    """A blob being written into a :class:`FilesystemBlobStore`: hashed as written, invisible
    (a hidden temporary file) until :meth:`FilesystemBlobStore.adopt` renames it into place.

    Use it as a context manager: leaving the block without adopting it removes the file.
    """

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=_TEMP_PREFIXES[1], suffix=".tmp", dir=root)
        self.path = Path(name)
        self._file: BinaryIO | None = os.fdopen(fd, "wb", buffering=0)
        self._hasher = hashlib.sha256()
        self.size_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append ``data`` (hashed as it is written).

        Raises:
            StorageError: if the file is closed (adopted or discarded) or cannot be written.
        """
        if self._file is None:
            raise StorageError(f"the staged blob {self.path} was already adopted or discarded")
        view = memoryview(data).cast("B")
        self._hasher.update(view)
        try:
            while view:
                written = self._file.write(view) or 0
                view = view[written:]
                self.size_bytes += written
        except OSError as exc:
            raise StorageError(f"could not write the staged blob {self.path}: {exc}") from exc

    def sync(self) -> None:
        """Flush the bytes written so far to disk (:meth:`FilesystemBlobStore.adopt` then has little
        left to flush: a caller can sync while it waits for other checks).

        Raises:
            StorageError: if the file is closed or cannot be synced.
        """
        if self._file is None:
            raise StorageError(f"the staged blob {self.path} was already adopted or discarded")
        try:
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise StorageError(f"could not sync the staged blob {self.path}: {exc}") from exc

    @property
    def locator(self) -> str:
        """The locator of the bytes written so far."""
        return LOCATOR_PREFIX + self._hasher.hexdigest()

    def _close_durably(self) -> None:
        """Flush the bytes to disk and close the file (before the rename that publishes it)."""
        if self._file is None:
            raise StorageError(f"the staged blob {self.path} was already adopted or discarded")
        try:
            os.fsync(self._file.fileno())
        finally:
            self._file.close()
            self._file = None

    def discard(self) -> None:
        """Close and remove the temporary file (a no-op once adopted or discarded)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> StagedBlob:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard()


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
        """Store ``data`` atomically and durably and return its locator; a blob already present is
        not rewritten. The file is fsynced before its rename and the folder after it, so a blob
        that :meth:`put` returned for survives a power loss (an index that names it can rely on it).

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
            atomic_write_bytes(path, data)  # fsynced, then renamed into place
            _fsync_folder(path.parent)  # the rename itself durable, as adopt's
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
                        _fsync_folder(blob_path.parent)
                finally:
                    Path(tmp_name).unlink(missing_ok=True)  # no-op once renamed into place
        except OSError as exc:
            raise StorageError(f"could not store the file {path} in {self.root}: {exc}") from exc
        logger.debug("stored file %s as blob %s", path, locator)
        return locator

    def stage(self) -> StagedBlob:
        """Begin a streamed write: a hidden temporary file in ``root``, hashed as written.

        Returns:
            The staged blob; give it to :meth:`adopt` or let its ``with`` block discard it.

        Raises:
            StorageError: if the temporary file cannot be created.
        """
        try:
            return StagedBlob(self.root)
        except OSError as exc:
            raise StorageError(f"could not begin a blob in {self.root}: {exc}") from exc

    def adopt(self, staged: StagedBlob, locator: str) -> str:
        """Store a staged blob under ``locator`` by atomic rename, if its bytes hash to ``locator``.

        The file is fsynced, renamed into place and the folder fsynced, so the blob is durable
        when this returns. A blob already present is not rewritten (the staged copy is removed).
        On any error the staged file is removed and nothing is stored.

        Args:
            staged: A blob staged by this store's :meth:`stage`, complete.
            locator: The locator the caller expects (e.g. the digest a signed request declared).

        Returns:
            ``locator``.

        Raises:
            InvalidInputError: if ``locator`` is malformed or ``staged`` is not in this store's folder.
            IntegrityError: if the staged bytes hash to another locator (nothing is stored).
            StorageError: if the blob cannot be written.
        """
        expected = parse_locator(locator)
        try:
            if not isinstance(staged, StagedBlob) or staged.path.parent != self.root:
                raise InvalidInputError(f"only a blob staged by this store ({self.root}) can be adopted")
            found = staged.locator
            if bytes.fromhex(found[len(LOCATOR_PREFIX) :]) != expected:
                raise IntegrityError(f"the staged blob hashes to {found}, expected {locator}: not stored")
            staged._close_durably()
            path = self.path_for(locator)
            if path.is_file():
                logger.debug("blob %s already stored", locator)
                return locator
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.path, path)
            _fsync_folder(path.parent)
        except OSError as exc:
            raise StorageError(f"could not store the staged blob as {locator} in {self.root}: {exc}") from exc
        finally:
            staged.discard()  # no-op once renamed into place
        logger.debug("adopted blob %s (%d bytes)", locator, staged.size_bytes)
        return locator

    def sweep_staged(self, *, older_than_s: float = 0.0) -> int:
        """Remove the temporary files of writes that never finished (a crash); run at start-up.

        Args:
            older_than_s: Leave files younger than this alone (writes still under way); 0 when
                no write can be under way.

        Returns:
            How many files were removed.
        """
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than_s
        removed = 0
        for path in self.root.iterdir():
            if path.name.startswith(_TEMP_PREFIXES) and path.name.endswith(".tmp"):
                try:
                    if path.stat().st_mtime <= cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
        if removed:
            logger.warning("removed %d temporary files of unfinished writes from %s", removed, self.root)
        return removed

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
        return _checked(data, expected, locator, path)

    def get_if_cached(self, locator: str) -> bytes | None:
        """:meth:`get`, if every byte of the blob is in the operating system's page cache.

        The read asks Linux not to wait for the disk (``preadv`` with ``RWF_NOWAIT``): where
        part of the blob would have to be read from the disk, or the flag is not available
        (another system, a file system without it), nothing is waited for and ``None`` is
        returned. An event loop serves a cached blob at once and hands the others to a thread,
        never stalling on the disk (a cold 2 MiB read took 6 ms on the test machine).

        Raises:
            InvalidInputError: if ``locator`` is malformed.
            StorageError: if no blob is stored under ``locator`` or it cannot be read.
            IntegrityError: if the stored bytes no longer hash to ``locator``.
        """
        expected = parse_locator(locator)
        path = self.path_for(locator)
        nowait = getattr(os, "RWF_NOWAIT", None)
        if nowait is None:
            return None
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise StorageError(f"no blob {locator} in the store at {self.root}") from None
        except OSError as exc:
            raise StorageError(f"could not open blob {locator} at {path}: {exc}") from exc
        try:
            data = bytearray(os.fstat(fd).st_size)
            if os.preadv(fd, [data], 0, nowait) < len(data):
                return None  # the rest is not cached
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                return None  # not cached, or the flag is not supported here
            raise StorageError(f"could not read blob {locator} from {path}: {exc}") from exc
        finally:
            os.close(fd)
        return _checked(bytes(data), expected, locator, path)

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

    def fileno(self) -> int:
        return self._file.fileno()

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
