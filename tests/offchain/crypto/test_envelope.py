"""offchain.crypto.envelope: chunked AES-256-GCM (STREAM) round trips, format, and every rejection."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto import envelope
from offchain.crypto.envelope import (
    DEFAULT_CHUNK_SIZE,
    HEADER_BYTES,
    MAX_CHUNK_SIZE,
    TAG_BYTES,
    _encrypt_with_nonce_prefix,
    ciphertext_size,
    decrypt,
    decrypt_file,
    decrypt_stream,
    encrypt,
    encrypt_file,
    encrypt_stream,
    new_data_key,
)
from offchain.errors import InvalidInputError, VerificationError

KEY = bytes(range(32))
FILE_ID = bytes.fromhex("11" * 32)
NONCE_PREFIX = bytes.fromhex("a0a1a2a3a4a5a6")

# Regression vector: 37 bytes in chunks of 16 -> chunks of 16, 16 and 5 bytes. Cross-checked
# once against pycryptodome's AES-GCM, an implementation independent of `cryptography`.
VECTOR_PLAINTEXT = b"datashare regression vector: 3 chunks"
VECTOR_CHUNK_SIZE = 16
VECTOR_CIPHERTEXT = bytes.fromhex(
    "4453454e560100000010a0a1a2a3a4a5a6"  # header: b"DSENV", 0x01, chunk size 16, nonce prefix
    "6eb068c8e53c244f0903b6e5fe7233184d101ed42db3a91b552669316a9f3a55"
    "228b78a9ad4a93ec94e2cc4eed118e539176e931f16f113f25f747780bad8158"
    "89d8ef858567a9c1a55149b8d4fb988a8c1371d543"
)

# The envelope every tampering test starts from: 100 bytes in chunks of 32 -> 32, 32, 32, 4.
CHUNK = 32
PLAINTEXT = bytes((7 * i + 3) % 256 for i in range(100))
SEALED_SIZES = [CHUNK + TAG_BYTES] * 3 + [4 + TAG_BYTES]


@pytest.fixture
def sealed() -> bytes:
    """The 4-chunk envelope of PLAINTEXT under KEY and FILE_ID."""
    return encrypt(PLAINTEXT, KEY, file_id=FILE_ID, chunk_size=CHUNK)


def split_chunks(ciphertext: bytes) -> tuple[bytes, list[bytes]]:
    """Split the envelope of PLAINTEXT into its header and sealed chunks."""
    header, rest = ciphertext[:HEADER_BYTES], ciphertext[HEADER_BYTES:]
    chunks = []
    for size in SEALED_SIZES:
        chunks.append(rest[:size])
        rest = rest[size:]
    assert rest == b""
    return header, chunks


def flip_bit(data: bytes, position: int, bit: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 1 << bit
    return bytes(changed)


class ShortReads(io.RawIOBase):
    """A source that returns at most 3 bytes per read, like a pipe or socket."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        piece = self._data.read(min(3, len(buffer)))
        buffer[: len(piece)] = piece
        return len(piece)


# --- round trips -------------------------------------------------------------------------


@settings(max_examples=75, deadline=None)
@given(
    plaintext=st.binary(max_size=5000),
    chunk_size=st.integers(1, 600),
    file_id=st.binary(min_size=1, max_size=64),
)
def test_decrypt_inverts_encrypt(plaintext: bytes, chunk_size: int, file_id: bytes):
    key = new_data_key()
    assert decrypt(encrypt(plaintext, key, file_id=file_id, chunk_size=chunk_size), key, file_id=file_id) == plaintext


@settings(max_examples=75, deadline=None)
@given(
    plaintext=st.binary(max_size=5000),
    chunk_size=st.integers(1, 600),
    file_id=st.binary(min_size=1, max_size=64),
)
def test_decrypt_stream_inverts_encrypt_stream(plaintext: bytes, chunk_size: int, file_id: bytes):
    key = new_data_key()
    ciphertext, recovered = io.BytesIO(), io.BytesIO()
    encrypt_stream(io.BytesIO(plaintext), ciphertext, key, file_id=file_id, chunk_size=chunk_size)
    ciphertext.seek(0)
    decrypt_stream(ciphertext, recovered, key, file_id=file_id)
    assert recovered.getvalue() == plaintext


@settings(max_examples=50, deadline=None)
@given(plaintext=st.binary(max_size=3000), chunk_size=st.integers(1, 600))
def test_stream_and_bytes_apis_produce_interchangeable_envelopes(plaintext: bytes, chunk_size: int):
    ciphertext = io.BytesIO()
    encrypt_stream(io.BytesIO(plaintext), ciphertext, KEY, file_id=FILE_ID, chunk_size=chunk_size)
    assert decrypt(ciphertext.getvalue(), KEY, file_id=FILE_ID) == plaintext


@settings(max_examples=75, deadline=None)
@given(plaintext=st.binary(max_size=5000), chunk_size=st.integers(1, 600))
def test_ciphertext_size_predicts_the_envelope_length(plaintext: bytes, chunk_size: int):
    ciphertext = encrypt(plaintext, KEY, file_id=FILE_ID, chunk_size=chunk_size)
    assert len(ciphertext) == ciphertext_size(len(plaintext), chunk_size)


@settings(max_examples=50, deadline=None)
@given(plaintext=st.binary(max_size=3000), chunk_size=st.integers(1, 600))
def test_stream_functions_return_the_byte_counts_they_wrote(plaintext: bytes, chunk_size: int):
    ciphertext, recovered = io.BytesIO(), io.BytesIO()
    written = encrypt_stream(io.BytesIO(plaintext), ciphertext, KEY, file_id=FILE_ID, chunk_size=chunk_size)
    ciphertext.seek(0)
    recovered_count = decrypt_stream(ciphertext, recovered, KEY, file_id=FILE_ID)
    assert (written, recovered_count) == (len(ciphertext.getvalue()), len(plaintext))


def test_stream_functions_cope_with_sources_that_return_short_reads():
    ciphertext, recovered = io.BytesIO(), io.BytesIO()
    encrypt_stream(ShortReads(PLAINTEXT), ciphertext, KEY, file_id=FILE_ID, chunk_size=CHUNK)
    decrypt_stream(ShortReads(ciphertext.getvalue()), recovered, KEY, file_id=FILE_ID)
    assert recovered.getvalue() == PLAINTEXT


def test_file_functions_round_trip(tmp_path: Path):
    plain, sealed_path, recovered = tmp_path / "plain.csv", tmp_path / "out" / "plain.enc", tmp_path / "plain.out"
    plain.write_bytes(PLAINTEXT)
    written = encrypt_file(plain, sealed_path, KEY, file_id=FILE_ID, chunk_size=CHUNK)
    count = decrypt_file(sealed_path, recovered, KEY, file_id=FILE_ID)
    assert recovered.read_bytes() == PLAINTEXT
    assert (written, count) == (sealed_path.stat().st_size, len(PLAINTEXT))


def test_file_functions_handle_several_default_sized_chunks(tmp_path: Path):
    data = bytes(range(256)) * (DEFAULT_CHUNK_SIZE // 256 * 2 + 1)  # two full chunks and a bit
    plain, sealed_path, recovered = tmp_path / "big.bin", tmp_path / "big.enc", tmp_path / "big.out"
    plain.write_bytes(data)
    encrypt_file(plain, sealed_path, KEY, file_id=FILE_ID)
    decrypt_file(sealed_path, recovered, KEY, file_id=FILE_ID)
    assert recovered.read_bytes() == data
    assert sealed_path.stat().st_size == ciphertext_size(len(data))


def test_two_encryptions_of_the_same_plaintext_differ():
    first = encrypt(PLAINTEXT, KEY, file_id=FILE_ID)
    second = encrypt(PLAINTEXT, KEY, file_id=FILE_ID)
    assert first[HEADER_BYTES - 7 : HEADER_BYTES] != second[HEADER_BYTES - 7 : HEADER_BYTES]  # nonce prefixes
    assert first != second


def test_new_data_keys_are_32_bytes_and_differ():
    first, second = new_data_key(), new_data_key()
    assert len(first) == len(second) == 32
    assert first != second


# --- format -------------------------------------------------------------------------------


def test_encryption_matches_the_regression_vector():
    ciphertext = _encrypt_with_nonce_prefix(
        VECTOR_PLAINTEXT, KEY, file_id=FILE_ID, chunk_size=VECTOR_CHUNK_SIZE, nonce_prefix=NONCE_PREFIX
    )
    assert ciphertext.hex() == VECTOR_CIPHERTEXT.hex()


def test_regression_vector_decrypts_to_its_plaintext():
    assert decrypt(VECTOR_CIPHERTEXT, KEY, file_id=FILE_ID) == VECTOR_PLAINTEXT


@pytest.mark.parametrize(
    ("plaintext_size", "chunk_sizes"),
    [
        (0, [0]),  # the empty plaintext is one empty final chunk
        (5, [5]),
        (16, [16]),  # an exact multiple: the last full chunk is final, no empty chunk follows
        (32, [16, 16]),
        (37, [16, 16, 5]),
    ],
)
def test_envelope_follows_the_documented_layout(plaintext_size: int, chunk_sizes: list[int]):
    plaintext = bytes(range(plaintext_size))
    ciphertext = _encrypt_with_nonce_prefix(plaintext, KEY, file_id=FILE_ID, chunk_size=16, nonce_prefix=NONCE_PREFIX)
    header = b"DSENV" + b"\x01" + (16).to_bytes(4, "big") + NONCE_PREFIX
    expected, offset = header, 0
    for index, size in enumerate(chunk_sizes):
        flag = b"\x01" if index == len(chunk_sizes) - 1 else b"\x00"
        nonce = NONCE_PREFIX + index.to_bytes(4, "big") + flag
        expected += AESGCM(KEY).encrypt(nonce, plaintext[offset : offset + size], header + FILE_ID)
        offset += size
    assert ciphertext == expected


def test_header_is_17_bytes():
    assert HEADER_BYTES == 17


@pytest.mark.parametrize(
    ("plaintext_size", "chunk_size", "expected"),
    [(0, 16, 17 + 16), (1, 16, 17 + 1 + 16), (16, 16, 17 + 16 + 16), (17, 16, 17 + 17 + 32), (100, 1, 17 + 100 * 17)],
)
def test_ciphertext_size_follows_the_chunking_rule(plaintext_size: int, chunk_size: int, expected: int):
    assert ciphertext_size(plaintext_size, chunk_size) == expected


# --- rejected ciphertexts -------------------------------------------------------------------


def test_wrong_key_is_rejected(sealed: bytes):
    with pytest.raises(VerificationError, match="chunk 0 failed authentication"):
        decrypt(sealed, new_data_key(), file_id=FILE_ID)


def test_wrong_file_id_is_rejected(sealed: bytes):
    with pytest.raises(VerificationError, match="chunk 0 failed authentication"):
        decrypt(sealed, KEY, file_id=bytes.fromhex("22" * 32))


@settings(max_examples=60, deadline=None)
@given(position=st.integers(0, HEADER_BYTES - 1), bit=st.integers(0, 7))
def test_any_flipped_bit_in_the_header_is_rejected(position: int, bit: int):
    ciphertext = encrypt(PLAINTEXT, KEY, file_id=FILE_ID, chunk_size=CHUNK)
    with pytest.raises(VerificationError):
        decrypt(flip_bit(ciphertext, position, bit), KEY, file_id=FILE_ID)


@settings(max_examples=60, deadline=None)
@given(chunk=st.integers(0, 3), data=st.data(), bit=st.integers(0, 7))
def test_any_flipped_bit_in_a_chunk_body_is_rejected(chunk: int, data: st.DataObject, bit: int):
    ciphertext = encrypt(PLAINTEXT, KEY, file_id=FILE_ID, chunk_size=CHUNK)
    start = HEADER_BYTES + sum(SEALED_SIZES[:chunk])
    position = start + data.draw(st.integers(0, SEALED_SIZES[chunk] - TAG_BYTES - 1))
    with pytest.raises(VerificationError, match=f"chunk {chunk} failed"):
        decrypt(flip_bit(ciphertext, position, bit), KEY, file_id=FILE_ID)


@settings(max_examples=60, deadline=None)
@given(chunk=st.integers(0, 3), offset=st.integers(0, TAG_BYTES - 1), bit=st.integers(0, 7))
def test_any_flipped_bit_in_a_tag_is_rejected(chunk: int, offset: int, bit: int):
    ciphertext = encrypt(PLAINTEXT, KEY, file_id=FILE_ID, chunk_size=CHUNK)
    tag_start = HEADER_BYTES + sum(SEALED_SIZES[: chunk + 1]) - TAG_BYTES
    with pytest.raises(VerificationError, match=f"chunk {chunk} failed"):
        decrypt(flip_bit(ciphertext, tag_start + offset, bit), KEY, file_id=FILE_ID)


def test_dropping_the_last_chunk_is_rejected(sealed: bytes):
    header, chunks = split_chunks(sealed)
    with pytest.raises(VerificationError, match="chunk 2 failed"):
        decrypt(header + b"".join(chunks[:-1]), KEY, file_id=FILE_ID)


def test_dropping_every_chunk_is_rejected(sealed: bytes):
    with pytest.raises(VerificationError, match="chunk 0 failed"):
        decrypt(sealed[:HEADER_BYTES], KEY, file_id=FILE_ID)


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(HEADER_BYTES + 1, sum(SEALED_SIZES) + HEADER_BYTES - 1))
def test_cutting_the_envelope_anywhere_after_the_header_is_rejected(cut: int):
    ciphertext = encrypt(PLAINTEXT, KEY, file_id=FILE_ID, chunk_size=CHUNK)
    with pytest.raises(VerificationError, match="failed authentication"):
        decrypt(ciphertext[:cut], KEY, file_id=FILE_ID)


@pytest.mark.parametrize("length", [0, 5, HEADER_BYTES - 1])
def test_envelope_shorter_than_its_header_is_rejected(sealed: bytes, length: int):
    with pytest.raises(VerificationError, match="shorter than its 17-byte header"):
        decrypt(sealed[:length], KEY, file_id=FILE_ID)


def test_dropping_a_middle_chunk_is_rejected(sealed: bytes):
    header, chunks = split_chunks(sealed)
    with pytest.raises(VerificationError, match="chunk 1 failed"):
        decrypt(header + chunks[0] + chunks[2] + chunks[3], KEY, file_id=FILE_ID)


def test_reordered_chunks_are_rejected(sealed: bytes):
    header, chunks = split_chunks(sealed)
    with pytest.raises(VerificationError, match="chunk 0 failed"):
        decrypt(header + chunks[1] + chunks[0] + chunks[2] + chunks[3], KEY, file_id=FILE_ID)


def test_duplicated_chunk_is_rejected(sealed: bytes):
    header, chunks = split_chunks(sealed)
    with pytest.raises(VerificationError, match="chunk 2 failed"):
        decrypt(header + chunks[0] + chunks[1] + chunks[1] + chunks[2] + chunks[3], KEY, file_id=FILE_ID)


@settings(max_examples=50, deadline=None)
@given(extra=st.binary(min_size=1, max_size=100))
def test_appended_bytes_are_rejected(extra: bytes):
    ciphertext = encrypt(PLAINTEXT, KEY, file_id=FILE_ID, chunk_size=CHUNK)
    with pytest.raises(VerificationError, match="failed authentication"):
        decrypt(ciphertext + extra, KEY, file_id=FILE_ID)


def test_appending_a_whole_envelope_is_rejected():
    # An exact multiple of the chunk size, so the final chunk is full and anything after it matters.
    plaintext = bytes(2 * CHUNK)
    ciphertext = encrypt(plaintext, KEY, file_id=FILE_ID, chunk_size=CHUNK)
    with pytest.raises(VerificationError, match="chunk 1 failed"):
        decrypt(ciphertext + ciphertext[HEADER_BYTES:], KEY, file_id=FILE_ID)


def test_chunk_from_another_envelope_of_the_same_key_is_rejected(sealed: bytes):
    header, chunks = split_chunks(sealed)
    _, other_chunks = split_chunks(encrypt(PLAINTEXT, KEY, file_id=FILE_ID, chunk_size=CHUNK))
    with pytest.raises(VerificationError, match="chunk 1 failed"):
        decrypt(header + chunks[0] + other_chunks[1] + chunks[2] + chunks[3], KEY, file_id=FILE_ID)


def test_wrong_magic_is_rejected(sealed: bytes):
    with pytest.raises(VerificationError, match=re.escape("expected magic b'DSENV', found b'XSENV'")):
        decrypt(b"X" + sealed[1:], KEY, file_id=FILE_ID)


def test_unknown_version_is_rejected(sealed: bytes):
    with pytest.raises(VerificationError, match="expected 1, found 2"):
        decrypt(sealed[:5] + b"\x02" + sealed[6:], KEY, file_id=FILE_ID)


@pytest.mark.parametrize("chunk_size", [0, MAX_CHUNK_SIZE + 1, 2**32 - 1])
def test_header_chunk_size_out_of_range_is_rejected(sealed: bytes, chunk_size: int):
    tampered = sealed[:6] + chunk_size.to_bytes(4, "big") + sealed[10:]
    with pytest.raises(VerificationError, match=f"found {chunk_size}"):
        decrypt(tampered, KEY, file_id=FILE_ID)


def test_empty_final_chunk_after_a_full_one_is_rejected():
    # Only a key holder can build this; the encoding must still be unique.
    header = b"DSENV" + b"\x01" + CHUNK.to_bytes(4, "big") + NONCE_PREFIX
    aead = AESGCM(KEY)
    ciphertext = (
        header
        + aead.encrypt(NONCE_PREFIX + (0).to_bytes(4, "big") + b"\x00", bytes(CHUNK), header + FILE_ID)
        + aead.encrypt(NONCE_PREFIX + (1).to_bytes(4, "big") + b"\x01", b"", header + FILE_ID)
    )
    with pytest.raises(VerificationError, match="empty final chunk"):
        decrypt(ciphertext, KEY, file_id=FILE_ID)


def test_decrypt_stream_writes_only_the_chunks_that_authenticated(sealed: bytes):
    tampered = flip_bit(sealed, HEADER_BYTES + sum(SEALED_SIZES[:2]), 0)  # first byte of chunk 2
    recovered = io.BytesIO()
    with pytest.raises(VerificationError, match="chunk 2 failed"):
        decrypt_stream(io.BytesIO(tampered), recovered, KEY, file_id=FILE_ID)
    assert recovered.getvalue() == PLAINTEXT[: 2 * CHUNK]


def test_decrypt_file_leaves_no_output_and_no_temporary_file_on_a_tampered_envelope(tmp_path: Path):
    sealed_path, out_dir = tmp_path / "plain.enc", tmp_path / "out"
    ciphertext = encrypt(PLAINTEXT, KEY, file_id=FILE_ID, chunk_size=CHUNK)
    sealed_path.write_bytes(flip_bit(ciphertext, len(ciphertext) - 1, 0))  # last chunk's tag
    with pytest.raises(VerificationError):
        decrypt_file(sealed_path, out_dir / "plain.csv", KEY, file_id=FILE_ID)
    assert list(out_dir.iterdir()) == []


def test_decrypt_file_keeps_an_existing_output_on_a_tampered_envelope(tmp_path: Path):
    sealed_path, out = tmp_path / "plain.enc", tmp_path / "plain.csv"
    out.write_bytes(b"previous contents")
    ciphertext = encrypt(PLAINTEXT, KEY, file_id=FILE_ID, chunk_size=CHUNK)
    sealed_path.write_bytes(ciphertext[:-1])
    with pytest.raises(VerificationError):
        decrypt_file(sealed_path, out, KEY, file_id=FILE_ID)
    assert out.read_bytes() == b"previous contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.csv", "plain.enc"]


# --- rejected arguments -------------------------------------------------------------------


@pytest.mark.parametrize("key_length", [0, 16, 24, 31, 33])
def test_data_key_of_the_wrong_length_is_rejected(key_length: int):
    with pytest.raises(InvalidInputError, match=f"data_key must be 32 bytes, got {key_length} bytes"):
        encrypt(PLAINTEXT, bytes(key_length), file_id=FILE_ID)


def test_data_key_of_the_wrong_length_is_rejected_on_decryption(sealed: bytes):
    with pytest.raises(InvalidInputError, match="data_key must be 32 bytes, got 16 bytes"):
        decrypt(sealed, bytes(16), file_id=FILE_ID)


def test_data_key_that_is_not_bytes_is_rejected():
    with pytest.raises(InvalidInputError, match="got a str"):
        encrypt(PLAINTEXT, "k" * 32, file_id=FILE_ID)  # type: ignore[arg-type]


@pytest.mark.parametrize("chunk_size", [0, -1, MAX_CHUNK_SIZE + 1])
def test_chunk_size_out_of_range_is_rejected(chunk_size: int):
    with pytest.raises(InvalidInputError, match=re.escape(f"chunk_size must be an int in 1..{MAX_CHUNK_SIZE},")):
        encrypt(PLAINTEXT, KEY, file_id=FILE_ID, chunk_size=chunk_size)


def test_empty_file_id_is_rejected():
    with pytest.raises(InvalidInputError, match=re.escape("file_id must be 1..64 bytes, got 0 bytes")):
        encrypt(PLAINTEXT, KEY, file_id=b"")


def test_file_id_longer_than_64_bytes_is_rejected(sealed: bytes):
    with pytest.raises(InvalidInputError, match=re.escape("file_id must be 1..64 bytes, got 65 bytes")):
        decrypt(sealed, KEY, file_id=bytes(65))


def test_invalid_arguments_to_encrypt_file_create_no_output(tmp_path: Path):
    plain, out = tmp_path / "plain.csv", tmp_path / "plain.enc"
    plain.write_bytes(PLAINTEXT)
    with pytest.raises(InvalidInputError):
        encrypt_file(plain, out, bytes(16), file_id=FILE_ID)
    assert [p.name for p in tmp_path.iterdir()] == ["plain.csv"]


def test_nonce_prefix_of_the_wrong_length_is_rejected():
    with pytest.raises(InvalidInputError, match="nonce_prefix must be 7 bytes, got 8 bytes"):
        _encrypt_with_nonce_prefix(PLAINTEXT, KEY, file_id=FILE_ID, chunk_size=CHUNK, nonce_prefix=bytes(8))


def test_ciphertext_size_rejects_more_than_2_to_the_32_chunks():
    with pytest.raises(InvalidInputError, match="more than the 4294967296 allowed"):
        ciphertext_size(2**32 + 1, 1)


def test_ciphertext_size_rejects_a_negative_plaintext_size():
    with pytest.raises(InvalidInputError, match="plaintext_size must be an int of at least 0"):
        ciphertext_size(-1)


def test_encrypt_refuses_a_plaintext_needing_more_chunks_than_the_counter_holds(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(envelope, "_MAX_CHUNKS", 3)  # stand-in for 2**32, which needs a 4 GiB plaintext
    with pytest.raises(InvalidInputError, match="more than the 3 allowed"):
        encrypt(bytes(4), KEY, file_id=FILE_ID, chunk_size=1)


def test_encrypt_stream_stops_when_the_counter_would_overflow(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(envelope, "_MAX_CHUNKS", 3)
    with pytest.raises(InvalidInputError, match="more than 3 chunks"):
        encrypt_stream(io.BytesIO(bytes(4)), io.BytesIO(), KEY, file_id=FILE_ID, chunk_size=1)


def test_encrypt_stream_accepts_exactly_the_maximum_number_of_chunks(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(envelope, "_MAX_CHUNKS", 3)
    ciphertext = io.BytesIO()
    encrypt_stream(io.BytesIO(bytes(3)), ciphertext, KEY, file_id=FILE_ID, chunk_size=1)
    assert decrypt(ciphertext.getvalue(), KEY, file_id=FILE_ID) == bytes(3)


def test_decrypt_rejects_an_envelope_with_more_chunks_than_the_counter_holds(monkeypatch: pytest.MonkeyPatch):
    ciphertext = encrypt(bytes(4), KEY, file_id=FILE_ID, chunk_size=1)
    monkeypatch.setattr(envelope, "_MAX_CHUNKS", 3)
    with pytest.raises(VerificationError, match="more than 3 chunks"):
        decrypt(ciphertext, KEY, file_id=FILE_ID)
