"""A linear SVM trained by (mini-)batch gradient descent on the hinge loss, in exact fixed point.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 4 §4.5,
Eq. 4.7–4.10: the cost J(w, b) = λ/2 ‖w‖² + (1/|B|) Σ_{j∈B} max(0, 1 − y_j (w·x_j − b)), its
sub-gradient ∇_w = λ w − (1/|B|) Σ_{j: y_j(w·x_j − b) < 1} y_j x_j, ∇_b = (1/|B|) Σ_{same j} y_j,
and the update w ← w − η ∇_w, b ← b − η ∇_b.

Everything here is integer arithmetic so that the encrypted training of
:mod:`offchain.protocols.secure_svm` reproduces it *exactly*: features are X = round(x · 2^f),
weights W = w · 2^f and bias B = b · 2^f are integers, the margin test is on the integer
D_j = y_j (W·X_j − B · 2^f) − 2^{2f} (scale 2^{2f}), and a step is the exact rational update
rounded half to even (:func:`gradient_step`). A step needs only three sums over the batch,
G = Σ I_j y_j X_j, G_b = Σ I_j y_j and C = Σ I_j with I_j = [D_j < 0] (:func:`hinge_sums`);
they are what the encrypted protocol aggregates, and the cost follows from them and (W, B)
(:func:`batch_cost`). The batch order is a function of the seed only (:func:`batch_schedule`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from offchain.errors import InvalidInputError

__all__ = [
    "FixedPointSVM",
    "HingeSums",
    "ModelBoundError",
    "SVMModel",
    "Schedule",
    "TrainingTrace",
    "batch_cost",
    "batch_schedule",
    "gradient_step",
    "hinge_sums",
    "train_plaintext",
    "verdict_sums",
]


class ModelBoundError(InvalidInputError):
    """A weight left the range the protocol's bound checks were sized for."""


@dataclass(frozen=True)
class Schedule:
    """The training schedule, shared by the plaintext and the encrypted runs.

    Attributes:
        learning_rate: η (converted exactly to a fraction).
        regularization: λ.
        batch_size: Rows per iteration (the last batch of an epoch may be shorter);
            0 means the full training set every iteration.
        iterations: Number of gradient steps.
        seed: Seed of the batch order.
        fraction_bits: f of the fixed-point scale 2^f.
        weight_bound_bits: Every |W_i| and |B| must stay below 2^weight_bound_bits (the
            encrypted protocol sizes its blinding from this public bound).
    """

    learning_rate: float = 0.5
    regularization: float = 0.001
    batch_size: int = 32
    iterations: int = 80
    seed: int = 0
    fraction_bits: int = 16
    weight_bound_bits: int = 40

    def __post_init__(self) -> None:
        if not self.learning_rate > 0 or self.regularization < 0:
            raise InvalidInputError("learning_rate must be > 0 and regularization ≥ 0")
        if self.batch_size < 0 or self.iterations < 1:
            raise InvalidInputError("batch_size must be ≥ 0 and iterations ≥ 1")
        if not 1 <= self.fraction_bits <= 30 or self.weight_bound_bits <= self.fraction_bits:
            raise InvalidInputError("need 1 ≤ fraction_bits ≤ 30 < weight_bound_bits")


@dataclass(frozen=True)
class SVMModel:
    """Integer weights W and bias B at scale 2^f; predicts sign(w·x − b) (0 counts as +1)."""

    weights: tuple[int, ...]
    bias: int
    fraction_bits: int

    @property
    def weights_float(self) -> list[float]:
        """w = W / 2^f."""
        return [w / (1 << self.fraction_bits) for w in self.weights]

    @property
    def bias_float(self) -> float:
        """b = B / 2^f."""
        return self.bias / (1 << self.fraction_bits)

    def decision(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """w·x − b for each row of real features."""
        values: NDArray[np.float64] = np.asarray(features, dtype=np.float64) @ np.array(self.weights_float)
        return values - self.bias_float

    def predict(self, features: NDArray[np.float64]) -> NDArray[np.int64]:
        """±1 labels."""
        return np.where(self.decision(features) >= 0, 1, -1).astype(np.int64)


@dataclass(frozen=True)
class HingeSums:
    """The batch sums a step needs: G = Σ I y X (scale 2^f), G_b = Σ I y, C = Σ I."""

    gradient: tuple[int, ...]
    label_sum: int
    violations: int


@dataclass
class TrainingTrace:
    """The model after training, and the batch cost and the number of margin violations
    (rows with y(w·x − b) < 1) of each step."""

    model: SVMModel
    costs: list[float] = field(default_factory=list)
    violations: list[int] = field(default_factory=list)


def batch_schedule(rows: int, schedule: Schedule) -> list[NDArray[np.int64]]:
    """Row indices of each iteration: epochs of a seeded permutation cut into batches."""
    if rows < 1:
        raise InvalidInputError("no rows to train on")
    size = rows if schedule.batch_size in (0, rows) or schedule.batch_size > rows else schedule.batch_size
    rng = np.random.default_rng(schedule.seed)
    batches: list[NDArray[np.int64]] = []
    while len(batches) < schedule.iterations:
        order = rng.permutation(rows) if size < rows else np.arange(rows)
        batches.extend(np.sort(order[i : i + size]) for i in range(0, rows, size))
    return batches[: schedule.iterations]


def margin_numerator(weights: Sequence[int], bias: int, row: Sequence[int], label: int, fraction_bits: int) -> int:
    """D = y (W·X − B · 2^f) − 2^{2f}: negative exactly when y (w·x − b) < 1."""
    dot = sum(w * x for w, x in zip(weights, row, strict=True))
    return label * (dot - (bias << fraction_bits)) - (1 << (2 * fraction_bits))


def hinge_sums(
    weights: Sequence[int], bias: int, rows: Sequence[Sequence[int]], labels: Sequence[int], fraction_bits: int
) -> HingeSums:
    """G, G_b and C over ``rows`` (plaintext; the encrypted protocol computes the same sums)."""
    verdicts = [
        margin_numerator(weights, bias, row, label, fraction_bits) < 0 for row, label in zip(rows, labels, strict=True)
    ]
    return verdict_sums(len(weights), rows, labels, verdicts)


def verdict_sums(
    width: int, rows: Sequence[Sequence[int]], labels: Sequence[int], verdicts: Sequence[bool]
) -> HingeSums:
    """G, G_b and C over ``rows`` of ``width`` columns, given each row's verdict I_j = [D_j < 0]
    (computed in the clear by :func:`hinge_sums`, or jointly by an encrypted protocol)."""
    gradient = [0] * width
    label_sum = violations = 0
    for row, label, violated in zip(rows, labels, verdicts, strict=True):
        if violated:
            violations += 1
            label_sum += label
            for i, x in enumerate(row):
                gradient[i] += label * x
    return HingeSums(tuple(gradient), label_sum, violations)


def batch_cost(weights: Sequence[int], bias: int, sums: HingeSums, batch_size: int, schedule: Schedule) -> float:
    """J = λ/2 ‖w‖² + (1/|B|) Σ hinge, from (W, B) and the batch sums alone.

    Σ_j I_j (−D_j) = −W·G + B · 2^f · G_b + 2^{2f} · C, so the hinge total needs no more than
    the sums that the step needs.
    """
    f = schedule.fraction_bits
    hinge = -sum(w * g for w, g in zip(weights, sums.gradient, strict=True))
    hinge += (bias << f) * sums.label_sum + (sums.violations << (2 * f))
    norm = sum(w * w for w in weights)
    value = Fraction(schedule.regularization) / 2 * Fraction(norm, 1 << (2 * f))
    return float(value + Fraction(hinge, (1 << (2 * f)) * batch_size))


def gradient_step(
    weights: Sequence[int], bias: int, sums: HingeSums, batch_size: int, schedule: Schedule
) -> tuple[tuple[int, ...], int]:
    """One exact step: W' = round(W − ηλW + η G / |B|), B' = round(B − η G_b 2^f / |B|).

    Raises:
        ModelBoundError: A new weight reaches 2^weight_bound_bits.
    """
    eta = Fraction(schedule.learning_rate)
    decay = 1 - eta * Fraction(schedule.regularization)
    new_weights = tuple(
        round(decay * w + eta * Fraction(g, batch_size)) for w, g in zip(weights, sums.gradient, strict=True)
    )
    new_bias = round(bias - eta * Fraction(sums.label_sum << schedule.fraction_bits, batch_size))
    limit = 1 << schedule.weight_bound_bits
    if any(abs(w) >= limit for w in (*new_weights, new_bias)):
        raise ModelBoundError(f"a weight reached 2^{schedule.weight_bound_bits}: raise weight_bound_bits or lower η")
    return new_weights, new_bias


def train_plaintext(rows: Sequence[Sequence[int]], labels: Sequence[int], schedule: Schedule) -> TrainingTrace:
    """Train on quantised rows (X = round(x · 2^f)) and ±1 labels with ``schedule``."""
    if len(rows) != len(labels) or not rows:
        raise InvalidInputError(f"{len(rows)} rows and {len(labels)} labels")
    weights: tuple[int, ...] = (0,) * len(rows[0])
    bias = 0
    trace = TrainingTrace(SVMModel(weights, bias, schedule.fraction_bits))
    for batch in batch_schedule(len(rows), schedule):
        sums = hinge_sums(weights, bias, [rows[i] for i in batch], [labels[i] for i in batch], schedule.fraction_bits)
        trace.costs.append(batch_cost(weights, bias, sums, len(batch), schedule))
        trace.violations.append(sums.violations)
        weights, bias = gradient_step(weights, bias, sums, len(batch), schedule)
    trace.model = SVMModel(weights, bias, schedule.fraction_bits)
    return trace


class FixedPointSVM:
    """Scikit-learn-like wrapper: ``fit`` real features in [0, 1], ``predict`` ±1.

    Args:
        schedule: The training schedule.
    """

    def __init__(self, schedule: Schedule | None = None) -> None:
        self.schedule = schedule or Schedule()
        self.trace: TrainingTrace | None = None

    def fit(self, features: NDArray[np.float64], labels: NDArray[np.int64]) -> FixedPointSVM:
        """Quantise and train."""
        from offchain.learning.preprocessing import quantize

        rows = quantize(features, self.schedule.fraction_bits)
        self.trace = train_plaintext(rows, [int(v) for v in labels], self.schedule)
        return self

    @property
    def model(self) -> SVMModel:
        """The trained model."""
        if self.trace is None:
            raise InvalidInputError("the SVM is not trained yet: call fit first")
        return self.trace.model

    def predict(self, features: NDArray[np.float64]) -> NDArray[np.int64]:
        """±1 labels."""
        return self.model.predict(features)
