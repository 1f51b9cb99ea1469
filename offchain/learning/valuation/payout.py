"""Whole-wei payouts of the roles' shares: Theorem 2's split and the miners' consensus rule,
rounded so that the amounts sum exactly to the pool.

Research: Shen, Zhu, Xu, ch. 7 §7.4 (Theorem 2: one service's revenue shared among its data
owners, the miners and the third party; Eq. 7.13–7.16: the miners' part split by PoW hashrate,
PoS stake or PBFT blocks proposed). :mod:`~offchain.learning.valuation.roles` computes those
parts as real numbers; a payout (a ``ShapleyPayout`` Merkle round, whose leaves the agencies
check sum to the pool) needs whole wei that add up to the pool to the last wei. This module
rounds with the same rule as the contract's on-chain split
(:func:`~offchain.learning.valuation.shapley.integer_shares`): each amount is rounded down and the
remainder (fewer wei than there are payees) goes to the payee with the largest weight, the lowest
index among equals.

Caveat: the weights are floating-point Shapley values; they are converted to exact fractions
before rounding, so the result is a deterministic function of the floats, but two
implementations that compute the floats differently (summation order) may differ by a wei.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from offchain.learning.valuation.errors import GameError
from offchain.learning.valuation.roles import pbft_split, pos_split, pow_split, service_shares
from offchain.validation import is_finite_number, is_int

__all__ = ["CONSENSUS_RULES", "RoleSplitWei", "apportion_wei", "role_split_wei"]

#: The miners' rules of Eq. 7.13–7.16, by name.
CONSENSUS_RULES = ("pow", "pos", "pbft")


def apportion_wei(pool_wei: int, weights: Sequence[float]) -> list[int]:
    """Split ``pool_wei`` in proportion to non-negative ``weights``, to the last wei.

    share_i = ⌊pool · w_i / Σ w⌋ (exact rational arithmetic); the remainder goes to the largest
    weight, the lowest index among equals (the contract's rule; see the module docstring).

    Worked example: pool 10, weights 0.5, 0.25, 0.25: ⌊5⌋, ⌊2.5⌋, ⌊2.5⌋ = 5, 2, 2 (Σ 9); the
    remainder 1 goes to payee 0 (largest weight): 6, 2, 2.

    Raises:
        GameError: A negative or non-int pool, no weight, a negative or non-finite weight, or
            all weights zero.
    """
    if not is_int(pool_wei) or pool_wei < 0:
        raise GameError(f"the pool must be a non-negative int (wei), got {pool_wei!r}")
    if isinstance(weights, str | bytes) or not weights:
        raise GameError("need at least one weight")
    if any(not is_finite_number(w) or w < 0 for w in weights):
        raise GameError(f"weights must be finite non-negative numbers, got {list(weights)!r}")
    exact = [Fraction(w) for w in weights]
    total = sum(exact)
    if total == 0:
        raise GameError("all weights are zero: nothing to apportion by")
    shares = [math.floor(pool_wei * w / total) for w in exact]
    best = max(range(len(exact)), key=lambda i: (exact[i], -i))
    shares[best] += pool_wei - sum(shares)
    return shares


@dataclass(frozen=True)
class RoleSplitWei:
    """Theorem 2's split of one service's revenue in whole wei.

    Attributes:
        owners: Each data owner's wei, by owner index.
        miners: Each miner's wei (the miners' part split by the consensus rule), by miner index.
        third_party: The third party's wei.
    """

    owners: tuple[int, ...]
    miners: tuple[int, ...]
    third_party: int

    @property
    def total_wei(self) -> int:
        """Σ of every amount: the pool."""
        return sum(self.owners) + sum(self.miners) + self.third_party


def role_split_wei(pool_wei: int, table: Sequence[float], rule: str, miner_weights: Sequence[float]) -> RoleSplitWei:
    """Theorem 2 (§7.4) in whole wei: the roles' parts of ``pool_wei``, then the miners' part
    split among the miners by ``rule`` (Eq. 7.13 ``"pow"``: hashrates, 7.14 ``"pos"``: stakes,
    7.15–7.16 ``"pbft"``: blocks proposed), each level rounded by :func:`apportion_wei`.

    Args:
        pool_wei: The service's revenue, in wei.
        table: 2^n worths u(A) of the owners' coalitions (test F1), indexed by bitmask.
        rule: ``"pow"``, ``"pos"`` or ``"pbft"``.
        miner_weights: Each miner's hashrate, stake or (ints) blocks proposed.

    Returns:
        The amounts; :attr:`RoleSplitWei.total_wei` equals ``pool_wei``.

    Raises:
        GameError: A malformed table or pool, u(N) = 0, an unknown rule, or bad miner weights.
    """
    if rule not in CONSENSUS_RULES:
        raise GameError(f"unknown consensus rule {rule!r}; known: {CONSENSUS_RULES}")
    if rule == "pbft":  # each rule checks the weights it takes
        fractions = pbft_split(1.0, miner_weights)  # type: ignore[arg-type]  # pbft_split refuses non-ints
    elif rule == "pos":
        fractions = pos_split(1.0, miner_weights)
    else:
        fractions = pow_split(1.0, miner_weights)
    roles = service_shares(table, 1.0)
    amounts = apportion_wei(pool_wei, [*(max(v, 0.0) for v in roles.owners), roles.miners, roles.third_party])
    n = len(roles.owners)
    miners = apportion_wei(amounts[n], fractions)
    return RoleSplitWei(owners=tuple(amounts[:n]), miners=tuple(miners), third_party=amounts[n + 1])
