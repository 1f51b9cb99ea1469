"""Paillier encryption for vectors of fixed-point numbers: a thin, fast layer over ``phe``.

Research: Zheng et al., "Scalable and Privacy-Preserving Data Sharing Based on Blockchain",
J. Comput. Sci. Technol. 33(3), 2018, §2.2 (the Paillier cryptosystem and its additive
homomorphism) and §4.2 (data encrypted under one public key and aggregated homomorphically).

Keys are python-paillier's (``phe.PaillierPublicKey`` / ``phe.PaillierPrivateKey``, g = n + 1)
and every ciphertext is an ordinary Paillier ciphertext under them, so values interoperate with
``phe.EncryptedNumber`` (:meth:`EncryptedVector.to_phe`, :meth:`EncryptedVector.from_phe`) and
with the threshold keys of :mod:`offchain.crypto.threshold_paillier`. What this module adds:

* **Fixed-point encoding with explicit precision** (:class:`FixedPoint`). A real x is the
  integer round(x · 2^f) modulo n, negatives as n − |m|. phe picks a floating exponent per
  number; here one precision serves a whole vector, so additions need no exponent alignment
  and the range is explicit: every encoded or decoded magnitude must stay at most
  ``max_int`` (by default ⌊n/3⌋, as phe).
* **Overflow is an error, never a silent wrap** (:class:`EncodingOverflowError`). Decoding
  alone cannot promise that: a residue in the gap (max_int, n − max_int) is caught, but a sum
  of three values near max_int, or a product by a scalar ≥ 3, wraps *past* the gap and lands on
  a wrong number of the valid range. So every :class:`EncryptedVector` carries, per element, a
  bound B ≥ |m| on the signed integer m it encrypts (:attr:`EncryptedVector.bounds`) and every
  homomorphic operation computes the result's bound *before* computing the result: a + b has
  B_a + B_b, a + k (plaintext) has B_a + |k|, k·a has |k|·B_a, Σ k_i a_i has Σ |k_i| B_i. An
  operation whose bound would exceed max_int raises; so does encoding a too-large value; and
  decryption still refuses a residue in the gap. What is checked, exactly: the bound of a
  value encrypted here is its own |m| (the encrypter knows it); the bound of a ciphertext
  received from elsewhere (:meth:`EncryptedVector.from_bytes`, :meth:`~EncryptedVector.from_ciphertexts`,
  the constructor) is max_int, which holds for every ciphertext that decrypts at all — unless
  the *caller* passes a smaller ``bound`` it has its own reason to believe (a protocol limit that
  honest senders enforce, a verified range proof). A bound is never read from serialised data:
  a sender's claimed bound is only a claim, and a dishonest sender who lies about it can make
  the total wrong in any way it likes anyway (it could just as well encrypt a wrong value).
  The guarantee is therefore: if every input's bound holds, a decrypted result is the exact
  integer result of the operations, or an :class:`EncodingOverflowError` was raised before it.
  The bounds are conservative (a + (−a) has bound 2·B_a, not 0).
* **Vectors** (:class:`EncryptedVector`): element-wise addition of ciphertexts and of plaintexts,
  multiplication by plaintext scalars and vectors, dot products with plaintext vectors and sums,
  all on gmpy2 integers. Each multiplication by an encoded fraction doubles the scale; the
  vector tracks the scale (``scale_power``) and decoding divides by 2^(f · scale_power).
* **Re-randomisation** (the paper's blinding, §4.5: E(m, r1 r2) = E(m, r1) · E(0, r2)):
  :meth:`EncryptedVector.rerandomize` multiplies by fresh encryptions of zero, so an updated
  ciphertext cannot be linked to the one it came from.
* **A pool of precomputed r^n mod n²** (:class:`NoisePool`). r^n is the whole cost of a Paillier
  encryption (a |n|-bit exponent modulo n²); with the pool an encryption is one multiplication
  (1 + m·n) · r^n mod n². The pool is filled ahead of time, in a process pool when asked, and
  with the CRT (r^n mod p² and mod q²) by a holder of the private key. Each r^n is used once.
* **Compact serialisation**: a vector is a short header and fixed-width big-endian ciphertexts
  (:meth:`EncryptedVector.to_bytes`); keys serialise to JSON (:func:`public_key_to_json`).

Security notes: ciphertexts are only as fresh as their r; the pool hands each r^n out once and
never reuses one. A ciphertext carries no integrity protection: it is malleable by design.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import numbers
import secrets
import struct
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import gmpy2
import phe
from gmpy2 import mpz

from offchain.crypto.primes import random_unit
from offchain.errors import InvalidInputError
from offchain.validation import is_int, is_integer, parse_json

__all__ = [
    "DEFAULT_FRACTION_BITS",
    "EncodingOverflowError",
    "EncryptedVector",
    "FixedPoint",
    "KeyMismatchError",
    "NoisePool",
    "ciphertext_bytes",
    "decrypt_raw",
    "encrypt_raw",
    "generate_keypair",
    "key_fingerprint",
    "private_key_from_json",
    "private_key_to_json",
    "public_key_from_json",
    "public_key_to_json",
]

logger = logging.getLogger(__name__)

#: Fraction bits of the default fixed-point encoding: a resolution of 2^-32 ≈ 2.3e-10.
DEFAULT_FRACTION_BITS = 32
_MAGIC = b"PV1"  # serialised vector: magic, version 1
_HEADER = struct.Struct(">3s8sHHI")  # magic, key fingerprint, fraction bits, scale power, length
_MAX_KEY_BITS = 8192


class EncodingOverflowError(InvalidInputError, OverflowError):
    """A value does not fit the fixed-point encoding, a homomorphic operation's result could
    leave the encoding's range, or a decrypted residue lies in the overflow gap."""


class KeyMismatchError(InvalidInputError):
    """Two operands are under different keys or encodings."""


def generate_keypair(bits: int = 2048) -> tuple[phe.PaillierPublicKey, phe.PaillierPrivateKey]:
    """A fresh Paillier key pair (phe's generator: two primes of bits/2, g = n + 1).

    Args:
        bits: Size of n; at least 512 (1024 and below are for tests only).

    Raises:
        InvalidInputError: ``bits`` is not an int in [512, 8192] or not even.
    """
    if not is_int(bits) or not 512 <= bits <= _MAX_KEY_BITS or bits % 2:
        raise InvalidInputError(f"key size must be an even int in [512, {_MAX_KEY_BITS}] bits, got {bits!r}")
    public_key, private_key = phe.generate_paillier_keypair(n_length=bits)
    return public_key, private_key


def ciphertext_bytes(public_key: phe.PaillierPublicKey) -> int:
    """Width of one serialised ciphertext: twice the byte length of n."""
    return 2 * ((int(public_key.n).bit_length() + 7) // 8)


def key_fingerprint(public_key: phe.PaillierPublicKey) -> bytes:
    """The first 8 bytes of SHA-256 of n (big-endian): names the key in serialised vectors."""
    n = public_key.n
    return hashlib.sha256(n.to_bytes((n.bit_length() + 7) // 8, "big")).digest()[:8]


def public_key_to_json(public_key: phe.PaillierPublicKey) -> str:
    """``{"kind": "paillier-public", "n": "<hex>"}``."""
    return json.dumps({"kind": "paillier-public", "n": format(public_key.n, "x")})


def public_key_from_json(text: str) -> phe.PaillierPublicKey:
    """The public key of :func:`public_key_to_json`.

    Raises:
        InvalidInputError: The text is not such a key, or n is even or too small.
    """
    data = _load_json(text, "paillier-public")
    return phe.PaillierPublicKey(_parse_modulus(data))


def private_key_to_json(private_key: phe.PaillierPrivateKey) -> str:
    """``{"kind": "paillier-private", "n", "p", "q"}`` in hex. Keep it secret."""
    return json.dumps(
        {
            "kind": "paillier-private",
            "n": format(private_key.public_key.n, "x"),
            "p": format(private_key.p, "x"),
            "q": format(private_key.q, "x"),
        }
    )


def private_key_from_json(text: str) -> phe.PaillierPrivateKey:
    """The private key of :func:`private_key_to_json`.

    Raises:
        InvalidInputError: The text is not such a key, or p·q ≠ n.
    """
    data = _load_json(text, "paillier-private")
    n = _parse_modulus(data)
    try:
        p, q = int(data["p"], 16), int(data["q"], 16)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"private key JSON needs hex fields p and q: {exc}") from exc
    if p * q != n or p <= 1 or q <= 1:
        raise InvalidInputError("private key JSON: p·q does not equal n")
    return phe.PaillierPrivateKey(phe.PaillierPublicKey(n), p, q)


def _load_json(text: str, kind: str) -> dict[str, Any]:
    try:
        data = parse_json(text)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"not a {kind} key: invalid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("kind") != kind:
        found = data.get("kind") if isinstance(data, dict) else type(data).__name__
        raise InvalidInputError(f"expected a {kind} key, found {found!r}")
    return data


def _parse_modulus(data: dict[str, Any]) -> int:
    try:
        n = int(data["n"], 16)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"key JSON needs a hex field n: {exc}") from exc
    if n % 2 == 0 or n.bit_length() < 256 or n.bit_length() > _MAX_KEY_BITS:
        raise InvalidInputError(f"n must be odd and of 256 to {_MAX_KEY_BITS} bits, got {n.bit_length()} bits")
    return n


def encrypt_raw(public_key: phe.PaillierPublicKey, plaintext: int, noise: int | mpz | None = None) -> mpz:
    """E(m) = (1 + m·n) · r^n mod n² for 0 ≤ m < n.

    Args:
        public_key: The key.
        plaintext: The residue m (encode signed values first, e.g. with :class:`FixedPoint`).
        noise: A precomputed r^n mod n² (from :class:`NoisePool`), used once; fresh if ``None``.

    Raises:
        InvalidInputError: m is not in [0, n).
    """
    n = public_key.n
    if not 0 <= plaintext < n:
        raise InvalidInputError(f"plaintext residue must be in [0, n), got {plaintext.bit_length()} bits")
    nsquare = mpz(public_key.nsquare)
    rn = _fresh_noise(n, nsquare) if noise is None else mpz(noise)
    return (1 + mpz(plaintext) * n) * rn % nsquare


def decrypt_raw(private_key: phe.PaillierPrivateKey, ciphertext: int | mpz) -> int:
    """The residue m in [0, n) of a ciphertext (phe's CRT decryption).

    Raises:
        InvalidInputError: The ciphertext is not in [1, n²).
    """
    _check_ciphertext(private_key.public_key, ciphertext)
    return int(private_key.raw_decrypt(int(ciphertext)))


def _check_ciphertext(public_key: phe.PaillierPublicKey, ciphertext: int | mpz) -> None:
    if not is_integer(ciphertext):
        raise InvalidInputError(f"a ciphertext must be an int, got {type(ciphertext).__name__}")
    if not 0 < ciphertext < public_key.nsquare:
        raise InvalidInputError("a ciphertext must be in [1, n²)")


def _fresh_noise(n: int | mpz, nsquare: mpz) -> mpz:
    return gmpy2.powmod(random_unit(n), n, nsquare)


def _noise_batch(n: int, count: int) -> list[int]:
    """``count`` fresh r^n mod n² (public key only); top level so that a process pool can run it."""
    nsquare = mpz(n) * n
    return [int(_fresh_noise(n, nsquare)) for _ in range(count)]


def _noise_batch_crt(n: int, p: int, q: int, count: int) -> list[int]:
    """``count`` fresh r^n mod n², computed mod p² and q² and recombined (private key holder).

    Modulo p² the n-th powers are the p-th powers (the subgroup of order p − 1), when
    gcd(q, p − 1) = 1: raising to q permutes that subgroup. So y^p mod p² for a uniform y is
    distributed as r^n mod p², with an exponent of |p| bits instead of |n|. Otherwise (rare for
    phe's primes, impossible for safe primes) the exponent is n itself, reduced mod φ(p²).
    """
    p2, q2 = mpz(p) * p, mpz(q) * q
    # CRT: x ≡ a (mod p²), x ≡ b (mod q²)  ⇒  x = a + p²·((b − a)·(p²)^-1 mod q²)
    p2_inv = gmpy2.invert(p2, q2)
    exp_p = mpz(p) if gmpy2.gcd(q, p - 1) == 1 else mpz(n) % (p2 - p)
    exp_q = mpz(q) if gmpy2.gcd(p, q - 1) == 1 else mpz(n) % (q2 - q)
    out = []
    for _ in range(count):
        # r mod p² and r mod q² drawn independently: a uniform r mod n².
        a = gmpy2.powmod(mpz(secrets.randbelow(int(p2) - 1) + 1), exp_p, p2)
        b = gmpy2.powmod(mpz(secrets.randbelow(int(q2) - 1) + 1), exp_q, q2)
        if a % p == 0 or b % q == 0:
            continue  # r not a unit (probability ~2/p): draw again
        out.append(int(a + p2 * ((b - a) * p2_inv % q2)))
    return out


def _noise_source(public_key: phe.PaillierPublicKey, pool: NoisePool | None) -> Callable[[], mpz]:
    """What hands out r^n values for ``public_key``: the pool's ``take``, else fresh computation.

    Raises:
        KeyMismatchError: The pool is for another key.
    """
    if pool is None:
        n, nsquare = mpz(public_key.n), mpz(public_key.nsquare)
        return lambda: _fresh_noise(n, nsquare)
    if pool.public_key != public_key:
        raise KeyMismatchError("the noise pool is for another key")
    return pool.take


class NoisePool:
    """Precomputed r^n mod n² values, each handed out once, to take them off the hot path.

    Encryption under Paillier costs one exponentiation r^n mod n²; everything else is one
    multiplication. The pool computes those ahead of time (:meth:`fill`), so that
    :meth:`take` is instant. When empty, :meth:`take` computes one value on the spot (and logs
    it once): the pool never hands out a value twice and never fails.

    Args:
        public_key: The key whose noise is computed.
        private_key: Optional: its holder computes noise ~3× faster with the CRT.
        workers: Processes used by :meth:`fill` (1: in this process).
    """

    def __init__(
        self,
        public_key: phe.PaillierPublicKey,
        private_key: phe.PaillierPrivateKey | None = None,
        workers: int = 1,
    ) -> None:
        if private_key is not None and private_key.public_key != public_key:
            raise KeyMismatchError("the private key is not the public key's")
        if not is_int(workers) or workers < 1:
            raise InvalidInputError(f"workers must be a positive int, got {workers!r}")
        self.public_key = public_key
        self._private_key = private_key
        self._workers = workers
        self._nsquare = mpz(public_key.nsquare)
        self._values: list[mpz] = []
        self._warned_empty = False

    def __len__(self) -> int:
        return len(self._values)

    def fill(self, count: int) -> None:
        """Add ``count`` fresh values (in ``workers`` processes when more than one)."""
        if not is_int(count) or count < 0:
            raise InvalidInputError(f"count must be a non-negative int, got {count!r}")
        if count == 0:
            return
        n = int(self.public_key.n)
        sk = self._private_key

        def batch(size: int) -> tuple[Any, ...]:
            return (_noise_batch_crt, n, sk.p, sk.q, size) if sk is not None else (_noise_batch, n, size)

        if self._workers == 1 or count < 2 * self._workers:
            func, *args = batch(count)
            produced = func(*args)
        else:
            sizes = [count // self._workers + (i < count % self._workers) for i in range(self._workers)]
            produced = []
            with ProcessPoolExecutor(max_workers=self._workers) as pool:
                futures = [pool.submit(*batch(size)) for size in sizes]
                for future in futures:
                    produced.extend(future.result())
        while len(produced) < count:  # the CRT batch skips the rare non-units
            func, *args = batch(count - len(produced))
            produced.extend(func(*args))
        self._values.extend(mpz(v) for v in produced)

    def take(self) -> mpz:
        """One r^n mod n², never handed out before."""
        if self._values:
            return self._values.pop()
        if not self._warned_empty:
            logger.info("noise pool empty: computing r^n on the hot path (fill the pool ahead of time)")
            self._warned_empty = True
        if self._private_key is not None:
            return mpz(_noise_batch_crt(int(self.public_key.n), self._private_key.p, self._private_key.q, 1)[0])
        return _fresh_noise(self.public_key.n, self._nsquare)


@dataclass(frozen=True)
class FixedPoint:
    """Signed fixed-point numbers as residues mod n: x ↦ round(x · 2^fraction_bits) mod n.

    Args:
        n: The Paillier modulus.
        fraction_bits: f, the binary digits after the point (0 for integers).
        max_int: Largest magnitude of an encoded integer, before or after homomorphic
            operations; at most (n − 1)/2. Default ⌊n/3⌋ (as phe): residues in
            (max_int, n − max_int) are overflows.
    """

    n: int
    fraction_bits: int = DEFAULT_FRACTION_BITS
    max_int: int = 0

    def __post_init__(self) -> None:
        if not is_int(self.n) or self.n < 3 or self.n % 2 == 0:
            raise InvalidInputError(f"n must be an odd int ≥ 3, got {self.n!r}")
        if not is_int(self.fraction_bits):
            raise InvalidInputError(f"fraction_bits must be an int, got {self.fraction_bits!r}")
        if not 0 <= self.fraction_bits <= 512:
            raise InvalidInputError(f"fraction_bits must be in [0, 512], got {self.fraction_bits}")
        if self.max_int == 0:
            object.__setattr__(self, "max_int", self.n // 3)
        if not 0 < self.max_int <= (self.n - 1) // 2:
            raise InvalidInputError("max_int must be in [1, (n − 1)/2]")

    @classmethod
    def for_key(cls, public_key: phe.PaillierPublicKey, fraction_bits: int = DEFAULT_FRACTION_BITS) -> FixedPoint:
        """The encoding for ``public_key``'s n with the default range."""
        return cls(int(public_key.n), fraction_bits)

    def max_value(self, scale_power: int = 1) -> float:
        """The largest magnitude a value of ``scale_power`` can have."""
        return self.max_int / 2.0 ** (self.fraction_bits * scale_power)

    def encode(self, value: float | int, scale_power: int = 1) -> int:
        """The residue of ``value`` at scale 2^(f · scale_power): :meth:`encode_int` mod n.

        Raises:
            EncodingOverflowError: |round(value · 2^(f·scale))| > max_int.
            InvalidInputError: ``value`` is NaN, infinite, or not a number.
        """
        return self.encode_int(value, scale_power) % self.n

    def encode_int(self, value: float | int, scale_power: int = 1) -> int:
        """The signed integer round(value · 2^(f · scale_power)), checked against max_int.

        Ints are encoded exactly; floats are rounded to the nearest multiple of 2^-(f·scale).

        Raises:
            EncodingOverflowError: |round(value · 2^(f·scale))| > max_int.
            InvalidInputError: ``value`` is NaN, infinite, or not a number.
        """
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InvalidInputError(f"cannot encode {type(value).__name__} {value!r}: expected a real number")
        if not isinstance(value, int | float):  # numpy scalars and other registered reals
            value = int(value) if isinstance(value, numbers.Integral) else float(value)
        shift = self.fraction_bits * scale_power
        if isinstance(value, int):
            integer = value << shift
        else:
            if not math.isfinite(value):
                raise InvalidInputError(f"cannot encode {value!r}: only finite numbers have a fixed-point form")
            integer = _round_scaled(value, shift)
        if abs(integer) > self.max_int:
            raise EncodingOverflowError(
                f"{value!r} overflows the encoding: |value · 2^{shift}| must be at most max_int "
                f"(≈2^{self.max_int.bit_length()}), so |value| ≤ {self.max_value(scale_power):.6g}"
            )
        return integer

    def decode_int(self, residue: int) -> int:
        """The signed integer m with m ≡ residue (mod n), |m| ≤ max_int.

        Raises:
            EncodingOverflowError: The residue lies in the overflow gap (max_int, n − max_int):
                the computation that produced it wrapped around n.
        """
        if not is_integer(residue) or not 0 <= residue < self.n:
            raise InvalidInputError(f"a residue must be an int in [0, n), got {type(residue).__name__}")
        if residue <= self.max_int:
            return residue
        if residue >= self.n - self.max_int:
            return residue - self.n
        raise EncodingOverflowError(
            "decrypted residue lies in the overflow gap: a sum or product exceeded the encoding's range "
            f"(±2^{self.max_int.bit_length()}) and wrapped around n"
        )

    def decode(self, residue: int, scale_power: int = 1) -> float:
        """The float value of a residue at scale 2^(f · scale_power) (see :meth:`decode_int`)."""
        integer = self.decode_int(residue)
        shift = self.fraction_bits * _check_scale_power(scale_power)
        return integer / (1 << shift)  # int / int is correctly rounded in Python


def _round_scaled(value: float, shift: int) -> int:
    """round(value · 2^shift) exactly (no float overflow for large shifts), ties to even."""
    mantissa, exponent = math.frexp(value)  # value = mantissa · 2^exponent, 0.5 ≤ |mantissa| < 1
    numerator = int(math.ldexp(mantissa, 53))  # exact: 53-bit integer
    total = exponent - 53 + shift  # value · 2^shift = numerator · 2^total
    if total >= 0:
        return numerator << total
    quotient, remainder = divmod(numerator, 1 << -total)
    half = 1 << (-total - 1)
    if remainder > half or (remainder == half and quotient % 2 == 1):
        quotient += 1
    return quotient


@dataclass(frozen=True, eq=False)
class EncryptedVector:
    """Paillier ciphertexts of a vector of fixed-point numbers under one key and encoding.

    Build one with :meth:`encrypt`; combine with ``+`` (ciphertexts or plaintexts),
    :meth:`scale_by` (plaintext scalars or vectors), :meth:`dot` and :meth:`sum`; decrypt with
    :meth:`decrypt`. Every operation returns a new vector, and raises
    :class:`EncodingOverflowError` instead when the result's bound would exceed max_int (see
    the module docstring: this, not decoding, is what rules out a silent wrap).

    Attributes:
        public_key: The key.
        encoding: The fixed-point encoding (its ``n`` is the key's).
        ciphertexts: One ciphertext per element, each in [1, n²).
        scale_power: Values are integers / 2^(f · scale_power); 1 after encryption, +1 per
            multiplication by encoded fractions.
        bounds: Per element, a bound on |m| for the signed integer m encrypted (before the
            division by 2^(f · scale_power)), each in [0, max_int]. Empty (the default) means
            max_int for every element: what holds for a ciphertext of unknown origin.
    """

    public_key: phe.PaillierPublicKey
    encoding: FixedPoint
    ciphertexts: tuple[mpz, ...]
    scale_power: int = 1
    bounds: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.public_key, phe.PaillierPublicKey) or not isinstance(self.encoding, FixedPoint):
            raise InvalidInputError("an encrypted vector needs a phe.PaillierPublicKey and a FixedPoint encoding")
        if self.encoding.n != self.public_key.n:
            raise KeyMismatchError("the encoding's n is not the key's")
        _check_scale_power(self.scale_power)
        if not isinstance(self.ciphertexts, tuple) or not isinstance(self.bounds, tuple):
            raise InvalidInputError("ciphertexts and bounds must be tuples")
        if not self.bounds:
            object.__setattr__(self, "bounds", (self.encoding.max_int,) * len(self.ciphertexts))
        if len(self.bounds) != len(self.ciphertexts):
            raise InvalidInputError(f"{len(self.bounds)} bounds for {len(self.ciphertexts)} ciphertexts")
        for bound in self.bounds:
            if not is_int(bound) or bound < 0:
                raise InvalidInputError(f"a bound must be a non-negative int, got {bound!r}")
        _check_bounds(self.encoding, self.bounds, "these bounds")

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def encrypt(
        cls,
        public_key: phe.PaillierPublicKey,
        values: Iterable[float | int],
        *,
        encoding: FixedPoint | None = None,
        pool: NoisePool | None = None,
    ) -> EncryptedVector:
        """Encrypt ``values`` (fresh randomness per element; from ``pool`` when given).

        Raises:
            EncodingOverflowError: A value does not fit the encoding.
        """
        encoding = encoding or FixedPoint.for_key(public_key)
        noise = _noise_source(public_key, pool)
        integers = [encoding.encode_int(v) for v in values]
        n = encoding.n
        return cls(
            public_key,
            encoding,
            tuple(encrypt_raw(public_key, m % n, noise()) for m in integers),
            bounds=tuple(abs(m) for m in integers),  # the encrypter knows each |m| exactly
        )

    @classmethod
    def from_ciphertexts(
        cls,
        public_key: phe.PaillierPublicKey,
        ciphertexts: Iterable[int | mpz],
        *,
        encoding: FixedPoint | None = None,
        scale_power: int = 1,
        bound: int | None = None,
    ) -> EncryptedVector:
        """Wrap raw ciphertexts (each checked to be an int in [1, n²)).

        Args:
            public_key: The key.
            ciphertexts: The raw ciphertexts.
            encoding: Their encoding (the key's default if omitted).
            scale_power: Their scale.
            bound: A bound on every element's |m| that the *caller* vouches for (a limit its
                protocol makes honest senders enforce, or a verified range proof); nothing here
                can check it. Default: the encoding's max_int, true of any decryptable ciphertext.

        Raises:
            InvalidInputError: A ciphertext is not an int in [1, n²), or ``bound`` is not in
                [0, max_int].
        """
        if not isinstance(public_key, phe.PaillierPublicKey):
            raise InvalidInputError(f"expected a phe.PaillierPublicKey, got {type(public_key).__name__}")
        if isinstance(ciphertexts, str | bytes) or not isinstance(ciphertexts, Iterable):
            raise InvalidInputError(f"ciphertexts must be a sequence of ints, got {type(ciphertexts).__name__}")
        values = tuple(_as_ciphertext(public_key, c) for c in ciphertexts)
        encoding = encoding or FixedPoint.for_key(public_key)
        bounds = () if bound is None else (bound,) * len(values)
        return cls(public_key, encoding, values, scale_power, bounds)

    @classmethod
    def from_phe(
        cls,
        numbers: Sequence[phe.EncryptedNumber],
        encoding: FixedPoint | None = None,
        *,
        max_abs_value: float | int | None = None,
    ) -> EncryptedVector:
        """Adopt phe ``EncryptedNumber``s, re-expressing phe's base-16 exponents at one scale.

        Each number's mantissa is multiplied by 16^e · 2^f (a plaintext scalar, exact when
        16^e · 2^f is an integer) so that all share scale 2^f. phe only promises |mantissa| ≤
        its own max_int, so without ``max_abs_value`` an element's bound is that times 2^(4e + f),
        and a number whose exponent needs a shift (4e + f > 0) is refused: the multiplication
        could wrap around n.

        Args:
            numbers: The phe numbers, all under one key.
            encoding: The encoding to adopt them into (the key's default if omitted).
            max_abs_value: A bound on every number's |value| that the caller vouches for.

        Raises:
            KeyMismatchError: The numbers are under different keys.
            EncodingOverflowError: The numbers' bound does not fit the encoding.
            InvalidInputError: An exponent is too negative to re-express exactly at f bits.
        """
        if not numbers or not all(isinstance(x, phe.EncryptedNumber) for x in numbers):
            raise InvalidInputError("from_phe needs a non-empty sequence of phe.EncryptedNumber")
        public_key = numbers[0].public_key
        encoding = encoding or FixedPoint.for_key(public_key)
        vouched = None if max_abs_value is None else abs(encoding.encode_int(max_abs_value)) + 1  # +1: rounding
        nsquare = mpz(public_key.nsquare)
        out, bounds = [], []
        for number in numbers:
            if number.public_key != public_key:
                raise KeyMismatchError("phe numbers under different keys")
            shift = 4 * number.exponent + encoding.fraction_bits  # 16^e · 2^f = 2^(4e + f)
            if shift < 0:
                raise InvalidInputError(
                    f"a phe number with exponent {number.exponent} needs at least {-4 * number.exponent} fraction bits"
                )
            bounds.append(min(vouched, encoding.max_int) if vouched is not None else public_key.max_int << shift)
            _check_bounds(encoding, bounds[-1:], "adopting a phe number without max_abs_value")
            out.append(gmpy2.powmod(mpz(number.ciphertext(be_secure=False)), mpz(1) << shift, nsquare))
        return cls(public_key, encoding, tuple(out), bounds=tuple(bounds))

    def to_phe(self) -> list[phe.EncryptedNumber]:
        """The ciphertexts as phe ``EncryptedNumber``s (exact when f is a multiple of 4)."""
        bits = self.encoding.fraction_bits * self.scale_power
        if bits % 4:
            raise InvalidInputError(f"phe exponents are base 16: f · scale_power = {bits} must be a multiple of 4")
        return [phe.EncryptedNumber(self.public_key, int(c), -bits // 4) for c in self.ciphertexts]

    # --- arithmetic --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ciphertexts)

    def _like(
        self, ciphertexts: Iterable[mpz], bounds: Sequence[int], scale_power: int | None = None
    ) -> EncryptedVector:
        """A vector of ``ciphertexts`` under this key and encoding; ``bounds`` already checked."""
        power = self.scale_power if scale_power is None else scale_power
        return EncryptedVector(self.public_key, self.encoding, tuple(ciphertexts), power, tuple(bounds))

    def _check_same(self, other: EncryptedVector) -> None:
        if not isinstance(other, EncryptedVector):
            raise InvalidInputError(f"expected an EncryptedVector, got {type(other).__name__}")
        if other.public_key != self.public_key or other.encoding != self.encoding:
            raise KeyMismatchError("vectors under different keys or encodings")
        if other.scale_power != self.scale_power:
            raise KeyMismatchError(f"vectors at scales {self.scale_power} and {other.scale_power} cannot be added")
        if len(other) != len(self):
            raise InvalidInputError(f"vectors of lengths {len(self)} and {len(other)} cannot be added")

    def __add__(self, other: EncryptedVector | Sequence[float | int]) -> EncryptedVector:
        """Element-wise E(a) · E(b) = E(a + b); a plaintext vector is encoded at this scale.

        Raises:
            EncodingOverflowError: A sum's bound (B_a + B_b, or B_a + |b|) exceeds max_int.
        """
        nsquare = mpz(self.public_key.nsquare)
        if isinstance(other, EncryptedVector):
            self._check_same(other)
            bounds = _check_bounds(
                self.encoding, [a + b for a, b in zip(self.bounds, other.bounds, strict=True)], "this addition"
            )
            return self._like(
                (a * b % nsquare for a, b in zip(self.ciphertexts, other.ciphertexts, strict=True)), bounds
            )
        plain = _as_reals(other, "a plaintext vector")
        if len(plain) != len(self):
            raise InvalidInputError(f"cannot add {len(plain)} plaintexts to {len(self)} ciphertexts")
        n = mpz(self.public_key.n)
        integers = [self.encoding.encode_int(v, self.scale_power) for v in plain]
        bounds = _check_bounds(
            self.encoding, [b + abs(m) for b, m in zip(self.bounds, integers, strict=True)], "this addition"
        )
        return self._like(
            (c * (1 + mpz(m % n) * n) % nsquare for c, m in zip(self.ciphertexts, integers, strict=True)), bounds
        )

    def scale_by(self, factors: float | int | Sequence[float | int]) -> EncryptedVector:
        """Element-wise E(a) ↦ E(a · k): ints keep the scale, floats are encoded (scale + 1).

        ``factors`` is one scalar for every element or one per element.

        Raises:
            EncodingOverflowError: A product's bound |k|·B_a exceeds max_int.
        """
        scalars = [factors] * len(self) if isinstance(factors, int | float) else _as_reals(factors, "factors")
        if len(scalars) != len(self):
            raise InvalidInputError(f"{len(scalars)} factors for {len(self)} ciphertexts")
        multipliers, power = self._encode_factors(scalars)
        bounds = _check_bounds(
            self.encoding, [abs(k) * b for k, b in zip(multipliers, self.bounds, strict=True)], "this multiplication"
        )
        n, nsquare = self.public_key.n, mpz(self.public_key.nsquare)
        return self._like(
            (
                gmpy2.powmod(c, _short_exponent(mpz(k) % n, n), nsquare)
                for c, k in zip(self.ciphertexts, multipliers, strict=True)
            ),
            bounds,
            power,
        )

    def _encode_factors(self, scalars: list[float | int]) -> tuple[list[int], int]:
        """The signed integer multipliers of ``scalars`` and the scale of the product."""
        if all(is_int(s) for s in scalars):
            return [int(s) for s in scalars], self.scale_power
        encode = self.encoding.encode_int
        return [encode(s) for s in scalars], self.scale_power + 1

    def dot(self, factors: Sequence[float | int]) -> EncryptedVector:
        """E(Σ a_i · k_i) as a one-element vector: Π E(a_i)^(k_i) mod n² (negative k_i as short
        inverse powers).

        Raises:
            EncodingOverflowError: The bound Σ |k_i|·B_i exceeds max_int.
        """
        scalars = _as_reals(factors, "factors")
        if len(scalars) != len(self):
            raise InvalidInputError(f"dot product of {len(self)} ciphertexts with {len(scalars)} factors")
        multipliers, power = self._encode_factors(scalars)
        bound = sum(abs(k) * b for k, b in zip(multipliers, self.bounds, strict=True))
        bounds = _check_bounds(self.encoding, [bound], "this dot product")
        n, nsquare = self.public_key.n, mpz(self.public_key.nsquare)
        acc = mpz(1)
        for c, k in zip(self.ciphertexts, multipliers, strict=True):
            acc = acc * gmpy2.powmod(c, _short_exponent(mpz(k) % n, n), nsquare) % nsquare
        return self._like((acc,), bounds, power)

    def sum(self) -> EncryptedVector:
        """E(Σ a_i) as a one-element vector.

        Raises:
            EncodingOverflowError: The bound Σ B_i exceeds max_int.
        """
        bounds = _check_bounds(self.encoding, [sum(self.bounds)], "this sum")
        nsquare = mpz(self.public_key.nsquare)
        acc = mpz(1)
        for c in self.ciphertexts:
            acc = acc * c % nsquare
        return self._like((acc,), bounds)

    def rerandomize(self, pool: NoisePool | None = None) -> EncryptedVector:
        """The same plaintexts under fresh randomness: E(m, r1 r2) = E(m, r1) · E(0, r2) (§4.5)."""
        nsquare = mpz(self.public_key.nsquare)
        noise = _noise_source(self.public_key, pool)
        return self._like((c * noise() % nsquare for c in self.ciphertexts), self.bounds)

    # --- decryption --------------------------------------------------------------------------

    def decrypt(self, private_key: phe.PaillierPrivateKey) -> list[float]:
        """The plaintext values.

        Raises:
            KeyMismatchError: ``private_key`` is not this vector's key.
            EncodingOverflowError: A value wrapped around n.
        """
        return [self.encoding.decode(m, self.scale_power) for m in self.decrypt_residues(private_key)]

    def decrypt_residues(self, private_key: phe.PaillierPrivateKey) -> list[int]:
        """The raw residues in [0, n) (for integer vectors use ``encoding.decode_int``)."""
        if private_key.public_key != self.public_key:
            raise KeyMismatchError("the private key is not this vector's key")
        return [int(private_key.raw_decrypt(int(c))) for c in self.ciphertexts]

    # --- serialisation -----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """Header (magic, key fingerprint, f, scale power, length) and fixed-width ciphertexts."""
        width = ciphertext_bytes(self.public_key)
        header = _HEADER.pack(
            _MAGIC, key_fingerprint(self.public_key), self.encoding.fraction_bits, self.scale_power, len(self)
        )
        return header + b"".join(int(c).to_bytes(width, "big") for c in self.ciphertexts)

    @classmethod
    def from_bytes(cls, data: bytes, public_key: phe.PaillierPublicKey, *, bound: int | None = None) -> EncryptedVector:
        """The vector of :meth:`to_bytes`, under ``public_key``.

        The bytes carry no bound (a sender's claim would prove nothing): every element gets
        ``bound`` if the caller vouches for one (see :meth:`from_ciphertexts`), else max_int.

        Raises:
            InvalidInputError: Not a serialised vector, truncated, or a ciphertext out of range.
            KeyMismatchError: It was serialised under another key.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidInputError(f"a serialised vector is bytes, got {type(data).__name__}")
        if not isinstance(public_key, phe.PaillierPublicKey):
            raise InvalidInputError(f"expected a phe.PaillierPublicKey, got {type(public_key).__name__}")
        data = bytes(data)
        if len(data) < _HEADER.size:
            raise InvalidInputError(f"serialised vector too short: {len(data)} bytes, header is {_HEADER.size}")
        magic, fingerprint, fraction_bits, scale_power, length = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise InvalidInputError(f"not a serialised encrypted vector (magic {magic!r})")
        if fingerprint != key_fingerprint(public_key):
            raise KeyMismatchError("the vector was serialised under another key")
        width = ciphertext_bytes(public_key)
        body = data[_HEADER.size :]
        if len(body) != width * length:
            raise InvalidInputError(
                f"serialised vector of {length} ciphertexts needs {width * length} bytes, got {len(body)}"
            )
        ciphertexts = [mpz(int.from_bytes(body[i * width : (i + 1) * width], "big")) for i in range(length)]
        return cls.from_ciphertexts(
            public_key,
            ciphertexts,
            encoding=FixedPoint(int(public_key.n), fraction_bits),
            scale_power=scale_power,
            bound=bound,
        )


def _check_bounds(encoding: FixedPoint, bounds: Sequence[int], operation: str) -> Sequence[int]:
    """``bounds`` if each is at most the encoding's max_int, else raise naming ``operation``."""
    worst = max(bounds, default=0)
    if worst > encoding.max_int:
        raise EncodingOverflowError(
            f"{operation} could overflow the encoding: a result's |integer| may reach ≈2^{worst.bit_length()}, "
            f"above max_int ≈2^{encoding.max_int.bit_length()}, and would then wrap around n; nothing was computed"
        )
    return bounds


def _as_reals(values: Any, what: str) -> list[float | int]:
    """``values`` as a list of real numbers (each checked again when encoded)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidInputError(f"{what} must be a sequence of numbers, got {type(values).__name__}")
    out = list(values)
    for v in out:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise InvalidInputError(f"{what} must hold real numbers, got {type(v).__name__} {v!r}")
    return out


def _as_ciphertext(public_key: phe.PaillierPublicKey, ciphertext: Any) -> mpz:
    """``ciphertext`` as an mpz after checking it is an int in [1, n²)."""
    _check_ciphertext(public_key, ciphertext)
    return mpz(ciphertext)


def _check_scale_power(scale_power: object) -> int:
    """``scale_power`` if it is an int in [0, 65535] (what the serialised header holds)."""
    if not is_int(scale_power) or not 0 <= scale_power <= 0xFFFF:
        raise InvalidInputError(f"scale_power must be an int in [0, 65535], got {scale_power!r}")
    return scale_power


def _short_exponent(residue: mpz, n: int) -> mpz:
    """A negative residue n − k as −k: c^(−k) is one inversion and a short power, not |n| bits."""
    return residue - n if residue > n // 2 else residue
