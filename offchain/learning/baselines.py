"""Reference baselines: scikit-learn's ``LinearSVC`` and ``SGDClassifier`` (hinge loss).

They are the yardstick for the fixed-point SVM of :mod:`offchain.learning.svm` (research: Shen,
Zhu, Xu, ch. 4 §4.8 compares secureSVM with a plaintext SVM).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import SGDClassifier
from sklearn.svm import LinearSVC

from offchain.learning.metrics import Metrics, classification_metrics

__all__ = ["linear_svc_metrics", "sgd_hinge_metrics"]


def linear_svc_metrics(
    x_train: NDArray[np.float64], y_train: NDArray[np.int64], x_test: NDArray[np.float64], y_test: NDArray[np.int64]
) -> Metrics:
    """Test metrics of ``LinearSVC(C=1.0)`` (hinge loss, L2 penalty)."""
    model = LinearSVC(C=1.0, loss="hinge", max_iter=20000, random_state=0).fit(x_train, y_train)
    return classification_metrics(y_test, model.predict(x_test))


def sgd_hinge_metrics(
    x_train: NDArray[np.float64],
    y_train: NDArray[np.int64],
    x_test: NDArray[np.float64],
    y_test: NDArray[np.int64],
    seed: int = 0,
) -> Metrics:
    """Test metrics of ``SGDClassifier(loss="hinge")``."""
    model = SGDClassifier(loss="hinge", alpha=0.001, max_iter=1000, tol=1e-4, random_state=seed)
    return classification_metrics(y_test, model.fit(x_train, y_train).predict(x_test))
