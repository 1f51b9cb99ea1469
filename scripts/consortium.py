"""Anonymous uploads across four agencies with traceability only by a 2/3 vote, end to end.

    brownie run scripts/consortium.py --network ganache-cli   # not run by the docs test: ~100 s
(The full run takes about 100 s, most of it searching certificate primes for 2048-bit groups.
``DATASHARE_GROUP_BITS=1024`` runs the same steps with 1024-bit groups, as demo part 7 does in
the demo's test.)

Four agencies (two hospitals, a university and a bank), the founders of the ``Consortium``,
each run an ACJT group (2048-bit modulus by default). Their users join and upload files
anonymously; each agency checks its users' uploads and records them on chain. An auditor checks
a file against its recorded Merkle root. A dispute arises over one upload: an agency asks for a
trace; with two of four votes the opening is refused (quorum is three), with the third it is
approved; the record's agency opens the signature and publishes the signer with its proofs, and
anyone checks them. Research: Huang, Chen, Wang 2020 (Sci China Inf Sci), §3.3–3.5.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from brownie import network
from eth_account import Account

from offchain.chain import Session, settle
from offchain.chain.consortium import PublishedGroupKeys
from offchain.crypto import group_signature as gs
from offchain.errors import AccessDeniedError
from offchain.protocols import CloudServer
from offchain.protocols.agency import Agency, check_published_opening
from offchain.protocols.auditor import audit_root
from offchain.protocols.group_member import GroupMember
from offchain.storage import FilesystemBlobStore

#: Environment variable with the agencies' group modulus size in bits (default 2048; 1024 for a quick run).
ENV_GROUP_BITS = "DATASHARE_GROUP_BITS"
AGENCIES = ("hospital-a", "hospital-b", "university", "bank")
#: Users per agency: the first agency has two, so the opening has to pick the right one.
USERS = {"hospital-a": ("alice", "bob"), "hospital-b": ("carol",), "university": ("dave",), "bank": ("erin",)}


def _upload_content(user: str, n: int) -> bytes:
    header = b"record_id,age,systolic,diastolic,diagnosis\n"
    rows = b"".join(
        b"%s-%04d,%d,%d,%d,I%02d\n" % (user.encode(), i, 30 + i % 40, 110 + i % 30, 70 + i % 20, i % 99)
        for i in range(n)
    )
    return header + rows


def run(session: Session, workdir: Path, *, group_bits: int = gs.DEFAULT_MODULUS_BITS) -> None:
    """Play the scenario on the session's ``Consortium``, keeping blobs under ``workdir``."""
    consortium = session.consortium
    founders = consortium.members()
    print(f"\n== Consortium: {len(founders)} agencies, quorum {consortium.quorum()} (⌈2n/3⌉)")
    # the cloud takes anonymous uploads only under the group keys the agencies publish on chain
    server = CloudServer(
        "cloud", FilesystemBlobStore(workdir / "cloud"), session.registry, group_keys=PublishedGroupKeys(consortium)
    )

    from brownie import accounts

    by_address = {a.address.lower(): a for a in accounts}
    agencies: dict[str, Agency] = {}
    for name, address in zip(AGENCIES, founders, strict=False):
        agency = Agency(name, gs.generate_group(group_bits), by_address[address.lower()], consortium)
        agency.publish_group_key()
        agencies[name] = agency
        print(f"   {name:<11} {address}  group key 0x{agency.public.fingerprint().hex()[:16]}… ({group_bits}-bit)")

    params = gs.GroupParameters.for_modulus(group_bits)
    needed = sum(len(users) for users in USERS.values())
    workers = os.cpu_count() or 1
    print(f"   certificate primes: {needed} of {params.gamma1 + 1} bits, searched on {workers} cores…", end=" ")
    start = time.perf_counter()
    primes = gs.certificate_primes(params, needed, workers=workers)
    print(f"{time.perf_counter() - start:.1f} s")
    for name, users in USERS.items():
        agencies[name].manager.add_primes([primes.pop() for _ in users])

    print("\n== Join: each user joins its agency's group and signs a join receipt")
    members: dict[str, GroupMember] = {}
    for name, users in USERS.items():
        for user in users:
            identity = Account.create()  # the user's own key; the agency checked who holds it
            agencies[name].admit(identity.address)
            members[user] = GroupMember.join(agencies[name], identity)
            print(f"   {user:<6} → {name:<11} identity {members[user].address}")

    print("\n== Upload: users store files and group-sign their Merkle roots; agencies record them")
    uploads = {}
    for name, users in USERS.items():
        for user in users:
            upload, _ = members[user].upload(_upload_content(user, 300), server, block_size=1024)
            record = agencies[name].accept_upload(upload, server)
            uploads[user] = upload
            print(
                f"   {name:<11} records 0x{upload.file_id.hex()[:16]}… root 0x{upload.merkle_root.hex()[:12]}… "
                f"{upload.block_count} blocks (gas {record.gas_used:,}; the user's address appears nowhere)"
            )

    disputed = uploads["bob"]
    print("\n== Audit: anyone samples 10 blocks against the root recorded on chain")
    record = consortium.get_record(agencies["hospital-a"].address, disputed.file_id)
    report = audit_root(
        disputed.file_id,
        server,
        root=record.merkle_root,
        block_count=record.block_count,
        block_size=disputed.block_size,
    )
    print(f"   blocks {list(report.challenge.indices)}: {'passed' if report.passed else 'FAILED'}")
    valid = gs.verify(agencies["hospital-a"].public, disputed.message, disputed.signature)
    print(f"   the group signature verifies for hospital-a's group (signer unknown): {valid}")

    print(f"\n== Dispute: the bank asks to trace the signer of 0x{disputed.file_id.hex()[:16]}…")
    ballot = agencies["bank"].request_trace(
        agencies["hospital-a"].address, disputed.file_id, "record contradicts the bank's ledger (case 2026-114)"
    )
    ballot = agencies["university"].vote(ballot.ballot_id)
    print(
        f"   trace {ballot.ballot_id}: {ballot.approvals} approvals of {consortium.quorum()} needed "
        f"({ballot.status.name.lower()})"
    )
    try:
        agencies["hospital-a"].open_trace(ballot.ballot_id)
    except AccessDeniedError as exc:
        print(f"   hospital-a refuses to open: {exc}")
    else:
        raise AssertionError("a trace was opened without approval")
    ballot = agencies["hospital-b"].vote(ballot.ballot_id)
    print(
        f"   third vote: {ballot.approvals} approvals → {ballot.status.name.lower()} "
        f"(TraceApproved on chain, tx {(ballot.tx_hash or '')[:12]}…)"
    )

    print("\n== Open: hospital-a opens the signature and publishes the signer with its proofs")
    published = agencies["hospital-a"].open_trace(ballot.ballot_id)
    print(f"   signer {published.signer} (bob is {members['bob'].address})")
    signer = check_published_opening(consortium, ballot.ballot_id, agencies["hospital-a"].public, disputed.signature)
    print(f"   anyone checks the opening proof and bob's join receipt: signer {signer} — OK")
    if signer != members["bob"].address:
        raise AssertionError("the opening named the wrong member")


def main() -> None:
    """Deploy afresh on a local chain if needed, then run the scenario."""
    session = Session.load(deploy_if_missing=True)
    print(f"Network {network.show_active()}: {session}")
    group_bits = int(os.environ.get(ENV_GROUP_BITS, gs.DEFAULT_MODULUS_BITS))
    with tempfile.TemporaryDirectory(prefix="datashare-consortium-") as tmp:
        run(session, Path(tmp), group_bits=group_bits)
    settle()
    print("\nConsortium scenario finished.")
