"""Range proofs for Paillier plaintexts (Damgård–Fujisaki commitments, Lipmaa's four squares)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import secrets
from dataclasses import fields, replace

import gmpy2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto import range_proof as rp
from offchain.crypto import threshold_paillier as tp
from offchain.errors import InvalidInputError

BITS = 1024
CONTEXT = b"test context"


@pytest.fixture(scope="module")
def n() -> int:
    """A product of two safe primes, as the ledger's threshold key has."""
    return tp.generate_threshold_keypair(BITS, 3, 2, rng=random.Random(2003))[0].n


@pytest.fixture(scope="module")
def other_n() -> int:
    return tp.generate_threshold_keypair(BITS, 3, 2, rng=random.Random(2002))[0].n


def encrypt(n: int, m: int) -> tuple[int, int]:
    """(ciphertext, randomness) of residue m."""
    r = secrets.randbelow(n - 2) + 1
    return (1 + (m % n) * n) * pow(r, n, n * n) % (n * n), r


@pytest.fixture(scope="module")
def statement(n) -> tuple[int, int, int]:
    """(ciphertext, plaintext, randomness) of a typical amount."""
    m = 123_456_789 * 10**18
    c, r = encrypt(n, m)
    return c, m, r


@pytest.fixture(scope="module")
def proof(n, statement) -> rp.RangeProof:
    c, m, r = statement
    return rp.prove_range(n, c, m, r, CONTEXT)


# --- four squares ---------------------------------------------------------------------------


@pytest.mark.parametrize("x", [0, 1, 2, 3, 4, 7, 15, 28, 1023, 1024, 4**10 * 7, 2**64, 2**128 - 1, 2**128])
def test_four_squares_sum_to_the_number(x):
    assert sum(v * v for v in rp.four_squares(x)) == x


@given(st.integers(min_value=0, max_value=2**130))
@settings(max_examples=200, deadline=None)
def test_four_squares_of_any_non_negative_integer_sum_to_it(x):
    squares = rp.four_squares(x)
    assert len(squares) == 4 and sum(v * v for v in squares) == x


@pytest.mark.parametrize("bad", [-1, 1.5, True, "4", None])
def test_four_squares_refuses_what_is_not_a_non_negative_int(bad):
    with pytest.raises(InvalidInputError):
        rp.four_squares(bad)


# --- the commitment bases -------------------------------------------------------------------


def test_the_bases_are_derived_from_the_modulus_alone(n):
    width = (n.bit_length() + 7) // 8
    digest = hashlib.shake_256(b"datashare/integer-commitment-bases/v1" + n.to_bytes(width, "big") + b"G")
    expected = (int.from_bytes(digest.digest(width + 16), "big") % n) ** 2 % n
    assert rp.CommitmentBases.for_modulus(n).g.base == expected


def test_the_bases_differ_between_moduli(n, other_n):
    assert rp.CommitmentBases.for_modulus(n).h.base != rp.CommitmentBases.for_modulus(other_n).h.base


def test_the_two_bases_differ(n):
    bases = rp.CommitmentBases.for_modulus(n)
    assert bases.g.base != bases.h.base


def test_the_bases_of_a_known_modulus_are_a_regression_vector():
    bases = rp.CommitmentBases.for_modulus(1000003 * 1000033)
    assert (int(bases.g.base), int(bases.h.base)) == (239496258726, 491387677643)


@pytest.mark.parametrize("bad", [0, 3, 4, 10**6, -7, True, 2.5])
def test_bases_refuse_an_invalid_modulus(bad):
    with pytest.raises(InvalidInputError):
        rp.CommitmentBases.for_modulus(bad)


def test_a_commitment_opens_to_its_value(n):
    bases = rp.CommitmentBases.for_modulus(n)
    assert bases.commit(5, 7) == pow(int(bases.g.base), 5, n) * pow(int(bases.h.base), 7, n) % n


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("m", [0, 1, 2, 2**64, 2**127, 2**128 - 1])
def test_a_proof_of_an_amount_in_range_verifies(n, m):
    c, r = encrypt(n, m)
    assert rp.verify_range(n, c, rp.prove_range(n, c, m, r, CONTEXT), CONTEXT)


@given(st.integers(min_value=0, max_value=2**128 - 1))
@settings(max_examples=10, deadline=None)
def test_proofs_of_random_amounts_verify(n, m):
    c, r = encrypt(n, m)
    assert rp.verify_range(n, c, rp.prove_range(n, c, m, r, CONTEXT), CONTEXT)


@pytest.mark.parametrize("bits", [2, 32, 64])
def test_smaller_ranges_prove_their_largest_value(n, bits):
    m = 2**bits - 1
    c, r = encrypt(n, m)
    assert rp.verify_range(n, c, rp.prove_range(n, c, m, r, CONTEXT, bits=bits), CONTEXT, bits=bits)


def test_a_2048_bit_key_round_trips():
    big = tp.generate_threshold_keypair(2048, 2, 2, rng=random.Random(2048))[0].n
    c, r = encrypt(big, 10**18)
    assert rp.verify_range(big, c, rp.prove_range(big, c, 10**18, r, CONTEXT), CONTEXT)


def test_a_proof_round_trips_through_json(proof):
    assert rp.RangeProof.from_dict(json.loads(json.dumps(proof.to_dict()))) == proof


# --- the prover refuses what it cannot prove -----------------------------------------------


@pytest.mark.parametrize("m", [2**128, 2**200, -1])
def test_the_prover_refuses_an_amount_out_of_range(n, m):
    c, r = encrypt(n, m)
    with pytest.raises(InvalidInputError, match="plaintext"):
        rp.prove_range(n, c, m, r, CONTEXT)


def test_the_prover_refuses_a_negative_amount_given_as_its_residue(n):
    c, r = encrypt(n, n - 5)
    with pytest.raises(InvalidInputError):
        rp.prove_range(n, c, n - 5, r, CONTEXT)


def test_the_prover_refuses_a_wrong_opening(n, statement):
    c, m, r = statement
    with pytest.raises(InvalidInputError, match="not the encryption"):
        rp.prove_range(n, c, m + 1, r, CONTEXT)


def test_the_prover_refuses_randomness_that_is_not_a_unit(n, statement):
    c, m, _ = statement
    with pytest.raises(InvalidInputError, match="unit"):
        rp.prove_range(n, c, m, 0, CONTEXT)


@pytest.mark.parametrize("bits", [0, 3, 1025, True])
def test_the_prover_refuses_an_invalid_range_size(n, statement, bits):
    c, m, r = statement
    with pytest.raises(InvalidInputError, match="range size"):
        rp.prove_range(n, c, m, r, CONTEXT, bits=bits)


# --- the verifier refuses what was not proved ---------------------------------------------


def test_a_proof_does_not_verify_under_another_context(n, statement, proof):
    assert not rp.verify_range(n, statement[0], proof, CONTEXT + b"!")


def test_a_proof_does_not_verify_for_another_ciphertext_of_the_same_amount(n, statement, proof):
    c, _ = encrypt(n, statement[1])
    assert not rp.verify_range(n, c, proof, CONTEXT)


def test_a_proof_does_not_verify_for_the_negated_ciphertext(n, statement, proof):
    c, _, _ = statement
    assert not rp.verify_range(n, int(gmpy2.invert(c, n * n)), proof, CONTEXT)


def test_a_proof_does_not_verify_under_another_key(n, other_n, statement, proof):
    assert not rp.verify_range(other_n, statement[0] % (other_n * other_n), proof, CONTEXT)


def test_a_proof_does_not_verify_for_another_range(n, statement, proof):
    assert not rp.verify_range(n, statement[0], proof, CONTEXT, bits=rp.RANGE_BITS + 2)


def test_a_proof_for_a_larger_range_does_not_pass_as_a_smaller_one(n):
    m = 2**80
    c, r = encrypt(n, m)
    assert not rp.verify_range(n, c, rp.prove_range(n, c, m, r, CONTEXT, bits=128), CONTEXT, bits=64)


SCALARS = ["commitment", "challenge", "z_m", "z_s", "y", "v_low", "v_high"]
QUADRUPLES = ["low_squares", "high_squares", "z_low", "w_low", "z_high", "w_high"]


@pytest.mark.parametrize("name", SCALARS)
def test_a_proof_with_a_changed_scalar_does_not_verify(n, statement, proof, name):
    tampered = replace(proof, **{name: getattr(proof, name) + 1})
    assert not rp.verify_range(n, statement[0], tampered, CONTEXT)


@pytest.mark.parametrize("name", QUADRUPLES)
@pytest.mark.parametrize("index", [0, 3])
def test_a_proof_with_a_changed_component_does_not_verify(n, statement, proof, name, index):
    values = list(getattr(proof, name))
    values[index] += 1
    assert not rp.verify_range(n, statement[0], replace(proof, **{name: tuple(values)}), CONTEXT)


def test_a_proof_with_swapped_square_commitments_does_not_verify(n, statement, proof):
    swapped = replace(proof, low_squares=proof.high_squares, high_squares=proof.low_squares)
    assert not rp.verify_range(n, statement[0], swapped, CONTEXT)


@pytest.mark.parametrize("name", ["z_m", "v_low", "w_high"])
def test_an_oversized_response_is_refused(n, statement, proof, name):
    value = getattr(proof, name)
    big = value[0] if isinstance(value, tuple) else value
    big += 1 << 4096
    patched = (big, *value[1:]) if isinstance(value, tuple) else big
    assert not rp.verify_range(n, statement[0], replace(proof, **{name: patched}), CONTEXT)


@pytest.mark.parametrize("value", ["zero", "n", "n_plus"])
def test_a_commitment_that_is_not_a_unit_is_refused(n, statement, proof, value):
    commitment = {"zero": 0, "n": n, "n_plus": n + 1}[value]
    assert not rp.verify_range(n, statement[0], replace(proof, commitment=commitment), CONTEXT)


def test_a_ciphertext_that_is_not_a_unit_is_refused(n, proof):
    assert not rp.verify_range(n, n, proof, CONTEXT)


def test_the_verifier_refuses_what_is_not_a_proof(n, statement):
    with pytest.raises(InvalidInputError, match="RangeProof"):
        rp.verify_range(n, statement[0], {"commitment": 1}, CONTEXT)  # type: ignore[arg-type]


# --- what the proof shows of the amount ----------------------------------------------------


def test_the_proofs_of_zero_and_of_the_largest_amount_have_the_same_shape(n):
    sizes = []
    for m in (0, 2**128 - 1):
        c, r = encrypt(n, m)
        proof = rp.prove_range(n, c, m, r, CONTEXT)
        sizes.append({f.name: _bits(getattr(proof, f.name)) for f in fields(proof) if f.name != "y"})
    for name, bits in sizes[0].items():
        assert abs(bits - sizes[1][name]) <= 16, name  # sizes come from the masks, not the amount


def _bits(value: int | tuple[int, ...]) -> int:
    return max(abs(v).bit_length() for v in value) if isinstance(value, tuple) else abs(value).bit_length()


# --- decoding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "patch",
    [
        {"z_m": 5},
        {"z_m": "12"},
        {"z_m": "0xzz"},
        {"low_squares": ["0x1", "0x2"]},
        {"z_low": "0x1"},
        {"z_s": "0x" + "f" * 3000},
    ],
)
def test_a_malformed_proof_dict_is_refused(proof, patch):
    with pytest.raises(InvalidInputError):
        rp.RangeProof.from_dict({**proof.to_dict(), **patch})


def test_a_proof_dict_missing_a_field_is_refused(proof):
    data = proof.to_dict()
    del data["challenge"]
    with pytest.raises(InvalidInputError, match="challenge"):
        rp.RangeProof.from_dict(data)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=10), c),
        max_leaves=20,
    )
)
@settings(max_examples=200, deadline=None)
def test_decoding_anything_raises_only_project_errors(data):
    with contextlib.suppress(InvalidInputError):
        rp.RangeProof.from_dict(data)
