"""Dealing a training set to data owners: different sample counts, some with noisy labels.

Research: Shen, Zhu, Xu, ch. 7 §7.5.1–7.5.2: the thyroid records are divided among 2 and then 5
data owners holding different numbers of samples, one of them with noisy labels, to show that
the Shapley value pays more for more and for cleaner data. The deal is a function of the seed
only, so a valuation record's note ("seed 0, sizes …, noise …") is enough to redo it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from offchain.learning.valuation.errors import GameError
from offchain.learning.valuation.utility import LabelledData, _checked
from offchain.validation import is_int

__all__ = ["deal_rows"]


def deal_rows(
    features: NDArray[np.float64],
    labels: NDArray[np.int64],
    sizes: Sequence[int],
    *,
    flipped: Mapping[int, float] | None = None,
    seed: int = 0,
) -> list[LabelledData]:
    """Deal disjoint rows to owners: owner i gets ``sizes[i]`` rows of a seeded permutation, in
    turn; owner j in ``flipped`` has that fraction of its labels flipped (±1 → ∓1, rows chosen
    by the same seed).

    Raises:
        GameError: Sizes that are not positive ints or exceed the rows, a fraction outside
            [0, 1], an unknown owner in ``flipped``, or rows that CoalitionUtility would refuse
            (features not finite numbers, labels other than ±1, mismatched shapes).
    """
    x, y = _checked((features, labels), "the rows", None)
    if not sizes or any(not is_int(s) or s < 1 for s in sizes):
        raise GameError(f"owner sizes must be positive ints, got {list(sizes)!r}")
    if sum(sizes) > len(y):
        raise GameError(f"{sum(sizes)} rows requested, {len(y)} available")
    flipped = dict(flipped or {})
    if any(owner not in range(len(sizes)) or not 0 <= share <= 1 for owner, share in flipped.items()):
        raise GameError(f"flipped maps owner indices to fractions in [0, 1], got {flipped!r}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    owners: list[LabelledData] = []
    start = 0
    for owner, size in enumerate(sizes):
        rows = order[start : start + size]
        start += size
        owner_labels = y[rows].copy()
        flips = rng.permutation(size)[: round(size * flipped.get(owner, 0.0))]
        owner_labels[flips] = -owner_labels[flips]
        owners.append((x[rows], owner_labels))
    return owners
