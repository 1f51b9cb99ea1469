"""offchain.services.transport.BulkTransport: ciphertext uploads and downloads on pooled
keep-alive http.client connections, against a real HTTP/1.1 server on a loopback port."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from offchain.errors import AccessDeniedError, InvalidInputError, StorageError
from offchain.services.client import AnswerTooLargeError, raise_for_error
from offchain.services.local import free_port
from offchain.services.transport import MAX_ERROR_BYTES, BulkTransport
from tests.helpers import send_endless_chunks

BLOB = bytes(range(256)) * 8192  # 2 MiB: more than one slice each way
#: Where an "endless" answer of the test server ends: a client that reads it all has failed.
ENDLESS_CAP = 64 << 20


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless told otherwise

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _answer(self, status: int, body: bytes, *, chunked: bool = False, close: bool = False) -> None:
        self.send_response(status)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if chunked:
            for start in range(0, len(body), 1000):
                piece = body[start : start + 1000]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)
        if close:
            self.close_connection = True

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body), "sealed": self.headers["x-sealed"]}
        self._answer(200, json.dumps(answer).encode(), close=self.path == "/close")

    def _endless(self, status: int, *, length: str | None = None) -> None:
        # a Content-Length beside chunked framing is ignored (RFC 9112 §6.3)
        headers = {} if length is None else {"Content-Length": length}
        send_endless_chunks(self, status, piece=b"x" * 1024, cap=ENDLESS_CAP, headers=headers)

    def do_GET(self) -> None:
        if self.path == "/endless":
            self._endless(200)
        elif self.path == "/endless-error":
            self._endless(500)
        elif self.path == "/endless-under-a-length":
            self._endless(200, length="10")
        elif self.path == "/huge":  # declares a terabyte, sends a little
            self.send_response(200)
            self.send_header("Content-Length", str(1 << 40))
            self.end_headers()
            self.wfile.write(BLOB)
            self.close_connection = True
        elif self.path == "/denied":
            self._answer(403, json.dumps({"error": "AccessDeniedError", "detail": "wrong token"}).encode())
        elif self.path == "/junk-length":  # a length that is not a number: read to the close
            self.send_response(200)
            self.send_header("Content-Length", "many")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(BLOB)
            self.close_connection = True
        else:
            self._answer(200, BLOB, chunked=self.path == "/chunked", close=self.path == "/close")
            if self.path == "/drop":  # closed without saying so, as after a keep-alive timeout
                self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", free_port()), _Handler)
        self.connections = 0

    def process_request(self, request, client_address):  # one call per accepted connection
        self.connections += 1
        super().process_request(request, client_address)


@pytest.fixture
def server():
    running = _Server()
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


@pytest.fixture
def transport(server):
    bulk = BulkTransport(f"http://127.0.0.1:{server.server_address[1]}", timeout_s=10)
    yield bulk
    bulk.close()


def test_a_put_body_arrives_whole_with_its_headers(transport):
    answer = transport.request("PUT", "/files", headers={"x-sealed": "capsule"}, body=BLOB)
    assert answer.json() == {"sha256": hashlib.sha256(BLOB).hexdigest(), "size": len(BLOB), "sealed": "capsule"}


def test_a_download_arrives_whole(transport):
    assert transport.request("GET", "/files", headers={}).content == BLOB


def test_a_chunked_answer_is_read_whole(transport):
    assert transport.request("GET", "/chunked", headers={}).content == BLOB


def test_an_answer_whose_length_is_not_a_number_is_read_to_the_close(transport):
    """A service's ``Content-Length: many`` raised a raw ValueError from int()."""
    totals: list[int | None] = []
    answer = transport.request("GET", "/junk-length", headers={}, on_chunk=lambda _, total: totals.append(total))
    assert answer.content == BLOB and set(totals) == {None}


def test_requests_in_sequence_reuse_one_connection(server, transport):
    for _ in range(3):
        transport.request("GET", "/files", headers={})
        transport.request("PUT", "/files", headers={"x-sealed": "capsule"}, body=b"abc")
    assert server.connections == 1


def test_a_connection_the_server_closed_is_not_reused(server, transport):
    transport.request("GET", "/close", headers={})
    assert transport.request("GET", "/files", headers={}).content == BLOB
    assert server.connections == 2


def test_a_connection_the_server_dropped_while_idle_is_not_reused(server, transport):
    transport.request("GET", "/drop", headers={})
    time.sleep(0.2)  # the server's close reaches the client's socket
    assert transport.request("GET", "/files", headers={}).content == BLOB
    assert server.connections == 2


def test_on_chunk_sees_every_byte_and_the_declared_total(transport):
    seen: list[tuple[int, int | None]] = []
    transport.request("GET", "/files", headers={}, on_chunk=lambda size, total: seen.append((size, total)))
    assert sum(size for size, _ in seen) == len(BLOB)
    assert {total for _, total in seen} == {len(BLOB)}


def test_on_sent_sees_every_byte_of_an_upload_in_slices_and_its_total(transport):
    sent: list[tuple[int, int]] = []
    transport.request(
        "PUT",
        "/files",
        headers={"x-sealed": "capsule"},
        body=BLOB,
        on_sent=lambda size, total: sent.append((size, total)),
    )
    assert sum(size for size, _ in sent) == len(BLOB)
    assert len(sent) == 2  # one call per 1 MiB slice
    assert {total for _, total in sent} == {len(BLOB)}


def test_an_error_answer_raises_the_class_the_service_named(transport):
    answer = transport.request("GET", "/denied", headers={})
    assert answer.status_code == 403
    with pytest.raises(AccessDeniedError, match="wrong token"):
        raise_for_error(answer)


def test_nothing_listening_is_an_httpx_connect_error():
    bulk = BulkTransport(f"http://127.0.0.1:{free_port()}", timeout_s=2)
    with pytest.raises(httpx.ConnectError):
        bulk.request("GET", "/files", headers={})


# ---- answers longer than the caller reads: a malicious service cannot fill the client's memory --


@pytest.mark.parametrize("path", ["/files", "/chunked"])
def test_an_answer_of_exactly_max_bytes_is_read_whole(transport, path):
    answer = transport.request("GET", path, headers={}, max_bytes=len(BLOB))
    assert answer.content == BLOB and not answer.truncated


@pytest.mark.parametrize("path", ["/files", "/chunked"])
def test_an_answer_one_byte_over_max_bytes_is_cut(transport, path):
    answer = transport.request("GET", path, headers={}, max_bytes=len(BLOB) - 1)
    assert answer.truncated and answer.cut_at == len(BLOB) - 1
    assert answer.content in (b"", BLOB[:-1])  # a declared length over the limit is not read at all


def test_an_endless_answer_is_cut_at_max_bytes(transport):
    answer = transport.request("GET", "/endless", headers={}, max_bytes=(1 << 20) + 5)
    assert answer.truncated and answer.content == b"x" * ((1 << 20) + 5)


def test_the_connection_of_a_cut_answer_is_not_reused(server, transport):
    transport.request("GET", "/endless", headers={}, max_bytes=10)
    assert transport.request("GET", "/files", headers={}).content == BLOB
    assert server.connections == 2


def test_an_endless_body_under_a_small_content_length_is_cut(transport):
    """Chunked framing wins over a Content-Length beside it: the length proves nothing."""
    answer = transport.request("GET", "/endless-under-a-length", headers={}, max_bytes=1000)
    assert answer.truncated and len(answer.content) == 1000


def test_a_declared_length_over_max_bytes_is_refused_unread(transport):
    answer = transport.request("GET", "/huge", headers={}, max_bytes=len(BLOB) * 4)
    assert answer.truncated and answer.content == b""
    with pytest.raises(AnswerTooLargeError, match=f"longer than the {len(BLOB) * 4} bytes"):
        raise_for_error(answer)


def test_an_endless_error_answer_is_read_up_to_the_error_limit_only(transport):
    answer = transport.request("GET", "/endless-error", headers={})
    assert answer.status_code == 500 and answer.truncated and len(answer.content) == MAX_ERROR_BYTES
    with pytest.raises(StorageError, match="answered 500"):
        raise_for_error(answer)


def test_on_chunk_is_not_told_of_bytes_past_max_bytes(transport):
    seen: list[int] = []
    transport.request("GET", "/endless", headers={}, max_bytes=3000, on_chunk=lambda size, _: seen.append(size))
    assert sum(seen) <= 3000


def test_a_negative_max_bytes_is_refused(transport):
    with pytest.raises(InvalidInputError, match="max_bytes"):
        transport.request("GET", "/files", headers={}, max_bytes=-1)
