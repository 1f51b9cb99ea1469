"""The group join is a conversation between a user and an agency (ACJT §4, Join; Huang et al.
2020 Algorithm 1), and each side's messages come from the other: the manager's
:meth:`GroupManager.challenge` and :meth:`GroupManager.certify`, the applicant's
:meth:`JoinApplicant.respond` and :meth:`JoinApplicant.complete`, the agency's
:meth:`Agency.challenge_join` and :meth:`Agency.certify`, and the receipt's digest and signer,
raise only the toolkit's own errors on malformed or tampered messages (issue 12) and accept no
changed message.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account
from gmpy2 import mpz
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from offchain.crypto import group_signature as gs
from offchain.errors import VerificationError
from offchain.protocols.agency import Agency
from offchain.protocols.group_member import JoinReceipt, join_receipt_message, recover_receipt_signer
from tests.helpers import high_s_twin
from tests.offchain import fuzzing as fz

BITS = 1024
#: Each example checks a proof of knowledge at 1024 bits (a few ms) or runs a join step.
JOIN = settings(fz.COSTLY, max_examples=60)


def changed_message(draw, message, fields):
    """``message`` with one field replaced by junk or a nearby integer; the field's name."""
    field = draw(st.sampled_from(fields))
    value = getattr(message, field)
    if isinstance(value, bytes):
        new = draw(st.one_of(fz.junk, fz.tampered_bytes(value)))
    elif field == "proof":
        new = draw(
            st.one_of(
                fz.junk,
                st.builds(lambda c: replace(value, c=c), fz.integers),
                st.builds(lambda r: replace(value, responses=r), st.one_of(fz.junk, st.lists(fz.integers, max_size=3))),
            )
        )
    else:
        new = draw(st.one_of(fz.junk, fz.integers, st.builds(lambda d: value + d, st.integers(-3, 3))))
    return replace(message, **{field: new}), field, new


@pytest.fixture(scope="module")
def manager_key():
    return gs.generate_group(BITS)


@pytest.fixture(scope="module")
def join_messages(manager_key):
    """One complete join's messages, made by an honest applicant and manager."""
    manager = gs.GroupManager(manager_key)
    applicant = gs.JoinApplicant(manager_key.public)
    request = applicant.request()
    challenge = manager.challenge(request)
    response = applicant.respond(request, challenge)
    return {"request": request, "challenge": challenge, "response": response}


@JOIN
@given(data=st.data())
def test_group_manager_challenge_refuses_a_malformed_or_tampered_request(manager_key, join_messages, data):
    valid = join_messages["request"]
    request, _, new = changed_message(data.draw, valid, ["join_id", "c1", "proof"])
    result = fz.project_errors_only(gs.GroupManager(manager_key).challenge, request)
    assert result is fz.REFUSED or request == valid or isinstance(new, bytes)  # join_id is the user's choice


@fz.CHEAP
@given(request=fz.junk)
def test_group_manager_challenge_refuses_what_is_not_a_join_request(manager_key, request):
    assert fz.project_errors_only(gs.GroupManager(manager_key).challenge, request) is fz.REFUSED


@JOIN
@given(data=st.data())
def test_group_manager_certify_refuses_a_malformed_or_tampered_response(manager_key, data):
    manager = gs.GroupManager(manager_key)
    applicant = gs.JoinApplicant(manager_key.public)
    request = applicant.request()
    valid = applicant.respond(request, manager.challenge(request))
    response, _, _ = changed_message(data.draw, valid, ["join_id", "c2", "proof"])
    assume(response != valid)  # certifying the valid one searches a prime (~1 s); test_group_signature does
    assert fz.project_errors_only(manager.certify, response) is fz.REFUSED


@JOIN
@given(data=st.data())
def test_join_applicant_respond_refuses_a_malformed_challenge(manager_key, data):
    applicant = gs.JoinApplicant(manager_key.public)
    request = applicant.request()
    valid = gs.JoinChallenge(request.join_id, mpz(5), mpz(7))
    challenge, _, _ = changed_message(data.draw, valid, ["join_id", "alpha", "beta"])
    fz.project_errors_only(applicant.respond, request, challenge)


@pytest.fixture(scope="module")
def certified(manager_key):
    """An applicant and the certificate the manager issued it (completing does not change it)."""
    manager = gs.GroupManager(manager_key)
    applicant = gs.JoinApplicant(manager_key.public)
    request = applicant.request()
    return applicant, manager.certify(applicant.respond(request, manager.challenge(request)))


@JOIN
@given(data=st.data())
def test_join_applicant_complete_refuses_a_malformed_or_tampered_certificate(certified, data):
    applicant, valid = certified
    certificate, _, _ = changed_message(data.draw, valid, ["join_id", "a_cert", "e"])
    result = fz.project_errors_only(applicant.complete, certificate)
    assert result is fz.REFUSED or certificate == valid


@fz.CHEAP
@given(join_id=st.one_of(fz.junk, st.binary(max_size=300)), c2=st.one_of(fz.junk, fz.integers), signature=fz.junk)
def test_recover_receipt_signer_raises_only_project_errors(manager_key, join_id, c2, signature):
    fz.project_errors_only(join_receipt_message, manager_key.public, join_id, c2)
    signer = fz.project_errors_only(recover_receipt_signer, manager_key.public, join_id, c2, signature)
    assert signer is fz.REFUSED or isinstance(signer, str)


def test_a_receipt_under_the_high_s_twin_of_its_signature_is_refused(manager_key):
    identity = Account.create()
    applicant = gs.JoinApplicant(manager_key.public)
    request = applicant.request()
    agency = Agency("hospital", manager_key, Account.create(), consortium=None)
    agency.admit(identity.address)
    response = applicant.respond(request, agency.challenge_join(request, identity.address))
    receipt = JoinReceipt.sign(identity, manager_key.public, response)
    with pytest.raises(VerificationError, match="not canonical"):
        recover_receipt_signer(manager_key.public, receipt.join_id, receipt.c2, high_s_twin(receipt.signature))


@pytest.fixture(scope="module")
def agency(manager_key):
    return Agency("hospital", manager_key, Account.create(), consortium=None)


@JOIN
@given(user=st.one_of(fz.junk, st.text(max_size=42)), request=fz.junk)
def test_agency_challenge_join_refuses_a_malformed_request_or_user(agency, join_messages, user, request):
    assert fz.project_errors_only(agency.challenge_join, join_messages["request"], user) is fz.REFUSED
    assert fz.project_errors_only(agency.challenge_join, request, Account.create().address) is fz.REFUSED


@JOIN
@given(data=st.data())
def test_agency_certify_refuses_a_malformed_or_tampered_receipt(manager_key, data):
    agency = Agency("hospital", manager_key, Account.create(), consortium=None)
    identity = Account.create()
    agency.admit(identity.address)
    applicant = gs.JoinApplicant(manager_key.public)
    request = applicant.request()
    response = applicant.respond(request, agency.challenge_join(request, identity.address))
    valid = JoinReceipt.sign(identity, manager_key.public, response)
    field = data.draw(st.sampled_from(["user", "join_id", "c2", "signature"]))
    original = getattr(valid, field)
    nearby = fz.tampered_bytes(original) if isinstance(original, bytes) else fz.integers
    receipt = data.draw(
        st.one_of(fz.junk, st.builds(lambda value: replace(valid, **{field: value}), st.one_of(fz.junk, nearby)))
    )
    result = fz.project_errors_only(agency.certify, response, receipt)
    assert result is fz.REFUSED or receipt == valid


@fz.CHEAP
@given(response=fz.junk)
def test_agency_certify_refuses_what_is_not_a_join_response(agency, join_messages, response):
    identity = Account.create()
    receipt = JoinReceipt(identity.address, join_messages["response"].join_id, 5, bytes(65))
    assert fz.project_errors_only(agency.certify, response, receipt) is fz.REFUSED
