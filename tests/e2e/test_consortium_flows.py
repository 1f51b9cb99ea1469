"""Anonymous uploads across agencies, traced only after a 2/3 vote (Huang et al. 2020 §3.3–3.5).

End to end on the local chain: users join their agency's ACJT group, upload under group
signatures, agencies check and record the uploads, agencies vote on a trace, and the record's
agency opens the signature and publishes proofs anyone can check.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from offchain.chain.consortium import BallotStatus, ConsortiumClient
from offchain.chain.registry import DataRegistryClient
from offchain.crypto import group_signature as gs
from offchain.errors import AccessDeniedError, IntegrityError, InvalidInputError, UnknownRecordError, VerificationError
from offchain.protocols import CloudServer
from offchain.protocols.agency import Agency, PublishedOpening, check_published_opening
from offchain.protocols.auditor import audit_root
from offchain.protocols.cloud_server import AuditResponse
from offchain.protocols.group_member import GroupMember, JoinReceipt, join_receipt_message
from offchain.storage import FilesystemBlobStore

BITS = 1024
CONTENT = b"record_id,age,diagnosis\n" + b"R-0001,47,I10\n" * 300
BLOCK = 512


class TamperingServer(CloudServer):
    """A server whose stored blocks no longer match what the user signed."""

    def answer_challenge(self, file_id: bytes, indices: tuple[int, ...]) -> list[AuditResponse]:
        answers = super().answer_challenge(file_id, indices)
        first = answers[0]
        return [AuditResponse(first.index, first.block[:-1] + b"\x00", first.proof), *answers[1:]]


@pytest.fixture(scope="module")
def group_keys() -> list[gs.GroupManagerKey]:
    return [gs.generate_group(BITS) for _ in range(2)]


@pytest.fixture(scope="module")
def client(consortium) -> ConsortiumClient:
    return ConsortiumClient(consortium, from_block=consortium.tx.block_number)


@pytest.fixture(scope="module")
def hospital(group_keys, agencies, client) -> Agency:
    agency = Agency("hospital", group_keys[0], agencies[0], client)
    agency.manager.stock_primes(4)
    return agency


@pytest.fixture(scope="module")
def bank(group_keys, agencies, client) -> Agency:
    agency = Agency("bank", group_keys[1], agencies[1], client)
    agency.manager.stock_primes(1)
    return agency


@pytest.fixture(scope="module")
def alice(hospital) -> GroupMember:
    return GroupMember.join(hospital)


@pytest.fixture(scope="module")
def bob(hospital) -> GroupMember:
    return GroupMember.join(hospital)


@pytest.fixture(scope="module")
def erin(bank) -> GroupMember:
    return GroupMember.join(bank)


@pytest.fixture
def published_keys(hospital, bank) -> None:
    hospital.publish_group_key()
    bank.publish_group_key()


@pytest.fixture
def server(tmp_path, registry) -> CloudServer:
    return CloudServer("cloud", FilesystemBlobStore(tmp_path / "cloud"), DataRegistryClient(registry))


@pytest.fixture
def recorded(published_keys, hospital, bob, server):
    upload, _ = bob.upload(CONTENT, server, block_size=BLOCK)
    hospital.accept_upload(upload, server)
    return upload


def _approve(agencies_: list[Agency], ballot_id: int) -> None:
    for agency in agencies_:
        agency.vote(ballot_id)


@pytest.fixture
def voters(bank, agencies, client, group_keys) -> list[Agency]:
    """The third and fourth agencies (they vote only; their groups are irrelevant here)."""
    return [Agency(f"agency-{i}", group_keys[1], agencies[i], client) for i in (2, 3)]


def test_upload_is_recorded_from_the_agency_account(recorded, hospital, client, bob) -> None:
    record = client.get_record(hospital.address, recorded.file_id)
    assert record.agency == hospital.address
    assert record.merkle_root == recorded.merkle_root and record.block_count == recorded.block_count
    assert record.signature_hash == recorded.signature.digest()
    assert record.group_key_hash == hospital.public.fingerprint()
    assert bob.address.lower()[2:] not in recorded.signature.to_bytes().hex()


def test_upload_with_a_signature_on_another_root_is_refused(published_keys, hospital, bob, server, client) -> None:
    upload, _ = bob.upload(CONTENT, server, block_size=BLOCK)
    other, _ = bob.upload(CONTENT + b"x", server, block_size=BLOCK)
    forged = replace(upload, signature=other.signature)
    with pytest.raises(VerificationError, match="does not verify"):
        hospital.accept_upload(forged, server)
    with pytest.raises(UnknownRecordError):
        client.get_record(hospital.address, upload.file_id)


def test_upload_signed_for_another_group_is_refused(published_keys, hospital, erin, server) -> None:
    upload, _ = erin.upload(CONTENT, server, block_size=BLOCK)
    with pytest.raises(VerificationError, match="another group"):
        hospital.accept_upload(upload, server)


def test_upload_whose_stored_blocks_differ_is_refused(published_keys, hospital, bob, tmp_path, registry) -> None:
    bad = TamperingServer("bad", FilesystemBlobStore(tmp_path / "bad"), DataRegistryClient(registry))
    upload, _ = bob.upload(CONTENT, bad, block_size=BLOCK)
    with pytest.raises(IntegrityError, match="do not rebuild"):
        hospital.accept_upload(upload, bad)


def test_the_server_refuses_an_anonymous_upload_whose_group_signature_is_not_over_its_blocks(
    published_keys, bob, server
) -> None:
    upload, _ = bob.upload(CONTENT, server, block_size=BLOCK)
    other, _ = bob.upload(CONTENT + b"x", server, block_size=BLOCK)
    with pytest.raises(VerificationError, match="does not verify over its blocks"):
        server.store_anonymous(
            file_id=gs_file_id(),
            ciphertext=b"another ciphertext" * 40,
            block_size=BLOCK,
            sealed_key=server.sealed_key(upload.file_id),
            group=bob.key.public,
            signature=other.signature,
        )


def test_the_server_never_replaces_an_anonymous_upload(published_keys, bob, server) -> None:
    upload, keys = bob.upload(CONTENT, server, block_size=BLOCK)
    with pytest.raises(AccessDeniedError, match="never replaced"):
        server.store_anonymous(
            file_id=upload.file_id,
            ciphertext=b"junk" * 100,
            block_size=BLOCK,
            sealed_key=server.sealed_key(upload.file_id),
            group=bob.key.public,
            signature=upload.signature,
        )
    assert server.fetch(upload.file_id, keys.download_token)


def gs_file_id() -> bytes:
    return bytes(range(32))


def test_recorded_file_passes_an_audit_against_its_chain_root(recorded, hospital, client, server) -> None:
    record = client.get_record(hospital.address, recorded.file_id)
    report = audit_root(
        recorded.file_id, server, root=record.merkle_root, block_count=record.block_count, block_size=BLOCK
    )
    assert report.passed


def test_open_without_approval_is_refused(recorded, hospital, bank) -> None:
    ballot = bank.request_trace(hospital.address, recorded.file_id, "disputed record")
    with pytest.raises(AccessDeniedError, match="1 approvals of the 3 needed"):
        hospital.open_trace(ballot.ballot_id)


def test_open_after_two_votes_of_four_is_refused(recorded, hospital, bank, voters) -> None:
    ballot = bank.request_trace(hospital.address, recorded.file_id, "disputed record")
    ballot = voters[0].vote(ballot.ballot_id)
    assert ballot.status == BallotStatus.PENDING
    with pytest.raises(AccessDeniedError, match="refusing to open"):
        hospital.open_trace(ballot.ballot_id)


def test_approved_trace_opens_to_the_true_signer(recorded, hospital, bank, voters, bob, client) -> None:
    ballot = bank.request_trace(hospital.address, recorded.file_id, "disputed record")
    _approve(voters, ballot.ballot_id)
    published = hospital.open_trace(ballot.ballot_id)
    assert published.signer == bob.address
    assert client.get_opening(ballot.ballot_id).signer == bob.address


def test_anyone_checks_a_published_opening(recorded, hospital, bank, voters, bob, client) -> None:
    ballot = bank.request_trace(hospital.address, recorded.file_id, "disputed record")
    _approve(voters, ballot.ballot_id)
    hospital.open_trace(ballot.ballot_id)
    assert check_published_opening(client, ballot.ballot_id, hospital.public, recorded.signature) == bob.address


def test_published_opening_check_rejects_another_signature(recorded, hospital, bank, voters, bob, client) -> None:
    ballot = bank.request_trace(hospital.address, recorded.file_id, "disputed record")
    _approve(voters, ballot.ballot_id)
    hospital.open_trace(ballot.ballot_id)
    other = gs.sign(bob.key, recorded.message)
    with pytest.raises(VerificationError, match="not the recorded one"):
        check_published_opening(client, ballot.ballot_id, hospital.public, other)


def test_published_opening_check_rejects_a_framed_signer(recorded, hospital, bank, voters, alice, client) -> None:
    ballot = bank.request_trace(hospital.address, recorded.file_id, "disputed record")
    _approve(voters, ballot.ballot_id)
    honest = hospital.open_trace(ballot.ballot_id)
    framed = PublishedOpening(honest.ballot_id, honest.file_id, alice.address, honest.opening, honest.receipt)
    with pytest.raises(VerificationError, match="join receipt"):
        _check_blob(client, ballot.ballot_id, hospital, recorded, framed)


def _check_blob(client, ballot_id, hospital, recorded, framed) -> None:
    """Run the public check on a forged opening blob (as if a manager had published it)."""
    real = client.get_opening(ballot_id)
    forged = replace(real, signer=framed.signer, opening=framed.to_bytes())
    original = client.get_opening
    client.get_opening = lambda _ballot_id: forged  # type: ignore[method-assign]
    try:
        check_published_opening(client, ballot_id, hospital.public, recorded.signature)
    finally:
        client.get_opening = original  # type: ignore[method-assign]


def test_only_the_record_agency_can_open(recorded, hospital, bank, voters, client) -> None:
    ballot = bank.request_trace(hospital.address, recorded.file_id, "disputed record")
    _approve(voters, ballot.ballot_id)
    with pytest.raises(AccessDeniedError, match="another agency"):
        bank.open_trace(ballot.ballot_id)


def test_rejected_trace_cannot_be_opened(recorded, hospital, bank, voters) -> None:
    ballot = bank.request_trace(hospital.address, recorded.file_id, "disputed record")
    for agency in voters:
        ballot = agency.vote(ballot.ballot_id, support=False)
    assert ballot.status == BallotStatus.REJECTED
    with pytest.raises(AccessDeniedError, match="rejected"):
        hospital.open_trace(ballot.ballot_id)


def test_trace_request_needs_a_reason(recorded, hospital, bank) -> None:
    with pytest.raises(InvalidInputError, match="reason"):
        bank.request_trace(hospital.address, recorded.file_id, "  ")


def test_join_receipt_signed_by_someone_else_is_refused(hospital) -> None:
    applicant = gs.JoinApplicant(hospital.public)
    request = applicant.request()
    member = applicant.complete(hospital.certify(applicant.respond(request, hospital.challenge_join(request))))
    user, impostor = Account.create(), Account.create()
    message = encode_defunct(join_receipt_message(hospital.public, member.certificate))
    signature = bytes(impostor.sign_message(message).signature)
    with pytest.raises(VerificationError, match="not signed by the user"):
        hospital.record_receipt(request.join_id, JoinReceipt(user.address, int(member.certificate), signature))


def test_join_receipt_for_another_certificate_is_refused(hospital, alice) -> None:
    applicant = gs.JoinApplicant(hospital.public)
    request = applicant.request()
    applicant.complete(hospital.certify(applicant.respond(request, hospital.challenge_join(request))))
    user = Account.create()
    message = encode_defunct(join_receipt_message(hospital.public, alice.key.certificate))
    receipt = JoinReceipt(user.address, int(alice.key.certificate), bytes(user.sign_message(message).signature))
    with pytest.raises(VerificationError, match="another certificate"):
        hospital.record_receipt(request.join_id, receipt)
