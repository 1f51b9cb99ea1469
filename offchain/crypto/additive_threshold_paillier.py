"""(p, p)-threshold Paillier with additive shares of a multiple of λ: all p parties decrypt together.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 5 §5.5
(Eq. 5.5–5.7): the vertical SVM's participants decrypt the judge's values under a threshold
Paillier key, and in its setting every participant takes part in every decryption (t = p).
For t = p the Shamir sharing of :mod:`offchain.crypto.threshold_paillier` is more than needed,
and it costs: its shares s_i live in Z_{nm} and its partials are c^(2Δ s_i), an exponent of
about |n²| bits. This module shares instead **an integer multiple of λ additively**, with a
random base g, the device of Fouque, Poupard and Stern ("Sharing decryption in the context of
voting or lotteries", FC 2000, §3: the public value θ = L(g^(mλ)) lets one decrypt with any
multiple of λ) with the additive (n-out-of-n) integer sharing of Damgård and Koprowski
("Practical threshold RSA signatures without a trusted dealer", EUROCRYPT 2001, §3) and of
Hazay, Mikkelsen, Rabin, Toft, Nicolosi ("Efficient RSA key generation and threshold Paillier in
the two-party setting", CT-RSA 2012 / J. Cryptology 2019, §5.1: additive shares of an integer
multiple of φ(N) with statistical hiding). Partials are c^(2 d_i): for p − 1 parties |d_i| ≈
|n|/2 + σ ≈ 1,154 bits at 2048 bits, for the last one |d_p| ≈ |λ| ≈ |n|; the Shamir scheme's
are ≈ 2|n| bits each, so a joint decryption takes about a third of its exponentiation work
(and two thirds of that of shares of |λ| + σ bits each, which an earlier version dealt).

* **Key generation** (:func:`generate_additive_keypair`, a trusted dealer as in the research).
  Safe primes P = 2P' + 1, Q = 2Q' + 1, n = PQ, λ = 2P'Q'. A random base
  g = (1 + n)^a · b^n mod n² for a ∈ Z*_n, b ∈ Z*_n uniform (both then forgotten). With
  B = ⌈|n|/2⌉ + 2 + σ (σ = :data:`STATISTICAL_BITS` = 128; :func:`share_bits_for`): shares
  d_1 … d_(p−1) uniform in [0, 2^B); T = c·λ for the smallest integer c with T ≥ (p − 1)·2^B
  (c = 1: (p − 1)·2^B is far below λ); d_p = T − Σ_(i<p) d_i, which lies in
  (T − (p − 1)·2^B, T]. Public: n, g, θ = L(g^T mod n²) = a·T mod n, B, a random square v of
  Z*_(n²) and v_i = v^(d_i).
* **Encryption**: E(m) = g^m · u mod n² with u a noise r^n or a re-randomiser of the
  n-th residues (:class:`~offchain.crypto.joint_comparison.SubgroupNoise`); signed m with
  |m| < n/2, through a comb table of g and of g^-1 (:meth:`AdditivePublicKey.plaintext_power`).
  The homomorphic operations are Paillier's. The key is not a ``phe`` key (phe assumes
  g = n + 1): encrypt with :meth:`~offchain.crypto.threshold_paillier.ThresholdKey.encrypt`.
* **Partial decryption, proofs, batches**: exactly those of
  :mod:`offchain.crypto.threshold_paillier` with witness w_i = d_i instead of Δ·s_i
  (:func:`~offchain.crypto.threshold_paillier.partial_decrypt`,
  :func:`~offchain.crypto.threshold_paillier.partial_decrypt_batch`,
  :func:`~offchain.crypto.threshold_paillier.verify_batch_partial`): c_i = c^(2 d_i), a
  Chaum–Pedersen proof that log_{c⁴}(c_i²) = log_v(v_i), its mask r of
  |(p − 1)·2^B + n/2| + 256 + 128 bits.
* **Combination** (:func:`~offchain.crypto.threshold_paillier.combine`, which refuses fewer than
  p partials with :class:`~offchain.crypto.threshold_paillier.InsufficientSharesError`):
  Π c_i = c^(2T); for c = g^m·u, u^(2T) = 1 (λ | T) and g^(2Tm) = (1 + n)^(2aTm), so
  M = L(Π c_i) · (2θ)^-1 mod n.

**Why the shares hide λ** (statistical, σ = 128). The shares need only hide what n does not
already give away. λ = (n + 1 − P − Q)/2 and 2√n ≤ P + Q < 2^(⌈|n|/2⌉ + 1) for primes of |n|/2
bits, so n alone puts λ in a public window of width W < 2^⌈|n|/2⌉; c = ⌈(p − 1)2^B / λ⌉ is the
same (1) for every λ of that window, so T = c·λ lies in a window of width c·W, fixed by n.
Now take any coalition of p − 1 parties. (i) If it misses party p, it holds d_1 … d_(p−1):
independent uniform values drawn before λ plays any part, so its view is independent of the
key. (ii) If it misses party j < p, it holds d_p and the other d_i, hence T − d_j; for any T'
of the window (a key simulated from n alone) the laws of T − d_j and T' − d_j (d_j uniform on
2^B) are within |T − T'| / 2^B < c·W / 2^B ≤ 2^(−σ−2) of each other: the shares hide T, hence
λ, beyond what n says. (Shares of |λ| + σ bits, as an earlier version dealt, give a far smaller
distance, 2^(−|n|/2 + log p + 2), but only the window of T has to be covered; every extra bit
of d_1 … d_(p−1) is an extra squaring in each of their partial decryptions.) The public
θ = a·T mod n is uniform in Z*_n whatever T is, because a is uniform and T a unit mod n
(gcd(λ, n) = 1, c < n), so θ adds nothing either, and g hides a under the composite residuosity
class assumption (Paillier, EUROCRYPT '99, §3; FPS §3 rely on the same). The v_i are simulated
as in FPS §3.3 and Shoup (EUROCRYPT 2000, §3) from the v_j of the coalition and the decryptions.
So p − 1 parties learn nothing about plaintexts (semantic security under DCR, as for Paillier), and
their p − 1 partials combine to L(c^(2(T − d_j))) · (2θ)^-1, which is unrelated to the
plaintext (a test checks it).

Caveats: the dealer is trusted (it knows λ and every share), as in the research's CA and in
:mod:`offchain.crypto.threshold_paillier`; there is no resharing, and losing one share loses the
key (t = p). The θ trick needs g of unknown class: never replace g by n + 1 with this sharing
(θ would then be T mod n, and with c public that gives λ mod n, hence the factors of n).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import gmpy2
from gmpy2 import mpz

from offchain.crypto import threshold_paillier as tp
from offchain.crypto.modexp import FixedBase
from offchain.crypto.primes import random_bits, random_unit
from offchain.errors import InvalidInputError
from offchain.validation import is_int, parse_json, require_int

__all__ = [
    "G_COMB_ROWS",
    "KIND",
    "STATISTICAL_BITS",
    "AdditivePublicKey",
    "generate_additive_keypair",
    "share_bits_for",
]

#: The ``kind`` of the public key's JSON.
KIND = "additive-threshold-paillier-public"
#: σ: the shares d_1 … d_(p−1) have σ bits more than λ (statistical hiding of λ, 2^-σ).
STATISTICAL_BITS = 128
#: Comb rows of g's tables (2^10 entries, 512 KiB at 2048 bits, for each sign and size class).
G_COMB_ROWS = 10


@dataclass(frozen=True, eq=False)
class AdditivePublicKey(tp.ThresholdKey):
    """The public part of a (p, p)-threshold Paillier key with additive shares.

    Attributes:
        n: The Paillier modulus (product of two safe primes).
        parties: p; every one of them decrypts (``threshold`` is p).
        g: The random base, (1 + n)^a · b^n mod n² for secret a, b.
        theta: θ = L(g^T mod n²) = a·T mod n (T = c·λ, the sum of the shares).
        v: The verification base, a square of Z*_{n²}.
        verification_keys: v_i = v^(d_i) for i = 1..p (index i − 1).
        share_bits: B: d_i < 2^B for i < p, and d_p ≤ T < (p − 1)·2^B + n/2.
    """

    n: int
    parties: int
    g: int
    theta: int
    v: int
    verification_keys: tuple[int, ...]
    share_bits: int
    threshold: int = field(init=False)
    _fixed: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", self.parties)
        for name in ("parties", "share_bits", "g", "theta"):
            value = getattr(self, name)
            require_int(value, name)
        if self.parties < 2:
            raise InvalidInputError(f"an additive threshold key needs at least 2 parties, got {self.parties}")
        self._check_common()
        n = self.n
        least = share_bits_for(n.bit_length())
        if not least <= self.share_bits <= n.bit_length() + 1024:
            raise InvalidInputError(
                f"share_bits must be in [|n|/2 + 2 + σ, |n| + 1024] = [{least}, {n.bit_length() + 1024}], "
                f"got {self.share_bits} (smaller shares would not hide λ)"
            )
        if not 1 < self.g < n * n or gmpy2.gcd(self.g, n) != 1:
            raise InvalidInputError("g is not a unit of Z*_(n²) other than 1")
        if not 0 < self.theta < n or gmpy2.gcd(self.theta, n) != 1:
            raise InvalidInputError("theta is not a unit of Z*_n")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AdditivePublicKey):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash((self.n, self.g, self.v))

    def _identity(self) -> tuple[Any, ...]:
        return (self.n, self.parties, self.g, self.theta, self.v, self.verification_keys, self.share_bits)

    @cached_property
    def mask_bits(self) -> int:
        """Size of the proof's mask r: |bound on d_p| + challenge + statistical bits."""
        return self.share_bound(self.parties).bit_length() + tp.CHALLENGE_BITS + STATISTICAL_BITS

    def witness(self, share: int) -> mpz:
        """d_i itself (v_i = v^(d_i))."""
        return mpz(share)

    def share_bound(self, index: int) -> int:
        """2^B for parties 1 … p − 1; for party p, (p − 1)·2^B + ⌊n/2⌋ + 1 > T ≥ d_p (T = c·λ
        with c the smallest multiplier reaching (p − 1)·2^B, so T < (p − 1)·2^B + λ)."""
        self.check_index(index)
        if index == self.parties:
            return ((self.parties - 1) << self.share_bits) + (self.n >> 1) + 1
        return 1 << self.share_bits

    def combination_exponents(self, indices: Sequence[int]) -> dict[int, int]:
        """1 for every party: Π c_i = c^(2T)."""
        return dict.fromkeys(indices, 1)

    @cached_property
    def combine_factor(self) -> mpz:
        """(2θ)^-1 mod n."""
        return gmpy2.invert(2 * mpz(self.theta), self.n)

    def fixed_g(self) -> FixedBase:
        """g with comb tables (built on first use, then kept with the key)."""
        base = self._fixed.get("g")
        if base is None:
            base = self._fixed["g"] = FixedBase(self.g, self.nsquare, rows=G_COMB_ROWS)
        return base  # type: ignore[no-any-return]

    def plaintext_power(self, message: int | mpz) -> mpz:
        """g^m mod n² for a signed m, |m| < n/2 (a negative m through the comb of g^-1).

        Raises:
            InvalidInputError: |m| ≥ n/2.
        """
        m = mpz(message)
        if 2 * abs(m) >= self.n:
            raise InvalidInputError(f"a plaintext must satisfy |m| < n/2, got {int(gmpy2.bit_length(m))} bits")
        return self.fixed_g().pow(m)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (integers in hex)."""
        return {
            "kind": KIND,
            "n": format(self.n, "x"),
            "parties": self.parties,
            "g": format(self.g, "x"),
            "theta": format(self.theta, "x"),
            "v": format(self.v, "x"),
            "verification_keys": [format(x, "x") for x in self.verification_keys],
            "share_bits": self.share_bits,
        }

    @classmethod
    def from_dict(cls, data: Any) -> AdditivePublicKey:
        """The key of :meth:`to_dict` (every field checked).

        Raises:
            InvalidInputError: A field is missing or malformed.
        """
        if not isinstance(data, dict) or data.get("kind") != KIND:
            raise InvalidInputError("not an additive threshold Paillier public key")
        try:
            keys = data["verification_keys"]
            if not isinstance(keys, list):
                raise TypeError("verification_keys must be a list")
            return cls(
                n=int(data["n"], 16),
                parties=require_int(data["parties"], "parties"),
                g=int(data["g"], 16),
                theta=int(data["theta"], 16),
                v=int(data["v"], 16),
                verification_keys=tuple(int(x, 16) for x in keys),
                share_bits=require_int(data["share_bits"], "share_bits"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"additive threshold Paillier key: missing or malformed field ({exc})") from exc

    @classmethod
    def from_json(cls, text: str) -> AdditivePublicKey:
        """The key of :meth:`~offchain.crypto.threshold_paillier.ThresholdKey.to_json`.

        Raises:
            InvalidInputError: Not JSON, or a field is missing or malformed.
        """
        try:
            data = parse_json(text)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"invalid JSON: {exc}") from exc
        return cls.from_dict(data)


def share_bits_for(modulus_bits: int) -> int:
    """B = ⌈|n|/2⌉ + 2 + σ: the bits of d_1 … d_(p−1) that hide λ for an n of ``modulus_bits``
    (module docstring: 2^B exceeds the public window of T by 2^(σ+2))."""
    return -(-modulus_bits // 2) + 2 + STATISTICAL_BITS


def _uniform_bits(bits: int, rng: random.Random | None) -> mpz:
    return mpz(rng.getrandbits(bits)) if rng is not None else random_bits(bits)


def _unit(n: mpz, rng: random.Random | None) -> mpz:
    while True:
        x = mpz(rng.randrange(2, int(n))) if rng is not None else random_unit(n)
        if gmpy2.gcd(x, n) == 1:
            return x


def generate_additive_keypair(
    bits: int = 2048, parties: int = 3, *, rng: random.Random | None = None
) -> tuple[AdditivePublicKey, list[tp.KeyShare]]:
    """The dealer's key generation: a public key and the additive shares d_1 … d_p (module docstring).

    Args:
        bits: Size of n (two safe primes of bits/2); at least 512 (below 2048 for tests only).
        parties: p ≥ 2; all p decrypt together.
        rng: A seeded generator for reproducible test keys only; ``secrets`` by default.

    Returns:
        The public key and the shares of parties 1..p, in order (each checked against v_i).

    Raises:
        InvalidInputError: Bad size or count.
    """
    if not is_int(bits) or bits < 512 or bits % 2:
        raise InvalidInputError(f"key size must be an even int of at least 512 bits, got {bits!r}")
    if not is_int(parties) or not 2 <= parties <= tp.MAX_PARTIES:
        raise InvalidInputError(f"need 2 ≤ parties ≤ {tp.MAX_PARTIES}, got {parties!r}")
    n, m = tp.safe_modulus(bits, rng)
    nsquare = n * n
    lam = 2 * m  # λ = lcm(P − 1, Q − 1) = 2P'Q'
    share_bits = share_bits_for(int(n.bit_length()))
    multiplier = -(-((parties - 1) << share_bits) // lam)  # the smallest c with c·λ ≥ (p − 1)·2^B
    total = multiplier * lam  # T
    shares = [_uniform_bits(share_bits, rng) for _ in range(parties - 1)]
    shares.append(total - sum(shares, mpz(0)))  # d_p ∈ (T − (p − 1)·2^B, T]
    a, b = _unit(n, rng), _unit(n, rng)
    g = (1 + a * n) * gmpy2.powmod(b, n, nsquare) % nsquare
    theta = a * total % n  # = L(g^T mod n²)
    v = tp.random_square(n, rng)
    probe = AdditivePublicKey(int(n), parties, int(g), int(theta), int(v), (int(v),) * parties, share_bits)
    v_fixed = probe.fixed_v()
    verification = tuple(int(v_fixed.pow(d)) for d in shares)
    public = AdditivePublicKey(int(n), parties, int(g), int(theta), int(v), verification, share_bits, {"v": v_fixed})
    if math.gcd(int(theta), int(n)) != 1:  # pragma: no cover  (a is a unit and gcd(T, n) = 1)
        raise AssertionError("θ must be a unit mod n")
    return public, [tp.KeyShare(public, i + 1, int(d)) for i, d in enumerate(shares)]
