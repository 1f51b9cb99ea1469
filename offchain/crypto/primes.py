"""Random primes and safe primes for RSA-type moduli (group signatures, threshold Paillier).

A *safe prime* is p = 2p' + 1 with p' prime. Moduli n = pq of two safe primes give QR(n) a
cyclic group of order p'q' with no small subgroups, which the ACJT group signature
(Ateniese et al. 2000, §4) and the threshold Paillier of Shoup / Fouque–Poupard–Stern need.

Written by hand because no maintained Python library generates safe primes fast: the search
sieves candidates p' ≡ 5 (mod 6) for divisibility of both p' and 2p' + 1 by every prime below
:data:`SIEVE_BOUND` at once (numpy), tests survivors with one base-2 Fermat test on p (cheap
rejection), then with gmpy2's Miller–Rabin (``is_prime``, 32 rounds) on p', and finally proves
p prime from p' by Pocklington's criterion (2^(p-1) ≡ 1 and gcd(2^2 - 1, p) = 1 with p' > √p).

Randomness comes from :mod:`secrets` unless a ``random.Random`` is passed (tests only: a seeded
generator gives reproducible keys and must never be used for real keys).
"""

from __future__ import annotations

import random
import secrets
from functools import cache

import gmpy2
import numpy as np
from gmpy2 import mpz

from offchain.errors import InvalidInputError
from offchain.validation import is_int

__all__ = ["SIEVE_BOUND", "random_bits", "random_prime", "random_prime_in_interval", "random_unit", "safe_prime"]

#: Candidates are sieved by every odd prime below this bound before any modular exponentiation.
SIEVE_BOUND = 1 << 16
#: Large certificate primes (thousands of bits) are also sieved by the primes up to this bound:
#: each of those strikes at most one candidate of a window, so numpy does it in one pass.
DEEP_SIEVE_BOUND = 1 << 22
_WINDOW = 1 << 16  # candidates sieved per pass
# gmpy2.is_prime(n, reps) runs a Baillie–PSW test (no known counterexample) and then reps − 24
# Miller–Rabin rounds (GMP's mpz_probab_prime_p): 32 gives BPSW plus 8 rounds.
_MR_ROUNDS = 32
# Certificate primes of thousands of bits: BPSW plus one Miller–Rabin round. Random candidates
# (not adversarial ones) fail these far more surely than the 2^-100 error wanted, and each extra
# round would cost a full ~5,400-bit exponentiation.
_LARGE_REPS = 25


def _primes_below(bound: int) -> np.ndarray:
    sieve = np.ones(bound, dtype=bool)
    sieve[:2] = False
    for i in range(2, int(bound**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = False
    return np.nonzero(sieve)[0]


@cache
def _deep_primes() -> np.ndarray:
    primes = _primes_below(DEEP_SIEVE_BOUND)
    return primes[primes >= SIEVE_BOUND].astype(np.int64)


@cache
def _small_primes() -> tuple[np.ndarray, np.ndarray]:
    primes = _primes_below(SIEVE_BOUND)
    primes = primes[primes > 3].astype(np.int64)  # 2 and 3 are excluded by the 6k + 5 stepping
    inverse_six = np.array([pow(6, -1, int(s)) for s in primes], dtype=np.int64)
    return primes, inverse_six


def random_bits(bits: int, rng: random.Random | None = None) -> mpz:
    """A uniform random integer of at most ``bits`` bits (from ``secrets`` unless ``rng``)."""
    if bits <= 0:
        raise InvalidInputError(f"bits must be positive, got {bits}")
    return mpz(rng.getrandbits(bits) if rng is not None else secrets.randbits(bits))


def random_unit(modulus: int | mpz) -> mpz:
    """A uniform unit of Z*_modulus, from ``secrets`` (the noise of encryptions and proof masks)."""
    n = mpz(modulus)
    while True:
        value = mpz(secrets.randbelow(int(n) - 1) + 1)
        if gmpy2.gcd(value, n) == 1:
            return value


def _check_bits(bits: int, minimum: int) -> None:
    if not is_int(bits) or bits < minimum:
        raise InvalidInputError(f"prime size must be an int of at least {minimum} bits, got {bits!r}")


def random_prime(bits: int, rng: random.Random | None = None) -> mpz:
    """A random prime of exactly ``bits`` bits (Miller–Rabin, 32 rounds)."""
    _check_bits(bits, 8)
    while True:
        candidate = random_bits(bits, rng) | (mpz(1) << (bits - 1)) | 1
        if gmpy2.is_prime(candidate, _MR_ROUNDS):
            return candidate


def safe_prime(bits: int, rng: random.Random | None = None) -> mpz:
    """A random safe prime p = 2p' + 1 of exactly ``bits`` bits (p' prime, p ≡ 11 mod 12).

    Args:
        bits: Bit length of p; at least 64 (so that p' exceeds every sieving prime).
        rng: A seeded generator for reproducible test keys only; ``secrets`` by default.
    """
    _check_bits(bits, 64)
    primes, inverse_six = _small_primes()
    half_bits = bits - 1
    while True:
        start = random_bits(half_bits, rng) | (mpz(1) << (half_bits - 1)) | (mpz(1) << (half_bits - 2))
        start += (5 - start % 6) % 6  # p' ≡ 5 (mod 6): p' odd, 3 ∤ p', and 3 ∤ 2p' + 1
        residues = np.fromiter((start % s for s in primes.tolist()), dtype=np.int64, count=len(primes))
        # Candidate j is p' = start + 6j; it is struck out when s | p' or s | 2p' + 1, that is
        # when 6j ≡ -r or 6j ≡ (s - 1)/2 - r (mod s), r = start mod s.
        first = (-residues * inverse_six) % primes
        second = (((primes - 1) // 2 - residues) * inverse_six) % primes
        alive = np.ones(_WINDOW, dtype=bool)
        for s, j0, j1 in zip(primes.tolist(), first.tolist(), second.tolist(), strict=True):
            alive[j0::s] = False
            alive[j1::s] = False
        for j in np.nonzero(alive)[0]:
            q = start + 6 * int(j)
            if q.bit_length() != half_bits:
                break
            p = 2 * q + 1
            if gmpy2.powmod(2, p - 1, p) != 1:  # Fermat base 2 on p: rejects almost all at once
                continue
            if gmpy2.is_prime(q, _MR_ROUNDS):
                return p  # Pocklington: q prime, q > sqrt(p), 2^(p-1) ≡ 1, gcd(2^2 - 1, p) = 1


def random_prime_in_interval(center: int | mpz, radius_bits: int, rng: random.Random | None = None) -> mpz:
    """A random prime in the open interval ]center − 2^radius_bits, center + 2^radius_bits[.

    Used for the ACJT certificate exponents e ∈ Γ. The search starts at a uniform point of the
    interval and takes the first prime after it: candidates are sieved by every prime below
    :data:`DEEP_SIEVE_BOUND`, then get a base-2 Fermat test, and the first to pass gets
    Baillie–PSW and one Miller–Rabin round. With ~5,500-bit numbers that is ~150 full-size
    Fermat tests on average (the count is geometric, so some searches take several times
    longer): pool primes ahead of time where it matters.
    """
    _check_bits(radius_bits, 8)
    center = mpz(center)
    low = center - (mpz(1) << radius_bits) + 1
    high = center + (mpz(1) << radius_bits) - 1
    if low <= SIEVE_BOUND:
        raise InvalidInputError(f"the interval must lie above the sieving bound {SIEVE_BOUND}")
    primes, _ = _small_primes()
    primes_list = primes.tolist()
    deep = _deep_primes()
    deep_list = deep.tolist()
    while True:
        start = low + random_bits(radius_bits + 1, rng) % (high - low + 1)
        start |= 1
        residues = [int(start % s) for s in primes_list]
        alive = np.ones(_WINDOW, dtype=bool)  # candidate j is start + 2j
        for s, r in zip(primes_list, residues, strict=True):
            j0 = (-r * ((s + 1) // 2)) % s  # 2j ≡ -r (mod s)
            alive[j0::s] = False
        if start > DEEP_SIEVE_BOUND:
            deep_residues = np.fromiter((start % s for s in deep_list), dtype=np.int64, count=len(deep_list))
            strike = (-deep_residues * ((deep + 1) // 2)) % deep  # one index per prime: s > window
            alive[strike[strike < _WINDOW]] = False
        for j in np.nonzero(alive)[0]:
            candidate = start + 2 * int(j)
            if candidate > high:
                break
            if gmpy2.powmod(2, candidate - 1, candidate) == 1 and gmpy2.is_prime(candidate, _LARGE_REPS):
                return candidate
