"""Anonymous uploads only under the group keys the consortium's agencies published (Huang et al.
2020 §3.4: the cloud verifies under its consortium's group keys). The service took any group key,
so anyone could fill its store under a group of its own, and have it check a large key's setup
on every request. ``CloudServer(group_keys=...)`` refuses other keys; the service refuses them by
the hash of their bytes, before parsing them, and checks a published key's setup once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from offchain.crypto import group_signature as gs
from offchain.crypto import pre
from offchain.crypto.hashing import keccak256
from offchain.crypto.merkle import MerkleTree
from offchain.errors import AccessDeniedError
from offchain.protocols import CloudServer
from offchain.protocols.cloud_server import LOCATOR_SCHEME, anonymous_upload_message
from offchain.services.signing import NonceBook
from offchain.services.storage import ServiceConfig, create_app
from offchain.storage.filesystem import FilesystemBlobStore
from tests.helpers import store_anonymously
from tests.offchain.acjt_vectors import CERTIFICATE_PRIMES_1024
from tests.offchain.protocols.fake_registry import FakeRegistry

BLOCK = 64
CIPHERTEXT = b"anonymous ciphertext blocks" * 20


@pytest.fixture(scope="module")
def manager() -> gs.GroupManager:
    made = gs.GroupManager(gs.generate_group(1024))
    made.add_primes(CERTIFICATE_PRIMES_1024[:1])
    return made


@pytest.fixture(scope="module")
def member(manager) -> gs.MemberKey:
    return gs.join(manager)


def upload(server: CloudServer, manager: gs.GroupManager, member: gs.MemberKey, file_id: bytes) -> str:
    return store_anonymously(server, manager.public, member, file_id=file_id, ciphertext=CIPHERTEXT, block_size=BLOCK)


def blobs(tmp_path) -> list:
    return [path for path in (tmp_path / "blobs").rglob("*") if path.is_file()]


def test_a_group_key_not_published_is_refused_and_nothing_stored(tmp_path, manager, member):
    server = CloudServer("storage", FilesystemBlobStore(tmp_path / "blobs"), FakeRegistry(), group_keys=frozenset())
    with pytest.raises(AccessDeniedError, match="published"):
        upload(server, manager, member, b"\x01" * 32)
    assert blobs(tmp_path) == []


def test_a_published_group_key_is_taken(tmp_path, manager, member):
    keys = {manager.public.fingerprint()}
    server = CloudServer("storage", FilesystemBlobStore(tmp_path / "blobs"), FakeRegistry(), group_keys=keys)
    assert upload(server, manager, member, b"\x02" * 32).startswith(f"{LOCATOR_SCHEME}storage/")


def test_without_group_keys_any_group_is_taken_as_in_the_research(tmp_path, manager, member):
    server = CloudServer("storage", FilesystemBlobStore(tmp_path / "blobs"), FakeRegistry())
    assert upload(server, manager, member, b"\x03" * 32)


def _put(app, key: bytes, manager, member, file_id: bytes) -> httpx.Response:
    tree = MerkleTree.from_bytes(CIPHERTEXT, BLOCK)
    headers = {
        "x-group-key-bytes": str(len(key)),
        "x-block-size": str(BLOCK),
        "x-sealed-key": pre.seal(pre.KeyPair.generate().public_key, b"k" * 32).to_bytes().hex(),
        "x-group-signature": gs.sign(member, anonymous_upload_message(file_id, tree.root, tree.size)).to_bytes().hex(),
    }

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
            return await client.put(f"/anonymous/{file_id.hex()}", content=key + CIPHERTEXT, headers=headers)

    return asyncio.run(send())


def _app(tmp_path, group_keys):
    server = CloudServer("storage", FilesystemBlobStore(tmp_path / "blobs"), FakeRegistry(), group_keys=group_keys)
    return create_app(server, NonceBook(tmp_path / "nonces.sqlite"), ServiceConfig(chain_id=1337))


def test_the_service_refuses_an_unpublished_key_without_parsing_it(tmp_path, manager, member, monkeypatch):
    def never(*_: object) -> None:
        raise AssertionError("an unpublished group key was parsed")

    monkeypatch.setattr(gs.GroupPublicKey, "from_json", never)
    answer = _put(_app(tmp_path, frozenset()), manager.public.to_json().encode(), manager, member, b"\x04" * 32)
    assert (answer.status_code, answer.json()["error"]) == (403, "AccessDeniedError")
    assert blobs(tmp_path) == []


def test_the_service_checks_a_published_keys_setup_once(tmp_path, manager, member, monkeypatch):
    parsed: list[str] = []
    original = gs.GroupPublicKey.from_json

    def counting(text: str) -> gs.GroupPublicKey:
        parsed.append(text)
        return original(text)

    monkeypatch.setattr(gs.GroupPublicKey, "from_json", counting)
    key = manager.public.to_json().encode() + b" "  # bytes of its own, so no earlier test's parse is kept
    app = _app(tmp_path, {keccak256(key), manager.public.fingerprint()})
    for n in range(3):
        answer = _put(app, key, manager, member, bytes([5 + n]) * 32)
        assert answer.status_code == 200, answer.text
    assert len(parsed) == 1
