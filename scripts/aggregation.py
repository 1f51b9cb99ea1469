"""Confidential aggregation under a (5, 3)-threshold Paillier key, end to end (no chain needed).

    brownie run scripts/aggregation.py --network ganache-cli   # not run by the docs test: main() as below
    python -m scripts.aggregation                 # the same, without Brownie

Research: Zheng et al. 2018 (J. Comput. Sci. Technol.), §4.2. A CA deals a 2048-bit threshold
Paillier key to five consortium parties, any three of which decrypt. Four hospitals each hold
part of the Breast Cancer Wisconsin records (UCI; ``shared/datasets`` when present, else a
seeded synthetic stand-in of the same shape). Each encrypts its per-feature sums, its record
count and its malignant count; the cloud multiplies the ciphertexts and asks three parties for
partial decryptions with proofs. The cloud learns only the totals, which equal the plaintext
computation over all records. Then one party returns a forged partial: it is named, left out
and replaced; with only two honest parties left, the decryption is refused.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from offchain.crypto import threshold_paillier as tp
from offchain.crypto.paillier import NoisePool
from offchain.protocols.aggregation import (
    AggregationCloud,
    CheatingPartiesError,
    Contributor,
    DecryptionParty,
    PartialBatch,
)
from offchain.toolchain import PROJECT_ROOT

PARTIES = ("hospital-a", "hospital-b", "university", "bank", "insurer")
HOSPITALS = ("clinic-north", "clinic-south", "clinic-east", "clinic-west")
FEATURES = (
    "clump_thickness",
    "cell_size",
    "cell_shape",
    "adhesion",
    "epithelial",
    "bare_nuclei",
    "chromatin",
    "nucleoli",
    "mitoses",
)
#: Where the research's benchmark data is looked for (override with DATASHARE_DATASETS).
DATASETS = Path(os.environ.get("DATASHARE_DATASETS", PROJECT_ROOT.parent / "shared" / "datasets"))


def load_records(seed: int = 1990) -> tuple[np.ndarray, str]:
    """The records (9 features, then 1 for malignant), complete rows only, and their source."""
    path = DATASETS / "breast-cancer-wisconsin.data"
    if path.exists():
        rows = [line.split(",") for line in path.read_text().splitlines() if line and "?" not in line]
        data = np.array([[int(v) for v in row[1:]] for row in rows], dtype=np.int64)
        return np.column_stack([data[:, :9], (data[:, 9] == 4).astype(np.int64)]), f"UCI {path.name}"
    rng = np.random.default_rng(seed)
    features = rng.integers(1, 11, size=(683, 9))
    return np.column_stack([features, (features.mean(axis=1) > 4).astype(np.int64)]), "seeded synthetic stand-in"


class ForgingParty(DecryptionParty):
    """A dishonest party: its partial decryptions are doubled, so their proofs fail."""

    def partially_decrypt(self, ciphertexts: list[int]) -> PartialBatch:  # type: ignore[override]
        batch = super().partially_decrypt(ciphertexts)
        nsquare = self.share.public_key.nsquare
        forged = tuple(replace(p, value=int(p.value * 2 % nsquare)) for p in batch.partials)
        return PartialBatch(batch.party, batch.index, forged)


def run(*, bits: int = 2048) -> dict[str, float]:
    """Play the scenario; return the aggregated means by feature (and the malignant share)."""
    started = time.perf_counter()
    public_key, shares = tp.generate_threshold_keypair(bits, len(PARTIES), 3)
    print(f"   CA dealt a {bits}-bit (5, 3)-threshold Paillier key in {time.perf_counter() - started:.1f} s")
    parties = [DecryptionParty(name, share) for name, share in zip(PARTIES, shares, strict=True)]

    records, source = load_records()
    parts = np.array_split(records, len(HOSPITALS))
    length = len(FEATURES) + 2  # feature sums, record count, malignant count
    print(f"   {len(records)} records ({source}) split among {len(HOSPITALS)} hospitals: {[len(p) for p in parts]}")

    def contribute(cloud: AggregationCloud) -> None:
        for name, part in zip(HOSPITALS, parts, strict=True):
            pool = NoisePool(public_key.paillier)
            pool.fill(length)  # r^n ahead of time: the encryptions below are one product each
            values = [*(int(v) for v in part[:, :9].sum(axis=0)), len(part), int(part[:, 9].sum())]
            contributor = Contributor(name, public_key, pool=pool)
            cloud.register(name, contributor.address)  # its signing key, known to the cloud beforehand
            cloud.submit(contributor.contribute(values, round_id=cloud.round_id))

    cloud = AggregationCloud(public_key, length)
    contribute(cloud)
    print(f"   the cloud multiplied {len(cloud.contributors)} encrypted vectors of {length} values")
    started = time.perf_counter()
    result = cloud.decrypt(parties)
    elapsed = time.perf_counter() - started
    print(
        f"   decrypted by {', '.join(result.decrypted_by)} ({length} partials each, proofs checked) in {elapsed:.1f} s"
    )
    totals = np.array(result.totals)
    expected = [*records[:, :9].sum(axis=0), len(records), records[:, 9].sum()]
    count = totals[len(FEATURES)]
    means = {name: totals[i] / count for i, name in enumerate(FEATURES)}
    means["malignant_share"] = totals[-1] / count
    print(f"   records {int(count)}, malignant {int(totals[-1])} ({means['malignant_share']:.1%})")
    print("   means  " + ", ".join(f"{k} {v:.2f}" for k, v in list(means.items())[:4]) + ", …")
    match = bool(np.array_equal(totals, np.array(expected, dtype=float)))
    print(f"   equal to the plaintext computation over all records: {'yes' if match else 'NO'}")
    if not match:
        raise AssertionError("the aggregate does not match the plaintext computation")

    print("\n   a dishonest party returns forged partial decryptions")
    cheat = ForgingParty(PARTIES[1], shares[1])
    retry = AggregationCloud(public_key, length)
    contribute(retry)
    again = retry.decrypt([parties[0], cheat, parties[2], parties[3]])
    print(
        f"   rejected: {', '.join(again.rejected)}; decrypted by {', '.join(again.decrypted_by)}; same totals: "
        f"{'yes' if again.totals == result.totals else 'NO'}"
    )
    try:
        retry.decrypt([parties[0], cheat, ForgingParty(PARTIES[2], shares[2]), parties[3]])
    except CheatingPartiesError as exc:
        print(f"   with two honest parties left: refused ({exc})")
    else:
        raise AssertionError("two honest parties decrypted")
    return means


def main() -> None:
    """Run the scenario with a 2048-bit key."""
    print("== Confidential aggregation, (5, 3)-threshold Paillier (Zheng et al. 2018 §4.2)")
    run()
    print("\nAggregation scenario finished.")


if __name__ == "__main__":
    main()
