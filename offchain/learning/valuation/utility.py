"""Coalition utilities: the test F1 of a model trained on the union of a coalition's data.

Research: Shen, Zhu, Xu, ch. 7 §7.3 and §7.5.3: the worth v(S) of a coalition S of data owners is
the F1 score, on a held-out test set, of a model trained on the union of their records; the
research's three models are an SVM, a random forest and KNN (scikit-learn here):

- ``"svm"``: ``LinearSVC(C=1, loss="squared_hinge", dual=False, class_weight="balanced")``, the
  L2-loss linear SVM solved in the primal (liblinear's trust-region Newton; deterministic). It is
  ~5× faster on thyroid-sized coalitions than the hinge-loss dual solver of
  :func:`offchain.learning.baselines.linear_svc_metrics`, with the same kind of separator. The
  classes are weighted by the inverse of their frequency in the coalition's data: F1 scores the
  minority class (thyroid: 26 % of rows have a diagnosis), and unweighted the linear model
  mostly predicts "healthy" (test F1 0.40 on all thyroid training rows; weighted 0.61).
- ``"rf"``: ``RandomForestClassifier(n_estimators=10, random_state=0)`` (fixed seed, one thread
  per process).
- ``"knn"``: the K = 5 nearest neighbours by exact Euclidean distance, majority vote; the same
  predictions as ``KNeighborsClassifier(5)`` wherever no two distances tie at the K-th place
  (ties here go to the earlier row in owner order, see :mod:`~offchain.learning.valuation.knn`).

Labels are ±1 with +1 the positive class (F1 of +1). Degenerate coalitions have a fixed worth:
the empty coalition is worth 0 (no data, no model); a coalition whose records all carry one
label predicts that label for every test row (F1 0 for −1; 2p / (1 + p) for +1, p the share of
positives in the test set); a KNN coalition with fewer than K rows votes with all of them.

Speed (goal: the 1,024 coalitions of 10 owners in ≤ 15 s on 2 cores): every coalition is
evaluated once and cached (:class:`CoalitionUtility`), tables are computed by worker processes
that receive the data once (``concurrent.futures``), the F1 is a few numpy sums, and KNN is
warm-started exactly: each owner's K nearest rows to every test row are found once and a
coalition's neighbours are the K nearest of its members' lists merged. The SVM and the forest
are not warm-started: liblinear's primal solver takes no starting point, and a warm start of an
SGD solver or of a forest (``warm_start`` adds trees) would change the model, not just its cost.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import RandomForestClassifier
from sklearn.svm import LinearSVC

from offchain.learning.valuation.errors import GameError
from offchain.learning.valuation.knn import NeighbourLists
from offchain.learning.valuation.shapley import MAX_EXACT_PLAYERS
from offchain.validation import is_int, real_array

__all__ = ["KNN_NEIGHBOURS", "MODELS", "CoalitionUtility", "LabelledData", "coalition_utilities", "f1_score"]

logger = logging.getLogger(__name__)

#: Features and ±1 labels.
LabelledData = tuple[NDArray[np.float64], NDArray[np.int64]]
#: The utility models by name.
MODELS = ("svm", "rf", "knn")
#: K of the KNN utility.
KNN_NEIGHBOURS = 5
#: Trees of the random-forest utility.
RF_TREES = 10


def f1_score(truth: NDArray[np.int64], predicted: NDArray[np.int64]) -> float:
    """F1 of the positive class (+1); 0 when undefined (no positive predicted or present)."""
    tp = int(np.count_nonzero((truth == 1) & (predicted == 1)))
    predicted_positive = int(np.count_nonzero(predicted == 1))
    positive = int(np.count_nonzero(truth == 1))
    return 2 * tp / (predicted_positive + positive) if tp else 0.0


def _checked(data: object, what: str, width: int | None) -> LabelledData:
    if not isinstance(data, tuple | list) or len(data) != 2:
        raise GameError(f"{what} must be a pair (features, labels)")
    x = np.ascontiguousarray(real_array(data[0], np.float64, what=f"{what}: features", error=GameError, finite=False))
    labels = real_array(data[1], np.float64, what=f"{what}: labels", error=GameError, finite=False)
    if x.ndim != 2 or labels.shape != (x.shape[0],) or (width is not None and x.shape[1] != width):
        raise GameError(
            f"{what}: expected rows × {width or 'd'} features and one label per row, got {x.shape}, {labels.shape}"
        )
    if not np.isfinite(x).all() or not np.isin(labels, (-1, 1)).all():  # 1.5 is not read as 1
        raise GameError(f"{what}: features must be finite (impute first) and labels ±1")
    return x, labels.astype(np.int64)


class CoalitionUtility:
    """v(mask): the test F1 of ``model`` trained on the owners of ``mask`` (bit i = owner i),
    each value computed once.

    Args:
        owners: Each owner's (features, ±1 labels); any number of owners (for sampling), at most
            :data:`~offchain.learning.valuation.shapley.MAX_EXACT_PLAYERS` for :meth:`table`.
        test: The held-out (features, labels).
        model: ``"svm"``, ``"rf"`` or ``"knn"`` (see the module docstring).

    Raises:
        GameError: No owner, an unknown model, or malformed data.
    """

    def __init__(self, owners: Sequence[LabelledData], test: LabelledData, model: str) -> None:
        if model not in MODELS:
            raise GameError(f"unknown utility model {model!r}; known: {MODELS}")
        if isinstance(owners, str | bytes) or not isinstance(owners, Sequence) or not owners:
            raise GameError("need at least one owner's (features, labels)")
        self.test = _checked(test, "the test set", None)
        if self.test[0].shape[0] == 0:
            raise GameError("the test set is empty")
        width = self.test[0].shape[1]
        self.owners = [_checked(o, f"owner {i}", width) for i, o in enumerate(owners)]
        self.model = model
        self._cache: dict[int, float] = {0: 0.0}
        self._positive_rate = float(np.mean(self.test[1] == 1))
        self._lists: list[NeighbourLists] | None = None
        self._offsets = np.cumsum([0] + [len(y) for _, y in self.owners])

    @property
    def owner_count(self) -> int:
        """n, the number of owners."""
        return len(self.owners)

    def __call__(self, mask: int) -> float:
        """v(mask), computed on first use.

        Raises:
            GameError: A mask naming no existing owner or out of range.
        """
        if not is_int(mask) or not 0 <= mask < 1 << self.owner_count:
            raise GameError(f"a coalition is a bitmask in [0, 2^{self.owner_count}), got {mask!r}")
        value = self._cache.get(mask)
        if value is None:
            value = self._cache[mask] = self._evaluate(mask)
        return value

    def _members(self, mask: int) -> list[int]:
        return [i for i in range(self.owner_count) if mask >> i & 1]

    def _evaluate(self, mask: int) -> float:
        members = self._members(mask)
        if not members:
            return 0.0
        if self.model == "knn":
            return self._knn(members)
        y = np.concatenate([self.owners[i][1] for i in members])
        if (y == y[0]).all():
            return self._constant(int(y[0]))
        x = np.concatenate([self.owners[i][0] for i in members])
        x_test, y_test = self.test
        return f1_score(y_test, _fit(self.model, x, y).predict(x_test))

    def _constant(self, label: int) -> float:
        p = self._positive_rate
        return 2 * p / (1 + p) if label == 1 and p > 0 else 0.0

    def _neighbour_lists(self) -> list[NeighbourLists]:
        if self._lists is None:
            x_test = self.test[0]
            self._lists = [
                NeighbourLists.of(x_test, x, y, KNN_NEIGHBOURS, int(self._offsets[i]))
                for i, (x, y) in enumerate(self.owners)
            ]
        return self._lists

    def _knn(self, members: list[int]) -> float:
        lists = self._neighbour_lists()
        merged = NeighbourLists.merge([lists[i] for i in members], KNN_NEIGHBOURS)
        return f1_score(self.test[1], merged.predict())

    def prefixes(self, order: Sequence[int]) -> Iterator[float]:
        """v of each growing prefix of ``order`` (first owner, first two, …), lazily; for KNN
        each step merges one owner's neighbour lists into the previous prefix's (exact)."""
        mask = 0
        merged: NeighbourLists | None = None
        for owner in order:
            mask |= 1 << owner
            if self.model == "knn":
                part = self._neighbour_lists()[owner]
                merged = part if merged is None else NeighbourLists.merge([merged, part], KNN_NEIGHBOURS)
                if mask not in self._cache:
                    self._cache[mask] = f1_score(self.test[1], merged.predict())
            yield self(mask)

    def table(self, *, workers: int | None = None) -> list[float]:
        """v of all 2^n coalitions, indexed by bitmask; those not cached are computed in
        ``workers`` processes (default: every core; 1 = in this process).

        Raises:
            GameError: More than :data:`MAX_EXACT_PLAYERS` owners, or ``workers`` < 1.
        """
        n = self.owner_count
        if n > MAX_EXACT_PLAYERS:
            raise GameError(f"an exact table of {n} owners has 2^{n} coalitions; the limit is {MAX_EXACT_PLAYERS}")
        if workers is not None and (not is_int(workers) or workers < 1):
            raise GameError(f"workers must be a positive int or None, got {workers!r}")
        missing = [m for m in range(1 << n) if m not in self._cache]
        processes = min(workers or os.cpu_count() or 1, max(1, len(missing)))
        if self.model == "knn" or processes == 1:
            for mask in missing:
                self(mask)
        else:
            # Largest coalitions (slowest fits) dealt round-robin: every chunk gets the same mix.
            by_size = sorted(missing, key=int.bit_count, reverse=True)
            chunks = [by_size[k :: processes * 4] for k in range(processes * 4)]
            logger.info("valuing %d coalitions (%s) in %d processes", len(missing), self.model, processes)
            with ProcessPoolExecutor(processes, initializer=_start_worker, initargs=(self,)) as pool:
                for chunk, values in zip(chunks, pool.map(_evaluate_chunk, chunks), strict=True):
                    self._cache.update(zip(chunk, values, strict=True))
        return [self._cache[m] for m in range(1 << n)]


def _fit(model: str, x: NDArray[np.float64], y: NDArray[np.int64]) -> Any:
    if model == "svm":
        return LinearSVC(C=1.0, loss="squared_hinge", dual=False, class_weight="balanced").fit(x, y)
    return RandomForestClassifier(n_estimators=RF_TREES, random_state=0, n_jobs=1).fit(x, y)


_WORKER: CoalitionUtility | None = None


def _start_worker(utility: CoalitionUtility) -> None:
    global _WORKER
    _WORKER = utility


def _evaluate_chunk(masks: list[int]) -> list[float]:
    assert _WORKER is not None
    return [_WORKER._evaluate(m) for m in masks]


def coalition_utilities(
    owners: Sequence[LabelledData], test: LabelledData, model: str, *, workers: int | None = None
) -> list[float]:
    """The test F1 of ``model`` trained on every coalition of ``owners``, indexed by bitmask
    (bit i = owner i): the game table the Shapley functions take.

    Args:
        owners: Each owner's (features, ±1 labels), at most 20 owners.
        test: The held-out (features, ±1 labels).
        model: ``"svm"``, ``"rf"`` or ``"knn"``.
        workers: Processes to train in (default: every core).

    Raises:
        GameError: Malformed data, an unknown model, more than 20 owners, or a bad ``workers``.
    """
    return CoalitionUtility(owners, test, model).table(workers=workers)
