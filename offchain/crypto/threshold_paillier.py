"""(p, t)-threshold Paillier: any t of p parties decrypt together, t − 1 learn nothing.

Research: Zheng et al., "Scalable and Privacy-Preserving Data Sharing Based on Blockchain",
J. Comput. Sci. Technol. 33(3), 2018, §2.2 and §4.2: data held by several parties is encrypted
under one Paillier public key whose private key a trusted CA splits among p parties, so that any
t of them can decrypt an aggregate and fewer cannot.

Written by hand because no maintained Python library offers threshold Paillier. The scheme is
Shoup's threshold RSA carried over to Paillier by Fouque, Poupard and Stern ("Sharing
decryption in the context of voting or lotteries", FC 2000) and Damgård and Jurik ("A
generalisation, a simplification and some applications of Paillier's probabilistic public-key
system", PKC 2001, §5), here with s = 1 and a trusted dealer:

* **Key generation** (:func:`generate_threshold_keypair`). Safe primes P = 2P' + 1 and
  Q = 2Q' + 1, n = PQ, m = P'Q'. The decryption exponent d satisfies d ≡ 0 (mod m) and
  d ≡ 1 (mod n). The dealer shares it on a random polynomial f of degree t − 1 over Z_{nm} with
  f(0) = d: party i gets s_i = f(i). A random square v of Z*_{n²} (a generator of the squares
  with overwhelming probability) and v_i = v^(Δ s_i), Δ = p!, are public verification keys.
* **Partial decryption** (:func:`partial_decrypt`): c_i = c^(2Δ s_i) mod n², with a
  non-interactive Chaum–Pedersen proof (Fiat–Shamir, SHA-256) that log_{c⁴}(c_i²) =
  log_v(v_i) (= Δ s_i): commitments a = (c⁴)^r and b = v^r, challenge e = H(statement, a, b),
  response z = r + e·Δ·s_i, r uniform with 128 bits of statistical slack over e·Δ·s_i.
* **Verification** (:func:`verify_partial`): (c⁴)^z = a · (c_i²)^e and v^z = b · v_i^e, with e
  recomputed, each up to a factor of order 2 (see below); :func:`verify_partials` checks the t
  proofs of one ciphertext in one batch and accepts exactly the same partials (but for a
  probability 2^-127). Only a :class:`VerifiedPartial` can reach :func:`combine`.
* **Combination** (:func:`combine`): for a set S of t parties, λ_i = Δ · Π_{j∈S∖i} j/(j − i)
  (an integer), c' = Π c_i^(2λ_i) = c^(4Δ² d) = (1 + n)^(4Δ² M), so
  M = L(c') · (4Δ²)^-1 mod n with L(u) = (u − 1)/n.

Ciphertexts are ordinary Paillier ciphertexts under g = n + 1: :attr:`ThresholdPublicKey.paillier`
is a ``phe.PaillierPublicKey`` and everything in :mod:`offchain.crypto.paillier` encrypts to it.

Speed: the partial and the proof's commitment share one comb table of c
(:mod:`offchain.crypto.modexp`), and v, whose powers every proof needs, has a table built once
per key. The combiner checks the t proofs of one ciphertext in one batch
(:func:`verify_partials`: one full-size exponentiation per base instead of one per proof) and
falls back to checking each alone only when the batch fails, to name the culprits. A batch of
partial decryptions (:func:`partial_decrypt_batch`) runs its full-size powers on a few threads
(:func:`~offchain.crypto.modexp.powmod_jobs`, GIL released). They are the floor of any protocol
that decrypts many ciphertexts: one exponent of about |n²| bits per ciphertext and party, since
the share s_i must hide d (≈ |n| + |m| bits). The dealer is trusted (the
paper's CA): it learns every share. A distributed key generation is out of scope.

Key material serialises to JSON; a party's file (:meth:`KeyShare.to_json`) holds its own share
and the public key only.

The proofs, batches and combination are written against :class:`ThresholdKey`, which
:class:`ThresholdPublicKey` and the (p, p) key of
:mod:`offchain.crypto.additive_threshold_paillier` (additive shares of a multiple of λ, a random
base g, partials of half the exponent) both implement: a :class:`KeyShare` of either works with
every function here, and :func:`public_key_from_dict` reads either from JSON.
"""

from __future__ import annotations

import abc
import hashlib
import json
import math
import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import gmpy2
import phe
from gmpy2 import mpz

from offchain.crypto.modexp import POWMOD_THREADS, Comb, FixedBase, multi_exp, powmod_jobs, product_of_powers
from offchain.crypto.primes import random_bits, random_unit, safe_prime
from offchain.errors import InvalidInputError, VerificationError
from offchain.validation import is_int, is_integer, parse_json, require_int

__all__ = [
    "CHALLENGE_BITS",
    "MAX_BATCH",
    "MAX_PARTIES",
    "BatchPartialDecryption",
    "InsufficientSharesError",
    "InvalidPartialError",
    "KeyShare",
    "PartialDecryption",
    "ThresholdKey",
    "ThresholdPublicKey",
    "VerifiedPartial",
    "combine",
    "combine_batch",
    "generate_threshold_keypair",
    "partial_decrypt",
    "partial_decrypt_batch",
    "public_key_from_dict",
    "random_square",
    "raw_combine",
    "safe_modulus",
    "threshold_decrypt",
    "verify_batch_partial",
    "verify_partial",
    "verify_partials",
]

#: Largest number of parties p (Δ = p! grows fast; 64! is 296 bits).
MAX_PARTIES = 64
#: Size of the Fiat–Shamir challenge e (SHA-256).
CHALLENGE_BITS = 256
_STATISTICAL_BITS = 128  # slack of the proof's mask r over e·Δ·s_i
_DOMAIN = b"datashare/threshold-paillier/partial/v1"
_BATCH_WEIGHT_BITS = 128  # small-exponents test with odd weights: soundness error 2^-127
_BATCH_DOMAIN = b"datashare/threshold-paillier/batch/v1"
#: Most ciphertexts one batched partial decryption covers.
MAX_BATCH = 4096
_V_COMB_ROWS = 12  # v's comb: 4,096 entries (2 MiB at 2048-bit keys), ~1/3 fewer steps than 8 rows


class InvalidPartialError(VerificationError):
    """Partial decryptions whose proofs failed, naming each party.

    Attributes:
        parties: The indices (from 1) of the parties whose partials were rejected.
    """

    def __init__(self, parties: Iterable[int], detail: str = "") -> None:
        self.parties = tuple(sorted(set(parties)))
        names = ", ".join(f"party {i}" for i in self.parties)
        super().__init__(f"rejected partial decryption from {names}" + (f": {detail}" if detail else ""))


class InsufficientSharesError(InvalidInputError):
    """Fewer than t distinct parties' partial decryptions were given."""


class ThresholdKey(abc.ABC):
    """What the partial decryptions, their proofs and their combination need of a threshold key.

    Two kinds share this module's proof and batch machinery: :class:`ThresholdPublicKey` (Shamir
    shares of d, any t of p decrypt) and
    :class:`~offchain.crypto.additive_threshold_paillier.AdditivePublicKey` (additive shares of
    a multiple of λ with a random base g, all p decrypt, half the exponent). For both, party i
    holds an integer witness w_i (Δ·s_i, or d_i) with v_i = v^(w_i); its partial is
    c_i = c^(2 w_i), proven by log_{c⁴}(c_i²) = log_v(v_i); the plaintext is
    L(Π c_i^(e_i)) · f mod n for the key's :meth:`combination_exponents` e_i and
    :attr:`combine_factor` f. Encryption (:meth:`encrypt`) is the key's own: g^m · u mod n².
    """

    n: int
    parties: int
    threshold: int
    v: int
    verification_keys: tuple[int, ...]
    _fixed: dict[str, Any]

    def _check_common(self) -> None:
        n = self.n
        if not is_int(n) or n % 2 == 0 or not 128 <= n.bit_length() <= 8192:
            raise InvalidInputError("n must be an odd int of 128 to 8192 bits")
        if not 1 <= self.threshold <= self.parties <= MAX_PARTIES:
            raise InvalidInputError(
                f"need 1 ≤ threshold ≤ parties ≤ {MAX_PARTIES}, got t = {self.threshold}, p = {self.parties}"
            )
        if len(self.verification_keys) != self.parties:
            raise InvalidInputError(f"{self.parties} parties need {self.parties} verification keys")
        nsquare = n * n
        for name, value in [("v", self.v), *((f"v_{i + 1}", x) for i, x in enumerate(self.verification_keys))]:
            require_int(value, f"verification key {name}")
            if not 1 < value < nsquare or gmpy2.gcd(value, n) != 1:
                raise InvalidInputError(f"verification key {name} is not a unit of Z*_(n²) other than 1")

    @cached_property
    def nsquare(self) -> mpz:
        """n²."""
        return mpz(self.n) * self.n

    @cached_property
    def ciphertext_bytes(self) -> int:
        """Bytes of a ciphertext (or any value mod n²) written at fixed width, big-endian."""
        return (int(self.nsquare).bit_length() + 7) // 8

    @property
    @abc.abstractmethod
    def mask_bits(self) -> int:
        """Size of the proof's mask r: bits of the largest witness + challenge + statistical bits."""

    @abc.abstractmethod
    def witness(self, share: int) -> mpz:
        """The discrete log w_i of v_i for a party's share (its partial is c^(2 w_i))."""

    @abc.abstractmethod
    def share_bound(self, index: int) -> int:
        """Party ``index``'s share lies in [0, bound)."""

    @abc.abstractmethod
    def combination_exponents(self, indices: Sequence[int]) -> dict[int, int]:
        """The exponent of each party's partial in the combination (parties ``indices``)."""

    @property
    @abc.abstractmethod
    def combine_factor(self) -> mpz:
        """f with M = L(Π c_i^(e_i)) · f mod n."""

    @abc.abstractmethod
    def plaintext_power(self, message: int | mpz) -> mpz:
        """g^m mod n² for a signed m (|m| < n/2): the noiseless encryption of m."""

    @abc.abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (integers in hex, a ``kind`` naming the key type)."""

    def encrypt(self, message: int | mpz, noise: int | mpz | None = None) -> mpz:
        """E(m) = g^m · u mod n² for a signed m (|m| < n/2) and u a noise r^n (or a
        re-randomiser of :class:`~offchain.crypto.joint_comparison.SubgroupNoise`), used once;
        a fresh r^n if ``noise`` is None."""
        nsquare = self.nsquare
        u = gmpy2.powmod(random_unit(mpz(self.n)), self.n, nsquare) if noise is None else mpz(noise)
        return self.plaintext_power(message) * u % nsquare

    def fixed_v(self) -> FixedBase:
        """v with comb tables (built on first use, then kept with the key): every proof and
        every verification raises v to a large exponent, so its table is large (2^12)."""
        base = self._fixed.get("v")
        if base is None:
            base = self._fixed["v"] = FixedBase(self.v, self.nsquare, rows=_V_COMB_ROWS)
        return base  # type: ignore[no-any-return]

    def fixed_verification_key(self, index: int) -> FixedBase:
        """v_i with comb tables (for the verifier's short powers v_i^(−e))."""
        key = f"v{index}"
        base = self._fixed.get(key)
        if base is None:
            base = self._fixed[key] = FixedBase(self.verification_key(index), self.nsquare)
        return base  # type: ignore[no-any-return]

    def verification_key(self, index: int) -> int:
        """v_i of party ``index`` (1..p)."""
        self.check_index(index)
        return self.verification_keys[index - 1]

    def check_index(self, index: int) -> None:
        """Raise unless ``index`` names a party (1..p)."""
        if not is_int(index) or not 1 <= index <= self.parties:
            raise InvalidInputError(f"party index must be in 1..{self.parties}, got {index!r}")

    def check_ciphertext(self, ciphertext: int) -> mpz:
        """The ciphertext as an mpz after checking it is a unit of Z*_(n²)."""
        if not is_integer(ciphertext):
            raise InvalidInputError(f"a ciphertext must be an int, got {type(ciphertext).__name__}")
        c = mpz(ciphertext)
        if not 0 < c < self.nsquare or gmpy2.gcd(c, self.n) != 1:
            raise InvalidInputError("a ciphertext must be a unit of Z*_(n²)")
        return c

    def to_json(self) -> str:
        """The public key as JSON."""
        return json.dumps(self.to_dict())


def public_key_from_dict(data: Any) -> ThresholdKey:
    """The public key of either kind from its :meth:`ThresholdKey.to_dict` (dispatch on ``kind``).

    Raises:
        InvalidInputError: Unknown kind, or a field is missing or malformed.
    """
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind == "threshold-paillier-public":
        return ThresholdPublicKey.from_dict(data)
    from offchain.crypto.additive_threshold_paillier import KIND as ADDITIVE_KIND
    from offchain.crypto.additive_threshold_paillier import AdditivePublicKey

    if kind == ADDITIVE_KIND:
        return AdditivePublicKey.from_dict(data)
    raise InvalidInputError(f"not a threshold Paillier public key (kind {kind!r})")


@dataclass(frozen=True, eq=False)
class ThresholdPublicKey(ThresholdKey):
    """The public part of a (p, t)-threshold Paillier key (Shamir shares).

    Attributes:
        n: The Paillier modulus (product of two safe primes).
        parties: p, the number of key shares.
        threshold: t, how many partial decryptions decrypt.
        v: The verification base, a square of Z*_{n²}.
        verification_keys: v_i = v^(Δ s_i) for i = 1..p (index i − 1).
    """

    n: int
    parties: int
    threshold: int
    v: int
    verification_keys: tuple[int, ...]
    _fixed: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._check_common()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ThresholdPublicKey):
            return NotImplemented
        return (self.n, self.parties, self.threshold, self.v, self.verification_keys) == (
            other.n,
            other.parties,
            other.threshold,
            other.v,
            other.verification_keys,
        )

    def __hash__(self) -> int:
        return hash((self.n, self.threshold, self.v))

    @cached_property
    def delta(self) -> int:
        """Δ = p!."""
        return math.factorial(self.parties)

    @cached_property
    def paillier(self) -> phe.PaillierPublicKey:
        """The same key as a ``phe.PaillierPublicKey`` (g = n + 1), for encryption."""
        return phe.PaillierPublicKey(self.n)

    @cached_property
    def combine_factor(self) -> mpz:
        """(4Δ²)^-1 mod n."""
        return gmpy2.invert(mpz(4) * self.delta * self.delta, self.n)

    @cached_property
    def mask_bits(self) -> int:
        """Size of the proof's mask r: |Δ·nm| + challenge + statistical bits."""
        share_bits = 2 * self.n.bit_length() + self.delta.bit_length()  # Δ s_i < Δ·n·m < Δ·n²
        return share_bits + CHALLENGE_BITS + _STATISTICAL_BITS

    def witness(self, share: int) -> mpz:
        """Δ·s_i (v_i = v^(Δ s_i))."""
        return self.delta * mpz(share)

    def share_bound(self, index: int) -> int:
        """n² (shares are residues mod nm)."""
        return int(self.nsquare)

    def combination_exponents(self, indices: Sequence[int]) -> dict[int, int]:
        """2λ_i, λ_i the integer Lagrange coefficients at 0 scaled by Δ."""
        return {i: 2 * lam for i, lam in _lagrange_at_zero(indices, self.delta).items()}

    def plaintext_power(self, message: int | mpz) -> mpz:
        """(1 + n)^m = 1 + (m mod n)·n mod n²."""
        n = mpz(self.n)
        return (1 + mpz(message) % n * n) % self.nsquare

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (integers in hex)."""
        return {
            "kind": "threshold-paillier-public",
            "n": format(self.n, "x"),
            "parties": self.parties,
            "threshold": self.threshold,
            "v": format(self.v, "x"),
            "verification_keys": [format(x, "x") for x in self.verification_keys],
        }

    @classmethod
    def from_dict(cls, data: Any) -> ThresholdPublicKey:
        """The key of :meth:`to_dict` (every field checked).

        Raises:
            InvalidInputError: A field is missing or malformed.
        """
        if not isinstance(data, dict) or data.get("kind") != "threshold-paillier-public":
            raise InvalidInputError("not a threshold Paillier public key")
        try:
            return cls(
                n=int(data["n"], 16),
                parties=require_int(data["parties"], "parties"),
                threshold=require_int(data["threshold"], "threshold"),
                v=int(data["v"], 16),
                verification_keys=tuple(int(x, 16) for x in data["verification_keys"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"threshold Paillier public key: missing or malformed field ({exc})") from exc

    @classmethod
    def from_json(cls, text: str) -> ThresholdPublicKey:
        """The key of :meth:`to_json`."""
        return cls.from_dict(_parse_json(text))


def _parse_json(text: str) -> Any:
    try:
        return parse_json(text)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"invalid JSON: {exc}") from exc


@dataclass(frozen=True, eq=False)
class KeyShare:
    """Party ``index``'s share s_i of the decryption exponent, with the public key.

    Keep it secret: t shares decrypt everything.
    """

    public_key: ThresholdKey
    index: int
    share: int = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.public_key, ThresholdKey):
            raise InvalidInputError(f"a key share needs a ThresholdKey, got {type(self.public_key).__name__}")
        self.public_key.check_index(self.index)
        if not is_integer(self.share):
            raise InvalidInputError(f"a key share must be an int, got {type(self.share).__name__}")
        bound = self.public_key.share_bound(self.index)
        if not 0 <= self.share < bound:
            raise InvalidInputError(f"key share {self.index} must be in [0, 2^{bound.bit_length() - 1}]")

    @property
    def witness(self) -> mpz:
        """w_i = log_v(v_i) (Δ·s_i or d_i): the partial is c^(2 w_i)."""
        return self.public_key.witness(self.share)

    def matches_verification_key(self) -> bool:
        """Whether v^(w_i) equals the published v_i (a share file's self-check)."""
        pk = self.public_key
        return bool(pk.fixed_v().pow(self.witness) == pk.verification_key(self.index))

    def to_json(self) -> str:
        """The party's file: its own share and the public key, nothing else."""
        return json.dumps(
            {
                "kind": "threshold-paillier-share",
                "index": self.index,
                "share": format(self.share, "x"),
                "public_key": self.public_key.to_dict(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> KeyShare:
        """The share of :meth:`to_json`, checked against its verification key.

        Raises:
            InvalidInputError: Malformed, or the share does not match v_i.
        """
        data = _parse_json(text)
        if not isinstance(data, dict) or data.get("kind") != "threshold-paillier-share":
            raise InvalidInputError("not a threshold Paillier key share")
        try:
            share = cls(
                public_key_from_dict(data["public_key"]),
                require_int(data["index"], "index"),
                int(data["share"], 16),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"threshold Paillier key share: missing or malformed field ({exc})") from exc
        if not share.matches_verification_key():
            raise InvalidInputError(f"key share {share.index} does not match its published verification key")
        return share


@dataclass(frozen=True)
class PartialDecryption:
    """Party ``index``'s c_i = c^(2Δ s_i) with its proof, as sent to the combiner.

    The proof is in commitment form: a = (c⁴)^r, b = v^r and z = r + e·Δ·s_i, where the
    challenge e = H(statement, a, b) is recomputed by the verifier. Unverified: pass it to
    :func:`verify_partial`, :func:`verify_partials` or :func:`threshold_decrypt`.
    """

    index: int
    value: int
    commitment_c: int
    commitment_v: int
    response: int

    def __post_init__(self) -> None:
        for name in ("index", "value", "commitment_c", "commitment_v", "response"):
            value = getattr(self, name)
            if not is_integer(value):
                raise InvalidInputError(f"partial decryption field {name} must be an int, got {type(value).__name__}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (integers in hex)."""
        return {
            "index": self.index,
            "value": format(self.value, "x"),
            "commitment_c": format(self.commitment_c, "x"),
            "commitment_v": format(self.commitment_v, "x"),
            "response": format(self.response, "x"),
        }

    @classmethod
    def from_dict(cls, data: Any) -> PartialDecryption:
        """The partial of :meth:`to_dict`.

        Raises:
            InvalidInputError: A field is missing or malformed.
        """
        if not isinstance(data, dict):
            raise InvalidInputError(f"a partial decryption is a JSON object, got {type(data).__name__}")
        try:
            return cls(
                require_int(data["index"], "index"),
                int(data["value"], 16),
                int(data["commitment_c"], 16),
                int(data["commitment_v"], 16),
                int(data["response"], 16),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"partial decryption: missing or malformed field ({exc!r})") from None


@dataclass(frozen=True)
class VerifiedPartial:
    """A partial decryption whose proof verified for ``ciphertext``; made by :func:`verify_partial`."""

    index: int
    value: int
    ciphertext: int


def generate_threshold_keypair(
    bits: int = 2048,
    parties: int = 5,
    threshold: int = 3,
    *,
    rng: random.Random | None = None,
) -> tuple[ThresholdPublicKey, list[KeyShare]]:
    """The dealer's key generation: a public key and one share per party (§4.2, the CA).

    Args:
        bits: Size of n (two safe primes of bits/2); at least 512 (below 2048 for tests only).
        parties: p.
        threshold: t, 1 ≤ t ≤ p.
        rng: A seeded generator for reproducible test keys only; ``secrets`` by default.

    Returns:
        The public key and the shares of parties 1..p, in order.

    Raises:
        InvalidInputError: Bad sizes or counts.
    """
    if not is_int(bits) or bits < 512 or bits % 2:
        raise InvalidInputError(f"key size must be an even int of at least 512 bits, got {bits!r}")
    for name, value in (("parties", parties), ("threshold", threshold)):
        require_int(value, name)
    if not 1 <= threshold <= parties <= MAX_PARTIES:
        raise InvalidInputError(f"need 1 ≤ threshold ≤ parties ≤ {MAX_PARTIES}, got t = {threshold}, p = {parties}")
    n, m = safe_modulus(bits, rng)
    nm = n * m
    d = m * gmpy2.invert(m, n)  # d ≡ 0 (mod m), d ≡ 1 (mod n)
    coefficients = [d] + [_uniform_below(nm, rng) for _ in range(threshold - 1)]
    shares = [_evaluate(coefficients, i, nm) for i in range(1, parties + 1)]
    v = random_square(n, rng)
    delta = math.factorial(parties)
    public = ThresholdPublicKey(int(n), parties, threshold, int(v), (int(v),) * parties)  # v_i below
    v_fixed = public.fixed_v()
    verification = tuple(int(v_fixed.pow(delta * s)) for s in shares)
    public = ThresholdPublicKey(int(n), parties, threshold, int(v), verification, {"v": v_fixed})
    return public, [KeyShare(public, i + 1, int(s)) for i, s in enumerate(shares)]


def safe_modulus(bits: int, rng: random.Random | None = None) -> tuple[mpz, mpz]:
    """n = PQ of two distinct safe primes of bits/2 (n exactly ``bits`` bits), and m = P'Q'."""
    while True:
        p = safe_prime(bits // 2, rng)
        q = safe_prime(bits // 2, rng)
        n = p * q
        if p != q and n.bit_length() == bits and gmpy2.gcd(n, (p - 1) * (q - 1)) == 1:
            return n, (p // 2) * (q // 2)


def random_square(n: mpz, rng: random.Random | None = None) -> mpz:
    """A random square of Z*_(n²) other than 1 (the verification base v)."""
    nsquare = n * n
    while True:
        r = _uniform_below(nsquare, rng)
        if r > 1 and gmpy2.gcd(r, n) == 1:
            return r * r % nsquare


def _uniform_below(bound: mpz | int, rng: random.Random | None) -> mpz:
    bound = mpz(bound)
    if rng is not None:
        return mpz(rng.randrange(int(bound)))
    return mpz(secrets.randbelow(int(bound)))


def _evaluate(coefficients: Sequence[mpz], x: int, modulus: mpz) -> mpz:
    acc = mpz(0)
    for a in reversed(coefficients):
        acc = (acc * x + a) % modulus
    return acc


def _challenge(pk: ThresholdKey, index: int, c4: mpz, ci2: mpz, a: mpz, b: mpz) -> int:
    width = pk.ciphertext_bytes
    h = hashlib.sha256(_DOMAIN)
    h.update(index.to_bytes(2, "big"))
    for value in (pk.n, pk.v, pk.verification_key(index), c4, ci2, a, b):
        h.update(int(value).to_bytes(width, "big"))
    return int.from_bytes(h.digest(), "big")


def partial_decrypt(share: KeyShare, ciphertext: int) -> PartialDecryption:
    """Party i's partial decryption c^(2Δ s_i) mod n² with its equality-of-logs proof.

    Raises:
        InvalidInputError: The ciphertext is not a unit of Z*_(n²).
    """
    pk = share.public_key
    nsquare = pk.nsquare
    c = pk.check_ciphertext(ciphertext)
    exponent = 2 * share.witness  # c_i = c^(2 w_i), w_i = Δ s_i (Shamir) or d_i (additive)
    r = random_bits(pk.mask_bits)
    # One comb of c serves both c^(2Δ s_i) and the commitment c^(4r) (shared squarings per table).
    comb = Comb(c, nsquare, max(int(gmpy2.bit_length(exponent)), pk.mask_bits + 2))
    ci = _comb_pow(comb, exponent)
    a = _comb_pow(comb, 4 * r)  # (c⁴)^r
    b = pk.fixed_v().pow(r)
    c4 = gmpy2.powmod(c, 4, nsquare)
    e = _challenge(pk, share.index, c4, ci * ci % nsquare, a, b)
    z = r + e * share.witness
    return PartialDecryption(share.index, int(ci), int(a), int(b), int(z))


def _comb_pow(comb: Comb, exponent: mpz) -> mpz:
    modulus = comb.modulus
    digits = comb.digits(exponent)
    acc = mpz(1)
    for column in range(comb.columns - 1, -1, -1):
        acc = acc * acc % modulus
        digit = digits[column]
        if digit:
            acc = acc * comb.table[digit] % modulus
    return acc


@dataclass(frozen=True)
class _Statement:
    """A partial's values after the range checks, with its recomputed challenge."""

    index: int
    ci2: mpz
    a: mpz
    b: mpz
    z: mpz
    e: mpz


def _check_ranges(pk: ThresholdKey, index: int, units: Iterable[tuple[str, int]], response: int) -> mpz:
    """Party ``index``'s named values must be units of Z*_(n²) and its response in range; the response."""
    for name, value in units:
        if not 0 < value < pk.nsquare or gmpy2.gcd(value, pk.n) != 1:
            raise InvalidPartialError([index], f"{name} is not a unit of Z*_(n²)")
    z = mpz(response)
    if not 0 <= z < (mpz(1) << (pk.mask_bits + 1)):
        raise InvalidPartialError([index], "the proof's response is out of range")
    return z


def _proof_holds(pk: ThresholdKey, index: int, c4: mpz, ci2: mpz, a: mpz, b: mpz, z: mpz, e: mpz) -> bool:
    """(c⁴)^z = a·(c_i²)^e and v^z = b·v_i^e, both compared squared (see :func:`verify_partial`)."""
    nsquare = pk.nsquare
    lhs_c = multi_exp(nsquare, [(c4, z), (ci2, -e)])
    lhs_v = multi_exp(nsquare, [(pk.fixed_v(), z), (pk.fixed_verification_key(index), -e)])
    return bool(lhs_c * lhs_c % nsquare == a * a % nsquare and lhs_v * lhs_v % nsquare == b * b % nsquare)


def _statement(pk: ThresholdKey, c4: mpz, partial: PartialDecryption) -> _Statement:
    """Range-check a partial's values and recompute its challenge (raises naming the party)."""
    if not isinstance(partial, PartialDecryption):
        raise InvalidInputError(f"expected a PartialDecryption, got {type(partial).__name__}")
    pk.check_index(partial.index)
    nsquare = pk.nsquare
    units = (("c_i", partial.value), ("a", partial.commitment_c), ("b", partial.commitment_v))
    z = _check_ranges(pk, partial.index, units, partial.response)
    ci = mpz(partial.value)
    ci2 = ci * ci % nsquare
    a, b = mpz(partial.commitment_c), mpz(partial.commitment_v)
    return _Statement(partial.index, ci2, a, b, z, mpz(_challenge(pk, partial.index, c4, ci2, a, b)))


def verify_partial(public_key: ThresholdKey, ciphertext: int, partial: PartialDecryption) -> VerifiedPartial:
    """Check party i's proof that c_i² = c^(4Δ s_i) for the s_i behind its published v_i.

    Checks (c⁴)^z = τ · a · (c_i²)^e and v^z = τ' · b · v_i^e with e = H(statement, a, b), for
    some τ, τ' of order at most 2 (τ² = τ'² = 1), by comparing both sides squared. Z*_(n²) is
    the direct product of its squares G (odd order n·p'q', prime factors of about |n|/2 bits)
    and the four square roots of 1, so the squared equations are the Chaum–Pedersen equations
    in G for the commitments a², b²; since c⁴, c_i², v and v_i lie in G and squaring is a
    bijection of G, they prove c_i² = (c⁴)^(Δ s_i) exactly as the unsquared ones would. What the
    factor forgives is a commitment multiplied by −1 (or by a non-trivial root of 1, which only
    whoever knows the factors of n can compute): harmless, because the statement is unchanged and
    :func:`combine` uses c_i only squared. It is there so that this check and the batch check
    (:func:`verify_partials`, which cannot see such factors) accept the same partials, and a
    party's verdict never depends on whether another party cheated in the same batch.
    To check several partials of one ciphertext, :func:`verify_partials` is ~2× faster.

    Raises:
        InvalidPartialError: The proof does not verify, or a value is out of range; names the party.
        InvalidInputError: The ciphertext is not a unit, or the index names no party.
    """
    pk = public_key
    c = pk.check_ciphertext(ciphertext)
    nsquare = pk.nsquare
    c4 = gmpy2.powmod(c, 4, nsquare)
    st = _statement(pk, c4, partial)
    if not _proof_holds(pk, st.index, c4, st.ci2, st.a, st.b, st.z, st.e):
        raise InvalidPartialError([partial.index], "the equality-of-logarithms proof does not verify")
    return VerifiedPartial(partial.index, partial.value, int(c))


def verify_partials(
    public_key: ThresholdKey, ciphertext: int, partials: Sequence[PartialDecryption]
) -> list[VerifiedPartial]:
    """Check several parties' partials of one ciphertext at once; name every one that fails.

    Batch check (Bellare, Garay, Rabin, "Fast batch verification for modular exponentiation
    and digital signatures", EUROCRYPT '98, the small-exponents test): with secret random odd
    128-bit weights w_i, drawn here after the partials are fixed, (c⁴)^(Σ w_i z_i) =
    Π a_i^(w_i) (c_i²)^(w_i e_i) and likewise for v, both compared squared.

    Exactly what it accepts: write ε_i = (c⁴)^(z_i) · a_i^(−1) · (c_i²)^(−e_i) for partial i's
    error in the c-equation (1 for an honest proof; likewise for v). The batch computes
    Π ε_i^(w_i) and accepts iff its square is 1, i.e. iff Π (ε_i²)^(w_i) = 1 in the squares G
    of Z*_(n²), whose order n·p'q' has only prime factors of about |n|/2 bits (> 128). If some
    ε_j² ≠ 1, the 2^127 possible odd w_j are distinct modulo its order, so at most one of them
    passes: probability ≤ 2^-127. Hence, but for that probability, the batch accepts iff every
    ε_i² = 1 — exactly :func:`verify_partial`'s condition (each error of order at most 2).
    In particular it does **not** forgive errors that cancel across shares (a wrong c_1 whose
    error a colluding party 2 offsets in its own commitment: with distinct secret weights
    the errors no longer cancel), nor a wrong c_i in a batch of one (checked alone). Before
    issue 12 the single check compared unsquared values, so the batch alone forgave a
    commitment multiplied by −1; harmless (see :func:`verify_partial`), but it made a party's
    verdict depend on the others: accepted in a clean batch, named by the fallback when another
    party cheated. Both checks now test the same relation.

    When the batch fails, each partial is checked alone (:func:`verify_partial`) to name the culprits.

    Raises:
        InvalidPartialError: Naming every party whose partial does not verify.
    """
    pk = public_key
    c = pk.check_ciphertext(ciphertext)
    if isinstance(partials, str | bytes) or not isinstance(partials, Sequence):
        raise InvalidInputError(f"partials must be a sequence of PartialDecryption, got {type(partials).__name__}")
    for partial in partials:
        if not isinstance(partial, PartialDecryption):
            raise InvalidInputError(f"expected a PartialDecryption, got {type(partial).__name__}")
    if len(partials) <= 1:
        return [verify_partial(pk, int(c), p) for p in partials]
    nsquare = pk.nsquare
    c4 = gmpy2.powmod(c, 4, nsquare)
    statements, bad = [], []
    for partial in partials:
        try:
            statements.append(_statement(pk, c4, partial))
        except InvalidPartialError:
            bad.append(partial.index)
    if not bad:
        weights = [mpz(secrets.randbits(_BATCH_WEIGHT_BITS) | 1) for _ in statements]
        total = sum((w * st.z for w, st in zip(weights, statements, strict=True)), mpz(0))
        terms_c: list[tuple[FixedBase | mpz | int, int | mpz]] = [(c4, total)]
        terms_v: list[tuple[FixedBase | mpz | int, int | mpz]] = [(pk.fixed_v(), total)]
        for w, st in zip(weights, statements, strict=True):
            terms_c += [(st.a, -w), (st.ci2, -w * st.e)]
            terms_v += [(st.b, -w), (pk.fixed_verification_key(st.index), -w * st.e)]
        check_c, check_v = multi_exp(nsquare, terms_c), multi_exp(nsquare, terms_v)
        if check_c * check_c % nsquare == 1 and check_v * check_v % nsquare == 1:
            return [VerifiedPartial(p.index, p.value, int(c)) for p in partials]
    for partial in partials:  # name the culprits
        try:
            verify_partial(pk, int(c), partial)
        except InvalidPartialError:
            bad.append(partial.index)
    raise InvalidPartialError(bad)


def _lagrange_at_zero(indices: Sequence[int], delta: int) -> dict[int, int]:
    """λ_i = Δ · Π_{j≠i} j / (j − i), exact integers (Δ = p! clears every denominator)."""
    coefficients = {}
    for i in indices:
        numerator, denominator = delta, 1
        for j in indices:
            if j != i:
                numerator *= j
                denominator *= j - i
        quotient, remainder = divmod(numerator, denominator)
        if remainder:
            raise AssertionError("Δ·Π j/(j−i) is always an integer")  # pragma: no cover
        coefficients[i] = quotient
    return coefficients


def raw_combine(public_key: ThresholdKey, partials: Sequence[PartialDecryption | VerifiedPartial]) -> int:
    """Combine the given partials, whatever their number, without checking anything: L(Π c_i^(e_i))·f
    for the key's :meth:`~ThresholdKey.combination_exponents` e_i (2λ_i, Lagrange, for Shamir
    shares; 1 for additive shares) and :attr:`~ThresholdKey.combine_factor` f.

    With t or more valid partials of one ciphertext this is its plaintext; with fewer it is an
    unrelated residue. Use :func:`combine` or :func:`threshold_decrypt`.
    """
    pk = public_key
    nsquare = pk.nsquare
    exponents = pk.combination_exponents([p.index for p in partials])
    acc = mpz(1)
    for partial in partials:
        acc = acc * gmpy2.powmod(mpz(partial.value), exponents[partial.index], nsquare) % nsquare
    return int((acc - 1) // pk.n * pk.combine_factor % pk.n)


def combine(public_key: ThresholdKey, partials: Sequence[VerifiedPartial]) -> int:
    """The plaintext residue (in [0, n)) from t verified partials of one ciphertext.

    Uses the first t distinct parties given.

    Raises:
        InsufficientSharesError: Fewer than t distinct parties.
        InvalidInputError: An unverified partial, or partials of different ciphertexts.
    """
    if isinstance(partials, str | bytes) or not isinstance(partials, Iterable):
        raise InvalidInputError(f"partials must be a sequence of VerifiedPartial, got {type(partials).__name__}")
    chosen: dict[int, VerifiedPartial] = {}
    for partial in partials:
        if not isinstance(partial, VerifiedPartial):
            raise InvalidInputError("combine takes verified partials only: call verify_partial first")
        chosen.setdefault(partial.index, partial)
    if len({p.ciphertext for p in chosen.values()}) > 1:
        raise InvalidInputError("partials of different ciphertexts cannot be combined")
    if len(chosen) < public_key.threshold:
        raise InsufficientSharesError(
            f"need partial decryptions from {public_key.threshold} distinct parties, got {len(chosen)}"
        )
    selected = sorted(chosen.values(), key=lambda p: p.index)[: public_key.threshold]
    return raw_combine(public_key, selected)


def threshold_decrypt(public_key: ThresholdKey, ciphertext: int, partials: Sequence[PartialDecryption]) -> int:
    """Verify every partial (:func:`verify_partials`), then combine t of them: the plaintext
    residue in [0, n).

    Raises:
        InvalidPartialError: One or more proofs failed; ``parties`` names them all.
        InsufficientSharesError: Fewer than t distinct parties were given.
    """
    return combine(public_key, verify_partials(public_key, ciphertext, partials))


# -- Batched partial decryptions: one proof for many ciphertexts ------------------------------


@dataclass(frozen=True)
class BatchPartialDecryption:
    """Party ``index``'s partials c_ij = c_j^(2Δ s_i) of several ciphertexts, with one proof.

    The proof is a Chaum–Pedersen proof (commitment form, as in :class:`PartialDecryption`)
    that log_{C⁴}(C_i²) = log_v(v_i) for the combinations C = Π c_j^(w_j) and
    C_i = Π c_ij^(w_j), whose weights w_j are hashed from the ciphertexts and the partials
    (:func:`partial_decrypt_batch` says why that proves every c_ij). Unverified: pass it to
    :func:`verify_batch_partial`.
    """

    index: int
    values: tuple[int, ...]
    commitment_c: int
    commitment_v: int
    response: int

    def __post_init__(self) -> None:
        for name in ("index", "commitment_c", "commitment_v", "response"):
            value = getattr(self, name)
            if not is_integer(value):
                raise InvalidInputError(f"batch partial field {name} must be an int, got {type(value).__name__}")
        if not isinstance(self.values, tuple) or not self.values:
            raise InvalidInputError("a batch partial needs a non-empty tuple of values")
        if len(self.values) > MAX_BATCH:
            raise InvalidInputError(f"a batch partial covers at most {MAX_BATCH} ciphertexts, got {len(self.values)}")
        for value in self.values:
            if not is_integer(value):
                raise InvalidInputError(f"batch partial values must be ints, got {type(value).__name__}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (integers in hex)."""
        return {
            "index": self.index,
            "values": [format(v, "x") for v in self.values],
            "commitment_c": format(self.commitment_c, "x"),
            "commitment_v": format(self.commitment_v, "x"),
            "response": format(self.response, "x"),
        }

    @classmethod
    def from_dict(cls, data: Any) -> BatchPartialDecryption:
        """The batch partial of :meth:`to_dict`.

        Raises:
            InvalidInputError: A field is missing or malformed.
        """
        if not isinstance(data, dict):
            raise InvalidInputError(f"a batch partial decryption is a JSON object, got {type(data).__name__}")
        values = data.get("values")
        if not isinstance(values, list):
            raise InvalidInputError("batch partial decryption: values must be a list of hex strings")
        try:
            return cls(
                require_int(data["index"], "index"),
                tuple(int(v, 16) for v in values),
                int(data["commitment_c"], 16),
                int(data["commitment_v"], 16),
                int(data["response"], 16),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"batch partial decryption: missing or malformed field ({exc!r})") from None


def _check_batch(pk: ThresholdKey, ciphertexts: Sequence[int]) -> list[mpz]:
    if isinstance(ciphertexts, str | bytes) or not isinstance(ciphertexts, Sequence):
        raise InvalidInputError(f"ciphertexts must be a sequence of ints, got {type(ciphertexts).__name__}")
    if not 1 <= len(ciphertexts) <= MAX_BATCH:
        raise InvalidInputError(f"a batch holds 1 to {MAX_BATCH} ciphertexts, got {len(ciphertexts)}")
    return [pk.check_ciphertext(c) for c in ciphertexts]


def _batch_weights(pk: ThresholdKey, index: int, cs: Sequence[mpz], cis: Sequence[mpz]) -> tuple[bytes, list[mpz]]:
    """The seed binding (key, party, every c_j, every c_ij) and the odd 128-bit weights from it."""
    width = pk.ciphertext_bytes
    h = hashlib.sha256(_BATCH_DOMAIN)
    h.update(index.to_bytes(2, "big") + len(cs).to_bytes(4, "big"))
    for value in (pk.n, pk.v, pk.verification_key(index), *cs, *cis):
        h.update(int(value).to_bytes(width, "big"))
    seed = h.digest()
    weights = []
    for j in range(len(cs)):
        block = hashlib.sha256(seed + j.to_bytes(4, "big")).digest()[: _BATCH_WEIGHT_BITS // 8]
        weights.append(mpz(int.from_bytes(block, "big") | 1))
    return seed, weights


def _batch_bases(pk: ThresholdKey, cs: Sequence[mpz], cis: Sequence[mpz], weights: Sequence[mpz]) -> tuple[mpz, mpz]:
    """C⁴ and C_i² for C = Π c_j^(w_j), C_i = Π c_ij^(w_j)."""
    nsquare = pk.nsquare
    c_acc, ci_acc = product_of_powers(nsquare, cs, weights), product_of_powers(nsquare, cis, weights)
    return gmpy2.powmod(c_acc, 4, nsquare), ci_acc * ci_acc % nsquare


def partial_decrypt_batch(share: KeyShare, ciphertexts: Sequence[int]) -> BatchPartialDecryption:
    """Party i's partials of ``ciphertexts`` with one proof for all of them.

    The batched equality-of-logarithms proof (the "batched DLEQ" of Henry's thesis and of
    Privacy Pass, Davidson et al. PETS 2018 §3.3, over the squares G of Z*_(n²) as in
    :func:`verify_partial`): with weights w_j hashed from the key, the party, every c_j and
    every c_ij (so fixed only after the partials are), the party proves
    log_{C⁴}(C_i²) = log_v(v_i) for C = Π c_j^(w_j), C_i = Π c_ij^(w_j). Why that proves every
    partial: write ε_j = c_ij² · (c_j⁴)^(−Δ s_i) ∈ G; then C_i² = (C⁴)^(Δ s_i) · Π ε_j^(w_j), so
    the proof holds only if Π ε_j^(w_j) = 1. If some ε_j ≠ 1, its order is a product of primes
    of about |n|/2 bits (the order of G is n·p'q'), so for any fixed other weights at most one
    odd 128-bit w_j makes the product 1: a prover who tries Q hashings succeeds with
    probability at most Q · 2^-127 (random-oracle model). The weights must be fixed after the
    partials: weights hashed from the ciphertexts alone would be the same for every prover (so a
    verifier would form C once per round, not once per prover), but a prover would know them
    before choosing its partials, and c_i0·x^(w_1), c_i1·x^(−w_0) for any square x make
    Π ε_j^(w_j) = 1 with two wrong partials: unsound (a test shows the forgery). The cost is one
    full-size exponentiation per ciphertext (the partials themselves) plus one proof, instead of
    one proof per ciphertext.

    Raises:
        InvalidInputError: Not 1..:data:`MAX_BATCH` ciphertexts, or one is not a unit of Z*_(n²).
    """
    pk = share.public_key
    nsquare = pk.nsquare
    cs = _check_batch(pk, ciphertexts)
    exponent = 2 * share.witness
    chunk = -(-len(cs) // POWMOD_THREADS)  # one job per thread: the GIL is released meanwhile
    cis = [
        ci
        for out in powmod_jobs(nsquare, [(cs[k : k + chunk], exponent) for k in range(0, len(cs), chunk)])
        for ci in out
    ]
    seed, weights = _batch_weights(pk, share.index, cs, cis)
    c4, ci2 = _batch_bases(pk, cs, cis, weights)
    r = random_bits(pk.mask_bits)
    a = gmpy2.powmod(c4, r, nsquare)
    b = pk.fixed_v().pow(r)
    e = _batch_challenge(pk, share.index, seed, c4, ci2, a, b)
    z = r + e * share.witness
    return BatchPartialDecryption(share.index, tuple(int(ci) for ci in cis), int(a), int(b), int(z))


def _batch_challenge(pk: ThresholdKey, index: int, seed: bytes, c4: mpz, ci2: mpz, a: mpz, b: mpz) -> int:
    h = hashlib.sha256(_BATCH_DOMAIN + b"/challenge" + seed)
    h.update(_challenge(pk, index, c4, ci2, a, b).to_bytes(32, "big"))
    return int.from_bytes(h.digest(), "big")


def verify_batch_partial(
    public_key: ThresholdKey, ciphertexts: Sequence[int], partial: BatchPartialDecryption
) -> list[VerifiedPartial]:
    """Check one party's batched partials of ``ciphertexts`` (see :func:`partial_decrypt_batch`).

    Accepts up to a factor of order 2 in each commitment and partial, as :func:`verify_partial`
    does (both sides compared squared; :func:`combine` uses partials only squared).

    Returns:
        One :class:`VerifiedPartial` per ciphertext, in order, for :func:`combine_batch`.

    Raises:
        InvalidPartialError: Naming the party: a value out of range, the wrong number of
            partials, or a proof that does not verify.
        InvalidInputError: The ciphertexts are malformed, or the index names no party.
    """
    pk = public_key
    cs = _check_batch(pk, ciphertexts)
    if not isinstance(partial, BatchPartialDecryption):
        raise InvalidInputError(f"expected a BatchPartialDecryption, got {type(partial).__name__}")
    pk.check_index(partial.index)
    if len(partial.values) != len(cs):
        raise InvalidPartialError([partial.index], f"{len(partial.values)} partials for {len(cs)} ciphertexts")
    units = (
        *((f"c_i[{j}]", v) for j, v in enumerate(partial.values)),
        ("a", partial.commitment_c),
        ("b", partial.commitment_v),
    )
    z = _check_ranges(pk, partial.index, units, partial.response)
    cis = [mpz(v) for v in partial.values]
    seed, weights = _batch_weights(pk, partial.index, cs, cis)
    c4, ci2 = _batch_bases(pk, cs, cis, weights)
    a, b = mpz(partial.commitment_c), mpz(partial.commitment_v)
    e = mpz(_batch_challenge(pk, partial.index, seed, c4, ci2, a, b))
    if not _proof_holds(pk, partial.index, c4, ci2, a, b, z, e):
        raise InvalidPartialError([partial.index], "the batched equality-of-logarithms proof does not verify")
    return [VerifiedPartial(partial.index, int(v), int(c)) for v, c in zip(cis, cs, strict=True)]


def combine_batch(public_key: ThresholdKey, verified: Sequence[Sequence[VerifiedPartial]]) -> list[int]:
    """The plaintext residues of a batch from t parties' verified batch partials.

    Args:
        verified: One list per party, as returned by :func:`verify_batch_partial`, all for the
            same ciphertexts in the same order.

    Raises:
        InsufficientSharesError: Fewer than t distinct parties.
        InvalidInputError: The lists differ in length, or are not of the same ciphertexts.
    """
    if isinstance(verified, str | bytes) or not isinstance(verified, Sequence) or not verified:
        raise InvalidInputError("verified must be a non-empty sequence of per-party lists")
    lengths = {len(per_party) for per_party in verified}
    if len(lengths) != 1:
        raise InvalidInputError(f"per-party lists of different lengths: {sorted(lengths)}")
    return [combine(public_key, [per_party[j] for per_party in verified]) for j in range(lengths.pop())]
