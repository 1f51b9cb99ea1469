"""Commitments, data blocks and file digests are computed over values that reach the toolkit
from outside (a disclosed record, the registrations an anchorer batches, a file to hash): for
any such value they raise only the toolkit's own errors (issue 12).
"""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from offchain.crypto import batching, hashing
from offchain.crypto import paillier as pl
from tests.offchain import fuzzing as fz

CONTENT = b"disclosed record " * 8
CODEC = pl.FixedPoint(n=(1 << 512) + 1, fraction_bits=16, max_int=(1 << 510))


@fz.CHEAP
@given(content=fz.junk)
def test_content_commitment_refuses_content_that_is_not_bytes(content):
    result = fz.project_errors_only(hashing.content_commitment, content, bytes(32))
    assert result is fz.REFUSED or isinstance(content, bytes)


@fz.CHEAP
@given(digests=st.one_of(fz.junk, st.lists(st.one_of(fz.junk, st.binary(min_size=31, max_size=33)), max_size=4)))
def test_data_block_from_record_digests_raises_only_project_errors(digests):
    block = fz.project_errors_only(batching.DataBlock.from_record_digests, digests)
    assert block is fz.REFUSED or all(isinstance(d, bytes) and len(d) == 32 for d in digests)


@fz.CHEAP
@given(chunk_size=st.one_of(fz.junk, fz.integers))
def test_sha256_file_hashes_the_file_or_refuses_the_chunk_size(tmp_path_factory, chunk_size):
    path = tmp_path_factory.mktemp("digest") / "file"
    path.write_bytes(CONTENT)
    digest = fz.project_errors_only(hashing.sha256_file, path, chunk_size)
    assert digest is fz.REFUSED or digest == hashlib.sha256(CONTENT).digest()


@fz.CHEAP
@given(path=fz.junk.filter(lambda value: not isinstance(value, str)))
def test_sha256_file_refuses_a_path_that_is_not_a_path(path):
    assert fz.project_errors_only(hashing.sha256_file, path) is fz.REFUSED


@fz.CHEAP
@given(residue=st.one_of(fz.junk, fz.integers))
def test_fixed_point_decode_int_raises_only_project_errors(residue):
    fz.project_errors_only(CODEC.decode_int, residue)
