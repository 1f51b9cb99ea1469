"""secureSVM end to end: three providers pin their encrypted Breast Cancer Wisconsin rows on
chain, the analyst trains a linear SVM over them without seeing any row, and the result is
printed beside the plaintext run of the same schedule, with a PNG of the cost per iteration.

    brownie run scripts/secure_svm.py --network ganache-cli   # not run by the docs test: ~2 min at 2048 bits
(For a quick run of the same steps, set ``DATASHARE_SVM_BITS=1024 DATASHARE_SVM_ITERATIONS=10``:
1024-bit keys and 10 iterations of the schedule. Demo part 11 runs these steps so, and the
demo's test runs it.)

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 4 (secureSVM,
§4.4–4.8; Table 4.3–4.4 for the research's figures). Steps:

1. the training rows (seeded 80/20 split, medians imputed, scaled to [0, 1], X = round(x · 2^16))
   are split among three providers; each encrypts its rows under its own Paillier key, stores the
   blob and registers it in the ``DataRegistry`` with a Merkle root over the rows;
2. the analyst reads every record from the chain, fetches the blobs and checks them against it;
3. training (Algorithm 3): providers in processes of their own, the default blinded comparison,
   chain aggregation so that the analyst decrypts only totals;
4. the same schedule in plaintext: the models are equal; test metrics of both and of
   scikit-learn's ``LinearSVC``; ``secure_svm_cost.png`` overlays the two cost curves.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from offchain.chain import Session, settle
from offchain.learning import (
    Schedule,
    classification_metrics,
    load_dataset,
    prepare,
    quantize,
    train_plaintext,
)
from offchain.learning.baselines import linear_svc_metrics
from offchain.learning.svm import TrainingTrace
from offchain.protocols.secure_svm import (
    DataAnalyst,
    DataProvider,
    fetch_registered_dataset,
    register_dataset,
    train_secure_svm,
)
from offchain.storage import FilesystemBlobStore
from offchain.toolchain import PROJECT_ROOT

PROVIDERS = ("clinic-north", "clinic-south", "clinic-east")
#: Environment variables: the Paillier key size (default 2048) and the iterations (default: the schedule's 80).
ENV_BITS = "DATASHARE_SVM_BITS"
ENV_ITERATIONS = "DATASHARE_SVM_ITERATIONS"
PLOT = PROJECT_ROOT / "reports" / "secure_svm_cost.png"


def plot_costs(encrypted: TrainingTrace, plaintext: TrainingTrace, path: Path, title: str) -> None:
    """Write the two cost curves, overlaid, to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    steps = np.arange(1, len(plaintext.costs) + 1)
    ax.plot(steps, plaintext.costs, label="plaintext fixed point", linewidth=2)
    ax.plot(steps, encrypted.costs, "o", markersize=3, label="encrypted (secureSVM)")
    ax.set(xlabel="iteration", ylabel="batch cost J(w, b)", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(
    session: Session | None,
    output: Path,
    accounts: list | None = None,
    *,
    key_bits: int = 2048,
    dataset: str = "bcw",
    schedule: Schedule | None = None,
    plot: Path = PLOT,
) -> dict[str, float]:
    """Play the scenario; return the figures printed (times in s, metrics in [0, 1]).

    Without ``session`` the datasets are not registered on chain (steps 1–2 are skipped).
    """
    schedule = schedule or Schedule()
    prepared = prepare(load_dataset(dataset), seed=0)
    rows = quantize(prepared.x_train, schedule.fraction_bits)
    labels = [int(v) for v in prepared.y_train]
    parts = np.array_split(np.arange(len(rows)), len(PROVIDERS))
    providers = [
        DataProvider(name, [rows[i] for i in part], [labels[i] for i in part])
        for name, part in zip(PROVIDERS, parts, strict=True)
    ]
    print(
        f"   {len(rows)} training rows of {dataset} split among {len(providers)} providers: {[len(p) for p in parts]}"
    )
    pinned = None
    if session is not None and accounts is not None:
        store = FilesystemBlobStore(output / "blobs")
        started = time.perf_counter()
        file_ids = {}
        for account, provider in zip(accounts, providers, strict=False):
            registered = register_dataset(
                provider, session.registry, store, account, fraction_bits=schedule.fraction_bits, key_bits=key_bits
            )
            file_ids[provider.name] = registered.file_id
            print(
                f"   {provider.name}: dataset 0x{registered.file_id.hex()[:16]}…, root 0x{registered.merkle_root.hex()}"
            )
        elapsed = time.perf_counter() - started
        print(f"   rows encrypted under each provider's own {key_bits}-bit key and registered in {elapsed:.1f} s")
        pinned = {name: fetch_registered_dataset(session.registry, store, fid) for name, fid in file_ids.items()}
        print("   analyst: every blob matches its on-chain Merkle root and hash")

    started = time.perf_counter()
    analyst = DataAnalyst(schedule, key_bits=key_bits)
    keygen_s = time.perf_counter() - started
    started = time.perf_counter()
    encrypted = train_secure_svm(analyst, providers, pinned=pinned)
    train_s = time.perf_counter() - started
    plaintext = train_plaintext(rows, labels, schedule)
    same = encrypted.model == plaintext.model
    print(
        f"   {key_bits}-bit key in {keygen_s:.1f} s; encrypted training: {schedule.iterations} iterations "
        f"of {schedule.batch_size} rows in {train_s:.1f} s"
    )
    print(f"   same model as the plaintext run of the same schedule: {same}")
    enc = classification_metrics(prepared.y_test, encrypted.model.predict(prepared.x_test))
    plain = classification_metrics(prepared.y_test, plaintext.model.predict(prepared.x_test))
    svc = linear_svc_metrics(prepared.x_train, prepared.y_train, prepared.x_test, prepared.y_test)
    print(f"   {'':<22}{'accuracy':>10}{'precision':>11}{'recall':>8}{'F1':>8}")
    for name, m in (("encrypted", enc), ("plaintext, same sched.", plain), ("sklearn LinearSVC", svc)):
        print(f"   {name:<22}{m.accuracy:>10.4f}{m.precision:>11.4f}{m.recall:>8.4f}{m.f1:>8.4f}")
    weights = [round(w, 4) for w in encrypted.model.weights_float]
    print(f"   weights (encrypted) {weights}, b = {encrypted.model.bias_float:.4f}")
    plot_costs(encrypted, plaintext, plot, f"secureSVM on {dataset}, {key_bits}-bit Paillier")
    print(f"   cost per iteration written to {plot}")
    if not same:
        raise AssertionError("the encrypted training did not reproduce the plaintext model")
    return {"train_s": train_s, "accuracy_encrypted": enc.accuracy, "accuracy_plaintext": plain.accuracy}


def main() -> None:
    """Deploy afresh on a local chain if needed, then run the scenario (2048-bit keys unless
    ``DATASHARE_SVM_BITS`` says otherwise; ``DATASHARE_SVM_ITERATIONS`` shortens the schedule)."""
    from brownie import accounts, network

    key_bits = int(os.environ.get(ENV_BITS, "2048"))
    schedule = Schedule()
    if os.environ.get(ENV_ITERATIONS):
        schedule = dataclasses.replace(schedule, iterations=int(os.environ[ENV_ITERATIONS]))

    session = Session.load(deploy_if_missing=True)
    print(f"Network {network.show_active()}: {session}")
    print("== secureSVM: SVM training over Paillier-encrypted data of three providers (Shen, Zhu, Xu ch. 4)")
    with tempfile.TemporaryDirectory(prefix="datashare-secure-svm-") as tmp:
        run(session, Path(tmp), list(accounts[1:4]), key_bits=key_bits, schedule=schedule)
    settle()
    print("\nsecureSVM scenario finished.")
