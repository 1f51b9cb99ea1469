"""Retrieval quality: precision at k (research §6.6 reports P@20 on MedPix, 36.96 %)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from offchain.vision.errors import DescriptorError

__all__ = ["mean_precision_at_k", "precision_at_k"]


def precision_at_k(retrieved_labels: ArrayLike, query_label: int, k: int) -> float:
    """The fraction of the first ``k`` retrieved images whose label is ``query_label``.

    Raises:
        DescriptorError: ``k`` is not positive or fewer than ``k`` labels were given.
    """
    labels = np.asarray(retrieved_labels).ravel()
    if k <= 0 or labels.size < k:
        raise DescriptorError(f"expected k > 0 and at least k retrieved labels, found k={k}, {labels.size}")
    return float(np.mean(labels[:k] == query_label))


def mean_precision_at_k(neighbour_ids: NDArray[np.int64], query_ids: ArrayLike, labels: ArrayLike, k: int) -> float:
    """Mean P@k over queries drawn from the collection itself (leave-one-out): each query's own
    id is dropped from its neighbour list before the first ``k`` are scored.

    Args:
        neighbour_ids: ``(queries, ≥ k + 1)`` ids, nearest first (an index's search result).
        query_ids: The id of each query image.
        labels: ``labels[i]`` is the label of image id ``i``.
        k: Cut-off.

    Raises:
        DescriptorError: shapes disagree, or too few neighbours.
    """
    neighbours = np.asarray(neighbour_ids)
    queries = np.asarray(query_ids)
    label_of = np.asarray(labels)
    if neighbours.ndim != 2 or neighbours.shape[0] != queries.size:
        raise DescriptorError(f"expected one neighbour row per query, found {neighbours.shape} for {queries.size}")
    scores = []
    for row, query in zip(neighbours, queries, strict=True):
        others = row[row != query]
        scores.append(precision_at_k(label_of[others], int(label_of[query]), k))
    return float(np.mean(scores))
