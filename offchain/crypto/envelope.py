"""Envelope encryption of file contents: AES-256-GCM under a fresh data key, in authenticated chunks.

In a digital envelope (Peng et al.) the data is encrypted under a fresh symmetric *data key*,
and only that short key is then wrapped for each recipient (by public-key or proxy
re-encryption, elsewhere in the toolkit). This module is the first half: it turns a file
``f`` into the ciphertext ``f* = Enc(f)`` that the owner uploads (Zheng et al. 2018, §4.3).

Construction: the STREAM online authenticated-encryption scheme of Hoang, Reyhanitabar, Rogaway
and Vizár ("Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", CRYPTO
2015) over AES-256-GCM. The plaintext is cut into chunks; each chunk is sealed with a nonce
made of a per-file random prefix, the chunk's index and a "last chunk" flag. Files of any size
are therefore processed in constant memory, and decryption detects a modified, truncated,
reordered, duplicated or extended ciphertext, not only a modified chunk.

Format (version 1)::

    envelope  = header || sealed_0 || sealed_1 || ... || sealed_{n-1}
    header    = b"DSENV"                     5 bytes, magic
             || 0x01                         1 byte, format version
             || chunk_size                   4 bytes, big-endian, 1 .. 2**24
             || nonce_prefix                 7 bytes, random per encryption
                                             = 17 bytes (HEADER_BYTES)
    sealed_i  = AES-256-GCM-Encrypt(key=data_key, nonce=nonce_i, plaintext=chunk_i, aad=aad)
              = GCM ciphertext of chunk_i (len(chunk_i) bytes) || tag (16 bytes, TAG_BYTES)
    nonce_i   = nonce_prefix (7 bytes) || i (4 bytes, big-endian) || last_i (1 byte)
                where last_i = 0x01 for the final chunk (i = n - 1), else 0x00
    aad       = header || file_id            (the header is fixed-size, so this is unambiguous)

Chunking rule: for a plaintext of ``L`` bytes, ``n = max(1, ceil(L / chunk_size))``. Chunks
``0 .. n-2`` hold exactly ``chunk_size`` bytes; the final chunk holds the remaining
``L - (n-1) * chunk_size`` bytes, which is ``1 .. chunk_size`` for a non-empty plaintext (so
when ``L`` is a non-zero multiple of ``chunk_size`` the last *full* chunk carries the flag,
and no empty chunk follows) and ``0`` only for the empty plaintext, which is a single empty
final chunk. A reader recovers the boundaries from the header: every sealed chunk is
``chunk_size + 16`` bytes except the final one, which is the one after which the input ends
(``16 .. chunk_size + 16`` bytes). The ciphertext is :func:`ciphertext_size` bytes long.

Errors: every problem found in a ciphertext, including a wrong magic, an unknown version, a
chunk size out of range or a ciphertext shorter than the header, raises
:class:`~offchain.errors.VerificationError`, the same error as a failed tag, so callers
handle "this is not an authentic envelope for this key and file id" in one place. Invalid
*arguments* (key, file id or chunk size of the wrong size) raise
:class:`~offchain.errors.InvalidInputError`.

Assumptions and caveats:

* A data key encrypts one file. :func:`new_data_key` gives a fresh one; the random 56-bit
  nonce prefix is defence in depth, not a licence to reuse keys across many files.
* The file id (1..64 bytes, normally the 32-byte on-chain id) is authenticated, not
  encrypted: a ciphertext only decrypts under the id it was made for, so a ciphertext cannot
  be passed off as another registered file's.
* The ciphertext reveals the plaintext's exact length and the chunk size.
* A file holds at most ``2**32`` chunks (4 PiB at the default 1 MiB chunk size).
* :func:`decrypt_stream` writes each chunk as soon as that chunk authenticates; a stream cut
  short is only detected at its end. To decrypt into a file use :func:`decrypt_file`, which
  renames the output into place only after the whole stream authenticated.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from offchain.atomic_io import atomic_writer
from offchain.errors import InvalidInputError, VerificationError
from offchain.validation import is_int

__all__ = [
    "DATA_KEY_BYTES",
    "DEFAULT_CHUNK_SIZE",
    "HEADER_BYTES",
    "MAX_CHUNK_SIZE",
    "MAX_FILE_ID_BYTES",
    "TAG_BYTES",
    "ciphertext_size",
    "decrypt",
    "decrypt_file",
    "decrypt_stream",
    "encrypt",
    "encrypt_file",
    "encrypt_stream",
    "new_data_key",
]

logger = logging.getLogger(__name__)

#: Length of a data key in bytes (AES-256).
DATA_KEY_BYTES = 32
#: Default plaintext bytes per chunk (1 MiB).
DEFAULT_CHUNK_SIZE = 1 << 20
#: Largest allowed plaintext bytes per chunk (16 MiB), far below GCM's per-nonce limit.
MAX_CHUNK_SIZE = 1 << 24
#: Length of the GCM authentication tag appended to every chunk.
TAG_BYTES = 16
#: Longest allowed file id in bytes.
MAX_FILE_ID_BYTES = 64

_MAGIC = b"DSENV"
_VERSION = 1
_CHUNK_SIZE_BYTES = 4
_NONCE_PREFIX_BYTES = 7
_COUNTER_BYTES = 4
_MAX_CHUNKS = 1 << (8 * _COUNTER_BYTES)  # the counter must not wrap: a repeated nonce breaks GCM
_LAST_CHUNK = b"\x01"
_NOT_LAST_CHUNK = b"\x00"

#: Length of the envelope header: magic, version, chunk size, nonce prefix.
HEADER_BYTES = len(_MAGIC) + 1 + _CHUNK_SIZE_BYTES + _NONCE_PREFIX_BYTES  # 17


def new_data_key() -> bytes:
    """Return a fresh random 32-byte data key (from :mod:`secrets`). Use it for one file only."""
    return secrets.token_bytes(DATA_KEY_BYTES)


def ciphertext_size(plaintext_size: int, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
    """Return the length of the envelope of a ``plaintext_size``-byte plaintext.

    Args:
        plaintext_size: Plaintext length in bytes, at least 0.
        chunk_size: Plaintext bytes per chunk, ``1 .. MAX_CHUNK_SIZE``.

    Returns:
        ``HEADER_BYTES + plaintext_size + TAG_BYTES * max(1, ceil(plaintext_size / chunk_size))``.

    Raises:
        InvalidInputError: if a size is out of range or the plaintext needs more than ``2**32`` chunks.
    """
    if not is_int(plaintext_size) or plaintext_size < 0:
        raise InvalidInputError(f"plaintext_size must be an int of at least 0, got {plaintext_size!r}")
    _check_chunk_size(chunk_size)
    return HEADER_BYTES + plaintext_size + TAG_BYTES * _chunk_count(plaintext_size, chunk_size)


def encrypt(plaintext: bytes, data_key: bytes, *, file_id: bytes, chunk_size: int = DEFAULT_CHUNK_SIZE) -> bytes:
    """Encrypt ``plaintext`` into an envelope bound to ``file_id``, with a fresh random nonce prefix.

    Args:
        plaintext: The file contents.
        data_key: 32-byte key from :func:`new_data_key`, used for this file only.
        file_id: 1..64 bytes identifying the file (normally its 32-byte on-chain id).
        chunk_size: Plaintext bytes per chunk, ``1 .. MAX_CHUNK_SIZE``.

    Returns:
        The envelope, :func:`ciphertext_size` ``(len(plaintext), chunk_size)`` bytes long.

    Raises:
        InvalidInputError: if the key, file id or chunk size has the wrong size, or the
            plaintext needs more than ``2**32`` chunks.
    """
    return _encrypt_with_nonce_prefix(
        plaintext,
        data_key,
        file_id=file_id,
        chunk_size=chunk_size,
        nonce_prefix=secrets.token_bytes(_NONCE_PREFIX_BYTES),
    )


def decrypt(ciphertext: bytes, data_key: bytes, *, file_id: bytes) -> bytes:
    """Authenticate and decrypt a whole envelope; nothing is returned unless all of it is authentic.

    Args:
        ciphertext: The envelope made by :func:`encrypt` or its streaming forms.
        data_key: The 32-byte data key it was encrypted under.
        file_id: The file id it was encrypted for.

    Returns:
        The plaintext.

    Raises:
        InvalidInputError: if the key or file id has the wrong size.
        VerificationError: if the header is malformed, the key or file id is wrong, or the
            ciphertext was modified, truncated, reordered, duplicated or extended.
    """
    _check_data_key(data_key)
    _check_file_id(file_id)
    if not isinstance(ciphertext, bytes | bytearray | memoryview):
        raise InvalidInputError(f"an envelope is bytes, got {_describe(ciphertext)}")
    plaintext = io.BytesIO()
    decrypt_stream(_ViewReader(ciphertext), plaintext, data_key, file_id=file_id)  # type: ignore[arg-type]
    return plaintext.getvalue()


def encrypt_stream(
    src: BinaryIO,
    dst: BinaryIO,
    data_key: bytes,
    *,
    file_id: bytes,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> int:
    """Encrypt everything readable from ``src`` into ``dst``, one chunk at a time (constant memory).

    Args:
        src: Binary stream of plaintext, read to its end.
        dst: Binary stream the envelope is written to.
        data_key: 32-byte key from :func:`new_data_key`, used for this file only.
        file_id: 1..64 bytes identifying the file (normally its 32-byte on-chain id).
        chunk_size: Plaintext bytes per chunk, ``1 .. MAX_CHUNK_SIZE``.

    Returns:
        The number of ciphertext bytes written to ``dst``.

    Raises:
        InvalidInputError: if the key, file id or chunk size has the wrong size, or the
            plaintext needs more than ``2**32`` chunks (``dst`` then holds a partial envelope).
    """
    return _encrypt_stream_with_nonce_prefix(
        src,
        dst,
        data_key,
        file_id=file_id,
        chunk_size=chunk_size,
        nonce_prefix=secrets.token_bytes(_NONCE_PREFIX_BYTES),
    )


def decrypt_stream(src: BinaryIO, dst: BinaryIO, data_key: bytes, *, file_id: bytes) -> int:
    """Decrypt an envelope from ``src`` into ``dst``, authenticating each chunk before writing it.

    WARNING: a chunk is written as soon as it authenticates, but truncation or extension of
    the stream is only detected at its end, after earlier chunks were written. If this raises,
    discard everything written to ``dst``. To decrypt into a file use :func:`decrypt_file`,
    which never leaves a partial or unauthenticated plaintext behind.

    Args:
        src: Binary stream holding the envelope, read to its end.
        dst: Binary stream the plaintext is written to.
        data_key: The 32-byte data key the envelope was encrypted under.
        file_id: The file id it was encrypted for.

    Returns:
        The number of plaintext bytes written to ``dst``.

    Raises:
        InvalidInputError: if the key or file id has the wrong size.
        VerificationError: if the header is malformed, the key or file id is wrong, or the
            ciphertext was modified, truncated, reordered, duplicated or extended.
    """
    _check_data_key(data_key)
    _check_file_id(file_id)
    if not callable(getattr(src, "read", None)) or not callable(getattr(dst, "write", None)):
        raise InvalidInputError(
            f"decrypt_stream reads a binary stream and writes one, got {_describe(src)} and {_describe(dst)}"
        )
    header = bytes(_read_exact(src, HEADER_BYTES))
    chunk_size, nonce_prefix = _parse_header(header)
    aead = AESGCM(data_key)
    aad = header + file_id
    sealed_size = chunk_size + TAG_BYTES

    written = 0
    index = 0
    sealed = _read_exact(src, sealed_size)
    while True:
        # The final chunk is the one after which the input ends: read one chunk ahead.
        following = _read_exact(src, sealed_size) if len(sealed) == sealed_size else b""
        last = not following
        if index >= _MAX_CHUNKS:
            raise VerificationError(f"envelope has more than {_MAX_CHUNKS} chunks; no encryptor produces that")
        try:
            chunk = aead.decrypt(_nonce(nonce_prefix, index, last), sealed, aad)
        except InvalidTag:
            logger.warning("envelope chunk %d of file 0x%s failed authentication", index, file_id.hex())
            raise VerificationError(
                f"chunk {index} failed authentication: wrong data key or file id, or the ciphertext "
                "was modified, truncated, reordered, duplicated or extended"
            ) from None
        if last and index > 0 and not chunk:
            # Only the empty plaintext ends with an empty chunk; keeps the encoding unique.
            raise VerificationError(f"chunk {index} is an empty final chunk after non-empty ones")
        dst.write(chunk)
        written += len(chunk)
        if last:
            break
        sealed = following
        index += 1
    logger.debug("decrypted %d bytes in %d chunks for file 0x%s", written, index + 1, file_id.hex())
    return written


def encrypt_file(
    src_path: Path,
    dst_path: Path,
    data_key: bytes,
    *,
    file_id: bytes,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> int:
    """Encrypt the file at ``src_path`` into ``dst_path`` atomically (see :func:`encrypt_stream`).

    The envelope is written to a temporary file in ``dst_path``'s folder and renamed to
    ``dst_path`` only when complete; on any error the temporary file is removed and
    ``dst_path`` is untouched.

    Args:
        src_path: Plaintext file.
        dst_path: Where the envelope goes (missing parent folders are created).
        data_key: 32-byte key from :func:`new_data_key`, used for this file only.
        file_id: 1..64 bytes identifying the file (normally its 32-byte on-chain id).
        chunk_size: Plaintext bytes per chunk, ``1 .. MAX_CHUNK_SIZE``.

    Returns:
        The number of ciphertext bytes written.

    Raises:
        InvalidInputError: if the key, file id or chunk size has the wrong size, or a path is not a path.
        OSError: if a file cannot be read or written.
    """
    _check_data_key(data_key)
    _check_file_id(file_id)
    _check_chunk_size(chunk_size)
    src_path, dst_path = _check_path(src_path, "src_path"), _check_path(dst_path, "dst_path")
    with src_path.open("rb") as src, atomic_writer(dst_path) as dst:
        return encrypt_stream(src, dst, data_key, file_id=file_id, chunk_size=chunk_size)


def decrypt_file(src_path: Path, dst_path: Path, data_key: bytes, *, file_id: bytes) -> int:
    """Decrypt the envelope at ``src_path`` into ``dst_path``, only if all of it is authentic.

    The plaintext is written to a temporary file in ``dst_path``'s folder and renamed to
    ``dst_path`` only after the whole envelope authenticated. On any failure the temporary
    file is removed and ``dst_path`` is untouched: no partial or unauthenticated plaintext
    is ever left behind.

    Args:
        src_path: Envelope file.
        dst_path: Where the plaintext goes (missing parent folders are created).
        data_key: The 32-byte data key the envelope was encrypted under.
        file_id: The file id it was encrypted for.

    Returns:
        The number of plaintext bytes written.

    Raises:
        InvalidInputError: if the key or file id has the wrong size, or a path is not a path.
        VerificationError: if the envelope is not authentic (see :func:`decrypt`).
        OSError: if a file cannot be read or written.
    """
    _check_data_key(data_key)
    _check_file_id(file_id)
    src_path, dst_path = _check_path(src_path, "src_path"), _check_path(dst_path, "dst_path")
    with src_path.open("rb") as src, atomic_writer(dst_path) as dst:
        return decrypt_stream(src, dst, data_key, file_id=file_id)


def _encrypt_with_nonce_prefix(
    plaintext: bytes,
    data_key: bytes,
    *,
    file_id: bytes,
    chunk_size: int,
    nonce_prefix: bytes,
) -> bytes:
    """Encrypt with a caller-chosen nonce prefix. Unsafe: use :func:`encrypt`.

    Exists so tests can pin regression vectors. Reusing a (key, nonce prefix) pair for two
    plaintexts breaks GCM's confidentiality and authenticity.
    """
    _check_chunk_size(chunk_size)
    _chunk_count(len(plaintext), chunk_size)  # refuse an oversized plaintext before any work
    ciphertext = io.BytesIO()
    _encrypt_stream_with_nonce_prefix(
        _ViewReader(plaintext),  # type: ignore[arg-type]
        ciphertext,
        data_key,
        file_id=file_id,
        chunk_size=chunk_size,
        nonce_prefix=nonce_prefix,
    )
    return ciphertext.getvalue()


def _encrypt_stream_with_nonce_prefix(
    src: BinaryIO,
    dst: BinaryIO,
    data_key: bytes,
    *,
    file_id: bytes,
    chunk_size: int,
    nonce_prefix: bytes,
) -> int:
    """Streaming core of the encryption functions, with a caller-chosen nonce prefix. Unsafe."""
    _check_data_key(data_key)
    _check_file_id(file_id)
    _check_chunk_size(chunk_size)
    if not isinstance(nonce_prefix, bytes) or len(nonce_prefix) != _NONCE_PREFIX_BYTES:
        raise InvalidInputError(f"nonce_prefix must be {_NONCE_PREFIX_BYTES} bytes, got {_describe(nonce_prefix)}")
    header = _header(chunk_size, nonce_prefix)
    aead = AESGCM(data_key)
    aad = header + file_id

    dst.write(header)
    written = len(header)
    index = 0
    chunk = _read_exact(src, chunk_size)
    while True:
        # The final chunk is the one after which no bytes remain: read one chunk ahead.
        following = _read_exact(src, chunk_size) if len(chunk) == chunk_size else b""
        last = not following
        if index >= _MAX_CHUNKS:
            raise InvalidInputError(
                f"plaintext needs more than {_MAX_CHUNKS} chunks of {chunk_size} bytes; use a larger chunk_size"
            )
        sealed = aead.encrypt(_nonce(nonce_prefix, index, last), chunk, aad)
        dst.write(sealed)
        written += len(sealed)
        if last:
            break
        chunk = following
        index += 1
    logger.debug("encrypted %d chunks of up to %d bytes for file 0x%s", index + 1, chunk_size, file_id.hex())
    return written


def _header(chunk_size: int, nonce_prefix: bytes) -> bytes:
    return _MAGIC + bytes([_VERSION]) + chunk_size.to_bytes(_CHUNK_SIZE_BYTES, "big") + nonce_prefix


def _parse_header(header: bytes) -> tuple[int, bytes]:
    """Return ``(chunk_size, nonce_prefix)`` of an envelope header; the tags authenticate it later."""
    if len(header) < HEADER_BYTES:
        raise VerificationError(f"envelope is {len(header)} bytes, shorter than its {HEADER_BYTES}-byte header")
    magic, version = header[: len(_MAGIC)], header[len(_MAGIC)]
    if magic != _MAGIC:
        raise VerificationError(f"not an envelope: expected magic {_MAGIC!r}, found {magic!r}")
    if version != _VERSION:
        raise VerificationError(f"unsupported envelope version: expected {_VERSION}, found {version}")
    offset = len(_MAGIC) + 1
    chunk_size = int.from_bytes(header[offset : offset + _CHUNK_SIZE_BYTES], "big")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise VerificationError(f"envelope chunk size must be 1..{MAX_CHUNK_SIZE}, found {chunk_size}")
    return chunk_size, header[offset + _CHUNK_SIZE_BYTES :]


def _nonce(nonce_prefix: bytes, index: int, last: bool) -> bytes:
    return nonce_prefix + index.to_bytes(_COUNTER_BYTES, "big") + (_LAST_CHUNK if last else _NOT_LAST_CHUNK)


def _chunk_count(plaintext_size: int, chunk_size: int) -> int:
    count = max(1, -(-plaintext_size // chunk_size))
    if count > _MAX_CHUNKS:
        raise InvalidInputError(
            f"plaintext of {plaintext_size} bytes needs {count} chunks of {chunk_size} bytes, "
            f"more than the {_MAX_CHUNKS} allowed; use a larger chunk_size"
        )
    return count


def _read_exact(src: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, or fewer only at the end of the stream (``read`` may return short)."""
    data = _bytes_read(src, size)
    if len(data) == size or not data:
        return data
    parts = [data]
    remaining = size - len(data)
    while remaining:
        more = _bytes_read(src, remaining)
        if not more:
            break
        parts.append(more)
        remaining -= len(more)
    return b"".join(parts)


def _bytes_read(src: BinaryIO, size: int) -> bytes:
    """``src.read(size)``, checked to be bytes (a text stream is not an envelope)."""
    data = src.read(size)
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInputError(f"the envelope stream must yield bytes, got {type(data).__name__}")
    return data  # type: ignore[return-value]


def _describe(value: object) -> str:
    return f"{len(value)} bytes" if isinstance(value, bytes) else f"a {type(value).__name__}"


def _check_path(path: object, name: str) -> Path:
    if not isinstance(path, str | os.PathLike) or isinstance(path, bytes):
        raise InvalidInputError(f"{name} must be a path (str or os.PathLike), got {_describe(path)}")
    return Path(path)


def _check_data_key(data_key: object) -> None:
    if not isinstance(data_key, bytes) or len(data_key) != DATA_KEY_BYTES:
        raise InvalidInputError(f"data_key must be {DATA_KEY_BYTES} bytes, got {_describe(data_key)}")


def _check_file_id(file_id: object) -> None:
    if not isinstance(file_id, bytes) or not 1 <= len(file_id) <= MAX_FILE_ID_BYTES:
        raise InvalidInputError(f"file_id must be 1..{MAX_FILE_ID_BYTES} bytes, got {_describe(file_id)}")


def _check_chunk_size(chunk_size: object) -> None:
    if not is_int(chunk_size) or not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise InvalidInputError(f"chunk_size must be an int in 1..{MAX_CHUNK_SIZE}, got {chunk_size!r}")


class _ViewReader:
    """The ``read`` of a binary file over an in-memory buffer, returning zero-copy memoryview slices."""

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data).cast("B")
        self._position = 0

    def read(self, size: int = -1) -> memoryview:
        end = len(self._view) if size < 0 else min(self._position + size, len(self._view))
        chunk = self._view[self._position : end]
        self._position = end
        return chunk
