"""TrainingBoardClient against a deployed TrainingBoard: typed round trips, input checks before any
transaction, reverts mapped to typed errors, payloads read back in participant order and checked
against the chain, and the wait helpers' results, timeouts and aborts."""

from __future__ import annotations

import dataclasses
import os
import threading
import time

import pytest
from eth_utils import keccak

from offchain.chain import training_board as board_module
from offchain.chain.events import EventLog
from offchain.chain.training_board import (
    MAX_PAYLOAD_BYTES,
    AbortReason,
    BoardTimeoutError,
    PostedValue,
    SessionAbortedError,
    SessionStatus,
    TrainingBoardClient,
    TrainingSession,
    UnknownSessionError,
    combined_model_hash,
    payload_gas_limit,
)
from offchain.errors import IntegrityError, InvalidInputError, TransactionRevertedError
from tests.helpers import KEY_FINGERPRINT, SAMPLE_COMMITMENT, STEP_TIMEOUT_S, sleep

ROUNDS = 2
MODEL_HASHES = [keccak(b"partial model %d" % i) for i in range(3)]


def iv(index: int, round_: int = 0) -> bytes:
    return b"IV of participant %d, round %d: " % (index, round_) + bytes(range(1, 200))


def dv(index: int, round_: int = 0) -> bytes:
    return b"DV of participant %d, round %d: " % (index, round_) + bytes(range(1, 200))


@pytest.fixture(scope="module")
def client(TrainingBoard, deployer):
    contract = TrainingBoard.deploy({"from": deployer})
    return TrainingBoardClient(contract, from_block=contract.tx.block_number)


@pytest.fixture(scope="module")
def participants(accounts):
    return list(accounts[3:6])


def open_default(client, members, **overrides):
    """``members[0]`` opens a session of ``members`` with the tests' terms, changed by ``overrides``."""
    terms = {
        "sender": members[0],
        "participants": members,
        "key_fingerprint": KEY_FINGERPRINT,
        "sample_commitment": SAMPLE_COMMITMENT,
        "rounds": ROUNDS,
        "step_timeout_s": STEP_TIMEOUT_S,
    }
    terms.update(overrides)
    return client.open_session(**terms)


@pytest.fixture
def opened(client, participants):
    return open_default(client, participants)


@pytest.fixture
def ivs_posted(client, participants, opened):
    """Every IV of round 0 posted, last participant first."""
    for i, p in reversed(list(enumerate(participants))):
        client.post_intermediate(sender=p, session_id=opened.session_id, round_=0, payload=iv(i))
    return opened.session_id


def play(client, participants, session_id, round_):
    for i, p in enumerate(participants):
        client.post_intermediate(sender=p, session_id=session_id, round_=round_, payload=iv(i, round_))
    return [
        client.post_decryption(sender=p, session_id=session_id, round_=round_, payload=dv(i, round_))
        for i, p in enumerate(participants)
    ]


@pytest.fixture
def finishing(client, participants, opened):
    for r in range(ROUNDS):
        play(client, participants, opened.session_id, r)
    return opened.session_id


# --- sessions -------------------------------------------------------------------------------


def test_open_session_returns_the_session_with_its_transaction(client, participants, opened):
    assert isinstance(opened, TrainingSession)
    assert (opened.session_id, opened.status, opened.round, opened.rounds) == (1, SessionStatus.TRAINING, 0, ROUNDS)
    assert opened.participants == tuple(p.address for p in participants)
    assert (opened.key_fingerprint, opened.sample_commitment) == (KEY_FINGERPRINT, SAMPLE_COMMITMENT)
    assert (opened.step_timeout_s, opened.ordered) == (STEP_TIMEOUT_S, False)
    assert opened.tx_hash.startswith("0x") and opened.gas_used > 0


def test_get_session_reads_what_open_session_returned(client, opened):
    assert client.get_session(opened.session_id) == dataclasses.replace(opened, tx_hash=None, gas_used=None)


def test_open_session_takes_accounts_and_addresses(client, participants):
    opened = open_default(client, participants, participants=[participants[0], participants[1].address], ordered=True)
    assert client.get_session(opened.session_id).ordered is True


def test_index_of_finds_a_participant_and_refuses_a_stranger(opened, participants, stranger):
    assert opened.index_of(participants[2]) == 2
    with pytest.raises(InvalidInputError, match="not a participant"):
        opened.index_of(stranger)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"participants": "one"}, "participant"),
        ({"rounds": 0}, "rounds"),
        ({"rounds": 1_000_001}, "rounds"),
        ({"step_timeout_s": 59}, "step_timeout_s"),
        ({"step_timeout_s": 30 * 24 * 3600 + 1}, "step_timeout_s"),
        ({"key_fingerprint": bytes(32)}, "key_fingerprint"),
        ({"sample_commitment": b"short"}, "sample_commitment"),
        ({"ordered": 1}, "ordered"),
    ],
)
def test_open_session_checks_its_terms_before_sending(client, participants, overrides, message):
    with pytest.raises(InvalidInputError, match=message):
        open_default(client, participants, **overrides)
    assert client.session_count() == 0


def test_open_session_refuses_one_participant(client, participants):
    with pytest.raises(InvalidInputError, match=r"2\.\.16 participants, got 1"):
        open_default(client, participants, participants=participants[:1])


def test_open_session_refuses_a_repeated_participant(client, participants):
    with pytest.raises(InvalidInputError, match="listed twice"):
        open_default(client, participants, participants=[participants[0], participants[1], participants[1]])


def test_open_session_refuses_an_opener_outside_the_session(client, participants, stranger):
    with pytest.raises(InvalidInputError, match="must be one of the participants"):
        open_default(client, participants, sender=stranger)


def test_get_session_of_an_unknown_id_raises_unknown_session(client):
    with pytest.raises(UnknownSessionError) as caught:
        client.get_session(7)
    assert caught.value.session_id == 7


def test_session_id_zero_is_refused_before_any_call(client):
    with pytest.raises(InvalidInputError, match="session_id"):
        client.get_session(0)


# --- rounds ---------------------------------------------------------------------------------


def test_post_intermediate_returns_the_posted_value(client, participants, opened):
    posted = client.post_intermediate(sender=participants[1], session_id=opened.session_id, round_=0, payload=iv(1))
    assert isinstance(posted, PostedValue)
    assert (posted.participant, posted.index, posted.round, posted.payload) == (participants[1].address, 1, 0, iv(1))
    assert posted.payload_hash == keccak(iv(1))
    assert posted.gas_used > 0 and not posted.round_completed


def test_a_post_of_the_largest_payload_fits_its_computed_gas_limit(client, participants, opened):
    from brownie import web3

    posted = client.post_intermediate(
        sender=participants[0], session_id=opened.session_id, round_=0, payload=os.urandom(MAX_PAYLOAD_BYTES)
    )
    sent = web3.eth.get_transaction(posted.tx_hash)
    assert sent["gas"] == payload_gas_limit(MAX_PAYLOAD_BYTES)
    assert posted.gas_used < sent["gas"]


@pytest.mark.parametrize("gas_limit", [20_999, 1 << 64, -1])
def test_transact_refuses_a_gas_limit_no_transaction_can_have(client, participants, opened, gas_limit):
    from offchain.chain.contracts import transact

    with pytest.raises(InvalidInputError, match="gas_limit"):
        transact(
            client.contract,
            "postIntermediate",
            opened.session_id,
            0,
            iv(0),
            sender=participants[0],
            gas_limit=gas_limit,
        )


@pytest.mark.parametrize("size", [0, MAX_PAYLOAD_BYTES + 1])
def test_payload_gas_limit_refuses_a_size_no_payload_has(size):
    with pytest.raises(InvalidInputError, match="payload_bytes"):
        payload_gas_limit(size)


@pytest.mark.parametrize("payload", [b"", bytes(MAX_PAYLOAD_BYTES + 1), "text"])
def test_post_intermediate_checks_the_payload_before_sending(client, participants, opened, payload):
    with pytest.raises(InvalidInputError, match="payload"):
        client.post_intermediate(sender=participants[0], session_id=opened.session_id, round_=0, payload=payload)
    assert client.get_session(opened.session_id).intermediate_mask == 0


def test_a_post_to_another_round_raises_the_contracts_error(client, participants, opened):
    with pytest.raises(TransactionRevertedError) as caught:
        client.post_intermediate(sender=participants[0], session_id=opened.session_id, round_=1, payload=iv(0))
    assert (caught.value.error_name, caught.value.error_detail) == ("TrainingBoardWrongRound", "0, 1")


def test_an_ordered_session_refuses_an_iv_out_of_turn(client, participants):
    opened = open_default(client, participants, ordered=True)
    with pytest.raises(TransactionRevertedError) as caught:
        client.post_intermediate(sender=participants[2], session_id=opened.session_id, round_=0, payload=iv(2))
    assert caught.value.error_name == "TrainingBoardNotYourTurn"


def test_a_post_to_an_unknown_session_raises_unknown_session(client, participants):
    with pytest.raises(UnknownSessionError):
        client.post_intermediate(sender=participants[0], session_id=3, round_=0, payload=iv(0))


def test_intermediates_come_back_in_participant_order(client, participants, ivs_posted):
    values = client.intermediates(ivs_posted, 0)
    assert [v.index for v in values] == [0, 1, 2]
    assert [v.payload for v in values] == [iv(0), iv(1), iv(2)]
    assert [v.participant for v in values] == [p.address for p in participants]


def test_intermediates_of_one_participant_are_only_its_own(client, participants, ivs_posted):
    values = client.intermediates(ivs_posted, 0, participant=participants[1])
    assert [(v.index, v.payload) for v in values] == [(1, iv(1))]


def test_decryptions_of_one_participant_are_only_its_own(client, participants, ivs_posted):
    for i in (0, 2):
        client.post_decryption(sender=participants[i], session_id=ivs_posted, round_=0, payload=dv(i))
    values = client.decryptions(ivs_posted, 0, participant=participants[2])
    assert [(v.index, v.payload) for v in values] == [(2, dv(2))]


def test_intermediates_refuse_a_malformed_participant_before_any_call(client, ivs_posted):
    with pytest.raises(InvalidInputError, match="participant"):
        client.intermediates(ivs_posted, 0, participant="0x1234")


def test_progress_reports_the_round_and_who_posted(client, participants, opened):
    client.post_intermediate(sender=participants[0], session_id=opened.session_id, round_=0, payload=iv(0))
    progress = client.progress(opened.session_id)
    assert (progress.status, progress.round, progress.intermediate_mask, progress.decryption_mask) == (
        SessionStatus.TRAINING,
        0,
        0b001,
        0,
    )


def test_progress_of_an_unknown_session_raises_unknown_session(client):
    with pytest.raises(UnknownSessionError):
        client.progress(999)


def test_intermediates_of_a_round_only_are_returned(client, participants, opened):
    play(client, participants, opened.session_id, 0)
    client.post_intermediate(sender=participants[1], session_id=opened.session_id, round_=1, payload=iv(1, 1))
    assert [v.payload for v in client.intermediates(opened.session_id, 1)] == [iv(1, 1)]
    assert len(client.intermediates(opened.session_id, 0)) == 3


def test_intermediates_of_another_session_are_not_mixed_in(client, participants, ivs_posted):
    other = open_default(client, participants)
    client.post_intermediate(sender=participants[0], session_id=other.session_id, round_=0, payload=b"other")
    assert [v.payload for v in client.intermediates(other.session_id, 0)] == [b"other"]
    assert len(client.intermediates(ivs_posted, 0)) == 3


def test_decryptions_come_back_in_participant_order(client, participants, ivs_posted):
    for i, p in reversed(list(enumerate(participants))):
        client.post_decryption(sender=p, session_id=ivs_posted, round_=0, payload=dv(i))
    assert [v.payload for v in client.decryptions(ivs_posted, 0)] == [dv(0), dv(1), dv(2)]


def test_a_logged_payload_that_differs_from_the_chain_raises_integrity_error(
    client, participants, ivs_posted, monkeypatch
):
    real = board_module.get_events

    def tampered(*args, **kwargs):
        logs = real(*args, **kwargs)
        forged = dict(logs[1].args, payload=b"forged")
        return [logs[0], dataclasses.replace(logs[1], args=forged), *logs[2:]]

    monkeypatch.setattr(board_module, "get_events", tampered)
    with pytest.raises(IntegrityError, match="participant 1"):
        client.intermediates(ivs_posted, 0)


def test_the_last_dv_reports_the_round_completed(client, participants, opened):
    posted = play(client, participants, opened.session_id, 0)
    assert [p.round_completed for p in posted] == [False, False, True]
    assert not posted[-1].training_finished
    assert client.get_session(opened.session_id).round == 1


def test_the_last_dv_of_the_last_round_reports_training_finished(client, participants, opened):
    play(client, participants, opened.session_id, 0)
    posted = play(client, participants, opened.session_id, 1)
    assert posted[-1].training_finished
    assert client.get_session(opened.session_id).status == SessionStatus.FINISHING


def test_a_dv_before_every_iv_raises_the_contracts_error(client, participants, opened):
    client.post_intermediate(sender=participants[0], session_id=opened.session_id, round_=0, payload=iv(0))
    with pytest.raises(TransactionRevertedError) as caught:
        client.post_decryption(sender=participants[0], session_id=opened.session_id, round_=0, payload=dv(0))
    assert caught.value.error_name == "TrainingBoardIntermediatesIncomplete"


# --- models ---------------------------------------------------------------------------------


def test_post_model_returns_the_post_and_the_combined_hash_at_the_last(client, participants, finishing):
    posts = [
        client.post_model(sender=p, session_id=finishing, model_hash=h)
        for p, h in zip(participants, MODEL_HASHES, strict=True)
    ]
    assert [p.index for p in posts] == [0, 1, 2]
    assert [p.combined_model_hash for p in posts[:2]] == [None, None]
    assert posts[2].combined_model_hash == combined_model_hash(MODEL_HASHES)
    assert client.combined_model_hash(finishing) == combined_model_hash(MODEL_HASHES)
    assert client.get_session(finishing).status == SessionStatus.COMPLETED


def test_model_hashes_lists_the_posted_ones_in_participant_order(client, participants, finishing):
    client.post_model(sender=participants[1], session_id=finishing, model_hash=MODEL_HASHES[1])
    assert client.model_hashes(finishing) == [None, MODEL_HASHES[1], None]
    assert client.combined_model_hash(finishing) is None


def test_post_model_refuses_a_zero_hash_before_sending(client, participants, finishing):
    with pytest.raises(InvalidInputError, match="model_hash"):
        client.post_model(sender=participants[0], session_id=finishing, model_hash=bytes(32))


def test_post_model_while_training_raises_the_contracts_error(client, participants, opened):
    with pytest.raises(TransactionRevertedError) as caught:
        client.post_model(sender=participants[0], session_id=opened.session_id, model_hash=MODEL_HASHES[0])
    assert caught.value.error_name == "TrainingBoardNotFinishing"


# --- aborts ---------------------------------------------------------------------------------


def test_report_invalid_decryption_returns_the_report_and_the_abort(client, participants, ivs_posted):
    client.post_decryption(sender=participants[2], session_id=ivs_posted, round_=0, payload=dv(2))
    report = client.report_invalid_decryption(
        sender=participants[0], session_id=ivs_posted, round_=0, accused=participants[2]
    )
    assert (report.accuser, report.accused, report.round) == (participants[0].address, participants[2].address, 0)
    assert report.dv_hash == keccak(dv(2))
    assert (report.abort.reason, report.abort.round) == (AbortReason.INVALID_DECRYPTION, 0)
    assert client.get_session(ivs_posted).status == SessionStatus.ABORTED


def test_report_of_a_missing_dv_raises_the_contracts_error(client, participants, ivs_posted):
    with pytest.raises(TransactionRevertedError) as caught:
        client.report_invalid_decryption(
            sender=participants[0], session_id=ivs_posted, round_=0, accused=participants[1]
        )
    assert caught.value.error_name == "TrainingBoardNoDecryptionToDispute"


def test_abort_stalled_returns_the_abort(client, opened, stranger):
    sleep(STEP_TIMEOUT_S + 1)
    abort = client.abort_stalled(sender=stranger, session_id=opened.session_id)
    assert (abort.session_id, abort.round, abort.reason) == (opened.session_id, 0, AbortReason.STALLED)


def test_abort_stalled_before_the_deadline_raises_the_contracts_error(client, opened, stranger):
    with pytest.raises(TransactionRevertedError) as caught:
        client.abort_stalled(sender=stranger, session_id=opened.session_id)
    assert caught.value.error_name == "TrainingBoardNotStalled"


def test_abort_stalled_of_an_unknown_session_raises_unknown_session(client, stranger):
    with pytest.raises(UnknownSessionError):
        client.abort_stalled(sender=stranger, session_id=9)


# --- waiting --------------------------------------------------------------------------------


def test_wait_for_intermediates_returns_at_once_when_all_are_in(client, ivs_posted):
    assert [v.index for v in client.wait_for_intermediates(ivs_posted, 0, timeout_s=0)] == [0, 1, 2]


def test_wait_for_intermediates_with_a_count_waits_for_the_first_ones(client, participants):
    opened = open_default(client, participants, ordered=True)
    client.post_intermediate(sender=participants[0], session_id=opened.session_id, round_=0, payload=iv(0))
    values = client.wait_for_intermediates(opened.session_id, 0, count=1, timeout_s=0)
    assert [v.payload for v in values] == [iv(0)]


def test_wait_for_decryptions_times_out_with_a_typed_error(client, ivs_posted):
    started = time.monotonic()
    with pytest.raises(BoardTimeoutError) as caught:
        client.wait_for_decryptions(ivs_posted, 0, timeout_s=0.3, poll_s=0.1)
    assert time.monotonic() - started < 5
    assert (caught.value.session_id, caught.value.timeout_s) == (ivs_posted, 0.3)
    assert "3 DVs of round 0" in str(caught.value)


def test_wait_for_intermediates_sees_a_value_posted_meanwhile(client, participants, opened):
    for i, p in enumerate(participants[:2]):
        client.post_intermediate(sender=p, session_id=opened.session_id, round_=0, payload=iv(i))

    def late_post():
        time.sleep(0.5)
        client.post_intermediate(sender=participants[2], session_id=opened.session_id, round_=0, payload=iv(2))

    poster = threading.Thread(target=late_post)
    poster.start()
    try:
        values = client.wait_for_intermediates(opened.session_id, 0, timeout_s=30, poll_s=0.1)
    finally:
        poster.join()
    assert [v.payload for v in values] == [iv(0), iv(1), iv(2)]


def test_waiting_on_an_aborted_session_raises_session_aborted(client, opened, stranger):
    sleep(STEP_TIMEOUT_S + 1)
    client.abort_stalled(sender=stranger, session_id=opened.session_id)
    with pytest.raises(SessionAbortedError, match="aborted while waiting for 3 IVs of round 0"):
        client.wait_for_intermediates(opened.session_id, 0, timeout_s=5)


def test_wait_for_status_returns_the_session_in_that_status(client, finishing):
    assert client.wait_for_status(finishing, [SessionStatus.FINISHING], timeout_s=0).status == SessionStatus.FINISHING


def test_wait_for_status_times_out_with_a_typed_error(client, finishing):
    with pytest.raises(BoardTimeoutError, match="status COMPLETED"):
        client.wait_for_status(finishing, [SessionStatus.COMPLETED], timeout_s=0.2, poll_s=0.1)


def test_wait_for_status_raises_session_aborted_unless_aborted_is_awaited(client, opened, stranger):
    sleep(STEP_TIMEOUT_S + 1)
    client.abort_stalled(sender=stranger, session_id=opened.session_id)
    with pytest.raises(SessionAbortedError):
        client.wait_for_status(opened.session_id, [SessionStatus.COMPLETED], timeout_s=5)
    assert (
        client.wait_for_status(opened.session_id, [SessionStatus.ABORTED], timeout_s=0).status == SessionStatus.ABORTED
    )


def test_event_logs_are_typed_event_logs(client, ivs_posted):
    """The readers go through offchain.chain.events (range-chunked, typed)."""
    logs = board_module.get_events(client.contract, "IntermediatePosted", from_block=client.from_block)
    assert all(isinstance(log, EventLog) for log in logs)


# --- a participant process's board (offchain.protocols.vertical_svm_node.ChainBoard) --------


def test_a_participants_post_after_the_session_was_aborted_raises_session_aborted(
    client, participants, opened, stranger, tmp_path
):
    """Another participant may abort the session (a wrong partial named) while this one computes:
    its post then reverts, and that is the protocol's outcome (exit 3), not an unexpected error."""
    from offchain.protocols.vertical_svm_node import ChainBoard

    board = ChainBoard(client, opened.session_id, participants[0], tmp_path / "model")
    sleep(STEP_TIMEOUT_S + 1)
    client.abort_stalled(sender=stranger, session_id=opened.session_id)
    with pytest.raises(SessionAbortedError, match="posting the IV of round 0"):
        board.post_intermediate(0, iv(0))


def test_a_participants_post_refused_for_another_reason_raises_the_contracts_error(
    client, participants, opened, tmp_path
):
    from offchain.protocols.vertical_svm_node import ChainBoard

    board = ChainBoard(client, opened.session_id, participants[1], tmp_path / "model")
    with pytest.raises(TransactionRevertedError) as caught:
        board.post_intermediate(1, iv(1))  # the session is in round 0
    assert caught.value.error_name == "TrainingBoardWrongRound"
