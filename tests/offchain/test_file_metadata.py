"""FileMetadata: the packed on-chain metadata round-trips and rejects what it cannot hold."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.errors import IntegrityError, InvalidInputError
from offchain.protocols.metadata import FileMetadata

PK = b"\x02" + b"\x11" * 32


@settings(max_examples=60, deadline=None)
@given(
    block_size=st.integers(1, 2**32 - 1),
    block_count=st.integers(1, 2**32 - 1),
    ciphertext_bytes=st.integers(1, 2**64 - 1),
    name=st.text(max_size=60),
)
def test_metadata_round_trips_through_bytes(block_size, block_count, ciphertext_bytes, name):
    if len(name.encode()) > 256:
        return
    meta = FileMetadata(block_size, block_count, ciphertext_bytes, PK, name=name)
    assert FileMetadata.from_bytes(meta.to_bytes()) == meta


def test_metadata_without_a_name_is_51_bytes():
    assert len(FileMetadata(16384, 8, 131104, PK).to_bytes()) == 51


def test_metadata_with_a_capsule_hash_is_version_2_of_83_bytes_and_round_trips():
    meta = FileMetadata(16384, 8, 131104, PK, name="scan", capsule_hash=b"\x42" * 32)
    raw = meta.to_bytes()
    assert (raw[0], len(raw)) == (2, 83 + 4)
    assert FileMetadata.from_bytes(raw) == meta


def test_version_1_metadata_reads_without_a_capsule_hash():
    assert FileMetadata.from_bytes(FileMetadata(1, 1, 1, PK).to_bytes()).capsule_hash is None


def test_a_capsule_hash_of_the_wrong_size_is_refused():
    with pytest.raises(InvalidInputError, match="capsule_hash must be 32 bytes"):
        FileMetadata(1, 1, 1, PK, capsule_hash=b"\x01" * 31)


@pytest.mark.parametrize("raw", [b"", b"\x02" + bytes(50), bytes(10)])
def test_foreign_or_short_metadata_raises_integrity_error(raw):
    with pytest.raises(IntegrityError, match="version 1"):
        FileMetadata.from_bytes(raw)


def test_a_name_that_is_not_utf8_raises_integrity_error():
    raw = FileMetadata(1, 1, 1, PK).to_bytes() + b"\xff\xfe"
    with pytest.raises(IntegrityError, match="malformed"):
        FileMetadata.from_bytes(raw)


@pytest.mark.parametrize(
    "changes",
    [{"block_size": 0}, {"block_count": 2**32}, {"delegating_pk": b"\x02"}, {"cipher": 9}, {"name": "x" * 257}],
)
def test_impossible_values_are_refused(changes):
    fields = dict(block_size=1, block_count=1, ciphertext_bytes=1, delegating_pk=PK)
    fields.update(changes)
    with pytest.raises(InvalidInputError):
        FileMetadata(**fields)
