"""offchain.crypto.hashing: known-answer digests, salted commitments, streaming file digests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto.hashing import (
    COMMITMENT_DOMAIN,
    content_commitment,
    keccak256,
    new_salt,
    sha256,
    sha256_file,
    verify_commitment,
)
from offchain.errors import InvalidInputError

SALT = bytes(range(32))
RECORD = b"patient,42,F,E11.9"


def test_sha256_of_abc_matches_the_fips_180_2_vector():
    assert sha256(b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_keccak256_of_empty_input_matches_the_evm_digest():
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_keccak256_of_abc_matches_the_known_digest():
    assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


def test_keccak256_is_not_nist_sha3_256():
    assert keccak256(b"") != hashlib.sha3_256(b"").digest()


def test_commitment_matches_its_regression_vector():
    assert content_commitment(RECORD, SALT).hex() == "289423dc5c52073e6979a188ecca95e79cf779fb718a98d32697504aeb506094"


def test_commitment_is_sha256_of_the_length_prefixed_domain_salt_and_content():
    expected = hashlib.sha256(bytes([len(COMMITMENT_DOMAIN)]) + COMMITMENT_DOMAIN + SALT + RECORD).digest()
    assert content_commitment(RECORD, SALT) == expected


def test_commitment_is_not_the_plain_hash_of_the_content():
    assert content_commitment(RECORD, SALT) != sha256(RECORD)


def test_commitment_verifies_with_its_content_and_salt():
    salt = new_salt()
    assert verify_commitment(RECORD, salt, content_commitment(RECORD, salt))


def test_commitment_differs_under_another_salt():
    assert content_commitment(RECORD, SALT) != content_commitment(RECORD, bytes(32))


def test_commitment_does_not_verify_under_another_salt():
    commitment = content_commitment(RECORD, SALT)
    assert not verify_commitment(RECORD, bytes(32), commitment)


@settings(max_examples=50, deadline=None)
@given(position=st.integers(0, len(RECORD) - 1), delta=st.integers(1, 255))
def test_commitment_rejects_content_with_one_changed_byte(position: int, delta: int):
    commitment = content_commitment(RECORD, SALT)
    changed = bytearray(RECORD)
    changed[position] = (changed[position] + delta) % 256
    assert not verify_commitment(bytes(changed), SALT, commitment)


def test_commitment_does_not_verify_a_truncated_commitment():
    commitment = content_commitment(RECORD, SALT)
    assert not verify_commitment(RECORD, SALT, commitment[:-1])


@pytest.mark.parametrize("salt_length", [0, 16, 31, 33, 64])
def test_salt_of_the_wrong_length_is_rejected(salt_length: int):
    with pytest.raises(InvalidInputError, match=f"salt must be 32 bytes, got {salt_length} bytes"):
        content_commitment(RECORD, bytes(salt_length))


def test_verifying_with_a_salt_of_the_wrong_length_raises():
    with pytest.raises(InvalidInputError, match="salt must be 32 bytes"):
        verify_commitment(RECORD, bytes(31), bytes(32))


def test_salt_that_is_not_bytes_is_rejected():
    with pytest.raises(InvalidInputError, match="got str"):
        content_commitment(RECORD, "0" * 32)  # type: ignore[arg-type]


def test_new_salts_are_32_bytes_and_differ():
    first, second = new_salt(), new_salt()
    assert len(first) == len(second) == 32
    assert first != second


@pytest.mark.parametrize("size", [0, 1, 6, 7, 8, 50])
def test_sha256_file_equals_sha256_of_the_bytes(tmp_path: Path, size: int):
    data = bytes((i * 37) % 256 for i in range(size))
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    assert sha256_file(path, chunk_size=7) == sha256(data)


def test_sha256_file_with_the_default_chunk_size_spans_several_chunks(tmp_path: Path):
    data = bytes(range(256)) * 9000  # about 2.2 MiB: three 1 MiB reads
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert sha256_file(path) == sha256(data)


def test_sha256_file_rejects_a_zero_chunk_size(tmp_path: Path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"abc")
    with pytest.raises(InvalidInputError, match="chunk_size must be at least 1, got 0"):
        sha256_file(path, chunk_size=0)
