"""ACJT group signatures: one group per agency, anonymous members, opening by the manager.

Research: Huang, Chen, Wang, "Blockchain-based multiple groups data sharing with anonymity and
traceability", Sci China Inf Sci 2020, §3.3 (Algorithms 1–3: setup and join, sign and verify,
open), which uses the scheme of Ateniese, Camenisch, Joye, Tsudik, "A practical and provably
secure coalition-resistant group signature scheme", CRYPTO 2000 (ACJT), §4. Written by hand:
no maintained Python library implements ACJT. Big integers are gmpy2's; fixed bases use the
comb tables of :mod:`offchain.crypto.modexp`.

The scheme (ACJT §4; n = pq with safe primes p = 2p' + 1, q = 2q' + 1 of l_p + 1 bits):

* Parameters ε > 1, k, l_p and λ1 > ε(λ2 + k) + 2, λ2 > 4 l_p, γ1 > ε(γ2 + k) + 2,
  γ2 > λ1 + 2; Λ = ]2^λ1 − 2^λ2, 2^λ1 + 2^λ2[, Γ = ]2^γ1 − 2^γ2, 2^γ1 + 2^γ2[.
* Group public key (n, a, a0, y, g, h), all but n in QR(n); the agency's secret is
  (p', q', X_j) with y = Y_j = g^{X_j}.
* Join: the member's secret x_i ∈ Λ is fixed jointly (the manager never learns it), and the
  manager issues the certificate (A_i, e_i) with e_i ∈ Γ prime and A_i^{e_i} = a0 a^{x_i}.
* Sign: T1 = A_i y^w, T2 = g^w, T3 = g^{e_i} h^w and a signature of knowledge of (e_i, x_i,
  e_i w, w): σ = (c, s1, s2, s3, s4, T1, T2, T3).
* Verify: recompute d1..d4 from σ, check c and the ranges of s1..s4.
* Open: A_i = T1 / T2^{X_j}.

Corrections to the published formulas. The issue notes that the paper's §3.3 restates ACJT
with typos; its full text was not at hand when this module was written, so every formula here
is ACJT 2000's, each checked by the tests, and the points below are those where the published
formulas (ACJT's own included) cannot be taken literally:

1. Verification checks s3 ∈ ±{0,1}^{ε(γ1 + 2l_p + k + 1) + 1}. ACJT's verification step
   prints λ1 in place of γ1, which would reject every honest signature, since r3 is drawn
   from ±{0,1}^{ε(γ1 + 2l_p + k + 1)} and γ1 > λ1.
2. d1 is a0^c T1^{s1 − c 2^γ1} / (a^{s2 − c 2^λ1} y^{s3}): the a0^c factor and the shifts by
   2^γ1 and 2^λ1 (which prove e_i ∈ Γ and x_i ∈ Λ) are needed for an honest signature to
   verify; a restatement without them does not.
3. Open divides: A_i = T1 / T2^{X_j}, since T1 = A_i y^w = A_i T2^{X_j}.
4. The join's step 3 proves, besides C2 = a^{x_i}, that x_i = 2^λ1 + (α x̃ + β mod 2^λ2)
   through C1^α g^β = g^u (g^{2^λ2})^v h^w, so the manager learns nothing of x_i yet the
   user cannot pick it.

Choices of this implementation (each a documented deviation):

* H is SHA-256 (k = 256) over a length-prefixed encoding of the group key, T1..T3, d1..d4 and
  the message, with a domain tag; ε = 1 + 128/(2 l_p + k) (≈ 1.056 at 2048 bits), so that the
  smallest nonce keeps 128 bits of statistical slack and every exponent is as short as that
  allows; λ2 = 4 l_p + 1 and the other lengths the least
  integers satisfying ACJT's strict inequalities. The lengths follow from the modulus size and
  are recomputed, never trusted, when a key is loaded.
* The opening is published with a proof that anyone can check (non-frameability of the open,
  which ACJT leaves implicit): a Fiat–Shamir Chaum–Pedersen proof over the integers that
  log_g y = log_{T2²}((T1/A_i)²). Squares are used so that every element lies in QR(n), the
  cyclic group of order p'q' in which the proof is sound; the manager, who knows p'q', still
  answers over the integers with a statistically hiding nonce, so the order is never revealed.
  On squares the proof fixes A only up to sign, so an opening names the canonical form
  min(A, n − A) (:func:`canonical_certificate`), which is unique per member.
* The signer computes d1 = A^{r1} y^{w r1 − r3} a^{−r2} and d2 = g^{w r1 − r3}, the same
  values as ACJT's T1^{r1}/(a^{r2} y^{r3}) and T2^{r1}/g^{r3} but with fixed bases only.

Verifiable setup (issue 12). ACJT's non-frameability assumes an honest setup. A manager who
knows the order p'q' of QR(n) (it always does) and any k with a0 = a^k frames any member: with
the member's certificate A, the witness e' = m p'q' ∈ Γ and x' ≡ −k (mod p'q') in Λ satisfies
A^{e'} = 1 = a0 a^{x'}, so :func:`sign` makes a valid signature that opens, with a valid opening
proof, to that member, who never signed (the test suite runs this attack). Hence:

* a, a0, g, h are hashed from a public 32-byte seed and n ("nothing up my sleeve";
  :func:`derive_bases`: SHAKE-256 with a domain tag, |n| + 128 bits reduced mod n, squared into
  QR(n), degenerate values skipped). Nobody chooses them, so no relation between them is known
  unless discrete logarithms in QR(n) are easy. y = g^{X_j} is the manager's own (its log is
  the opening key). The seed is recorded on chain with the key's hash (``Consortium``).
* The key carries a non-interactive proof that n is a Paillier–Blum modulus, n = pq with p, q
  distinct primes ≡ 3 (mod 4) and gcd(n, φ(n)) = 1 (:func:`prove_modulus`): the fourth-root
  test of Canetti, Gennaro, Goldfeder, Makriyannis, Peled, "UC non-interactive, proactive,
  threshold ECDSA with identifiable aborts", ePrint 2021/060 (CGGMP21), Fig. 16, Πmod, with
  the n-th-root square-freeness test and small-factor check of Goldberg, Reyzin, Sagga,
  Baldimtsi, "Efficient noninteractive certification of RSA moduli and beyond", ASIACRYPT 2019
  (GRSB19): trial division to 2^16, so 8 n-th roots give 2^-128; 128 fourth-root rounds give 2^-128.
* :func:`check_group_setup` checks both. :meth:`GroupPublicKey.from_dict` (every key loaded)
  and :func:`verify` run it; so do the agency before publishing the key's hash and seed, a user
  before joining, and anyone checking a published trace (:mod:`offchain.protocols`).

Who learns what: the seed, the bases and the proof are public; the proof reveals nothing about
p and q beyond n's form (the fourth and n-th roots are of random challenges).

What remains without the full safe-prime proof (Camenisch, Michels, "Proving in zero-knowledge
that a number is the product of two safe primes", EUROCRYPT 1999; not implemented: it proves
the primality of committed p, p', q, q' and costs thousands of exponentiations): the proof
above does not show that p' = (p − 1)/2 and q' = (q − 1)/2 are prime. A manager may pick Blum
primes with p − 1 and q − 1 smooth; the proof still verifies (a test shows Blum primes that are
not safe passing it), and then

1. discrete logarithms in QR(n) are easy for it (Pohlig–Hellman), so it learns k = log_a a0 of
   the hashed bases and frames any member by the attack above;
2. it learns each member's x_i mod ord(a) from the join commitment C2 = a^{x_i} and signs as
   that member directly (certificate (A_i, e_i) with x' ≡ x_i);
3. QR(n) need not be cyclic, so g ∈ ⟨h⟩ need not hold, and the join's commitment
   C1 = g^{x̃} h^{r̃} may then leak x̃ modulo the order of the part of g outside ⟨h⟩.

Each uses only the factors the manager already holds; they are excluded only by proving
that p' and q' are prime (or that p − 1 and q − 1 have a large prime factor). Against anyone
but the manager the scheme's guarantees are unchanged. Seeded ``random.Random`` generators are
for reproducible tests only.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from math import ceil
from typing import Any

import gmpy2
from gmpy2 import mpz

from offchain.crypto.hashing import keccak256
from offchain.crypto.modexp import FixedBase, multi_exp
from offchain.crypto.primes import random_bits, random_prime_in_interval, safe_prime
from offchain.errors import InvalidInputError, VerificationError
from offchain.validation import is_integer, parse_json, require_int

__all__ = [
    "DEFAULT_MODULUS_BITS",
    "GroupManager",
    "GroupManagerKey",
    "GroupParameters",
    "GroupPublicKey",
    "GroupSignature",
    "JoinApplicant",
    "JoinChallenge",
    "JoinRequest",
    "JoinResponse",
    "MemberKey",
    "MembershipCertificate",
    "ModulusProof",
    "Opening",
    "canonical_certificate",
    "certificate_matches_commitment",
    "certificate_primes",
    "check_group_setup",
    "derive_bases",
    "generate_group",
    "join",
    "join_message_from_json",
    "join_message_to_json",
    "modulus_proof_failure",
    "open_signature",
    "prove_modulus",
    "sign",
    "signer_certificate",
    "verify",
    "verify_opening",
]

#: Modulus size of new groups, in bits.
DEFAULT_MODULUS_BITS = 2048
#: Smallest modulus accepted (tests); 2048 bits or more for real groups.
MIN_MODULUS_BITS = 1024
#: Largest modulus accepted. A group key arrives from strangers (an anonymous upload carries
#: one): checking the setup of a larger n costs time that grows as its size cubed (the primality
#: test alone took minutes at 2^18 bits), so the bound comes first. Larger groups are out of
#: reach anyway: their safe primes of more than 2048 bits take hours to find.
MAX_MODULUS_BITS = 4096
#: Statistical slack, in bits, of the smallest nonce (r4 of a signature): ε is chosen for it.
SLACK_BITS = 128
_K = 256
_FORMAT = "datashare/acjt-group/v2"
_DOMAIN_SIGN = b"datashare/acjt/sign/v1"
_DOMAIN_PROOF = b"datashare/acjt/proof/v1"
_SIGNATURE_VERSION = 1

Rng = random.Random | None


def _eps(epsilon: Fraction, bits: int) -> int:
    """⌈ε · bits⌉: the length of a nonce masking a value of ``bits`` bits (secret × challenge)."""
    return ceil(epsilon * bits)


def _signed_random(bits: int, rng: Rng) -> mpz:
    """Uniform in ±{0,1}^bits = ]−2^bits, 2^bits[."""
    span = (mpz(1) << (bits + 1)) - 1
    value = random_bits(bits + 2, rng) % span if rng is not None else mpz(secrets.randbelow(int(span)))
    return value - (mpz(1) << bits) + 1


def _within(value: mpz, bits: int) -> bool:
    """value ∈ ±{0,1}^bits."""
    return bool(abs(value) < (mpz(1) << bits))


def _is_unit(value: mpz, n: mpz) -> bool:
    """value ∈ ]0, n[ and invertible modulo n."""
    return bool(0 < value < n and gmpy2.gcd(value, n) == 1)


def _magnitude_bytes(value: int | mpz) -> bytes:
    """Minimal big-endian bytes of |value| (empty for zero)."""
    magnitude = int(abs(value))
    return magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big")


def _encode_ints(*values: int | mpz) -> bytes:
    out = bytearray()
    for v in values:
        raw = _magnitude_bytes(v)
        out += (b"-" if v < 0 else b"+") + len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def _challenge(domain: bytes, *parts: bytes | int | mpz) -> mpz:
    digest = hashlib.sha256(domain)
    for part in parts:
        data = part if isinstance(part, bytes) else _encode_ints(part)
        digest.update(len(data).to_bytes(8, "big") + data)
    return mpz(int.from_bytes(digest.digest(), "big"))


@dataclass(frozen=True)
class GroupParameters:
    """The lengths of ACJT §4 for a modulus size (all in bits).

    Attributes:
        modulus_bits: Size of n.
        lp: Size of p' and q' (n = (2p' + 1)(2q' + 1)).
        k: Challenge length (SHA-256: 256).
        lambda1, lambda2: x_i ∈ Λ = ]2^λ1 − 2^λ2, 2^λ1 + 2^λ2[.
        gamma1, gamma2: e_i ∈ Γ = ]2^γ1 − 2^γ2, 2^γ1 + 2^γ2[.
        epsilon: ε = 1 + SLACK_BITS / (2 l_p + k): every nonce ε(ℓ + k) masks its ℓ + k-bit
            value with at least SLACK_BITS bits to spare (statistical zero knowledge), and no
            more, since every extra bit lengthens every exponent.
    """

    modulus_bits: int
    lp: int
    k: int
    lambda1: int
    lambda2: int
    gamma1: int
    gamma2: int
    epsilon: Fraction

    @classmethod
    def for_modulus(cls, modulus_bits: int) -> GroupParameters:
        """The parameters of a ``modulus_bits``-bit group (even, 1024 to 4096)."""
        require_int(modulus_bits, "modulus size")
        if not MIN_MODULUS_BITS <= modulus_bits <= MAX_MODULUS_BITS or modulus_bits % 2:
            raise InvalidInputError(
                f"modulus size must be even and of {MIN_MODULUS_BITS} to {MAX_MODULUS_BITS} bits, got {modulus_bits}"
            )
        lp = modulus_bits // 2 - 1
        epsilon = 1 + Fraction(SLACK_BITS, 2 * lp + _K)
        lambda2 = 4 * lp + 1  # λ2 > 4 l_p
        lambda1 = _eps(epsilon, lambda2 + _K) + 3  # λ1 > ε(λ2 + k) + 2
        gamma2 = lambda1 + 3  # γ2 > λ1 + 2
        gamma1 = _eps(epsilon, gamma2 + _K) + 3  # γ1 > ε(γ2 + k) + 2
        return cls(modulus_bits, lp, _K, lambda1, lambda2, gamma1, gamma2, epsilon)

    def nonce_bits(self, bits: int) -> int:
        """⌈ε · bits⌉: the nonce length masking a ``bits``-bit value (secret times challenge)."""
        return _eps(self.epsilon, bits)

    # Nonce lengths of the signature (ACJT §4, Sign step 2) and bounds of the responses.
    @property
    def r1_bits(self) -> int:
        return self.nonce_bits(self.gamma2 + self.k)

    @property
    def r2_bits(self) -> int:
        return self.nonce_bits(self.lambda2 + self.k)

    @property
    def r3_bits(self) -> int:
        return self.nonce_bits(self.gamma1 + 2 * self.lp + self.k + 1)

    @property
    def r4_bits(self) -> int:
        return self.nonce_bits(2 * self.lp + self.k)


# --- Verifiable setup: bases hashed from a seed, and a proof about n (issue 12) -----------------

#: Rounds of the fourth-root (Blum, two-prime) test: each catches a bad modulus with probability ≥ 1/2.
BLUM_ROUNDS = 128
#: Every prime below this bound is excluded as a factor of n by trial division (GRSB19).
SMALL_FACTOR_BOUND = 1 << 16
#: Rounds of the n-th-root (square-free) test: with no factor below 2^16, each catches a square
#: factor with probability ≥ 1 − 2^-16, so 8 rounds give 2^-128 (GRSB19).
SQUARE_FREE_ROUNDS = 8
SEED_BYTES = 32
_BASE_NAMES = ("a", "a0", "g", "h")
_DOMAIN_BASES = b"datashare/acjt/bases/v1"
_MAX_BASE_CANDIDATES = 256  # a candidate is degenerate with probability ~2^-500 for an RSA modulus
_DOMAIN_MODULUS = b"datashare/acjt/modulus-proof/v1"


def _small_primorial(bound: int) -> mpz:
    product, prime = mpz(1), mpz(2)
    while prime < bound:
        product *= prime
        prime = gmpy2.next_prime(prime)
    return product


_SMALL_PRIMORIAL = _small_primorial(SMALL_FACTOR_BOUND)


def _hash_to_zn(n: mpz, domain: bytes, *parts: bytes) -> mpz:
    """SHAKE-256 of the length-prefixed ``parts``, |n| + 128 bits long, reduced mod n (bias < 2^-128)."""
    xof = hashlib.shake_256(domain)
    for part in parts:
        xof.update(len(part).to_bytes(8, "big") + part)
    return mpz(int.from_bytes(xof.digest((n.bit_length() + 128 + 7) // 8), "big")) % n


def derive_bases(n: mpz | int, seed: bytes) -> dict[str, mpz]:
    """The bases a, a0, g, h of the group with modulus ``n`` and public ``seed``, hashed into QR(n).

    Each is v = H(domain, n, seed, name, counter)² mod n for the first counter whose v is a unit
    other than 1 with gcd(v − 1, n) = 1; for n = (2p' + 1)(2q' + 1) that makes v a generator of
    QR(n) (its order is neither 1, p' nor q'). Nobody chooses the bases, so nobody knows a
    relation between them such as a0 = a^k (which would let the manager frame a member), as long
    as discrete logarithms in QR(n) are hard for the manager (see the module docstring).

    Raises:
        InvalidInputError: if ``seed`` is not 32 bytes, n is not an odd integer > 3, or 256
            candidates in a row are degenerate (n is not an RSA modulus).
    """
    n = mpz(n)
    if not isinstance(seed, bytes) or len(seed) != SEED_BYTES:
        raise InvalidInputError(f"group seed must be {SEED_BYTES} bytes")
    if n <= 3 or n % 2 == 0:
        raise InvalidInputError("group modulus must be an odd integer > 3")
    n_bytes = _magnitude_bytes(n)
    bases: dict[str, mpz] = {}
    for name in _BASE_NAMES:
        for counter in range(_MAX_BASE_CANDIDATES):
            r = _hash_to_zn(n, _DOMAIN_BASES, n_bytes, seed, name.encode(), counter.to_bytes(4, "big"))
            v = r * r % n
            if v > 1 and gmpy2.gcd(v, n) == 1 and gmpy2.gcd(v - 1, n) == 1:
                bases[name] = v
                break
        else:
            raise InvalidInputError(f"no base {name} derivable: {_MAX_BASE_CANDIDATES} candidates were degenerate")
    return bases


@dataclass(frozen=True)
class ModulusProof:
    """A non-interactive proof that n is a Paillier–Blum modulus: n = pq with p, q distinct
    primes ≡ 3 (mod 4) and gcd(n, φ(n)) = 1 (CGGMP21 Fig. 16, Πmod; GRSB19).

    Attributes:
        w: A unit of Jacobi symbol −1.
        fourth_roots: For each Blum round i, (x_i, a_i, b_i) with x_i⁴ = (−1)^{a_i} w^{b_i} y_i.
        nth_roots: For each square-free round i, z_i with z_i^n = y_i.
    """

    w: mpz
    fourth_roots: tuple[tuple[mpz, int, int], ...]
    nth_roots: tuple[mpz, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (integers in hex; each (a_i, b_i) as the digit 2a_i + b_i)."""
        return {
            "w": hex(self.w),
            "x": [hex(x) for x, _, _ in self.fourth_roots],
            "ab": "".join(str(2 * a + b) for _, a, b in self.fourth_roots),
            "z": [hex(z) for z in self.nth_roots],
        }

    @classmethod
    def from_dict(cls, data: Any) -> ModulusProof:
        """Read :meth:`to_dict` output.

        Raises:
            InvalidInputError: a missing or malformed field.
        """
        if not isinstance(data, dict):
            raise InvalidInputError("setup proof: expected a JSON object")
        xs, zs, ab = data.get("x"), data.get("z"), data.get("ab")
        if not isinstance(xs, list) or not isinstance(zs, list) or not isinstance(ab, str) or len(ab) != len(xs):
            raise InvalidInputError("setup proof: x and z must be lists and ab a string as long as x")
        if any(ch not in "0123" for ch in ab):
            raise InvalidInputError("setup proof: ab must consist of the digits 0-3")
        w = _parse_int(data, "w")
        roots = tuple((_parse_int({"x": x}, "x"), int(d) >> 1, int(d) & 1) for x, d in zip(xs, ab, strict=True))
        return cls(w, roots, tuple(_parse_int({"z": z}, "z") for z in zs))


def _modulus_challenges(n: mpz, seed: bytes, w: mpz, count: int) -> list[mpz]:
    n_bytes = _magnitude_bytes(n)
    return [
        _hash_to_zn(n, _DOMAIN_MODULUS, n_bytes, seed, _magnitude_bytes(w), i.to_bytes(4, "big")) for i in range(count)
    ]


def prove_modulus(p: mpz, q: mpz, seed: bytes, rng: Rng = None) -> ModulusProof:
    """Prove that n = pq is a Paillier–Blum modulus (CGGMP21 Fig. 16, Πmod), bound to ``seed``.

    Args:
        p, q: The distinct primes, both ≡ 3 (mod 4) (safe primes are).
        seed: The group's seed (the challenges hash n, the seed and w).

    Raises:
        InvalidInputError: if p or q is not ≡ 3 (mod 4) or p = q.
    """
    p, q = mpz(p), mpz(q)
    if p % 4 != 3 or q % 4 != 3 or p == q:
        raise InvalidInputError("a Paillier-Blum modulus needs distinct primes p, q ≡ 3 (mod 4)")
    n = p * q
    while True:
        w = random_bits(n.bit_length() + 64, rng) % n
        if gmpy2.jacobi(w, n) == -1:
            break
    ys = _modulus_challenges(n, seed, w, BLUM_ROUNDS)
    fourth_p, fourth_q = ((p + 1) // 4) ** 2 % (p - 1), ((q + 1) // 4) ** 2 % (q - 1)
    p_inv = gmpy2.invert(p, q)
    roots: list[tuple[mpz, int, int]] = []
    for y in ys:
        for a, b in ((0, 0), (1, 0), (0, 1), (1, 1)):
            v = (-y if a else y) * (w if b else 1) % n
            if gmpy2.legendre(v, p) == 1 and gmpy2.legendre(v, q) == 1:
                break
        else:  # pragma: no cover - y shares a factor with n (probability ~2^-1000)
            raise InvalidInputError("setup proof: a challenge is not a unit")
        xp, xq = gmpy2.powmod(v % p, fourth_p, p), gmpy2.powmod(v % q, fourth_q, q)
        roots.append((xp + p * ((xq - xp) * p_inv % q), a, b))
    n_inv = gmpy2.invert(n, (p - 1) * (q - 1))
    return ModulusProof(w, tuple(roots), tuple(gmpy2.powmod(y, n_inv, n) for y in ys[:SQUARE_FREE_ROUNDS]))


def modulus_proof_failure(n: mpz, seed: bytes, proof: ModulusProof) -> str | None:
    """Why ``proof`` does not show that n is a Paillier–Blum modulus, or None if it does."""
    # Every prime passes BPSW, so it refuses every prime n, at the cost of about three
    # exponentiations: is_prime(n, 50) ran 26 Miller-Rabin rounds more on a prime n, which a
    # stranger's key may have (a prime 4096-bit n: 0.51 s against 0.09 s).
    if n % 2 == 0 or gmpy2.is_strong_bpsw_prp(n):
        return "n is even or prime"
    if gmpy2.gcd(n, _SMALL_PRIMORIAL) != 1:
        return f"n has a prime factor below {SMALL_FACTOR_BOUND}"
    if not _is_unit(proof.w, n) or gmpy2.jacobi(proof.w, n) != -1:
        return "w is not a unit of Jacobi symbol -1"
    if len(proof.fourth_roots) != BLUM_ROUNDS or len(proof.nth_roots) != SQUARE_FREE_ROUNDS:
        return f"the proof must have {BLUM_ROUNDS} fourth roots and {SQUARE_FREE_ROUNDS} n-th roots"
    ys = _modulus_challenges(n, seed, proof.w, BLUM_ROUNDS)
    for i, ((x, a, b), y) in enumerate(zip(proof.fourth_roots, ys, strict=True)):
        target = (-y if a else y) * (proof.w if b else 1) % n
        if not _is_unit(x, n) or gmpy2.powmod(x, 4, n) != target:
            return f"fourth root {i} fails (n is not a product of two primes ≡ 3 mod 4)"
    for i, (z, y) in enumerate(zip(proof.nth_roots, ys, strict=False)):
        if not _is_unit(z, n) or gmpy2.powmod(z, n, n) != y:
            return f"n-th root {i} fails (n is not square-free)"
    return None


def _setup_failure(public: GroupPublicKey) -> str | None:
    """Why ``public``'s setup does not check, or None."""
    try:
        derived = derive_bases(public.n, public.seed)
    except InvalidInputError as exc:
        return f"group key: no bases derivable ({exc})"
    for name in _BASE_NAMES:
        if getattr(public, name) != derived[name]:
            return f"group key: {name} is not the base derived from the group's seed"
    failure = modulus_proof_failure(public.n, public.seed, public.setup_proof)
    if failure is not None:
        return f"group key: the proof that n is a Paillier-Blum modulus fails: {failure}"
    return None


def check_group_setup(public: GroupPublicKey) -> None:
    """Check that a group key's bases are those of its seed and that its modulus proof holds.

    Run wherever a group key is published or loaded: :meth:`GroupPublicKey.from_dict` and
    :func:`verify` run it (once per key object: the verdict is cached on the key).

    Raises:
        VerificationError: naming the base or the proof round that fails.
    """
    failure = public._setup_failure
    if failure is not None:
        raise VerificationError(failure)


@dataclass(frozen=True)
class GroupPublicKey:
    """An agency's group public key (n, a, a0, y, g, h) (ACJT §4, Setup), with its seed and
    the proof about n that make the setup checkable (:func:`check_group_setup`).

    Attributes:
        params: The lengths, derived from the size of n.
        n, a, a0, y, g, h: The key's integers; y = Y_j = g^{X_j}; a, a0, g, h are
            :func:`derive_bases` of (n, seed).
        seed: The 32-byte public seed the bases are hashed from.
        setup_proof: The proof that n is a Paillier–Blum modulus, bound to the seed.
    """

    params: GroupParameters
    n: mpz
    a: mpz
    a0: mpz
    y: mpz
    g: mpz
    h: mpz
    seed: bytes
    setup_proof: ModulusProof = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (integers in hex)."""
        return {
            "format": _FORMAT,
            "modulus_bits": self.params.modulus_bits,
            **{name: hex(getattr(self, name)) for name in ("n", "a", "a0", "y", "g", "h")},
            "seed": "0x" + self.seed.hex(),
            "setup_proof": self.setup_proof.to_dict(),
        }

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces): what :meth:`fingerprint` hashes."""
        return self._canonical_json

    @cached_property
    def _setup_failure(self) -> str | None:
        return _setup_failure(self)

    @cached_property
    def _canonical_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroupPublicKey:
        """Read a key written by :meth:`to_dict`, checking its setup (:func:`check_group_setup`);
        the lengths are recomputed from the size of n.

        Raises:
            InvalidInputError: wrong format, missing or malformed field, or an element that is
                not a unit of n.
            VerificationError: a base that is not derived from the seed, or a modulus proof
                that fails.
        """
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise InvalidInputError(f"not a group public key (format must be {_FORMAT!r})")
        params = GroupParameters.for_modulus(data.get("modulus_bits"))  # type: ignore[arg-type]
        values = {name: _parse_int(data, name) for name in ("n", "a", "a0", "y", "g", "h")}
        n = values["n"]
        if n.bit_length() != params.modulus_bits or n % 2 == 0:
            raise InvalidInputError(f"n must be an odd {params.modulus_bits}-bit integer")
        for name in ("a", "a0", "y", "g", "h"):
            v = values[name]
            if v == 1 or not _is_unit(v, n):
                raise InvalidInputError(f"{name} must be a unit modulo n other than 1")
        raw_seed = data.get("seed")
        if not isinstance(raw_seed, str) or not raw_seed.startswith("0x") or len(raw_seed) != 2 + 2 * SEED_BYTES:
            raise InvalidInputError(f"field 'seed' must be {SEED_BYTES} bytes in 0x-prefixed hex")
        try:
            seed = bytes.fromhex(raw_seed[2:])
        except ValueError:
            raise InvalidInputError("field 'seed' is not valid hex") from None
        public = cls(params, **values, seed=seed, setup_proof=ModulusProof.from_dict(data.get("setup_proof")))
        check_group_setup(public)
        return public

    @classmethod
    def from_json(cls, text: str) -> GroupPublicKey:
        """Read a key written by :meth:`to_json`."""
        return cls.from_dict(_load_json(text, "group public key"))

    def fingerprint(self) -> bytes:
        """Keccak-256 of the canonical JSON: the 32 bytes an agency publishes on chain."""
        return keccak256(self.to_json().encode())

    @cached_property
    def _bases(self) -> dict[str, FixedBase]:
        return {name: FixedBase(getattr(self, name), self.n) for name in ("a", "a0", "y", "g", "h")}

    def base(self, name: str) -> FixedBase:
        """The precomputed fixed base ``name`` (one of a, a0, y, g, h)."""
        return self._bases[name]


def _parse_int(data: dict[str, Any], name: str) -> mpz:
    raw = data.get(name)
    if not isinstance(raw, str) or not raw.lstrip("-").startswith("0x"):
        raise InvalidInputError(f"field {name!r} must be a 0x-prefixed hex string")
    try:
        return mpz(int(raw, 16))
    except ValueError:
        raise InvalidInputError(f"field {name!r} is not valid hex") from None


def _parse_bytes(data: dict[str, Any], name: str) -> bytes:
    raw = data.get(name)
    if not isinstance(raw, str) or not raw.startswith("0x"):
        raise InvalidInputError(f"field {name!r} must be a 0x-prefixed hex string")
    try:
        return bytes.fromhex(raw[2:])
    except ValueError:
        raise InvalidInputError(f"field {name!r} is not valid hex") from None


def _load_json(text: str, what: str) -> dict[str, Any]:
    try:
        data = parse_json(text)
    except (TypeError, ValueError) as exc:  # ValueError: also bytes that are not UTF-8
        raise InvalidInputError(f"{what}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"{what}: expected a JSON object")
    return data


@dataclass(frozen=True)
class GroupManagerKey:
    """The agency's secret: the factorisation (p', q') and the opening key X_j (ACJT §4, Setup).

    Keep it as secret as a signing key: with it, certificates can be issued and signatures opened.
    """

    public: GroupPublicKey
    p_prime: mpz
    q_prime: mpz
    x: mpz

    def to_json(self) -> str:
        """JSON of the public key and the secrets (integers in hex)."""
        data = {
            "public": self.public.to_dict(),
            "p_prime": hex(self.p_prime),
            "q_prime": hex(self.q_prime),
            "x": hex(self.x),
        }
        return json.dumps(data, sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> GroupManagerKey:
        """Read a key written by :meth:`to_json`, checking that the secrets match the public key.

        Raises:
            InvalidInputError: malformed JSON, secrets that do not match the public key, or
                secrets outside their ranges (p', q' > 0, 1 < x < p'q').
            VerificationError: a public key whose setup does not check (:func:`check_group_setup`).
        """
        data = _load_json(text, "group manager key")
        public = GroupPublicKey.from_dict(data.get("public"))  # type: ignore[arg-type]
        p1, q1, x = (_parse_int(data, name) for name in ("p_prime", "q_prime", "x"))
        if p1 <= 0 or q1 <= 0 or (2 * p1 + 1) * (2 * q1 + 1) != public.n:
            # Negated factors, -(p'+1) and -(q'+1), multiply to n too; openings made with them fail.
            raise InvalidInputError("group manager key: p' and q' do not factor n as positive (2p'+1)(2q'+1)")
        if not 1 < x < p1 * q1:
            raise InvalidInputError("group manager key: x must lie in (1, p'q')")
        if gmpy2.powmod(public.g, x, public.n) != public.y:
            raise InvalidInputError("group manager key: y is not g^x")
        return cls(public, p1, q1, x)

    @cached_property
    def _crt(self) -> tuple[mpz, mpz, mpz]:
        p, q = 2 * self.p_prime + 1, 2 * self.q_prime + 1
        return p, q, gmpy2.invert(p, q)

    def _crt_combine(self, mod_p: mpz, mod_q: mpz) -> mpz:
        """The residue mod n = pq of (mod_p mod p, mod_q mod q) (Garner)."""
        p, q, p_inv = self._crt
        return mod_p + p * ((mod_q - mod_p) * p_inv % q)

    def crt_pow(self, base: mpz, exponent: mpz) -> mpz:
        """base^exponent mod n by the Chinese remainder theorem (~4× faster than ``powmod``)."""
        p, q, _ = self._crt
        return self._crt_combine(
            gmpy2.powmod(base % p, exponent % (p - 1), p), gmpy2.powmod(base % q, exponent % (q - 1), q)
        )

    @cached_property
    def _g_halves(self) -> tuple[FixedBase, FixedBase]:
        p, q, _ = self._crt
        return FixedBase(self.public.g % p, p), FixedBase(self.public.g % q, q)

    def crt_pow_g(self, exponent: mpz) -> mpz:
        """g^exponent mod n by CRT with comb tables of g mod p and mod q (the opening proof's
        commitment, on the path whose time the agency is asked to keep low)."""
        p, q, _ = self._crt
        gp, gq = self._g_halves
        return self._crt_combine(gp.pow(exponent % (p - 1)), gq.pow(exponent % (q - 1)))

    def is_quadratic_residue(self, value: mpz) -> bool:
        """Whether ``value`` ∈ QR(n) (Legendre symbols mod p and q)."""
        p, q, _ = self._crt
        return bool(gmpy2.legendre(value, p) == 1 and gmpy2.legendre(value, q) == 1)


def generate_group(modulus_bits: int = DEFAULT_MODULUS_BITS, rng: Rng = None) -> GroupManagerKey:
    """Create an agency's group (ACJT §4, Setup; Huang et al. §3.3, Algorithm 1).

    The bases a, a0, g, h are hashed from a fresh public seed (:func:`derive_bases`) and the key
    carries the proof that n is a Paillier–Blum modulus (:func:`prove_modulus`), so that anyone
    can check the setup (:func:`check_group_setup`).

    Args:
        modulus_bits: Size of n; 2048 by default, 1024 allowed for tests.
        rng: Seeded generator for reproducible test keys only.
    """
    params = GroupParameters.for_modulus(modulus_bits)
    while True:
        p = safe_prime(params.lp + 1, rng)
        q = safe_prime(params.lp + 1, rng)
        n = p * q
        if p != q and n.bit_length() == modulus_bits:
            break
    p1, q1 = (p - 1) // 2, (q - 1) // 2
    seed = bytes(random_bits(8 * SEED_BYTES, rng).to_bytes(SEED_BYTES, "big"))
    bases = derive_bases(n, seed)
    g = bases["g"]
    order = p1 * q1
    while True:
        x = random_bits(order.bit_length() + 64, rng) % order
        if x > 1 and gmpy2.gcd(x, order) == 1:
            break
    public = GroupPublicKey(
        params,
        n,
        bases["a"],
        bases["a0"],
        gmpy2.powmod(g, x, n),
        g,
        bases["h"],
        seed,
        prove_modulus(p, q, seed, rng),
    )
    return GroupManagerKey(public, p1, q1, x)


# --- Signatures of knowledge over the integers (Fiat–Shamir), used by join and open -----------


@dataclass(frozen=True)
class _Statement:
    """PK{(x_1..x_m): lhs_i = Π_j base_ij^{x_j} for every relation i, |x_j| < 2^{bits_j}}."""

    relations: Sequence[tuple[mpz, Sequence[tuple[FixedBase | mpz, int]]]]
    bits: Sequence[int]
    params: GroupParameters


@dataclass(frozen=True)
class _Proof:
    c: mpz
    responses: tuple[mpz, ...]


PowFn = Callable[[Sequence[tuple[FixedBase | mpz, mpz]]], mpz]


def _prove(
    n: mpz, st: _Statement, secrets_: Sequence[mpz], context: bytes, rng: Rng, power: PowFn | None = None
) -> _Proof:
    nonces = [_signed_random(st.params.nonce_bits(b + _K), rng) for b in st.bits]
    pw = power or (lambda terms: multi_exp(n, terms))
    commitments = [pw([(base, nonces[j]) for base, j in rel]) for _, rel in st.relations]
    c = _challenge(_DOMAIN_PROOF, context, *(lhs for lhs, _ in st.relations), *commitments)
    return _Proof(c, tuple(r - c * x for r, x in zip(nonces, secrets_, strict=True)))


def _check(n: mpz, st: _Statement, proof: _Proof, context: bytes) -> bool:
    if len(proof.responses) != len(st.bits):
        return False
    if not all(_within(s, st.params.nonce_bits(b + _K) + 1) for s, b in zip(proof.responses, st.bits, strict=True)):
        return False
    commitments = []
    for lhs, rel in st.relations:
        if not _is_unit(lhs, n):
            return False
        commitments.append(multi_exp(n, [(lhs, proof.c), *((base, proof.responses[j]) for base, j in rel)]))
    return bool(proof.c == _challenge(_DOMAIN_PROOF, context, *(lhs for lhs, _ in st.relations), *commitments))


# --- Join (ACJT §4, Join; Huang et al. Algorithm 1) ---------------------------------------------


@dataclass(frozen=True)
class JoinRequest:
    """Step 1, user → manager: C1 = g^{x̃} h^{r̃} with a proof of knowledge of its representation."""

    join_id: bytes
    c1: mpz
    proof: _Proof = field(repr=False)


@dataclass(frozen=True)
class JoinChallenge:
    """Step 2, manager → user: α, β ∈ ]0, 2^λ2[."""

    join_id: bytes
    alpha: mpz
    beta: mpz


@dataclass(frozen=True)
class JoinResponse:
    """Step 3, user → manager: C2 = a^{x_i} with a proof that x_i = 2^λ1 + (α x̃ + β mod 2^λ2)."""

    join_id: bytes
    c2: mpz
    proof: _Proof = field(repr=False)


@dataclass(frozen=True)
class MembershipCertificate:
    """Step 4, manager → user: (A_i, e_i) with A_i^{e_i} = a0 a^{x_i}."""

    join_id: bytes
    a_cert: mpz
    e: mpz


JoinMessage = JoinRequest | JoinChallenge | JoinResponse | MembershipCertificate
_JOIN_KINDS: dict[str, tuple[type[Any], tuple[str, ...], bool]] = {
    "request": (JoinRequest, ("c1",), True),
    "challenge": (JoinChallenge, ("alpha", "beta"), False),
    "response": (JoinResponse, ("c2",), True),
    "certificate": (MembershipCertificate, ("a_cert", "e"), False),
}
_JOIN_FORMAT = "datashare/acjt-join/v1"


def join_message_to_json(message: JoinMessage) -> str:
    """A join message (any of the four steps) as JSON, to carry between the agency's and the
    user's processes (integers in hex; the step named in ``kind``). No secret is in any of them.

    Raises:
        InvalidInputError: if ``message`` is not one of the four join messages.
    """
    for kind, (cls, integers, has_proof) in _JOIN_KINDS.items():
        if isinstance(message, cls):
            data: dict[str, Any] = {"format": _JOIN_FORMAT, "kind": kind, "join_id": "0x" + message.join_id.hex()}
            data.update({name: hex(getattr(message, name)) for name in integers})
            if has_proof:
                data["proof"] = {"c": hex(message.proof.c), "responses": [hex(r) for r in message.proof.responses]}
            return json.dumps(data, sort_keys=True)
    raise InvalidInputError(f"not a join message: {type(message).__name__}")


def join_message_from_json(text: str, kind: type[Any]) -> Any:
    """Read :func:`join_message_to_json` output, expecting a message of class ``kind``.

    Raises:
        InvalidInputError: if the text is not a join message of that kind, or a field is malformed.
    """
    data = _load_json(text, "join message")
    expected = next((name for name, (cls, _, _) in _JOIN_KINDS.items() if cls is kind), None)
    if expected is None or data.get("format") != _JOIN_FORMAT or data.get("kind") != expected:
        raise InvalidInputError(f"not a join {expected or kind.__name__} (found kind {data.get('kind')!r})")
    _, integers, has_proof = _JOIN_KINDS[expected]
    values: list[Any] = [_parse_bytes(data, "join_id"), *(_parse_int(data, name) for name in integers)]
    if has_proof:
        proof = data.get("proof")
        if not isinstance(proof, dict) or not isinstance(proof.get("responses"), list):
            raise InvalidInputError("join message: malformed proof")
        responses = tuple(_parse_int({"r": r}, "r") for r in proof["responses"])
        values.append(_Proof(_parse_int(proof, "c"), responses))
    message = kind(*values)
    _check_join_message(message, kind, integers, proof=has_proof)
    return message


def _check_join_message(message: Any, kind: type[Any], integers: tuple[str, ...], *, proof: bool = False) -> None:
    """Raise InvalidInputError unless ``message`` is a ``kind`` whose join id is 1..255 bytes,
    whose ``integers`` are ints and whose proof (if ``proof``) is a well-typed proof."""
    what = kind.__name__
    if not isinstance(message, kind):
        raise InvalidInputError(f"expected a {what}, got {type(message).__name__}")
    join_id = message.join_id
    if not isinstance(join_id, bytes) or not 0 < len(join_id) < 256:
        raise InvalidInputError(f"{what}: the join id must be 1..255 bytes")
    for name in integers:
        if not is_integer(getattr(message, name)):
            raise InvalidInputError(f"{what}: {name} must be an int, got {type(getattr(message, name)).__name__}")
    if proof:
        value = message.proof
        if (
            not isinstance(value, _Proof)
            or not is_integer(value.c)
            or not isinstance(value.responses, tuple | list)
            or not all(is_integer(r) for r in value.responses)
        ):
            raise InvalidInputError(f"{what}: malformed proof")


def _c1_statement(pk: GroupPublicKey, c1: mpz) -> _Statement:
    return _Statement(
        [(c1, [(pk.base("g"), 0), (pk.base("h"), 1)])], [pk.params.lambda2, 2 * pk.params.modulus_bits], pk.params
    )


def _c2_statement(pk: GroupPublicKey, request: JoinRequest, challenge: JoinChallenge, c2: mpz) -> _Statement:
    n, pr = pk.n, pk.params
    shifted = c2 * gmpy2.invert(pk.base("a").pow(mpz(1) << pr.lambda1), n) % n  # C2 / a^{2^λ1} = a^u
    combined = gmpy2.powmod(request.c1, challenge.alpha, n) * pk.base("g").pow(challenge.beta) % n
    g_shift = pk.base("g").pow(mpz(1) << pr.lambda2)
    # u = x_i − 2^λ1 ∈ [0, 2^λ2[, v = ⌊(α x̃ + β) / 2^λ2⌋, w = α r̃: C1^α g^β = g^u (g^{2^λ2})^v h^w.
    return _Statement(
        [(shifted, [(pk.base("a"), 0)]), (combined, [(pk.base("g"), 0), (g_shift, 1), (pk.base("h"), 2)])],
        [pr.lambda2, pr.lambda2 + 1, pr.lambda2 + 2 * pr.modulus_bits],
        pr,
    )


def _join_context(pk: GroupPublicKey, join_id: bytes, step: bytes) -> bytes:
    return b"join/" + step + b"/" + pk.fingerprint() + join_id


class JoinApplicant:
    """The user's side of the join; the secret x_i never leaves it.

    Args:
        public: The group to join.
        rng: Seeded generator for tests only.
    """

    def __init__(self, public: GroupPublicKey, rng: Rng = None) -> None:
        self.public = public
        self._rng = rng
        pr = public.params
        self._x_tilde = random_bits(pr.lambda2, rng) % ((mpz(1) << pr.lambda2) - 1) + 1
        self._r_tilde = random_bits(2 * pr.modulus_bits, rng) % (public.n * public.n - 1) + 1
        self._join_id = bytes(random_bits(128, rng).to_bytes(16, "big"))
        self._x: mpz | None = None

    @property
    def join_id(self) -> bytes:
        """This join's id (16 random bytes)."""
        return self._join_id

    def export_secret(self) -> bytes:
        """The applicant's secrets (x̃, r̃, the join id and, after :meth:`respond`, x_i) as JSON
        bytes, to seal in a keystore between the join's steps when they run in separate processes.

        Keep them as secret as the member key: x_i is the member's signing secret.
        """
        data = {"join_id": "0x" + self._join_id.hex(), "x_tilde": hex(self._x_tilde), "r_tilde": hex(self._r_tilde)}
        if self._x is not None:
            data["x"] = hex(self._x)
        return json.dumps(data, sort_keys=True).encode()

    @classmethod
    def restore(cls, public: GroupPublicKey, secret: bytes) -> JoinApplicant:
        """The applicant of :meth:`export_secret` output, for the group ``public``.

        Raises:
            InvalidInputError: if ``secret`` is not an exported applicant or its values are out of range.
        """
        data = _load_json(secret.decode("utf-8", errors="replace"), "join applicant")
        applicant = cls.__new__(cls)
        applicant.public, applicant._rng = public, None
        applicant._x_tilde, applicant._r_tilde = _parse_int(data, "x_tilde"), _parse_int(data, "r_tilde")
        applicant._join_id = _parse_bytes(data, "join_id")
        applicant._x = _parse_int(data, "x") if "x" in data else None
        pr = public.params
        if not 0 < applicant._x_tilde < (mpz(1) << pr.lambda2) or not 0 < applicant._r_tilde < public.n * public.n:
            raise InvalidInputError("join applicant: x̃ or r̃ outside its range")
        if applicant._x is not None and not _in_lambda(pr, applicant._x):
            raise InvalidInputError("join applicant: x outside Λ")
        if not 0 < len(applicant._join_id) < 256:
            raise InvalidInputError("join applicant: the join id must be 1..255 bytes")
        return applicant

    def request(self) -> JoinRequest:
        """Step 1: the commitment C1 and its proof."""
        pk = self.public
        c1 = multi_exp(pk.n, [(pk.base("g"), self._x_tilde), (pk.base("h"), self._r_tilde)])
        proof = _prove(
            pk.n,
            _c1_statement(pk, c1),
            [self._x_tilde, self._r_tilde],
            _join_context(pk, self._join_id, b"c1"),
            self._rng,
        )
        return JoinRequest(self._join_id, c1, proof)

    def respond(self, request: JoinRequest, challenge: JoinChallenge) -> JoinResponse:
        """Step 3: x_i = 2^λ1 + (α x̃ + β mod 2^λ2), C2 = a^{x_i} and the proof of its form."""
        _check_join_message(request, JoinRequest, ("c1",), proof=True)
        _check_join_message(challenge, JoinChallenge, ("alpha", "beta"))
        if challenge.join_id != self._join_id or request.join_id != self._join_id:
            raise InvalidInputError("the challenge belongs to another join")
        pk, pr = self.public, self.public.params
        for name, v in (("alpha", challenge.alpha), ("beta", challenge.beta)):
            if not 0 < v < (mpz(1) << pr.lambda2):
                raise InvalidInputError(f"{name} must lie in ]0, 2^λ2[")
        total = challenge.alpha * self._x_tilde + challenge.beta
        u = total % (mpz(1) << pr.lambda2)
        v = total >> pr.lambda2
        self._x = (mpz(1) << pr.lambda1) + u
        c2 = pk.base("a").pow(self._x)
        statement = _c2_statement(pk, request, challenge, c2)
        proof = _prove(
            pk.n, statement, [u, v, challenge.alpha * self._r_tilde], _join_context(pk, self._join_id, b"c2"), self._rng
        )
        return JoinResponse(self._join_id, c2, proof)

    def complete(self, certificate: MembershipCertificate) -> MemberKey:
        """Step 5: check A_i^{e_i} = a0 a^{x_i} and e_i ∈ Γ, and return the member key.

        Raises:
            InvalidInputError: if ``certificate`` is not a well-typed certificate of this join.
            VerificationError: if the certificate is not valid for this member's secret.
        """
        _check_join_message(certificate, MembershipCertificate, ("a_cert", "e"))
        if self._x is None or certificate.join_id != self._join_id:
            raise InvalidInputError("the certificate does not belong to this join (call respond first)")
        pk = self.public
        if not 0 < certificate.a_cert < pk.n:
            raise VerificationError("certificate A is outside ]0, n[")
        if not _in_gamma(pk.params, certificate.e):
            raise VerificationError("certificate exponent e is outside Γ")
        if not _certificate_holds(pk, certificate.a_cert, certificate.e, self._x):
            raise VerificationError("certificate does not satisfy A^e = a0 a^x")
        return MemberKey(pk, certificate.a_cert, certificate.e, self._x)


def _certificate_holds(pk: GroupPublicKey, a_cert: mpz, e: mpz, x: mpz) -> bool:
    """A^e = a0 a^x (mod n): the membership certificate equation of ACJT §4."""
    return bool(gmpy2.powmod(a_cert, e, pk.n) == pk.a0 * pk.base("a").pow(x) % pk.n)


def _in_gamma(pr: GroupParameters, e: mpz) -> bool:
    return bool(abs(e - (mpz(1) << pr.gamma1)) < (mpz(1) << pr.gamma2))


def _in_lambda(pr: GroupParameters, x: mpz) -> bool:
    return bool(abs(x - (mpz(1) << pr.lambda1)) < (mpz(1) << pr.lambda2))


def certificate_primes(params: GroupParameters, count: int, *, workers: int = 1, rng: Rng = None) -> list[mpz]:
    """``count`` random primes in Γ (certificate exponents), searched by ``workers`` processes.

    Several agencies can share one call (the parameters depend only on the modulus size), so that
    every core stays busy: the time of one search varies several-fold from prime to prime. A
    seeded ``rng`` (tests only) makes the search sequential and reproducible.
    """
    if count <= 0:
        return []
    centers, radii = [mpz(1) << params.gamma1] * count, [params.gamma2] * count
    if workers <= 1 or count == 1 or rng is not None:
        return [random_prime_in_interval(c, r, rng) for c, r in zip(centers, radii, strict=True)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # never fork a process with threads (Brownie's)
    with ProcessPoolExecutor(max_workers=min(workers, count), mp_context=context) as pool:
        return list(pool.map(random_prime_in_interval, centers, radii))


class GroupManager:
    """The agency's side of the join and the opening of signatures.

    Args:
        key: The agency's secret key.
        rng: Seeded generator for tests only.
    """

    def __init__(self, key: GroupManagerKey, rng: Rng = None) -> None:
        self.key = key
        self.public = key.public
        self._rng = rng
        self._pending: dict[bytes, tuple[JoinRequest, JoinChallenge]] = {}
        self._primes: list[mpz] = []
        self._issued_e: set[mpz] = set()

    def stock_primes(self, count: int, *, workers: int = 1) -> None:
        """Pre-generate ``count`` certificate primes e ∈ Γ, moving the join's slowest step
        (~150 Fermat tests on ~5,100-bit numbers at 2048 bits) off the interactive path.

        Args:
            count: Primes to add to the pool.
            workers: Processes to search in parallel (the search is CPU-bound).
        """
        self._primes.extend(certificate_primes(self.public.params, count, workers=workers, rng=self._rng))

    def add_primes(self, primes: Sequence[mpz]) -> None:
        """Add certificate primes made elsewhere (:func:`certificate_primes`) to the pool.

        Raises:
            InvalidInputError: if one is not a prime in Γ.
        """
        for e in primes:
            if not _in_gamma(self.public.params, mpz(e)) or not gmpy2.is_prime(e, 25):  # BPSW + 1 MR
                raise InvalidInputError("a certificate exponent must be a prime in Γ")
        self._primes.extend(mpz(e) for e in primes)

    @property
    def stocked_primes(self) -> tuple[mpz, ...]:
        """The certificate primes in the pool, not yet issued."""
        return tuple(self._primes)

    def resume_join(self, request: JoinRequest, challenge: JoinChallenge) -> None:
        """Take back a join challenged before a restart (its request and the challenge sent),
        so that :meth:`certify` can answer it; the request's proof is checked again.

        Raises:
            InvalidInputError: if the messages are malformed or of different joins.
            VerificationError: if the request's proof fails.
        """
        _check_join_message(request, JoinRequest, ("c1",), proof=True)
        _check_join_message(challenge, JoinChallenge, ("alpha", "beta"))
        if request.join_id != challenge.join_id:
            raise InvalidInputError("the challenge belongs to another join")
        pk = self.public
        if not _check(pk.n, _c1_statement(pk, request.c1), request.proof, _join_context(pk, request.join_id, b"c1")):
            raise VerificationError("join request: the proof of knowledge of C1's representation fails")
        self._pending[request.join_id] = (request, challenge)

    def mark_issued(self, exponents: Sequence[mpz | int]) -> None:
        """Record certificate exponents issued before a restart: none is issued twice."""
        self._issued_e.update(mpz(e) for e in exponents)

    def _new_prime(self) -> mpz:
        return certificate_primes(self.public.params, 1, rng=self._rng)[0]

    def challenge(self, request: JoinRequest) -> JoinChallenge:
        """Step 2: check C1 ∈ QR(n) and its proof, and answer with fresh α, β.

        Raises:
            InvalidInputError: if ``request`` is not a well-typed JoinRequest.
            VerificationError: if C1 is not a quadratic residue or its proof fails.
        """
        _check_join_message(request, JoinRequest, ("c1",), proof=True)
        pk = self.public
        if not 0 < request.c1 < pk.n or not self.key.is_quadratic_residue(request.c1):
            raise VerificationError("join request: C1 is not in QR(n)")
        if not _check(pk.n, _c1_statement(pk, request.c1), request.proof, _join_context(pk, request.join_id, b"c1")):
            raise VerificationError("join request: the proof of knowledge of C1's representation fails")
        bound = (mpz(1) << pk.params.lambda2) - 1
        challenge = JoinChallenge(
            request.join_id,
            random_bits(pk.params.lambda2 + 64, self._rng) % bound + 1,
            random_bits(pk.params.lambda2 + 64, self._rng) % bound + 1,
        )
        self._pending[request.join_id] = (request, challenge)
        return challenge

    def certify(self, response: JoinResponse) -> MembershipCertificate:
        """Step 4: check C2 and its proof, and issue (A_i, e_i), A_i = (C2 a0)^{1/e_i}.

        Raises:
            InvalidInputError: if ``response`` is not a well-typed JoinResponse, or no join with
                this id is pending.
            VerificationError: if C2 is not in QR(n) or its proof fails.
        """
        _check_join_message(response, JoinResponse, ("c2",), proof=True)
        pending = self._pending.pop(response.join_id, None)
        if pending is None:
            raise InvalidInputError("no pending join with this id (challenge it first; each join is answered once)")
        request, challenge = pending
        pk = self.public
        if not 0 < response.c2 < pk.n or not self.key.is_quadratic_residue(response.c2):
            raise VerificationError("join response: C2 is not in QR(n)")
        statement = _c2_statement(pk, request, challenge, response.c2)
        if not _check(pk.n, statement, response.proof, _join_context(pk, response.join_id, b"c2")):
            raise VerificationError("join response: the proof that C2 = a^(2^λ1 + (αx̃ + β mod 2^λ2)) fails")
        e = self._primes.pop() if self._primes else self._new_prime()
        while e in self._issued_e:
            e = self._new_prime()
        self._issued_e.add(e)
        order = self.key.p_prime * self.key.q_prime
        a_cert = self.key.crt_pow(response.c2 * pk.a0 % pk.n, gmpy2.invert(e, order))
        return MembershipCertificate(response.join_id, a_cert, e)

    def open(self, message: bytes, signature: GroupSignature) -> Opening:
        """Recover the signer's certificate A_i = T1 / T2^{X_j} with a proof that anyone can check.

        Raises:
            VerificationError: if the signature does not verify for this group and message.
        """
        return open_signature(self.key, message, signature)


@dataclass(frozen=True)
class MemberKey:
    """A member's signing key: the certificate (A_i, e_i) and the secret x_i ∈ Λ."""

    public: GroupPublicKey
    a_cert: mpz
    e: mpz
    x: mpz

    def to_json(self) -> str:
        """JSON of the group key, the certificate and the secret (integers in hex)."""
        return json.dumps(
            {"public": self.public.to_dict(), "A": hex(self.a_cert), "e": hex(self.e), "x": hex(self.x)},
            sort_keys=True,
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> MemberKey:
        """Read a key written by :meth:`to_json`, checking A^e = a0 a^x and the ranges.

        Raises:
            InvalidInputError: malformed JSON, A, e or x outside its range, or a certificate
                that does not hold.
            VerificationError: a public key whose setup does not check (:func:`check_group_setup`).
        """
        data = _load_json(text, "member key")
        public = GroupPublicKey.from_dict(data.get("public"))  # type: ignore[arg-type]
        a_cert, e, x = (_parse_int(data, name) for name in ("A", "e", "x"))
        if not 0 < a_cert < public.n:
            raise InvalidInputError("member key: A must lie in (0, n)")
        if not _in_gamma(public.params, e) or not _in_lambda(public.params, x):
            raise InvalidInputError("member key: e or x outside its range")
        if not _certificate_holds(public, a_cert, e, x):
            raise InvalidInputError("member key: the certificate does not satisfy A^e = a0 a^x")
        return cls(public, a_cert, e, x)

    @property
    def certificate(self) -> mpz:
        """The canonical form of A_i, by which openings name this member."""
        return canonical_certificate(self.a_cert, self.public.n)

    @cached_property
    def _a_base(self) -> FixedBase:
        return FixedBase(self.a_cert, self.public.n)


def join(manager: GroupManager, rng: Rng = None) -> MemberKey:
    """Run the whole interactive join locally (tests, demos): applicant and manager in one process."""
    applicant = JoinApplicant(manager.public, rng)
    request = applicant.request()
    challenge = manager.challenge(request)
    return applicant.complete(manager.certify(applicant.respond(request, challenge)))


# --- Sign, verify, open (Huang et al. Algorithms 2 and 3) ---------------------------------------


@dataclass(frozen=True)
class GroupSignature:
    """σ = (c, s1, s2, s3, s4, T1, T2, T3) (ACJT §4, Sign)."""

    c: mpz
    s1: mpz
    s2: mpz
    s3: mpz
    s4: mpz
    t1: mpz
    t2: mpz
    t3: mpz

    def to_bytes(self) -> bytes:
        """Canonical bytes: a version byte, then each integer as sign byte, 2-byte length and
        minimal big-endian magnitude. Exactly one encoding per signature, so its hash is unique."""
        out = bytearray([_SIGNATURE_VERSION])
        for v in (self.c, self.s1, self.s2, self.s3, self.s4, self.t1, self.t2, self.t3):
            raw = _magnitude_bytes(v)
            out += bytes([1 if v < 0 else 0]) + len(raw).to_bytes(2, "big") + raw
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes) -> GroupSignature:
        """Parse :meth:`to_bytes` output, rejecting every non-canonical or truncated encoding.

        Raises:
            InvalidInputError: wrong version, truncated data, trailing bytes, a leading zero
                byte, or a negative zero.
        """
        if not isinstance(data, bytes | bytearray) or not data or data[0] != _SIGNATURE_VERSION:
            raise InvalidInputError("group signature: unknown encoding version")
        values: list[mpz] = []
        pos = 1
        for index in range(8):
            if pos + 3 > len(data):
                raise InvalidInputError(f"group signature: truncated at integer {index}")
            sign, length = data[pos], int.from_bytes(data[pos + 1 : pos + 3], "big")
            raw = data[pos + 3 : pos + 3 + length]
            if sign not in (0, 1) or len(raw) != length:
                raise InvalidInputError(f"group signature: malformed integer {index}")
            if (length and raw[0] == 0) or (sign and not length):
                raise InvalidInputError(f"group signature: non-canonical integer {index}")
            magnitude = mpz(int.from_bytes(raw, "big"))
            values.append(-magnitude if sign else magnitude)
            pos += 3 + length
        if pos != len(data):
            raise InvalidInputError("group signature: trailing bytes")
        return cls(*values)

    def digest(self) -> bytes:
        """Keccak-256 of :meth:`to_bytes`: the signature hash recorded on chain."""
        return keccak256(self.to_bytes())


def _sign_challenge(pk: GroupPublicKey, t: Sequence[mpz], d: Sequence[mpz], message: bytes) -> mpz:
    return _challenge(_DOMAIN_SIGN, pk.g, pk.h, pk.y, pk.a0, pk.a, *t, *d, message)


def sign(member: MemberKey, message: bytes, rng: Rng = None) -> GroupSignature:
    """Sign ``message`` anonymously for the member's group (ACJT §4, Sign; Algorithm 2).

    Every call draws fresh w and r1..r4, so two signatures of one member share no value.
    """
    if not isinstance(message, bytes | bytearray):
        raise InvalidInputError(f"message must be bytes, got {type(message).__name__}")
    pk, pr, n = member.public, member.public.params, member.public.n
    g, h, y, a = pk.base("g"), pk.base("h"), pk.base("y"), pk.base("a")
    w = random_bits(2 * pr.lp, rng)
    r1, r2 = _signed_random(pr.r1_bits, rng), _signed_random(pr.r2_bits, rng)
    r3, r4 = _signed_random(pr.r3_bits, rng), _signed_random(pr.r4_bits, rng)
    t1 = member.a_cert * y.pow(w) % n
    t2 = g.pow(w)
    t3 = multi_exp(n, [(g, member.e), (h, w)])
    wr = w * r1 - r3
    d1 = multi_exp(n, [(member._a_base, r1), (y, wr), (a, -r2)])  # = T1^r1 / (a^r2 y^r3)
    d2 = g.pow(wr)  # = T2^r1 / g^r3
    d3 = g.pow(r4)
    d4 = multi_exp(n, [(g, r1), (h, r4)])
    c = _sign_challenge(pk, (t1, t2, t3), (d1, d2, d3, d4), bytes(message))
    return GroupSignature(
        c=c,
        s1=r1 - c * (member.e - (mpz(1) << pr.gamma1)),
        s2=r2 - c * (member.x - (mpz(1) << pr.lambda1)),
        s3=r3 - c * member.e * w,
        s4=r4 - c * w,
        t1=t1,
        t2=t2,
        t3=t3,
    )


def verify(public: GroupPublicKey, message: bytes, signature: GroupSignature) -> bool:
    """Whether ``signature`` is a valid group signature on ``message`` for ``public``
    (ACJT §4, Verify; Algorithm 2). Malformed signature values make it False, never an exception.

    Raises:
        VerificationError: if ``public``'s setup does not check (:func:`check_group_setup`):
            under bases its manager chose, a valid signature proves nothing about the signer.
    """
    if not isinstance(message, bytes | bytearray) or not isinstance(signature, GroupSignature):
        raise InvalidInputError("verify takes bytes and a GroupSignature")
    check_group_setup(public)
    pk, pr, n = public, public.params, public.n
    sig = signature
    if not (0 <= sig.c < (mpz(1) << pr.k)):
        return False
    if not (
        _within(sig.s1, pr.r1_bits + 1)
        and _within(sig.s2, pr.r2_bits + 1)
        and _within(sig.s3, pr.r3_bits + 1)
        and _within(sig.s4, pr.r4_bits + 1)
    ):
        return False
    if not all(_is_unit(t, n) for t in (sig.t1, sig.t2, sig.t3)):
        return False
    g, h, y, a, a0 = (pk.base(name) for name in ("g", "h", "y", "a", "a0"))
    c = sig.c
    s1_shift = sig.s1 - c * (mpz(1) << pr.gamma1)
    s2_shift = sig.s2 - c * (mpz(1) << pr.lambda1)
    d1 = multi_exp(n, [(a0, c), (sig.t1, s1_shift), (a, -s2_shift), (y, -sig.s3)])
    d2 = multi_exp(n, [(sig.t2, s1_shift), (g, -sig.s3)])
    d3 = multi_exp(n, [(sig.t2, c), (g, sig.s4)])
    d4 = multi_exp(n, [(sig.t3, c), (g, s1_shift), (h, sig.s4)])
    return bool(c == _sign_challenge(pk, (sig.t1, sig.t2, sig.t3), (d1, d2, d3, d4), bytes(message)))


def canonical_certificate(a_cert: mpz, n: mpz) -> mpz:
    """min(A, n − A): the form in which an opening names a certificate.

    The opening proof works on squares, so it fixes A only up to sign (an element of Jacobi
    symbol −1 is excluded separately). A certificate is a quadratic residue and −A is not, so
    no two members share a canonical form, and one canonical form names exactly one member.
    """
    return min(mpz(a_cert) % n, (n - mpz(a_cert)) % n)


@dataclass(frozen=True)
class Opening:
    """The opening of a signature: the signer's certificate (canonical form) and a proof that
    ±certificate = T1 / T2^{X_j}.

    The proof is the Chaum–Pedersen PK{X: y = g^X ∧ (T1/A)² = (T2²)^X} (Fiat–Shamir over the
    integers), bound to the group, the signature's hash and the message.
    """

    certificate: mpz
    c: mpz
    s: mpz

    def to_json(self) -> str:
        """JSON with integers in hex."""
        return json.dumps({"A": hex(self.certificate), "c": hex(self.c), "s": hex(self.s)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Opening:
        """Read :meth:`to_json` output."""
        data = _load_json(text, "opening")
        return cls(*(_parse_int(data, name) for name in ("A", "c", "s")))


def _opening_statement(pk: GroupPublicKey, signature: GroupSignature, a_cert: mpz) -> _Statement:
    n = pk.n
    blinded = signature.t1 * gmpy2.invert(a_cert, n) % n
    return _Statement(
        [(pk.y, [(pk.base("g"), 0)]), (blinded * blinded % n, [(signature.t2 * signature.t2 % n, 0)])],
        [2 * pk.params.lp + 2],
        pk.params,
    )


def _opening_context(pk: GroupPublicKey, message: bytes, signature: GroupSignature) -> bytes:
    return b"open/" + pk.fingerprint() + signature.digest() + hashlib.sha256(message).digest()


def open_signature(
    manager: GroupManagerKey, message: bytes, signature: GroupSignature, rng: Rng = None, *, verified: bool = False
) -> Opening:
    """Open a valid signature (Algorithm 3): A_i = T1 / T2^{X_j}, with its public proof.

    Args:
        verified: Skip the signature check because the caller has just verified this exact
            signature and message (an agency checks every upload when it arrives).

    Raises:
        VerificationError: if the signature does not verify for this group and message; an
            invalid signature is never opened.
    """
    pk, n = manager.public, manager.public.n
    if not verified and not verify(pk, message, signature):
        raise VerificationError("refusing to open: the signature does not verify for this group and message")
    a_cert = canonical_certificate(signature.t1 * gmpy2.invert(manager.crt_pow(signature.t2, manager.x), n) % n, n)
    st = _opening_statement(pk, signature, a_cert)
    proof = _prove(
        n,
        st,
        [manager.x],
        _opening_context(pk, bytes(message), signature),
        rng,
        power=lambda terms: _crt_product(manager, terms),
    )
    return Opening(a_cert, proof.c, proof.responses[0])


def signer_certificate(manager: GroupManagerKey, signature: GroupSignature) -> mpz:
    """The canonical certificate min(A, n − A) of the member who made ``signature``, A = T1 / T2^{X_j}.

    The manager's own look-up, without the public proof of :func:`open_signature`: an agency
    uses it to check that an upload comes from a member it listed. The caller must have
    verified the signature (an invalid one names nobody in particular).
    """
    n = manager.public.n
    if not (_is_unit(signature.t1, n) and _is_unit(signature.t2, n)):
        raise InvalidInputError("T1 and T2 must be units modulo n")
    return canonical_certificate(signature.t1 * gmpy2.invert(manager.crt_pow(signature.t2, manager.x), n) % n, n)


def certificate_matches_commitment(public: GroupPublicKey, certificate: mpz | int, e: mpz | int, c2: mpz | int) -> bool:
    """Whether the certificate (canonical form) A satisfies A^e = ±C2·a0 (mod n) with e ∈ Γ.

    C2 = a^{x_i} is the commitment the member sent in the join (ACJT §4, Join step 3); the
    manager computed A_i = (C2 a0)^{1/e_i}. Since e is odd, the canonical form n − A_i gives
    −C2·a0, hence the ±. A member's join receipt is a signature over C2, so this equation ties
    an opened certificate to the receipt of the member who holds its secret x_i: a manager
    cannot attach another member's receipt to a certificate.
    """
    n, e, c2 = public.n, mpz(e), mpz(c2)
    if not _in_gamma(public.params, e) or not _is_unit(c2, n) or not _is_unit(mpz(certificate), n):
        return False
    target = c2 * public.a0 % n
    return bool(gmpy2.powmod(mpz(certificate), e, n) in (target, n - target))


def _crt_product(manager: GroupManagerKey, terms: Sequence[tuple[FixedBase | mpz, mpz]]) -> mpz:
    n = manager.public.n
    out = mpz(1)
    for base, exponent in terms:
        if base is manager.public.base("g"):
            out = out * manager.crt_pow_g(exponent) % n
        else:
            value = base.base if isinstance(base, FixedBase) else base
            out = out * manager.crt_pow(value, exponent) % n
    return out


def verify_opening(public: GroupPublicKey, message: bytes, signature: GroupSignature, opening: Opening) -> bool:
    """Whether ``opening`` proves that ``signature`` (valid for ``message``) was made with the
    certificate whose canonical form is ``opening.certificate``. Anyone can run it; it needs
    no secret. Compare the certificate with :attr:`MemberKey.certificate` (or the agency's
    member list) to name the member."""
    if not isinstance(opening, Opening):
        raise InvalidInputError(f"verify_opening takes an Opening, got {type(opening).__name__}")
    if not verify(public, message, signature):
        return False
    a_cert = opening.certificate
    if a_cert > (public.n - 1) // 2 or not _is_unit(a_cert, public.n):
        return False  # only the canonical form min(A, n − A) is accepted
    if gmpy2.jacobi(a_cert, public.n) != 1:
        return False  # excludes A·u for a square root u of 1 other than ±1
    st = _opening_statement(public, signature, a_cert)
    return _check(public.n, st, _Proof(opening.c, (opening.s,)), _opening_context(public, bytes(message), signature))
