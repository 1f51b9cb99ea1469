"""Crash-safe file writes: a reader sees the old file or the new one, never a partial one.

The data goes to a temporary file in the destination's folder, is flushed and fsynced, and is
then renamed over the destination (``os.replace`` is atomic on POSIX within one file system).
On any error the temporary file is removed and the destination is untouched.

:func:`atomic_writer` is the streaming form: it yields a binary file to write in pieces (for
files too large to hold in memory) and renames it into place only if the ``with`` block ends
without an exception.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_writer"]


@contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """Open a temporary file next to ``path``; rename it to ``path`` when the block succeeds.

    The temporary file is created in ``path``'s folder (missing parent folders are created)
    with owner-only permissions. If the ``with`` block raises, the temporary file is removed,
    ``path`` is untouched and the exception propagates.

    Example::

        with atomic_writer(Path("out.bin")) as out:
            for piece in pieces:
                out.write(piece)

    Args:
        path: Destination file.

    Yields:
        A binary file object open for writing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            yield tmp
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, creating missing parent folders.

    Args:
        path: Destination file.
        data: The bytes to write.
    """
    with atomic_writer(path) as out:
        out.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))
