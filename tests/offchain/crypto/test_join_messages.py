"""The ACJT join across processes (issue 17): the four join messages as JSON, and the applicant's
secrets exported between the steps, round trip and refuse malformed or mismatched input.

Research: Huang, Chen, Wang 2020 §3.3 (Algorithm 1, join), ACJT 2000 §4.
"""

from __future__ import annotations

import json

import pytest

from offchain.crypto import group_signature as gs
from offchain.errors import InvalidInputError, VerificationError
from tests.offchain.acjt_vectors import CERTIFICATE_PRIMES_1024

BITS = 1024


@pytest.fixture(scope="module")
def manager() -> gs.GroupManager:
    made = gs.GroupManager(gs.generate_group(BITS))
    made.add_primes(CERTIFICATE_PRIMES_1024)
    return made


def _wire(message, kind):
    return gs.join_message_from_json(gs.join_message_to_json(message), kind)


def test_a_join_whose_messages_and_applicant_cross_process_boundaries_completes(manager):
    applicant = gs.JoinApplicant(manager.public)
    request = _wire(applicant.request(), gs.JoinRequest)
    applicant = gs.JoinApplicant.restore(manager.public, applicant.export_secret())
    challenge = _wire(manager.challenge(request), gs.JoinChallenge)
    response = _wire(applicant.respond(request, challenge), gs.JoinResponse)
    applicant = gs.JoinApplicant.restore(manager.public, applicant.export_secret())  # now holding x_i
    certificate = _wire(manager.certify(response), gs.MembershipCertificate)
    member = applicant.complete(certificate)
    assert gs.verify(manager.public, b"m", gs.sign(member, b"m"))
    assert request.join_id == response.join_id == certificate.join_id == applicant.join_id


def test_a_manager_restarted_between_challenge_and_certify_resumes_the_join(manager):
    applicant = gs.JoinApplicant(manager.public)
    request = applicant.request()
    challenge = manager.challenge(request)
    restarted = gs.GroupManager(manager.key)
    restarted.add_primes(CERTIFICATE_PRIMES_1024[-1:])
    restarted.resume_join(_wire(request, gs.JoinRequest), _wire(challenge, gs.JoinChallenge))
    applicant.complete(restarted.certify(applicant.respond(request, challenge)))


def test_resuming_a_join_whose_request_proof_was_altered_is_refused(manager):
    applicant = gs.JoinApplicant(manager.public)
    request = applicant.request()
    challenge = manager.challenge(request)
    data = json.loads(gs.join_message_to_json(request))
    data["proof"]["c"] = hex(int(data["proof"]["c"], 16) + 1)
    altered = gs.join_message_from_json(json.dumps(data), gs.JoinRequest)
    with pytest.raises(VerificationError, match="proof of knowledge"):
        gs.GroupManager(manager.key).resume_join(altered, challenge)


def test_a_join_message_of_another_step_is_refused(manager):
    request = gs.JoinApplicant(manager.public).request()
    with pytest.raises(InvalidInputError, match="not a join challenge"):
        gs.join_message_from_json(gs.join_message_to_json(request), gs.JoinChallenge)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.update(join_id="beef"), "0x-prefixed"),
        (lambda d: d.update(c1="0xzz"), "not valid hex"),
        (lambda d: d.update(proof={"c": "0x1"}), "malformed proof"),
        (lambda d: d.update(format="other"), "not a join request"),
    ],
)
def test_a_malformed_join_request_is_refused(manager, change, match):
    data = json.loads(gs.join_message_to_json(gs.JoinApplicant(manager.public).request()))
    change(data)
    with pytest.raises(InvalidInputError, match=match):
        gs.join_message_from_json(json.dumps(data), gs.JoinRequest)


def test_a_non_join_object_cannot_be_written_as_a_join_message():
    with pytest.raises(InvalidInputError, match="not a join message"):
        gs.join_message_to_json("request")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.update(x_tilde="0x0"), "outside its range"),
        (lambda d: d.update(x="0x5"), "outside Λ"),
        (lambda d: d.pop("r_tilde"), "r_tilde"),
    ],
)
def test_an_exported_applicant_out_of_range_is_refused(manager, change, match):
    applicant = gs.JoinApplicant(manager.public)
    data = json.loads(applicant.export_secret())
    change(data)
    with pytest.raises(InvalidInputError, match=match):
        gs.JoinApplicant.restore(manager.public, json.dumps(data).encode())


def test_bytes_that_are_not_an_exported_applicant_are_refused(manager):
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        gs.JoinApplicant.restore(manager.public, b"\xff not json")
