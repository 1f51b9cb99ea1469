"""The bulk transport of :class:`~offchain.services.client.StorageClient`: uploads and downloads of
ciphertexts on pooled keep-alive ``http.client`` connections (issue 17).

Why not httpx for these two calls: a 1 MiB body through httpx (h11 framing, its stream and
event machinery) cost about 1.2 ms more per request than through ``http.client`` on the same
loopback service, as much as the blob store's own fsync; ciphertexts are the one place where the
client's per-request cost shows. Every other call of the client stays on httpx.

What it does: one connection per request at a time, taken from a pool of idle ones (a
connection idle longer than :data:`IDLE_LIMIT_S`, under the service's keep-alive of 5 s, or
whose server closed it, is dropped rather than reused); the request line and headers in one
write, then the body from a ``memoryview`` in slices (never copied, never joined to the
headers); the answer read whole (``Content-Length`` or chunked) or through ``on_chunk`` in
1 MiB reads. A GET that fails on a reused connection before any byte of the answer arrived is
sent again once on a new one (the server closed it while idle); a PUT is never sent twice (a
signed request's nonce would be spent). Failures to connect or to exchange raise httpx's
:class:`httpx.ConnectError` / :class:`httpx.ReadError`, so callers handle one family of
transport errors whatever the call.
"""

from __future__ import annotations

import http.client
import select
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from offchain.errors import InvalidInputError
from offchain.validation import parse_json

__all__ = ["IDLE_LIMIT_S", "MAX_ERROR_BYTES", "BulkAnswer", "BulkTransport", "read_capped"]

#: Longest idle time after which a pooled connection is not reused (the service closes its idle
#: connections after 5 s: reusing one it is closing would fail the request).
IDLE_LIMIT_S = 4.0
#: Body bytes handed to the socket per ``sendall`` and read per ``on_chunk`` call.
_SLICE_BYTES = 1 << 20
#: The most bytes read of an error answer's body (its message is all a caller shows of it).
MAX_ERROR_BYTES = 64 << 10


@dataclass
class BulkAnswer:
    """A complete HTTP answer (what :func:`~offchain.services.client.raise_for_error` reads)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes = field(repr=False)
    #: The reader's limit if the body was longer than it (``content`` is then at most its
    #: first ``cut_at`` bytes), else ``None``.
    cut_at: int | None = None

    @property
    def is_success(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status_code < 300

    @property
    def truncated(self) -> bool:
        """Whether the body was longer than the reader's limit and was not read whole."""
        return self.cut_at is not None

    @property
    def text(self) -> str:
        """The body as UTF-8 text (invalid bytes replaced)."""
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` if it is not)."""
        return parse_json(self.content)


class _Stale(Exception):
    """A reused connection turned out closed before any byte of the answer came."""


class BulkTransport:
    """Pooled keep-alive ``http.client`` connections to one service (thread-safe).

    Args:
        base_url: ``http://host:port`` or ``https://host:port`` (a path prefix is kept).
        timeout_s: Socket timeout of each connect, send and read.

    Raises:
        InvalidInputError: if ``base_url`` is not an http(s) URL with a host.
    """

    def __init__(self, base_url: str, *, timeout_s: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInputError(f"a service URL is http(s)://host[:port], got {base_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._timeout_s = timeout_s
        self._idle: list[tuple[http.client.HTTPConnection, float]] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the idle connections (those in use close when their request ends)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection, _ in idle:
            connection.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        body: bytes | bytearray | memoryview = b"",
        on_chunk: Callable[[int, int | None], None] | None = None,
        on_sent: Callable[[int, int], None] | None = None,
        max_bytes: int | None = None,
    ) -> BulkAnswer:
        """Send one request and read its answer, whole up to a limit.

        Args:
            method: ``GET`` or ``PUT`` (only a GET is retried, see the module docstring).
            path: The path and query.
            headers: Request headers (``Content-Length`` is set here).
            body: The request body.
            on_chunk: Called with ``(chunk_bytes, total_bytes or None)`` for each read of a
                successful answer's body (a progress bar).
            on_sent: Called with ``(slice_bytes, total_bytes)`` after each slice of the request
                body went to the socket (an upload's progress bar).
            max_bytes: The most bytes of a successful answer's body read (``None``: no limit);
                an error's body is read up to :data:`MAX_ERROR_BYTES`. A longer body, or one
                whose ``Content-Length`` declares more, comes back ``truncated``.

        Raises:
            httpx.ConnectError: if no connection can be made.
            httpx.ReadError: if the exchange fails midway (the request may have been processed).
        """
        if max_bytes is not None and max_bytes < 0:
            raise InvalidInputError(f"max_bytes must be at least 0, got {max_bytes}")
        for attempt in (0, 1):
            connection, reused = self._take()
            try:
                answer = self._exchange(connection, reused, method, path, headers, body, on_chunk, on_sent, max_bytes)
            except _Stale:
                connection.close()
                if method == "GET" and attempt == 0:
                    continue
                raise httpx.ReadError(f"{method} {path}: the service closed the connection") from None
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                if isinstance(exc, ConnectionRefusedError | TimeoutError) and not reused:
                    raise httpx.ConnectError(f"cannot connect to {self._host}:{self._port}: {exc}") from None
                raise httpx.ReadError(f"{method} {path} failed: {exc!r}") from None
            self._give_back(connection, answer)
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _take(self) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection still usable, else a new one; whether it was reused."""
        now = time.monotonic()
        while True:
            with self._lock:
                if not self._idle:
                    break
                connection, since = self._idle.pop()
            if now - since < IDLE_LIMIT_S and not _closed_by_peer(connection):
                return connection, True
            connection.close()
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return kind(self._host, self._port, timeout=self._timeout_s), False  # connects on first use

    def _give_back(self, connection: http.client.HTTPConnection, answer: BulkAnswer) -> None:
        if answer.truncated or answer.headers.get("connection", "").lower() == "close":
            connection.close()
            return
        with self._lock:
            self._idle.append((connection, time.monotonic()))

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        reused: bool,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | bytearray | memoryview,
        on_chunk: Callable[[int, int | None], None] | None,
        on_sent: Callable[[int, int], None] | None,
        max_bytes: int | None,
    ) -> BulkAnswer:
        view = memoryview(body).cast("B")
        try:
            connection.putrequest(method, self._prefix + path, skip_accept_encoding=True)
            for name, value in headers.items():
                if name.lower() != "content-length":
                    connection.putheader(name, value)
            if method != "GET" or len(view):
                connection.putheader("Content-Length", str(len(view)))
            connection.endheaders()
            sock = connection.sock
            assert sock is not None
            for start in range(0, len(view), _SLICE_BYTES):
                piece = view[start : start + _SLICE_BYTES]
                sock.sendall(piece)
                if on_sent is not None:
                    on_sent(len(piece), len(view))
            response = connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            if reused:
                raise _Stale() from None
            raise
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        declared = answer_headers.get("content-length", "")
        length = int(declared) if declared.isdigit() else None  # a progress bar's total, if the peer says
        success = 200 <= response.status < 300
        limit = max_bytes if success else MAX_ERROR_BYTES
        framed = response.length  # http.client's: None if chunked or read to the close
        if limit is not None and framed is not None and framed > limit:
            return BulkAnswer(response.status, answer_headers, b"", cut_at=limit)  # not read at all
        report = on_chunk if success else None
        if report is None and framed is not None:  # framed within the limit: one read
            return BulkAnswer(response.status, answer_headers, response.read())
        content, cut_at = read_capped(response.read, limit, report=report, total=length)
        return BulkAnswer(response.status, answer_headers, content, cut_at=cut_at)


def read_capped(
    read: Callable[[int], bytes],
    limit: int | None,
    *,
    report: Callable[[int, int | None], None] | None = None,
    total: int | None = None,
) -> tuple[bytes, int | None]:
    """A body read by ``read(size)`` until it returns ``b""``, but never more than ``limit``
    bytes (``None``: no limit): each read asks for at most one byte past what the limit leaves.
    ``report(chunk_bytes, total)`` is called for each chunk within the limit (a progress bar).

    Returns:
        The body, or its first ``limit`` bytes, and ``limit`` if the body was longer (else ``None``).
    """
    parts: list[bytes] = []
    got = 0
    while chunk := read(_SLICE_BYTES if limit is None else min(_SLICE_BYTES, limit - got + 1)):
        parts.append(chunk)
        got += len(chunk)
        if limit is not None and got > limit:
            return b"".join(parts)[:limit], limit
        if report is not None:
            report(len(chunk), total)
    return b"".join(parts), None


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle connection's socket is readable: the server closed it (or sent junk)."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
