"""Permutation-sampling Shapley values for many owners: truncated Monte Carlo (TMC).

Research: Shen, Zhu, Xu, ch. 7 §7.3 (the exact Shapley value of Eq. 7.6 needs 2^n trained
models); A. Ghorbani and J. Zou, "Data Shapley: equitable valuation of data for machine
learning", ICML 2019, Algorithm 1 (truncated Monte Carlo); the permutation form of the Shapley
value: φ_i = E_π [v(P_i^π ∪ {i}) − v(P_i^π)] over uniformly random orders π, P_i^π the players
before i.

Each sampled order gives one marginal contribution per player; φ̂_i is their mean over m orders
and its standard error se_i = sd_i / √m (sample standard deviation, ddof = 1). **Convergence
criterion:** sampling stops, after ``min_permutations``, as soon as max_i se_i ≤ ``tolerance``
(``converged``), or after ``max_permutations`` (not converged). **Error bound:** without
truncation the estimate is unbiased and |φ̂_i − φ_i| ≤ 1.96 se_i with probability ≈ 95 %
(normal approximation, m large enough); Σ_i φ̂_i = v(N) − v(∅) exactly, since each order's
marginals telescope. With ``antithetic`` orders come in pairs (π and its reverse) and m counts
pairs.

**Truncation:** with ``truncation`` = τ > 0, once a prefix is worth within τ·|v(N)| of the grand
coalition the rest of the order is not evaluated and its marginals count as 0 (models trained
on most of the data all score about v(N)). It biases the estimate: in each order the skipped
marginals sum to v(N) − v(prefix), at most τ·|v(N)| in absolute value, so the bias of Σ_i φ̂_i
is at most τ·|v(N)|; it bounds a single φ̂_i the same way when the skipped marginals share a sign
(a monotone utility), not in general. τ = 0 (the default) samples without bias.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from offchain.learning.valuation.errors import GameError
from offchain.validation import as_finite_float, is_finite_number, is_int

__all__ = ["SampledShapley", "tmc_shapley"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SampledShapley:
    """A TMC estimate.

    Attributes:
        values: φ̂_i, by player.
        stderr: The standard error of each φ̂_i (NaN with a single permutation).
        permutations: How many orders were sampled.
        converged: Whether max stderr ≤ the tolerance was reached.
        evaluations: Utilities looked up (cached ones included).
        truncated: Marginals skipped by truncation (counted as 0).
    """

    values: tuple[float, ...]
    stderr: tuple[float, ...]
    permutations: int
    converged: bool
    evaluations: int
    truncated: int

    @property
    def max_stderr(self) -> float:
        """The largest standard error."""
        return max(self.stderr)


def _prefixes(utility: Callable[[int], float], order: Sequence[int]) -> Iterator[float]:
    scan = getattr(utility, "prefixes", None)
    if scan is not None:
        yield from scan(order)
        return
    mask = 0
    for player in order:
        mask |= 1 << player
        yield utility(mask)


def _worth(value: object, mask: int) -> float:
    worth = as_finite_float(value)
    if worth is None:
        raise GameError(f"the utility of coalition {mask:#b} must be a finite number, got {value!r}")
    return worth


def _positive_int(value: object, what: str) -> int:
    if not is_int(value) or value < 1:
        raise GameError(f"{what} must be a positive int, got {value!r}")
    return value


def tmc_shapley(
    utility: Callable[[int], float],
    players: int,
    *,
    tolerance: float = 0.01,
    truncation: float = 0.0,
    min_permutations: int = 30,
    max_permutations: int = 1000,
    antithetic: bool = False,
    seed: int | None = None,
) -> SampledShapley:
    """Estimate the Shapley values of ``players`` players by sampling orders (see the module
    docstring for the convergence criterion and the error bound).

    Args:
        utility: v(mask) for a bitmask of players (bit i = player i), e.g. a
            :class:`~offchain.learning.valuation.utility.CoalitionUtility` (whose ``prefixes``
            method, when present, is used to value an order's prefixes, incrementally for KNN).
        players: n.
        tolerance: Stop once every standard error is at most this.
        truncation: τ ≥ 0 (0: no truncation).
        min_permutations: Orders sampled before the criterion is checked (≥ 2).
        max_permutations: The most orders sampled.
        antithetic: Sample orders in pairs, each with its reverse, one sample being the pair's
            mean marginals (still unbiased; the two halves are negatively correlated, which often
            lowers the variance); the standard error is then over pairs.
        seed: Seed of the orders; ``None`` draws one from :mod:`secrets` (logged).

    Raises:
        GameError: A bad count, tolerance or truncation, or a utility that is not a finite number.
    """
    players = _positive_int(players, "players")
    min_permutations = max(2, _positive_int(min_permutations, "min_permutations"))
    max_permutations = max(min_permutations, _positive_int(max_permutations, "max_permutations"))
    for name, value in (("tolerance", tolerance), ("truncation", truncation)):
        if not is_finite_number(value) or value < 0:
            raise GameError(f"{name} must be a finite number ≥ 0, got {value!r}")
    if seed is None:
        seed = secrets.randbits(63)
        logger.info("TMC seed %d", seed)
    rng = np.random.default_rng(seed)
    everyone = (1 << players) - 1
    empty, grand = _worth(utility(0), 0), _worth(utility(everyone), everyone)
    threshold = truncation * abs(grand)
    count, mean, squares = 0, np.zeros(players), np.zeros(players)
    evaluations, truncated = 2, 0
    stderr = np.full(players, math.nan)

    def marginals_of(order: list[int]) -> np.ndarray:
        nonlocal evaluations, truncated
        marginals = np.zeros(players)
        previous, mask = empty, 0
        scan = _prefixes(utility, order)
        for position, player in enumerate(order):
            if truncation > 0 and abs(grand - previous) <= threshold:
                truncated += players - position
                break
            mask |= 1 << player
            value = _worth(next(scan), mask)
            evaluations += 1
            marginals[player] = value - previous
            previous = value
        return marginals

    orders = 0
    while orders < max_permutations:
        order = [int(p) for p in rng.permutation(players)]
        marginals = marginals_of(order)
        orders += 1
        if antithetic:
            marginals = (marginals + marginals_of(order[::-1])) / 2
            orders += 1
        count += 1  # Welford's running mean and sum of squared deviations, over samples
        delta = marginals - mean
        mean += delta / count
        squares += delta * (marginals - mean)
        stderr = np.sqrt(squares / (count - 1) / count) if count > 1 else stderr
        if orders >= min_permutations and float(stderr.max()) <= tolerance:
            break
    converged = count > 1 and float(stderr.max()) <= tolerance
    logger.info("TMC: %d orders, max stderr %.3g, converged %s", orders, float(stderr.max()), converged)
    return SampledShapley(
        tuple(float(v) for v in mean), tuple(float(v) for v in stderr), orders, converged, evaluations, truncated
    )
