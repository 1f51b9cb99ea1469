"""Vertical SVM end to end: three participants hold 3/3/3 of Breast Cancer Wisconsin's features,
train one linear SVM as separate processes that talk only through the ``TrainingBoard`` on chain,
and the model they publish is printed beside centralised plaintext training of the same schedule.

    brownie run scripts/vertical_svm.py --network ganache-cli   # not run by the docs test: minutes at 2048 bits

(``DATASHARE_VSVM_BITS=1024 DATASHARE_VSVM_ROUNDS=3`` runs the same steps with a 1024-bit key
and 3 rounds, as demo part 12 does in the demo's test. ``DATASHARE_VSVM_SLOTS=4``
packs 4 verdicts per joint decryption, ~2.5× faster at a quarter of the blinding range;
``DATASHARE_VSVM_VARIANT=paper`` runs the research's comparison, which reveals every margin;
``DATASHARE_VSVM_KEY=shamir`` deals the Shamir-shared key instead of the additive one, for comparison.)

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 5 (§5.4–5.7;
Table 5.6–5.7 for the research's figures). Steps:

1. the training rows (seeded 80/20 split, medians imputed, scaled to [0, 1], X = round(x · 2^16))
   are split by columns: participant i gets features 3i..3i+2 of every sample, and the labels;
2. a dealer makes a (3, 3)-threshold Paillier key (by default with additive shares of a multiple
   of λ, :mod:`offchain.crypto.additive_threshold_paillier`) and hands each participant its share;
3. participant 0 opens a session on the ``TrainingBoard`` (key fingerprint, sample-order
   commitment, rounds); three processes (``python -m offchain.protocols.vertical_svm_node``)
   train, each round posting its intermediate value and its proven partial decryptions;
4. each publishes its partial model (the hash on chain); the models are combined, checked
   against the chain, and compared with ``train_plaintext`` on the concatenated columns: equal;
   test metrics of both and of scikit-learn's ``LinearSVC``; ``vertical_svm.png`` shows the
   margin violations per round (encrypted and plaintext) and the plaintext cost.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from eth_utils import keccak

from offchain.chain import Session, settle
from offchain.crypto import joint_comparison as jc
from offchain.crypto import threshold_paillier as tp
from offchain.learning import Schedule, classification_metrics, load_dataset, prepare, quantize, train_plaintext
from offchain.learning.baselines import linear_svc_metrics
from offchain.learning.svm import TrainingTrace
from offchain.protocols.vertical_svm import (
    KeyKind,
    VerticalSetup,
    combine_models,
    decode_model,
    generate_key,
    partition_columns,
)
from offchain.protocols.vertical_svm_node import NodeSpec
from offchain.toolchain import PROJECT_ROOT

PARTICIPANTS = ("hospital-a", "hospital-b", "insurer")
PLOT = PROJECT_ROOT / "reports" / "vertical_svm.png"
#: The schedule of the scenario and the benchmark: 15 rounds of 100 samples (1,500 judged samples),
#: η = 1 (with 30 rounds of 50 at η = 0.5 the model is the same to within 1 test sample; half the
#: rounds halve the chain round-trips).
SCHEDULE = Schedule(learning_rate=1.0, batch_size=100, iterations=15, seed=1)
#: Environment variables: the key size (default 2048), the rounds (default 15), the variant, the slots
#: and the key kind (default additive).
ENV_BITS, ENV_ROUNDS, ENV_VARIANT, ENV_SLOTS, ENV_KEY = (
    "DATASHARE_VSVM_BITS",
    "DATASHARE_VSVM_ROUNDS",
    "DATASHARE_VSVM_VARIANT",
    "DATASHARE_VSVM_SLOTS",
    "DATASHARE_VSVM_KEY",
)
#: Slots per joint decryption by default: 1 leaves a blinding spread of K = 279 bits for three participants
#: at 2048 bits (offchain.crypto.joint_comparison says what that hides); 2 give K = 108 at half the decryptions.
DEFAULT_SLOTS = 1


def plot_training(violations: list[int], plaintext: TrainingTrace, path: Path) -> None:
    """Margin violations per round (encrypted, plaintext) and the plaintext batch cost, to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, cost) = plt.subplots(1, 2, figsize=(10, 4))
    rounds = np.arange(1, len(violations) + 1)
    ax.plot(rounds, plaintext.violations, label="plaintext, centralised", linewidth=2)
    ax.plot(rounds, violations, "o", markersize=4, label="vertical, encrypted")
    ax.set(xlabel="round", ylabel="samples with y(w·x − b) < 1", title="gradient update judge")
    ax.legend()
    ax.grid(alpha=0.3)
    cost.plot(rounds, plaintext.costs, color="C2")
    cost.set(xlabel="round", ylabel="batch cost J(w, b)", title="cost (same model both ways)")
    cost.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def round_gas(board: Any, session_id: int, rounds: int) -> dict[str, float]:
    """Gas of every IV and DV transaction of each round, from their receipts: mean and max per round."""
    from brownie import web3

    totals = []
    for round_ in range(rounds):
        posts = board.intermediates(session_id, round_) + board.decryptions(session_id, round_)
        totals.append(sum(int(web3.eth.get_transaction_receipt(p.tx_hash)["gasUsed"]) for p in posts))
    return {"mean": sum(totals) / len(totals), "max": max(totals)}


def write_node_files(
    output: Path,
    name: str,
    setup: VerticalSetup,
    share: tp.KeyShare,
    columns: list[list[int]],
    labels: list[int],
    session: Session,
    session_id: int,
    account: Any,
    index: int,
    *,
    timeout_s: float,
) -> Path:
    """Write one participant's setup, share (mode 0600), data and spec files; return the spec's path.

    ``timeout_s`` is how long the node waits for another participant's post."""
    from brownie import web3

    (output / "setup.json").write_text(setup.to_json())
    share_path = output / f"{name}.share.json"
    share_path.touch(mode=0o600)
    share_path.write_text(share.to_json())
    data_path = output / f"{name}.data.json"
    data_path.write_text(json.dumps({"columns": columns, "labels": labels}))
    spec = NodeSpec(
        network=session.record.network,
        rpc=str(getattr(web3.provider, "endpoint_uri", "")),
        board=session.training_board.contract.address,
        session_id=session_id,
        account=account.address,
        index=index,
        setup=str(output / "setup.json"),
        share=str(share_path),
        data=str(data_path),
        result=str(output / f"{name}.result.json"),
        model=str(output / f"{name}.model"),
        timeout_s=timeout_s,
    )
    spec_path = output / f"{name}.spec.json"
    spec_path.write_text(spec.to_json())
    return spec_path


def launch_node(output: Path, name: str, spec_path: Path) -> subprocess.Popen[bytes]:
    """Start one participant process (its output goes to ``<output>/<name>.log``)."""
    with (output / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "offchain.protocols.vertical_svm_node", str(spec_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
        )


def wait_until_ready(output: Path, names: tuple[str, ...], processes: list[Any], timeout_s: float) -> None:
    """Wait until every node has attached to the chain (its ``.ready`` file), or one has exited."""
    deadline = time.monotonic() + timeout_s
    while not all((output / f"{n}.result.json.ready").exists() for n in names):
        exited = [p.poll() for p in processes]
        if any(code is not None for code in exited) or time.monotonic() > deadline:
            logs = "\n".join((output / f"{n}.log").read_text()[-2000:] for n in names)
            raise RuntimeError(f"participant processes did not start ({exited}):\n{logs}")
        time.sleep(0.1)


def run(
    session: Session,
    output: Path,
    accounts: list[Any],
    *,
    key_bits: int = 2048,
    schedule: Schedule = SCHEDULE,
    variant: jc.JudgeVariant = jc.JudgeVariant.CHAINED,
    slots: int = DEFAULT_SLOTS,
    key_kind: KeyKind = KeyKind.ADDITIVE,
    plot: Path | None = PLOT,
    timeout_s: float = 600.0,
    dataset_rows: int | None = None,
) -> dict[str, Any]:
    """Play the scenario; return its figures (times in s, gas, metrics in [0, 1]).

    One participant per account (three in the research's setting: ``PARTICIPANTS`` name them);
    ``dataset_rows`` keeps only the first rows of the training split (for scaling studies).
    """
    names = (
        PARTICIPANTS if len(accounts) == len(PARTICIPANTS) else tuple(f"participant-{i}" for i in range(len(accounts)))
    )
    prepared = prepare(load_dataset("bcw"), seed=0)
    rows = quantize(prepared.x_train, schedule.fraction_bits)
    labels = [int(v) for v in prepared.y_train]
    if dataset_rows is not None:
        rows, labels = rows[:dataset_rows], labels[:dataset_rows]
    partition = partition_columns(len(rows[0]), len(names))
    print(f"   {len(rows)} training samples of bcw; columns per participant: {[list(c) for c in partition]}")

    started = time.perf_counter()
    public_key, shares = generate_key(key_kind, key_bits, len(names))
    keygen_s = time.perf_counter() - started
    sample_ids = tuple(f"bcw-train-{i}" for i in range(len(rows)))
    setup = VerticalSetup(schedule, partition, len(rows), public_key, variant, slots, sample_ids)
    print(
        f"   dealer: ({len(names)}, {len(names)})-threshold Paillier key ({key_kind.value}) of {key_bits} bits in "
        f"{keygen_s:.1f} s; judge {variant.value}, {slots} verdict(s) per decryption, "
        f"blinding spread K = {setup.judge.factor_bits} bits"
    )

    output.mkdir(parents=True, exist_ok=True)
    board = session.training_board
    processes = []
    for i, (name, account, share) in enumerate(zip(names, accounts, shares, strict=True)):
        columns = [[r[c] for c in partition[i]] for r in rows]
        spec = write_node_files(
            output, name, setup, share, columns, labels, session, 0, account, i, timeout_s=timeout_s
        )
        processes.append(launch_node(output, name, spec))
    wait_until_ready(output, names, processes, timeout_s)  # start-up (loading Brownie) is not training
    started = time.perf_counter()
    opened = board.open_session(
        sender=accounts[0],
        participants=[a.address for a in accounts],
        key_fingerprint=setup.key_fingerprint(),
        sample_commitment=setup.sample_commitment(),
        rounds=schedule.iterations,
        step_timeout_s=3600,
        ordered=variant is jc.JudgeVariant.CHAINED,
    )
    print(f"   session {opened.session_id} opened on the TrainingBoard ({opened.gas_used:,} gas)")
    codes = [p.wait(timeout=timeout_s + 120) for p in processes]
    train_s = time.perf_counter() - started
    if any(codes):
        logs = "\n".join((output / f"{n}.log").read_text()[-2000:] for n in names)
        raise RuntimeError(f"participant processes exited {codes}:\n{logs}")
    results = [json.loads((output / f"{n}.result.json").read_text()) for n in names]
    models = [(output / f"{n}.model").read_bytes() for n in names]
    on_chain = board.model_hashes(opened.session_id)
    if [keccak(m) for m in models] != on_chain:
        raise RuntimeError("a published partial model does not match its hash on the board")
    model = combine_models(setup, [decode_model(m) for m in models])
    for name, r in zip(names, results, strict=True):
        crypto = r["judge_s"] - r["post_s"] - r["wait_s"]
        print(
            f"   {name}: judge {r['judge_s']:.1f} s = computing {crypto:.1f} + posting {r['post_s']:.1f}"
            f" + waiting {r['wait_s']:.1f} (stocking re-randomisers meanwhile); CPU {r['cpu_s']:.1f} s;"
            f" offline before the session: {r['offline_s']:.1f} s"
        )
        print("      computing: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["spans"].items()))
    print(
        f"   {len(names)} processes trained {schedule.iterations} rounds of {schedule.batch_size} samples "
        f"in {train_s:.1f} s (judge: {max(r['judge_s'] for r in results):.1f} s); partial models match the board"
    )

    plaintext = train_plaintext(rows, labels, schedule)
    same = model == plaintext.model
    print(f"   same model as centralised plaintext training of the same schedule: {same}")
    enc = classification_metrics(prepared.y_test, model.predict(prepared.x_test))
    plain = classification_metrics(prepared.y_test, plaintext.model.predict(prepared.x_test))
    svc = linear_svc_metrics(prepared.x_train, prepared.y_train, prepared.x_test, prepared.y_test)
    print(f"   {'':<24}{'accuracy':>10}{'precision':>11}{'recall':>8}{'F1':>8}")
    for name, m in (("vertical, encrypted", enc), ("centralised plaintext", plain), ("sklearn LinearSVC", svc)):
        print(f"   {name:<24}{m.accuracy:>10.4f}{m.precision:>11.4f}{m.recall:>8.4f}{m.f1:>8.4f}")
    gas = round_gas(board, opened.session_id, schedule.iterations)
    print(
        f"   gas per round ({len(names)} IVs + {len(names)} DVs): {gas['mean']:,.0f} on average, {gas['max']:,} at most"
    )
    if plot is not None:
        plot_training(results[0]["violations"], plaintext, plot)
        print(f"   training curve written to {plot}")
    if not same:
        raise AssertionError("the vertical training did not reproduce the centralised plaintext model")
    samples = sum(len(b) for b in setup.batches())
    return {
        "train_s": train_s,
        "judge_s": max(r["judge_s"] for r in results),
        "judge_ms_per_sample": 1000 * max(r["judge_s"] for r in results) / samples,
        "cpu_s": sum(r["cpu_s"] for r in results),
        "spans_s": {k: sum(r["spans"][k] for r in results) / len(results) for k in results[0]["spans"]},
        "post_s": sum(r["post_s"] for r in results) / len(results),
        "wait_s": sum(r["wait_s"] for r in results) / len(results),
        "rounds": schedule.iterations,
        "samples": samples,
        "open_gas": opened.gas_used,
        "factor_bits": setup.judge.factor_bits if variant is jc.JudgeVariant.CHAINED else 0,
        "gas_per_round": gas["mean"],
        "gas_per_round_max": gas["max"],
        "accuracy_encrypted": enc.accuracy,
        "accuracy_plaintext": plain.accuracy,
        "precision": enc.precision,
        "recall": enc.recall,
        "f1": enc.f1,
        "accuracy_sklearn": svc.accuracy,
    }


def main() -> None:
    """Deploy afresh on a local chain if needed, then run the scenario."""
    from brownie import accounts, network

    key_bits = int(os.environ.get(ENV_BITS, "2048"))
    schedule = SCHEDULE
    if os.environ.get(ENV_ROUNDS):
        schedule = dataclasses.replace(schedule, iterations=int(os.environ[ENV_ROUNDS]))
    variant = jc.JudgeVariant(os.environ.get(ENV_VARIANT, jc.JudgeVariant.CHAINED.value))
    slots = int(os.environ.get(ENV_SLOTS, str(DEFAULT_SLOTS)))
    key_kind = KeyKind(os.environ.get(ENV_KEY, KeyKind.ADDITIVE.value))
    session = Session.load(deploy_if_missing=True)
    print(f"Network {network.show_active()}: {session}")
    print("== Vertical SVM: three participants, features split 3/3/3, threshold Paillier (Shen, Zhu, Xu ch. 5)")
    with tempfile.TemporaryDirectory(prefix="datashare-vertical-svm-") as tmp:
        run(
            session,
            Path(tmp),
            [accounts[i] for i in (1, 2, 3)],
            key_bits=key_bits,
            schedule=schedule,
            variant=variant,
            slots=slots,
            key_kind=key_kind,
        )
    settle()
    print("\nVertical SVM scenario finished.")
