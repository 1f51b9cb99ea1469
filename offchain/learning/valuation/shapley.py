"""Exact Shapley values of a coalition game given as a table, and the integer payout rule.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 7 §7.3
(Eq. 7.6 and Theorem 1): the revenue of a prediction service is shared among the data owners
whose data trained its model, in proportion to their Shapley values on the game whose worth
v(S) is the test F1 of a model trained on coalition S's data.

A game on n players is a *table* of 2^n worths indexed by bitmask: ``table[mask]`` is v(S) for
S = {i : bit i of mask is set}; ``table[0]`` is the empty coalition's worth.

- :func:`shapley_values` is the classical form (Eq. 7.6),
  φ_i = Σ_{S ⊆ N∖{i}} |S|! (n − |S| − 1)! / n! · (v(S ∪ {i}) − v(S)), in floating point;
  Σ_i φ_i = v(N) − v(∅) (efficiency).
- :func:`normalised_shapley` is Theorem 1's normalised form as this module states it: the
  revenue R is shared as R_i = R · φ_i / Σ_j φ_j (= R · φ_i / (v(N) − v(∅))). The research text
  itself was not available to this implementation; the form is written from issue 15's
  description ("in proportion to their Shapley value measured on the model's F1 score").
- :func:`shapley_numerators` gives the exact integers n!·φ_i of an integer table, and
  :func:`integer_shares` the integer payout of a pool (wei) that the ``ShapleyPayout`` contract
  computes the same way (see its docstring for the rule, with a worked example).

Caveat: exact values cost O(n · 2^n) table reads *and* 2^n trained models; beyond ~15 owners
use :mod:`offchain.learning.valuation.sampling`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from offchain.learning.valuation.errors import GameError
from offchain.validation import is_finite_number, is_int, real_array

__all__ = [
    "MAX_EXACT_PLAYERS",
    "float_worths",
    "integer_shares",
    "normalised_shapley",
    "player_count",
    "shapley_fractions",
    "shapley_numerators",
    "shapley_values",
    "weighted_marginals",
]

#: The most players an exact computation accepts (2^20 worths, ~1 M trained models).
MAX_EXACT_PLAYERS = 20


def player_count(table: Sequence[object]) -> int:
    """n for a table of 2^n worths.

    Raises:
        GameError: Not a sequence, or its length is not 2^n with 1 ≤ n ≤ :data:`MAX_EXACT_PLAYERS`.
    """
    if isinstance(table, str | bytes) or not hasattr(table, "__len__"):
        raise GameError(f"a game table must be a sequence of 2^n worths, got {type(table).__name__}")
    size = len(table)
    n = size.bit_length() - 1
    if size < 2 or size != 1 << n or n > MAX_EXACT_PLAYERS:
        raise GameError(f"a game table holds 2^n worths for 1 ≤ n ≤ {MAX_EXACT_PLAYERS}, got {size} entries")
    return n


def float_worths(table: Sequence[float]) -> tuple[int, np.ndarray]:
    """(n, the worths as a float array) of a table of 2^n finite numbers.

    Raises:
        GameError: A malformed table or a worth that is not a finite number.
    """
    n = player_count(table)
    values = real_array(table, np.float64, what="a game table's worths", error=GameError)
    if values.shape != (1 << n,):
        raise GameError(f"a game table holds one number per coalition, got shape {values.shape}")
    return n, values


def _integer_table(table: Sequence[int]) -> list[int]:
    player_count(table)
    if not all(is_int(v) and v >= 0 for v in table):
        raise GameError("an integer game table holds non-negative ints (the contract's uint256 worths)")
    return list(table)


def shapley_values(table: Sequence[float]) -> list[float]:
    """The classical Shapley values (Eq. 7.6) of every player, in floating point.

    Args:
        table: 2^n worths indexed by bitmask (bit i = player i).

    Returns:
        φ_0 … φ_{n−1}; they sum to ``table[-1] − table[0]``.

    Raises:
        GameError: A malformed table.
    """
    n, values = float_worths(table)
    factorial = math.factorial(n)
    return weighted_marginals(values, [math.factorial(s) * math.factorial(n - s - 1) / factorial for s in range(n)])


def weighted_marginals(values: np.ndarray, weights: Sequence[float]) -> list[float]:
    """Σ_{S ∌ i} w(|S|) · (v(S ∪ {i}) − v(S)) for every player i of a float table of 2^n worths,
    ``weights`` giving w(0) … w(n − 1): the Shapley value with w(s) = s!(n − s − 1)!/n!, and
    the owners' closed form of Theorem 2 (:mod:`~offchain.learning.valuation.roles`)."""
    n = len(values).bit_length() - 1
    masks = np.arange(1 << n)
    sizes = np.array([m.bit_count() for m in range(1 << n)])
    by_size = np.asarray(weights, dtype=np.float64)
    result = []
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        result.append(float(np.dot(by_size[sizes[without]], values[without | 1 << i] - values[without])))
    return result


def shapley_numerators(table: Sequence[int]) -> list[int]:
    """n!·φ_i of an integer table, exactly: Φ_i = Σ_{S ∌ i} |S|! (n − |S| − 1)! (v(S ∪ {i}) − v(S)).

    Raises:
        GameError: A malformed table, or a worth that is not a non-negative int.
    """
    values = _integer_table(table)
    n = player_count(values)
    weights = [math.factorial(s) * math.factorial(n - s - 1) for s in range(n)]
    numerators = [0] * n
    for mask in range(1 << n):
        size = mask.bit_count()
        if size == n:
            continue
        for i in range(n):
            if not mask >> i & 1:
                numerators[i] += weights[size] * (values[mask | 1 << i] - values[mask])
    return numerators


def shapley_fractions(table: Sequence[int]) -> list[Fraction]:
    """The exact rational Shapley values φ_i = Φ_i / n! of an integer table."""
    numerators = shapley_numerators(table)
    factorial = math.factorial(len(numerators))
    return [Fraction(v, factorial) for v in numerators]


def normalised_shapley(table: Sequence[float], revenue: float) -> list[float]:
    """Theorem 1 (as stated in the module docstring): R_i = R · φ_i / Σ_j φ_j.

    Args:
        table: 2^n worths (test F1 of each coalition's model).
        revenue: R, the revenue to share (any unit).

    Returns:
        Each owner's revenue; they sum to R. When Σ_j φ_j = 0 (every coalition worth the same),
        R is shared equally, as :func:`integer_shares` does.

    Raises:
        GameError: A malformed table or a non-finite revenue.
    """
    if not is_finite_number(revenue):
        raise GameError(f"revenue must be a finite number, got {revenue!r}")
    phi = shapley_values(table)
    total = math.fsum(phi)
    if abs(total) <= 1e-12 * max(1.0, max(abs(v) for v in phi)):
        return [revenue / len(phi)] * len(phi)
    return [revenue * v / total for v in phi]


def integer_shares(pool: int, table: Sequence[int]) -> list[int]:
    """Split an integer ``pool`` (wei) among n payees by their Shapley values, to the last wei.

    This is the rule of the ``ShapleyPayout`` contract's on-chain computation; both sides must
    give the same list for the same (pool, table).

    The rule:

    1. Φ_i = n!·φ_i = Σ_{S ⊆ N∖{i}} |S|! (n − |S| − 1)! (v(S ∪ {i}) − v(S)), exact integers
       (:func:`shapley_numerators`; the n! cancels in step 3, so the contract never divides by it).
    2. Negative values clamp to zero: Φ⁺_i = max(Φ_i, 0) (a payout cannot be negative).
    3. If Σ Φ⁺ > 0: share_i = ⌊pool · Φ⁺_i / Σ_j Φ⁺_j⌋ (integer division rounding down).
       The remainder r = pool − Σ_i share_i (0 ≤ r < n) goes, all of it, to one payee: the one
       with the largest Φ⁺_i, the lowest index among equals.
    4. If Σ Φ⁺ = 0 (no payee adds anything): share_i = ⌊pool / n⌋ for every i, and the
       remainder pool − n·⌊pool / n⌋ goes to index 0.

    So Σ_i share_i = pool exactly and no wei is stranded.

    Worked example: n = 2, table = [v(∅), v({0}), v({1}), v({0, 1})] = [0, 60, 30, 100],
    pool = 7. Φ_0 = 0!1!(60 − 0) + 1!0!(100 − 30) = 130; Φ_1 = 0!1!(30 − 0) + 1!0!(100 − 60) = 70
    (φ = 65, 35). Σ Φ⁺ = 200; share_0 = ⌊7·130/200⌋ = ⌊4.55⌋ = 4, share_1 = ⌊7·70/200⌋ = ⌊2.45⌋ = 2;
    r = 7 − 6 = 1 goes to payee 0 (largest Φ⁺): shares [5, 2]. With pool = 1000: [650, 350], r = 0.

    Args:
        pool: The amount to split, a non-negative int (wei).
        table: 2^n non-negative int worths indexed by bitmask (bit i = payee i), e.g. the test
            F1 of each coalition's model scaled to an integer
            (:func:`~offchain.learning.valuation.record.scale_utilities`).

    Returns:
        n non-negative ints summing to ``pool``.

    Raises:
        GameError: A negative or non-int pool, or a malformed table.
    """
    if not is_int(pool) or pool < 0:
        raise GameError(f"the pool must be a non-negative int (wei), got {pool!r}")
    positive = [max(v, 0) for v in shapley_numerators(table)]
    n, total = len(positive), sum(positive)
    if total == 0:
        shares = [pool // n] * n
        shares[0] += pool - sum(shares)
        return shares
    shares = [pool * v // total for v in positive]
    best = max(range(n), key=lambda i: (positive[i], -i))
    shares[best] += pool - sum(shares)
    return shares
