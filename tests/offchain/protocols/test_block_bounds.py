"""Bounds on Merkle blocks, which the uploader chooses and the storage server pays for.

The server builds a file's tree in memory, at the uploader's block size: at 1 byte a block an
upload cost about 280 bytes of memory and 3 µs a byte (8 MiB: 2.3 GiB and 23 s; the largest body
accepted, 256 MiB, would have needed 72 GiB). Audits are public and answer whole blocks: one
block of 256 MiB challenged 1024 times was 256 GiB read into memory. A file of more blocks than
``MAX_BLOCKS`` or larger ones than ``MAX_BLOCK_BYTES`` is now refused before any tree is built,
on each upload path, and the storage service answers an audit request with at most
``MAX_AUDIT_BYTES`` of blocks (its client asks again for the rest).
"""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from eth_account import Account

from offchain.crypto import group_signature as gs
from offchain.crypto import pre
from offchain.errors import IntegrityError, InvalidInputError
from offchain.protocols import CloudServer, DataOwner, data_owner
from offchain.protocols import cloud_server as cs
from offchain.protocols.metadata import FileMetadata
from offchain.services.storage import _BlockDigests
from offchain.storage.filesystem import FilesystemBlobStore
from tests.offchain.protocols.fake_registry import FakeRegistry


class _NoTrees:
    """Stands for MerkleTree in the server: building a tree fails the test."""

    @staticmethod
    def from_bytes(*_: object) -> None:
        pytest.fail("the server built the tree of a file it should have refused first")


class _MisstatingRegistry(FakeRegistry):
    """Registers every file as ``block_count`` blocks, whatever the owner computed."""

    def __init__(self, block_count: int) -> None:
        super().__init__()
        self.block_count = block_count

    def register_file(self, *, metadata: bytes = b"", **fields):  # type: ignore[no-untyped-def, override]
        misstated = replace(FileMetadata.from_bytes(metadata), block_count=self.block_count).to_bytes()
        return super().register_file(metadata=misstated, **fields)


def _server(tmp_path, registry: FakeRegistry) -> CloudServer:
    return CloudServer("storage", FilesystemBlobStore(tmp_path), registry)


@pytest.fixture
def no_trees(monkeypatch):
    monkeypatch.setattr(cs, "MerkleTree", _NoTrees)


@pytest.fixture(scope="module")
def group() -> gs.GroupManager:
    return gs.GroupManager(gs.generate_group(1024))


@pytest.mark.usefixtures("no_trees")
@pytest.mark.parametrize(
    ("size", "block_size", "message"),
    [(cs.MAX_BLOCKS + 1, 1, f"{cs.MAX_BLOCKS + 1} Merkle blocks"), (10, cs.MAX_BLOCK_BYTES + 1, "blocks of")],
    ids=["too-many-blocks", "too-large-blocks"],
)
def test_an_anonymous_upload_outside_the_bounds_is_refused_before_its_tree(tmp_path, group, size, block_size, message):
    with pytest.raises(InvalidInputError, match=message):
        _server(tmp_path, FakeRegistry()).store_anonymous(
            file_id=secrets.token_bytes(32),
            ciphertext=bytes(size),
            block_size=block_size,
            sealed_key=pre.seal(pre.KeyPair.generate().public_key, bytes(96)),
            group=group.public,
            signature=gs.sign(gs.join(group), b"any message"),
        )


@pytest.mark.usefixtures("no_trees")
@pytest.mark.parametrize(
    ("size", "block_size"), [(cs.MAX_BLOCKS, 1), (10, cs.MAX_BLOCK_BYTES + 1)], ids=["too-many", "too-large"]
)
def test_the_owner_refuses_a_file_outside_the_bounds_before_registering_it(tmp_path, size, block_size):
    registry = FakeRegistry()
    with pytest.raises(InvalidInputError, match="the file has"):
        DataOwner(Account.create(), registry).upload(bytes(size), _server(tmp_path, registry), block_size=block_size)
    assert registry.files == {}


@pytest.mark.usefixtures("no_trees")
def test_a_file_registered_as_more_blocks_than_the_bound_is_refused(tmp_path):
    registry = _MisstatingRegistry(cs.MAX_BLOCKS + 1)
    with pytest.raises(InvalidInputError, match="as registered"):
        DataOwner(Account.create(), registry).upload(b"small", _server(tmp_path, registry), block_size=1)


@pytest.mark.usefixtures("no_trees")
def test_a_file_registered_as_fewer_blocks_than_it_has_is_refused_by_its_own_count(tmp_path, monkeypatch):
    """An owner who skips its own check registers a file of too many blocks as one block."""
    monkeypatch.setattr(data_owner, "check_blocks", lambda *_: None)
    registry = _MisstatingRegistry(1)
    with pytest.raises(InvalidInputError, match="the upload has"):
        DataOwner(Account.create(), registry).upload(bytes(cs.MAX_BLOCKS), _server(tmp_path, registry), block_size=1)


def test_a_streamed_body_is_refused_as_soon_as_it_passes_its_registered_blocks():
    digests = _BlockDigests(block_size=4, registered=3)
    digests.update([bytes(10)])  # blocks 1-3, the last one partial
    with pytest.raises(IntegrityError, match="passed the 3 blocks of 4 bytes"):
        digests.update([bytes(3), bytes(1 << 20)])
    assert len(digests.digests) <= 3


def test_a_streamed_body_of_exactly_its_registered_blocks_is_hashed_whole():
    digests = _BlockDigests(block_size=4, registered=3)
    digests.update([bytes(5), bytes(7)])
    assert len(digests.finish()) == 3


@pytest.fixture(scope="module")
def largest_blocks(tmp_path_factory):
    """A server holding a file of two blocks of the largest size."""
    registry = FakeRegistry()
    server = _server(tmp_path_factory.mktemp("blobs"), registry)
    receipt = DataOwner(Account.create(), registry).upload(
        secrets.token_bytes(cs.MAX_BLOCK_BYTES + 1000), server, block_size=cs.MAX_BLOCK_BYTES
    )
    return server, receipt.registration.file_id


def test_an_audit_with_a_byte_limit_answers_the_first_blocks_within_it(largest_blocks):
    server, file_id = largest_blocks
    most = cs.MAX_AUDIT_BYTES // cs.MAX_BLOCK_BYTES
    answers = server.answer_challenge(file_id, (0, 1) * most, max_bytes=cs.MAX_AUDIT_BYTES)
    assert [a.index for a in answers] == [0, 1] * (most // 2)


def test_an_audit_with_a_byte_limit_below_one_block_answers_one(largest_blocks):
    server, file_id = largest_blocks
    assert [a.index for a in server.answer_challenge(file_id, (1, 0), max_bytes=1)] == [1]


def test_an_audit_reads_a_block_asked_for_twice_once(largest_blocks, monkeypatch):
    server, file_id = largest_blocks
    reads: list[int] = []
    read_range = server.store.read_range
    monkeypatch.setattr(server.store, "read_range", lambda *a: reads.append(a[1]) or read_range(*a))
    answers = server.answer_challenge(file_id, (1, 0, 1, 1, 0))
    assert sorted(reads) == [0, cs.MAX_BLOCK_BYTES]
    blob, size = server.store.get(server._stored(file_id).blob_locator), cs.MAX_BLOCK_BYTES
    assert [(a.index, a.block) for a in answers] == [(i, blob[i * size : (i + 1) * size]) for i in (1, 0, 1, 1, 0)]
