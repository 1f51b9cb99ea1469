"""Encrypted sharing with integrity, end to end: upload, audit, share through proxies, revoke, anchor.

    brownie run scripts/sharing.py --network ganache-cli

A hospital (the data owner) uploads a record file to a cloud server, a public auditor checks
the server still holds it, the hospital shares it with a research lab through 2-of-3 proxies,
the lab receives and checks it against the chain, the hospital revokes the grant and the
proxies refuse, and the records of the day are anchored in one data block whose inclusion
anyone can prove on chain.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from brownie import accounts, network

from offchain.chain import Session, settle
from offchain.errors import AccessDeniedError
from offchain.protocols import Auditor, Buyer, CloudServer, DataOwner, RecordAnchorer
from offchain.storage import FilesystemBlobStore

RECORDS = b"patient_id,age,clump_thickness,cell_size,bare_nuclei,class\n" + b"".join(
    b"P-%05d,%d,%d,%d,%d,%s\n"
    % (i, 30 + i % 50, 1 + i % 10, 1 + i % 7, 1 + i % 9, b"benign" if i % 3 else b"malignant")
    for i in range(2000)
)


def run(session: Session, workdir: Path) -> None:
    """Play the scenario on the session's contracts, keeping blobs under ``workdir``."""
    registry = session.registry
    storage = CloudServer("storage", FilesystemBlobStore(workdir / "storage"), registry)
    proxies = [CloudServer(f"proxy-{i}", FilesystemBlobStore(workdir / f"proxy-{i}"), registry) for i in range(3)]
    hospital = DataOwner(accounts[1], registry)
    lab = Buyer(accounts[2], registry)

    print(f"\n== Upload: hospital {hospital.address} stores {len(RECORDS):,} bytes")
    receipt = hospital.upload(RECORDS, storage, block_size=4096, name="hospital-a/cohort-2026.csv")
    record = registry.get_file(receipt.file_id)
    print(f"   file id       0x{receipt.file_id.hex()}")
    print(f"   K_f** on chain 0x{record.ciphertext_hash.hex()}")
    print(f"   Merkle root   0x{record.merkle_root.hex()} over {receipt.metadata.block_count} blocks")
    print(f"   locator       {record.locator}")

    print("\n== Audit: anyone samples 10 blocks against the root on chain")
    report = Auditor(registry).audit(receipt.file_id, storage, k=10)
    print(f"   blocks {list(report.challenge.indices)}: {'passed' if report.passed else 'FAILED'}")

    print(f"\n== Share: 2-of-3 proxies re-encrypt the key capsule for the lab {lab.recipient.address}")
    grant = hospital.grant(receipt.file_id, lab.recipient, proxies, threshold=2)
    print(f"   grant on chain at {grant.granted_at}, policy 0x{grant.policy_hash.hex()[:16]}…")
    received = lab.receive(
        receipt.file_id,
        storage=storage,
        proxies=proxies,
        threshold=2,
        verifying_pk=hospital.signer.public_key,
    )
    print(f"   lab received {len(received):,} bytes; ciphertext, root and commitment match the chain: OK")

    print("\n== Revoke: the hospital revokes the grant on chain")
    hospital.revoke(receipt.file_id, lab.recipient.address)
    try:
        lab.receive(
            receipt.file_id,
            storage=storage,
            proxies=proxies,
            threshold=2,
            verifying_pk=hospital.signer.public_key,
        )
    except AccessDeniedError as exc:
        print(f"   proxies refuse: {str(exc)[:90]}…")
    else:
        raise AssertionError("a revoked grant was still served")

    print("\n== Anchor: the day's registrations go into item blocks of 10 and one data block")
    anchorer = RecordAnchorer(session.anchor, accounts[0])
    anchorer.add(receipt.registration)
    for i in range(24):
        anchorer.add(hospital.upload(RECORDS[: 1000 + i], storage, block_size=4096).registration)
    anchored = anchorer.anchor()
    batch = anchored[0].batch
    print(
        f"   batch {batch.batch_id}: root 0x{batch.root.hex()[:16]}… for {len(anchored)} records "
        f"in {batch.leaf_count} item blocks (tx {batch.tx_hash[:12]}…)"
    )
    last = anchored[-1]
    print(f"   record 25 proven on chain: {anchorer.verify_onchain(last)}; off chain: {last.verify_offchain()}")


def main() -> None:
    """Deploy afresh on a local chain if needed, then run the scenario."""
    session = Session.load(deploy_if_missing=True)
    print(f"Network {network.show_active()}: {session}")
    with tempfile.TemporaryDirectory(prefix="datashare-sharing-") as tmp:
        run(session, Path(tmp))
    settle()
    print("\nSharing scenario finished.")
