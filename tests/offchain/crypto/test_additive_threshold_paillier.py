"""(p, p)-threshold Paillier with additive shares of a multiple of λ and a random base g."""

from __future__ import annotations

import json
import random

import gmpy2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import offchain.crypto.additive_threshold_paillier as atp
import offchain.crypto.threshold_paillier as tp
from offchain.errors import InvalidInputError


@pytest.fixture(scope="module")
def keys():
    return atp.generate_additive_keypair(1024, 3, rng=random.Random(2024))


@pytest.fixture(scope="module")
def public_key(keys):
    return keys[0]


def signed(pk, residue):
    return residue - pk.n if residue > pk.n // 2 else residue


def decrypt(keys, ciphertext):
    pk, shares = keys
    partials = [tp.partial_decrypt(s, int(ciphertext)) for s in shares]
    return signed(pk, tp.threshold_decrypt(pk, int(ciphertext), partials))


@pytest.mark.parametrize("message", [0, 1, -1, 1 << 200, -(1 << 200), "half", "-half"])
def test_a_ciphertext_decrypts_to_its_signed_plaintext(keys, message):
    pk = keys[0]
    m = {"half": pk.n // 2 - 1, "-half": -(pk.n // 2 - 1)}.get(message, message)
    assert decrypt(keys, pk.encrypt(m)) == m


@settings(max_examples=10, deadline=None)
@given(st.integers(-(1 << 1000), 1 << 1000))
def test_any_message_survives_encryption_and_joint_decryption(keys, message):
    assert decrypt(keys, keys[0].encrypt(message)) == message


@pytest.mark.parametrize(("a", "b", "k"), [(5, 7, 3), (-5, 2, -4), (1 << 100, -(1 << 99), 1 << 20)])
def test_the_homomorphic_sum_and_scalar_product_decrypt_correctly(keys, a, b, k):
    pk = keys[0]
    ca, cb = pk.encrypt(a), pk.encrypt(b)
    assert decrypt(keys, ca * cb % pk.nsquare) == a + b
    assert decrypt(keys, gmpy2.powmod(ca, k, pk.nsquare)) == k * a


def test_a_batch_decrypts_with_one_proof_per_party(keys):
    pk, shares = keys
    messages = [-3, 0, 7, 1 << 300, -(1 << 300)]
    cts = [int(pk.encrypt(m)) for m in messages]
    verified = [tp.verify_batch_partial(pk, cts, tp.partial_decrypt_batch(s, cts)) for s in shares]
    assert [signed(pk, r) for r in tp.combine_batch(pk, verified)] == messages


def test_the_base_is_not_n_plus_one_and_the_key_is_no_phe_key(public_key):
    assert public_key.g != public_key.n + 1
    assert not hasattr(public_key, "paillier")
    assert public_key.plaintext_power(1) == public_key.g


def test_the_shares_lie_in_their_stated_ranges(keys):
    pk, shares = keys
    bits = pk.share_bits
    assert bits == pk.n.bit_length() // 2 + 2 + atp.STATISTICAL_BITS
    assert all(0 <= s.share < 1 << bits for s in shares[:-1])
    assert 0 <= shares[-1].share < pk.share_bound(pk.parties) <= ((pk.parties - 1) << bits) + pk.n
    total = sum(s.share for s in shares)
    assert total >= (pk.parties - 1) << bits
    # T = Σ d_i is a multiple of λ: g^T = (1 + n)^(aT), so L(g^T) = θ.
    assert (gmpy2.powmod(pk.g, total, pk.nsquare) - 1) // pk.n == pk.theta


def test_a_joint_decryption_exponentiates_about_a_third_of_the_shamir_bits(keys):
    """p − 1 partials of |n|/2 + 131 bits and one of about |n|, against p of about 2|n|."""
    pk, shares = keys
    shamir = tp.generate_threshold_keypair(1024, 3, 3, rng=random.Random(7))[1]
    additive_bits = [int(gmpy2.bit_length(2 * s.witness)) for s in shares]
    shamir_bits = [int(gmpy2.bit_length(2 * s.witness)) for s in shamir]
    assert max(additive_bits[:-1]) <= pk.n.bit_length() // 2 + atp.STATISTICAL_BITS + 3
    assert additive_bits[-1] <= pk.n.bit_length() + 1
    assert min(shamir_bits) > 1.8 * pk.n.bit_length() and sum(additive_bits) < 0.4 * sum(shamir_bits)


def test_every_share_matches_its_verification_key(keys):
    assert all(s.matches_verification_key() for s in keys[1])


def test_a_wrong_share_is_refused_and_its_party_named(keys):
    pk, shares = keys
    c = int(pk.encrypt(42))
    forged = tp.KeyShare(pk, 2, shares[1].share + 1)
    partials = [tp.partial_decrypt(shares[0], c), tp.partial_decrypt(forged, c), tp.partial_decrypt(shares[2], c)]
    with pytest.raises(tp.InvalidPartialError) as caught:
        tp.threshold_decrypt(pk, c, partials)
    assert caught.value.parties == (2,)


def test_a_tampered_batch_partial_is_refused_and_its_party_named(keys):
    pk, shares = keys
    cts = [int(pk.encrypt(m)) for m in (1, 2)]
    partial = tp.partial_decrypt_batch(shares[2], cts)
    tampered = tp.BatchPartialDecryption(
        partial.index,
        (partial.values[0] * pk.g % pk.nsquare, partial.values[1]),
        partial.commitment_c,
        partial.commitment_v,
        partial.response,
    )
    with pytest.raises(tp.InvalidPartialError) as caught:
        tp.verify_batch_partial(pk, cts, tampered)
    assert caught.value.parties == (3,)


@pytest.mark.parametrize("field", ["commitment_c", "commitment_v", "response"])
def test_a_tampered_proof_is_refused_and_its_party_named(keys, field):
    pk, shares = keys
    cts = [int(pk.encrypt(9))]
    partial = tp.partial_decrypt_batch(shares[0], cts)
    value = getattr(partial, field)
    changed = value + 1 if field == "response" else value * pk.g % pk.nsquare
    fields = {**partial.__dict__, field: changed}
    with pytest.raises(tp.InvalidPartialError) as caught:
        tp.verify_batch_partial(pk, cts, tp.BatchPartialDecryption(**fields))
    assert caught.value.parties == (1,)


def test_p_minus_one_partials_are_refused(keys):
    pk, shares = keys
    c = int(pk.encrypt(1234))
    verified = [tp.verify_partial(pk, c, tp.partial_decrypt(s, c)) for s in shares[:2]]
    with pytest.raises(tp.InsufficientSharesError):
        tp.combine(pk, verified)


@pytest.mark.parametrize("missing", [0, 1, 2])
def test_p_minus_one_partials_do_not_combine_to_the_plaintext(keys, missing):
    pk, shares = keys
    messages = [1234, -1, 0]
    for m in messages:
        c = int(pk.encrypt(m))
        partials = [tp.partial_decrypt(s, c) for i, s in enumerate(shares) if i != missing]
        assert signed(pk, tp.raw_combine(pk, partials)) not in messages


def test_the_public_key_survives_its_json(public_key):
    again = atp.AdditivePublicKey.from_json(public_key.to_json())
    assert again == public_key and tp.public_key_from_dict(json.loads(public_key.to_json())) == public_key


def test_a_share_survives_its_json(keys):
    share = keys[1][2]
    again = tp.KeyShare.from_json(share.to_json())
    assert again.share == share.share and again.index == 3 and again.public_key == keys[0]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.pop("theta"), "missing or malformed"),
        (lambda d: d.update(g="zz"), "missing or malformed"),
        (lambda d: d.update(g="1"), "g is not a unit"),
        (lambda d: d.update(theta="0"), "theta is not a unit"),
        (lambda d: d.update(share_bits=True), "share_bits must be an int"),
        (lambda d: d.update(share_bits=10), "share_bits must be in"),
        (lambda d: d.update(parties=1, verification_keys=d["verification_keys"][:1]), "at least 2 parties"),
        (lambda d: d.update(verification_keys="00"), "missing or malformed"),
        (lambda d: d.update(kind="threshold-paillier-publik"), "not a threshold Paillier public key"),
    ],
)
def test_a_malformed_key_file_is_a_typed_error(public_key, change, match):
    data = public_key.to_dict()
    change(data)
    with pytest.raises(InvalidInputError, match=match):
        tp.public_key_from_dict(data)


def test_a_key_file_that_is_not_json_is_a_typed_error():
    with pytest.raises(InvalidInputError, match="invalid JSON"):
        atp.AdditivePublicKey.from_json("{not json")


def test_a_share_file_whose_share_does_not_match_its_verification_key_is_refused(keys):
    data = json.loads(keys[1][0].to_json())
    data["share"] = format(keys[1][0].share + 1, "x")
    with pytest.raises(InvalidInputError, match="does not match"):
        tp.KeyShare.from_json(json.dumps(data))


def test_a_share_out_of_its_range_is_refused(keys):
    pk = keys[0]
    with pytest.raises(InvalidInputError, match="must be in"):
        tp.KeyShare(pk, 1, 1 << pk.share_bits)


def test_a_plaintext_of_half_n_or_more_is_refused(public_key):
    with pytest.raises(InvalidInputError, match="n/2"):
        public_key.encrypt(public_key.n // 2 + 1)


@pytest.mark.parametrize(("bits", "parties"), [(510, 3), (1024, 1), (1024, 65), (True, 3)])
def test_bad_key_sizes_and_counts_are_refused(bits, parties):
    with pytest.raises(InvalidInputError):
        atp.generate_additive_keypair(bits, parties)
