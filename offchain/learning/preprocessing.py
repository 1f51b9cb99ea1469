"""Preprocessing for the fixed-point SVM: missing values, scaling to [0, 1], a seeded split,
and quantisation to integers at scale 2^f.

Research: Shen, Zhu, Xu, ch. 4 §4.4 (data providers normalise their records before encrypting
them; Paillier works on integers, so reals are scaled by a power of two and rounded). Every step
is fitted on the training rows only, so the test rows never inform the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from offchain.errors import InvalidInputError
from offchain.learning.datasets import Dataset

__all__ = ["Prepared", "SplitData", "prepare", "quantize", "train_test_split"]


@dataclass(frozen=True)
class SplitData:
    """Row indices of a seeded train/test split."""

    train: NDArray[np.int64]
    test: NDArray[np.int64]


@dataclass(frozen=True)
class Prepared:
    """Features scaled to [0, 1] (fitted on the training rows) and ±1 labels.

    Attributes:
        x_train, y_train, x_test, y_test: The split data (test features clipped to [0, 1]).
        kept_features: Indices of the dataset's features that were kept.
        dropped_features: Features dropped because too many cells were missing.
        imputed_cells: Missing cells filled with the training median.
    """

    x_train: NDArray[np.float64]
    y_train: NDArray[np.int64]
    x_test: NDArray[np.float64]
    y_test: NDArray[np.int64]
    kept_features: tuple[int, ...]
    dropped_features: tuple[int, ...]
    imputed_cells: int


def train_test_split(rows: int, test_fraction: float, seed: int) -> SplitData:
    """A seeded permutation of ``range(rows)`` cut into train and test indices (both sorted).

    Raises:
        InvalidInputError: ``test_fraction`` not in (0, 1) or fewer than 2 rows.
    """
    if not 0 < test_fraction < 1 or rows < 2:
        raise InvalidInputError(f"need test_fraction in (0, 1) and at least 2 rows, got {test_fraction}, {rows}")
    order = np.random.default_rng(seed).permutation(rows)
    cut = max(1, min(rows - 1, round(rows * test_fraction)))
    return SplitData(train=np.sort(order[cut:]), test=np.sort(order[:cut]))


def prepare(
    dataset: Dataset, *, seed: int = 0, test_fraction: float = 0.2, max_missing_fraction: float = 0.5
) -> Prepared:
    """Split, drop mostly-missing features, impute medians and min-max scale to [0, 1].

    Args:
        dataset: The parsed dataset.
        seed: Seed of the split.
        test_fraction: Share of rows held out.
        max_missing_fraction: A feature missing in more than this share of training rows is
            dropped (the Hungarian data's ``slope``, ``ca`` and ``thal``).
    """
    split = train_test_split(dataset.rows, test_fraction, seed)
    x_train, x_test = dataset.features[split.train], dataset.features[split.test]
    missing = np.isnan(x_train).mean(axis=0)
    kept = tuple(int(i) for i in np.flatnonzero(missing <= max_missing_fraction))
    dropped = tuple(int(i) for i in np.flatnonzero(missing > max_missing_fraction))
    x_train, x_test = x_train[:, kept], x_test[:, kept]
    medians = np.nanmedian(x_train, axis=0)
    imputed = int(np.isnan(x_train).sum() + np.isnan(x_test).sum())
    x_train = np.where(np.isnan(x_train), medians, x_train)
    x_test = np.where(np.isnan(x_test), medians, x_test)
    low, high = x_train.min(axis=0), x_train.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    return Prepared(
        x_train=(x_train - low) / span,
        y_train=dataset.labels[split.train],
        x_test=np.clip((x_test - low) / span, 0.0, 1.0),
        y_test=dataset.labels[split.test],
        kept_features=kept,
        dropped_features=dropped,
        imputed_cells=imputed,
    )


def quantize(features: NDArray[np.float64], fraction_bits: int) -> list[list[int]]:
    """round(x · 2^f) of every cell (ties to even), as Python ints.

    Raises:
        InvalidInputError: A cell is outside [0, 1] or NaN, or ``fraction_bits`` not in [1, 62].
    """
    if not 1 <= fraction_bits <= 62:
        raise InvalidInputError(f"fraction_bits must be in [1, 62], got {fraction_bits}")
    if np.isnan(features).any() or features.min(initial=0.0) < 0 or features.max(initial=0.0) > 1:
        raise InvalidInputError("quantize expects features scaled to [0, 1] without NaN")
    scaled = np.rint(features * float(1 << fraction_bits)).astype(np.int64)
    return [[int(v) for v in row] for row in scaled]
