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

from offchain.chain.consortium import BallotStatus, ConsortiumClient, PublishedGroupKeys
from offchain.chain.registry import DataRegistryClient
from offchain.crypto import group_signature as gs
from offchain.errors import AccessDeniedError, IntegrityError, InvalidInputError, UnknownRecordError, VerificationError
from offchain.protocols import CloudServer
from offchain.protocols.agency import Agency, check_published_opening
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
        changed = first.block[:-1] + bytes([first.block[-1] ^ 1])  # setting it to 0 left 1 block in 256 as it was
        return [AuditResponse(first.index, changed, first.proof), *answers[1:]]


@pytest.fixture(scope="module")
def group_keys() -> list[gs.GroupManagerKey]:
    return [gs.generate_group(BITS) for _ in range(2)]


@pytest.fixture(scope="module")
def client(consortium) -> ConsortiumClient:
    return ConsortiumClient(consortium, from_block=consortium.tx.block_number)


@pytest.fixture(scope="module")
def hospital(group_keys, agencies, client) -> Agency:
    agency = Agency("hospital", group_keys[0], agencies[0], client)
    agency.manager.stock_primes(6)
    return agency


@pytest.fixture(scope="module")
def bank(group_keys, agencies, client) -> Agency:
    agency = Agency("bank", group_keys[1], agencies[1], client)
    agency.manager.stock_primes(1)
    return agency


def admitted_join(agency: Agency) -> GroupMember:
    """A new user whom ``agency`` admits, then the user's join."""
    identity = Account.create()
    agency.admit(identity.address)
    return GroupMember.join(agency, identity)


@pytest.fixture(scope="module")
def alice(hospital) -> GroupMember:
    return admitted_join(hospital)


@pytest.fixture(scope="module")
def bob(hospital) -> GroupMember:
    return admitted_join(hospital)


@pytest.fixture(scope="module")
def erin(bank) -> GroupMember:
    return admitted_join(bank)


@pytest.fixture
def published_keys(hospital, bank) -> None:
    hospital.publish_group_key()
    bank.publish_group_key()


@pytest.fixture
def server(tmp_path, registry, client) -> CloudServer:
    """The cloud, taking anonymous uploads only under the group keys the agencies published."""
    store = FilesystemBlobStore(tmp_path / "cloud")
    return CloudServer("cloud", store, DataRegistryClient(registry), group_keys=PublishedGroupKeys(client))


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


def test_publishing_a_group_key_records_its_seed_on_chain(published_keys, hospital, client) -> None:
    assert client.group_key_seed_of(hospital.address) == hospital.public.seed
    assert client.group_key_of(hospital.address) == hospital.public.fingerprint()


@pytest.fixture(scope="module")
def rigged_agency(group_keys, agencies, client) -> Agency:
    """An agency whose manager replaced a0 by a^k (a relation it knows: it could frame members)."""
    key = group_keys[1]
    rigged = replace(key.public, a0=pow(key.public.a, 0xC0FFEE, key.public.n))
    return Agency("rigged", replace(key, public=rigged), agencies[2], client)


def test_an_agency_whose_bases_are_not_derived_from_its_seed_cannot_publish(rigged_agency, client) -> None:
    with pytest.raises(VerificationError, match="a0 is not the base derived from the group's seed"):
        rigged_agency.publish_group_key()
    assert client.group_key_of(rigged_agency.address) is None


def test_a_user_refuses_to_join_a_group_whose_bases_are_not_derived_from_its_seed(rigged_agency) -> None:
    identity = Account.create()
    rigged_agency.admit(identity.address)
    with pytest.raises(VerificationError, match="a0 is not the base derived from the group's seed"):
        GroupMember.join(rigged_agency, identity)


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


def test_the_server_refuses_an_anonymous_upload_under_a_group_no_agency_published(
    hospital, bob, server, tmp_path
) -> None:
    """The hospital has not published its group key yet (or rotated it away): an upload under it
    is refused and nothing is stored; once the key is published, the same member's upload passes."""
    with pytest.raises(AccessDeniedError, match="published"):
        bob.upload(CONTENT, server, block_size=BLOCK)
    assert [path for path in (tmp_path / "cloud").rglob("*") if path.is_file()] == []
    hospital.publish_group_key()
    upload, _ = bob.upload(CONTENT, server, block_size=BLOCK)
    assert server.answer_challenge(upload.file_id, (0,))[0].index == 0  # held


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
    framed = replace(honest, signer=alice.address)
    with pytest.raises(VerificationError, match="join receipt"):
        _check_blob(client, ballot.ballot_id, hospital, recorded, framed)


def test_published_opening_check_rejects_another_members_receipt_on_the_certificate(
    recorded, hospital, bank, voters, alice, client
) -> None:
    """A manager that attaches alice's genuine receipt (her C2) to bob's certificate is caught: A^e ≠ C2·a0."""
    ballot = bank.request_trace(hospital.address, recorded.file_id, "disputed record")
    _approve(voters, ballot.ballot_id)
    honest = hospital.open_trace(ballot.ballot_id)
    alices = hospital._members[int(alice.key.certificate)]
    framed = replace(
        honest,
        signer=alice.address,
        receipt=alices.receipt.signature,
        join_id=alices.receipt.join_id,
        c2=alices.receipt.c2,
        e=alices.e,
    )
    with pytest.raises(VerificationError, match=r"A\^e = C2·a0"):
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


# ---- joins and traceability (issue 24, finding 2) ------------------------------------------------


def started_join(agency: Agency, user):
    """An admitted user's join up to its response: (applicant, request, response)."""
    agency.admit(user.address)
    applicant = gs.JoinApplicant(agency.public)
    request = applicant.request()
    response = applicant.respond(request, agency.challenge_join(request, user.address))
    return applicant, request, response


def test_a_join_by_an_identity_the_agency_did_not_admit_is_refused(hospital) -> None:
    request = gs.JoinApplicant(hospital.public).request()
    with pytest.raises(AccessDeniedError, match="did not admit"):
        hospital.challenge_join(request, Account.create().address)


def test_one_admission_allows_one_join(hospital) -> None:
    user = Account.create()
    hospital.admit(user.address)
    GroupMember.join(hospital, user)
    with pytest.raises(AccessDeniedError, match="did not admit"):
        GroupMember.join(hospital, user)


def test_two_joins_started_on_one_admission_certify_only_the_first(hospital) -> None:
    user = Account.create()
    hospital.admit(user.address)
    first, second = gs.JoinApplicant(hospital.public), gs.JoinApplicant(hospital.public)
    requests = [first.request(), second.request()]
    responses = [
        applicant.respond(request, hospital.challenge_join(request, user.address))
        for applicant, request in zip((first, second), requests, strict=True)
    ]
    hospital.certify(responses[0], JoinReceipt.sign(user, hospital.public, responses[0]))
    with pytest.raises(AccessDeniedError, match="used by another join"):
        hospital.certify(responses[1], JoinReceipt.sign(user, hospital.public, responses[1]))


def test_join_receipt_signed_by_someone_else_is_refused_and_no_certificate_issued(hospital) -> None:
    user, impostor = Account.create(), Account.create()
    _, _, response = started_join(hospital, user)
    forged = JoinReceipt.sign(impostor, hospital.public, response)
    members = hospital.member_count
    with pytest.raises(VerificationError, match="not signed by the user"):
        hospital.certify(response, replace(forged, user=user.address))
    assert hospital.member_count == members


def test_join_receipt_naming_another_identity_than_the_admitted_one_is_refused(hospital) -> None:
    user, other = Account.create(), Account.create()
    _, _, response = started_join(hospital, user)
    with pytest.raises(AccessDeniedError, match="admitted"):
        hospital.certify(response, JoinReceipt.sign(other, hospital.public, response))


def test_join_receipt_for_another_commitment_is_refused(hospital) -> None:
    user = Account.create()
    _, _, response = started_join(hospital, user)
    receipt = JoinReceipt.sign(user, hospital.public, replace(response, c2=hospital.public.a))
    with pytest.raises(VerificationError, match="another join or commitment"):
        hospital.certify(response, receipt)


def test_the_receipt_signs_the_group_the_join_id_and_the_commitment(hospital) -> None:
    user = Account.create()
    _, request, response = started_join(hospital, user)
    receipt = JoinReceipt.sign(user, hospital.public, response)
    assert receipt.join_id == request.join_id and receipt.c2 == int(response.c2)
    digest = join_receipt_message(hospital.public, request.join_id, int(response.c2))
    assert Account.recover_message(encode_defunct(primitive=digest), signature=receipt.signature) == user.address


def test_an_upload_from_a_certificate_without_a_receipt_is_refused(published_keys, hospital, server, client) -> None:
    """The attack of issue 24 finding 2: a certificate issued without a receipt (straight from the
    group manager) signs an upload; the agency must not record it, as no trace could name its signer."""
    user = Account.create()
    applicant, _, response = started_join(hospital, user)
    silent = GroupMember(applicant.complete(hospital.manager.certify(response)), user)
    upload, _ = silent.upload(CONTENT, server, block_size=BLOCK)
    with pytest.raises(AccessDeniedError, match="no receipt"):
        hospital.accept_upload(upload, server)
    with pytest.raises(UnknownRecordError):
        client.get_record(hospital.address, upload.file_id)


def test_opening_refuses_a_listed_member_whose_commitment_does_not_match_the_certificate(
    recorded, hospital, bank, voters, bob, alice
) -> None:
    ballot = bank.request_trace(hospital.address, recorded.file_id, "disputed record")
    _approve(voters, ballot.ballot_id)
    bobs = int(bob.key.certificate)
    honest = hospital._members[bobs]
    hospital._members[bobs] = replace(honest, receipt=hospital._members[int(alice.key.certificate)].receipt)
    try:
        with pytest.raises(VerificationError, match=r"A\^e = C2·a0"):
            hospital.open_trace(ballot.ballot_id)
    finally:
        hospital._members[bobs] = honest
