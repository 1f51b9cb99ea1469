"""The storage service reads some bodies whole into memory before anything authenticates them
(anonymous and device uploads, uploads to an S3 store): 256 concurrent strangers (uvicorn's limit)
sending 256 MiB each had held 64 GiB. Those bodies now share ``max_buffered_bytes``: a body that
would pass it is refused with 503, and a request's bytes are given back when it ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from offchain.errors import InvalidInputError
from offchain.protocols import CloudServer
from offchain.services.signing import NonceBook
from offchain.services.storage import ServiceConfig, create_app
from offchain.storage.filesystem import FilesystemBlobStore
from tests.offchain.protocols.fake_registry import FakeRegistry

BUDGET = 1000
ANONYMOUS = f"/anonymous/{'07' * 32}"


@pytest.fixture
def app(tmp_path):
    server = CloudServer("storage", FilesystemBlobStore(tmp_path / "blobs"), FakeRegistry())
    config = ServiceConfig(chain_id=1337, max_upload_bytes=BUDGET, max_buffered_bytes=BUDGET)
    return create_app(server, NonceBook(tmp_path / "nonces.sqlite"), config)


async def _held_open(sent: asyncio.Event, release: asyncio.Event) -> AsyncIterator[bytes]:
    """A body that sends most of the budget, then waits."""
    yield bytes(BUDGET - 100)
    sent.set()
    await release.wait()
    yield b"end"


def _metric(text: str, name: str) -> int:
    return int(next(line.split()[1] for line in text.splitlines() if line.startswith(name + " ")))


def test_a_body_beyond_the_budget_is_refused_while_another_holds_it_and_taken_after(app):
    async def scenario() -> tuple[httpx.Response, httpx.Response, httpx.Response, int, int]:
        sent, release = asyncio.Event(), asyncio.Event()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
            holder = asyncio.ensure_future(client.put(ANONYMOUS, content=_held_open(sent, release)))
            await sent.wait()
            await asyncio.sleep(0.05)  # the service has read the first part
            held = _metric((await client.get("/metrics")).text, "datashare_buffered_body_bytes")
            refused = await client.put(ANONYMOUS, content=bytes(200))
            release.set()
            first = await holder
            after = await client.put(ANONYMOUS, content=bytes(200))
            left = _metric((await client.get("/metrics")).text, "datashare_buffered_body_bytes")
            return refused, first, after, held, left

    refused, first, after, held, left = asyncio.run(scenario())
    assert held == BUDGET - 100
    assert (refused.status_code, refused.json()["error"]) == (503, "ServiceBusyError")
    # Both others were read whole, then refused for their missing headers: not for the budget.
    assert (first.status_code, after.status_code) == (400, 400)
    assert "x-group-key-bytes" in after.json()["detail"]
    assert left == 0


def test_a_budget_smaller_than_one_upload_is_refused():
    with pytest.raises(InvalidInputError, match="must hold at least one upload"):
        ServiceConfig(chain_id=1337, max_upload_bytes=2 * BUDGET, max_buffered_bytes=BUDGET)
