"""Consortium under random sequences of proposals, votes, expiries, records and time jumps.

A Python model mirrors the member list (with its swap-and-pop order), the membership epochs and
every ballot; each rule predicts the contract's answer (a refusal with its exact custom error, a
counted vote, a decision and its effects) and checks it. After every step the invariant checks
that the chain agrees with the model, that the consortium never falls below three members, that
every approved ballot reached ⌈2n/3⌉ of the membership of its epoch, and that no ballot counts a
vote from outside that membership.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import brownie
from brownie import chain
from brownie.test import strategy
from eth_utils import keccak
from hypothesis import HealthCheck

from offchain.chain.consortium import MIN_MEMBERS, BallotKind, BallotStatus, quorum_of
from tests.helpers import VOTING_PERIOD_S, custom_error, run_state_machine

#: 8 derandomised runs of 20 steps here on Ganache (every run, the same sequences); the deep
#: campaign is forge's invariant fuzzing of the same contract, 256 runs × 50 steps (tests/forge).
SETTINGS = {
    "max_examples": 8,
    "derandomize": True,
    "stateful_step_count": 20,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
}
HASH = keccak(b"merkle root or group signature")
REASON = keccak(b"dispute")
#: Every jump in time passes all live deadlines by an hour, and a run lasts minutes, so no ballot
#: is within seconds of its deadline when the model predicts a vote's outcome.
TIME_JUMP_S = VOTING_PERIOD_S + 3600
DEADLINE_PASSED, MEMBERSHIP_CHANGED = range(2)  # IConsortium.ExpiryReason


def now() -> int:
    return int(chain[-1].timestamp)


def pick(index: int, preferred: list, everyone: list):
    """Seven times in eight one of ``preferred`` (if any), else anyone: mostly valid actions, some refused."""
    if preferred and index % 8:
        return preferred[index % len(preferred)]
    return everyone[index % len(everyone)]


ZERO_ADDRESS = "0x" + "00" * 20


@dataclass
class ModelBallot:
    kind: BallotKind
    subject: str | bytes  # the account of an admission or removal, the file id of a trace
    epoch: int
    deadline: int
    voters: set[str]
    approvals: int = 1
    rejections: int = 0
    stored: BallotStatus = BallotStatus.PENDING
    record_agency: str = ZERO_ADDRESS  # the traced record's agency; zero for other kinds


@dataclass
class Model:
    members: list[str]  # in the contract's order
    epoch_members: list[frozenset[str]]  # the membership of every epoch so far
    keys: dict[str, bytes]
    ballots: dict[int, ModelBallot] = field(default_factory=dict)
    records: list[tuple[str, bytes]] = field(default_factory=list)  # (agency, file id), the record's key

    @property
    def epoch(self) -> int:
        return len(self.epoch_members) - 1

    def status(self, ballot: ModelBallot, timestamp: int) -> BallotStatus:
        """The status the contract computes at ``timestamp`` (staleness first, as it does)."""
        if ballot.stored != BallotStatus.PENDING:
            return ballot.stored
        if ballot.epoch != self.epoch:
            return BallotStatus.STALE
        if timestamp > ballot.deadline:
            return BallotStatus.EXPIRED
        return BallotStatus.PENDING


class ConsortiumStateMachine:
    st_index = strategy("uint8")
    st_support = strategy("bool")
    st_count = strategy("uint8", min_value=1, max_value=3)

    def __init__(cls, consortium, accounts):
        cls.consortium = consortium
        cls.everyone = [a.address for a in accounts]
        cls.founders = [consortium.memberAt(i) for i in range(consortium.memberCount())]
        cls.founder_keys = {m: bytes(consortium.groupKeyOf(m)) for m in cls.founders}

    def setup(self):
        self.model = Model(list(self.founders), [frozenset(self.founders)], dict(self.founder_keys))
        self.changed = True  # whether the step changed the chain, so the invariant has something to check
        self.acted: set[tuple[int, str]] = set()  # (ballot, account) pairs the step voted or tried to
        self.seen_stale: set[int] = set()  # ballots the chain showed stale: only expire changes them again
        self.touched: set[int] = set()  # ballots the step opened, voted on or expired

    # --- helpers ------------------------------------------------------------------------------

    def send(self, transaction):
        self.changed = True
        return transaction()

    def refused(self, transaction, error: str, *args) -> None:
        with brownie.reverts(custom_error(error, *args)):
            transaction()

    def open_ballot(self, tx, kind: BallotKind, subject, record_agency: str = ZERO_ADDRESS) -> None:
        event = tx.events["BallotOpened"]
        ballot_id = int(event["ballotId"])
        assert ballot_id == len(self.model.ballots) + 1
        assert (int(event["kind"]), int(event["epoch"]), event["recordAgency"]) == (
            kind,
            self.model.epoch,
            record_agency,
        )
        opened = (kind, subject, self.model.epoch, int(event["deadline"]), {tx.sender.address})
        ballot = ModelBallot(*opened, record_agency=record_agency)
        self.model.ballots[ballot_id] = ballot
        self.touched.add(ballot_id)
        self.check_counted_vote(tx, ballot_id, ballot)

    def check_counted_vote(self, tx, ballot_id: int, ballot: ModelBallot) -> None:
        """The vote ``tx`` counted is its sender's, a member of the ballot's epoch, with the model's tallies."""
        voted = tx.events["Voted"]
        assert (voted["ballotId"], voted["voter"]) == (ballot_id, tx.sender.address)
        assert voted["voter"] in self.model.epoch_members[ballot.epoch]
        assert (voted["approvals"], voted["rejections"]) == (ballot.approvals, ballot.rejections)
        self.acted.add((ballot_id, tx.sender.address))

    def live_ballots(self) -> list[int]:
        timestamp = now()
        return [i for i, b in self.model.ballots.items() if self.model.status(b, timestamp) == BallotStatus.PENDING]

    def ballot_id(self, index: int) -> int | None:
        """Mostly a ballot still open, sometimes any: decided, stale and expired ones get refusals."""
        return pick(index, self.live_ballots(), list(self.model.ballots)) if self.model.ballots else None

    # --- rules --------------------------------------------------------------------------------

    def initialize_open_ballots(self, candidate="st_index", member="st_index"):
        """Every example starts with a record and a ballot of each kind, so that votes count from the start."""
        self.rule_submit_record(agency=1, file=0)
        self.rule_propose_admission(proposer=1, candidate=candidate | 1)  # an odd index picks a preferred one
        self.rule_propose_removal(proposer=2, member=member | 1)
        self.rule_request_trace(proposer=3, record=0)

    def rule_submit_record(self, agency="st_index", file="st_index"):
        """A record; an admitted agency is refused until it has set its group key, which it then does.

        File ids come from a set of four, so agencies often submit ids other agencies used (which
        must never block them, issue 23 finding 6) and sometimes their own again (refused).
        """
        sender = pick(agency, self.model.members, self.everyone)
        file_id = keccak(b"file %d" % (file % 4))
        transaction = partial(self.consortium.submitRecord, file_id, HASH, 1, HASH, {"from": sender})
        if sender not in self.model.members:
            self.refused(transaction, "ConsortiumNotMember", sender)
            return
        if sender not in self.model.keys:
            self.refused(transaction, "ConsortiumGroupKeyNotSet", sender)
            key = keccak(b"group key %d of %s" % (len(self.model.records), sender.encode()))
            assert self.send(partial(self.consortium.setGroupKey, key, keccak(key), {"from": sender})).events[
                "GroupKeySet"
            ]
            self.model.keys[sender] = key
        if (sender, file_id) in self.model.records:
            self.refused(transaction, "ConsortiumRecordAlreadySubmitted", file_id, sender)
            return
        event = self.send(transaction).events["RecordSubmitted"]
        assert (event["agency"], event["groupKeyHash"]) == (sender, "0x" + self.model.keys[sender].hex())
        self.model.records.append((sender, file_id))

    def rule_propose_admission(self, proposer="st_index", candidate="st_index"):
        sender = pick(proposer, self.model.members, self.everyone)
        subject = pick(candidate, [a for a in self.everyone if a not in self.model.members], self.everyone)
        transaction = partial(self.consortium.proposeAdmission, subject, {"from": sender})
        if sender not in self.model.members:
            self.refused(transaction, "ConsortiumNotMember", sender)
        elif subject in self.model.members:
            self.refused(transaction, "ConsortiumAlreadyMember", subject)
        else:
            self.open_ballot(self.send(transaction), BallotKind.ADMISSION, subject)

    def rule_propose_removal(self, proposer="st_index", member="st_index"):
        sender = pick(proposer, self.model.members, self.everyone)
        subject = pick(member, self.model.members, self.everyone)
        transaction = partial(self.consortium.proposeRemoval, subject, {"from": sender})
        if sender not in self.model.members:
            self.refused(transaction, "ConsortiumNotMember", sender)
        elif subject not in self.model.members:
            self.refused(transaction, "ConsortiumNotMember", subject)
        elif len(self.model.members) - 1 < MIN_MEMBERS:
            self.refused(transaction, "ConsortiumBelowMinimum", len(self.model.members) - 1, MIN_MEMBERS)
        else:
            self.open_ballot(self.send(transaction), BallotKind.REMOVAL, subject)

    def rule_request_trace(self, proposer="st_index", record="st_index"):
        if not self.model.records:
            return
        sender = pick(proposer, self.model.members, self.everyone)
        record_agency, file_id = self.model.records[record % len(self.model.records)]
        transaction = partial(self.consortium.requestTrace, record_agency, file_id, REASON, {"from": sender})
        if sender not in self.model.members:
            self.refused(transaction, "ConsortiumNotMember", sender)
        else:
            self.open_ballot(self.send(transaction), BallotKind.TRACE, file_id, record_agency)

    def rule_vote(self, ballot="st_index", voter="st_index", count="st_count", support="st_support"):
        """Up to ``count`` votes alike, mostly on the oldest open ballot by members who have not voted
        (so ballots are decided within a few steps, and each admission or removal makes the others
        stale), sometimes on any ballot or by anyone (so refusals of every kind come too)."""
        live = self.live_ballots()
        ballot_id = live[0] if live and ballot % 4 else self.ballot_id(ballot)
        if ballot_id is None:
            return
        for _ in range(count):
            eligible = [m for m in self.model.members if m not in self.model.ballots[ballot_id].voters]
            self.cast(ballot_id, pick(voter, eligible, self.everyone), support)
            if self.model.ballots[ballot_id].stored != BallotStatus.PENDING:
                break

    def rule_expire(self, ballot="st_index", caller="st_index"):
        ballot_id = self.ballot_id(ballot)
        if ballot_id is None:
            return
        expected = self.model.ballots[ballot_id]
        status = self.model.status(expected, now())
        transaction = partial(self.consortium.expire, ballot_id, {"from": self.everyone[caller % len(self.everyone)]})
        if status == BallotStatus.PENDING:
            self.refused(transaction, "ConsortiumBallotStillOpen", ballot_id, expected.deadline)
        elif expected.stored != BallotStatus.PENDING:
            self.refused(transaction, "ConsortiumBallotNotPending", ballot_id, int(expected.stored))
        else:
            reason = int(self.send(transaction).events["BallotExpired"]["reason"])
            assert reason == (MEMBERSHIP_CHANGED if status == BallotStatus.STALE else DEADLINE_PASSED)
            expected.stored = BallotStatus.EXPIRED
            self.touched.add(ballot_id)

    def rule_sleep_past_the_deadlines(self):
        chain.sleep(TIME_JUMP_S)
        chain.mine()
        self.changed = True

    # --- voting -------------------------------------------------------------------------------

    def cast(self, ballot_id: int, voter: str, support: bool) -> None:
        """Vote and check the outcome the model predicts: a refusal, a count, or a decision."""
        expected, model = self.model.ballots[ballot_id], self.model
        transaction = partial(self.consortium.vote, ballot_id, support, {"from": voter})
        self.acted.add((ballot_id, voter))
        if voter not in model.members:
            self.refused(transaction, "ConsortiumNotMember", voter)
        elif expected.stored != BallotStatus.PENDING:
            self.refused(transaction, "ConsortiumBallotNotPending", ballot_id, int(expected.stored))
        elif expected.epoch != model.epoch:
            self.refused(transaction, "ConsortiumBallotStale", ballot_id, expected.epoch, model.epoch)
        elif now() > expected.deadline:
            self.refused(transaction, "ConsortiumBallotExpired", ballot_id, expected.deadline)
        elif voter in expected.voters:
            self.refused(transaction, "ConsortiumAlreadyVoted", ballot_id, voter)
        else:
            tx = self.send(transaction)
            self.touched.add(ballot_id)
            expected.voters.add(voter)
            expected.approvals += support
            expected.rejections += not support
            self.check_counted_vote(tx, ballot_id, expected)
            self.decide(tx, ballot_id, expected)

    def decide(self, tx, ballot_id: int, expected: ModelBallot) -> None:
        n = len(self.model.members)
        needed = quorum_of(n)
        if expected.approvals >= needed:
            expected.stored = BallotStatus.APPROVED
            self.execute(tx, ballot_id, expected)
        elif expected.rejections > n - needed:
            expected.stored = BallotStatus.REJECTED
            assert tx.events["BallotRejected"]["ballotId"] == ballot_id
        else:
            assert not {"BallotRejected", "TraceApproved", "MemberAdmitted", "MemberRemoved"} & set(tx.events.keys())

    def execute(self, tx, ballot_id: int, expected: ModelBallot) -> None:
        members = list(self.model.members)
        if expected.kind == BallotKind.TRACE:
            event = tx.events["TraceApproved"]
            assert (event["ballotId"], event["memberCount"], event["quorum"]) == (
                ballot_id,
                len(members),
                quorum_of(len(members)),
            )
            assert (event["fileId"], event["recordAgency"]) == (
                "0x" + bytes(expected.subject).hex(),
                expected.record_agency,
            )
            return
        subject = str(expected.subject)
        if expected.kind == BallotKind.ADMISSION:
            members.append(subject)
            event = tx.events["MemberAdmitted"]
        else:
            gap, last = members.index(subject), members.pop()
            if last != subject:
                members[gap] = last  # swap and pop, as the contract does
            self.model.keys.pop(subject, None)
            event = tx.events["MemberRemoved"]
        assert (event["agency"], event["ballotId"], event["epoch"]) == (subject, ballot_id, self.model.epoch + 1)
        self.model.members = members
        self.model.epoch_members.append(frozenset(members))

    # --- invariants ---------------------------------------------------------------------------

    def invariant(self):
        """After every step that changed the chain (a call costs ~12 ms on Ganache; refusals change nothing)."""
        if not self.changed:
            return
        consortium, model = self.consortium, self.model
        count = consortium.memberCount()
        assert count >= MIN_MEMBERS
        assert [consortium.memberAt(i) for i in range(count)] == model.members
        assert consortium.membershipEpoch() == model.epoch
        # Decided ballots never change, nor stale ones but by expire (a touch): teardown checks them all.
        undecided = {i for i, b in model.ballots.items() if b.stored == BallotStatus.PENDING} - self.seen_stale
        self.check_ballots(undecided | self.touched)
        for ballot_id, account in self.acted:  # whoever voted or tried to in this step
            ballot = model.ballots[ballot_id]
            voted = consortium.hasVoted(ballot_id, account)
            assert voted == (account in ballot.voters)
            assert not voted or account in model.epoch_members[ballot.epoch]
        self.acted.clear()
        self.touched.clear()
        self.changed = False

    def check_ballots(self, ballot_ids) -> None:
        """On chain as in the model; an approved ballot reached ⌈2n/3⌉ of its own epoch's n members."""
        model, timestamp = self.model, now()
        for ballot_id in ballot_ids:
            expected = model.ballots[ballot_id]
            _, _, kind, status, epoch, approvals, rejections, _, _, record_agency = self.consortium.ballotOf(ballot_id)
            assert (int(kind), int(epoch), record_agency) == (expected.kind, expected.epoch, expected.record_agency)
            assert int(status) == model.status(expected, timestamp)
            if int(status) == BallotStatus.STALE:
                self.seen_stale.add(ballot_id)
            assert (int(approvals), int(rejections)) == (expected.approvals, expected.rejections)
            if int(status) == BallotStatus.APPROVED:
                assert int(approvals) >= quorum_of(len(model.epoch_members[int(epoch)]))

    def teardown(self):
        """Once per example, what no single step changes: decided ballots, the quorum, the ballot count."""
        self.check_ballots(list(self.model.ballots))
        assert self.consortium.quorum() == quorum_of(len(self.model.members))
        assert self.consortium.ballotCount() == len(self.model.ballots)


def test_the_consortium_agrees_with_its_model_under_random_operations(consortium, agencies, accounts):
    for agency in agencies:  # the founders start with group keys, so that records come early
        key = keccak(b"group key of " + agency.address.encode())
        consortium.setGroupKey(key, keccak(key), {"from": agency})
    run_state_machine(ConsortiumStateMachine, consortium, accounts, settings=SETTINGS)
