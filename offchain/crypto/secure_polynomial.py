"""Secure polynomial multiplication of secureSVM: encrypted weights times a party's plaintext rows.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 4 §4.6,
Eq. 4.11–4.15: with the additive homomorphism of Paillier, [[Σ_i a_i x_i]] = Π_i [[a_i]]^{x_i}
for a plaintext vector x and encrypted coefficients [[a_i]]. Here it computes, under the data
analyst's key and on a data provider's own integer rows X_j (scale 2^f) and labels y_j ∈ {±1}:

* the margin numerators [[D_j]] = [[y_j (W·X_j − B·2^f) − 2^{2f}]] from [[W]] and [[B]]
  (:func:`encrypted_margins`), D_j < 0 exactly when y_j (w·x_j − b) < 1
  (:func:`offchain.learning.svm.margin_numerator` in the clear);
* the batch sums [[G]] = [[Σ I_j y_j X_j]], [[G_b]] = [[Σ I_j y_j]], [[C]] = [[Σ I_j]] from
  encrypted indicators [[I_j]] (:func:`encrypted_hinge_sums`).

Bounds: every plaintext involved is checked against ``max_int`` of the key's encoding *before*
the homomorphic operations (:func:`check_margin_bound`, :func:`check_sum_bound`), so no sum or
product can wrap around n silently. Who learns what: the party running these functions sees only
ciphertexts under a key it does not hold and its own rows; nothing is decrypted here.
"""

from __future__ import annotations

from collections.abc import Sequence

import gmpy2
import phe
from gmpy2 import mpz

from offchain.crypto.paillier import EncodingOverflowError, FixedPoint
from offchain.errors import InvalidInputError

__all__ = [
    "check_margin_bound",
    "check_sum_bound",
    "encrypted_hinge_sums",
    "encrypted_margins",
    "margin_bound",
]


def margin_bound(weight_bound_bits: int, features: int, fraction_bits: int) -> int:
    """A bound on |D| when every |W_i|, |B| < 2^weight_bound_bits and every X in [0, 2^f]."""
    weight = 1 << weight_bound_bits
    return weight * (features + 1) * (1 << fraction_bits) + (1 << (2 * fraction_bits))


def _max_int(public_key: phe.PaillierPublicKey) -> int:
    return FixedPoint.for_key(public_key, 0).max_int


def check_margin_bound(public_key: phe.PaillierPublicKey, bound: int) -> None:
    """Raise :class:`EncodingOverflowError` if a margin of magnitude ``bound`` could wrap."""
    if bound > _max_int(public_key):
        raise EncodingOverflowError(f"margins up to 2^{bound.bit_length()} exceed this key's max_int")


def check_sum_bound(public_key: phe.PaillierPublicKey, rows: int, fraction_bits: int) -> None:
    """Raise :class:`EncodingOverflowError` if a batch sum of ``rows`` rows could wrap."""
    if rows * (1 << fraction_bits) > _max_int(public_key):
        raise EncodingOverflowError(f"a sum over {rows} rows at scale 2^{fraction_bits} exceeds max_int")


def _check_rows(rows: Sequence[Sequence[int]], labels: Sequence[int], fraction_bits: int) -> None:
    if len(rows) != len(labels):
        raise InvalidInputError(f"{len(rows)} rows and {len(labels)} labels")
    top = 1 << fraction_bits
    for row, label in zip(rows, labels, strict=True):
        if label not in (-1, 1) or any(not 0 <= x <= top for x in row):
            raise InvalidInputError(f"rows must hold integers in [0, 2^{fraction_bits}] and labels ±1")


def encrypted_margins(
    public_key: phe.PaillierPublicKey,
    weights: Sequence[mpz],
    bias: mpz,
    rows: Sequence[Sequence[int]],
    labels: Sequence[int],
    fraction_bits: int,
    weight_bound_bits: int,
) -> list[mpz]:
    """[[D_j]] for each row (Eq. 4.11–4.15 with plaintext exponents X_j).

    Raises:
        InvalidInputError: Rows outside [0, 2^f] or a label not ±1, or a width mismatch.
        EncodingOverflowError: The margins could exceed ``max_int`` under the weight bound.
    """
    _check_rows(rows, labels, fraction_bits)
    if any(len(row) != len(weights) for row in rows):
        raise InvalidInputError(f"rows must have {len(weights)} features")
    check_margin_bound(public_key, margin_bound(weight_bound_bits, len(weights), fraction_bits))
    n, nsquare = mpz(public_key.n), mpz(public_key.nsquare)
    bias_term = gmpy2.powmod(gmpy2.invert(bias, nsquare), 1 << fraction_bits, nsquare)  # [[−B·2^f]]
    minus_one = 1 + (n - (1 << (2 * fraction_bits))) * n  # [[−2^{2f}]], no randomness needed
    out = []
    for row, label in zip(rows, labels, strict=True):
        acc = bias_term
        for c, x in zip(weights, row, strict=True):
            if x:
                acc = acc * gmpy2.powmod(c, x, nsquare) % nsquare
        if label < 0:
            acc = gmpy2.invert(acc, nsquare)
        out.append(acc * minus_one % nsquare)
    return out


def encrypted_hinge_sums(
    public_key: phe.PaillierPublicKey,
    indicators: Sequence[mpz],
    rows: Sequence[Sequence[int]],
    labels: Sequence[int],
    fraction_bits: int,
) -> list[mpz]:
    """[[G_1]], …, [[G_d]], [[G_b]], [[C]] from the indicators [[I_j]].

    Raises:
        InvalidInputError: Lengths differ, or rows/labels out of range.
        EncodingOverflowError: The sums could exceed ``max_int``.
    """
    _check_rows(rows, labels, fraction_bits)
    if len(indicators) != len(rows) or not rows:
        raise InvalidInputError(f"{len(indicators)} indicators for {len(rows)} rows")
    check_sum_bound(public_key, len(rows), fraction_bits)
    nsquare = mpz(public_key.nsquare)
    width = len(rows[0])
    sums = [mpz(1)] * (width + 2)
    for indicator, row, label in zip(indicators, rows, labels, strict=True):
        signed = indicator if label > 0 else gmpy2.invert(indicator, nsquare)  # [[y_j I_j]]
        for i, x in enumerate(row):
            if x:
                sums[i] = sums[i] * gmpy2.powmod(signed, x, nsquare) % nsquare
        sums[width] = sums[width] * signed % nsquare
        sums[width + 1] = sums[width + 1] * indicator % nsquare
    return sums
