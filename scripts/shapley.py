"""Shapley-value revenue sharing on the thyroid data, paid out on chain (issue 15).

    brownie run scripts/shapley.py --network ganache-cli   # not run by the docs test: the demo runs its steps

(About 7 s after deployment; ``DATASHARE_SHAPLEY_SWEEP_OWNERS=10`` in front makes the bigger run.)

Knobs (environment): ``DATASHARE_SHAPLEY_SWEEP_OWNERS`` (owners of the figures' size sweep, 2–10,
default 5; 10 trains 1,024 models per utility), ``DATASHARE_SHAPLEY_MODEL`` (the utility paid on
chain: ``svm`` (default), ``rf`` or ``knn``), ``DATASHARE_SHAPLEY_WORKERS`` (processes for the
tables; default: one for small games, every core from 7 owners), ``DATASHARE_SHAPLEY_OUTPUT``
(the PNGs' folder, default ``reports/shapley``).

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 7 §7.3–7.5. A
third party sells predictions of a model trained on data owners' thyroid records (UCI thyroid0387,
vendored in ``offchain/learning/data`` with its provenance) and shares the revenue by the owners'
Shapley values on the model's test F1 (Eq. 7.6, Theorem 1). Steps:

1. the data: seeded 80/20 split, medians imputed, scaled to [0, 1]; the test set's SHA-256;
2. two owners (500 and 2,000 rows): exact duplicates across them dropped (the first holder keeps
   its rows); each coalition's test F1 for the SVM, random-forest and KNN utilities; Theorem 1
   shares, and Theorem 2's split among the owners, the miners and the third party, the miners'
   part split by PBFT blocks proposed (Eq. 7.15–7.16) among the consortium's agencies;
3. five owners (250 to 2,000 rows, the fourth with 40 % of its labels flipped): duplicates
   dropped, the three utilities, each owner's Theorem 1 share per model;
4. each owner's training rows are encrypted, stored and registered in the ``DataRegistry``
   (``DataOwner.upload``); the valuation record names the file ids and the test set's hash;
5. the 5-owner round on chain: the third party funds a ``ShapleyPayout`` round committing to
   the table's hash, ⌈2n/3⌉ agencies approve it, anyone posts the table, the contract computes
   the split itself and each owner withdraws: its wei are printed beside Python's computation
   (:func:`~offchain.chain.shapley_payout.onchain_shares`); equal, and they sum to the pool;
6. the 2-owner round by Merkle claims: leaves are Theorem 2's roles in whole wei
   (:func:`~offchain.learning.valuation.role_split_wei`), the agencies approve, every payee claims;
7. PNGs in the output folder: ``revenue_by_samples.png`` (each owner's revenue against its
   sample count, SVM / RF / KNN, a sweep of clean owners: the trend of Figs. 7.4–7.6) and
   ``role_shares.png`` (the roles' shares against the F1 ratio and the number of owners, Theorem
   2 on the symmetric game of :mod:`offchain.learning.valuation.figures`: Figs. 7.7–7.9).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import Progress

from offchain.chain import Session, settle
from offchain.chain.registry import FileRegistration
from offchain.chain.revenue_rounds import check_record_files, role_tree
from offchain.chain.shapley_payout import Valuation, onchain_shares
from offchain.learning import Prepared, load_dataset, prepare
from offchain.learning.valuation import (
    MODELS,
    CoalitionUtility,
    DuplicateReport,
    LabelledData,
    ValuationRecord,
    deal_rows,
    digest_test_set,
    drop_duplicates,
    normalised_shapley,
    role_split_wei,
    service_shares,
)
from offchain.learning.valuation import figures as valuation_figures
from offchain.protocols import CloudServer, DataOwner
from offchain.storage import FilesystemBlobStore
from offchain.toolchain import PROJECT_ROOT

#: Environment variables (see the module docstring).
ENV_SWEEP_OWNERS, ENV_MODEL, ENV_WORKERS, ENV_OUTPUT = (
    "DATASHARE_SHAPLEY_SWEEP_OWNERS",
    "DATASHARE_SHAPLEY_MODEL",
    "DATASHARE_SHAPLEY_WORKERS",
    "DATASHARE_SHAPLEY_OUTPUT",
)
OUTPUT = PROJECT_ROOT / "reports" / "shapley"
SEED = 0
TWO_OWNER_ROWS = (500, 2000)
FIVE_OWNER_ROWS = (250, 500, 1000, 1500, 2000)
#: The 5-owner game's noisy owner and the share of its labels flipped.
NOISY_OWNER, NOISE = 3, 0.4
#: Rows dealt to the figures' sweep of clean owners (owner i of k gets (i + 1) / Σ of them).
SWEEP_ROWS = 4500
#: The revenue of each round: 1 ETH and 7 wei (a remainder to place).
POOL_WEI = 10**18 + 7
PERIOD_S = 7 * 24 * 3600
#: Miners' rule of the Merkle round: PBFT blocks proposed (Eq. 7.15–7.16), primary = block mod k.
CONSENSUS_RULE = "pbft"


@dataclass
class OwnerGame:
    """One setting: the owners' data after duplicates were dropped, and each model's table."""

    label: str
    rows: tuple[int, ...]
    noisy: dict[int, float]
    owners: list[LabelledData]
    duplicates: DuplicateReport
    tables: dict[str, list[float]] = field(default_factory=dict)

    @property
    def kept_rows(self) -> list[int]:
        """Each owner's rows after the duplicates were dropped."""
        return [len(y) for _, y in self.owners]


def owner_csv(features: np.ndarray, labels: np.ndarray) -> bytes:
    """An owner's training rows as the file it registers: CSV, features in Python's round-trip
    float form, then the ±1 label (so anyone given the file recomputes the same utilities)."""
    lines = [",".join([*(f"x{j}" for j in range(features.shape[1])), "label"])]
    lines += [
        ",".join([*(repr(float(v)) for v in row), str(int(label))]) for row, label in zip(features, labels, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode()


def deal_game(prepared: Prepared, label: str, rows: Sequence[int], noisy: dict[int, float]) -> OwnerGame:
    """Deal ``rows`` training rows to each owner (seeded), flip the noisy owners' labels and drop
    rows an earlier owner already holds (Agarwal et al.'s replication concern, §7.3)."""
    dealt = deal_rows(prepared.x_train, prepared.y_train, list(rows), flipped=noisy, seed=SEED)
    owners, report = drop_duplicates(dealt)
    return OwnerGame(label, tuple(rows), dict(noisy), owners, report)


def default_workers(owner_count: int) -> int | None:
    """One process for small games (process start-up costs more than 2^n ≤ 64 fits), every core beyond."""
    return 1 if owner_count <= 6 else None


def value_game(
    game: OwnerGame, test: LabelledData, models: Sequence[str], workers: int | None, progress: Progress
) -> dict[str, CoalitionUtility]:
    """Fill ``game.tables`` with every coalition's test F1 for each model; return the utilities
    (their caches answer later lookups)."""
    utilities = {}
    task = progress.add_task(
        f"{game.label}: {len(models)} utilities × {1 << len(game.owners)} coalitions", total=len(models)
    )
    for model in models:
        utility = CoalitionUtility(game.owners, test, model)
        game.tables[model] = utility.table(
            workers=workers if workers is not None else default_workers(len(game.owners))
        )
        utilities[model] = utility
        progress.advance(task)
    return utilities


def print_game(game: OwnerGame) -> None:
    """Each owner's rows, F1 alone and Theorem 1 share per model."""
    models = list(game.tables)
    print(f"   duplicates across owners: {game.duplicates.count} rows dropped "
          f"(per owner: {[len(game.duplicates.rows_of(i)) for i in range(len(game.owners))]})")  # fmt: skip
    print("   grand-coalition test F1: " + ", ".join(f"{m.upper()} {game.tables[m][-1]:.4f}" for m in models))
    header = "".join(f"{m.upper() + ' F1 alone':>14}{m.upper() + ' share':>11}" for m in models)
    print(f"   {'owner':<7}{'rows':>6}{'noise':>7}{header}")
    shares = {m: normalised_shapley(game.tables[m], 1.0) for m in models}
    for i, kept in enumerate(game.kept_rows):
        cells = "".join(f"{game.tables[m][1 << i]:>14.4f}{shares[m][i]:>11.4f}" for m in models)
        print(f"   {i:<7}{kept:>6}{game.noisy.get(i, 0.0):>7.0%}{cells}")


def register_owner_files(
    session: Session,
    owner_accounts: Sequence[Any],
    game: OwnerGame,
    server: CloudServer,
    data_owners: Sequence[DataOwner] | None = None,
) -> list[FileRegistration]:
    """Each owner encrypts, stores and registers its training rows (``DataOwner.upload``);
    pass ``data_owners`` to keep the owners' keys (to download the files again)."""
    owners = data_owners or [DataOwner(account, session.registry) for account in owner_accounts]
    return [
        owner.upload(owner_csv(x, y), server, name=f"thyroid-{game.label.replace(' ', '-')}-owner-{i}.csv").registration
        for i, (owner, (x, y)) in enumerate(zip(owners, game.owners, strict=True))
    ]


def valuation_record(
    game: OwnerGame, model: str, registrations: Sequence[FileRegistration], test_sha256: str
) -> ValuationRecord:
    """The record of ``game``'s ``model`` table, naming the owners' files and the test set."""
    note = (
        f"thyroid0387; prepare(seed=0): 80/20 split, medians, min-max; deal_rows(seed={SEED}, "
        f"sizes={list(game.rows)}, flipped={game.noisy}); drop_duplicates; kept rows {game.kept_rows}"
    )
    return ValuationRecord(
        owner_file_ids=tuple("0x" + r.file_id.hex() for r in registrations),
        test_set_sha256=test_sha256,
        model=model,
        utilities=tuple(game.tables[model]),
        note=note,
    )


def agency_accounts(session: Session) -> list[Any]:
    """The consortium's agencies this node holds keys for (a local chain's test accounts)."""
    from brownie import accounts

    local = {a.address.lower(): a for a in accounts}
    return [local[m.lower()] for m in session.consortium.members() if m.lower() in local]


def approve_round(session: Session, agencies: Sequence[Any], round_id: int) -> int:
    """⌈2n/3⌉ agencies approve the round's commitment; returns how many approved."""
    quorum = session.consortium.quorum()
    if len(agencies) < quorum:
        raise RuntimeError(f"{len(agencies)} agencies' keys here; the quorum is {quorum}")
    approved = [session.shapley_payout.approve(sender=a, round_id=round_id) for a in agencies[:quorum]]
    if not approved[-1]:
        raise RuntimeError(f"round {round_id} not approved after {quorum} approvals")
    return quorum


def pay_onchain_shapley(
    session: Session,
    record: ValuationRecord,
    owner_accounts: Sequence[Any],
    funder: Any,
    agencies: Sequence[Any],
    pool_wei: int = POOL_WEI,
) -> dict[str, Any]:
    """Fund, approve, settle and withdraw an on-chain-Shapley round over ``record``'s table;
    returns the round id, the shares paid (wei, by owner), Python's and the gas of settling."""
    payout = session.shapley_payout
    check_record_files(session.registry, record, owner_accounts)
    table = record.scaled_table()
    round_id = payout.open_shapley_round(
        sender=funder, table=table, valuation=Valuation.of_record(record), period_s=PERIOD_S, pool_wei=pool_wei
    )
    quorum = approve_round(session, agencies, round_id)
    computed, settle_gas = payout.settle_shapley(sender=funder, round_id=round_id, table=table)
    paid = [payout.withdraw(sender=a, round_id=round_id, index=i) for i, a in enumerate(owner_accounts)]
    return {
        "round_id": round_id,
        "quorum": quorum,
        "paid_wei": [p.amount_wei for p in paid],
        "computed_wei": computed,
        "python_wei": onchain_shares(pool_wei, table),
        "settle_gas": settle_gas,
        "withdraw_gas": max(p.gas_used for p in paid),
        "round": payout.get_round(round_id),
    }


def blocks_proposed(validators: int, first_block: int, last_block: int) -> list[int]:
    """PBFT primaries of blocks first…last, the primary of block h being validator h mod k
    (round-robin views; a local chain has one sealer, so the rotation is the model's)."""
    counts = [0] * validators
    for height in range(first_block, last_block + 1):
        counts[height % validators] += 1
    return counts


def pay_role_merkle(
    session: Session,
    record: ValuationRecord,
    owner_accounts: Sequence[Any],
    funder: Any,
    agencies: Sequence[Any],
    blocks: Sequence[int],
    pool_wei: int = POOL_WEI,
) -> dict[str, Any]:
    """Theorem 2's split of ``record``'s table in whole wei, paid by a Merkle round: the owners,
    the miners (the agencies, by ``blocks`` proposed) and the third party (``funder``) claim."""
    payout = session.shapley_payout
    check_record_files(session.registry, record, owner_accounts)
    split = role_split_wei(pool_wei, record.utilities, CONSENSUS_RULE, list(blocks))
    tree = role_tree(split, owner_accounts, agencies, funder)
    round_id = payout.open_merkle_round(
        sender=funder, tree=tree, valuation=Valuation.of_record(record), period_s=PERIOD_S
    )
    approve_round(session, agencies, round_id)
    payees = [*owner_accounts, *agencies, funder]
    paid = [
        payout.claim(sender=payee, round_id=round_id, tree=tree, index=i).amount_wei if amount else 0
        for i, (payee, amount) in enumerate(zip(payees, tree.amounts, strict=True))
    ]
    return {"round_id": round_id, "split": split, "paid_wei": paid, "round": payout.get_round(round_id)}


def sweep_rows(owners: int, total: int = SWEEP_ROWS) -> list[int]:
    """Owner i of k gets total · (i + 1) / (k(k + 1)/2) rows (rounded down)."""
    weight = owners * (owners + 1) // 2
    return [total * (i + 1) // weight for i in range(owners)]


def draw_figures(
    prepared: Prepared,
    test: LabelledData,
    five: OwnerGame,
    model: str,
    sweep_owners: int,
    workers: int | None,
    plot_dir: Path,
    progress: Progress,
) -> dict[str, Any]:
    """The two PNGs; returns the sweep's revenue points and the measured F1 ratio."""
    sweep = deal_game(prepared, f"sweep of {sweep_owners} clean owners", sweep_rows(sweep_owners), {})
    value_game(sweep, test, MODELS, workers, progress)
    points = valuation_figures.revenue_by_samples(sweep.tables, sweep.kept_rows, 1.0)
    valuation_figures.plot_revenue_by_samples(points, plot_dir / "revenue_by_samples.png")
    ratio = min(1.0, max(0.05, valuation_figures.f1_ratio(five.tables[model])))
    ratios = [round(0.1 * k, 1) for k in range(1, 11)]
    sizes = list(range(1, 11))
    by_ratio = valuation_figures.role_shares_by_f1_ratio(ratios, 5)
    by_size = valuation_figures.role_shares_by_group_size(sizes, ratio)
    valuation_figures.plot_role_shares(ratios, by_ratio, sizes, by_size, plot_dir / "role_shares.png")
    return {"sweep": sweep, "points": points, "f1_ratio": ratio, "by_ratio": by_ratio, "by_size": by_size}


def run(
    session: Session,
    workdir: Path,
    owner_accounts: Sequence[Any],
    funder: Any,
    *,
    model: str = "svm",
    sweep_owners: int = 5,
    workers: int | None = None,
    plot_dir: Path | None = OUTPUT,
) -> dict[str, Any]:
    """Play the scenario; return its figures (shares in wei, F1 in [0, 1], times in s).

    Args:
        session: The deployment.
        workdir: Where the cloud server keeps the owners' ciphertexts.
        owner_accounts: Five accounts: the 5-owner game's owners (the first two own the 2-owner game).
        funder: The third party that pays the revenue.
        model: The utility whose table the rounds pay (``"svm"``, ``"rf"``, ``"knn"``).
        sweep_owners: Owners of the figures' sweep (2–10).
        workers: Processes for the tables (None: :func:`default_workers`).
        plot_dir: The PNGs' folder (None: no figures).
    """
    from brownie import chain

    if model not in MODELS or len(owner_accounts) != len(FIVE_OWNER_ROWS) or not 2 <= sweep_owners <= 10:
        raise ValueError(f"expected a model in {MODELS}, 5 owner accounts and 2–10 sweep owners")
    started = time.perf_counter()
    first_block = chain.height
    prepared = prepare(load_dataset("thyroid"), seed=0)
    test = (prepared.x_test, prepared.y_test)
    test_sha256 = digest_test_set(*test)
    print(f"   thyroid0387: {len(prepared.y_train)} training rows, {len(prepared.y_test)} test rows "
          f"({np.mean(prepared.y_test == 1):.0%} positive), {prepared.x_train.shape[1]} features; "
          f"test set SHA-256 {test_sha256[:16]}…")  # fmt: skip

    two = deal_game(prepared, "2 owners", TWO_OWNER_ROWS, {})
    five = deal_game(prepared, "5 owners", FIVE_OWNER_ROWS, {NOISY_OWNER: NOISE})
    valuing = time.perf_counter()
    with Progress(transient=True) as progress:
        value_game(two, test, MODELS, workers, progress)
        value_game(five, test, MODELS, workers, progress)
    valuing_s = time.perf_counter() - valuing

    print(f"\n   -- 2 owners ({TWO_OWNER_ROWS[0]} and {TWO_OWNER_ROWS[1]} rows dealt)")
    print_game(two)
    roles = service_shares(two.tables[model], 1.0)
    print(f"   Theorem 2 ({model.upper()}): owners {', '.join(f'{v:.4f}' for v in roles.owners)}; "
          f"miners {roles.miners:.4f}; third party {roles.third_party:.4f} of the revenue")  # fmt: skip
    print(f"\n   -- 5 owners ({', '.join(map(str, FIVE_OWNER_ROWS))} rows dealt; owner {NOISY_OWNER}: "
          f"{NOISE:.0%} of its labels flipped)")  # fmt: skip
    print_game(five)
    print(f"   the 2 + 5 owners' {3 * (4 + 32)} coalition models trained and valued in {valuing_s:.1f} s")

    print("\n   -- Registration: each owner encrypts, stores and registers its training rows")
    server = CloudServer("storage", FilesystemBlobStore(workdir / "storage"), session.registry)
    five_files = register_owner_files(session, owner_accounts, five, server)
    two_files = register_owner_files(session, owner_accounts[:2], two, server)
    five_record = valuation_record(five, model, five_files, test_sha256)
    two_record = valuation_record(two, model, two_files, test_sha256)
    for i, r in enumerate(five_files):
        print(f"   owner {i} {r.owner}: file 0x{r.file_id.hex()[:16]}… (block {r.block_number})")
    print(f"   5-owner valuation record ({model}): hash {five_record.canonical_hash()[:16]}…, "
          f"{len(five_record.owner_file_ids)} file ids, test set {five_record.test_set_sha256[:16]}…")  # fmt: skip

    agencies = agency_accounts(session)
    print(f"\n   -- On-chain Shapley round: 5 owners, pool {POOL_WEI} wei from the third party {funder.address}")
    onchain = pay_onchain_shapley(session, five_record, owner_accounts, funder, agencies)
    print(f"   round {onchain['round_id']}: {onchain['quorum']} of {len(agencies)} agencies approved the table's "
          f"hash; the contract computed the split ({onchain['settle_gas']:,} gas); owners withdrew "
          f"(≤ {onchain['withdraw_gas']:,} gas each)")  # fmt: skip
    theorem1 = normalised_shapley(five.tables[model], POOL_WEI)
    print(f"   {'owner':<7}{'on chain (wei)':>22}{'Python (wei)':>22}{'Theorem 1 (float)':>22}  equal")
    for i, (paid, python, real) in enumerate(zip(onchain["paid_wei"], onchain["python_wei"], theorem1, strict=True)):
        print(f"   {i:<7}{paid:>22}{python:>22}{real:>22.6g}  {paid == python}")
    onchain_equal = onchain["paid_wei"] == onchain["python_wei"] == onchain["computed_wei"]
    print(f"   Σ paid {sum(onchain['paid_wei'])} wei = pool {POOL_WEI} wei: "
          f"{sum(onchain['paid_wei']) == POOL_WEI and onchain['round'].paid_wei == POOL_WEI}; "
          f"every share equal to Python's: {onchain_equal}")  # fmt: skip

    blocks = blocks_proposed(len(agencies), first_block + 1, chain.height)
    print(f"\n   -- Merkle round: 2 owners, Theorem 2's roles; miners = the {len(agencies)} agencies by PBFT "
          f"blocks proposed {blocks} (Eq. 7.15–7.16)")  # fmt: skip
    merkle = pay_role_merkle(session, two_record, owner_accounts[:2], funder, agencies, blocks)
    split = merkle["split"]
    python_leaves = [*split.owners, *split.miners, split.third_party]
    names = [*(f"owner {i}" for i in range(2)), *(f"miner {k}" for k in range(len(agencies))), "third party"]
    print(f"   {'payee':<13}{'claimed (wei)':>22}{'Python (wei)':>22}  equal")
    for name, paid, python in zip(names, merkle["paid_wei"], python_leaves, strict=True):
        print(f"   {name:<13}{paid:>22}{python:>22}  {paid == python}")
    merkle_equal = merkle["paid_wei"] == python_leaves
    print(f"   Σ claimed {sum(merkle['paid_wei'])} wei = pool {POOL_WEI} wei: "
          f"{sum(merkle['paid_wei']) == POOL_WEI == merkle['round'].paid_wei}; every claim equal to Python's: "
          f"{merkle_equal}")  # fmt: skip

    drawn: dict[str, Any] = {}
    if plot_dir is not None:
        with Progress(transient=True) as progress:
            drawn = draw_figures(prepared, test, five, model, sweep_owners, workers, plot_dir, progress)
        print(f"\n   -- Figures ({sweep_owners} clean owners, {', '.join(map(str, drawn['sweep'].kept_rows))} rows)")
        for m, series in drawn["points"].items():
            print(f"   {m.upper():<4} revenue by rows: " + ", ".join(f"{rows}: {share:.3f}" for rows, share in series))
        print(f"   role shares at 5 owners, F1 ratio 0.1 → 1.0: owners {drawn['by_ratio']['owners'][0]:.3f} → "
              f"{drawn['by_ratio']['owners'][-1]:.3f}; miners = third party {drawn['by_ratio']['miners'][0]:.3f} → "
              f"{drawn['by_ratio']['miners'][-1]:.3f}")  # fmt: skip
        print(f"   written: {plot_dir / 'revenue_by_samples.png'}, {plot_dir / 'role_shares.png'}")
    total_s = time.perf_counter() - started
    print(f"   scenario time {total_s:.1f} s (valuing {valuing_s:.1f} s)")
    if not (onchain_equal and merkle_equal):
        raise AssertionError("an on-chain payout differs from Python's computation")
    return {
        "two": two,
        "five": five,
        "five_record": five_record,
        "two_record": two_record,
        "five_files": five_files,
        "two_files": two_files,
        "onchain": onchain,
        "merkle": merkle,
        "figures": drawn,
        "valuing_s": valuing_s,
        "total_s": total_s,
    }


def knobs_from_env() -> dict[str, Any]:
    """``run``'s keyword arguments from the environment (see the module docstring)."""
    return {
        "model": os.environ.get(ENV_MODEL, "svm"),
        "sweep_owners": int(os.environ.get(ENV_SWEEP_OWNERS, "5")),
        "workers": int(os.environ[ENV_WORKERS]) if os.environ.get(ENV_WORKERS) else None,
        "plot_dir": Path(os.environ.get(ENV_OUTPUT, str(OUTPUT))),
    }


def main() -> None:
    """Deploy afresh on a local chain if needed, then run the scenario."""
    from brownie import accounts, network

    knobs = knobs_from_env()
    session = Session.load(deploy_if_missing=True)
    print(f"Network {network.show_active()}: {session}")
    print("== Shapley revenue sharing on thyroid data, paid by ShapleyPayout (Shen, Zhu, Xu ch. 7)")
    with tempfile.TemporaryDirectory(prefix="datashare-shapley-") as tmp:
        run(session, Path(tmp), [accounts[i] for i in range(1, 6)], accounts[0], **knobs)
    settle()
    print("\nShapley scenario finished.")
