"""Safe primes and primes in an interval."""

from __future__ import annotations

import random

import gmpy2
import pytest
from gmpy2 import mpz

from offchain.crypto.primes import random_prime, random_prime_in_interval, safe_prime
from offchain.errors import InvalidInputError


@pytest.mark.parametrize("bits", [64, 256, 512])
def test_safe_prime_has_the_size_and_form_asked(bits: int) -> None:
    p = safe_prime(bits)
    assert p.bit_length() == bits
    assert gmpy2.is_prime(p, 50) and gmpy2.is_prime((p - 1) // 2, 50)
    assert p % 4 == 3


def test_seeded_safe_prime_is_reproducible() -> None:
    assert safe_prime(256, random.Random(7)) == safe_prime(256, random.Random(7))


def test_random_prime_has_the_size_asked() -> None:
    p = random_prime(300)
    assert p.bit_length() == 300 and gmpy2.is_prime(p, 50)


def test_prime_in_interval_lies_inside_it() -> None:
    center = mpz(1) << 700
    p = random_prime_in_interval(center, 600)
    assert abs(p - center) < (mpz(1) << 600) and gmpy2.is_prime(p, 50)


@pytest.mark.parametrize("bits", [0, 16, 63, True, 3.5])
def test_safe_prime_rejects_bad_sizes(bits: object) -> None:
    with pytest.raises(InvalidInputError, match="prime size"):
        safe_prime(bits)  # type: ignore[arg-type]


def test_prime_in_interval_rejects_an_interval_reaching_into_the_sieve() -> None:
    with pytest.raises(InvalidInputError, match="above the sieving bound"):
        random_prime_in_interval(1 << 17, 17)
