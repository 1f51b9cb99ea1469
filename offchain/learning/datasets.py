"""Vendored tabular datasets with their provenance, parsed into feature matrices and ±1 labels.

The files live in ``offchain/learning/data/`` (see its README for sources, citations and the
CC BY 4.0 licence); each is checked against its SHA-256 before it is parsed, so a changed file is
an error, not a silently different experiment. Research: Shen, Zhu, Xu, ch. 4, Table 4.3–4.4
(secureSVM is evaluated on Breast Cancer Wisconsin and the Hungarian heart-disease data) and
ch. 7 §7.5 (the Shapley revenue sharing is evaluated on the UCI thyroid data, ``thyroid``:
healthy against any diagnosis).

Missing cells (``?``) and values outside a feature's plausible range (the thyroid file's four
ages of 455 and 65,511–65,526 years) are NaN here; :func:`offchain.learning.preprocessing.prepare`
imputes training medians and drops the mostly-missing features (the thyroid file's TBG).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from offchain.errors import IntegrityError, InvalidInputError

__all__ = ["DATASETS", "DATA_DIR", "Dataset", "DatasetSpec", "load_dataset"]

#: Folder of the vendored files.
DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class DatasetSpec:
    """How to read one vendored file.

    Attributes:
        name: Short name used by :func:`load_dataset`.
        filename: File in :data:`DATA_DIR`.
        sha256: Expected SHA-256 of the file (hex).
        feature_columns: Indices of the feature columns.
        feature_names: Their names.
        label_column: Index of the class column.
        positive_labels: Raw class values mapped to +1 (every other value is −1).
        provenance: Where the file came from (one line; the README has the full note).
        licence: Its licence.
        codes: Columns holding category codes, each with its values in order: a cell becomes
            the index of its value (``("f", "t")``: f → 0, t → 1); another value is an error.
        negative_labels: When given, these raw class values map to −1 and every other value to
            +1 (``positive_labels`` is then ignored): "healthy against any diagnosis".
        label_cut: When given, the class cell is cut at the first occurrence of this string
            (the thyroid file's ``-[840801013]`` → ``-``).
        plausible: ``(column, low, high)``: a value outside [low, high] is taken as missing.
    """

    name: str
    filename: str
    sha256: str
    feature_columns: tuple[int, ...]
    feature_names: tuple[str, ...]
    label_column: int
    positive_labels: tuple[str, ...]
    provenance: str
    licence: str = "CC BY 4.0 (UCI Machine Learning Repository)"
    codes: tuple[tuple[int, tuple[str, ...]], ...] = ()
    negative_labels: tuple[str, ...] = ()
    label_cut: str | None = None
    plausible: tuple[tuple[int, float, float], ...] = ()


@dataclass(frozen=True)
class Dataset:
    """A parsed dataset: features with NaN for missing cells, labels in {−1, +1}.

    Attributes:
        spec: Where it came from.
        features: Float matrix, rows × features; NaN where the file has ``?``.
        labels: Int vector of ±1.
    """

    spec: DatasetSpec
    features: NDArray[np.float64]
    labels: NDArray[np.int64]

    @property
    def rows(self) -> int:
        """Number of rows."""
        return int(self.features.shape[0])

    @property
    def missing_cells(self) -> int:
        """Number of missing cells among the features."""
        return int(np.isnan(self.features).sum())


DATASETS: dict[str, DatasetSpec] = {
    "bcw": DatasetSpec(
        name="bcw",
        filename="breast-cancer-wisconsin.data",
        sha256="402c585309c399237740f635ef9919dc512cca12cbeb20de5e563a4593f22b64",
        feature_columns=tuple(range(1, 10)),
        feature_names=(
            "clump_thickness",
            "uniformity_cell_size",
            "uniformity_cell_shape",
            "marginal_adhesion",
            "single_epithelial_cell_size",
            "bare_nuclei",
            "bland_chromatin",
            "normal_nucleoli",
            "mitoses",
        ),
        label_column=10,
        positive_labels=("4",),  # malignant
        provenance="UCI Breast Cancer Wisconsin (Original), Wolberg & Mangasarian 1990; "
        "copied from iforgotmylogin/MachineLearning@999e0cb4",
    ),
    "hdd": DatasetSpec(
        name="hdd",
        filename="processed.hungarian.data",
        sha256="d1ad108f785768cd3d7e82dc522e6f5a61eea93cccfb3a46ee8076f73fc3d796",
        feature_columns=tuple(range(13)),
        feature_names=(
            "age",
            "sex",
            "cp",
            "trestbps",
            "chol",
            "fbs",
            "restecg",
            "thalach",
            "exang",
            "oldpeak",
            "slope",
            "ca",
            "thal",
        ),
        label_column=13,
        positive_labels=("1",),  # disease
        provenance="UCI Heart Disease (Hungarian), Janosi et al. 1988 / Detrano et al. 1989; "
        "copied from peter-biz/AI-Project-1@83b4c062",
    ),
    "thyroid": DatasetSpec(
        name="thyroid",
        filename="thyroid0387.data",
        sha256="4a20d104d4607afd7b1a477af5aa4381a2027f36cc7027f44bc2bd5a50c6724d",
        # The attributes without the six "measured" flags (a NaN says the same) and the referral
        # source (administrative, and nominal with six values).
        feature_columns=(*range(16), 17, 19, 21, 23, 25, 27),
        feature_names=(
            "age",
            "sex",
            "on_thyroxine",
            "query_on_thyroxine",
            "on_antithyroid_medication",
            "sick",
            "pregnant",
            "thyroid_surgery",
            "i131_treatment",
            "query_hypothyroid",
            "query_hyperthyroid",
            "lithium",
            "goitre",
            "tumor",
            "hypopituitary",
            "psych",
            "tsh",
            "t3",
            "tt4",
            "t4u",
            "fti",
            "tbg",
        ),
        label_column=29,
        positive_labels=(),
        negative_labels=("-",),  # "-" is no condition; any diagnosis letter is +1
        label_cut="[",
        codes=((1, ("F", "M")), *((column, ("f", "t")) for column in range(2, 16))),
        plausible=((0, 0.0, 120.0),),
        provenance="UCI Thyroid Disease (thyroid0387), Quinlan / Garvan Institute 1987; "
        "copied from Asquator/Hyperthyroidism-ML@8763d93c",
    ),
}


def load_dataset(name: str) -> Dataset:
    """Parse a vendored dataset after checking its SHA-256.

    Args:
        name: A key of :data:`DATASETS` (``"bcw"``, ``"hdd"``, ``"thyroid"``).

    Raises:
        InvalidInputError: Unknown name, or a malformed line.
        IntegrityError: The file's hash is not the recorded one.
    """
    spec = DATASETS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise InvalidInputError(f"unknown dataset {name!r}; known: {sorted(DATASETS)}")
    raw = (DATA_DIR / spec.filename).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.sha256:
        raise IntegrityError(f"{spec.filename}: expected SHA-256 {spec.sha256}, found {digest}")
    width = max(*spec.feature_columns, spec.label_column) + 1
    codes = dict(spec.codes)
    features: list[list[float]] = []
    labels: list[int] = []
    for number, line in enumerate(raw.decode("ascii").splitlines(), start=1):
        if not line.strip():
            continue
        cells = line.strip().split(",")
        if len(cells) < width:
            raise InvalidInputError(f"{spec.filename} line {number}: {len(cells)} fields, expected {width}")
        try:
            features.append([_cell(cells[i], codes.get(i)) for i in spec.feature_columns])
        except ValueError as exc:
            raise InvalidInputError(f"{spec.filename} line {number}: {exc}") from None
        label = cells[spec.label_column]
        if spec.label_cut is not None:
            label = label.split(spec.label_cut, 1)[0]
        if spec.negative_labels:
            labels.append(-1 if label in spec.negative_labels else 1)
        else:
            labels.append(1 if label in spec.positive_labels else -1)
    matrix = np.array(features, dtype=np.float64)
    for column, low, high in spec.plausible:
        values = matrix[:, spec.feature_columns.index(column)]
        values[(values < low) | (values > high)] = np.nan
    return Dataset(spec, matrix, np.array(labels, dtype=np.int64))


def _cell(cell: str, codes: tuple[str, ...] | None) -> float:
    """A cell as a float: NaN for ``?``, the value's index for a coded column."""
    if cell == "?":
        return float("nan")
    if codes is None:
        return float(cell)
    if cell not in codes:
        raise ValueError(f"value {cell!r}, expected one of {codes}")
    return float(codes.index(cell))
