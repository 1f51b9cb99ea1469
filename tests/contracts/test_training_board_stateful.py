"""TrainingBoard under random sequences of sessions, IVs, DVs, models, accusations, aborts and time jumps.

A Python model mirrors every session (participants, round, who posted which value's hash, models,
deadline, status); each rule predicts the contract's answer (a refusal with its exact custom
error, or an accepted post and the events it emits) and checks it. After every step the
invariant checks that the chain agrees with the model for the sessions the step touched, that a
session's round never skips (it stays or moves on by one), that its status moves only along the
legal transitions (Training → Training, Finishing or Aborted; Finishing → Finishing, Completed or
Aborted; Completed and Aborted are final), and that every round a step completed holds exactly
one IV hash and one DV hash from each participant. Once per example the logs are checked too:
every completed round has exactly one IntermediatePosted and one DecryptionPosted from each
participant, each matching its stored hash.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial

import brownie
from brownie.test import strategy
from eth_utils import keccak
from hypothesis import HealthCheck

from offchain.chain.events import get_events
from tests.helpers import (
    ABORTED,
    COMPLETED,
    FINISHING,
    INVALID_DECRYPTION,
    KEY_FINGERPRINT,
    SAMPLE_COMMITMENT,
    STALLED,
    STEP_TIMEOUT_S,
    TRAINING,
    chain_now,
    custom_error,
    run_state_machine,
    session_of,
    sleep,
)

#: 8 derandomised runs of 25 steps here on Ganache (every run, the same sequences; each starts
#: from a session with some rounds already played); the deep campaign is forge's invariant fuzzing
#: of the same contract, 256 runs × 50 steps (tests/forge/TrainingBoard.t.sol).
SETTINGS = {
    "max_examples": 8,
    "derandomize": True,
    "stateful_step_count": 25,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
}
#: Short jumps keep every live deadline at least MARGIN_S ahead; long ones pass them all by as
#: much, so no post is ever within seconds of a deadline when the model predicts it.
SHORT_JUMP_S = 600
MARGIN_S = 300
LONG_JUMP_S = STEP_TIMEOUT_S + MARGIN_S
ZERO = bytes(32)
LEGAL = {
    (TRAINING, TRAINING),
    (TRAINING, FINISHING),
    (TRAINING, ABORTED),
    (FINISHING, FINISHING),
    (FINISHING, COMPLETED),
    (FINISHING, ABORTED),
    (COMPLETED, COMPLETED),
    (ABORTED, ABORTED),
}


def rarely(index: int) -> bool:
    """One index in eight, and none of the edge values Hypothesis favours (0, 1, 127, 128, 254, 255)."""
    return index % 8 == 5


def pick(index: int, preferred: list, everyone: list):
    """Seven times in eight one of ``preferred`` (if any), else anyone: mostly valid actions, some refused."""
    if preferred and not rarely(index):
        return preferred[index % len(preferred)]
    return everyone[index % len(everyone)]


@dataclass
class ModelSession:
    participants: list[str]
    rounds: int
    ordered: bool
    deadline: int
    status: int = TRAINING
    round: int = 0
    ivs: dict[int, dict[int, bytes]] = field(default_factory=dict)  # round -> index -> hash
    dvs: dict[int, dict[int, bytes]] = field(default_factory=dict)
    models: dict[int, bytes] = field(default_factory=dict)

    def index(self, account: str) -> int | None:
        return self.participants.index(account) if account in self.participants else None

    def mask(self, posted: dict[int, bytes]) -> int:
        return sum(1 << i for i in posted)


class TrainingBoardStateMachine:
    st_index = strategy("uint8")
    st_count = strategy("uint8", min_value=1, max_value=4)
    st_rounds = strategy("uint8", min_value=1, max_value=3)
    st_bool = strategy("bool")
    st_payload = strategy("bytes", max_size=48)

    def __init__(cls, board, actors, stranger):
        cls.board = board
        cls.actors = [a.address for a in actors]
        cls.everyone = [*cls.actors, stranger.address]

    def setup(self):
        self.sessions: dict[int, ModelSession] = {}
        self.seen: dict[int, tuple[int, int]] = {}  # session -> (status, round) at the last check
        self.touched: set[int] = set()
        self.completed_rounds: list[tuple[int, int]] = []  # (session, round) completed in this step

    # --- helpers ------------------------------------------------------------------------------

    def refused(self, transaction, error: str, *args) -> None:
        with brownie.reverts(custom_error(error, *args)):
            transaction()

    def session_id(self, index: int) -> int | None:
        """Mostly the latest session, one time in eight any (finished and aborted ones get refusals)."""
        if not self.sessions:
            return None
        ids = sorted(self.sessions)
        return ids[(index >> 3) % len(ids)] if rarely(index) else ids[-1]

    def late(self, session: ModelSession) -> bool:
        return chain_now() > session.deadline

    def progressed(self, session_id: int, tx) -> None:
        self.sessions[session_id].deadline = tx.timestamp + STEP_TIMEOUT_S
        self.touched.add(session_id)

    # --- rules --------------------------------------------------------------------------------

    def initialize_session(
        self, count="st_count", rounds="st_rounds", ordered="st_bool", played="st_index", started="st_index"
    ):
        """Every example starts with an open session, some of its rounds played and some IVs of the
        next one posted (each post checked, and the invariant after each), so that the few steps
        Hypothesis draws per example start from every stage: mid-round, finishing, completed."""
        self.rule_open_session(count=count, rounds=rounds, ordered=ordered, opener=0)
        session_id = len(self.sessions)
        model = self.sessions[session_id]
        for _ in range(played % (rounds + 1)):
            round_ = model.round
            for sender in model.participants:
                self.post_intermediate(session_id, sender, round_, b"IV " + sender.encode())
                self.invariant()
            for sender in model.participants:
                self.post_decryption(session_id, sender, round_, b"DV " + sender.encode())
                self.invariant()
        if model.status == TRAINING:
            for sender in model.participants[: started % (len(model.participants) + 1)]:
                self.post_intermediate(session_id, sender, model.round, b"IV " + sender.encode())
                self.invariant()

    def rule_open_session(self, count="st_count", rounds="st_rounds", ordered="st_bool", opener="st_index"):
        """A session of 2 to 4 of the actors (rotated), opened mostly by one of them; mostly only
        once the latest session is closed, so that sessions live long enough to finish."""
        latest = self.sessions.get(len(self.sessions))
        if latest is not None and latest.status in (TRAINING, FINISHING) and not rarely(opener):
            return
        start = opener % len(self.actors)
        listed = (self.actors[start:] + self.actors[:start])[: max(2, count)]
        sender = pick(opener, listed, self.everyone)
        transaction = partial(
            self.board.openSession, listed, KEY_FINGERPRINT, SAMPLE_COMMITMENT, rounds, STEP_TIMEOUT_S, ordered
        )
        if sender not in listed:
            self.refused(partial(transaction, {"from": sender}), "TrainingBoardOpenerNotParticipant", sender)
            return
        tx = transaction({"from": sender})
        session_id = len(self.sessions) + 1
        event = tx.events["SessionOpened"]
        assert (event["sessionId"], list(event["participants"]), event["rounds"]) == (session_id, listed, rounds)
        self.sessions[session_id] = ModelSession(listed, rounds, ordered, tx.timestamp + STEP_TIMEOUT_S)
        self.seen[session_id] = (TRAINING, 0)
        self.touched.add(session_id)

    def rule_post_intermediates(
        self, session="st_index", who="st_index", count="st_count", shift="st_index", payload="st_payload"
    ):
        """Up to ``count`` IVs, mostly by the participant whose turn it is (ordered sessions) or
        one who has not posted, mostly for the current round."""
        session_id = self.session_id(session)
        if session_id is None:
            return
        for k in range(count):
            model = self.sessions[session_id]
            posted = model.ivs.get(model.round, {})
            waiting = [p for i, p in enumerate(model.participants) if i not in posted]
            if model.ordered and waiting and not rarely(who >> 1):
                waiting = [model.participants[len(posted)]]
            sender = pick(who + k, waiting, self.everyone)
            self.post_intermediate(session_id, sender, self.round_for(model, shift + k), payload + bytes([k]))

    def rule_post_decryptions(
        self, session="st_index", who="st_index", count="st_count", shift="st_index", payload="st_payload"
    ):
        """Up to ``count`` DVs, mostly by participants who have not posted, for the current round."""
        session_id = self.session_id(session)
        if session_id is None:
            return
        for k in range(count):
            model = self.sessions[session_id]
            posted = model.dvs.get(model.round, {})
            waiting = [p for i, p in enumerate(model.participants) if i not in posted]
            sender = pick(who + k, waiting, self.everyone)
            self.post_decryption(session_id, sender, self.round_for(model, shift + k), payload + bytes([k]))

    def rule_post_empty_payload(self, session="st_index", who="st_index"):
        """An empty IV: refused with EmptyPayload when every other check passes."""
        session_id = self.session_id(session)
        if session_id is not None:
            model = self.sessions[session_id]
            self.post_intermediate(session_id, pick(who, model.participants, self.everyone), model.round, b"")

    def rule_post_models(self, session="st_index", who="st_index", count="st_count"):
        session_id = self.session_id(session)
        if session_id is None:
            return
        for k in range(count):
            model = self.sessions[session_id]
            waiting = [p for i, p in enumerate(model.participants) if i not in model.models]
            sender = pick(who + k, waiting, self.everyone)
            self.post_model(session_id, sender, keccak(b"model %d of %s" % (session_id, sender.encode())))

    def rule_report(self, session="st_index", accuser="st_index", accused="st_index", back="st_index"):
        """An accusation, mostly of a DV that exists (of this round or the one before)."""
        session_id = self.session_id(session)
        if session_id is None:
            return
        model = self.sessions[session_id]
        round_ = max(0, model.round - back % 2)
        posted = [model.participants[i] for i in model.dvs.get(round_, {})]
        accused_account = pick(accused, posted, self.everyone)
        sender = pick(accuser, [p for p in model.participants if p != accused_account], self.everyone)
        transaction = partial(self.board.reportInvalidDecryption, session_id, round_, accused_account, {"from": sender})
        index = model.index(accused_account)
        if model.status not in (TRAINING, FINISHING):
            self.refused(transaction, "TrainingBoardSessionClosed", session_id, model.status)
        elif sender not in model.participants:
            self.refused(transaction, "TrainingBoardNotAParticipant", session_id, sender)
        elif index is None:
            self.refused(transaction, "TrainingBoardNotAParticipant", session_id, accused_account)
        elif sender == accused_account:
            self.refused(transaction, "TrainingBoardSelfAccusation", sender)
        elif index not in model.dvs.get(round_, {}):
            self.refused(transaction, "TrainingBoardNoDecryptionToDispute", session_id, round_, accused_account)
        else:
            tx = transaction()
            reported = tx.events["InvalidDecryptionReported"]
            assert (reported["accuser"], reported["accused"], reported["round"]) == (sender, accused_account, round_)
            assert reported["dvHash"] == "0x" + model.dvs[round_][index].hex()
            aborted = tx.events["SessionAborted"]
            assert (aborted["round"], aborted["reason"]) == (model.round, INVALID_DECRYPTION)
            model.status = ABORTED
            self.touched.add(session_id)

    def rule_abort_stalled(self, session="st_index", caller="st_index"):
        session_id = self.session_id(session)
        if session_id is None:
            return
        model = self.sessions[session_id]
        transaction = partial(self.board.abortStalled, session_id, {"from": self.everyone[caller % len(self.everyone)]})
        if model.status not in (TRAINING, FINISHING):
            self.refused(transaction, "TrainingBoardSessionClosed", session_id, model.status)
        elif not self.late(model):
            self.refused(transaction, "TrainingBoardNotStalled", session_id, model.deadline)
        else:
            event = transaction().events["SessionAborted"]
            assert (event["sessionId"], event["round"], event["reason"]) == (session_id, model.round, STALLED)
            model.status = ABORTED
            self.touched.add(session_id)

    def rule_sleep(self, kind="st_index"):
        """One time in eight past every deadline, else a short while if that keeps every live
        deadline well ahead."""
        if rarely(kind):
            sleep(LONG_JUMP_S)
            return
        live = [s.deadline for s in self.sessions.values() if s.status in (TRAINING, FINISHING)]
        if all(chain_now() + SHORT_JUMP_S + MARGIN_S < d or chain_now() > d for d in live):
            sleep(SHORT_JUMP_S)

    # --- posting ------------------------------------------------------------------------------

    def round_for(self, model: ModelSession, shift: int) -> int:
        """Mostly the current round; one time in eight the next or (if any) the previous one."""
        if not rarely(shift):
            return model.round
        return model.round + 1 if shift & 8 or model.round == 0 else model.round - 1

    def common_refusal(self, session_id: int, model: ModelSession, sender: str, round_: int):
        """The checks IVs and DVs share, in the contract's order: the error and its arguments, or None."""
        if model.status != TRAINING:
            return ("TrainingBoardNotTraining", session_id, model.status)
        if round_ != model.round:
            return ("TrainingBoardWrongRound", model.round, round_)
        if sender not in model.participants:
            return ("TrainingBoardNotAParticipant", session_id, sender)
        if self.late(model):
            return ("TrainingBoardDeadlinePassed", session_id, model.deadline)
        return None

    def post_intermediate(self, session_id: int, sender: str, round_: int, payload: bytes) -> None:
        model = self.sessions[session_id]
        transaction = partial(self.board.postIntermediate, session_id, round_, payload, {"from": sender})
        refusal = self.common_refusal(session_id, model, sender, round_)
        index = model.index(sender)
        posted = model.ivs.get(model.round, {})
        if refusal is None and index in posted:
            refusal = ("TrainingBoardAlreadyPosted", session_id, round_, sender)
        if refusal is None and model.ordered and len(posted) != index:
            refusal = ("TrainingBoardNotYourTurn", len(posted), index)
        if refusal is None and not payload:
            refusal = ("TrainingBoardEmptyPayload",)
        if refusal is not None:
            self.refused(transaction, *refusal)
            return
        tx = transaction()
        event = tx.events["IntermediatePosted"]
        assert (event["round"], event["participant"], event["index"]) == (round_, sender, index)
        assert bytes(event["payload"]) == payload and event["payloadHash"] == "0x" + keccak(payload).hex()
        model.ivs.setdefault(round_, {})[index] = keccak(payload)
        self.progressed(session_id, tx)

    def post_decryption(self, session_id: int, sender: str, round_: int, payload: bytes) -> None:
        model = self.sessions[session_id]
        transaction = partial(self.board.postDecryption, session_id, round_, payload, {"from": sender})
        refusal = self.common_refusal(session_id, model, sender, round_)
        index = model.index(sender)
        intermediates = len(model.ivs.get(model.round, {}))
        if refusal is None and index in model.dvs.get(model.round, {}):
            refusal = ("TrainingBoardAlreadyPosted", session_id, round_, sender)
        if refusal is None and intermediates != len(model.participants):
            refusal = (
                "TrainingBoardIntermediatesIncomplete",
                session_id,
                round_,
                intermediates,
                len(model.participants),
            )
        if refusal is None and not payload:
            refusal = ("TrainingBoardEmptyPayload",)
        if refusal is not None:
            self.refused(transaction, *refusal)
            return
        tx = transaction()
        event = tx.events["DecryptionPosted"]
        assert (event["round"], event["participant"], event["index"]) == (round_, sender, index)
        assert event["payloadHash"] == "0x" + keccak(payload).hex()
        model.dvs.setdefault(round_, {})[index] = keccak(payload)
        self.progressed(session_id, tx)
        if len(model.dvs[round_]) < len(model.participants):
            assert "RoundCompleted" not in tx.events
            return
        assert tx.events["RoundCompleted"]["round"] == round_
        self.completed_rounds.append((session_id, round_))
        model.round += 1
        if model.round == model.rounds:
            assert tx.events["TrainingFinished"]["sessionId"] == session_id
            model.status = FINISHING
        else:
            assert "TrainingFinished" not in tx.events

    def post_model(self, session_id: int, sender: str, model_hash: bytes) -> None:
        model = self.sessions[session_id]
        transaction = partial(self.board.postModel, session_id, model_hash, {"from": sender})
        index = model.index(sender)
        if model.status != FINISHING:
            self.refused(transaction, "TrainingBoardNotFinishing", session_id, model.status)
        elif index is None:
            self.refused(transaction, "TrainingBoardNotAParticipant", session_id, sender)
        elif self.late(model):
            self.refused(transaction, "TrainingBoardDeadlinePassed", session_id, model.deadline)
        elif index in model.models:
            self.refused(transaction, "TrainingBoardAlreadyPosted", session_id, model.rounds, sender)
        else:
            tx = transaction()
            assert tx.events["ModelPosted"]["index"] == index
            model.models[index] = model_hash
            self.progressed(session_id, tx)
            if len(model.models) == len(model.participants):
                combined = keccak(b"".join(model.models[i] for i in range(len(model.participants))))
                assert tx.events["SessionCompleted"]["combinedModelHash"] == "0x" + combined.hex()
                model.status = COMPLETED

    # --- invariants ---------------------------------------------------------------------------

    def invariant(self):
        """The touched sessions agree with the model; rounds never skip; statuses move legally;
        every round completed in this step has one IV and one DV hash from each participant."""
        for session_id in self.touched:
            model = self.sessions[session_id]
            stored = session_of(self.board, session_id)
            status, round_ = stored["status"], stored["round"]
            before_status, before_round = self.seen[session_id]
            assert (before_status, status) in LEGAL
            assert round_ - before_round in (0, 1), "a round was skipped"
            assert (status, round_) == (model.status, model.round)
            assert stored["deadline"] == model.deadline
            current_ivs, current_dvs = model.ivs.get(model.round, {}), model.dvs.get(model.round, {})
            if status == TRAINING:
                assert (stored["intermediateMask"], stored["decryptionMask"]) == (
                    model.mask(current_ivs),
                    model.mask(current_dvs),
                )
                assert (stored["intermediateCount"], stored["decryptionCount"]) == (len(current_ivs), len(current_dvs))
            assert stored["modelMask"] == model.mask(model.models)
            self.seen[session_id] = (status, round_)
        for session_id, round_ in self.completed_rounds:
            self.check_round(session_id, round_)
        self.touched.clear()
        self.completed_rounds.clear()

    def check_round(self, session_id: int, round_: int) -> None:
        """Each participant's IV and DV hashes of a completed round are on chain, as the model has them."""
        model = self.sessions[session_id]
        for index in range(len(model.participants)):
            assert bytes(self.board.ivHash(session_id, round_, index)) == model.ivs[round_][index] != ZERO
            assert bytes(self.board.dvHash(session_id, round_, index)) == model.dvs[round_][index] != ZERO

    def teardown(self):
        """Once per example, from the logs: every completed round has exactly one IV and one DV
        event from each participant, each matching its stored hash; nothing beyond the round."""
        assert self.board.sessionCount() == len(self.sessions)
        for session_id, model in self.sessions.items():
            for event_name, stored in (("IntermediatePosted", model.ivs), ("DecryptionPosted", model.dvs)):
                logs = get_events(self.board, event_name, from_block=0, argument_filters={"sessionId": session_id})
                per_round = Counter((int(log.args["round"]), int(log.args["index"])) for log in logs)
                assert all(n == 1 for n in per_round.values()), "a participant posted twice in a round"
                assert max((r for r, _ in per_round), default=0) <= model.round
                for r in range(model.round):
                    assert {i for (rr, i) in per_round if rr == r} == set(range(len(model.participants)))
                for log in logs:
                    round_, index = int(log.args["round"]), int(log.args["index"])
                    assert keccak(bytes(log.args["payload"])) == bytes(log.args["payloadHash"]) == stored[round_][index]


def test_the_training_board_agrees_with_its_model_under_random_operations(TrainingBoard, deployer, accounts, stranger):
    board = TrainingBoard.deploy({"from": deployer})
    run_state_machine(TrainingBoardStateMachine, board, list(accounts[3:7]), stranger, settings=SETTINGS)
