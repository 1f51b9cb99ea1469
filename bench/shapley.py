"""Benchmark of Shapley-value revenue sharing (Shen, Zhu, Xu ch. 7 §7.3–7.5): valuing owners on
the UCI thyroid data (healthy against any diagnosis).

    python bench/shapley.py [--quick]

Figures written to bench/results/shapley.json. The thyroid data is prepared as the learning
layer does (seeded 80/20 split, TBG dropped, medians imputed, scaled to [0, 1]: 7,338 training
and 1,834 test rows); times are wall-clock seconds on this machine (2 cores, shared):

    exact_owners10_s                  all 1,024 coalitions of 10 owners (734 rows each) trained and
                                      valued with the linear-SVM utility (CoalitionUtility.table,
                                      cached, in worker processes), then their exact Shapley values
    exact_owners10_rf_s, …_knn_s      the same with the random-forest and KNN utilities
    exact_owners10_cpu_s (…_rf_, …)   the CPU seconds of the same (this process and its workers):
                                      what the work costs whatever the machine's load; on an idle
                                      2-core machine the wall time is about half of it
    loop_owners10_s                   the straightforward loop for the same SVM table: one process,
                                      a fresh LinearSVC and sklearn's f1_score per coalition, no
                                      cache (--quick: 128 random coalitions, times 8)
    loop_hinge_owners10_s             the same loop with the project's baseline linear SVM of
                                      offchain.learning.baselines (LinearSVC(loss="hinge"), the dual
                                      solver, classes unweighted): issue 15's "~44 s"
    exact_owners10_over_loop(_hinge)  exact_owners10_s over each loop's time (same run)
    loop_same_utilities               1 if the loop's utilities equal the table's
    tmc_owners100_s                   truncated Monte Carlo over 100 owners (73 rows each, KNN utility,
                                      τ = 0.01, antithetic pairs of orders) until every standard
                                      error is ≤ 0.002 or 300 orders (--quick: 60)
    tmc_owners100_stderr              its largest standard error (95 % ≈ ±1.96 of it, see
                                      offchain.learning.valuation.sampling), …_permutations
    knn_shapley_records5000_s         exact KNN-Shapley (K = 5) of 5,000 training records against the
                                      1,834 test rows
    crosscheck_max_abs_diff           the largest |ours − pyDVL 0.10| over the 10-owner SVM game's
                                      exact Shapley values (…_shapley_owners10_…) and the KNN-Shapley
                                      values of 400 synthetic records (…_knn_shapley_records400_…;
                                      continuous, so that no two distances tie), pyDVL in a venv of
                                      its own (see below); crosscheck_pydvl = 1 when pyDVL ran, 0 when
                                      the brute force over the 40,320 orders of an 8-owner game
                                      stood in for it
    gas_merkle_claim_3_payees         ShapleyPayout.claim of one leaf of a 3-leaf Merkle round (median
                                      of the three); Uniswap's merkle-distributor takes 62,824–91,650
                                      gas per claim (printed beside)
    gas_merkle_claim_1000_payees      the same in a 1,000-leaf round (median of leaves 0, 254, 255,
                                      500, 999: both sides of a bitmap word's edge)
    gas_approve, gas_approve_quorum   an agency's approval (the first), and the one reaching the
                                      quorum (3 of 4 agencies)
    gas_reclaim                       the funder's reclaim after the deadline of the 1,000-leaf round
                                      (5 leaves paid: the rest goes back)
    gas_compute_shares_n8, _n10       ShapleyPayout.computeShares (view) over a random table of 2^n
                                      utilities, as eth_estimateGas reports it (21,000 and calldata
                                      included)
    gas_settle_shapley_n8, _n10       settleShapley of an approved on-chain-Shapley round of n owners:
                                      the 2^n table as calldata, checked against its hash, split and
                                      n shares stored
    load_average_1min                 the machine's load when the run ended

pyDVL 0.10 pins numpy<2, which the project cannot take: the benchmark makes a venv of its own at
``$DATASHARE_PYDVL_VENV`` (default ``~/.cache/datashare-pydvl``) with ``pip install pydvl==0.10.0``
from PyPI on its first run, and runs bench/support/pydvl_crosscheck.py there.

The gas figures come from a private local chain on a free port (``--network``, default
ganache-cli), never one a test run uses.

The figures are produced by the steps of :data:`STEPS`, in order, each adding to one
:class:`Run`; a step that needs the chain can be appended to the list.
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import permutations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from _common import parse_args, report, with_baseline_ratios
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

from offchain.learning import Prepared, load_dataset, prepare
from offchain.learning.valuation import CoalitionUtility, knn_shapley, shapley_values, tmc_shapley

GOAL_EXACT_OWNERS10_S = 15.0
PYDVL_VERSION = "0.10.0"
PYDVL_VENV = Path(os.environ.get("DATASHARE_PYDVL_VENV", Path.home() / ".cache" / "datashare-pydvl"))
CROSSCHECK_SCRIPT = Path(__file__).resolve().parent / "support" / "pydvl_crosscheck.py"


@dataclass
class Run:
    """What the steps share: the arguments, the prepared thyroid data, and the figures so far."""

    quick: bool
    network: str
    data: Prepared
    figures: dict[str, float | int] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[float]] = field(default_factory=dict)

    def owners(self, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The training rows dealt to ``count`` owners of (nearly) equal size, in a seeded order."""
        order = np.random.default_rng(1).permutation(len(self.data.y_train))
        return [(self.data.x_train[part], self.data.y_train[part]) for part in np.array_split(order, count)]

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self.data.x_test, self.data.y_test


def _progress(message: str) -> None:
    print(f"-- {message}", flush=True)


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished children (the table's worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def exact_figures(run: Run) -> None:
    """exact_owners10_s (SVM), exact_owners10_rf_s and exact_owners10_knn_s."""
    owners = run.owners(10)
    for model, key in (("svm", "exact_owners10_s"), ("rf", "exact_owners10_rf_s"), ("knn", "exact_owners10_knn_s")):
        _progress(f"exact Shapley, 10 owners, {model}: 1,024 coalitions")
        start, cpu = time.perf_counter(), _cpu_s()
        table = CoalitionUtility(owners, run.test, model).table()
        shapley_values(table)
        run.figures[key] = time.perf_counter() - start
        run.figures[key.replace("_s", "_cpu_s", 1)] = _cpu_s() - cpu
        run.tables[model] = table
    run.notes["exact_owners10_s"] = f"goal ≤ {GOAL_EXACT_OWNERS10_S:.0f} s (issue 15: a straightforward loop ~44 s)"


def loop_baseline(run: Run) -> None:
    """loop_owners10_s: the straightforward loop for the same SVM table, and whether it agrees."""
    owners = run.owners(10)
    share = 8 if run.quick else 1
    masks = sorted(np.random.default_rng(3).permutation(1024)[: 1024 // share].tolist())
    same = {"dual": False, "class_weight": "balanced"}
    hinge = {"loss": "hinge", "random_state": 0}  # offchain.learning.baselines.linear_svc_metrics
    for name, settings in (("loop_owners10_s", same), ("loop_hinge_owners10_s", hinge)):
        _progress(f"straightforward loop, 10 owners, {settings}: {len(masks)} coalitions in one process")
        values = {}
        start = time.perf_counter()
        for mask in masks:
            members = [i for i in range(10) if mask >> i & 1]
            if not members:
                values[mask] = 0.0
                continue
            x = np.concatenate([owners[i][0] for i in members])
            y = np.concatenate([owners[i][1] for i in members])
            model = LinearSVC(C=1.0, max_iter=20000, **settings).fit(x, y)  # type: ignore[arg-type]
            values[mask] = float(f1_score(run.test[1], model.predict(run.test[0]), pos_label=1, zero_division=0))
        run.figures[name] = (time.perf_counter() - start) * share
        if run.quick:
            run.notes[name] = "estimated: 128 random coalitions, times 8"
        if name == "loop_owners10_s":
            table = run.tables["svm"]
            run.figures["loop_same_utilities"] = int(all(abs(table[m] - v) < 1e-12 for m, v in values.items()))


def tmc_figures(run: Run) -> None:
    """tmc_owners100_s with its largest standard error."""
    owners = run.owners(100)
    budget = 60 if run.quick else 300
    _progress(f"TMC Shapley, 100 owners, knn, ≤ {budget} orders")
    start = time.perf_counter()
    utility = CoalitionUtility(owners, run.test, "knn")
    result = tmc_shapley(
        utility, 100, tolerance=0.002, truncation=0.01, max_permutations=budget, antithetic=True, seed=0
    )
    run.figures["tmc_owners100_s"] = time.perf_counter() - start
    run.figures["tmc_owners100_stderr"] = result.max_stderr
    run.figures["tmc_owners100_permutations"] = result.permutations
    run.notes["tmc_owners100_stderr"] = f"tolerance 0.002; mean value {np.mean(result.values):.4f}"


def knn_shapley_figures(run: Run) -> None:
    """knn_shapley_records5000_s."""
    _progress("exact KNN-Shapley, 5,000 records")
    start = time.perf_counter()
    knn_shapley(run.data.x_train[:5000], run.data.y_train[:5000], *run.test, 5)
    run.figures["knn_shapley_records5000_s"] = time.perf_counter() - start


def _pydvl_python() -> Path | None:
    """The pyDVL venv's interpreter, made on first use; None when it cannot be made here."""
    python = PYDVL_VENV / "bin" / "python"
    check = [str(python), "-c", f"import pydvl, sys; sys.exit(pydvl.__version__ != {PYDVL_VERSION!r})"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    _progress(f"making the pyDVL {PYDVL_VERSION} venv at {PYDVL_VENV} (numpy<2, apart from the project's)")
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PYDVL_VENV)], check=True, capture_output=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"pydvl=={PYDVL_VERSION}"]
        subprocess.run(pip, check=True, capture_output=True, timeout=900)
    except (OSError, subprocess.SubprocessError) as exc:
        _progress(f"no pyDVL venv ({exc}); cross-checking against the brute force instead")
        return None
    return python


def _brute_force(table: list[float]) -> list[float]:
    """The mean marginal contribution over every order of the players."""
    n = len(table).bit_length() - 1
    totals = np.zeros(n)
    for order in permutations(range(n)):
        mask = 0
        for player in order:
            totals[player] += table[mask | 1 << player] - table[mask]
            mask |= 1 << player
    return list(totals / math.factorial(n))


def crosscheck(run: Run) -> None:
    """crosscheck_max_abs_diff against pyDVL 0.10 (or the brute force over orders)."""
    table = run.tables["svm"]
    python = _pydvl_python()
    if python is None:
        small = CoalitionUtility(run.owners(8), run.test, "svm").table()
        difference = np.subtract(shapley_values(small), _brute_force(small))
        run.figures["crosscheck_max_abs_diff"] = float(np.max(np.abs(difference)))
        run.figures["crosscheck_pydvl"] = 0
        return
    # KNN-Shapley on continuous synthetic rows: thyroid's discrete features put distinct rows at
    # equal distances, and the two libraries order such ties differently (which moves value
    # between tied rows of different labels), so its rows would compare the tie-breaks.
    rng = np.random.default_rng(2)
    y, y_test = np.where(rng.random(400) < 0.4, 1, -1), np.where(rng.random(200) < 0.4, 1, -1)
    x, x_test = rng.normal(size=(400, 5)) + 0.8 * y[:, None], rng.normal(size=(200, 5)) + 0.8 * y_test[:, None]
    _progress("cross-check against pyDVL (its own venv)")
    with tempfile.TemporaryDirectory() as folder:
        task = Path(folder) / "task.npz"
        np.savez(task, table=np.array(table), k=5, x_train=x, y_train=y, x_test=x_test, y_test=y_test)
        command = [str(python), str(CROSSCHECK_SCRIPT), str(task)]
        theirs = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    shapley_diff = float(np.max(np.abs(np.subtract(shapley_values(table), theirs["shapley"]))))
    knn_diff = float(np.max(np.abs(knn_shapley(x, y, x_test, y_test, 5) - np.array(theirs["knn_shapley"]))))
    run.figures["crosscheck_max_abs_diff"] = max(shapley_diff, knn_diff)
    run.figures["crosscheck_shapley_owners10_max_abs_diff"] = shapley_diff
    run.figures["crosscheck_knn_shapley_records400_max_abs_diff"] = knn_diff
    run.figures["crosscheck_pydvl"] = 1


UNISWAP_CLAIM_GAS = "62,824–91,650"  # Uniswap merkle-distributor, gas per claim
PAYOUT_PERIOD_S = 7 * 24 * 3600


def _median_gas(receipts: list) -> int:
    return int(np.median([r.gas_used for r in receipts]))


def gas_figures(run: Run) -> None:
    """gas_* figures: ShapleyPayout's Merkle claims, approvals, reclaim and on-chain split."""
    import random

    from eth_utils import keccak

    from offchain.chain import load_project
    from offchain.chain.shapley_payout import PayoutTree, table_hash

    _progress(f"ShapleyPayout gas on a private {run.network}")
    project = load_project()
    from _common import connect_own_chain

    connect_own_chain(run.network)
    from brownie import accounts, chain

    deployer, funder, agencies = accounts[0], accounts[8], list(accounts[3:7])
    registry = project.DataRegistry.deploy({"from": deployer}, silent=True)
    consortium = project.Consortium.deploy(agencies, 3 * 24 * 3600, {"from": deployer}, silent=True)
    payout = project.ShapleyPayout.deploy(consortium, registry, {"from": deployer}, silent=True)
    file_ids = []
    for i in range(10):
        tx = registry.registerFile(
            (i + 1).to_bytes(32, "big"), keccak(b"ciphertext"), bytes(32), "s3://record", b"", {"from": accounts[i]}
        )
        file_ids.append(bytes(tx.events["FileRegistered"]["fileId"]))
    valuation = (keccak(b"valuation record"), keccak(b"test set"), file_ids)
    rng = random.Random(15)

    def approve_all(round_id: int) -> list:
        commitment = payout.commitmentOf(round_id)
        return [payout.approve(round_id, commitment, {"from": a}) for a in agencies[:3]]

    def merkle_round(entries: list) -> tuple[int, PayoutTree, list]:
        tree = PayoutTree.from_amounts(entries)
        sent = {"from": funder, "value": tree.total_wei}
        round_id = payout.openMerkleRound(tree.root, len(entries), valuation, PAYOUT_PERIOD_S, sent).return_value
        return round_id, tree, approve_all(round_id)

    small = [(accounts[1 + i], rng.randrange(1, 10**15)) for i in range(3)]
    round_id, tree, approvals = merkle_round(small)
    claims = [payout.claim(round_id, i, small[i][1], tree.proof(i), {"from": small[i][0]}) for i in range(3)]
    run.figures["gas_merkle_claim_3_payees"] = _median_gas(claims)
    run.notes["gas_merkle_claim_3_payees"] = f"Uniswap merkle-distributor: {UNISWAP_CLAIM_GAS} gas per claim"
    run.figures["gas_approve"] = int(approvals[0].gas_used)
    run.figures["gas_approve_quorum"] = int(approvals[-1].gas_used)

    large = [(accounts[i % 10], rng.randrange(1, 10**15)) for i in range(1000)]
    round_id, tree, _ = merkle_round(large)
    indices = (0, 254, 255, 500, 999)
    claims = [payout.claim(round_id, i, large[i][1], tree.proof(i), {"from": large[i][0]}) for i in indices]
    run.figures["gas_merkle_claim_1000_payees"] = _median_gas(claims)
    run.notes["gas_merkle_claim_1000_payees"] = f"Uniswap merkle-distributor: {UNISWAP_CLAIM_GAS} gas per claim"

    for n in (8, 10):
        table = [0] + [rng.randrange(1, 10**6) for _ in range((1 << n) - 1)]  # scaled F1 scores
        pool = 10**18
        run.figures[f"gas_compute_shares_n{n}"] = int(payout.computeShares.estimate_gas(pool, table))
        sent = {"from": funder, "value": pool}
        shapley_valuation = (valuation[0], valuation[1], file_ids[:n])
        round_id = payout.openShapleyRound(table_hash(table), shapley_valuation, PAYOUT_PERIOD_S, sent).return_value
        approve_all(round_id)
        run.figures[f"gas_settle_shapley_n{n}"] = int(payout.settleShapley(round_id, table, {"from": funder}).gas_used)

    chain.sleep(PAYOUT_PERIOD_S + 1)
    chain.mine()
    run.figures["gas_reclaim"] = int(payout.reclaim(2, {"from": funder}).gas_used)  # the 1,000-leaf round


#: The steps, in order. Each adds figures to the run; append a step to add figures.
STEPS: list[Callable[[Run], None]] = [
    exact_figures,
    loop_baseline,
    tmc_figures,
    knn_shapley_figures,
    crosscheck,
    gas_figures,
]


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    logging.basicConfig(level=logging.WARNING)
    warnings.simplefilter("ignore", category=UserWarning)
    run = Run(quick=args.quick, network=args.network, data=prepare(load_dataset("thyroid"), seed=0))
    for step in STEPS:
        step(run)
    run.figures["load_average_1min"] = os.getloadavg()[0]
    figures = with_baseline_ratios(run.figures, "loop_owners10_s", "loop", ["exact_owners10_s"])
    figures = with_baseline_ratios(figures, "loop_hinge_owners10_s", "loop_hinge", ["exact_owners10_s"])
    report("shapley", figures, run.notes)


if __name__ == "__main__":
    main()
