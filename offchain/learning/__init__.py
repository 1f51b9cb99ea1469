"""The learning layer: datasets with provenance, preprocessing, a fixed-point linear SVM, metrics.

Pure and role-free (no keys, no chain): the training protocols of :mod:`offchain.protocols` build
on it. Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 4 (the
secureSVM scheme): the linear SVM trained by gradient descent on the hinge loss, Eq. 4.7–4.10.
The valuation of data owners by Shapley values (ch. 7) is the subpackage
:mod:`offchain.learning.valuation`, imported on its own (it loads scikit-learn).
"""

from offchain.learning.datasets import DATASETS, Dataset, load_dataset
from offchain.learning.metrics import Metrics, classification_metrics
from offchain.learning.preprocessing import Prepared, SplitData, prepare, quantize, train_test_split
from offchain.learning.svm import (
    FixedPointSVM,
    Schedule,
    SVMModel,
    TrainingTrace,
    batch_schedule,
    gradient_step,
    hinge_sums,
    train_plaintext,
)

__all__ = [
    "DATASETS",
    "Dataset",
    "FixedPointSVM",
    "Metrics",
    "Prepared",
    "SVMModel",
    "Schedule",
    "SplitData",
    "TrainingTrace",
    "batch_schedule",
    "classification_metrics",
    "gradient_step",
    "hinge_sums",
    "load_dataset",
    "prepare",
    "quantize",
    "train_plaintext",
    "train_test_split",
]
