"""The Paillier layer over phe (Zheng et al. 2018 §2.2, §4.5): encodings, vectors, noise pool, bytes."""

from __future__ import annotations

import math

import phe
import pytest
from gmpy2 import mpz
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto import paillier as pl
from offchain.errors import InvalidInputError

BITS = 1024
F = pl.DEFAULT_FRACTION_BITS


@pytest.fixture(scope="module")
def keypair() -> tuple[phe.PaillierPublicKey, phe.PaillierPrivateKey]:
    return pl.generate_keypair(BITS)


@pytest.fixture(scope="module")
def public_key(keypair):
    return keypair[0]


@pytest.fixture(scope="module")
def private_key(keypair):
    return keypair[1]


@pytest.fixture(scope="module")
def other_keypair():
    return pl.generate_keypair(512)


@pytest.fixture(scope="module")
def codec(public_key) -> pl.FixedPoint:
    return pl.FixedPoint.for_key(public_key)


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
integers = st.integers(min_value=-(2**200), max_value=2**200)


# --- known answers --------------------------------------------------------------------------


# n = 11·13 = 143 (a toy modulus): E(m, r) = (1 + m·n) · r^n mod n².
@pytest.mark.parametrize(
    ("m", "r", "expected"),
    [(0, 2, pow(2, 143, 143**2)), (7, 2, (1 + 7 * 143) * pow(2, 143, 143**2) % 143**2), (142, 5, None)],
)
def test_raw_encryption_matches_the_textbook_formula(m, r, expected):
    key = phe.PaillierPublicKey(143)
    noise = pow(r, 143, 143**2)
    want = expected if expected is not None else (1 + m * 143) * noise % 143**2
    assert pl.encrypt_raw(key, m, noise) == want


def test_raw_encryption_decrypts_with_phe(public_key, private_key):
    assert private_key.raw_decrypt(int(pl.encrypt_raw(public_key, 123456789))) == 123456789


def test_phe_ciphertexts_decrypt_with_decrypt_raw(public_key, private_key):
    assert pl.decrypt_raw(private_key, public_key.raw_encrypt(42)) == 42


def test_raw_encryption_rejects_a_residue_of_n_or_more(public_key):
    with pytest.raises(InvalidInputError, match=r"\[0, n\)"):
        pl.encrypt_raw(public_key, public_key.n)


def test_decrypt_raw_rejects_a_ciphertext_out_of_range(public_key, private_key):
    with pytest.raises(InvalidInputError, match="n²"):
        pl.decrypt_raw(private_key, public_key.nsquare)


@pytest.mark.parametrize("bits", [511, 100, 9000, True])
def test_keypair_sizes_are_checked(bits):
    with pytest.raises(InvalidInputError, match="key size"):
        pl.generate_keypair(bits)


# --- fixed-point encoding -------------------------------------------------------------------


@given(value=finite)
def test_floats_round_trip_within_half_a_unit_in_the_last_place(codec, value):
    decoded = codec.decode(codec.encode(value))
    assert abs(decoded - value) <= 2.0 ** -(F + 1) + abs(value) * 2.0**-52


@given(value=integers)
def test_integers_round_trip_exactly(public_key, value):
    codec = pl.FixedPoint(public_key.n, 0)
    assert codec.decode_int(codec.encode(value)) == value


def test_float_encoding_is_exact_for_dyadic_values(codec):
    assert codec.encode(-0.75) == public_n(codec) - 3 * 2 ** (F - 2)


def public_n(codec: pl.FixedPoint) -> int:
    return codec.n


@given(value=st.integers(min_value=1, max_value=2**64))
def test_an_integer_just_past_max_int_raises_overflow(public_key, value):
    codec = pl.FixedPoint(public_key.n, 0)
    with pytest.raises(pl.EncodingOverflowError):
        codec.encode(codec.max_int + value)
    with pytest.raises(pl.EncodingOverflowError):
        codec.encode(-codec.max_int - value)


def test_a_float_past_the_range_raises_overflow(public_key):
    codec = pl.FixedPoint(public_key.n, 32, max_int=2**63)
    with pytest.raises(pl.EncodingOverflowError, match="overflows"):
        codec.encode(2.0**31 + 1)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused(codec, value):
    with pytest.raises(InvalidInputError, match="finite"):
        codec.encode(value)


def test_a_non_number_is_refused(codec):
    with pytest.raises(InvalidInputError, match="cannot encode"):
        codec.encode("12")  # type: ignore[arg-type]


def test_a_residue_in_the_overflow_gap_raises(codec):
    with pytest.raises(pl.EncodingOverflowError, match="wrapped"):
        codec.decode(codec.max_int + 1)


def test_numpy_scalars_are_encoded(codec):
    np = pytest.importorskip("numpy")
    assert codec.decode(codec.encode(np.float64(1.5))) == 1.5


@pytest.mark.parametrize("kwargs", [{"fraction_bits": -1}, {"fraction_bits": 513}, {"max_int": 10**400}])
def test_bad_encodings_are_refused(public_key, kwargs):
    with pytest.raises(InvalidInputError):
        pl.FixedPoint(public_key.n, **kwargs)


# --- vectors and homomorphism ----------------------------------------------------------------

vectors = st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=4)


def close(a: list[float], b: list[float], tol: float = 1e-6) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


@settings(max_examples=15, deadline=None)
@given(a=vectors, data=st.data())
def test_addition_of_ciphertexts_adds_plaintexts(public_key, private_key, a, data):
    b = data.draw(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=len(a), max_size=len(a)))
    total = pl.EncryptedVector.encrypt(public_key, a) + pl.EncryptedVector.encrypt(public_key, b)
    assert close(total.decrypt(private_key), [x + y for x, y in zip(a, b, strict=True)])


@settings(max_examples=15, deadline=None)
@given(a=vectors, data=st.data())
def test_adding_plaintexts_adds_them(public_key, private_key, a, data):
    b = data.draw(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=len(a), max_size=len(a)))
    total = pl.EncryptedVector.encrypt(public_key, a) + b
    assert close(total.decrypt(private_key), [x + y for x, y in zip(a, b, strict=True)])


@settings(max_examples=15, deadline=None)
@given(a=vectors, k=st.integers(min_value=-(10**6), max_value=10**6))
def test_integer_scaling_keeps_the_scale(public_key, private_key, a, k):
    scaled = pl.EncryptedVector.encrypt(public_key, a).scale_by(k)
    assert scaled.scale_power == 1
    assert close(scaled.decrypt(private_key), [x * k for x in a], tol=1e-6 * max(1, abs(k)))


@settings(max_examples=15, deadline=None)
@given(a=vectors, data=st.data())
def test_dot_product_with_floats_matches_numpy(public_key, private_key, a, data):
    w = data.draw(st.lists(st.floats(min_value=-100, max_value=100, allow_nan=False), min_size=len(a), max_size=len(a)))
    result = pl.EncryptedVector.encrypt(public_key, a).dot(w)
    assert result.scale_power == 2
    # Each factor is rounded to 2^-33: the error is at most Σ (|a_i| + |w_i|) · 2^-33 (+ float rounding).
    bound = sum((abs(x) + abs(y)) * 2.0**-33 + abs(x * y) * 2.0**-50 for x, y in zip(a, w, strict=True)) + 1e-12
    assert close(result.decrypt(private_key), [sum(x * y for x, y in zip(a, w, strict=True))], tol=bound)


def test_sum_adds_every_element(public_key, private_key):
    assert pl.EncryptedVector.encrypt(public_key, [1.5, -2.25, 10]).sum().decrypt(private_key) == [9.25]


def test_products_past_the_range_raise_before_they_are_computed(public_key):
    codec = pl.FixedPoint(public_key.n, 0, max_int=2**40)
    vector = pl.EncryptedVector.encrypt(public_key, [2**39], encoding=codec)
    with pytest.raises(pl.EncodingOverflowError, match="this multiplication"):
        vector.scale_by(4)


def test_vectors_under_different_keys_cannot_be_added(public_key, other_keypair):
    with pytest.raises(pl.KeyMismatchError):
        pl.EncryptedVector.encrypt(public_key, [1]) + pl.EncryptedVector.encrypt(other_keypair[0], [1])


def test_vectors_of_different_scales_cannot_be_added(public_key):
    a = pl.EncryptedVector.encrypt(public_key, [1.0])
    with pytest.raises(pl.KeyMismatchError, match="scales"):
        a + a.scale_by(0.5)


def test_vectors_of_different_lengths_cannot_be_added(public_key):
    with pytest.raises(InvalidInputError, match="lengths"):
        pl.EncryptedVector.encrypt(public_key, [1, 2]) + pl.EncryptedVector.encrypt(public_key, [1])


def test_decryption_with_another_key_is_refused(public_key, other_keypair):
    with pytest.raises(pl.KeyMismatchError):
        pl.EncryptedVector.encrypt(public_key, [1]).decrypt(other_keypair[1])


# --- re-randomisation and the noise pool -----------------------------------------------------


def test_rerandomisation_changes_the_ciphertext_but_not_the_plaintext(public_key, private_key):
    vector = pl.EncryptedVector.encrypt(public_key, [3.5, -1])
    fresh = vector.rerandomize()
    assert all(a != b for a, b in zip(vector.ciphertexts, fresh.ciphertexts, strict=True))
    assert fresh.decrypt(private_key) == [3.5, -1]


def test_the_pool_hands_each_noise_value_out_once(public_key):
    pool = pl.NoisePool(public_key)
    pool.fill(5)
    taken = [pool.take() for _ in range(5)]
    assert len(set(taken)) == 5
    assert len(pool) == 0


def test_an_empty_pool_still_gives_fresh_noise(public_key, private_key):
    pool = pl.NoisePool(public_key)
    a, b = pool.take(), pool.take()
    assert a != b
    assert private_key.raw_decrypt(int(a)) == 0


def test_crt_noise_is_an_encryption_of_zero(public_key, private_key):
    pool = pl.NoisePool(public_key, private_key)
    pool.fill(3)
    assert [private_key.raw_decrypt(int(pool.take())) for _ in range(3)] == [0, 0, 0]


def test_crt_noise_is_an_nth_power(public_key, private_key):
    # r^n has order dividing φ(n): raising it to φ(n) gives 1 mod n², unlike a random unit.
    pool = pl.NoisePool(public_key, private_key)
    phi = (private_key.p - 1) * (private_key.q - 1)
    assert pow(int(pool.take()), phi, public_key.nsquare) == 1


def test_the_pool_fills_in_worker_processes(public_key, private_key):
    pool = pl.NoisePool(public_key, workers=2)
    pool.fill(4)
    assert len(pool) == 4
    assert private_key.raw_decrypt(int(pool.take())) == 0


def test_encryption_from_the_pool_decrypts(public_key, private_key):
    pool = pl.NoisePool(public_key, private_key)
    pool.fill(3)
    vector = pl.EncryptedVector.encrypt(public_key, [1.25, -7, 0], pool=pool)
    assert vector.decrypt(private_key) == [1.25, -7, 0]
    assert len(pool) == 0


def test_a_pool_for_another_key_is_refused(public_key, other_keypair):
    with pytest.raises(pl.KeyMismatchError):
        pl.EncryptedVector.encrypt(public_key, [1], pool=pl.NoisePool(other_keypair[0]))


def test_a_pool_with_a_foreign_private_key_is_refused(public_key, other_keypair):
    with pytest.raises(pl.KeyMismatchError):
        pl.NoisePool(public_key, other_keypair[1])


@pytest.mark.parametrize("count", [-1, 1.5, True])
def test_pool_fill_counts_are_checked(public_key, count):
    with pytest.raises(InvalidInputError):
        pl.NoisePool(public_key).fill(count)  # type: ignore[arg-type]


# --- serialisation and phe interop ----------------------------------------------------------


def test_vectors_round_trip_through_bytes(public_key, private_key):
    vector = pl.EncryptedVector.encrypt(public_key, [0.5, -3, 1e6]).scale_by(0.25)
    data = vector.to_bytes()
    assert len(data) == 19 + 3 * pl.ciphertext_bytes(public_key)
    back = pl.EncryptedVector.from_bytes(data, public_key)
    assert back.ciphertexts == vector.ciphertexts
    assert back.scale_power == 2
    assert back.decrypt(private_key) == pytest.approx([0.125, -0.75, 250000.0])


def test_bytes_under_another_key_are_refused(public_key, other_keypair):
    data = pl.EncryptedVector.encrypt(public_key, [1]).to_bytes()
    with pytest.raises(pl.KeyMismatchError):
        pl.EncryptedVector.from_bytes(data, other_keypair[0])


def test_truncated_bytes_are_refused(public_key):
    data = pl.EncryptedVector.encrypt(public_key, [1, 2]).to_bytes()
    with pytest.raises(InvalidInputError, match="needs"):
        pl.EncryptedVector.from_bytes(data[:-1], public_key)


def test_bytes_with_a_bad_magic_are_refused(public_key):
    data = pl.EncryptedVector.encrypt(public_key, [1]).to_bytes()
    with pytest.raises(InvalidInputError, match="magic"):
        pl.EncryptedVector.from_bytes(b"XX" + data[2:], public_key)


def test_a_ciphertext_out_of_range_is_refused_on_load(public_key):
    data = bytearray(pl.EncryptedVector.encrypt(public_key, [1]).to_bytes())
    data[19:] = b"\xff" * pl.ciphertext_bytes(public_key)
    with pytest.raises(InvalidInputError, match="n²"):
        pl.EncryptedVector.from_bytes(bytes(data), public_key)


def test_vectors_convert_to_phe_numbers(public_key, private_key):
    numbers = pl.EncryptedVector.encrypt(public_key, [2.5, -1]).to_phe()
    assert [private_key.decrypt(x) for x in numbers] == [2.5, -1]


def test_phe_numbers_convert_to_a_vector(public_key, private_key):
    numbers = [public_key.encrypt(3.75, precision=2.0**-32), public_key.encrypt(-12)]
    assert pl.EncryptedVector.from_phe(numbers, max_abs_value=12).decrypt(private_key) == [3.75, -12]


def test_keys_round_trip_through_json(keypair):
    public_key, private_key = keypair
    assert pl.public_key_from_json(pl.public_key_to_json(public_key)) == public_key
    assert pl.private_key_from_json(pl.private_key_to_json(private_key)) == private_key


def test_a_private_key_whose_factors_do_not_multiply_to_n_is_refused(keypair):
    text = pl.private_key_to_json(keypair[1]).replace('"p": "', '"p": "1', 1)
    with pytest.raises(InvalidInputError, match="p·q"):
        pl.private_key_from_json(text)


def test_a_public_key_of_the_wrong_kind_is_refused(keypair):
    with pytest.raises(InvalidInputError, match="expected a paillier-public"):
        pl.public_key_from_json(pl.private_key_to_json(keypair[1]))


def test_from_ciphertexts_checks_the_range(public_key):
    with pytest.raises(InvalidInputError):
        pl.EncryptedVector.from_ciphertexts(public_key, [mpz(0)])


def test_phe_numbers_finer_than_the_encoding_are_refused(public_key):
    with pytest.raises(InvalidInputError, match="fraction bits"):
        pl.EncryptedVector.from_phe([public_key.encrypt(0.1)])
