"""Fixed-base combs and products of powers agree with gmpy2's powmod."""

from __future__ import annotations

import gmpy2
import pytest
from gmpy2 import mpz
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto.modexp import Comb, FixedBase, multi_exp, powmod_jobs, product_of_powers
from offchain.errors import InvalidInputError

MODULUS = mpz((1 << 521) - 1) * mpz((1 << 607) - 1)  # two Mersenne primes: odd, known units
BASES = [mpz(3), mpz(5) ** 200 % MODULUS]


@settings(max_examples=60, deadline=None)
@given(exponent=st.integers(min_value=-(1 << 3000), max_value=1 << 3000), which=st.sampled_from([0, 1]))
def test_fixed_base_power_matches_powmod(exponent: int, which: int) -> None:
    base = BASES[which]
    assert FixedBase(base, MODULUS).pow(exponent) == gmpy2.powmod(base, exponent, MODULUS)


@settings(max_examples=40, deadline=None)
@given(exponents=st.lists(st.integers(min_value=-(1 << 2500), max_value=1 << 2500), min_size=3, max_size=3))
def test_multi_exp_matches_the_product_of_powmods(exponents: list[int]) -> None:
    fixed = [FixedBase(b, MODULUS) for b in BASES]
    terms = [(fixed[0], exponents[0]), (fixed[1], exponents[1]), (mpz(7), exponents[2])]
    expected = mpz(1)
    for base, e in zip([*BASES, mpz(7)], exponents, strict=True):
        expected = expected * gmpy2.powmod(base, e, MODULUS) % MODULUS
    assert multi_exp(MODULUS, terms) == expected


def test_multi_exp_of_nothing_is_one() -> None:
    assert multi_exp(MODULUS, []) == 1


def test_comb_digits_rebuild_the_exponent() -> None:
    comb = Comb(mpz(3), MODULUS, 64, rows=4)
    exponent = mpz(0xDEADBEEFCAFEBABE)
    digits = comb.digits(exponent)
    rebuilt = sum(((d >> r) & 1) << (r * comb.columns + i) for i, d in enumerate(digits) for r in range(comb.rows))
    assert rebuilt == exponent


def test_comb_rejects_an_empty_size() -> None:
    with pytest.raises(InvalidInputError, match="max_bits"):
        Comb(mpz(3), MODULUS, 0)


@pytest.mark.parametrize("rows", [1, 9, 12, 16])
def test_combs_of_any_row_count_match_powmod(rows):
    modulus = mpz(2**521 - 1)
    base = FixedBase(mpz(3) ** 100 % modulus, modulus, rows=rows)
    for exponent in (1, 2**300 + 12345, 2**1023 - 1):
        assert base.pow(exponent) == gmpy2.powmod(base.base, exponent, modulus)


@pytest.mark.parametrize("rows", [0, 17])
def test_comb_row_counts_out_of_range_are_refused(rows):
    with pytest.raises(InvalidInputError, match="rows"):
        Comb(mpz(3), mpz(2**127 - 1), 128, rows)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, int(MODULUS) - 1), st.integers(0, 1 << 300)), min_size=0, max_size=6))
def test_product_of_powers_matches_the_product_of_powmods(terms: list[tuple[int, int]]) -> None:
    expected = 1
    for base, exponent in terms:
        expected = expected * pow(base, exponent, int(MODULUS)) % MODULUS
    bases, exponents = [b for b, _ in terms], [e for _, e in terms]
    assert product_of_powers(MODULUS, bases, exponents) == expected


def test_product_of_powers_refuses_negative_exponents() -> None:
    with pytest.raises(InvalidInputError, match="non-negative"):
        product_of_powers(MODULUS, [3], [-1])


def test_product_of_powers_needs_one_exponent_per_base() -> None:
    with pytest.raises(InvalidInputError, match="2 bases but 1 exponents"):
        product_of_powers(MODULUS, [3, 5], [1])


def test_powmod_jobs_match_powmod_in_job_and_base_order() -> None:
    jobs = [([MODULUS - 2 - j, 3 + j], (1 << 300) + 7 * j) for j in range(9)] + [([5], -3)]
    out = powmod_jobs(MODULUS, jobs)
    assert out == [[gmpy2.powmod(b, e, MODULUS) for b in bases] for bases, e in jobs]


def test_powmod_jobs_of_nothing_is_nothing() -> None:
    assert powmod_jobs(MODULUS, []) == []


def test_a_powmod_job_must_be_a_pair() -> None:
    with pytest.raises(InvalidInputError):
        powmod_jobs(MODULUS, [([3], 5, 7)])  # type: ignore[list-item]
