"""The learning layer: vendored datasets, preprocessing, the fixed-point SVM, metrics, baselines."""

from __future__ import annotations

import dataclasses
import hashlib
from fractions import Fraction

import numpy as np
import pytest

from offchain.errors import IntegrityError, InvalidInputError
from offchain.learning import (
    FixedPointSVM,
    Schedule,
    batch_schedule,
    classification_metrics,
    gradient_step,
    hinge_sums,
    load_dataset,
    prepare,
    quantize,
    train_plaintext,
    train_test_split,
)
from offchain.learning import datasets as datasets_module
from offchain.learning.baselines import linear_svc_metrics, sgd_hinge_metrics
from offchain.learning.svm import HingeSums, ModelBoundError, batch_cost, margin_numerator


@pytest.mark.parametrize(
    ("name", "rows", "features", "missing", "positives"),
    [("bcw", 699, 9, 16, 241), ("hdd", 294, 13, 782, 106), ("thyroid", 9172, 22, 14633, 2401)],
)
def test_vendored_datasets_parse_to_their_documented_shape(name, rows, features, missing, positives):
    data = load_dataset(name)
    assert data.features.shape == (rows, features)
    assert data.missing_cells == missing
    assert int((data.labels == 1).sum()) == positives


def test_a_changed_dataset_file_is_refused(tmp_path, monkeypatch):
    spec = datasets_module.DATASETS["bcw"]
    (tmp_path / spec.filename).write_bytes((datasets_module.DATA_DIR / spec.filename).read_bytes() + b"\n")
    monkeypatch.setattr(datasets_module, "DATA_DIR", tmp_path)
    with pytest.raises(IntegrityError, match="SHA-256"):
        load_dataset("bcw")


def test_an_unknown_dataset_name_is_refused():
    with pytest.raises(InvalidInputError, match="unknown dataset"):
        load_dataset("iris")


def test_the_split_is_a_seeded_partition():
    first, again, other = train_test_split(100, 0.2, 7), train_test_split(100, 0.2, 7), train_test_split(100, 0.2, 8)
    assert sorted([*first.train, *first.test]) == list(range(100))
    assert len(first.test) == 20
    assert (first.test == again.test).all()
    assert not (first.test == other.test).all()


def test_preparation_scales_train_rows_to_the_unit_range_and_imputes_every_missing_cell():
    prepared = prepare(load_dataset("bcw"), seed=0)
    assert prepared.x_train.min() == 0.0 and prepared.x_train.max() == 1.0
    assert not np.isnan(prepared.x_train).any() and not np.isnan(prepared.x_test).any()
    assert prepared.imputed_cells == 16


def test_preparation_drops_the_mostly_missing_hungarian_features():
    assert prepare(load_dataset("hdd"), seed=0).dropped_features == (10, 11, 12)


def test_quantize_refuses_unscaled_features():
    with pytest.raises(InvalidInputError, match=r"\[0, 1\]"):
        quantize(np.array([[1.5]]), 8)


def test_the_batch_schedule_covers_each_epoch_once_and_depends_on_the_seed():
    schedule = Schedule(batch_size=10, iterations=5, seed=3)
    batches = batch_schedule(50, schedule)
    assert sorted(np.concatenate(batches).tolist()) == list(range(50))
    assert not all(
        (a == b).all() for a, b in zip(batches, batch_schedule(50, Schedule(batch_size=10, iterations=5)), strict=True)
    )


def test_the_margin_numerator_is_negative_exactly_inside_the_margin():
    f = 4
    # w = 1, b = 0: y (w·x − b) = x; x = 1 is on the margin (D = 0), x = 0.5 inside it.
    assert margin_numerator([16], 0, [16], 1, f) == 0
    assert margin_numerator([16], 0, [8], 1, f) < 0


def test_hinge_sums_count_only_margin_violations():
    sums = hinge_sums([16], 0, [[16], [8], [4]], [1, 1, -1], 4)
    assert sums == HingeSums(gradient=(8 - 4,), label_sum=0, violations=2)


def test_the_gradient_step_is_the_exact_rational_update_rounded_half_to_even():
    schedule = Schedule(learning_rate=0.5, regularization=0.5, fraction_bits=4)
    weights, bias = gradient_step([10], 3, HingeSums((5,), 1, 1), 2, schedule)
    assert weights == (round(Fraction(10) * Fraction(3, 4) + Fraction(5, 4)),)
    assert bias == 3 - 4


def test_a_weight_beyond_the_bound_is_a_typed_error():
    schedule = Schedule(fraction_bits=4, weight_bound_bits=5, regularization=0.0)
    with pytest.raises(ModelBoundError):
        gradient_step([31], 0, HingeSums((4,), 0, 1), 1, schedule)


def test_the_cost_from_the_sums_equals_the_direct_hinge_cost():
    f, rows, labels, weights, bias = 8, [[200, 10], [30, 250], [128, 128]], [1, -1, 1], [300, -100], 40
    schedule = Schedule(regularization=0.25, fraction_bits=f)
    direct = sum(
        max(0.0, -margin_numerator(weights, bias, r, y, f) / 2 ** (2 * f)) for r, y in zip(rows, labels, strict=True)
    )
    expected = 0.125 * sum((w / 2**f) ** 2 for w in weights) + direct / 3
    sums = hinge_sums(weights, bias, rows, labels, f)
    assert batch_cost(weights, bias, sums, 3, schedule) == pytest.approx(expected, rel=1e-12)


def test_plaintext_training_is_deterministic_and_lowers_the_cost():
    prepared = prepare(load_dataset("bcw"), seed=0)
    rows = quantize(prepared.x_train, 16)
    schedule = Schedule(iterations=30)
    first = train_plaintext(rows, prepared.y_train.tolist(), schedule)
    assert first.model == train_plaintext(rows, prepared.y_train.tolist(), schedule).model
    assert first.costs[-1] < first.costs[0]


def test_the_fixed_point_svm_is_within_two_points_of_linear_svc_on_breast_cancer():
    prepared = prepare(load_dataset("bcw"), seed=0)
    svm = FixedPointSVM(Schedule()).fit(prepared.x_train, prepared.y_train)
    ours = classification_metrics(prepared.y_test, svm.predict(prepared.x_test))
    reference = linear_svc_metrics(prepared.x_train, prepared.y_train, prepared.x_test, prepared.y_test)
    assert ours.accuracy >= reference.accuracy - 0.02
    assert sgd_hinge_metrics(prepared.x_train, prepared.y_train, prepared.x_test, prepared.y_test).accuracy > 0.9


def test_metrics_match_their_definitions():
    metrics = classification_metrics([1, 1, -1, -1], [1, -1, 1, -1])
    assert metrics.as_dict() == {"accuracy": 0.5, "precision": 0.5, "recall": 0.5, "f1": 0.5}


@pytest.mark.parametrize("truth", [[0, 1], [1.5, 1], [-1.2, 1], [np.nan, 1]], ids=["zero", "1.5", "-1.2", "nan"])
def test_metrics_refuse_labels_other_than_plus_or_minus_one(truth):
    with pytest.raises(InvalidInputError, match="−1 or \\+1"):
        classification_metrics(truth, [1, 1])


def test_metrics_refuse_labels_that_are_not_numbers():
    with pytest.raises(InvalidInputError, match="the predictions must be real numbers, not text"):
        classification_metrics([1, -1], ["1", "-1"])


def test_thyroid_ages_beyond_120_years_are_missing_and_tbg_is_dropped():
    data = load_dataset("thyroid")
    ages = data.features[:, 0]
    assert int(np.isnan(ages).sum()) == 4 and np.nanmax(ages) <= 120
    assert prepare(data, seed=0).dropped_features == (21,)


def test_a_thyroid_cell_outside_its_codes_is_refused(tmp_path, monkeypatch):
    spec = datasets_module.DATASETS["thyroid"]
    raw = (datasets_module.DATA_DIR / spec.filename).read_bytes().replace(b"29,F,", b"29,X,", 1)
    (tmp_path / spec.filename).write_bytes(raw)
    monkeypatch.setattr(datasets_module, "DATA_DIR", tmp_path)
    monkeypatch.setitem(
        datasets_module.DATASETS, "thyroid", dataclasses.replace(spec, sha256=hashlib.sha256(raw).hexdigest())
    )
    with pytest.raises(InvalidInputError, match="line 1: value 'X'"):
        load_dataset("thyroid")
