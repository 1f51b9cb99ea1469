"""The trends of the research's Fig. 7.4–7.9, from valuation results (matplotlib, Agg backend).

Research: Shen, Zhu, Xu, ch. 7 §7.5: each owner's revenue against its sample count for the SVM,
random-forest and KNN utilities (:func:`revenue_by_samples`, :func:`plot_revenue_by_samples`),
and the roles' shares (owners, miners, third party; Theorem 2) against the F1 ratio and the size
of the owners' group (:func:`role_shares_by_f1_ratio`, :func:`role_shares_by_group_size`,
:func:`plot_role_shares`). The research text was not available here: the figures reproduce the
trends issue 15 names, not the research's exact axes.

**F1 ratio.** For the role shares, k owners are symmetric and one owner's data alone reaches a
fraction r of the F1 of all k owners' data: u(S) = F · (r + (1 − r)(|S| − 1)/(k − 1)) for a
non-empty S (linear in the number of owners), u(∅) = 0. r → 1 makes the owners substitutes (any
one suffices: the miners and the third party, both indispensable, take most); a small r makes
their data complementary (the owners take more). :func:`f1_ratio` reads r off a measured table.

Not part of the library's core: nothing else imports it, and matplotlib is imported only when a
figure is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from offchain.learning.valuation.errors import GameError
from offchain.learning.valuation.roles import service_shares
from offchain.learning.valuation.shapley import normalised_shapley, player_count
from offchain.validation import is_int

__all__ = [
    "f1_ratio",
    "plot_revenue_by_samples",
    "plot_role_shares",
    "revenue_by_samples",
    "role_shares_by_f1_ratio",
    "role_shares_by_group_size",
    "symmetric_table",
]

#: The role series of :func:`role_shares_by_f1_ratio` and :func:`role_shares_by_group_size`.
ROLES = ("owners", "miners", "third party")


def symmetric_table(owners: int, f1_ratio: float, f1: float = 1.0) -> list[float]:
    """u(S) = f1 · (r + (1 − r)(|S| − 1)/(k − 1)) for non-empty S, u(∅) = 0 (k = ``owners``).

    Raises:
        GameError: ``owners`` not in [1, 16] or ``f1_ratio`` not in (0, 1].
    """
    if not is_int(owners) or not 1 <= owners <= 16:
        raise GameError(f"owners must be an int in [1, 16], got {owners!r}")
    if not 0 < f1_ratio <= 1:
        raise GameError(f"the F1 ratio must be in (0, 1], got {f1_ratio!r}")
    step = (1 - f1_ratio) / (owners - 1) if owners > 1 else 0.0
    return [0.0] + [f1 * (f1_ratio + step * (mask.bit_count() - 1)) for mask in range(1, 1 << owners)]


def f1_ratio(table: Sequence[float]) -> float:
    """The mean single owner's F1 over the grand coalition's: (1/n) Σ_i u({i}) / u(N).

    Raises:
        GameError: A malformed table or u(N) = 0.
    """
    n = player_count(table)
    if table[-1] == 0:
        raise GameError("the grand coalition is worth 0: no F1 ratio")
    return sum(table[1 << i] for i in range(n)) / n / table[-1]


def revenue_by_samples(
    tables: Mapping[str, Sequence[float]], rows: Sequence[int], revenue: float
) -> dict[str, list[tuple[int, float]]]:
    """Each owner's (sample count, revenue) under Theorem 1, for each model's table.

    Args:
        tables: A game table per model name (``"svm"``, ``"rf"``, ``"knn"``), over the same owners.
        rows: Each owner's sample count.
        revenue: The revenue shared.
    """
    return {
        model: sorted(zip(rows, normalised_shapley(table, revenue), strict=True)) for model, table in tables.items()
    }


def _fractions(table: list[float]) -> dict[str, float]:
    shares = service_shares(table, 1.0)
    return {"owners": sum(shares.owners), "miners": shares.miners, "third party": shares.third_party}


def role_shares_by_f1_ratio(ratios: Sequence[float], owners: int) -> dict[str, list[float]]:
    """Each role's fraction of the revenue (Theorem 2) for each F1 ratio, ``owners`` owners."""
    rows = [_fractions(symmetric_table(owners, r)) for r in ratios]
    return {role: [row[role] for row in rows] for role in ROLES}


def role_shares_by_group_size(sizes: Sequence[int], ratio: float) -> dict[str, list[float]]:
    """Each role's fraction of the revenue (Theorem 2) for each number of owners, F1 ratio ``ratio``."""
    rows = [_fractions(symmetric_table(k, ratio)) for k in sizes]
    return {role: [row[role] for row in rows] for role in ROLES}


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_revenue_by_samples(points: Mapping[str, Sequence[tuple[int, float]]], path: Path) -> None:
    """One panel per model: each owner's revenue against its sample count (Fig. 7.4–7.6's trend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(points), figsize=(4 * len(points), 3.6), squeeze=False)
    for ax, (model, series) in zip(axes[0], points.items(), strict=True):
        ax.plot([s for s, _ in series], [r for _, r in series], "o-")
        ax.set(xlabel="owner's samples", ylabel="revenue", title=f"{model.upper()} utility (test F1)")
        ax.grid(alpha=0.3)
    _save(fig, path)


def plot_role_shares(
    ratios: Sequence[float],
    by_ratio: Mapping[str, Sequence[float]],
    sizes: Sequence[int],
    by_size: Mapping[str, Sequence[float]],
    path: Path,
) -> None:
    """Two panels: the roles' fractions of the revenue against the F1 ratio and against the
    number of owners (Fig. 7.7–7.9's trends)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for role in ROLES:
        left.plot(ratios, by_ratio[role], "o-", label=role)
        right.plot(sizes, by_size[role], "o-", label=role)
    left.set(xlabel="F1 ratio (one owner's data / all owners' data)", ylabel="share of revenue")
    right.set(xlabel="number of data owners", ylabel="share of revenue")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    _save(fig, path)
