"""Coalition utilities (test F1 of SVM, random forest, KNN on a coalition's data), TMC sampling
against exact values, and exact KNN-Shapley against the brute force of its utility. Tiny data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from offchain.learning.valuation import (
    CoalitionUtility,
    GameError,
    coalition_utilities,
    knn_shapley,
    knn_utility,
    shapley_values,
    tmc_shapley,
)
from offchain.learning.valuation.knn import NeighbourLists
from offchain.learning.valuation.utility import f1_score


def blobs(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping Gaussian classes in 3 dimensions, labels ±1."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(rows) < 0.4, 1, -1)
    x = rng.normal(size=(rows, 3)) + 0.9 * y[:, None]
    return x, y


@pytest.fixture(scope="module")
def owners():
    x, y = blobs(120, 1)
    return [(x[i::4], y[i::4]) for i in range(4)]


@pytest.fixture(scope="module")
def test_set():
    return blobs(60, 2)


@pytest.mark.parametrize("model", ["svm", "rf", "knn"])
def test_the_grand_coalitions_utility_is_the_f1_of_the_model_on_all_the_data(owners, test_set, model):
    table = coalition_utilities(owners, test_set, model, workers=1)
    assert len(table) == 16 and table[0] == 0.0
    assert 0.5 < table[-1] <= 1.0


def test_the_svm_utility_is_scikit_learns_linear_svc(owners, test_set):
    x = np.concatenate([owners[0][0], owners[2][0]])
    y = np.concatenate([owners[0][1], owners[2][1]])
    model = LinearSVC(C=1.0, dual=False, class_weight="balanced").fit(x, y)
    assert CoalitionUtility(owners, test_set, "svm")(0b0101) == f1_score(test_set[1], model.predict(test_set[0]))


def test_the_knn_utility_predicts_as_scikit_learns_classifier(owners, test_set):
    x = np.concatenate([o[0] for o in owners])
    y = np.concatenate([o[1] for o in owners])
    predicted = KNeighborsClassifier(5, algorithm="brute").fit(x, y).predict(test_set[0])
    assert CoalitionUtility(owners, test_set, "knn")(0b1111) == f1_score(test_set[1], predicted)


def test_merged_neighbour_lists_equal_the_lists_of_the_union(owners, test_set):
    parts = [NeighbourLists.of(test_set[0], x, y, 5, 100 * i) for i, (x, y) in enumerate(owners)]
    merged = NeighbourLists.merge(parts, 5)
    x = np.concatenate([o[0] for o in owners])
    distances = ((test_set[0][:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
    assert np.allclose(merged.distances, np.sort(distances, axis=1)[:, :5])


def test_parallel_tables_equal_sequential_ones(owners, test_set):
    sequential = coalition_utilities(owners, test_set, "svm", workers=1)
    assert CoalitionUtility(owners, test_set, "svm").table(workers=2) == sequential


def test_knn_prefixes_equal_fresh_evaluations(owners, test_set):
    scanned = list(CoalitionUtility(owners, test_set, "knn").prefixes([2, 0, 3, 1]))
    fresh = CoalitionUtility(owners, test_set, "knn")
    assert scanned == [fresh(m) for m in (0b0100, 0b0101, 0b1101, 0b1111)]


def test_a_one_class_coalition_predicts_its_class(test_set):
    positives = (np.zeros((3, 3)), np.ones(3, dtype=np.int64))
    negatives = (np.ones((3, 3)), -np.ones(3, dtype=np.int64))
    utility = CoalitionUtility([positives, negatives], test_set, "svm")
    p = float(np.mean(test_set[1] == 1))
    assert utility(0b01) == pytest.approx(2 * p / (1 + p))
    assert utility(0b10) == 0.0


@pytest.mark.parametrize(
    ("owners_", "test", "model", "message"),
    [
        ([], None, "svm", "at least one owner"),
        ([(np.zeros((2, 3)), np.array([1, -1]))], None, "logreg", "unknown utility model"),
        ([(np.zeros((2, 3)), np.array([1, 0]))], None, "svm", "labels ±1"),
        ([(np.zeros((2, 2)), np.array([1, -1]))], None, "svm", "features"),
        ([(np.full((2, 3), np.nan), np.array([1, -1]))], None, "svm", "finite"),
        ([(np.full((2, 3), "1"), np.array([1, -1]))], None, "svm", "features must be real numbers, not text"),
        ([([[10**400] * 3] * 2, np.array([1, -1]))], None, "svm", "features must be finite numbers"),
        ([(np.full((2, 3), 1j), np.array([1, -1]))], None, "svm", "features must be real numbers, not complex"),
        ([(np.zeros((2, 3)), np.array([1.5, -1]))], None, "svm", "labels ±1"),
        ([(np.zeros((2, 3)), np.array(["1", "-1"]))], None, "svm", "labels must be real numbers, not text"),
        ([(np.zeros((2, 3)), np.array([1, -1]))], (np.zeros((0, 3)), np.zeros(0)), "svm", "empty"),
    ],
)
def test_bad_utility_inputs_are_refused(test_set, owners_, test, model, message):
    with pytest.raises(GameError, match=message):
        CoalitionUtility(owners_, test or test_set, model)


def test_a_mask_outside_the_owners_is_refused(owners, test_set):
    with pytest.raises(GameError, match="bitmask"):
        CoalitionUtility(owners, test_set, "svm")(16)
    with pytest.raises(GameError, match="workers"):
        CoalitionUtility(owners, test_set, "svm").table(workers=0)


@pytest.mark.parametrize("antithetic", [False, True])
def test_tmc_is_within_its_stated_error_of_the_exact_values(antithetic):
    rng = np.random.default_rng(3)
    table = [0.0, *sorted(rng.random(63))]  # 6 players, a monotone-ish game
    exact = shapley_values(table)
    estimate = tmc_shapley(table.__getitem__, 6, tolerance=0.005, max_permutations=4000, antithetic=antithetic, seed=7)
    assert estimate.converged and estimate.max_stderr <= 0.005
    assert estimate.permutations % 2 == 0 or not antithetic
    for value, approx, se in zip(exact, estimate.values, estimate.stderr, strict=True):
        assert abs(value - approx) <= 4 * se
    assert sum(estimate.values) == pytest.approx(table[-1] - table[0])


def test_tmc_truncation_skips_marginals_once_a_prefix_is_worth_the_whole():
    table = [0.0] + [1.0] * 15  # any one player is worth everything
    estimate = tmc_shapley(table.__getitem__, 4, truncation=0.01, min_permutations=8, max_permutations=8, seed=1)
    assert estimate.truncated == 8 * 3
    assert sum(estimate.values) == pytest.approx(1.0)


def test_tmc_uses_the_utilitys_prefix_scan(owners, test_set):
    utility = CoalitionUtility(owners, test_set, "knn")
    estimate = tmc_shapley(utility, 4, tolerance=1.0, min_permutations=5, seed=2)
    assert estimate.permutations == 5
    assert sum(estimate.values) == pytest.approx(utility(0b1111))


@pytest.mark.parametrize(
    "kwargs", [{"players": 0}, {"players": 2, "tolerance": -1}, {"players": 2, "truncation": float("nan")}]
)
def test_bad_sampling_settings_are_refused(kwargs):
    with pytest.raises(GameError):
        tmc_shapley(lambda mask: 0.0, **kwargs)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 10**400, "0.5", None], ids=repr)
@pytest.mark.parametrize("coalition", [0b00, 0b01, 0b10, 0b11])
def test_a_utility_that_is_not_a_finite_number_is_refused(bad, coalition):
    def utility(mask: int) -> object:
        return bad if mask == coalition else 0.5

    with pytest.raises(GameError, match=f"coalition {coalition:#b} must be a finite number"):
        tmc_shapley(utility, 2, min_permutations=20, max_permutations=20, seed=3)


def test_a_utility_may_return_numpy_scalars():
    estimate = tmc_shapley(lambda mask: np.float32(mask.bit_count()), 2, min_permutations=4, seed=3)
    assert estimate.values == pytest.approx((1.0, 1.0))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_knn_shapley_equals_the_brute_force_shapley_of_the_knn_utility(k):
    x, y = blobs(7, 4)
    x_test, y_test = blobs(5, 5)
    table = [
        knn_utility(x[[i for i in range(7) if m >> i & 1]], y[[i for i in range(7) if m >> i & 1]], x_test, y_test, k)
        for m in range(1 << 7)
    ]
    assert knn_shapley(x, y, x_test, y_test, k) == pytest.approx(shapley_values(table), abs=1e-12)


def test_knn_shapley_refuses_an_empty_training_set():
    with pytest.raises(GameError, match="training rows"):
        knn_shapley(np.zeros((0, 2)), np.zeros(0, dtype=np.int64), np.zeros((1, 2)), np.ones(1, dtype=np.int64), 1)
