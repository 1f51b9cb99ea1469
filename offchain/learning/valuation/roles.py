"""The cooperation model's roles: data owners, miners and third parties (Theorems 2 and 3), and
the miners' split by consensus rule (Eq. 7.13–7.16).

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 7 §7.4. The
research text was not available to this implementation: the formulas below are derived from
issue 15's description of the model ("the cooperation model adds miners and third parties as
roles of the coalition; miners split their part by PoW hashrate, PoS stake, PBFT blocks"), and
say so where they fix a detail the description leaves open.

**The game of one service (Theorem 2).** Players: the n data owners D, the miners M (one player:
the chain that records and serves the data) and the third party T (who trains the model and sells
predictions). A coalition earns only if it holds both the chain and the third party:
v(S) = u(S ∩ D) if M ∈ S and T ∈ S, else 0, where u(A) is the worth of owner set A's data
(its model's test F1, scaled to the service's revenue). Its Shapley values in closed form, with
s = |A| and n + 2 players:

- φ_T = φ_M = Σ_{A ⊆ D} (s + 1)! (n − s)! / (n + 2)! · u(A)
  (A is exactly the set of owners before T in a random order, and M is before T as well);
- φ_i = Σ_{A ⊆ D∖{i}} (s + 2)! (n − s − 1)! / (n + 2)! · (u(A ∪ {i}) − u(A)) for owner i
  (both M and T come before i, with exactly A among the owners).

They sum to u(D) (efficiency). With u(∅) > 0 (a third party that earns something without any
owner's data), M and T share u(∅).

**Several services (Theorem 3).** Services j = 1…m, each with its third party t_j (one third
party may run several) and its worth u_j: v(S) = Σ_j [M ∈ S][t_j ∈ S] u_j(S ∩ D). Shapley values
are additive, so each player's value is the sum over services of its Theorem 2 value in that
service; a third party earns only from its own services, an owner who gave a service no data is a
null player of it.

**Miners (Eq. 7.13–7.16).** The miners' part φ_M is split among the miners k by
PoW hashrate (7.13: φ_M · h_k / Σ h), PoS stake (7.14: φ_M · s_k / Σ s) or, under PBFT, by
blocks proposed (7.15: a per-block reward r = φ_M / B over the period's B blocks; 7.16: node k
receives r · b_k for the b_k blocks it proposed as primary, Σ b_k = B).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from offchain.learning.valuation.errors import GameError
from offchain.learning.valuation.shapley import float_worths, player_count, weighted_marginals
from offchain.validation import is_finite_number, is_int

__all__ = [
    "RoleShares",
    "Service",
    "ServiceShares",
    "pbft_split",
    "pos_split",
    "pow_split",
    "role_game_table",
    "service_shares",
    "services_shares",
]


@dataclass(frozen=True)
class RoleShares:
    """Each role's part of one service's revenue (Theorem 2); they sum to the revenue.

    Attributes:
        owners: Each data owner's part, by owner index.
        miners: The miners' part together (split it with :func:`pow_split`, :func:`pos_split`
            or :func:`pbft_split`).
        third_party: The third party's part.
    """

    owners: tuple[float, ...]
    miners: float
    third_party: float


@dataclass(frozen=True)
class Service:
    """One prediction service of Theorem 3.

    Attributes:
        third_party: Index of the third party that runs it (several services may share one).
        table: 2^n worths of the owners' coalitions for this service (its model's test F1),
            indexed by bitmask over the same n owners as every other service.
        revenue: What the service earned.
    """

    third_party: int
    table: Sequence[float]
    revenue: float


@dataclass(frozen=True)
class ServiceShares:
    """Every role's total over several services (Theorem 3).

    Attributes:
        owners: Each data owner's total, by owner index.
        miners: The miners' total.
        third_parties: Each third party's total, by third-party index.
    """

    owners: tuple[float, ...]
    miners: float
    third_parties: tuple[float, ...]


def _finite(value: float, what: str) -> float:
    if not is_finite_number(value):
        raise GameError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def service_shares(table: Sequence[float], revenue: float) -> RoleShares:
    """Theorem 2: one service's revenue shared among its owners, the miners and the third party.

    Args:
        table: 2^n worths u(A) of the owners' coalitions (test F1), indexed by bitmask.
        revenue: The service's revenue R; the game is u scaled by R / u(D).

    Returns:
        The roles' parts, summing to R.

    Raises:
        GameError: A malformed table, a non-finite revenue, or u(D) = 0 with R ≠ 0 (no worth to
            scale the revenue by).
    """
    n, u = float_worths(table)
    revenue = _finite(revenue, "revenue")
    grand = float(u[-1])
    if grand == 0:
        if revenue != 0:
            raise GameError("the grand coalition is worth 0: there is no model whose revenue could be shared")
        return RoleShares((0.0,) * n, 0.0, 0.0)
    scale = revenue / grand
    total = math.factorial(n + 2)
    sizes = np.array([m.bit_count() for m in range(1 << n)])
    role_weight = np.array([math.factorial(s + 1) * math.factorial(n - s) / total for s in range(n + 1)])
    role = float(np.dot(role_weight[sizes], u)) * scale
    owner_weight = [math.factorial(s + 2) * math.factorial(n - s - 1) / total for s in range(n)]
    owners = [v * scale for v in weighted_marginals(u, owner_weight)]
    return RoleShares(tuple(owners), role, role)


def services_shares(services: Sequence[Service]) -> ServiceShares:
    """Theorem 3: several services and third parties; each role's total over the services.

    Raises:
        GameError: No service, tables over different numbers of owners, a negative third-party
            index, or a service :func:`service_shares` refuses.
    """
    if not services:
        raise GameError("Theorem 3 needs at least one service")
    counts = {player_count(s.table) for s in services}
    if len(counts) != 1:
        raise GameError(f"every service's table must range over the same owners, got sizes {sorted(counts)}")
    if any(not isinstance(s.third_party, int) or s.third_party < 0 for s in services):
        raise GameError("a service's third party is a non-negative index")
    owners = np.zeros(counts.pop())
    parties = np.zeros(max(s.third_party for s in services) + 1)
    miners = 0.0
    for service in services:
        part = service_shares(service.table, service.revenue)
        owners += part.owners
        miners += part.miners
        parties[service.third_party] += part.third_party
    return ServiceShares(tuple(float(v) for v in owners), miners, tuple(float(v) for v in parties))


def role_game_table(table: Sequence[float]) -> list[float]:
    """The full game of Theorem 2 on n + 2 players (owners 0…n−1, miners n, third party n+1):
    v(S) = u(S ∩ D) when both n and n+1 are in S, else 0. For checking the closed forms with
    :func:`~offchain.learning.valuation.shapley.shapley_values` (it has 4× the entries)."""
    n, u = float_worths(table)
    both = 3 << n
    return [float(u[mask & ((1 << n) - 1)]) if mask & both == both else 0.0 for mask in range(1 << (n + 2))]


def _proportional(amount: float, weights: Sequence[float], what: str) -> list[float]:
    amount = _finite(amount, "the miners' part")
    if isinstance(weights, str | bytes) or not weights:
        raise GameError(f"{what}: need at least one miner")
    values = [_finite(w, what) for w in weights]
    if any(w < 0 for w in values) or sum(values) <= 0:
        raise GameError(f"{what} must be non-negative with a positive total, got {values}")
    total = math.fsum(values)
    return [amount * w / total for w in values]


def pow_split(miners_part: float, hashrates: Sequence[float]) -> list[float]:
    """Eq. 7.13 (PoW): miner k receives φ_M · h_k / Σ_j h_j.

    Worked example: φ_M = 30, hashrates 1, 2, 3 → 5, 10, 15.

    Raises:
        GameError: No miner, a negative hashrate, or all zero.
    """
    return _proportional(miners_part, hashrates, "hashrates")


def pos_split(miners_part: float, stakes: Sequence[float]) -> list[float]:
    """Eq. 7.14 (PoS): validator k receives φ_M · s_k / Σ_j s_j.

    Worked example: φ_M = 12, stakes 32, 32, 64 → 3, 3, 6.

    Raises:
        GameError: No validator, a negative stake, or all zero.
    """
    return _proportional(miners_part, stakes, "stakes")


def pbft_split(miners_part: float, blocks_proposed: Sequence[int]) -> list[float]:
    """Eq. 7.15–7.16 (PBFT): a per-block reward r = φ_M / B over the period's B = Σ b_k blocks
    (7.15), and node k receives r · b_k for the b_k blocks it proposed as primary (7.16).

    Worked example: φ_M = 20 over B = 8 blocks (r = 2.5), proposed 4, 3, 1, 0 → 10, 7.5, 2.5, 0.

    Raises:
        GameError: No node, a negative or non-int block count, or no block at all.
    """
    if isinstance(blocks_proposed, str | bytes) or any(not is_int(b) for b in blocks_proposed):
        raise GameError("blocks proposed are counted in ints")
    return _proportional(miners_part, [float(b) for b in blocks_proposed], "blocks proposed")
