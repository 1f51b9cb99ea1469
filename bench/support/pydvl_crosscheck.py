"""Run by bench/shapley.py (not by ``make bench``: it lives in a subfolder) inside a separate
venv holding pyDVL 0.10 (which pins numpy<2): reads a game table and a small KNN task from the
.npz file named on the command line, computes pyDVL's exact Shapley values of the table
(``ShapleyValuation`` with the ``DeterministicUniformSampler``, every coalition once) and its
KNN-Shapley values (``KNNShapleyValuation``, Jia et al. 2019), and prints both as JSON on
stdout. It imports nothing from this project.
"""

from __future__ import annotations

import json
import logging
import sys
import warnings

import numpy as np
from joblib import parallel_config
from pydvl.valuation import KNNShapleyValuation, ShapleyValuation
from pydvl.valuation.dataset import Dataset
from pydvl.valuation.games import Game
from pydvl.valuation.samplers import DeterministicUniformSampler
from pydvl.valuation.stopping import NoStopping
from sklearn.neighbors import KNeighborsClassifier


class TableGame(Game):
    """A game whose worths are read from a table indexed by bitmask (player i = bit i)."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table
        super().__init__(len(table).bit_length() - 1)

    def _score(self, X: np.ndarray) -> float:
        return float(self.table[sum(1 << int(i) for i in X.ravel())])


def main() -> None:
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    data = np.load(sys.argv[1])
    game = TableGame(data["table"])
    valuation = ShapleyValuation(game.u, DeterministicUniformSampler(), is_done=NoStopping(), progress=False)
    with parallel_config(n_jobs=1):
        valuation.fit(game.data)
        knn = KNNShapleyValuation(
            KNeighborsClassifier(int(data["k"]), algorithm="brute"),
            Dataset(data["x_test"], data["y_test"]),
            progress=False,
        )
        knn.fit(Dataset(data["x_train"], data["y_train"]))
    json.dump(
        {"shapley": valuation.result.values.tolist(), "knn_shapley": knn.result.values.tolist()},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
