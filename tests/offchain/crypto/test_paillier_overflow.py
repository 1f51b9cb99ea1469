"""Overflow of the Paillier layer is an error, never a silent wrap (issue 12).

Decoding alone catches only residues in the gap (max_int, n − max_int); a sum of three values
near max_int or a product by a scalar ≥ 3 wraps past the gap onto a wrong number. These tests
pin that every homomorphic operation tracks a bound on |value| and raises before a result could
leave the encoding's range (Zheng et al. 2018 §2.2: Paillier's additive homomorphism is modulo n).
"""

from __future__ import annotations

import phe
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from offchain.crypto import paillier as pl
from offchain.crypto.paillier import EncodingOverflowError

BITS = 512


@pytest.fixture(scope="module")
def keys() -> tuple[phe.PaillierPublicKey, phe.PaillierPrivateKey]:
    return pl.generate_keypair(BITS)


@pytest.fixture(scope="module")
def integers(keys) -> pl.FixedPoint:
    """Integers (no fraction bits) with phe's default range max_int = ⌊n/3⌋."""
    return pl.FixedPoint(keys[0].n, 0)


def near_max(codec: pl.FixedPoint) -> int:
    """0.9 · max_int: three of them sum to 0.9·n, which lies past the gap (n/3, 2n/3)."""
    return codec.max_int * 9 // 10


# ---- the attacks (each decrypted to a wrong number without an error before the fix) ------------


def test_three_large_values_summed_past_the_gap_raise(keys, integers):
    public_key, private_key = keys
    big = near_max(integers)
    a, b, c = (pl.EncryptedVector.encrypt(public_key, [big], encoding=integers) for _ in range(3))
    with pytest.raises(EncodingOverflowError):
        (a + b + c).decrypt(private_key)


def test_a_product_by_three_past_the_gap_raises(keys, integers):
    public_key, private_key = keys
    vector = pl.EncryptedVector.encrypt(public_key, [near_max(integers)], encoding=integers)
    with pytest.raises(EncodingOverflowError):
        vector.scale_by(3).decrypt(private_key)


def test_a_sum_of_three_elements_past_the_gap_raises(keys, integers):
    public_key, private_key = keys
    vector = pl.EncryptedVector.encrypt(public_key, [near_max(integers)] * 3, encoding=integers)
    with pytest.raises(EncodingOverflowError):
        vector.sum().decrypt(private_key)


def test_a_dot_product_past_the_gap_raises(keys, integers):
    public_key, private_key = keys
    vector = pl.EncryptedVector.encrypt(public_key, [near_max(integers), 1], encoding=integers)
    with pytest.raises(EncodingOverflowError):
        vector.dot([3, 0]).decrypt(private_key)


def test_a_plaintext_added_past_the_gap_raises(keys, integers):
    public_key, private_key = keys
    big = near_max(integers)
    vector = pl.EncryptedVector.encrypt(public_key, [big], encoding=integers)
    plaintext = [big]
    with pytest.raises(EncodingOverflowError):
        twice = vector + plaintext
        (twice + plaintext).decrypt(private_key)


def test_deserialised_ciphertexts_are_bounded_by_max_int_and_cannot_be_summed_past_it(keys, integers):
    public_key = keys[0]
    data = pl.EncryptedVector.encrypt(public_key, [1], encoding=integers).to_bytes()
    received = pl.EncryptedVector.from_bytes(data, public_key)
    assert received.bounds == (integers.max_int,)
    with pytest.raises(EncodingOverflowError, match="this addition"):
        received + received


# ---- the bound is computed before the result ------------------------------------------------


def test_a_fresh_encryption_is_bounded_by_its_own_magnitude(keys, integers):
    public_key = keys[0]
    assert pl.EncryptedVector.encrypt(public_key, [-5, 0, 7], encoding=integers).bounds == (5, 0, 7)


def test_the_bound_of_a_dot_product_is_the_weighted_sum_of_bounds(keys, integers):
    public_key = keys[0]
    vector = pl.EncryptedVector.encrypt(public_key, [-5, 2], encoding=integers)
    assert vector.dot([3, -4]).bounds == (23,)


def test_a_caller_vouched_bound_replaces_max_int(keys, integers):
    public_key, private_key = keys
    data = pl.EncryptedVector.encrypt(public_key, [1000], encoding=integers).to_bytes()
    received = pl.EncryptedVector.from_bytes(data, public_key, bound=1000)
    assert (received + received).decrypt(private_key) == [2000]


def test_a_vouched_bound_above_max_int_is_refused(keys, integers):
    public_key = keys[0]
    data = pl.EncryptedVector.encrypt(public_key, [1], encoding=integers).to_bytes()
    with pytest.raises(EncodingOverflowError):
        pl.EncryptedVector.from_bytes(data, public_key, bound=integers.max_int + 1)


def test_a_residue_in_the_gap_from_outside_still_raises_on_decryption(keys, integers):
    public_key, private_key = keys
    gap_residue = integers.max_int + 1
    received = pl.EncryptedVector.from_ciphertexts(
        public_key, [pl.encrypt_raw(public_key, gap_residue)], encoding=integers
    )
    with pytest.raises(EncodingOverflowError, match="gap"):
        received.decrypt(private_key)


def test_phe_numbers_that_need_a_shift_need_a_vouched_bound(keys):
    public_key, private_key = keys
    numbers = [public_key.encrypt(-12)]  # exponent 0: mantissa · 2^32, phe bounds it only by n/3
    with pytest.raises(EncodingOverflowError, match="max_abs_value"):
        pl.EncryptedVector.from_phe(numbers)
    assert pl.EncryptedVector.from_phe(numbers, max_abs_value=12).decrypt(private_key) == [-12]


# ---- random sequences of operations near the bound ------------------------------------------

LENGTH = 3
_divisors = st.sampled_from([1, 2, 3, 4, 7])


@st.composite
def near_bound_values(draw, max_int: int) -> list[int]:
    """Values of magnitude max_int / d ± a little, or small ones."""
    out = []
    for _ in range(LENGTH):
        if draw(st.booleans()):
            magnitude = max_int // draw(_divisors) - draw(st.integers(0, 3))
        else:
            magnitude = draw(st.integers(0, 1000))
        out.append(magnitude if draw(st.booleans()) else -magnitude)
    return out


operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 2**32)),  # add a fresh encryption (seed for its values)
        st.tuples(st.just("add_plain"), st.integers(0, 2**32)),
        st.tuples(st.just("scale"), st.integers(-4, 4)),
        st.tuples(st.just("scale_each"), st.lists(st.integers(-3, 3), min_size=LENGTH, max_size=LENGTH)),
        st.tuples(st.just("received"), st.just(0)),  # a round trip through bytes: bound becomes max_int
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), ops=operations, finish=st.sampled_from(["none", "sum", "dot"]))
def test_a_result_is_the_exact_plaintext_arithmetic_or_an_overflow_error_was_raised_before(
    keys, integers, data, ops, finish
):
    public_key, private_key = keys
    values = data.draw(near_bound_values(integers.max_int))
    vector = pl.EncryptedVector.encrypt(public_key, values, encoding=integers)
    expected = list(values)
    try:
        for op, arg in ops:
            if op in ("add", "add_plain"):
                other = data.draw(near_bound_values(integers.max_int))
                if op == "add":
                    vector = vector + pl.EncryptedVector.encrypt(public_key, other, encoding=integers)
                else:
                    vector = vector + other
                expected = [a + b for a, b in zip(expected, other, strict=True)]
            elif op == "scale":
                vector = vector.scale_by(arg)
                expected = [a * arg for a in expected]
            elif op == "scale_each":
                vector = vector.scale_by(arg)
                expected = [a * k for a, k in zip(expected, arg, strict=True)]
            else:
                vector = pl.EncryptedVector.from_bytes(vector.to_bytes(), public_key)
            assert all(abs(m) <= b for m, b in zip(expected, vector.bounds, strict=True))  # the invariant
        if finish == "sum":
            vector, expected = vector.sum(), [sum(expected)]
        elif finish == "dot":
            weights = data.draw(st.lists(st.integers(-3, 3), min_size=LENGTH, max_size=LENGTH))
            vector = vector.dot(weights)
            expected = [sum(a * k for a, k in zip(expected, weights, strict=True))]
    except EncodingOverflowError:
        event("an overflow error was raised before decryption")
        return  # raised before any result left the range: the accepted outcome
    decrypted = [integers.decode_int(r) for r in vector.decrypt_residues(private_key)]
    event("decrypted")
    assert decrypted == expected
