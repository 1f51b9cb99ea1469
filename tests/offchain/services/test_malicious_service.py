"""``StorageClient`` against a service that answers with success but junk: a malicious or
broken storage service. Every answer is refused with ``MalformedAnswerError`` (an
``IntegrityError``); before, a missing key or a value of another type escaped as a raw
KeyError or TypeError, and an auditor auditing such a server crashed instead of failing it.
The service is a real HTTP server on a loopback port."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from offchain.crypto import group_signature as gs
from offchain.crypto import pre
from offchain.protocols.auditor import audit_root
from offchain.services.client import MalformedAnswerError, StorageClient
from offchain.services.local import free_port

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

    def do_GET(self) -> None:
        health = json.dumps({"name": "evil", "chain_id": 1337}).encode()
        self._send(health if self.path == "/health" else self.server.junk)  # type: ignore[attr-defined]

    do_PUT = do_POST = lambda self: self._send(self.server.junk)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def service() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Junk)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


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
