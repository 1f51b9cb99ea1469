"""Vendored tabular datasets with their provenance, parsed into feature matrices and ±1 labels.

The files live in ``offchain/learning/data/`` (see its README for sources, citations and the
CC BY 4.0 licence); each is checked against its SHA-256 before it is parsed, so a changed file is
an error, not a silently different experiment. Research: Shen, Zhu, Xu, ch. 4, Table 4.3–4.4
(secureSVM is evaluated on Breast Cancer Wisconsin and the Hungarian heart-disease data).
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
}


def load_dataset(name: str) -> Dataset:
    """Parse a vendored dataset after checking its SHA-256.

    Args:
        name: A key of :data:`DATASETS` (``"bcw"``, ``"hdd"``).

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
    features: list[list[float]] = []
    labels: list[int] = []
    for number, line in enumerate(raw.decode("ascii").splitlines(), start=1):
        if not line.strip():
            continue
        cells = line.strip().split(",")
        if len(cells) < width:
            raise InvalidInputError(f"{spec.filename} line {number}: {len(cells)} fields, expected {width}")
        features.append([float("nan") if cells[i] == "?" else float(cells[i]) for i in spec.feature_columns])
        labels.append(1 if cells[spec.label_column] in spec.positive_labels else -1)
    return Dataset(spec, np.array(features, dtype=np.float64), np.array(labels, dtype=np.int64))
