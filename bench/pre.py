"""Benchmark of Umbral proxy re-encryption of a 32-byte data key (offchain.crypto.pre, umbral-pre 0.11).

    python bench/pre.py [--quick]

Figures (bench/results/pre.json), wall time in milliseconds, median of many runs:
    seal_ms                       seal a 32-byte data key to the owner's public key (Enc)
    open_sealed_ms                the owner opens it with its secret key
    kfrag_generation_ms_t2_n3     the owner makes a 2-of-3 grant: three signed kfrags (ReKeyGen)
    kfrag_verify_ms               a proxy checks its kfrag's signature and commitment
    reencrypt_ms_per_kfrag        a proxy re-encrypts the capsule with one verified kfrag (ReEnc)
    cfrag_verify_ms               the receiver checks one cfrag's proof and signature
    open_reencrypted_ms_t2        the receiver opens the data key from two verified cfrags (Dec)
    receiver_total_ms_t2          2 x cfrag_verify_ms + open_reencrypted_ms_t2: the receiver's whole work
    secp256k1_mul_ms              same-run baseline: one scalar multiplication on secp256k1 (Umbral's
                                  curve) with coincurve (libsecp256k1)
    <figure>_over_ec_mul          every time above over that baseline: its cost in EC multiplications

For comparison, the published timings of Feng et al. 2022's pairing-based scheme were not found
with the project's search tool, so no comparison is printed; none is invented.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import coincurve
from _common import median_ms, parse_args, report, with_baseline_ratios

from offchain.crypto import pre

DATA_KEY = bytes(range(32))


def main() -> None:
    args = parse_args(__doc__ or "")
    repeats = 30 if args.quick else 500
    owner, signer, buyer = pre.KeyPair.generate(), pre.KeyPair.generate(), pre.KeyPair.generate()
    keys = {"delegating_pk": owner.public_key, "receiving_pk": buyer.public_key, "verifying_pk": signer.public_key}
    sealed = pre.seal(owner.public_key, DATA_KEY)

    def make_grant() -> list[bytes]:
        return pre.generate_kfrags(
            delegating_sk=owner.secret_key,
            receiving_pk=buyer.public_key,
            signer_sk=signer.secret_key,
            threshold=2,
            shares=3,
        )

    kfrags = make_grant()
    verified_kfrags = [pre.verify_kfrag(kfrag, **keys) for kfrag in kfrags]
    cfrags = [pre.reencrypt(sealed, verified) for verified in verified_kfrags]
    verified_cfrags = [pre.verify_cfrag(cfrag, sealed=sealed, **keys) for cfrag in cfrags]

    def open_two() -> bytes:
        return pre.open_reencrypted(
            receiving_sk=buyer.secret_key,
            delegating_pk=owner.public_key,
            sealed=sealed,
            cfrags=verified_cfrags[:2],
            threshold=2,
        )

    assert open_two() == DATA_KEY
    figures = {
        "seal_ms": median_ms(lambda: pre.seal(owner.public_key, DATA_KEY), repeats),
        "open_sealed_ms": median_ms(lambda: pre.open_sealed(owner.secret_key, sealed), repeats),
        "kfrag_generation_ms_t2_n3": median_ms(make_grant, repeats),
        "kfrag_verify_ms": median_ms(lambda: pre.verify_kfrag(kfrags[0], **keys), repeats),
        "reencrypt_ms_per_kfrag": median_ms(lambda: pre.reencrypt(sealed, verified_kfrags[0]), repeats),
        "cfrag_verify_ms": median_ms(lambda: pre.verify_cfrag(cfrags[0], sealed=sealed, **keys), repeats),
        "open_reencrypted_ms_t2": median_ms(open_two, repeats),
    }
    figures["receiver_total_ms_t2"] = 2 * figures["cfrag_verify_ms"] + figures["open_reencrypted_ms_t2"]
    point, scalar = coincurve.PrivateKey().public_key, coincurve.PrivateKey().secret
    figures["secp256k1_mul_ms"] = median_ms(lambda: point.multiply(scalar), repeats * 10)
    timings = [name for name in figures if name != "secp256k1_mul_ms"]
    figures = with_baseline_ratios(figures, "secp256k1_mul_ms", "ec_mul", timings)
    report(
        "pre",
        {name: round(value, 4) for name, value in figures.items()},
        {
            "seal_ms": f"median of {repeats} runs; includes the capsule self-check (~0.2 ms)",
            "kfrag_generation_ms_t2_n3": "one grant, 2-of-3",
            "open_reencrypted_ms_t2": "Lagrange combination + DEM decryption",
        },
    )
    print("Feng et al. 2022 (pairing-based PRE): published timings not found; no comparison made.")


if __name__ == "__main__":
    main()
