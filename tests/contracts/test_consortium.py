"""Consortium: state changes, events and every revert of each external function; the 2/3 rule."""

from __future__ import annotations

import brownie
import pytest
from brownie import chain
from eth_utils import keccak

from tests.helpers import VOTING_PERIOD_S, custom_error

FILE_ID = keccak(b"upload: scan-0042.dcm")
ROOT = keccak(b"merkle root of the file blocks")
BLOCK_COUNT = 16
SIGNATURE_HASH = keccak(b"ACJT group signature on the upload")
REASON = keccak(b"court order 2026/117")
OPENING = bytes(range(256)) * 4  # 1 KiB: certificate, join receipt and opening proof
MIN_MEMBERS = 3
MAX_VOTING_PERIOD_S = 365 * 24 * 3600
OUTSIDER = "0x000000000000000000000000000000000000dEaD"  # never a Brownie account
ADMISSION, REMOVAL, TRACE = range(3)  # IConsortium.BallotKind
PENDING, APPROVED, REJECTED, EXPIRED, STALE = range(5)  # IConsortium.BallotStatus
DEADLINE_PASSED, MEMBERSHIP_CHANGED = range(2)  # IConsortium.ExpiryReason
RECORD_GAS_GOAL = 120_000
VOTE_GAS_GOAL = 62_000
SET_GROUP_KEY_GAS_GOAL = 71_000  # measured 70,723 (47,744 before the seed was stored)
APPROVING_VOTE_GAS_GOAL = 70_000  # measured 69,887 with the record agency in TraceApproved
BALLOT_FIELDS = (
    "proposer",
    "deadline",
    "kind",
    "status",
    "epoch",
    "approvals",
    "rejections",
    "subject",
    "reasonHash",
    "recordAgency",
)
ZERO_ADDRESS = "0x" + "00" * 20


def hex32(value: bytes) -> str:
    return "0x" + value.hex()


def group_key(i: int) -> bytes:
    return keccak(b"group public key %d" % i)


def group_seed(i: int) -> bytes:
    return keccak(b"group key seed %d" % i)


def subject_of(address: str) -> bytes:
    """An account as a ballot subject: bytes32(uint256(uint160(account)))."""
    return bytes(12) + bytes.fromhex(str(address)[2:])


def ballot_of(consortium, ballot_id: int) -> dict:
    return dict(zip(BALLOT_FIELDS, consortium.ballotOf(ballot_id), strict=True))


def members_of(consortium) -> list[str]:
    return [consortium.memberAt(i) for i in range(consortium.memberCount())]


def submit(consortium, sender, file_id=FILE_ID, root=ROOT, block_count=BLOCK_COUNT, signature_hash=SIGNATURE_HASH):
    return consortium.submitRecord(file_id, root, block_count, signature_hash, {"from": sender})


def approve(consortium, ballot_id, voters):
    """Approvals from ``voters``, in order; the receipt of the last one."""
    return [consortium.vote(ballot_id, True, {"from": v}) for v in voters][-1]


def pass_deadline():
    chain.sleep(VOTING_PERIOD_S + 1)
    chain.mine()


@pytest.fixture
def keyed(consortium, agencies):
    """Every founding agency has set its group key."""
    for i, agency in enumerate(agencies):
        consortium.setGroupKey(group_key(i), group_seed(i), {"from": agency})


@pytest.fixture
def record(consortium, agencies, keyed):
    """Agency 0 submitted the record FILE_ID."""
    return submit(consortium, agencies[0])


@pytest.fixture
def trace(consortium, agencies, record):
    """Agency 1 requested a trace of FILE_ID: ballot 1, one approval of the three needed."""
    return consortium.requestTrace(agencies[0], FILE_ID, REASON, {"from": agencies[1]}).return_value


@pytest.fixture
def approved_trace(consortium, agencies, trace):
    """Ballot 1, the trace of FILE_ID, approved by agencies 1, 2 and 3 (quorum 3 of 4)."""
    approve(consortium, trace, agencies[2:4])
    return trace


@pytest.fixture
def admission(consortium, agencies, candidate):
    """Agency 0 proposed admitting the candidate: ballot 1."""
    return consortium.proposeAdmission(candidate, {"from": agencies[0]}).return_value


@pytest.fixture
def harness(ConsortiumHarness, deployer, agencies):
    return ConsortiumHarness.deploy(agencies, VOTING_PERIOD_S, {"from": deployer})


# --- constructor ----------------------------------------------------------------------------


def test_the_founders_are_the_members_in_order(consortium, agencies):
    assert consortium.memberCount() == 4
    assert members_of(consortium) == agencies
    assert all(consortium.isMember(a) for a in agencies)


def test_the_deployer_and_strangers_are_not_members(consortium, deployer, stranger):
    assert consortium.isMember(deployer) is False
    assert consortium.isMember(stranger) is False


def test_the_constructor_emits_member_admitted_for_each_founder_with_ballot_zero(consortium, agencies):
    events = consortium.tx.events["MemberAdmitted"]
    assert len(events) == 4
    for i, agency in enumerate(agencies):
        assert dict(events[i]) == {"agency": agency, "ballotId": 0, "epoch": 0, "memberCount": i + 1}


def test_the_constructor_sets_the_voting_period_and_epoch_zero(consortium):
    assert consortium.votingPeriod() == VOTING_PERIOD_S
    assert consortium.membershipEpoch() == 0
    assert consortium.ballotCount() == 0


def test_the_constants_are_three_members_and_one_year(consortium):
    assert consortium.MIN_MEMBERS() == MIN_MEMBERS
    assert consortium.MAX_VOTING_PERIOD() == MAX_VOTING_PERIOD_S


@pytest.mark.parametrize("count", [0, 1, 2])
def test_founding_with_fewer_than_three_agencies_reverts(Consortium, deployer, agencies, count):
    with brownie.reverts(custom_error("ConsortiumBelowMinimum", count, MIN_MEMBERS)):
        Consortium.deploy(agencies[:count], VOTING_PERIOD_S, {"from": deployer})


def test_founding_with_the_zero_address_reverts(Consortium, deployer, agencies):
    with brownie.reverts(custom_error("ConsortiumZeroField", "founder")):
        Consortium.deploy([*agencies[:3], "0x" + "00" * 20], VOTING_PERIOD_S, {"from": deployer})


def test_founding_with_a_repeated_agency_reverts(Consortium, deployer, agencies):
    with brownie.reverts(custom_error("ConsortiumAlreadyMember", agencies[1].address)):
        Consortium.deploy([*agencies[:3], agencies[1]], VOTING_PERIOD_S, {"from": deployer})


@pytest.mark.parametrize("period", [0, MAX_VOTING_PERIOD_S + 1])
def test_founding_with_a_voting_period_out_of_range_reverts(Consortium, deployer, agencies, period):
    with brownie.reverts(custom_error("ConsortiumInvalidVotingPeriod", period, MAX_VOTING_PERIOD_S)):
        Consortium.deploy(agencies, period, {"from": deployer})


@pytest.mark.parametrize("period", [1, MAX_VOTING_PERIOD_S])
def test_founding_with_a_voting_period_at_the_bounds_works(Consortium, deployer, agencies, period):
    assert Consortium.deploy(agencies, period, {"from": deployer}).votingPeriod() == period


def test_member_at_beyond_the_last_member_reverts(consortium):
    with brownie.reverts(custom_error("ConsortiumMemberIndexOutOfRange", 4, 4)):
        consortium.memberAt(4)


# --- the 2/3 rule ---------------------------------------------------------------------------

QUORUM_TABLE = [(3, 2), (4, 3), (5, 4), (6, 4), (7, 5), (8, 6), (9, 6), (10, 7)]


@pytest.fixture
def sized(Consortium, accounts, deployer, request):
    """A consortium of the first n accounts, with agency 0's admission of OUTSIDER as ballot 1."""
    n = request.param
    contract = Consortium.deploy(list(accounts[:n]), VOTING_PERIOD_S, {"from": deployer})
    contract.proposeAdmission(OUTSIDER, {"from": accounts[0]})
    return contract, list(accounts[:n])


@pytest.mark.parametrize(("n", "expected"), QUORUM_TABLE)
def test_quorum_is_the_ceiling_of_two_thirds(Consortium, accounts, deployer, n, expected):
    contract = Consortium.deploy(list(accounts[:n]), VOTING_PERIOD_S, {"from": deployer})
    assert contract.quorum() == expected


@pytest.mark.parametrize(("sized", "quorum"), QUORUM_TABLE, indirect=["sized"])
def test_a_ballot_is_approved_by_exactly_the_quorum(sized, quorum):
    contract, members = sized
    if quorum > 2:
        approve(contract, 1, members[1 : quorum - 1])  # the proposer's approval + quorum - 2
    assert ballot_of(contract, 1)["status"] == PENDING
    contract.vote(1, True, {"from": members[quorum - 1]})
    assert ballot_of(contract, 1)["status"] == APPROVED
    assert contract.isMember(OUTSIDER) is True


@pytest.mark.parametrize(("sized", "quorum"), QUORUM_TABLE, indirect=["sized"])
def test_a_ballot_is_rejected_once_the_quorum_is_out_of_reach(sized, quorum):
    contract, members = sized
    n = len(members)
    for voter in members[1 : n - quorum + 1]:  # n - quorum rejections: the quorum is still reachable
        contract.vote(1, False, {"from": voter})
    assert ballot_of(contract, 1)["status"] == PENDING
    contract.vote(1, False, {"from": members[n - quorum + 1]})
    assert ballot_of(contract, 1)["status"] == REJECTED


# --- setGroupKey ----------------------------------------------------------------------------


def test_set_group_key_emits_group_key_set_with_the_hash_and_seed(consortium, agencies):
    tx = consortium.setGroupKey(group_key(0), group_seed(0), {"from": agencies[0]})
    assert dict(tx.events["GroupKeySet"]) == {
        "agency": agencies[0],
        "groupKeyHash": hex32(group_key(0)),
        "groupKeySeed": hex32(group_seed(0)),
    }


def test_set_group_key_stores_the_hash_and_the_seed(consortium, agencies):
    consortium.setGroupKey(group_key(0), group_seed(0), {"from": agencies[0]})
    assert consortium.groupKeyOf(agencies[0]) == hex32(group_key(0))
    assert consortium.groupKeySeedOf(agencies[0]) == hex32(group_seed(0))


def test_a_member_may_rotate_its_group_key_and_seed(consortium, agencies):
    consortium.setGroupKey(group_key(0), group_seed(0), {"from": agencies[0]})
    consortium.setGroupKey(group_key(9), group_seed(9), {"from": agencies[0]})
    assert consortium.groupKeyOf(agencies[0]) == hex32(group_key(9))
    assert consortium.groupKeySeedOf(agencies[0]) == hex32(group_seed(9))


def test_group_key_and_seed_of_an_agency_without_one_are_zero(consortium, agencies):
    assert consortium.groupKeyOf(agencies[0]) == hex32(bytes(32))
    assert consortium.groupKeySeedOf(agencies[0]) == hex32(bytes(32))


def test_set_group_key_by_a_non_member_reverts(consortium, stranger):
    with brownie.reverts(custom_error("ConsortiumNotMember", stranger.address)):
        consortium.setGroupKey(group_key(0), group_seed(0), {"from": stranger})


def test_set_group_key_to_zero_reverts(consortium, agencies):
    with brownie.reverts(custom_error("ConsortiumZeroField", "groupKeyHash")):
        consortium.setGroupKey(bytes(32), group_seed(0), {"from": agencies[0]})


def test_set_group_key_with_a_zero_seed_reverts(consortium, agencies):
    with brownie.reverts(custom_error("ConsortiumZeroField", "groupKeySeed")):
        consortium.setGroupKey(group_key(0), bytes(32), {"from": agencies[0]})


def test_setting_a_group_key_costs_at_most_71000_gas(consortium, agencies):
    assert consortium.setGroupKey(group_key(0), group_seed(0), {"from": agencies[0]}).gas_used <= SET_GROUP_KEY_GAS_GOAL


# --- submitRecord ---------------------------------------------------------------------------


def test_submit_record_emits_record_submitted_with_every_field(consortium, agencies, keyed):
    event = submit(consortium, agencies[0]).events["RecordSubmitted"]
    assert dict(event) == {
        "fileId": hex32(FILE_ID),
        "agency": agencies[0],
        "merkleRoot": hex32(ROOT),
        "blockCount": BLOCK_COUNT,
        "signatureHash": hex32(SIGNATURE_HASH),
        "groupKeyHash": hex32(group_key(0)),
    }


def test_submit_record_stores_every_field(consortium, agencies, keyed):
    tx = submit(consortium, agencies[0])
    agency, block_count, submitted_at, key_hash, root, signature_hash = consortium.recordOf(agencies[0], FILE_ID)
    assert (agency, block_count, submitted_at) == (agencies[0], BLOCK_COUNT, tx.timestamp)
    assert (key_hash, root, signature_hash) == (hex32(group_key(0)), hex32(ROOT), hex32(SIGNATURE_HASH))


def test_a_record_keeps_the_group_key_of_its_submission_after_a_rotation(consortium, agencies, record):
    consortium.setGroupKey(group_key(9), group_seed(9), {"from": agencies[0]})
    assert consortium.recordOf(agencies[0], FILE_ID)[3] == hex32(group_key(0))


def test_the_largest_block_count_is_accepted(consortium, agencies, keyed):
    submit(consortium, agencies[0], block_count=2**64 - 1)
    assert consortium.recordOf(agencies[0], FILE_ID)[1] == 2**64 - 1


def test_submit_record_by_a_member_without_a_group_key_reverts(consortium, agencies):
    with brownie.reverts(custom_error("ConsortiumGroupKeyNotSet", agencies[0].address)):
        submit(consortium, agencies[0])


def test_submit_record_by_a_non_member_reverts(consortium, stranger):
    with brownie.reverts(custom_error("ConsortiumNotMember", stranger.address)):
        submit(consortium, stranger)


def test_an_agency_submitting_one_of_its_file_ids_twice_reverts(consortium, agencies, record):
    with brownie.reverts(custom_error("ConsortiumRecordAlreadySubmitted", FILE_ID, agencies[0].address)):
        submit(consortium, agencies[0], root=keccak(b"other root"))


def test_a_rival_agency_submitting_the_file_id_first_does_not_block_the_honest_record(consortium, agencies, keyed):
    """Issue 23, finding 6: records are keyed by (agency, file id), so front-running takes nothing."""
    submit(consortium, agencies[1], root=keccak(b"the rival's root"))
    tx = submit(consortium, agencies[0])
    assert tx.events["RecordSubmitted"]["agency"] == agencies[0]
    assert consortium.recordOf(agencies[0], FILE_ID)[:1] + consortium.recordOf(agencies[0], FILE_ID)[4:5] == (
        agencies[0],
        hex32(ROOT),
    )
    assert consortium.recordOf(agencies[1], FILE_ID)[4] == hex32(keccak(b"the rival's root"))


def test_a_trace_of_the_honest_record_opens_only_through_its_own_agency(consortium, agencies, keyed, owner):
    submit(consortium, agencies[1], root=keccak(b"the rival's root"))
    submit(consortium, agencies[0])
    ballot = consortium.requestTrace(agencies[0], FILE_ID, REASON, {"from": agencies[2]}).return_value
    approve(consortium, ballot, agencies[1:2] + agencies[3:4])
    error = custom_error("ConsortiumNotRecordAgency", FILE_ID, agencies[1].address, agencies[0].address)
    with brownie.reverts(error):
        publish(consortium, agencies[1], ballot, owner)
    assert publish(consortium, agencies[0], ballot, owner).events["TraceOpened"]["agency"] == agencies[0]


@pytest.mark.parametrize("field", ["fileId", "merkleRoot", "blockCount", "signatureHash"])
def test_submit_record_with_a_zero_field_reverts(consortium, agencies, keyed, field):
    fields = {"file_id": FILE_ID, "root": ROOT, "block_count": BLOCK_COUNT, "signature_hash": SIGNATURE_HASH}
    name = {"fileId": "file_id", "merkleRoot": "root", "blockCount": "block_count", "signatureHash": "signature_hash"}
    fields[name[field]] = 0 if field == "blockCount" else bytes(32)
    with brownie.reverts(custom_error("ConsortiumZeroField", field)):
        submit(consortium, agencies[0], **fields)


def test_record_of_an_unknown_file_id_reverts(consortium):
    with brownie.reverts(custom_error("ConsortiumUnknownRecord", ZERO_ADDRESS, FILE_ID)):
        consortium.recordOf(ZERO_ADDRESS, FILE_ID)


def test_record_of_a_file_id_under_another_agency_reverts(consortium, agencies, record):
    with brownie.reverts(custom_error("ConsortiumUnknownRecord", agencies[1].address, FILE_ID)):
        consortium.recordOf(agencies[1], FILE_ID)


@pytest.mark.parametrize("earlier_records", [0, 1], ids=["first_record", "later_record"])
def test_submitting_a_record_costs_at_most_120000_gas(consortium, agencies, keyed, earlier_records):
    for i in range(earlier_records):
        submit(consortium, agencies[1], file_id=keccak(b"earlier %d" % i))
    assert submit(consortium, agencies[0]).gas_used <= RECORD_GAS_GOAL


# --- proposals ------------------------------------------------------------------------------


def test_propose_admission_emits_ballot_opened_with_every_field(consortium, agencies, candidate):
    tx = consortium.proposeAdmission(candidate, {"from": agencies[0]})
    assert dict(tx.events["BallotOpened"]) == {
        "ballotId": 1,
        "kind": ADMISSION,
        "proposer": agencies[0],
        "subject": hex32(subject_of(candidate.address)),
        "recordAgency": ZERO_ADDRESS,
        "reasonHash": hex32(bytes(32)),
        "deadline": tx.timestamp + VOTING_PERIOD_S,
        "epoch": 0,
    }


def test_a_proposal_counts_the_proposers_approval_as_a_vote(consortium, agencies, candidate):
    tx = consortium.proposeAdmission(candidate, {"from": agencies[0]})
    assert dict(tx.events["Voted"]) == {
        "ballotId": 1,
        "voter": agencies[0],
        "support": True,
        "approvals": 1,
        "rejections": 0,
    }
    assert consortium.hasVoted(1, agencies[0]) is True


def test_propose_admission_stores_the_ballot(consortium, agencies, candidate):
    tx = consortium.proposeAdmission(candidate, {"from": agencies[0]})
    assert ballot_of(consortium, 1) == {
        "proposer": agencies[0],
        "deadline": tx.timestamp + VOTING_PERIOD_S,
        "kind": ADMISSION,
        "status": PENDING,
        "epoch": 0,
        "approvals": 1,
        "rejections": 0,
        "subject": hex32(subject_of(candidate.address)),
        "reasonHash": hex32(bytes(32)),
        "recordAgency": ZERO_ADDRESS,
    }


def test_ballot_ids_count_up_from_one_across_kinds(consortium, agencies, candidate, record):
    ids = [
        consortium.proposeAdmission(candidate, {"from": agencies[0]}).return_value,
        consortium.proposeRemoval(agencies[3], {"from": agencies[1]}).return_value,
        consortium.requestTrace(agencies[0], FILE_ID, REASON, {"from": agencies[2]}).return_value,
    ]
    assert ids == [1, 2, 3]
    assert consortium.ballotCount() == 3


def test_propose_removal_stores_the_member_as_subject(consortium, agencies):
    tx = consortium.proposeRemoval(agencies[3], {"from": agencies[0]})
    assert tx.events["BallotOpened"]["kind"] == REMOVAL
    assert ballot_of(consortium, 1)["subject"] == hex32(subject_of(agencies[3].address))


def test_a_member_may_propose_its_own_removal(consortium, agencies):
    consortium.proposeRemoval(agencies[0], {"from": agencies[0]})
    assert ballot_of(consortium, 1)["proposer"] == agencies[0]


def test_request_trace_stores_the_record_agency_file_id_and_reason(consortium, agencies, record):
    tx = consortium.requestTrace(agencies[0], FILE_ID, REASON, {"from": agencies[1]})
    event = tx.events["BallotOpened"]
    assert (event["kind"], event["subject"], event["recordAgency"], event["reasonHash"]) == (
        TRACE,
        hex32(FILE_ID),
        agencies[0],
        hex32(REASON),
    )
    ballot = ballot_of(consortium, 1)
    assert (ballot["subject"], ballot["reasonHash"], ballot["recordAgency"]) == (
        hex32(FILE_ID),
        hex32(REASON),
        agencies[0],
    )


@pytest.mark.parametrize("proposal", ["proposeAdmission", "proposeRemoval", "requestTrace"])
def test_a_non_member_cannot_propose(consortium, agencies, record, stranger, candidate, proposal):
    args = {
        "proposeAdmission": (candidate,),
        "proposeRemoval": (agencies[3],),
        "requestTrace": (agencies[0], FILE_ID, REASON),
    }[proposal]
    with brownie.reverts(custom_error("ConsortiumNotMember", stranger.address)):
        getattr(consortium, proposal)(*args, {"from": stranger})


def test_proposing_to_admit_a_member_reverts(consortium, agencies):
    with brownie.reverts(custom_error("ConsortiumAlreadyMember", agencies[2].address)):
        consortium.proposeAdmission(agencies[2], {"from": agencies[0]})


def test_proposing_to_admit_the_zero_address_reverts(consortium, agencies):
    with brownie.reverts(custom_error("ConsortiumZeroField", "candidate")):
        consortium.proposeAdmission("0x" + "00" * 20, {"from": agencies[0]})


def test_proposing_to_remove_a_non_member_reverts(consortium, agencies, stranger):
    with brownie.reverts(custom_error("ConsortiumNotMember", stranger.address)):
        consortium.proposeRemoval(stranger, {"from": agencies[0]})


def test_proposing_a_removal_below_three_members_reverts(Consortium, deployer, agencies):
    trio = Consortium.deploy(agencies[:3], VOTING_PERIOD_S, {"from": deployer})
    with brownie.reverts(custom_error("ConsortiumBelowMinimum", 2, MIN_MEMBERS)):
        trio.proposeRemoval(agencies[2], {"from": agencies[0]})


def test_requesting_a_trace_of_an_unknown_record_reverts(consortium, agencies):
    with brownie.reverts(custom_error("ConsortiumUnknownRecord", agencies[0].address, FILE_ID)):
        consortium.requestTrace(agencies[0], FILE_ID, REASON, {"from": agencies[1]})


def test_requesting_a_trace_of_a_file_id_under_the_wrong_agency_reverts(consortium, agencies, record):
    with brownie.reverts(custom_error("ConsortiumUnknownRecord", agencies[2].address, FILE_ID)):
        consortium.requestTrace(agencies[2], FILE_ID, REASON, {"from": agencies[1]})


def test_requesting_a_trace_without_a_reason_reverts(consortium, agencies, record):
    with brownie.reverts(custom_error("ConsortiumZeroField", "reasonHash")):
        consortium.requestTrace(agencies[0], FILE_ID, bytes(32), {"from": agencies[1]})


def test_ballot_of_an_unknown_id_reverts(consortium):
    with brownie.reverts(custom_error("ConsortiumUnknownBallot", 1)):
        consortium.ballotOf(1)


# --- vote -----------------------------------------------------------------------------------


def test_an_approval_is_counted_and_emits_voted(consortium, agencies, admission):
    tx = consortium.vote(admission, True, {"from": agencies[1]})
    assert dict(tx.events["Voted"]) == {
        "ballotId": admission,
        "voter": agencies[1],
        "support": True,
        "approvals": 2,
        "rejections": 0,
    }
    assert (ballot_of(consortium, admission)["approvals"], consortium.hasVoted(admission, agencies[1])) == (2, True)


def test_a_rejection_is_counted_and_emits_voted(consortium, agencies, admission):
    tx = consortium.vote(admission, False, {"from": agencies[1]})
    assert (tx.events["Voted"]["support"], tx.events["Voted"]["rejections"]) == (False, 1)
    ballot = ballot_of(consortium, admission)
    assert (ballot["approvals"], ballot["rejections"], ballot["status"]) == (1, 1, PENDING)


def test_has_voted_is_false_before_a_vote(consortium, agencies, admission):
    assert consortium.hasVoted(admission, agencies[1]) is False


def test_a_non_member_cannot_vote(consortium, admission, stranger):
    with brownie.reverts(custom_error("ConsortiumNotMember", stranger.address)):
        consortium.vote(admission, True, {"from": stranger})


def test_a_member_cannot_vote_twice(consortium, agencies, admission):
    consortium.vote(admission, False, {"from": agencies[1]})
    with brownie.reverts(custom_error("ConsortiumAlreadyVoted", admission, agencies[1].address)):
        consortium.vote(admission, True, {"from": agencies[1]})


def test_the_proposer_cannot_vote_again(consortium, agencies, admission):
    with brownie.reverts(custom_error("ConsortiumAlreadyVoted", admission, agencies[0].address)):
        consortium.vote(admission, True, {"from": agencies[0]})


def test_voting_on_an_unknown_ballot_reverts(consortium, agencies):
    with brownie.reverts(custom_error("ConsortiumUnknownBallot", 7)):
        consortium.vote(7, True, {"from": agencies[0]})


def test_voting_after_the_deadline_reverts(consortium, agencies, admission):
    deadline = ballot_of(consortium, admission)["deadline"]
    pass_deadline()
    with brownie.reverts(custom_error("ConsortiumBallotExpired", admission, deadline)):
        consortium.vote(admission, True, {"from": agencies[1]})


def test_a_ballot_past_its_deadline_reads_as_expired(consortium, admission):
    pass_deadline()
    assert ballot_of(consortium, admission)["status"] == EXPIRED


def test_voting_on_an_approved_ballot_reverts(consortium, agencies, approved_trace):
    with brownie.reverts(custom_error("ConsortiumBallotNotPending", approved_trace, APPROVED)):
        consortium.vote(approved_trace, True, {"from": agencies[0]})


def test_voting_on_a_rejected_ballot_reverts(consortium, agencies, admission):
    consortium.vote(admission, False, {"from": agencies[1]})
    consortium.vote(admission, False, {"from": agencies[2]})
    with brownie.reverts(custom_error("ConsortiumBallotNotPending", admission, REJECTED)):
        consortium.vote(admission, True, {"from": agencies[3]})


def test_voting_on_an_expired_ballot_reverts(consortium, agencies, admission, stranger):
    pass_deadline()
    consortium.expire(admission, {"from": stranger})
    with brownie.reverts(custom_error("ConsortiumBallotNotPending", admission, EXPIRED)):
        consortium.vote(admission, True, {"from": agencies[1]})


@pytest.fixture
def stale_trace(consortium, agencies, candidate, trace):
    """Ballot 1, the trace of FILE_ID, made stale by the admission of the candidate (ballot 2)."""
    admission = consortium.proposeAdmission(candidate, {"from": agencies[0]}).return_value
    approve(consortium, admission, agencies[1:3])
    return trace


def test_a_membership_change_makes_pending_ballots_stale(consortium, stale_trace):
    assert consortium.membershipEpoch() == 1
    assert ballot_of(consortium, stale_trace)["status"] == STALE


def test_voting_on_a_stale_ballot_reverts(consortium, agencies, stale_trace):
    with brownie.reverts(custom_error("ConsortiumBallotStale", stale_trace, 0, 1)):
        consortium.vote(stale_trace, True, {"from": agencies[2]})


def test_a_stale_ballot_proposed_again_can_be_approved(consortium, agencies, candidate, stale_trace):
    again = consortium.requestTrace(agencies[0], FILE_ID, REASON, {"from": agencies[1]}).return_value
    approve(consortium, again, [agencies[2], agencies[3], candidate])  # quorum of 5 is 4
    assert ballot_of(consortium, again)["status"] == APPROVED


def test_an_approved_admission_admits_the_candidate_at_once(consortium, agencies, candidate, admission):
    tx = approve(consortium, admission, agencies[1:3])
    assert dict(tx.events["MemberAdmitted"]) == {
        "agency": candidate,
        "ballotId": admission,
        "epoch": 1,
        "memberCount": 5,
    }
    assert members_of(consortium) == [*agencies, candidate]
    assert (consortium.membershipEpoch(), consortium.quorum()) == (1, 4)
    assert ballot_of(consortium, admission)["status"] == APPROVED


def test_an_admitted_agency_can_vote_and_propose(consortium, agencies, candidate, admission, stranger):
    approve(consortium, admission, agencies[1:3])
    ballot = consortium.proposeAdmission(stranger, {"from": candidate}).return_value
    consortium.vote(ballot, True, {"from": agencies[0]})
    assert ballot_of(consortium, ballot)["approvals"] == 2


def test_an_approved_removal_moves_the_last_member_into_the_gap(consortium, agencies):
    ballot = consortium.proposeRemoval(agencies[1], {"from": agencies[0]}).return_value
    tx = approve(consortium, ballot, agencies[2:4])
    assert dict(tx.events["MemberRemoved"]) == {
        "agency": agencies[1],
        "ballotId": ballot,
        "epoch": 1,
        "memberCount": 3,
    }
    assert members_of(consortium) == [agencies[0], agencies[3], agencies[2]]
    assert consortium.isMember(agencies[1]) is False
    assert (consortium.membershipEpoch(), consortium.quorum()) == (1, 2)


def test_an_approved_removal_of_the_last_member_keeps_the_order(consortium, agencies):
    ballot = consortium.proposeRemoval(agencies[3], {"from": agencies[0]}).return_value
    approve(consortium, ballot, agencies[1:3])
    assert members_of(consortium) == agencies[:3]


def test_a_removed_agency_loses_its_group_key_and_cannot_submit(consortium, agencies, keyed):
    ballot = consortium.proposeRemoval(agencies[3], {"from": agencies[0]}).return_value
    approve(consortium, ballot, agencies[1:3])
    assert consortium.groupKeyOf(agencies[3]) == hex32(bytes(32))
    assert consortium.groupKeySeedOf(agencies[3]) == hex32(bytes(32))
    with brownie.reverts(custom_error("ConsortiumNotMember", agencies[3].address)):
        submit(consortium, agencies[3])


def test_a_removed_agency_cannot_vote(consortium, agencies, candidate):
    removal = consortium.proposeRemoval(agencies[3], {"from": agencies[0]}).return_value
    approve(consortium, removal, agencies[1:3])
    admission = consortium.proposeAdmission(candidate, {"from": agencies[0]}).return_value
    with brownie.reverts(custom_error("ConsortiumNotMember", agencies[3].address)):
        consortium.vote(admission, True, {"from": agencies[3]})


def test_an_approved_trace_emits_trace_approved_as_public_proof(consortium, agencies, trace):
    tx = approve(consortium, trace, agencies[2:4])
    assert dict(tx.events["TraceApproved"]) == {
        "ballotId": trace,
        "fileId": hex32(FILE_ID),
        "recordAgency": agencies[0],
        "approvals": 3,
        "memberCount": 4,
        "quorum": 3,
    }
    assert ballot_of(consortium, trace)["status"] == APPROVED


def test_an_approved_trace_leaves_the_membership_as_it_was(consortium, agencies, approved_trace):
    assert consortium.membershipEpoch() == 0
    assert members_of(consortium) == agencies


def test_a_rejected_ballot_emits_ballot_rejected(consortium, agencies, trace):
    consortium.vote(trace, False, {"from": agencies[2]})
    tx = consortium.vote(trace, False, {"from": agencies[3]})
    assert dict(tx.events["BallotRejected"]) == {"ballotId": trace, "approvals": 1, "rejections": 2}
    assert ballot_of(consortium, trace)["status"] == REJECTED


def test_a_removal_below_three_members_reverts_at_execution(harness, agencies):
    ballot = harness.proposeRemoval(agencies[3], {"from": agencies[0]}).return_value
    harness.removeKeepingEpoch(agencies[2], {"from": agencies[0]})  # 3 members, the ballot still live
    with brownie.reverts(custom_error("ConsortiumBelowMinimum", 2, MIN_MEMBERS)):
        harness.vote(ballot, True, {"from": agencies[1]})


def test_a_vote_costs_at_most_62000_gas(consortium, agencies, trace):
    assert consortium.vote(trace, True, {"from": agencies[2]}).gas_used <= VOTE_GAS_GOAL  # 2 of 3 approvals


def test_the_vote_that_approves_a_trace_costs_at_most_70000_gas(consortium, agencies, trace):
    consortium.vote(trace, True, {"from": agencies[2]})
    assert consortium.vote(trace, True, {"from": agencies[3]}).gas_used <= APPROVING_VOTE_GAS_GOAL


# --- expire ---------------------------------------------------------------------------------


def test_anyone_may_expire_a_ballot_past_its_deadline(consortium, admission, stranger):
    pass_deadline()
    tx = consortium.expire(admission, {"from": stranger})
    assert dict(tx.events["BallotExpired"]) == {"ballotId": admission, "reason": DEADLINE_PASSED}
    assert ballot_of(consortium, admission)["status"] == EXPIRED


def test_expiring_a_stale_ballot_gives_the_membership_change_as_reason(consortium, stale_trace, stranger):
    pass_deadline()  # stale and past the deadline: staleness is the reason given
    tx = consortium.expire(stale_trace, {"from": stranger})
    assert dict(tx.events["BallotExpired"]) == {"ballotId": stale_trace, "reason": MEMBERSHIP_CHANGED}
    assert ballot_of(consortium, stale_trace)["status"] == EXPIRED


def test_expiring_a_live_ballot_reverts(consortium, admission, stranger):
    deadline = ballot_of(consortium, admission)["deadline"]
    with brownie.reverts(custom_error("ConsortiumBallotStillOpen", admission, deadline)):
        consortium.expire(admission, {"from": stranger})


def test_expiring_a_decided_ballot_reverts(consortium, approved_trace, stranger):
    pass_deadline()
    with brownie.reverts(custom_error("ConsortiumBallotNotPending", approved_trace, APPROVED)):
        consortium.expire(approved_trace, {"from": stranger})


def test_expiring_an_unknown_ballot_reverts(consortium, stranger):
    with brownie.reverts(custom_error("ConsortiumUnknownBallot", 1)):
        consortium.expire(1, {"from": stranger})


# --- publishOpening -------------------------------------------------------------------------


def publish(consortium, sender, ballot_id, signer, opening=OPENING):
    return consortium.publishOpening(ballot_id, signer, opening, {"from": sender})


def test_publish_opening_emits_trace_opened_with_every_field(consortium, agencies, approved_trace, owner):
    tx = publish(consortium, agencies[0], approved_trace, owner)
    assert dict(tx.events["TraceOpened"]) == {
        "ballotId": approved_trace,
        "fileId": hex32(FILE_ID),
        "agency": agencies[0],
        "signer": owner,
        "opening": "0x" + OPENING.hex(),
    }


def test_publish_opening_stores_the_signer_the_hash_and_the_time(consortium, agencies, approved_trace, owner):
    tx = publish(consortium, agencies[0], approved_trace, owner)
    signer, opening_hash, opened_at = consortium.openingOf(approved_trace)
    assert (signer, opening_hash, opened_at) == (owner.address, hex32(keccak(OPENING)), tx.timestamp)


def test_opening_of_an_unopened_ballot_reverts(consortium, approved_trace):
    with brownie.reverts(custom_error("ConsortiumNotOpened", approved_trace)):
        consortium.openingOf(approved_trace)


def test_opening_a_pending_trace_reverts(consortium, agencies, trace, owner):
    error = custom_error("ConsortiumNotApprovedTrace", trace, TRACE, PENDING)
    with brownie.reverts(error):
        publish(consortium, agencies[0], trace, owner)


def test_opening_a_rejected_trace_reverts(consortium, agencies, trace, owner):
    consortium.vote(trace, False, {"from": agencies[2]})
    consortium.vote(trace, False, {"from": agencies[3]})
    error = custom_error("ConsortiumNotApprovedTrace", trace, TRACE, REJECTED)
    with brownie.reverts(error):
        publish(consortium, agencies[0], trace, owner)


def test_opening_an_approved_admission_reverts(consortium, agencies, admission, owner):
    approve(consortium, admission, agencies[1:3])
    error = custom_error("ConsortiumNotApprovedTrace", admission, ADMISSION, APPROVED)
    with brownie.reverts(error):
        publish(consortium, agencies[0], admission, owner)


def test_opening_by_another_agency_reverts(consortium, agencies, approved_trace, owner):
    error = custom_error("ConsortiumNotRecordAgency", FILE_ID, agencies[1].address, agencies[0].address)
    with brownie.reverts(error):
        publish(consortium, agencies[1], approved_trace, owner)


def test_opening_by_a_removed_record_agency_reverts(consortium, agencies, approved_trace, owner):
    removal = consortium.proposeRemoval(agencies[0], {"from": agencies[1]}).return_value
    approve(consortium, removal, agencies[2:4])
    with brownie.reverts(custom_error("ConsortiumNotMember", agencies[0].address)):
        publish(consortium, agencies[0], approved_trace, owner)


def test_opening_twice_reverts(consortium, agencies, approved_trace, owner):
    publish(consortium, agencies[0], approved_trace, owner)
    with brownie.reverts(custom_error("ConsortiumAlreadyOpened", approved_trace)):
        publish(consortium, agencies[0], approved_trace, owner, opening=b"another opening")


def test_opening_with_a_zero_signer_reverts(consortium, agencies, approved_trace):
    with brownie.reverts(custom_error("ConsortiumZeroField", "signer")):
        publish(consortium, agencies[0], approved_trace, "0x" + "00" * 20)


def test_opening_with_empty_bytes_reverts(consortium, agencies, approved_trace, owner):
    with brownie.reverts(custom_error("ConsortiumEmptyOpening")):
        publish(consortium, agencies[0], approved_trace, owner, opening=b"")


def test_opening_an_unknown_ballot_reverts(consortium, agencies, owner):
    with brownie.reverts(custom_error("ConsortiumUnknownBallot", 1)):
        publish(consortium, agencies[0], 1, owner)
