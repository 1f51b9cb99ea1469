"""The storage service's checked answer for whole-file downloads (offchain.services.storage
._CheckedBlobResponse): the blob is hashed while it is sent and its last byte held back until
the digest matched; served by a real uvicorn on a loopback port."""

from __future__ import annotations

import hashlib
import threading
import time

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from offchain.services.local import free_port
from offchain.services.storage import _CheckedBlobResponse
from offchain.services.transport import BulkTransport

BLOB = bytes(range(256)) * 2048  # 512 KiB


async def _right(request):
    return _CheckedBlobResponse(BLOB, hashlib.sha256(BLOB).digest())


async def _wrong(request):
    return _CheckedBlobResponse(BLOB, hashlib.sha256(b"another blob").digest())


async def _one_byte(request):
    return _CheckedBlobResponse(b"x", hashlib.sha256(b"x").digest())


@pytest.fixture(scope="module")
def base_url():
    app = Starlette(routes=[Route("/right", _right), Route("/wrong", _wrong), Route("/one", _one_byte)])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http="httptools", log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_a_blob_that_hashes_to_its_locator_arrives_whole(base_url):
    answer = BulkTransport(base_url, timeout_s=10).request("GET", "/right", headers={})
    assert (answer.status_code, answer.content) == (200, BLOB)


def test_a_one_byte_blob_arrives_whole(base_url):
    assert BulkTransport(base_url, timeout_s=10).request("GET", "/one", headers={}).content == b"x"


def test_a_blob_that_does_not_hash_to_its_locator_is_cut_short(base_url):
    with pytest.raises(httpx.ReadError):
        BulkTransport(base_url, timeout_s=10).request("GET", "/wrong", headers={})


def test_httpx_sees_the_cut_short_answer_as_an_error_too(base_url):
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{base_url}/wrong", timeout=10)
