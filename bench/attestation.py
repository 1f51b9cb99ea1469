"""Benchmark of attested uploads (Peng et al.): quotes made and verified, TPM emulator and software; gas.

    python bench/attestation.py [--quick] [--network anvil]

Figures (bench/results/attestation.json), wall time in milliseconds (median), gas on the chain named:
    software_quote_ms            a software node signs (PCR digest, nonce, envelope digest) with its P-256 key
    software_signature_check_ms  the receiver checks a software quote's signature and reads it
    tpm_quote_ms                 tpm2_quote on the swtpm emulator (a subprocess and a TPM round trip; omitted
                                 without swtpm)
    tpm_signature_check_ms       the receiver checks a TPM quote's signature and parses its TPMS_ATTEST
    tpm_measure_ms_per_event     tpm2_pcrextend of one measured item on swtpm
    verify_full_ms               QuoteVerifier.verify of a software quote against the deployed
                                 DeviceRegistry (signature, nonce, three eth_calls)
    keystore_unlock_ms           opening the attestation keystore (scrypt n = 2**15, AES-GCM)
    seal_ms_aes_64kib, seal_ms_sm4_64kib, open_ms_sm4_64kib
                                 the digital envelope of 64 KiB of readings (ECIES P-256 key wrap)
    deploy_gas, register_class_gas, admit_device_gas, set_measurement_gas, revoke_measurement_gas,
    revoke_device_gas            DeviceRegistry transactions (a 91-byte DER key)
    is_trusted_gas               eth_estimateGas of the view isTrusted (the on-chain half of a check, if a
                                 contract ever made it; the toolkit reads state off chain instead)
    p256_sign_ms, p256_verify_ms same-run baselines: one ECDSA P-256 sign / verify with cryptography
    plain_call_ms                same-run baseline: one raw eth_call on the same chain
    <figure>_over_<baseline>     quote times over p256_sign_ms, checks over p256_verify_ms, verify_full over
                                 plain_call_ms

The chain is a private local one on a free port (never one a test run uses).
"""

from __future__ import annotations

import hashlib
import secrets
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import connect_own_chain, median_ms, parse_args, report, with_baseline_ratios
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from offchain.attestation import (
    QuoteVerifier,
    SoftwareAttester,
    Swtpm,
    TpmAttester,
    generate_attestation_key,
    load_attestation_key,
    save_attestation_key,
    swtpm_available,
    verify_quote_signature,
)
from offchain.attestation.pcr import MeasurementLog
from offchain.chain import DeviceRegistryClient, load_project
from offchain.crypto.digital_envelope import EnvelopeCipher, generate_receiver_key, open_envelope, seal

LOG = MeasurementLog().with_event("node.py", b"read_sensor()" * 100).with_event("config", b'{"rate_hz":1}')
ENVELOPE = secrets.token_bytes(4096)
DIGEST = hashlib.sha256(ENVELOPE).digest()
READINGS = secrets.token_bytes(64 * 1024)


def main() -> None:
    args = parse_args(__doc__ or "")
    repeats = 10 if args.quick else 100
    figures: dict[str, float | int] = {}
    notes: dict[str, str] = {}

    key = generate_attestation_key()
    software = SoftwareAttester(key, LOG)
    quote = software.quote(secrets.token_bytes(32), DIGEST)
    figures["software_quote_ms"] = median_ms(lambda: software.quote(secrets.token_bytes(32), DIGEST), repeats)
    figures["software_signature_check_ms"] = median_ms(lambda: verify_quote_signature(quote), repeats)

    if swtpm_available():
        with Swtpm() as tpm:
            node = TpmAttester(tpm.tcti)
            node.provision()
            figures["tpm_measure_ms_per_event"] = median_ms(lambda: node.measure(LOG), repeats) / (len(LOG.events) + 1)
            tpm_quote = node.quote(secrets.token_bytes(32), DIGEST)
            figures["tpm_quote_ms"] = median_ms(lambda: node.quote(secrets.token_bytes(32), DIGEST), repeats)
            figures["tpm_signature_check_ms"] = median_ms(lambda: verify_quote_signature(tpm_quote), repeats)
        notes["tpm_quote_ms"] = "swtpm 0.7 + tpm2-tools 5.4 CLI (subprocess per call)"
        notes["tpm_measure_ms_per_event"] = "pcrreset + pcrextend per event, averaged"
    else:
        print("swtpm or tpm2-tools not installed: no TPM figures (make setup installs them)")

    with tempfile.TemporaryDirectory() as tmp:
        keystore = Path(tmp) / "ak.json"
        save_attestation_key(keystore, key, "bench passphrase")
        figures["keystore_unlock_ms"] = median_ms(
            lambda: load_attestation_key(keystore, "bench passphrase"), max(3, repeats // 10)
        )

    receiver = generate_receiver_key()
    sm4 = seal(READINGS, receiver.public_key(), file_id=b"bench", cipher=EnvelopeCipher.SM4_GCM)
    figures["seal_ms_aes_64kib"] = median_ms(lambda: seal(READINGS, receiver.public_key(), file_id=b"bench"), repeats)
    figures["seal_ms_sm4_64kib"] = median_ms(
        lambda: seal(READINGS, receiver.public_key(), file_id=b"bench", cipher=EnvelopeCipher.SM4_GCM), repeats
    )
    figures["open_ms_sm4_64kib"] = median_ms(lambda: open_envelope(sm4, receiver, file_id=b"bench"), repeats)

    project = load_project()
    connect_own_chain(args.network)
    from brownie import accounts, web3

    deployer, agencies = accounts[0], list(accounts[1:4])
    consortium = project.Consortium.deploy(agencies, 3600, {"from": deployer})
    registry = project.DeviceRegistry.deploy(consortium, {"from": deployer})
    client = DeviceRegistryClient(registry, from_block=registry.tx.block_number)
    class_id = hashlib.sha256(b"bench-class").digest()
    registered = client.register_class(
        sender=agencies[0], class_id=class_id, pcr_digest=LOG.pcr_digest(), attestation_required=True
    )
    admitted = client.admit_device(sender=agencies[0], class_id=class_id, attestation_key=software.attestation_key)
    is_trusted = {"to": registry.address, "data": registry.isTrusted.encode_input(admitted.device_id, LOG.pcr_digest())}
    trusted_gas = int(web3.eth.estimate_gas(is_trusted))
    verifier = QuoteVerifier(client)
    figures["verify_full_ms"] = median_ms(
        lambda: verifier.verify(software.quote(verifier.issue_nonce(), DIGEST), ENVELOPE), repeats
    )
    figures["plain_call_ms"] = median_ms(lambda: web3.eth.call(is_trusted), repeats)
    updated = client.set_measurement(sender=agencies[0], class_id=class_id, pcr_digest=hashlib.sha256(b"v2").digest())
    revoked_measurement = client.revoke_measurement(sender=agencies[0], class_id=class_id, version=2)
    revoked_device = client.revoke_device(sender=agencies[0], device_id=admitted.device_id)
    figures.update(
        {
            "deploy_gas": int(registry.tx.gas_used),
            "register_class_gas": int(registered.gas_used or 0),
            "admit_device_gas": int(admitted.gas_used or 0),
            "set_measurement_gas": int(updated.gas_used or 0),
            "revoke_measurement_gas": int(revoked_measurement.gas_used or 0),
            "revoke_device_gas": int(revoked_device.gas_used or 0),
            "is_trusted_gas": trusted_gas,
        }
    )
    notes["is_trusted_gas"] = "estimate incl. 21,000 base; a view: free off chain"
    notes["verify_full_ms"] = f"on {args.network}: signature + nonce + 3 eth_calls"

    message = secrets.token_bytes(100)
    signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    figures["p256_sign_ms"] = median_ms(lambda: key.sign(message, ec.ECDSA(hashes.SHA256())), repeats * 10)
    figures["p256_verify_ms"] = median_ms(
        lambda: key.public_key().verify(signature, message, ec.ECDSA(hashes.SHA256())), repeats * 10
    )
    figures = with_baseline_ratios(figures, "p256_sign_ms", "p256_sign", ["software_quote_ms", "tpm_quote_ms"])
    figures = with_baseline_ratios(
        figures, "p256_verify_ms", "p256_verify", ["software_signature_check_ms", "tpm_signature_check_ms"]
    )
    figures = with_baseline_ratios(figures, "plain_call_ms", "call", ["verify_full_ms"])
    report(
        "attestation",
        {name: round(value, 4) if isinstance(value, float) else value for name, value in figures.items()},
        notes,
    )


if __name__ == "__main__":
    main()
