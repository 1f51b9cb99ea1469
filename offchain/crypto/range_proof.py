"""Zero-knowledge proof that a Paillier ciphertext encrypts an integer in [0, 2^k).

Used by the confidential ledger (:mod:`offchain.crypto.transfer_proof`) so that a transfer can
credit an account only a non-negative amount, without saying how much. Written by hand: no
maintained Python library offers range proofs for Paillier ciphertexts.

Construction (square decomposition over integer commitments):

* **Integer commitments** (Damgård and Fujisaki, "A statistically-hiding integer commitment
  scheme based on groups with hidden order", ASIACRYPT 2002): Com(x; s) = G^x · H^s mod n, for
  any integer x, with s uniform in [0, 2^(|n|+λs)). The group is Z*_n for the ledger's own
  Paillier modulus n: its order is hidden from every prover (only the trusted dealer of the
  threshold key knew the factors). G and H are derived from n by hashing (:class:`CommitmentBases`,
  "nothing up my sleeve"), so nobody knows log_H G; they are squares, so they lie in QR_n, which
  is cyclic of order p'q' for n = (2p'+1)(2q'+1), and H generates it except with negligible
  probability: the commitment hides x statistically and binds under the strong RSA assumption.
* **Non-negativity** (Lagrange's four-square theorem; Lipmaa, "On Diophantine complexity and
  statistical zero-knowledge arguments", ASIACRYPT 2003): x ≥ 0 iff x = a1² + a2² + a3² + a4².
  The prover commits to each a_i (C_i = Com(a_i; s_i)) and proves in one Σ-protocol knowledge
  of a_i, s_i and t = s − Σ a_i·s_i with C_i = G^(a_i) H^(s_i) and C = Π C_i^(a_i) · H^t.
* **Range**: m ∈ [0, 2^k) iff m ≥ 0 and 2^k − 1 − m ≥ 0. C' = G^(2^k − 1) / C commits to
  2^k − 1 − m with randomness −s, so one commitment C and two four-square proofs suffice.
* **Link to the ciphertext** (the standard Σ-protocol for equality of a committed integer and a
  Paillier plaintext, e.g. Damgård and Jurik, PKC 2001, §4): knowledge of m, s, r with
  C = G^m H^s mod n and c = (1+n)^m r^n mod n².

All sub-proofs share one Fiat–Shamir challenge e of :data:`CHALLENGE_BITS` bits (SHA-256 over a
domain tag, the caller's context, n, the ciphertext, every commitment and every first message);
responses are integers (no reduction), masked with :data:`STATISTICAL_BITS` bits of slack, and
the verifier checks their sizes. The proof is sent as (commitments, e, responses); the verifier
recomputes the first messages and the challenge.

Who learns what: the proof is statistically zero-knowledge (slack 2^-128): a verifier learns that
the plaintext lies in [0, 2^k) and nothing else; in particular a proof for 0 and one for any other
amount look alike. Soundness rests on the strong RSA assumption for n, on the hash being a random
oracle, and on the dealer of the threshold key having been honest (whoever knows the factors of n
can forge commitments, and could decrypt everything anyway).

Caveats: the commitments live in Z*_n rather than QR_n, so an extracted relation may carry a
factor of ±1; it does not change the committed integer (the exponent of G), which is what the
range statement is about.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import gmpy2
from gmpy2 import mpz

from offchain.crypto.modexp import FixedBase, multi_exp
from offchain.crypto.primes import random_unit
from offchain.errors import InvalidInputError
from offchain.validation import is_int, is_integer

__all__ = [
    "CHALLENGE_BITS",
    "RANGE_BITS",
    "STATISTICAL_BITS",
    "CommitmentBases",
    "RangeProof",
    "fiat_shamir_challenge",
    "four_squares",
    "prove_range",
    "verify_range",
]

#: k of the default range [0, 2^k): the confidential ledger's largest amount is 2^128 − 1 wei.
RANGE_BITS = 128
#: Size of the Fiat–Shamir challenge (soundness error 2^-128 per proof).
CHALLENGE_BITS = 128
#: Statistical slack of every mask over the value it hides (zero-knowledge distance 2^-128).
STATISTICAL_BITS = 128
_DOMAIN = b"datashare/range-proof/v1"
_BASES_DOMAIN = b"datashare/integer-commitment-bases/v1"
_SMALL = 1 << 10  # below this, four squares are found by search


# --- four squares ------------------------------------------------------------------------------


def _two_squares_of_prime(p: int) -> tuple[int, int]:
    """c, d with c² + d² = p for a prime p ≡ 1 (mod 4) (Cornacchia's algorithm)."""
    gp = mpz(p)
    z = mpz(2)
    while gmpy2.powmod(z, (gp - 1) // 2, gp) != gp - 1:  # a quadratic non-residue
        z += 1
    root = int(gmpy2.powmod(z, (gp - 1) // 4, gp))  # root² ≡ −1 (mod p)
    a, b = p, root
    limit = math.isqrt(p)
    while b > limit:
        a, b = b, a % b
    c = b
    d = math.isqrt(p - c * c)
    if c * c + d * d != p:  # unreachable for a prime p ≡ 1 (mod 4)
        raise ArithmeticError(f"Cornacchia failed for {p}")
    return c, d


def _four_squares_small(x: int) -> tuple[int, int, int, int]:
    for a in range(math.isqrt(x), -1, -1):
        ra = x - a * a
        for b in range(math.isqrt(ra), -1, -1):
            rb = ra - b * b
            for c in range(math.isqrt(rb), -1, -1):
                rc = rb - c * c
                d = math.isqrt(rc)
                if d * d == rc:
                    return a, b, c, d
    raise ArithmeticError(f"no four squares found for {x}")  # unreachable (Lagrange)


def four_squares(x: int) -> tuple[int, int, int, int]:
    """Four integers whose squares sum to ``x`` (Lagrange's theorem; Rabin and Shallit's method).

    Factors of 4 are taken out first (x = 4^v·y: the squares of y doubled v times); small y is
    searched; otherwise a, b are drawn at random until y − a² − b² is a prime p ≡ 1 (mod 4) (or
    0, 1, 2), which Cornacchia's algorithm writes as c² + d². Expected O(log² y) draws.

    Raises:
        InvalidInputError: ``x`` is not a non-negative int.
    """
    if not is_int(x) or x < 0:
        raise InvalidInputError(f"four_squares needs a non-negative int, got {x!r}")
    if x == 0:
        return 0, 0, 0, 0
    shift = 0
    while x % 4 == 0:
        x //= 4
        shift += 1
    if x < _SMALL:
        squares = _four_squares_small(x)
    else:
        while True:
            a = secrets.randbelow(math.isqrt(x) + 1)
            rest = x - a * a
            b = secrets.randbelow(math.isqrt(rest) + 1)
            p = rest - b * b
            if p in (0, 1, 2):
                c, d = {0: (0, 0), 1: (1, 0), 2: (1, 1)}[p]
                break
            if p % 4 == 1 and gmpy2.is_prime(p, 40):
                c, d = _two_squares_of_prime(p)
                break
        squares = (a, b, c, d)
    return tuple(v << shift for v in squares)  # type: ignore[return-value]


# --- the commitment bases -----------------------------------------------------------------------


def _hash_to_square(n: mpz, label: bytes) -> mpz:
    """SHAKE-256(domain ‖ n ‖ label), |n| + 128 bits, reduced mod n and squared: a square of Z*_n."""
    width = (int(gmpy2.bit_length(n)) + 7) // 8
    digest = hashlib.shake_256(_BASES_DOMAIN + int(n).to_bytes(width, "big") + label).digest(width + 16)
    value = mpz(int.from_bytes(digest, "big")) % n
    return value * value % n


@dataclass(frozen=True, eq=False)
class CommitmentBases:
    """G and H of the integer commitments under modulus n, derived from n alone.

    G = (SHAKE-256(domain ‖ n ‖ "G") mod n)², likewise H: anyone can recompute them, and nobody
    chose them, so nobody knows a relation between them (:meth:`for_modulus` is the only
    constructor the proofs use).

    Attributes:
        n: The modulus (the ledger's Paillier modulus).
        g: G, as a fixed base with comb tables.
        h: H, likewise.
    """

    n: mpz
    g: FixedBase
    h: FixedBase

    @staticmethod
    @lru_cache(maxsize=8)
    def for_modulus(n: int) -> CommitmentBases:
        """The bases for modulus ``n`` (cached: their comb tables are reused).

        Raises:
            InvalidInputError: ``n`` is not an odd int > 3, or a derived base is not a unit.
        """
        if not is_int(n) or n <= 3 or n % 2 == 0:
            raise InvalidInputError("the commitment modulus must be an odd int > 3")
        modulus = mpz(n)
        g = _hash_to_square(modulus, b"G")
        h = _hash_to_square(modulus, b"H")
        for name, value in (("G", g), ("H", h)):
            if value <= 1 or gmpy2.gcd(value, modulus) != 1:
                raise InvalidInputError(f"the derived base {name} is not a unit of Z*_n other than 1")
        return CommitmentBases(modulus, FixedBase(g, modulus), FixedBase(h, modulus))

    def commit(self, value: int | mpz, randomness: int | mpz) -> mpz:
        """Com(value; randomness) = G^value · H^randomness mod n (either exponent may be negative)."""
        return multi_exp(self.n, [(self.g, value), (self.h, randomness)])


# --- the proof ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RangeProof:
    """A proof that a Paillier ciphertext encrypts an integer in [0, 2^k).

    Attributes:
        commitment: C = Com(m; s).
        low_squares: Commitments to a1..a4 with m = Σ a_i².
        high_squares: Commitments to b1..b4 with 2^k − 1 − m = Σ b_i².
        challenge: e.
        z_m: Response for m.
        z_s: Response for s.
        y: Response for the ciphertext's randomness r (a unit mod n).
        z_low: Responses for a1..a4.
        w_low: Responses for the a_i's commitment randomness.
        v_low: Response for t = s − Σ a_i s_i.
        z_high: Responses for b1..b4.
        w_high: Responses for the b_i's commitment randomness.
        v_high: Response for −s − Σ b_i s'_i.
    """

    commitment: int
    low_squares: tuple[int, int, int, int]
    high_squares: tuple[int, int, int, int]
    challenge: int
    z_m: int
    z_s: int
    y: int
    z_low: tuple[int, int, int, int]
    w_low: tuple[int, int, int, int]
    v_low: int
    z_high: tuple[int, int, int, int]
    w_high: tuple[int, int, int, int]
    v_high: int

    _SCALARS = ("commitment", "challenge", "z_m", "z_s", "y", "v_low", "v_high")
    _QUADRUPLES = ("low_squares", "high_squares", "z_low", "w_low", "z_high", "w_high")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: every integer as a signed hex string."""
        out: dict[str, Any] = {name: _hex(getattr(self, name)) for name in self._SCALARS}
        for name in self._QUADRUPLES:
            out[name] = [_hex(v) for v in getattr(self, name)]
        return out

    @classmethod
    def from_dict(cls, data: Any) -> RangeProof:
        """Parse :meth:`to_dict`'s output.

        Raises:
            InvalidInputError: A field is missing, not a hex string, or a list of the wrong length.
        """
        if not isinstance(data, dict):
            raise InvalidInputError(f"a range proof is a JSON object, got {type(data).__name__}")
        fields: dict[str, Any] = {}
        for name in cls._SCALARS:
            fields[name] = _parse_hex(data.get(name), name)
        for name in cls._QUADRUPLES:
            values = data.get(name)
            if not isinstance(values, list) or len(values) != 4:
                raise InvalidInputError(f"range proof field {name!r} must be a list of 4 hex strings")
            fields[name] = tuple(_parse_hex(v, name) for v in values)
        return cls(**fields)


def _hex(value: int) -> str:
    return ("-" if value < 0 else "") + hex(abs(int(value)))


def _parse_hex(value: Any, name: str) -> int:
    if not isinstance(value, str):
        raise InvalidInputError(f"range proof field {name!r} must be a hex string, got {type(value).__name__}")
    body = value[1:] if value.startswith("-") else value
    if not body.startswith("0x") or len(body) > 2 + 2048:
        raise InvalidInputError(f"range proof field {name!r} is not a 0x-prefixed hex string of at most 1 KiB")
    try:
        number = int(body, 16)
    except ValueError as exc:
        raise InvalidInputError(f"range proof field {name!r} is not hex: {value[:40]!r}") from exc
    return -number if value.startswith("-") else number


def fiat_shamir_challenge(domain: bytes, context: bytes, *values: int | mpz) -> int:
    """A :data:`CHALLENGE_BITS`-bit challenge: SHA-256 over the domain, the context and every
    value, each length-prefixed (integers in two's complement, so any sign encodes unambiguously)."""
    digest = hashlib.sha256()
    digest.update(domain)
    digest.update(len(context).to_bytes(4, "big") + context)
    for value in values:
        raw = int(value).to_bytes((int(gmpy2.bit_length(value)) + 8) // 8 or 1, "big", signed=True)
        digest.update(len(raw).to_bytes(4, "big") + raw)
    return int.from_bytes(digest.digest(), "big") >> (256 - CHALLENGE_BITS)


def _challenge(context: bytes, n: mpz, ciphertext: mpz, bits: int, *values: int | mpz) -> int:
    """The range proof's challenge over n, k, the ciphertext and every commitment and first message."""
    return fiat_shamir_challenge(_DOMAIN, context, n, bits, ciphertext, *values)


@dataclass(frozen=True)
class _Sizes:
    """Bit sizes of the masks (and bounds of the responses) for a modulus of ``n_bits`` and range k."""

    n_bits: int
    k: int

    @property
    def s(self) -> int:  # commitment randomness
        return self.n_bits + STATISTICAL_BITS

    @property
    def square(self) -> int:  # a_i < 2^(k/2 + 1)
        return self.k // 2 + 1

    @property
    def t(self) -> int:  # |s − Σ a_i s_i| < 2^(s + square + 3)
        return self.s + self.square + 3

    def mask(self, bits: int) -> int:
        return bits + CHALLENGE_BITS + STATISTICAL_BITS


def _squares_first_messages(
    bases: CommitmentBases, squares_commitments: list[mpz], masks_a: list[mpz], masks_s: list[mpz], mask_t: mpz
) -> list[mpz]:
    """A_i = G^(ρa_i) H^(ρs_i) for each square, then A = Π C_i^(ρa_i) · H^(ρt)."""
    n = bases.n
    first = [multi_exp(n, [(bases.g, ra), (bases.h, rs)]) for ra, rs in zip(masks_a, masks_s, strict=True)]
    product = multi_exp(n, [(bases.h, mask_t), *zip(squares_commitments, masks_a, strict=True)])
    return [*first, product]


def prove_range(
    n: int,
    ciphertext: int,
    plaintext: int,
    randomness: int,
    context: bytes,
    *,
    bits: int = RANGE_BITS,
) -> RangeProof:
    """Prove that ``ciphertext`` = (1+n)^m · r^n mod n² with m = ``plaintext`` ∈ [0, 2^bits).

    Args:
        n: The Paillier modulus.
        ciphertext: c.
        plaintext: m, 0 ≤ m < 2^bits.
        randomness: r, a unit mod n.
        context: What the proof is bound to (the ledger's transfer context, the account's index):
            a proof verifies only under the same context.
        bits: k.

    Raises:
        InvalidInputError: m is out of range, or (c, m, r) is not an encryption under n.
    """
    bases = CommitmentBases.for_modulus(int(n))
    gn, nsquare = mpz(n), mpz(n) * n
    k = _check_bits(bits, gn)
    if not is_int(plaintext) or not 0 <= plaintext < (1 << k):
        raise InvalidInputError(f"the plaintext must be an int in [0, 2^{k})")
    c, r = mpz(ciphertext), mpz(randomness)
    if not 0 < r < gn or gmpy2.gcd(r, gn) != 1:
        raise InvalidInputError("the randomness must be a unit mod n")
    if (1 + mpz(plaintext) * gn) * gmpy2.powmod(r, gn, nsquare) % nsquare != c:
        raise InvalidInputError("the ciphertext is not the encryption of the plaintext with this randomness")
    sizes = _Sizes(int(gmpy2.bit_length(gn)), k)
    m = mpz(plaintext)
    high = (mpz(1) << k) - 1 - m

    s = mpz(secrets.randbits(sizes.s))
    commitment = bases.commit(m, s)
    low_roots = [mpz(v) for v in four_squares(int(m))]
    high_roots = [mpz(v) for v in four_squares(int(high))]
    low_rand = [mpz(secrets.randbits(sizes.s)) for _ in range(4)]
    high_rand = [mpz(secrets.randbits(sizes.s)) for _ in range(4)]
    low_commitments = [bases.commit(a, sa) for a, sa in zip(low_roots, low_rand, strict=True)]
    high_commitments = [bases.commit(b, sb) for b, sb in zip(high_roots, high_rand, strict=True)]
    t_low = s - sum(a * sa for a, sa in zip(low_roots, low_rand, strict=True))
    t_high = -s - sum(b * sb for b, sb in zip(high_roots, high_rand, strict=True))

    def draw(size: int) -> mpz:
        return mpz(secrets.randbits(sizes.mask(size)))

    rho_m, rho_s, rho_r = draw(k), draw(sizes.s), random_unit(gn)
    rho_low, rho_low_s = [draw(sizes.square) for _ in range(4)], [draw(sizes.s) for _ in range(4)]
    rho_high, rho_high_s = [draw(sizes.square) for _ in range(4)], [draw(sizes.s) for _ in range(4)]
    rho_t_low, rho_t_high = draw(sizes.t), draw(sizes.t)

    link_commitment = multi_exp(gn, [(bases.g, rho_m), (bases.h, rho_s)])
    link_ciphertext = (1 + rho_m * gn) * gmpy2.powmod(rho_r, gn, nsquare) % nsquare
    low_first = _squares_first_messages(bases, low_commitments, rho_low, rho_low_s, rho_t_low)
    high_first = _squares_first_messages(bases, high_commitments, rho_high, rho_high_s, rho_t_high)
    e = _challenge(
        context,
        gn,
        c,
        k,
        commitment,
        *low_commitments,
        *high_commitments,
        link_commitment,
        link_ciphertext,
        *low_first,
        *high_first,
    )
    return RangeProof(
        commitment=int(commitment),
        low_squares=_quad(low_commitments),
        high_squares=_quad(high_commitments),
        challenge=e,
        z_m=int(rho_m + e * m),
        z_s=int(rho_s + e * s),
        y=int(rho_r * gmpy2.powmod(r, e, gn) % gn),
        z_low=_quad([ra + e * a for ra, a in zip(rho_low, low_roots, strict=True)]),
        w_low=_quad([rs + e * sa for rs, sa in zip(rho_low_s, low_rand, strict=True)]),
        v_low=int(rho_t_low + e * t_low),
        z_high=_quad([rb + e * b for rb, b in zip(rho_high, high_roots, strict=True)]),
        w_high=_quad([rs + e * sb for rs, sb in zip(rho_high_s, high_rand, strict=True)]),
        v_high=int(rho_t_high + e * t_high),
    )


def _quad(values: list[mpz]) -> tuple[int, int, int, int]:
    a, b, c, d = (int(v) for v in values)
    return a, b, c, d


def _check_bits(bits: int, n: mpz) -> int:
    if not is_int(bits) or not 2 <= bits <= 1024 or bits % 2:
        raise InvalidInputError(f"the range size k must be an even int in 2..1024, got {bits!r}")
    if bits + 2 >= gmpy2.bit_length(n):
        raise InvalidInputError("the range must be far smaller than n")
    return bits


def _is_unit(value: int, modulus: mpz) -> bool:
    return bool(0 < value < modulus and gmpy2.gcd(value, modulus) == 1)


def verify_range(
    n: int,
    ciphertext: int,
    proof: RangeProof,
    context: bytes,
    *,
    bits: int = RANGE_BITS,
) -> bool:
    """Whether ``proof`` shows that ``ciphertext`` encrypts an integer in [0, 2^bits) under n.

    Checks that every group element is a unit of its group, that every response is within the
    size an honest prover's is (so that an extracted witness is bounded), then recomputes the
    first messages and the challenge.

    Args:
        n: The Paillier modulus.
        ciphertext: c.
        proof: The proof.
        context: The context the proof must be bound to.
        bits: k.

    Returns:
        True if the proof holds; False if it is well-formed but does not hold (or is bound to
        another context, ciphertext, key or range).

    Raises:
        InvalidInputError: ``proof`` is not a :class:`RangeProof`, or n, k are invalid.
    """
    if not isinstance(proof, RangeProof):
        raise InvalidInputError(f"expected a RangeProof, got {type(proof).__name__}")
    for name, value in (("n", n), ("ciphertext", ciphertext)):
        if not is_integer(value):
            raise InvalidInputError(f"{name} must be an int, got {type(value).__name__}")
    if n <= 3 or n % 2 == 0:
        raise InvalidInputError("n must be an odd modulus above 3")
    if not isinstance(context, bytes):
        raise InvalidInputError(f"context must be bytes, got {type(context).__name__}")
    bases = CommitmentBases.for_modulus(int(n))
    gn, nsquare = mpz(n), mpz(n) * n
    k = _check_bits(bits, gn)
    sizes = _Sizes(int(gmpy2.bit_length(gn)), k)
    c = mpz(ciphertext)
    elements = [proof.commitment, *proof.low_squares, *proof.high_squares, proof.y]
    if not _is_unit(int(c), nsquare) or not all(_is_unit(v, gn) for v in elements):
        return False
    e = proof.challenge
    if not 0 <= e < (1 << CHALLENGE_BITS):
        return False
    # Response sizes: honest ones are masks (bits + challenge + slack) plus e·secret.
    bound = 1 + CHALLENGE_BITS + STATISTICAL_BITS + 1
    checks = [
        (proof.z_m, k + bound),
        (proof.z_s, sizes.s + bound),
        (proof.v_low, sizes.t + bound),
        (proof.v_high, sizes.t + bound),
        *((z, sizes.square + bound) for z in (*proof.z_low, *proof.z_high)),
        *((w, sizes.s + bound) for w in (*proof.w_low, *proof.w_high)),
    ]
    if any(abs(value) >> size for value, size in checks):
        return False

    commitment = mpz(proof.commitment)
    complement = multi_exp(gn, [(bases.g, (mpz(1) << k) - 1), (commitment, -1)])  # Com(2^k − 1 − m; −s)
    link_commitment = multi_exp(gn, [(bases.g, proof.z_m), (bases.h, proof.z_s), (commitment, -e)])
    link_ciphertext = (1 + mpz(proof.z_m) * gn) * gmpy2.powmod(mpz(proof.y), gn, nsquare) % nsquare
    link_ciphertext = link_ciphertext * gmpy2.powmod(c, -e, nsquare) % nsquare

    def recompute(
        committed: mpz, squares: tuple[int, ...], z: tuple[int, ...], w: tuple[int, ...], v: int
    ) -> list[mpz]:
        first = [
            multi_exp(gn, [(bases.g, zi), (bases.h, wi), (mpz(ci), -e)])
            for ci, zi, wi in zip(squares, z, w, strict=True)
        ]
        product = multi_exp(
            gn, [(bases.h, v), (committed, -e), *((mpz(ci), zi) for ci, zi in zip(squares, z, strict=True))]
        )
        return [*first, product]

    low_first = recompute(commitment, proof.low_squares, proof.z_low, proof.w_low, proof.v_low)
    high_first = recompute(complement, proof.high_squares, proof.z_high, proof.w_high, proof.v_high)
    expected = _challenge(
        context,
        gn,
        c,
        k,
        commitment,
        *proof.low_squares,
        *proof.high_squares,
        link_commitment,
        link_ciphertext,
        *low_first,
        *high_first,
    )
    return expected == e
