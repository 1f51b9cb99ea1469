"""Attested uploads from a data-source node: a quote bound to the nonce and the envelope, checked first.

    brownie run scripts/attested_upload.py --network ganache-cli

Research: Peng, Zhu, Wang, Hu, Song, Wang, *Towards Decentralized Privacy-Preserving of Encrypted
Data Sharing Protocol*, steps (1)–(5), Eq. 1–9. An agency of the consortium registers a class of
sensor nodes with the golden PCR digest of their code and configuration, and admits a node's
attestation key. The node seals its readings in a digital envelope (SM4-GCM, the key wrapped to
the receiver's P-256 key), asks the storage server for a nonce, and uploads the envelope with a
quote over (PCR, nonce, SHA-256(envelope)). Then: the node with a modified measurement is
refused, the replayed quote is refused, and after the agency revokes the node a fresh quote is
refused too.

The node quotes with a TPM 2.0, the swtpm emulator started here, when ``swtpm`` and tpm2-tools
are installed (``make setup`` installs them); otherwise in software (a key in an encrypted
keystore), which proves only possession of the key. The scenario says which path ran.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brownie import accounts, network

from offchain.attestation import (
    AttestationError,
    MeasurementMismatchError,
    NonceReplayError,
    QuoteVerifier,
    RevokedAttestationKeyError,
    SoftwareAttester,
    Swtpm,
    TpmAttester,
    generate_attestation_key,
    load_attestation_key,
    measure_node,
    save_attestation_key,
    swtpm_available,
)
from offchain.chain import Session, settle
from offchain.crypto.digital_envelope import EnvelopeCipher, generate_receiver_key, open_envelope, seal
from offchain.crypto.hashing import keccak256
from offchain.protocols import CloudServer
from offchain.storage import FilesystemBlobStore

NODE_CONFIG = {"sensor": "ward-3/heart-rate", "rate_hz": 1, "server": "storage"}
READINGS = b"t,bpm\n" + b"".join(b"%d,%d\n" % (t, 60 + t % 25) for t in range(120))
FILE_ID = b"ward-3/heart-rate/batch-1"


@dataclass(frozen=True)
class AttestedUploadReport:
    """What the scenario saw.

    Attributes:
        path: ``"tpm2"`` (swtpm) or ``"software"``.
        accepted_locator: Where the good upload was stored.
        refusals: The error class name of each refused attempt, by attempt.
    """

    path: str
    accepted_locator: str
    refusals: dict[str, str]


@contextlib.contextmanager
def _node(workdir: Path, log: Any) -> Iterator[TpmAttester | SoftwareAttester]:
    """A TPM node on a fresh swtpm if installed, else a software node with a keystore in ``workdir``."""
    if swtpm_available():
        with Swtpm() as tpm:
            node = TpmAttester(tpm.tcti)
            node.provision()
            node.measure(log)
            yield node
        return
    keystore = workdir / "attestation-key.json"
    save_attestation_key(keystore, generate_attestation_key(), "demo passphrase")
    yield SoftwareAttester(load_attestation_key(keystore, "demo passphrase"), log)


def _remeasure(node: TpmAttester | SoftwareAttester, log: Any) -> None:
    if isinstance(node, TpmAttester):
        node.measure(log)
    else:
        node.log = log


def run(session: Session, workdir: Path) -> AttestedUploadReport:
    """Play the scenario on the session's ``DeviceRegistry``, keeping blobs under ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    devices = session.device_registry
    by_address = {a.address.lower(): a for a in accounts}
    agency = by_address[session.consortium.members()[0].lower()]
    log = measure_node([Path(__file__)], NODE_CONFIG)
    class_id = keccak256(b"sensor-node/" + secrets.token_bytes(8))  # fresh per run: ids are never reused
    registered = devices.register_class(
        sender=agency, class_id=class_id, pcr_digest=log.pcr_digest(), attestation_required=True
    )
    print(f"   agency {agency.address} registered class 0x{class_id.hex()[:16]}… (gas {registered.gas_used:,})")
    print(f"   golden PCR digest 0x{log.pcr_digest().hex()[:16]}… over {len(log.events)} measured items")

    receiver = generate_receiver_key()
    server = CloudServer(
        "storage", FilesystemBlobStore(workdir / "blobs"), session.registry, attestation=QuoteVerifier(devices)
    )
    refusals: dict[str, str] = {}
    with _node(workdir, log) as node:
        path = node.kind.value
        how = "a TPM 2.0 (swtpm emulator)" if path == "tpm2" else "software (weaker: key in a file)"
        print(f"   node quotes with: {how}")
        admitted = devices.admit_device(sender=agency, class_id=class_id, attestation_key=node.attestation_key)
        print(f"   admitted device 0x{admitted.device_id.hex()[:16]}… (gas {admitted.gas_used:,})")

        envelope = seal(READINGS, receiver.public_key(), file_id=FILE_ID, cipher=EnvelopeCipher.SM4_GCM).to_bytes()
        digest = hashlib.sha256(envelope).digest()
        good_quote = node.quote(server.upload_nonce(), digest)
        locator = server.store_device_upload(envelope=envelope, device_id=admitted.device_id, quote=good_quote)
        opened = open_envelope(server.store.get(locator), receiver, file_id=FILE_ID)
        assert opened == READINGS
        print(f"   1. good node: upload accepted ({len(envelope)}-byte SM4-GCM envelope), receiver opened it")

        _remeasure(node, log.with_event("patched.py", b"send_copy_elsewhere()"))
        tampered_quote = node.quote(server.upload_nonce(), digest)
        refusals["modified measurement"] = _refused(server, envelope, admitted.device_id, tampered_quote)
        _remeasure(node, log)
        print(f"   2. node with modified code: refused ({refusals['modified measurement']})")

        refusals["replayed quote"] = _refused(server, envelope, admitted.device_id, good_quote)
        print(f"   3. replay of the accepted quote: refused ({refusals['replayed quote']})")

        revoked = devices.revoke_device(sender=agency, device_id=admitted.device_id)
        fresh_quote = node.quote(server.upload_nonce(), digest)
        refusals["revoked device"] = _refused(server, envelope, admitted.device_id, fresh_quote)
        print(f"   4. after the agency revoked it (gas {revoked.gas_used:,}): refused ({refusals['revoked device']})")

    expected = {
        "modified measurement": MeasurementMismatchError.__name__,
        "replayed quote": NonceReplayError.__name__,
        "revoked device": RevokedAttestationKeyError.__name__,
    }
    if refusals != expected:
        raise AssertionError(f"expected refusals {expected}, saw {refusals}")
    return AttestedUploadReport(path=path, accepted_locator=locator, refusals=refusals)


def _refused(server: CloudServer, envelope: bytes, device_id: bytes, quote: Any) -> str:
    try:
        server.store_device_upload(envelope=envelope, device_id=device_id, quote=quote)
    except AttestationError as exc:
        return type(exc).__name__
    raise AssertionError("the server accepted an upload it should have refused")


def main() -> None:
    """Deploy afresh on a local chain if needed, then run the scenario."""
    session = Session.load(deploy_if_missing=True)
    print(f"Network {network.show_active()}: {session}")
    print("\n== Attested uploads from a data-source node (Peng et al.)")
    with tempfile.TemporaryDirectory(prefix="datashare-attested-") as tmp:
        report = run(session, Path(tmp))
    settle()
    print(f"\nAttested upload scenario finished ({report.path} path).")
