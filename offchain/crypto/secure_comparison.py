"""Two-party comparison of a Paillier-encrypted integer with zero (a margin with 1).

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 4 §4.6,
Algorithm 2 and Fig. 4.4 (secure comparison in secureSVM). Written by hand: no library offers it.

Setting. The **blinder** (in secureSVM a data provider) holds a ciphertext [[d]] under the
**key holder**'s Paillier key (the data analyst), with |d| ≤ ``value_bound``; d is the
fixed-point numerator of y(w·x − b) − 1, so d < 0 exactly when the margin is below 1. At the end
the blinder holds a fresh ciphertext [[I]] of the bit I = [d < 0], ready for homomorphic use.

Variants, and who learns what:

* ``paper`` (the research's Algorithm 2; the thesis text was not at hand when this was written,
  so this follows the published secureSVM description of it: multiplicative and additive
  blinding by positive random integers, decrypted and compared by the key holder; check it
  against Fig. 4.4 before relying on its exact leakage): the blinder draws random integers
  r1 > r2 > 0 (r1 of ``paper_factor_bits`` bits) and sends [[r1·d + r2]]; the key holder decrypts
  v = r1·d + r2, whose sign is the sign of d (d ≥ 1 ⇒ v > 0, d ≤ −1 ⇒ v < 0, d = 0 ⇒ v > 0), and
  returns [[I]] with I = [v < 0]. **Leakage to the key holder:** the bit I itself, and the
  magnitude of d up to the factor r1: |v| / 2^σ < |d| + 1 and |d| ≤ |v| for σ = factor bits, so
  log2 |d| is revealed to within σ bits (and exactly the ratio d_1/d_2 of two comparisons up to
  the ratio of their r1). For an SVM this tells the analyst, for every row and iteration, on which
  side of the margin the row lies and roughly how far. The blinder learns nothing (it only sees
  ciphertexts under a key it does not hold).
* ``blinded`` (the default): the blinder draws a sign s ∈ {−1, +1}, a factor ρ log-uniform over
  [1, 2^K) (an exponent u uniform in [0, K), then ρ uniform in [2^u, 2^(u+1))) with K as large as
  the plaintext space allows (|ρ·d| must stay below ``max_int``), and noise ε uniform in [0, ρ),
  and sends [[v]] = [[s·(ρ·d + ε)]] (re-randomised by the fresh encryption of sε). The sign of v
  is s·sign(d) (ε < ρ keeps the sign of ρd + ε that of d, with d = 0 counted as non-negative).
  The key holder decrypts v and returns a fresh [[t]], t = [v < 0] = I XOR [s = −1]; the blinder
  undoes the flip homomorphically: [[I]] = [[t]] if s = +1, else [[1 − t]] = [[1]]·[[t]]^−1.
  **Leakage to the key holder:** t is a uniformly random bit independent of d (s is uniform and
  secret). |v| = ρ|d| + ε: its bit length is u + log2|d| + O(1) with u uniform over K values,
  so two values d_1, d_2 give distributions at statistical distance about
  |log2|d_1| − log2|d_2|| / K; with 1024-bit keys and the SVM's bounds K ≈ 900, so even a factor
  of 100 between margins (6.6 bits) moves under 1 % of the mass, and nothing else is learned.
  The test suite checks that a two-sample test on the key holder's view does not separate
  margins 0.5 and 50 for this variant and does separate them for ``paper``. **The blinder**
  learns nothing: it receives only [[t]], a fresh encryption under the key holder's key, so
  neither party learns I; it stays encrypted for the gradient.

Both variants assume semi-honest parties and that the key holder does not see the blinder's
random choices. A key holder that lies about t corrupts only its own model.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass

import gmpy2
import phe
from gmpy2 import mpz

from offchain.crypto.paillier import EncodingOverflowError, FixedPoint, KeyMismatchError, NoisePool, encrypt_raw
from offchain.errors import InvalidInputError

__all__ = [
    "MIN_BLINDING_BITS",
    "BlindingSecret",
    "ComparisonBlinder",
    "ComparisonBoundError",
    "ComparisonKeyHolder",
    "ComparisonVariant",
    "MalformedCiphertextError",
    "check_ciphertext",
]

#: The default variant refuses to run with a factor range K below this many bits.
MIN_BLINDING_BITS = 64
#: Bits of the paper variant's factor r1 (the research leaves the size open).
PAPER_FACTOR_BITS = 32


class ComparisonVariant(enum.Enum):
    """Which comparison protocol runs (see the module docstring)."""

    PAPER = "paper"
    BLINDED = "blinded"


class ComparisonBoundError(EncodingOverflowError):
    """The blinded value could wrap around n: the value bound is too large for the key."""


class MalformedCiphertextError(InvalidInputError):
    """A ciphertext is outside [1, n²) or shares a factor with n: not a Paillier ciphertext."""


def check_ciphertext(public_key: phe.PaillierPublicKey, ciphertext: int | mpz) -> mpz:
    """``ciphertext`` as an mpz if it is a unit in [1, n²), else :class:`MalformedCiphertextError`."""
    value = mpz(ciphertext)
    if not 0 < value < public_key.nsquare or gmpy2.gcd(value, public_key.n) != 1:
        raise MalformedCiphertextError("not a Paillier ciphertext of this key: outside [1, n²) or not a unit")
    return value


@dataclass(frozen=True)
class BlindingSecret:
    """What the blinder keeps to undo its blinding: the sign flip (``paper``: always +1)."""

    flip: int


class ComparisonBlinder:
    """The party holding [[d]] (a data provider): blinds it, then unblinds the key holder's bit.

    Args:
        public_key: The key holder's public key.
        value_bound: A public bound on |d|.
        variant: Which protocol.
        pool: r^n values for the fresh encryption of the noise (one per comparison).

    Raises:
        ComparisonBoundError: The key leaves fewer than :data:`MIN_BLINDING_BITS` bits of
            blinding range above ``value_bound`` (or fewer than the paper factor's bits).
    """

    def __init__(
        self,
        public_key: phe.PaillierPublicKey,
        value_bound: int,
        *,
        variant: ComparisonVariant = ComparisonVariant.BLINDED,
        pool: NoisePool | None = None,
    ) -> None:
        if value_bound < 1:
            raise InvalidInputError(f"value_bound must be a positive int, got {value_bound}")
        if pool is not None and pool.public_key != public_key:
            raise KeyMismatchError("the noise pool is for another key")
        self.public_key = public_key
        self.variant = variant
        self.value_bound = value_bound
        self._pool = pool or NoisePool(public_key)
        self._n = mpz(public_key.n)
        self._nsquare = mpz(public_key.nsquare)
        max_int = FixedPoint.for_key(public_key, 0).max_int
        # |s(ρd + ε)| < ρ(|d| + 1) < 2^K (value_bound + 1) ≤ max_int
        self.factor_bits = (max_int // (value_bound + 1)).bit_length() - 1
        needed = PAPER_FACTOR_BITS if variant is ComparisonVariant.PAPER else MIN_BLINDING_BITS
        if self.factor_bits < needed:
            raise ComparisonBoundError(
                f"|d| ≤ 2^{value_bound.bit_length()} leaves {self.factor_bits} bits of blinding range under "
                f"this key's max_int, {needed} are needed: use a larger key or smaller values"
            )

    def blind(self, encrypted_value: int | mpz) -> tuple[mpz, BlindingSecret]:
        """The ciphertext to send to the key holder, and the secret to keep for :meth:`unblind`."""
        c = check_ciphertext(self.public_key, encrypted_value)
        if self.variant is ComparisonVariant.PAPER:
            factor = secrets.randbelow((1 << PAPER_FACTOR_BITS) - 2) + 2  # r1 ≥ 2
            noise, flip = secrets.randbelow(factor - 1) + 1, 1  # 0 < r2 < r1
        else:
            exponent = secrets.randbelow(self.factor_bits)
            factor = (1 << exponent) + secrets.randbelow(1 << exponent)
            noise, flip = secrets.randbelow(factor), 1 - 2 * secrets.randbelow(2)
        base = c if flip == 1 else gmpy2.invert(c, self._nsquare)
        masked = gmpy2.powmod(base, factor, self._nsquare)
        blinded = masked * encrypt_raw(self.public_key, flip * noise % self._n, self._pool.take()) % self._nsquare
        return blinded, BlindingSecret(flip)

    def unblind(self, encrypted_bit: int | mpz, secret: BlindingSecret) -> mpz:
        """[[I]], I = [d < 0], from the key holder's [[t]] (undoing the sign flip)."""
        t = check_ciphertext(self.public_key, encrypted_bit)
        if secret.flip == 1:
            return t
        return (1 + self._n) * gmpy2.invert(t, self._nsquare) % self._nsquare


class ComparisonKeyHolder:
    """The key holder (the data analyst): decrypts blinded values and returns their sign bit encrypted.

    Args:
        private_key: Its Paillier private key (decryption by the CRT).
        pool: r^n values for the encrypted bits; by default a pool that uses the CRT.
    """

    def __init__(self, private_key: phe.PaillierPrivateKey, pool: NoisePool | None = None) -> None:
        self.public_key = private_key.public_key
        self._private_key = private_key
        self._pool = pool or NoisePool(self.public_key, private_key)
        self._encoding = FixedPoint.for_key(self.public_key, 0)

    def view(self, blinded: int | mpz) -> int:
        """The signed integer v the key holder sees when it decrypts a blinded value.

        Raises:
            MalformedCiphertextError: Not a ciphertext of this key.
            EncodingOverflowError: v lies in the overflow gap (a tampered or wrapped value).
        """
        c = check_ciphertext(self.public_key, blinded)
        return self._encoding.decode_int(int(self._private_key.raw_decrypt(int(c))))

    def answer(self, blinded: int | mpz) -> mpz:
        """A fresh [[t]], t = [v < 0]."""
        bit = 1 if self.view(blinded) < 0 else 0
        return encrypt_raw(self.public_key, bit, self._pool.take())
