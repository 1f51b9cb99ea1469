"""K-nearest-neighbour building blocks of the valuation: exact distances, neighbour lists that
merge across owners, and exact KNN-Shapley values of single records.

Research: Shen, Zhu, Xu, ch. 7 §7.5.3 (KNN is one of the three models the owners' data is valued
with); R. Jia et al., "Efficient task-specific data valuation for nearest neighbor algorithms",
PVLDB 12(11), 2019, Theorem 1: for the KNN utility
u(S) = (1/T) Σ_t (1/K) Σ_{k ≤ min(K, |S|)} 1[y_{α_k(S, t)} = y_t] (α_k(S, t) is the k-th nearest
record of S to test point t), the Shapley value of every training record follows in O(N log N)
per test point from the recursion over the records sorted by distance to t (α_1 nearest):

    s_{α_N} = 1[y_{α_N} = y_t] / N,
    s_{α_j} = s_{α_{j+1}} + (1[y_{α_j} = y_t] − 1[y_{α_{j+1}} = y_t]) / K · min(K, j) / j,

averaged over the test points (:func:`knn_shapley`). Distances are exact squared Euclidean
(differences, not the |a|² + |b|² − 2ab shortcut, so equal rows tie exactly); ties are broken
by the record's position in the training set (earlier first), everywhere in this package.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from offchain.learning.valuation.errors import GameError
from offchain.validation import is_int

__all__ = ["NeighbourLists", "knn_shapley", "knn_utility", "nearest", "squared_distances"]

#: Cells (test rows × training rows × features) per block of the distance computation (~32 MB).
_BLOCK_CELLS = 4_000_000


def squared_distances(test: NDArray[np.float64], train: NDArray[np.float64]) -> NDArray[np.float64]:
    """‖t − x‖² for every test row t and training row x (T × N), computed from differences."""
    out = np.empty((test.shape[0], train.shape[0]))
    block = max(1, _BLOCK_CELLS // max(1, train.shape[0] * train.shape[1]))
    for start in range(0, test.shape[0], block):
        difference = test[start : start + block, None, :] - train[None, :, :]
        out[start : start + block] = np.einsum("tnd,tnd->tn", difference, difference)
    return out


class NeighbourLists:
    """The K nearest training rows of each test row: distances, labels and global row ids (T × K,
    nearest first; ties by row id). The K nearest of a union of row sets are the K nearest of
    the union of their lists, so owners' lists merge exactly (:meth:`merge`)."""

    def __init__(self, distances: NDArray[np.float64], labels: NDArray[np.int64], ids: NDArray[np.int64]) -> None:
        self.distances, self.labels, self.ids = distances, labels, ids

    @classmethod
    def of(
        cls, test: NDArray[np.float64], train: NDArray[np.float64], labels: NDArray[np.int64], k: int, first_id: int
    ) -> NeighbourLists:
        """The ``k`` nearest of ``train`` (row ids ``first_id``, ``first_id + 1``, …) to each test row."""
        distances = squared_distances(test, train)
        order = np.argsort(distances, axis=1, kind="stable")[:, :k]
        return cls(
            np.take_along_axis(distances, order, axis=1),
            labels[order],
            (order + first_id).astype(np.int64),
        )

    @classmethod
    def merge(cls, parts: list[NeighbourLists], k: int) -> NeighbourLists:
        """The ``k`` nearest among several lists (of disjoint row sets)."""
        distances = np.concatenate([p.distances for p in parts], axis=1)
        ids = np.concatenate([p.ids for p in parts], axis=1)
        labels = np.concatenate([p.labels for p in parts], axis=1)
        order = np.lexsort((ids, distances), axis=1)[:, :k]
        return cls(
            np.take_along_axis(distances, order, axis=1),
            np.take_along_axis(labels, order, axis=1),
            np.take_along_axis(ids, order, axis=1),
        )

    def predict(self) -> NDArray[np.int64]:
        """Majority vote of the lists' labels (±1); a tied vote predicts −1, as scikit-learn's
        ``KNeighborsClassifier`` (the smaller class label) does."""
        return np.where(self.labels.sum(axis=1) > 0, 1, -1)


def nearest(test: NDArray[np.float64], train: NDArray[np.float64]) -> NDArray[np.int64]:
    """Training row indices sorted by distance to each test row (T × N; ties by index)."""
    return np.argsort(squared_distances(test, train), axis=1, kind="stable")


def _check(x_train: NDArray[np.float64], y_train: NDArray[np.int64], x_test: NDArray[np.float64], k: int) -> None:
    if not is_int(k) or k < 1:
        raise GameError(f"K must be a positive int, got {k!r}")
    if x_train.ndim != 2 or x_test.ndim != 2 or x_train.shape[1] != x_test.shape[1]:
        raise GameError(f"features must be matrices of equal width, got {x_train.shape} and {x_test.shape}")
    if y_train.shape != (x_train.shape[0],):
        raise GameError(f"one label per training row: {x_train.shape[0]} rows, labels {y_train.shape}")


def knn_utility(
    x_train: NDArray[np.float64],
    y_train: NDArray[np.int64],
    x_test: NDArray[np.float64],
    y_test: NDArray[np.int64],
    k: int,
) -> float:
    """Jia et al.'s KNN utility of a training set: the mean over test points of the share of its
    min(K, N) nearest records that carry its label (0 for an empty set)."""
    _check(x_train, y_train, x_test, k)
    if x_train.shape[0] == 0:
        return 0.0
    order = nearest(x_test, x_train)[:, :k]
    return float((y_train[order] == y_test[:, None]).sum(axis=1).mean() / k)


def knn_shapley(
    x_train: NDArray[np.float64],
    y_train: NDArray[np.int64],
    x_test: NDArray[np.float64],
    y_test: NDArray[np.int64],
    k: int,
) -> NDArray[np.float64]:
    """Exact Shapley value of every training record for :func:`knn_utility` (Jia et al. 2019,
    Theorem 1; see the module docstring). They sum to the utility of the whole training set.

    Args:
        x_train, y_train: N training records and their labels.
        x_test, y_test: T test records and their labels.
        k: K, the number of neighbours.

    Returns:
        N values, by training row.

    Raises:
        GameError: Mismatched shapes, no training or test row, or K < 1.
    """
    _check(x_train, y_train, x_test, k)
    rows = x_train.shape[0]
    if rows == 0 or x_test.shape[0] == 0 or y_test.shape != (x_test.shape[0],):
        raise GameError("KNN-Shapley needs training rows and labelled test rows")
    totals = np.zeros(rows)
    ranks = np.arange(1, rows, dtype=np.float64)
    block = max(1, _BLOCK_CELLS // (8 * rows))  # test rows at a time: bounds the T × N arrays
    for start in range(0, x_test.shape[0], block):
        order = nearest(x_test[start : start + block], x_train)
        match = (y_train[order] == y_test[start : start + block, None]).astype(np.float64)
        # The recursion unrolled: s_{α_j} = s_{α_N} + Σ_{l=j}^{N−1} (m_l − m_{l+1}) / K · min(K, l) / l.
        steps = (match[:, :-1] - match[:, 1:]) / k * np.minimum(k, ranks) / ranks
        s = np.empty_like(match)
        s[:, -1] = match[:, -1] / rows
        s[:, :-1] = s[:, -1:] + np.cumsum(steps[:, ::-1], axis=1)[:, ::-1]
        totals += np.bincount(order.ravel(), weights=s.ravel(), minlength=rows)
    return np.asarray(totals / x_test.shape[0], dtype=np.float64)
