"""Batched partial decryptions (one proof per party for many ciphertexts): round trips and forgeries."""

from __future__ import annotations

import random

import gmpy2
import pytest
from hypothesis import given
from hypothesis import strategies as st

import offchain.crypto.threshold_paillier as tp
from offchain.crypto.paillier import encrypt_raw
from offchain.errors import InvalidInputError, OffchainError
from tests.offchain.fuzzing import CHEAP

BITS = 1024


@pytest.fixture(scope="module")
def keys():
    return tp.generate_threshold_keypair(BITS, 3, 3, rng=random.Random(1405))


@pytest.fixture(scope="module")
def batch(keys):
    pk, _ = keys
    plaintexts = [0, 1, 2, 12345, pk.n - 1]
    return plaintexts, [int(encrypt_raw(pk.paillier, m)) for m in plaintexts]


@pytest.fixture(scope="module")
def partials(keys, batch):
    _, shares = keys
    return [tp.partial_decrypt_batch(share, batch[1]) for share in shares]


def test_three_verified_batch_partials_decrypt_every_ciphertext(keys, batch, partials):
    pk, _ = keys
    verified = [tp.verify_batch_partial(pk, batch[1], p) for p in partials]
    assert tp.combine_batch(pk, verified) == batch[0]


def test_batch_partials_equal_the_single_partials(keys, batch, partials):
    _, shares = keys
    assert list(partials[0].values) == [tp.partial_decrypt(shares[0], c).value for c in batch[1]]


def test_a_wrong_partial_in_the_batch_names_its_party(keys, batch, partials):
    pk, _ = keys
    forged = tp.BatchPartialDecryption(
        2, (partials[1].values[0] * 4 % pk.nsquare, *partials[1].values[1:]), *_proof(partials[1])
    )
    with pytest.raises(tp.InvalidPartialError) as info:
        tp.verify_batch_partial(pk, batch[1], forged)
    assert info.value.parties == (2,)


def test_errors_that_cancel_within_a_batch_are_caught(keys, batch, partials):
    pk, _ = keys
    g = pk.n + 1  # c_i0 · g and c_i1 · g^−1: the plain product of the partials is unchanged
    values = list(partials[0].values)
    values[0] = values[0] * g % pk.nsquare
    values[1] = values[1] * gmpy2.invert(g, pk.nsquare) % pk.nsquare
    forged = tp.BatchPartialDecryption(1, tuple(int(v) for v in values), *_proof(partials[0]))
    with pytest.raises(tp.InvalidPartialError):
        tp.verify_batch_partial(pk, batch[1], forged)


def test_a_proof_for_another_batch_is_refused(keys, batch, partials):
    pk, _ = keys
    reordered = [batch[1][1], batch[1][0], *batch[1][2:]]
    with pytest.raises(tp.InvalidPartialError):
        tp.verify_batch_partial(pk, reordered, partials[0])


def test_a_proof_claimed_by_another_party_is_refused(keys, batch, partials):
    pk, _ = keys
    stolen = tp.BatchPartialDecryption(2, partials[0].values, *_proof(partials[0]))
    with pytest.raises(tp.InvalidPartialError) as info:
        tp.verify_batch_partial(pk, batch[1], stolen)
    assert info.value.parties == (2,)


def test_a_batch_partial_with_a_missing_value_is_refused(keys, batch, partials):
    pk, _ = keys
    short = tp.BatchPartialDecryption(1, partials[0].values[:-1], *_proof(partials[0]))
    with pytest.raises(tp.InvalidPartialError, match="4 partials for 5 ciphertexts"):
        tp.verify_batch_partial(pk, batch[1], short)


def test_a_response_out_of_range_is_refused(keys, batch, partials):
    pk, _ = keys
    forged = tp.BatchPartialDecryption(1, partials[0].values, partials[0].commitment_c, partials[0].commitment_v, -1)
    with pytest.raises(tp.InvalidPartialError, match="out of range"):
        tp.verify_batch_partial(pk, batch[1], forged)


def test_t_minus_one_verified_batch_partials_do_not_decrypt(keys, batch, partials):
    pk, _ = keys
    verified = [tp.verify_batch_partial(pk, batch[1], p) for p in partials[:2]]
    with pytest.raises(tp.InsufficientSharesError):
        tp.combine_batch(pk, verified)


def test_t_minus_one_partials_combined_anyway_give_no_plaintext(keys, batch, partials):
    pk, _ = keys
    singles = [tp.PartialDecryption(p.index, p.values[3], 2, 2, 0) for p in partials[:2]]
    assert tp.raw_combine(pk, singles) != batch[0][3]


def test_an_empty_batch_is_refused(keys):
    with pytest.raises(InvalidInputError, match="1 to"):
        tp.partial_decrypt_batch(keys[1][0], [])


def test_a_batch_partial_survives_its_dict_form(partials):
    assert tp.BatchPartialDecryption.from_dict(partials[0].to_dict()) == partials[0]


@CHEAP
@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.integers()), st.dictionaries(st.text(), st.text())))
def test_a_malformed_batch_partial_dict_raises_only_project_errors(data):
    with pytest.raises(OffchainError):
        tp.BatchPartialDecryption.from_dict(data)


@CHEAP
@given(st.lists(st.one_of(st.none(), st.integers(), st.text(alphabet="xyz-", min_size=1, max_size=8)), max_size=4))
def test_malformed_batch_values_raise_only_project_errors(values):
    with pytest.raises(OffchainError):
        tp.BatchPartialDecryption.from_dict(
            {"index": 1, "values": values, "commitment_c": "2", "commitment_v": "2", "response": "0"}
        )


def _proof(partial):
    return partial.commitment_c, partial.commitment_v, partial.response
