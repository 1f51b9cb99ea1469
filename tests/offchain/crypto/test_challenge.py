"""Audit challenges: deterministic from (root, k, nonce), fresh with a new nonce, unbiased, distinct."""

from __future__ import annotations

import collections

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto.challenge import challenge_indices, challenge_seed, new_challenge
from offchain.crypto.hashing import keccak256
from offchain.errors import InvalidInputError

ROOT = keccak256(b"root")


def test_seed_is_the_k_fold_hash_of_the_root_bound_to_the_nonce():
    expected = keccak256(keccak256(keccak256(keccak256(ROOT))) + b"nonce")
    assert challenge_seed(ROOT, 3, b"nonce") == expected


def test_the_same_root_k_and_nonce_give_the_same_indices():
    assert new_challenge(ROOT, 100, 10, b"n").indices == new_challenge(ROOT, 100, 10, b"n").indices


def test_a_fresh_nonce_gives_other_indices():
    first = new_challenge(ROOT, 10_000, 10)
    second = new_challenge(ROOT, 10_000, 10)
    assert first.nonce != second.nonce
    assert first.indices != second.indices


@settings(max_examples=100, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), block_count=st.integers(1, 500), k=st.integers(1, 60))
def test_indices_are_in_range_and_distinct_while_k_fits(seed, block_count, k):
    indices = challenge_indices(seed, k, block_count)
    assert len(indices) == k
    assert all(0 <= i < block_count for i in indices)
    if k <= block_count:
        assert len(set(indices)) == k


def test_indices_cover_small_files_uniformly():
    counts = collections.Counter()
    for n in range(3000):
        counts.update(challenge_indices(keccak256(n.to_bytes(4, "big")), 1, 3))
    assert all(900 < counts[i] < 1100 for i in range(3))


def test_an_empty_nonce_is_refused():
    with pytest.raises(InvalidInputError, match="predictable"):
        challenge_seed(ROOT, 1, b"")


@pytest.mark.parametrize(("k", "block_count"), [(0, 5), (1, 0)])
def test_impossible_sizes_are_refused(k, block_count):
    with pytest.raises(InvalidInputError):
        challenge_indices(ROOT, k, block_count)
