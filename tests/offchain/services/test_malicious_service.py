"""``StorageClient`` against a service that answers with success but junk, or without end: a
malicious or broken storage service. Every junk answer is refused with ``MalformedAnswerError``
(an ``IntegrityError``); before, a missing key or a value of another type escaped as a raw
KeyError or TypeError, and an auditor auditing such a server crashed instead of failing it.
Every endless answer is cut at the call's limit (``AnswerTooLargeError``); before, the client
read it until its memory ran out. The service is a real HTTP server on a loopback port."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from offchain.crypto import group_signature as gs
from offchain.crypto import pre
from offchain.errors import InvalidInputError, StorageError
from offchain.protocols.auditor import audit_root
from offchain.services.client import AnswerTooLargeError, MalformedAnswerError, StorageClient
from offchain.services.local import free_port
from tests.helpers import send_endless_chunks

#: JSON bodies of a 200 answer that are not any answer of the service.
JUNK = [b"not json", b"[]", b"{}", b'{"answers": "x"}', b'{"answers": [1]}', b'{"locator": 5}', b'{"nonce": []}']
AUDIT_JUNK = [
    *JUNK,
    b'{"answers": [{"index": "0", "block": "", "proof_index": 0, "siblings": []}]}',
    b'{"answers": [{"index": 0, "block": "zz", "proof_index": 0, "siblings": []}]}',
    b'{"answers": [{"index": 0, "block": "", "proof_index": 0, "siblings": [7]}]}',
    b'{"answers": [{"index": true, "block": "", "proof_index": 0, "siblings": []}]}',
]
FILE_ID = bytes(range(32))
#: Where an "endless" answer ends: more than any limit of the client.
ENDLESS_CAP = 96 << 20


class _Junk(BaseHTTPRequestHandler):
    """Answers /health properly, and every other request with 200 and the server's ``junk``."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: bytes) -> None:
        if self.headers.get("Content-Length"):
            self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _endless(self, status: int = 200) -> None:
        if self.headers.get("Content-Length"):
            self.rfile.read(int(self.headers["Content-Length"]))
        send_endless_chunks(self, status, piece=b"7" * 65536, cap=ENDLESS_CAP)

    def do_GET(self) -> None:
        health = json.dumps({"name": "evil", "chain_id": 1337}).encode()
        self._send(health if self.path == "/health" else self.server.junk)  # type: ignore[attr-defined]

    def do_PUT(self) -> None:
        self._send(self.server.junk)  # type: ignore[attr-defined]

    do_POST = do_PUT


class _Endless(_Junk):
    """Answers /health properly, and every other request with an endless 200 body (500 for a
    path ending in /error)."""

    def do_GET(self) -> None:
        if self.path == "/health":
            super().do_GET()
        else:
            self._endless(500 if self.path.endswith("/error") else 200)

    def do_PUT(self) -> None:
        self._endless()

    do_POST = do_PUT


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def service() -> Iterator[ThreadingHTTPServer]:
    yield from _serve(_Junk)


@pytest.fixture(scope="module")
def endless() -> Iterator[StorageClient]:
    for server in _serve(_Endless):
        client = StorageClient(f"http://127.0.0.1:{server.server_address[1]}", timeout_s=10, max_download_bytes=4 << 20)
        yield client
        client.close()


def _client(service: ThreadingHTTPServer, junk: bytes) -> StorageClient:
    service.junk = junk  # type: ignore[attr-defined]
    return StorageClient(f"http://127.0.0.1:{service.server_address[1]}", timeout_s=10)


@pytest.mark.parametrize("junk", AUDIT_JUNK)
def test_an_audit_answered_with_junk_is_refused(service, junk):
    with pytest.raises(MalformedAnswerError, match="answer to an audit is malformed"):
        _client(service, junk).answer_challenge(FILE_ID, (0, 1))


@pytest.mark.parametrize("junk", AUDIT_JUNK)
def test_an_auditor_fails_a_server_that_answers_junk_and_goes_on(service, junk):
    report = audit_root(FILE_ID, _client(service, junk), root=bytes(32), block_count=4, block_size=64, k=2)
    assert not report.passed and "malformed" in (report.error or "")


@pytest.fixture(scope="module")
def group() -> gs.GroupManager:
    return gs.GroupManager(gs.generate_group(1024))


@pytest.mark.parametrize("junk", JUNK)
def test_an_anonymous_upload_answered_with_junk_is_refused(service, group, junk):
    with pytest.raises(MalformedAnswerError, match="answer to an anonymous upload"):
        _client(service, junk).store_anonymous(
            file_id=FILE_ID,
            ciphertext=b"blocks",
            block_size=64,
            sealed_key=pre.seal(pre.KeyPair.generate().public_key, bytes(32)),
            group=group.public,
            signature=gs.sign(gs.join(group), b"blocks"),
        )


@pytest.mark.parametrize("junk", JUNK)
def test_a_nonce_request_answered_with_junk_is_refused(service, junk):
    with pytest.raises(MalformedAnswerError, match="answer to a nonce request"):
        _client(service, junk).upload_nonce()


@pytest.mark.parametrize("health", [b"[]", b'{"name": 5, "chain_id": 1}', b'{"name": "x", "chain_id": "1"}'])
def test_a_health_answer_of_junk_is_refused_when_connecting(service, health, monkeypatch):
    monkeypatch.setattr(_Junk, "do_GET", lambda self: self._send(health))
    with pytest.raises(MalformedAnswerError, match="/health"):
        _client(service, b"{}")


# ---- endless answers ---------------------------------------------------------------------------


def test_a_download_longer_than_the_registration_allows_is_refused(endless):
    with pytest.raises(AnswerTooLargeError, match=r"download of file .* longer than the 1000 bytes"):
        endless.fetch(FILE_ID, bytes(32), max_bytes=1000)


def test_a_download_is_read_up_to_the_clients_bound_when_no_size_is_given(endless):
    with pytest.raises(AnswerTooLargeError, match=f"longer than the {4 << 20} bytes"):
        endless.fetch(FILE_ID, bytes(32))


def test_a_registered_size_above_the_clients_default_bound_is_the_bound(endless):
    with pytest.raises(AnswerTooLargeError, match=f"longer than the {6 << 20} bytes"):
        endless.fetch(FILE_ID, bytes(32), max_bytes=6 << 20)


@pytest.mark.parametrize("max_bytes", [0, -5, "10"])
def test_a_download_bound_that_is_not_a_positive_int_is_refused(endless, max_bytes):
    with pytest.raises(InvalidInputError, match="max_bytes"):
        endless.fetch(FILE_ID, bytes(32), max_bytes=max_bytes)


def test_an_endless_audit_answer_is_refused(endless):
    with pytest.raises(AnswerTooLargeError, match="answer to an audit"):
        endless.answer_challenge(FILE_ID, (0,))


def test_an_auditor_fails_a_server_that_answers_without_end(endless):
    report = audit_root(FILE_ID, endless, root=bytes(32), block_count=4, block_size=64, k=2)
    assert not report.passed and "longer than" in (report.error or "")


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.sealed_key(FILE_ID),
        lambda client: client.upload_nonce(),
        lambda client: client.fetch_device_upload("abc"),
        lambda client: client.device_upload_attestation("abc"),
    ],
    ids=["sealed-key", "nonce", "device-upload", "attestation"],
)
def test_every_other_endless_answer_is_refused(endless, call):
    with pytest.raises(AnswerTooLargeError):
        call(endless)


def test_an_endless_error_answer_is_read_only_in_part(endless):
    with pytest.raises(StorageError, match="answered 500: '7777"):
        endless.fetch_device_upload("error")


def test_an_endless_health_answer_is_refused_when_connecting(monkeypatch):
    monkeypatch.setattr(_Endless, "do_GET", lambda self: self._endless())
    for server in _serve(_Endless):
        with pytest.raises(AnswerTooLargeError, match="/health"):
            StorageClient(f"http://127.0.0.1:{server.server_address[1]}", timeout_s=10)
