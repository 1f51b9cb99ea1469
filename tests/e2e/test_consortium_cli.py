"""``datashare consortium`` end to end (issue 17): every step one invocation, its memory only the
keystore and the agency's state database. Three agencies create their groups; a user joins the
hospital's group in five invocations alternating between the user (a separate ``datashare``
process each time) and the hospital; the user uploads anonymously to the storage service (a
``datashare serve`` process); the hospital records the upload; the bank asks for a
trace, the university votes, the opening is refused below the quorum, the hospital's own vote
approves it, and the hospital opens it, naming the user. The storage service is SIGKILLed and
restarted between the upload and its acceptance.

The agencies' steps run in this process (``offchain.cli.main``; each builds its Agency afresh
from the keystore and the database, so nothing else carries over), the user's in subprocesses.
Research: Huang, Chen, Wang 2020 §3.3–3.5.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from offchain.cli import main
from offchain.crypto import group_signature as gs
from offchain.services.local import DatashareCli as User
from tests.e2e.test_services import ROOT, Service, _rpc_url
from tests.helpers import VOTING_PERIOD_S, oversized_group_key, store_anonymously
from tests.offchain.acjt_vectors import CERTIFICATE_PRIMES_1024

CONTENT = b"record_id,age,diagnosis\n" + b"R-0001,47,I10\n" * 5000
BLOCK = 64  # > 1024 blocks: the agency asks the storage service for them in several batches


class Agency:
    """One agency's keystore, passphrase and key file; its steps run in this process."""

    def __init__(self, folder: Path, private_key: str, consortium: str | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        (folder / "passphrase").write_text(f"passphrase of {folder.name}\n")
        (folder / "key").write_text(private_key)
        self.address = str(Account.from_key(private_key).address)
        self.global_args = [
            "--json", "--keystore", str(folder / "keystore.json"), "--passphrase-file", str(folder / "passphrase"),
            "--key-file", str(folder / "key"),
        ]  # fmt: skip
        self.consortium_args = ["--consortium", consortium] if consortium else []

    def path(self, name: str) -> str:
        return str(self.folder / name)

    def run(self, capsys, *args: str, expect: int = 0) -> dict[str, Any]:
        code = main([*self.global_args, "consortium", *self.consortium_args, *args])
        lines = capsys.readouterr().out.strip().splitlines()
        assert len(lines) == 1, lines  # --json: exactly one object
        result = dict(json.loads(lines[0]))
        assert code == expect, result
        return result


def path(user: User, name: str) -> str:
    return str(user.folder / name)


@pytest.fixture(scope="module")
def founders(accounts) -> list[Any]:
    """Four agencies with keys of their own (the CLI signs with a key file), funded."""
    made = [accounts.add() for _ in range(4)]
    for account in made:
        accounts[0].transfer(account, "10 ether")
    return made


@pytest.fixture(scope="module")
def keyed_consortium(Consortium, deployer, founders):
    return Consortium.deploy(founders, VOTING_PERIOD_S, {"from": deployer})


@pytest.fixture(scope="module")
def storage(registry, keyed_consortium, tmp_path_factory):
    from brownie import network

    folder = tmp_path_factory.mktemp("consortium-storage")
    extra = ("--consortium", keyed_consortium.address)  # anonymous uploads under its agencies' group keys only
    service = Service("storage", "storage", folder / "storage", network.show_active(), registry.address, extra)
    service.start()
    yield service
    service.kill()


@pytest.fixture
def publish(keyed_consortium, founders) -> Callable[[bytes], None]:
    """Have a member agency (the clinic, which the flow test leaves alone) publish a group key hash."""

    def published(key_hash: bytes) -> None:
        keyed_consortium.setGroupKey(key_hash, b"\x01" * 32, {"from": founders[3]})

    return published


def test_a_join_an_anonymous_upload_and_a_trace_each_run_as_separate_invocations(
    capsys, tmp_path, storage, keyed_consortium, founders, registry
):
    consortium = keyed_consortium
    from brownie import network

    hospital, bank, university = (
        Agency(tmp_path / name, account.private_key, consortium.address)
        for name, account in zip(("hospital", "bank", "university"), founders, strict=False)
    )
    user = User(
        tmp_path / "user",
        network=network.show_active(),
        registry=registry.address,
        rpc=_rpc_url(),
        private_key=Account.create().key.hex(),
        cwd=ROOT,
    )  # a datashare process per step
    for agency in (hospital, bank, university):
        created = agency.run(capsys, "agency", "init", "--bits", "1024", "--group-out", agency.path("group.json"))
        assert created["agency"] == agency.address
    group = hospital.path("group.json")
    assert hospital.run(capsys, "agency", "stock-primes", "--count", "1")["stocked"] == 1
    storage.wait_ready()

    request = user("consortium", "join", "start", "--group", group, "--out", path(user, "request.json"))
    hospital.run(capsys, "agency", "admit", user.address)
    hospital.run(
        capsys, "agency", "challenge", path(user, "request.json"), "--user", user.address,
        "--out", hospital.path("challenge.json"),
    )  # fmt: skip
    user("consortium",
        "join", "respond", hospital.path("challenge.json"), "--request", path(user, "request.json"),
        "--group", group, "--out", path(user, "response.json"),
    )  # fmt: skip
    certificate = hospital.path("cert.json")
    certified = hospital.run(capsys, "agency", "certify", path(user, "response.json"), "--out", certificate)
    assert (certified["user"], certified["members"], certified["join_id"]) == (user.address, 1, request["join_id"])
    shown = hospital.run(capsys, "agency", "show")
    assert (shown["members"], shown["joins_in_flight"], shown["stocked_primes"]) == ([user.address], [], 0)
    joined = user("consortium", "join", "finish", certificate, "--group", group)
    assert joined["group"] == "0x" + gs.GroupPublicKey.from_json(Path(group).read_text()).fingerprint().hex()

    (tmp_path / "records.csv").write_bytes(CONTENT)
    uploaded = user("consortium",
        "upload", str(tmp_path / "records.csv"), "--storage", storage.url, "--block-size", str(BLOCK),
        "--out", path(user, "upload.json"),
    )  # fmt: skip
    assert user.address.lower()[2:] not in Path(path(user, "upload.json")).read_text().lower()
    assert uploaded["blocks"] > 1024
    storage.restart()  # SIGKILL: the upload was acknowledged, so it is on the service's disk and index
    recorded = hospital.run(capsys, "agency", "accept", path(user, "upload.json"), "--storage", storage.url)
    file_id = uploaded["file_id"]
    assert recorded["file_id"] == file_id

    ballot = bank.run(capsys, "trace", "request", file_id, "--record-agency", hospital.address, "--reason", "dispute")
    ballot_id = str(ballot["ballot_id"])
    assert university.run(capsys, "trace", "vote", ballot_id)["approvals"] == 2
    refused = hospital.run(capsys, "trace", "open", ballot_id, expect=4)
    assert refused["error"] == "AccessDeniedError" and "approvals" in refused["detail"]
    assert hospital.run(capsys, "trace", "vote", ballot_id)["status"] == "approved"
    opened = hospital.run(capsys, "trace", "open", ballot_id)
    assert (opened["signer"], opened["file_id"]) == (user.address, file_id)
    assert hospital.run(capsys, "agency", "show")["ballots"] == [f"{ballot_id}:opened", f"{ballot_id}:voted"]

    checked = university.run(
        capsys, "trace", "check", ballot_id, "--group", group, "--upload", path(user, "upload.json")
    )
    assert (checked["signer"], checked["valid"]) == (user.address, True)
    other_group = bank.path("group.json")  # the opening does not check against another group's key
    refused = university.run(
        capsys, "trace", "check", ballot_id, "--group", other_group, "--upload", path(user, "upload.json"), expect=4
    )
    assert refused["error"] == "VerificationError"


def test_an_anonymous_upload_signed_over_other_blocks_is_refused_by_the_storage_service(storage, publish):
    from offchain.crypto import pre
    from offchain.errors import VerificationError
    from offchain.services.client import StorageClient

    manager = gs.GroupManager(gs.generate_group(1024))
    manager.add_primes(CERTIFICATE_PRIMES_1024[:1])
    member = gs.join(manager)
    publish(manager.public.fingerprint())
    storage.wait_ready()
    client = StorageClient(storage.url)
    with pytest.raises(VerificationError, match="does not verify over its blocks"):
        client.store_anonymous(
            file_id=b"\x07" * 32,
            ciphertext=b"ciphertext blocks" * 10,
            block_size=64,
            sealed_key=pre.seal(pre.KeyPair.generate().public_key, b"k" * 32),
            group=manager.public,
            signature=gs.sign(member, b"another message"),
        )


def _put_anonymous(
    storage,
    group_key: Callable[[gs.GroupPublicKey], bytes],
    block_size: int = 64,
    publish: Callable[[bytes], None] | None = None,
) -> Any:
    """PUT an anonymous upload of a real member's signature whose group key part is
    ``group_key(public key)``, at ``block_size``, its hash published first through ``publish``
    (a member agency publishing a malformed key); the service's answer."""
    import httpx

    from offchain.crypto import pre
    from offchain.crypto.hashing import keccak256

    manager = gs.GroupManager(gs.generate_group(1024))
    manager.add_primes(CERTIFICATE_PRIMES_1024[:1])
    key = group_key(manager.public)
    if publish is not None:
        publish(keccak256(key))
    headers = {
        "x-group-key-bytes": str(len(key)),
        "x-block-size": str(block_size),
        "x-sealed-key": pre.seal(pre.KeyPair.generate().public_key, b"k" * 32).to_bytes().hex(),
        "x-group-signature": gs.sign(gs.join(manager), b"blocks").to_bytes().hex(),
    }
    storage.wait_ready()
    return httpx.put(f"{storage.url}/anonymous/{'07' * 32}", content=key + b"blocks", headers=headers, timeout=60)


def test_an_anonymous_upload_under_a_group_no_agency_published_is_refused_before_its_key_is_read(storage):
    """The service took anonymous uploads under any group key, so anyone could fill its store
    under a group of its own (and make it check a 4096-bit key's setup on every request). Only
    the group keys the consortium's agencies published on chain are taken now."""
    refused = _put_anonymous(storage, lambda public: public.to_json().encode())
    assert (refused.status_code, refused.json()["error"]) == (403, "AccessDeniedError")
    assert "published" in refused.json()["detail"]
    junk = _put_anonymous(storage, lambda _: b"[" * 100_000 + b"]" * 100_000)  # not even parsed
    assert (junk.status_code, junk.json()["error"]) == (403, "AccessDeniedError")


def test_an_anonymous_upload_whose_group_key_is_deeply_nested_json_is_refused_and_the_service_lives_on(
    storage, publish
):
    """An anonymous upload's group key is parsed before any signature is checked (once its hash
    is found among the published ones: here a member published the junk's). A key of 100,000
    nested brackets (200 KB) killed the storage service with SIGSEGV: py_ecc had raised the
    recursion limit to 100,000, beyond what the thread's stack holds."""
    import httpx

    answer = _put_anonymous(storage, lambda _: b"[" * 100_000 + b"]" * 100_000, publish=publish)
    assert (answer.status_code, answer.json()["error"]) == (400, "InvalidInputError")
    assert "nested too deeply" in answer.json()["detail"]
    assert httpx.get(f"{storage.url}/health").status_code == 200


def test_an_anonymous_upload_whose_group_key_is_oversized_is_refused_at_once(storage, publish):
    """An anonymous upload's group key of 2^18 bits (64 KiB of hex) with no small factor and
    bases derived from its seed passed every cheap check; the service then ran the primality test
    of n (minutes of a worker thread per request: the old code had not answered after 60 s), and
    half a dozen such requests held every thread of its pool. Keys of more than 4096 bits are now
    refused before any test."""
    answer = _put_anonymous(
        storage, lambda public: json.dumps(oversized_group_key(public, 1 << 18)).encode(), publish=publish
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "InvalidInputError")
    assert "1024 to 4096 bits" in answer.json()["detail"]


def test_an_audit_of_large_blocks_is_answered_in_parts_within_the_service_limit(storage, publish):
    """Audits are public and answer whole blocks: one request for a block of 1 MiB 1024 times
    read 1 GiB into memory (and 2 GiB of hex); a block of 256 MiB could be stored, and asked for
    1024 times. Blocks are now at most 1 MiB, and the service answers at most 16 MiB of blocks a
    request; its client asks again for the rest."""
    import httpx

    from offchain.crypto.hashing import sha256
    from offchain.crypto.merkle import MerkleTree, verify_inclusion
    from offchain.protocols.cloud_server import MAX_AUDIT_BYTES, MAX_BLOCK_BYTES
    from offchain.services.client import StorageClient

    manager = gs.GroupManager(gs.generate_group(1024))
    manager.add_primes(CERTIFICATE_PRIMES_1024[:1])
    member = gs.join(manager)
    file_id, ciphertext = b"\x08" * 32, secrets.token_bytes(18 * MAX_BLOCK_BYTES - 7)
    tree = MerkleTree.from_bytes(ciphertext, MAX_BLOCK_BYTES)
    publish(manager.public.fingerprint())
    storage.wait_ready()
    client = StorageClient(storage.url)
    store_anonymously(
        client, manager.public, member, file_id=file_id, ciphertext=ciphertext, block_size=MAX_BLOCK_BYTES
    )
    answer = httpx.post(f"{storage.url}/files/{file_id.hex()}/audit", json={"indices": [0] * 1024}, timeout=60)
    assert len(answer.json()["answers"]) == MAX_AUDIT_BYTES // MAX_BLOCK_BYTES
    indices = tuple(range(18)) + (3,) * 20
    answers = client.answer_challenge(file_id, indices)
    assert [a.index for a in answers] == list(indices)
    assert all(verify_inclusion(tree.root, sha256(a.block), a.proof) for a in answers)


def test_an_anonymous_upload_of_blocks_over_1_mib_is_refused(storage, publish):
    answer = _put_anonymous(storage, lambda public: public.to_json().encode(), block_size=2 << 20, publish=publish)
    assert (answer.status_code, answer.json()["error"]) == (400, "InvalidInputError")
    assert f"blocks of at most {1 << 20}" in answer.json()["detail"]


def test_an_admission_and_a_removal_are_proposed_voted_and_closed_by_hand(
    capsys, tmp_path, accounts, keyed_consortium, founders
):
    """The membership ballots through ``members`` and ``ballot``: four founders, quorum 3. The
    candidate is admitted on the third approval and votes at once with nothing but its account
    key; a removal cannot be closed while it is open; each agency's state keeps its steps."""
    hospital, bank, university, clinic = (
        Agency(tmp_path / name, account.private_key, keyed_consortium.address)
        for name, account in zip(("hospital", "bank", "university", "clinic"), founders, strict=True)
    )
    candidate_key = Account.create()
    lab = Agency(tmp_path / "lab", candidate_key.key.hex(), keyed_consortium.address)
    before = hospital.run(capsys, "members", "show")
    assert (len(before["members"]), before["quorum"]) == (4, 3) and lab.address not in before["members"]

    proposed = hospital.run(capsys, "members", "propose-admission", lab.address)
    assert (proposed["kind"], proposed["subject"], proposed["approvals"]) == ("admission", lab.address, 1)
    ballot_id = str(proposed["ballot_id"])
    assert bank.run(capsys, "ballot", "vote", ballot_id)["status"] == "pending"
    approved = university.run(capsys, "ballot", "vote", ballot_id)
    assert (approved["status"], approved["approvals"]) == ("approved", 3)
    after = clinic.run(capsys, "members", "show")
    assert (len(after["members"]), after["quorum"], after["epoch"]) == (5, 4, before["epoch"] + 1)
    assert lab.address in after["members"]

    accounts[0].transfer(lab.address, "1 ether")
    removal = bank.run(capsys, "members", "propose-removal", clinic.address)
    assert (removal["kind"], removal["subject"], removal["quorum"]) == ("removal", clinic.address, 4)
    removal_id = str(removal["ballot_id"])
    assert lab.run(capsys, "ballot", "vote", removal_id)["approvals"] == 2  # its account key is all it needs
    against = clinic.run(capsys, "ballot", "vote", removal_id, "--against")
    assert (against["support"], against["rejections"]) == (False, 1)
    refused = university.run(capsys, "ballot", "expire", removal_id, expect=4)
    assert "ConsortiumBallotStillOpen" in refused["detail"]
    assert hospital.run(capsys, "ballot", "show", removal_id)["status"] == "pending"
    kept = {agency.folder.name: _ballot_steps(agency) for agency in (hospital, bank, clinic, lab)}
    assert kept == {
        "hospital": [(int(ballot_id), "requested", True)],
        "bank": [(int(ballot_id), "voted", True), (int(removal_id), "requested", True)],
        "clinic": [(int(removal_id), "voted", False)],
        "lab": [(int(removal_id), "voted", True)],
    }


def _ballot_steps(agency: Agency) -> list[tuple[int, str, bool]]:
    from offchain.protocols.agency_state import AgencyState

    state = AgencyState(agency.folder / "agency.sqlite")
    try:
        return [(record.ballot_id, record.action, record.support) for record in state.ballots()]
    finally:
        state.close()
