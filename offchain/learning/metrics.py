"""Classification metrics for ±1 labels (positive class +1): accuracy, precision, recall, F1.

Research: Shen, Zhu, Xu, ch. 4, Table 4.4 reports precision and recall of secureSVM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from offchain.errors import InvalidInputError
from offchain.validation import real_array

__all__ = ["Metrics", "classification_metrics"]


@dataclass(frozen=True)
class Metrics:
    """Scores in [0, 1] (precision, recall, F1 are 0 when undefined)."""

    accuracy: float
    precision: float
    recall: float
    f1: float

    def as_dict(self) -> dict[str, float]:
        """The four scores by name."""
        return {"accuracy": self.accuracy, "precision": self.precision, "recall": self.recall, "f1": self.f1}


def classification_metrics(truth: ArrayLike, predicted: ArrayLike) -> Metrics:
    """Accuracy, precision, recall and F1 of ``predicted`` against ``truth`` (both ±1).

    Raises:
        InvalidInputError: Different lengths, empty, or a label other than ±1.
    """
    y = real_array(truth, np.float64, what="the true labels", finite=False)
    p = real_array(predicted, np.float64, what="the predictions", finite=False)
    if y.shape != p.shape or y.ndim != 1 or y.size == 0:
        raise InvalidInputError(f"truth and predictions must be equal non-empty vectors, got {y.shape} and {p.shape}")
    if not (np.isin(y, (-1, 1)).all() and np.isin(p, (-1, 1)).all()):  # 0.5 is not read as 0
        raise InvalidInputError("labels must be −1 or +1")
    tp = int(((y == 1) & (p == 1)).sum())
    fp = int(((y == -1) & (p == 1)).sum())
    fn = int(((y == 1) & (p == -1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Metrics(float((y == p).mean()), precision, recall, f1)
