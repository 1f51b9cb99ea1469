"""Exact duplicates across owners, found before valuing.

Research: Shen, Zhu, Xu, ch. 7 §7.3 values owners by the Shapley value of their data's
contribution; A. Agarwal, M. Dahleh, T. Sarkar, "A marketplace for data: an algorithmic
solution", EC 2019, §4 (replication robustness): plain Shapley values reward an owner who copies
its data, or someone else's, into the game: two holders of the same records split what one earned,
and a copier gains at the original's expense. This module finds records (features and label,
byte for byte) that an owner of lower index already holds, so that the caller can refuse them
(:func:`refuse_duplicates`) or keep only the first holder's copy (:func:`drop_duplicates`):
order the owners by registration time on chain (the ``DataRegistry``'s file order) and the first
holder is the first to register.

What remains undetected: near-duplicates (a record rescaled, rounded, noised or with a column
changed), synthetic records drawn from the same distribution, and one owner's data split among
several identities with no record in common (a Sybil attack); Agarwal et al.'s robust variant
(penalising similar data) would address the first two, not implemented here. Copies *within* one
owner are not reported here either (they change its own model's worth, not the split between
owners). And an exact match across owners can be legitimate (two patients with the same recorded
values): dropping it is a policy choice, which is why both functions exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from offchain.learning.valuation.errors import DuplicateDataError, GameError
from offchain.learning.valuation.utility import LabelledData

__all__ = ["DuplicateReport", "drop_duplicates", "find_duplicates", "refuse_duplicates"]


@dataclass(frozen=True)
class DuplicateReport:
    """Rows that repeat a row of an owner of lower index.

    Attributes:
        pairs: ``(owner, row, first_owner, first_row)`` for every repeated row, by owner then row.
    """

    pairs: tuple[tuple[int, int, int, int], ...]

    @property
    def count(self) -> int:
        """How many rows repeat an earlier owner's row."""
        return len(self.pairs)

    def rows_of(self, owner: int) -> list[int]:
        """The repeated rows of ``owner``."""
        return [row for who, row, _, _ in self.pairs if who == owner]


def _row_keys(x: np.ndarray, y: np.ndarray) -> list[bytes]:
    features = np.ascontiguousarray(x, dtype=np.float64) + 0.0  # -0.0 becomes 0.0
    labels = np.asarray(y, dtype=np.int64)
    return [f.tobytes() + int(v).to_bytes(8, "little", signed=True) for f, v in zip(features, labels, strict=True)]


def find_duplicates(owners: Sequence[LabelledData]) -> DuplicateReport:
    """Every row (features and label) that an owner of lower index also holds.

    Raises:
        GameError: Not a sequence of (features, labels) pairs of matching shapes.
    """
    if isinstance(owners, str | bytes) or not isinstance(owners, Sequence):
        raise GameError("owners must be a sequence of (features, labels) pairs")
    first: dict[bytes, tuple[int, int]] = {}
    pairs: list[tuple[int, int, int, int]] = []
    for owner, data in enumerate(owners):
        if not isinstance(data, tuple | list) or len(data) != 2:
            raise GameError(f"owner {owner}: expected a pair (features, labels)")
        x, y = np.asarray(data[0]), np.asarray(data[1])
        if x.ndim != 2 or y.shape != (x.shape[0],):
            raise GameError(f"owner {owner}: expected rows × features and one label per row, got {x.shape}, {y.shape}")
        try:
            keys = _row_keys(x, y)
        except (TypeError, ValueError):
            raise GameError(f"owner {owner}: features and labels must be numbers") from None
        for row, key in enumerate(keys):
            holder = first.get(key)
            if holder is None:
                first[key] = (owner, row)
            elif holder[0] != owner:
                pairs.append((owner, row, *holder))
    return DuplicateReport(tuple(pairs))


def drop_duplicates(owners: Sequence[LabelledData]) -> tuple[list[LabelledData], DuplicateReport]:
    """The owners' data without the rows an owner of lower index already holds, and the report."""
    report = find_duplicates(owners)
    kept: list[LabelledData] = []
    for owner, (x, y) in enumerate(owners):
        keep = np.ones(len(y), dtype=bool)
        keep[report.rows_of(owner)] = False
        kept.append((np.asarray(x)[keep], np.asarray(y)[keep]))
    return kept, report


def refuse_duplicates(owners: Sequence[LabelledData]) -> DuplicateReport:
    """Check that no owner holds a row an owner of lower index holds.

    Raises:
        DuplicateDataError: Some do (the message counts them per owner; ``pairs`` lists them).
    """
    report = find_duplicates(owners)
    if report.count:
        per_owner = {owner: len(report.rows_of(owner)) for owner, *_ in report.pairs}
        raise DuplicateDataError(
            f"{report.count} rows repeat another owner's rows (rows per owner: {per_owner}); "
            "expected every owner's records to be its own",
            report.pairs,
        )
    return report
