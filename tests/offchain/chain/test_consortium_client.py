"""ConsortiumClient against a deployed Consortium: typed round trips, input checks before any
transaction, reverts mapped to typed errors, and openings checked against the hash on chain."""

from __future__ import annotations

import dataclasses

import pytest
from brownie import chain
from eth_utils import keccak

from offchain.chain import consortium as consortium_module
from offchain.chain.consortium import (
    MAX_BLOCK_COUNT,
    Ballot,
    BallotKind,
    BallotStatus,
    ConsortiumClient,
    ConsortiumRecord,
    PublishedGroupKeys,
    TraceOpening,
    quorum_of,
)
from offchain.errors import (
    IntegrityError,
    InvalidInputError,
    TransactionRevertedError,
    UnknownBallotError,
    UnknownRecordError,
)
from tests.helpers import VOTING_PERIOD_S

FILE_ID = keccak(b"upload: lab-results-7.csv")
ROOT = keccak(b"merkle root")
SIGNATURE_HASH = keccak(b"group signature")
GROUP_KEY = keccak(b"group public key")
GROUP_SEED = keccak(b"group key seed")
REASON = keccak(b"dispute 2026-31")
OPENING = b"certificate|join receipt|chaum-pedersen proof" * 20
ZERO_ADDRESS = "0x" + "00" * 20


def without_transaction(value):
    """``value`` as a read returns it: no transaction hash or gas."""
    return dataclasses.replace(value, tx_hash=None, gas_used=None)


@pytest.fixture(scope="module")
def client(consortium):
    return ConsortiumClient(consortium, from_block=consortium.tx.block_number)


@pytest.fixture
def record(client, agencies):
    """Agency 0 set its group key and submitted FILE_ID."""
    client.set_group_key(sender=agencies[0], key_hash=GROUP_KEY, seed=GROUP_SEED)
    return client.submit_record(
        sender=agencies[0], file_id=FILE_ID, merkle_root=ROOT, block_count=16, signature_hash=SIGNATURE_HASH
    )


@pytest.fixture
def approved_trace(client, agencies, record):
    """A trace of FILE_ID requested by agency 1 and approved by agencies 2 and 3."""
    ballot = client.request_trace(sender=agencies[1], agency=agencies[0].address, file_id=FILE_ID, reason_hash=REASON)
    client.vote(sender=agencies[2], ballot_id=ballot.ballot_id)
    return client.vote(sender=agencies[3], ballot_id=ballot.ballot_id)


# --- membership -----------------------------------------------------------------------------


def test_members_lists_the_founders(client, agencies):
    assert client.members() == [a.address for a in agencies]
    assert client.member_count() == 4


def test_is_member_accepts_addresses_and_accounts(client, agencies, stranger):
    assert client.is_member(agencies[0].address) is True
    assert client.is_member(agencies[0]) is True
    assert client.is_member(stranger.address) is False


def test_quorum_of_four_is_three(client):
    assert client.quorum() == quorum_of(4) == 3


@pytest.mark.parametrize(("n", "expected"), [(3, 2), (4, 3), (5, 4), (6, 4), (7, 5), (8, 6), (9, 6), (10, 7)])
def test_quorum_of_is_the_ceiling_of_two_thirds(n, expected):
    assert quorum_of(n) == expected


def test_epoch_and_voting_period_are_read_from_the_contract(client):
    assert (client.membership_epoch(), client.voting_period_s()) == (0, VOTING_PERIOD_S)


# --- group keys and records -----------------------------------------------------------------


def test_group_key_of_round_trips_set_group_key(client, agencies):
    client.set_group_key(sender=agencies[1], key_hash=GROUP_KEY, seed=GROUP_SEED)
    assert client.group_key_of(agencies[1].address) == GROUP_KEY


def test_group_key_of_an_agency_without_one_is_none(client, agencies):
    assert client.group_key_of(agencies[1].address) is None


def test_group_key_seed_of_round_trips_set_group_key(client, agencies):
    client.set_group_key(sender=agencies[1], key_hash=GROUP_KEY, seed=GROUP_SEED)
    assert client.group_key_seed_of(agencies[1].address) == GROUP_SEED


def test_group_key_seed_of_an_agency_without_one_is_none(client, agencies):
    assert client.group_key_seed_of(agencies[1].address) is None


def test_submit_record_returns_the_record_with_its_transaction(client, agencies, record):
    assert isinstance(record, ConsortiumRecord)
    assert (record.file_id, record.agency, record.group_key_hash) == (FILE_ID, agencies[0].address, GROUP_KEY)
    assert (record.merkle_root, record.block_count, record.signature_hash) == (ROOT, 16, SIGNATURE_HASH)
    assert record.tx_hash is not None and record.tx_hash.startswith("0x")
    assert record.gas_used is not None and 0 < record.gas_used <= 120_000


def test_get_record_reads_back_what_was_submitted(client, agencies, record):
    assert client.get_record(agencies[0].address, FILE_ID) == without_transaction(record)


def test_get_record_of_an_unknown_id_raises_unknown_record_error(client, agencies):
    with pytest.raises(UnknownRecordError, match=f"by agency {agencies[0].address} under file id 0x{FILE_ID.hex()}"):
        client.get_record(agencies[0].address, FILE_ID)


def test_a_rival_agencys_record_under_the_same_file_id_is_a_record_of_its_own(client, agencies, record):
    client.set_group_key(sender=agencies[1], key_hash=GROUP_KEY, seed=GROUP_SEED)
    rival = client.submit_record(
        sender=agencies[1], file_id=FILE_ID, merkle_root=ROOT, block_count=1, signature_hash=SIGNATURE_HASH
    )
    assert rival.agency == agencies[1].address
    assert client.get_record(agencies[0].address, FILE_ID) == without_transaction(record)


def test_submit_record_without_a_group_key_raises_the_contracts_error(client, agencies):
    with pytest.raises(TransactionRevertedError) as info:
        client.submit_record(
            sender=agencies[1], file_id=FILE_ID, merkle_root=ROOT, block_count=1, signature_hash=SIGNATURE_HASH
        )
    assert (info.value.contract, info.value.function) == ("Consortium", "submitRecord")
    assert info.value.error_name == "ConsortiumGroupKeyNotSet"


# --- ballots --------------------------------------------------------------------------------


def test_propose_admission_returns_the_pending_ballot(client, agencies, candidate):
    ballot = client.propose_admission(sender=agencies[0], candidate=candidate.address)
    assert isinstance(ballot, Ballot)
    assert (ballot.ballot_id, ballot.kind, ballot.status) == (1, BallotKind.ADMISSION, BallotStatus.PENDING)
    assert (ballot.proposer, ballot.account, ballot.file_id) == (agencies[0].address, candidate.address, None)
    assert (ballot.approvals, ballot.rejections, ballot.epoch, ballot.reason_hash) == (1, 0, 0, bytes(32))
    assert ballot.gas_used is not None and ballot.tx_hash is not None


def test_get_ballot_reads_back_the_proposed_ballot(client, agencies, candidate):
    ballot = client.propose_admission(sender=agencies[0], candidate=candidate.address)
    assert client.get_ballot(ballot.ballot_id) == without_transaction(ballot)


def test_propose_removal_names_the_member(client, agencies):
    ballot = client.propose_removal(sender=agencies[0], member=agencies[3].address)
    assert (ballot.kind, ballot.account) == (BallotKind.REMOVAL, agencies[3].address)


def test_request_trace_names_the_record_and_the_reason(client, agencies, record):
    ballot = client.request_trace(sender=agencies[1], agency=agencies[0].address, file_id=FILE_ID, reason_hash=REASON)
    assert (ballot.kind, ballot.file_id, ballot.record_agency, ballot.account, ballot.reason_hash) == (
        BallotKind.TRACE,
        FILE_ID,
        agencies[0].address,
        None,
        REASON,
    )
    assert client.get_ballot(ballot.ballot_id).record_agency == agencies[0].address


def test_an_admission_ballot_names_no_record_agency(client, agencies, candidate):
    ballot = client.propose_admission(sender=agencies[0], candidate=candidate.address)
    assert ballot.record_agency is None and client.get_ballot(ballot.ballot_id).record_agency is None


def test_request_trace_of_an_unknown_record_raises_unknown_record_error(client, agencies):
    with pytest.raises(UnknownRecordError):
        client.request_trace(sender=agencies[1], agency=agencies[0].address, file_id=FILE_ID, reason_hash=REASON)


def test_a_vote_short_of_the_quorum_leaves_the_ballot_pending(client, agencies, candidate):
    ballot = client.propose_admission(sender=agencies[0], candidate=candidate.address)
    after = client.vote(sender=agencies[1], ballot_id=ballot.ballot_id)
    assert (after.status, after.approvals, after.rejections) == (BallotStatus.PENDING, 2, 0)
    assert after.gas_used is not None and after.tx_hash != ballot.tx_hash


def test_the_vote_reaching_the_quorum_returns_the_approved_ballot_and_admits(client, agencies, candidate):
    ballot = client.propose_admission(sender=agencies[0], candidate=candidate.address)
    client.vote(sender=agencies[1], ballot_id=ballot.ballot_id)
    after = client.vote(sender=agencies[2], ballot_id=ballot.ballot_id)
    assert (after.status, after.approvals) == (BallotStatus.APPROVED, 3)
    assert client.is_member(candidate.address) is True
    assert client.membership_epoch() == 1


def test_rejections_beyond_reach_return_the_rejected_ballot(client, agencies, candidate):
    ballot = client.propose_admission(sender=agencies[0], candidate=candidate.address)
    client.vote(sender=agencies[1], ballot_id=ballot.ballot_id, support=False)
    after = client.vote(sender=agencies[2], ballot_id=ballot.ballot_id, support=False)
    assert (after.status, after.approvals, after.rejections) == (BallotStatus.REJECTED, 1, 2)


def test_has_voted_follows_the_votes(client, agencies, candidate):
    ballot = client.propose_admission(sender=agencies[0], candidate=candidate.address)
    assert client.has_voted(ballot.ballot_id, agencies[0].address) is True
    assert client.has_voted(ballot.ballot_id, agencies[1].address) is False


def test_voting_on_an_unknown_ballot_raises_unknown_ballot_error(client, agencies):
    with pytest.raises(UnknownBallotError, match="no ballot is opened under id 5"):
        client.vote(sender=agencies[0], ballot_id=5)


def test_get_ballot_of_an_unknown_id_raises_unknown_ballot_error(client):
    with pytest.raises(UnknownBallotError):
        client.get_ballot(1)


@pytest.mark.parametrize(
    ("voter", "error_name"),
    [("stranger", "ConsortiumNotMember"), ("proposer", "ConsortiumAlreadyVoted")],
)
def test_a_refused_vote_raises_the_contracts_error(client, agencies, candidate, stranger, voter, error_name):
    ballot = client.propose_admission(sender=agencies[0], candidate=candidate.address)
    sender = stranger if voter == "stranger" else agencies[0]
    with pytest.raises(TransactionRevertedError) as info:
        client.vote(sender=sender, ballot_id=ballot.ballot_id)
    assert (info.value.function, info.value.error_name) == ("vote", error_name)


def test_a_ballot_of_an_earlier_membership_reads_stale_and_refuses_votes(client, agencies, candidate, record):
    trace = client.request_trace(sender=agencies[1], agency=agencies[0].address, file_id=FILE_ID, reason_hash=REASON)
    admission = client.propose_admission(sender=agencies[0], candidate=candidate.address)
    client.vote(sender=agencies[1], ballot_id=admission.ballot_id)
    client.vote(sender=agencies[2], ballot_id=admission.ballot_id)
    assert client.get_ballot(trace.ballot_id).status == BallotStatus.STALE
    with pytest.raises(TransactionRevertedError) as info:
        client.vote(sender=agencies[2], ballot_id=trace.ballot_id)
    assert info.value.error_name == "ConsortiumBallotStale"


def test_expire_after_the_deadline_returns_the_expired_ballot(client, agencies, candidate, stranger):
    ballot = client.propose_admission(sender=agencies[0], candidate=candidate.address)
    chain.sleep(VOTING_PERIOD_S + 1)
    chain.mine()
    expired = client.expire(sender=stranger, ballot_id=ballot.ballot_id)
    assert (expired.status, expired.approvals) == (BallotStatus.EXPIRED, 1)
    assert expired.tx_hash is not None


def test_expiring_a_live_ballot_raises_the_contracts_error(client, agencies, candidate, stranger):
    ballot = client.propose_admission(sender=agencies[0], candidate=candidate.address)
    with pytest.raises(TransactionRevertedError) as info:
        client.expire(sender=stranger, ballot_id=ballot.ballot_id)
    assert info.value.error_name == "ConsortiumBallotStillOpen"


# --- openings -------------------------------------------------------------------------------


def test_publish_opening_returns_the_opening_with_its_transaction(client, agencies, approved_trace, owner):
    opening = client.publish_opening(
        sender=agencies[0], ballot_id=approved_trace.ballot_id, signer=owner.address, opening=OPENING
    )
    assert isinstance(opening, TraceOpening)
    assert (opening.file_id, opening.agency, opening.signer) == (FILE_ID, agencies[0].address, owner.address)
    assert (opening.opening, opening.opening_hash) == (OPENING, keccak(OPENING))
    assert opening.gas_used is not None


def test_get_opening_reads_back_the_published_opening(client, agencies, approved_trace, owner):
    published = client.publish_opening(
        sender=agencies[0], ballot_id=approved_trace.ballot_id, signer=owner.address, opening=OPENING
    )
    read = client.get_opening(approved_trace.ballot_id)
    assert read == dataclasses.replace(published, gas_used=None)


def test_get_opening_of_a_log_with_tampered_bytes_raises_integrity_error(
    client, agencies, approved_trace, owner, monkeypatch
):
    client.publish_opening(
        sender=agencies[0], ballot_id=approved_trace.ballot_id, signer=owner.address, opening=OPENING
    )
    genuine = consortium_module.get_events

    def tampered_logs(*args, **kwargs):
        return [
            dataclasses.replace(log, args={**log.args, "opening": b"X" + bytes(log.args["opening"])[1:]})
            for log in genuine(*args, **kwargs)
        ]

    monkeypatch.setattr(consortium_module, "get_events", tampered_logs)
    with pytest.raises(IntegrityError, match="none of the 1 TraceOpened logs"):
        client.get_opening(approved_trace.ballot_id)


def test_get_opening_without_the_log_in_range_raises_integrity_error(
    client, consortium, agencies, approved_trace, owner
):
    published = client.publish_opening(
        sender=agencies[0], ballot_id=approved_trace.ballot_id, signer=owner.address, opening=OPENING
    )
    late_client = ConsortiumClient(consortium, from_block=chain.height + 1)
    assert published.tx_hash is not None
    with pytest.raises(IntegrityError, match="none of the 0 TraceOpened logs"):
        late_client.get_opening(approved_trace.ballot_id)


def test_get_opening_before_publication_raises_the_contracts_error(client, approved_trace):
    with pytest.raises(TransactionRevertedError) as info:
        client.get_opening(approved_trace.ballot_id)
    assert info.value.error_name == "ConsortiumNotOpened"


def test_get_opening_of_an_unknown_ballot_raises_unknown_ballot_error(client):
    with pytest.raises(UnknownBallotError):
        client.get_opening(3)


def test_publish_opening_by_another_agency_raises_the_contracts_error(client, agencies, approved_trace, owner):
    with pytest.raises(TransactionRevertedError) as info:
        client.publish_opening(
            sender=agencies[1], ballot_id=approved_trace.ballot_id, signer=owner.address, opening=OPENING
        )
    assert info.value.error_name == "ConsortiumNotRecordAgency"


# --- input checks ---------------------------------------------------------------------------

RECORD_FIELDS = {"file_id": FILE_ID, "merkle_root": ROOT, "block_count": 16, "signature_hash": SIGNATURE_HASH}


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda c, a: c.set_group_key(sender=a, key_hash=bytes(32), seed=GROUP_SEED), "key_hash must not be all zero"),
        (lambda c, a: c.set_group_key(sender=a, key_hash=GROUP_KEY, seed=bytes(32)), "seed must not be all zero"),
        (
            lambda c, a: c.submit_record(sender=a, **{**RECORD_FIELDS, "file_id": b"short"}),
            "file_id must be 32 bytes, got 5 bytes",
        ),
        (
            lambda c, a: c.submit_record(sender=a, **{**RECORD_FIELDS, "merkle_root": bytes(32)}),
            "merkle_root must not be all zero",
        ),
        (
            lambda c, a: c.submit_record(sender=a, **{**RECORD_FIELDS, "block_count": 0}),
            "block_count must be in 1..18446744073709551615, got 0",
        ),
        (
            lambda c, a: c.submit_record(sender=a, **{**RECORD_FIELDS, "block_count": MAX_BLOCK_COUNT + 1}),
            "block_count must be in 1..18446744073709551615, got 18446744073709551616",
        ),
        (
            lambda c, a: c.submit_record(sender=a, **{**RECORD_FIELDS, "signature_hash": "0x" + "11" * 32}),
            "signature_hash must be 32 bytes, got str",
        ),
        (lambda c, a: c.propose_admission(sender=a, candidate="not an address"), "candidate must be an address"),
        (
            lambda c, a: c.propose_admission(sender=a, candidate=ZERO_ADDRESS),
            "candidate must not be the zero address",
        ),
        (lambda c, a: c.propose_removal(sender=a, member="0x1234"), "member must be an address"),
        (
            lambda c, a: c.request_trace(sender=a, agency=ZERO_ADDRESS, file_id=FILE_ID, reason_hash=REASON),
            "agency must not be the zero address",
        ),
        (
            lambda c, a: c.request_trace(sender=a, agency=a.address, file_id=FILE_ID, reason_hash=bytes(32)),
            "reason_hash must not be all zero",
        ),
        (lambda c, a: c.vote(sender=a, ballot_id=-1), r"ballot_id must be in 0\.\.2\*\*256 - 1, got -1"),
        (lambda c, a: c.vote(sender=a, ballot_id=1, support=1), "support must be a bool, got int"),
        (lambda c, a: c.expire(sender=a, ballot_id="1"), "ballot_id must be an int, got str"),
        (
            lambda c, a: c.publish_opening(sender=a, ballot_id=1, signer=ZERO_ADDRESS, opening=OPENING),
            "signer must not be the zero address",
        ),
        (
            lambda c, a: c.publish_opening(sender=a, ballot_id=1, signer=a.address, opening=b""),
            "opening must be non-empty bytes, got 0 bytes",
        ),
        (
            lambda c, a: c.publish_opening(sender=a, ballot_id=1, signer=a.address, opening="0xab"),
            "opening must be non-empty bytes, got str",
        ),
    ],
)
def test_bad_input_is_rejected_before_any_transaction(client, agencies, action, message):
    nonce_before = agencies[0].nonce
    with pytest.raises(InvalidInputError, match=message):
        action(client, agencies[0])
    assert agencies[0].nonce == nonce_before


# --- the group keys a storage service takes anonymous uploads under -----------------------------


class CountingConsortium(ConsortiumClient):
    """The real client, counting its reads of the member list."""

    reads = 0

    def members(self) -> list[str]:
        self.reads += 1
        return super().members()


@pytest.fixture
def counting(consortium):
    return CountingConsortium(consortium, from_block=consortium.tx.block_number)


def test_a_published_group_key_is_in_and_another_is_not(counting, agencies):
    counting.set_group_key(sender=agencies[1], key_hash=GROUP_KEY, seed=GROUP_SEED)
    keys = PublishedGroupKeys(counting)
    assert GROUP_KEY in keys and keccak(b"a group of one's own") not in keys
    assert b"short" not in keys and None not in keys


def test_a_key_published_after_a_read_is_in_at_once(counting, agencies):
    keys = PublishedGroupKeys(counting)
    assert GROUP_KEY not in keys
    counting.set_group_key(sender=agencies[1], key_hash=GROUP_KEY, seed=GROUP_SEED)
    assert GROUP_KEY in keys


def test_a_key_rotated_away_is_out_from_the_rotation_on(counting, agencies):
    counting.set_group_key(sender=agencies[1], key_hash=GROUP_KEY, seed=GROUP_SEED)
    keys = PublishedGroupKeys(counting)
    assert GROUP_KEY in keys
    counting.set_group_key(sender=agencies[1], key_hash=keccak(b"the next key"), seed=GROUP_SEED)
    assert GROUP_KEY not in keys and keccak(b"the next key") in keys


def test_a_removed_members_key_is_out(counting, agencies):
    counting.set_group_key(sender=agencies[3], key_hash=GROUP_KEY, seed=GROUP_SEED)
    keys = PublishedGroupKeys(counting)
    assert GROUP_KEY in keys
    ballot = counting.propose_removal(sender=agencies[0], member=agencies[3].address)
    for agency in agencies[1:3]:
        counting.vote(sender=agency, ballot_id=ballot.ballot_id)
    assert not counting.is_member(agencies[3].address)
    assert GROUP_KEY not in keys


def test_unknown_keys_cost_no_read_while_the_chain_stands_still(counting, agencies):
    counting.set_group_key(sender=agencies[1], key_hash=GROUP_KEY, seed=GROUP_SEED)
    keys = PublishedGroupKeys(counting)
    for n in range(20):
        assert keccak(b"unknown %d" % n) not in keys
    assert GROUP_KEY in keys and counting.reads == 1
