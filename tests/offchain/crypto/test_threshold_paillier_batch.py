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


def _prove(share, ciphertexts, values):
    """The batch proof an honest-witness prover makes for whatever partials it posts."""
    pk = share.public_key
    cs, cis = [gmpy2.mpz(c) for c in ciphertexts], [gmpy2.mpz(v) for v in values]
    seed, weights = tp._batch_weights(pk, share.index, cs, cis)
    c4, ci2 = tp._batch_bases(pk, cs, cis, weights)
    r = gmpy2.mpz(random.getrandbits(pk.mask_bits))
    a, b = gmpy2.powmod(c4, r, pk.nsquare), gmpy2.powmod(pk.v, r, pk.nsquare)
    e = tp._batch_challenge(pk, share.index, seed, c4, ci2, a, b)
    return tp.BatchPartialDecryption(
        share.index, tuple(int(v) for v in cis), int(a), int(b), int(r + e * share.witness)
    )


def _cancelling_under(weights, pk, values):
    """Partials wrong by g^(w_1) and g^(−w_0): their errors cancel in Π ε_j^(w_j) for these weights."""
    g = gmpy2.mpz(pk.n + 1)  # a square of order n
    forged = list(values)
    forged[0] = forged[0] * gmpy2.powmod(g, weights[1], pk.nsquare) % pk.nsquare
    forged[1] = forged[1] * gmpy2.powmod(g, -weights[0], pk.nsquare) % pk.nsquare
    return [int(v) for v in forged]


def test_weights_known_before_the_partials_would_let_cancelling_errors_through(keys, batch, partials):
    """Why the weights hash the partials too: weights drawn from the ciphertexts alone (the same
    for every prover) are known before the partials are chosen, and two wrong partials then pass."""
    pk, shares = keys
    cs = [gmpy2.mpz(c) for c in batch[1]]
    weights = [gmpy2.mpz(random.Random(j).getrandbits(128) | 1) for j in range(len(cs))]
    forged = _cancelling_under(weights, pk, partials[0].values)
    c4, ci2 = tp._batch_bases(pk, cs, [gmpy2.mpz(v) for v in forged], weights)
    assert forged != list(partials[0].values)
    assert ci2 == gmpy2.powmod(c4, shares[0].witness, pk.nsquare)  # the proof's statement holds


def test_cancelling_errors_with_a_fresh_proof_are_caught_and_named(keys, batch, partials):
    pk, shares = keys
    weights = [gmpy2.mpz(random.Random(j).getrandbits(128) | 1) for j in range(len(batch[1]))]
    forged = _prove(shares[1], batch[1], _cancelling_under(weights, pk, partials[1].values))
    with pytest.raises(tp.InvalidPartialError) as info:
        tp.verify_batch_partial(pk, batch[1], forged)
    assert info.value.parties == (2,)


def test_an_honest_proof_made_by_the_test_prover_verifies(keys, batch, partials):
    """The control of the test above: the same prover with the right partials is accepted."""
    pk, shares = keys
    assert len(tp.verify_batch_partial(pk, batch[1], _prove(shares[1], batch[1], partials[1].values))) == len(batch[1])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"index": "1"}, "field index must be an int"),
        ({"response": 1.5}, "field response must be an int"),
        ({"values": [2, 3]}, "non-empty tuple"),
        ({"values": ()}, "non-empty tuple"),
        ({"values": (2,) * (tp.MAX_BATCH + 1)}, f"at most {tp.MAX_BATCH}"),
        ({"values": (2, "3")}, "values must be ints"),
    ],
    ids=["index text", "response float", "values list", "values empty", "values too many", "value text"],
)
def test_a_batch_partial_of_wrong_types_or_size_is_refused_when_made(partials, fields, message):
    made = {
        "index": 1,
        "values": partials[0].values,
        "commitment_c": partials[0].commitment_c,
        "commitment_v": partials[0].commitment_v,
        "response": partials[0].response,
        **fields,
    }
    with pytest.raises(InvalidInputError, match=message):
        tp.BatchPartialDecryption(**made)


@pytest.mark.parametrize("ciphertexts", ["ciphertexts", b"\x01\x02", 7], ids=["text", "bytes", "int"])
def test_verifying_a_batch_partial_refuses_ciphertexts_that_are_not_a_sequence(keys, partials, ciphertexts):
    with pytest.raises(InvalidInputError, match="sequence of ints"):
        tp.verify_batch_partial(keys[0], ciphertexts, partials[0])


def test_verifying_refuses_what_is_not_a_batch_partial(keys, batch, partials):
    single = tp.partial_decrypt(keys[1][0], batch[1][0])
    with pytest.raises(InvalidInputError, match="expected a BatchPartialDecryption"):
        tp.verify_batch_partial(keys[0], batch[1][:1], single)


@pytest.mark.parametrize("verified", [[], "abc", None], ids=["empty", "text", "none"])
def test_combining_refuses_no_per_party_lists(keys, verified):
    with pytest.raises(InvalidInputError, match="non-empty sequence"):
        tp.combine_batch(keys[0], verified)


def test_combining_refuses_per_party_lists_of_different_lengths(keys, batch, partials):
    pk, _ = keys
    verified = [tp.verify_batch_partial(pk, batch[1], p) for p in partials]
    with pytest.raises(InvalidInputError, match="different lengths"):
        tp.combine_batch(pk, [verified[0], verified[1][:-1], verified[2]])
