"""offchain.protocols.agency_state without a chain: the transactions behind certify and uploads,
and the refusals (a member listed twice, an upload recorded twice, an unknown ballot action);
the GroupUpload a member hands its agency, as JSON. The restart tests with an Agency on a chain,
on SQLite and PostgreSQL, are in tests/offchain/chain/test_agency_state.py.
"""

from __future__ import annotations

import json

import pytest

from offchain.crypto import group_signature as gs
from offchain.errors import InvalidInputError
from offchain.protocols.agency_state import AgencyState, BallotRecord, JoinInFlight, MemberRecord, UploadRecord
from offchain.protocols.group_member import GroupUpload
from tests.offchain.acjt_vectors import CERTIFICATE_PRIMES_1024

USER = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
MEMBER = MemberRecord(certificate=7, user=USER, join_id=b"j1", c2=11, e=13, a_cert=17, receipt=b"\x01" * 65)
UPLOAD = UploadRecord(b"\xaa" * 32, b"signature", b"\xbb" * 32, 4, 512, "datashare://cloud/ab")


@pytest.fixture
def state(tmp_path):
    made = AgencyState(tmp_path / "agency.sqlite")
    yield made
    made.close()


def test_certifying_lists_the_member_and_clears_its_join_admission_and_prime_together(state):
    state.admit(USER)
    state.start_join(JoinInFlight(b"j1", USER, "{request}", "{challenge}"))
    assert state.stock_primes([13, 19, 13]) == 2
    state.certify(MEMBER)
    assert state.members() == (MEMBER,) and state.member_by_join(b"j1") == MEMBER
    assert (state.joins(), state.admitted(), state.primes()) == ((), (), (19,))


def test_a_member_listed_twice_is_refused_and_nothing_changes(state):
    state.certify(MEMBER)
    state.start_join(JoinInFlight(b"j2", USER, "{request}", "{challenge}"))
    with pytest.raises(InvalidInputError, match="already listed"):
        state.certify(MemberRecord(7, USER, b"j2", 23, 29, 31, b"\x02" * 65))  # the same certificate
    assert state.members() == (MEMBER,) and [j.join_id for j in state.joins()] == [b"j2"]


def test_an_upload_recorded_on_chain_cannot_be_begun_again(state):
    state.begin_upload(UPLOAD)
    state.finish_upload(UPLOAD.file_id, "0x" + "12" * 32)
    with pytest.raises(InvalidInputError, match="already recorded"):
        state.begin_upload(UPLOAD)
    state.abandon_upload(UPLOAD.file_id)  # only an unrecorded upload is forgotten
    held = state.upload(UPLOAD.file_id)
    assert held is not None and held.tx_hash == "0x" + "12" * 32 and state.upload_ids() == (UPLOAD.file_id,)


def test_an_upload_whose_submission_failed_is_forgotten(state):
    state.begin_upload(UPLOAD)
    state.abandon_upload(UPLOAD.file_id)
    assert state.upload(UPLOAD.file_id) is None


def test_a_ballot_step_of_an_unknown_action_is_refused(state):
    with pytest.raises(InvalidInputError, match="action"):
        state.record_ballot(BallotRecord(1, "cheered", None, True, "", None))
    state.record_ballot(BallotRecord(1, "voted", None, False, "", "0x01"))
    assert state.ballots() == (BallotRecord(1, "voted", None, False, "", "0x01"),)


def test_a_group_upload_round_trips_through_json():
    manager = gs.GroupManager(gs.generate_group(1024))
    manager.add_primes(CERTIFICATE_PRIMES_1024[:1])
    signature = gs.sign(gs.join(manager), b"message")
    upload = GroupUpload(b"\x01" * 32, b"\x02" * 32, 3, 512, "datashare://cloud/x", b"\x03" * 32, signature)
    assert GroupUpload.from_json(upload.to_json()) == upload
    data = json.loads(upload.to_json())
    data["signature"] = data["signature"][:-2]
    with pytest.raises(InvalidInputError, match="not a group upload"):
        GroupUpload.from_json(json.dumps(data))
    with pytest.raises(InvalidInputError, match="not a group upload"):
        GroupUpload.from_json("[]")
