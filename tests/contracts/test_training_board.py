"""TrainingBoard: opening sessions, intermediate and decrypted values round by round (only from
participants, only in the current round, once each, in turn in ordered sessions, before the
deadline), the partial models and the combined hash, accusations and stalled aborts; every revert
and every event, and the gas of each step at the payload sizes of vertical training."""

from __future__ import annotations

import brownie
import pytest
from eth_utils import keccak

from tests.helpers import (
    ABORTED,
    COMPLETED,
    FINISHING,
    INVALID_DECRYPTION,
    KEY_FINGERPRINT,
    ROUNDS,
    SAMPLE_COMMITMENT,
    STALLED,
    STEP_TIMEOUT_S,
    TRAINING,
    custom_error,
    masks_of,
    open_session,
    payload_of,
    play_round,
    session_of,
    sleep,
)

MAX_PARTICIPANTS = 16
MAX_ROUNDS = 1_000_000
MIN_STEP_TIMEOUT_S = 60
MAX_STEP_TIMEOUT_S = 30 * 24 * 3600
MAX_PAYLOAD_BYTES = 192 * 1024
IV = payload_of(1024, b"intermediate value")
DV = payload_of(1024, b"decrypted value")
MODEL_HASHES = [keccak(b"partial model %d" % i) for i in range(3)]
#: Gas goals (Ganache, Shanghai). openSession with three participants: measured 278,100 (the
#: board's first session; 261,000 later), eleven new slots (the session's three, each participant's
#: address and index). A post of 1 / 25 / 50 KiB of random bytes, the look of ciphertexts
#: (calldata at 16 gas a byte and log data at 8: about 24.5 gas a byte, one new hash slot and the
#: session's slot): measured IV 82,300 / 683,900 / 1,312,700 and DV 82,500 / 684,000 / 1,313,100
#: (the DV that completes a round 1,600 to 1,900 more); 192 KiB, the largest, 4,933,100. postModel
#: 55,400; the last one, which completes the session and hashes the models, 62,700.
OPEN_3_GAS_GOAL = 282_000
POST_GAS_GOALS = {  # payload KiB: (IV, DV)
    1: (84_000, 86_000),
    25: (686_000, 688_000),
    50: (1_315_000, 1_317_000),
}
POST_MODEL_GAS_GOAL = 57_000
LAST_POST_MODEL_GAS_GOAL = 65_000


@pytest.fixture(scope="module")
def board(TrainingBoard, deployer):
    return TrainingBoard.deploy({"from": deployer})


@pytest.fixture(scope="module")
def participants(accounts):
    """Three participants holding different features of the same samples (the research's setting)."""
    return list(accounts[3:6])


@pytest.fixture
def session_id(board, participants):
    """Session 1: three participants, three rounds, unordered, opened by the first."""
    return open_session(board, participants).return_value


@pytest.fixture
def ordered_id(board, participants):
    """Session 1, ordered (IVs in participant order)."""
    return open_session(board, participants, ordered=True).return_value


@pytest.fixture
def ivs_posted(board, session_id, participants):
    """Session 1 with every IV of round 0 posted."""
    for p in participants:
        board.postIntermediate(session_id, 0, IV, {"from": p})
    return session_id


@pytest.fixture
def finishing(board, session_id, participants):
    """Session 1 with its three rounds played: Finishing."""
    for r in range(ROUNDS):
        play_round(board, session_id, r, participants)
    return session_id


def post_models(board, session_id, participants, count=None):
    """The first ``count`` participants (all by default) post their model hashes; the last receipt."""
    tx = None
    for p, h in list(zip(participants, MODEL_HASHES, strict=True))[:count]:
        tx = board.postModel(session_id, h, {"from": p})
    return tx


# --- constants ------------------------------------------------------------------------------


def test_limits_are_the_documented_ones(board):
    assert (board.MIN_PARTICIPANTS(), board.MAX_PARTICIPANTS()) == (2, MAX_PARTICIPANTS)
    assert board.MAX_ROUNDS() == MAX_ROUNDS
    assert (board.MIN_STEP_TIMEOUT(), board.MAX_STEP_TIMEOUT()) == (MIN_STEP_TIMEOUT_S, MAX_STEP_TIMEOUT_S)
    assert board.MAX_PAYLOAD_BYTES() == MAX_PAYLOAD_BYTES


# --- openSession ----------------------------------------------------------------------------


def test_open_session_emits_session_opened_with_all_its_terms(board, participants):
    tx = open_session(board, participants, sender=participants[1], rounds=7, stepTimeout=600, ordered=True)
    event = tx.events["SessionOpened"]
    assert (event["sessionId"], event["opener"], list(event["participants"])) == (1, participants[1], participants)
    assert (event["keyFingerprint"], event["sampleCommitment"]) == (
        "0x" + KEY_FINGERPRINT.hex(),
        "0x" + SAMPLE_COMMITMENT.hex(),
    )
    assert (event["rounds"], event["stepTimeout"], event["ordered"]) == (7, 600, True)
    assert event["deadline"] == tx.timestamp + 600


def test_session_ids_count_from_one(board, participants):
    assert [open_session(board, participants).return_value for _ in range(3)] == [1, 2, 3]
    assert board.sessionCount() == 3


def test_a_new_session_trains_from_round_zero_with_a_deadline_one_timeout_ahead(board, participants):
    tx = open_session(board, participants)
    session = session_of(board, tx.return_value)
    assert (session["status"], session["round"], session["rounds"], session["ordered"]) == (TRAINING, 0, ROUNDS, False)
    assert (session["participantCount"], session["stepTimeout"]) == (3, STEP_TIMEOUT_S)
    assert session["deadline"] == tx.timestamp + STEP_TIMEOUT_S
    assert (session["keyFingerprint"], session["sampleCommitment"]) == (
        "0x" + KEY_FINGERPRINT.hex(),
        "0x" + SAMPLE_COMMITMENT.hex(),
    )
    assert masks_of(board, tx.return_value) == (0, 0, 0)


def test_participants_of_lists_them_in_index_order(board, session_id, participants):
    assert list(board.participantsOf(session_id)) == participants
    assert [board.indexOf(session_id, p) for p in participants] == [0, 1, 2]


def test_is_participant_tells_participants_from_strangers(board, session_id, participants, stranger):
    assert board.isParticipant(session_id, participants[2]) is True
    assert board.isParticipant(session_id, stranger) is False
    assert board.isParticipant(99, participants[0]) is False


def test_index_of_a_stranger_reverts(board, session_id, stranger):
    with brownie.reverts(custom_error("TrainingBoardNotAParticipant", session_id, stranger.address)):
        board.indexOf(session_id, stranger)


@pytest.mark.parametrize("count", [0, 1, MAX_PARTICIPANTS + 1])
def test_open_session_refuses_a_participant_count_out_of_range(board, participants, count):
    listed = (participants[:1] + [f"0x{i + 1:040x}" for i in range(MAX_PARTICIPANTS)])[:count]
    with brownie.reverts(custom_error("TrainingBoardInvalidParticipantCount", count, 2, MAX_PARTICIPANTS)):
        board.openSession(
            listed, KEY_FINGERPRINT, SAMPLE_COMMITMENT, ROUNDS, STEP_TIMEOUT_S, False, {"from": participants[0]}
        )


def test_open_session_takes_sixteen_participants(board, participants):
    listed = [f"0x{i + 1:040x}" for i in range(MAX_PARTICIPANTS - 1)] + [participants[0]]
    session_id = open_session(board, listed, sender=participants[0]).return_value
    assert board.indexOf(session_id, participants[0]) == MAX_PARTICIPANTS - 1


def test_open_session_refuses_the_zero_address(board, participants):
    with brownie.reverts(custom_error("TrainingBoardZeroParticipant", 1)):
        open_session(board, [participants[0], "0x" + "00" * 20])


def test_open_session_refuses_a_duplicate_participant(board, participants):
    with brownie.reverts(custom_error("TrainingBoardDuplicateParticipant", participants[1].address)):
        open_session(board, [participants[0], participants[1], participants[1]])


def test_open_session_refuses_an_opener_outside_the_session(board, participants, stranger):
    with brownie.reverts(custom_error("TrainingBoardOpenerNotParticipant", stranger.address)):
        open_session(board, participants, sender=stranger)


@pytest.mark.parametrize("field", ["keyFingerprint", "sampleCommitment"])
def test_open_session_refuses_a_zero_hash(board, participants, field):
    with brownie.reverts(custom_error("TrainingBoardZeroField", field)):
        open_session(board, participants, **{field: bytes(32)})


@pytest.mark.parametrize("rounds", [0, MAX_ROUNDS + 1])
def test_open_session_refuses_a_round_count_out_of_range(board, participants, rounds):
    with brownie.reverts(custom_error("TrainingBoardInvalidRounds", rounds, MAX_ROUNDS)):
        open_session(board, participants, rounds=rounds)


@pytest.mark.parametrize("rounds", [1, MAX_ROUNDS])
def test_open_session_takes_the_round_bounds(board, participants, rounds):
    assert session_of(board, open_session(board, participants, rounds=rounds).return_value)["rounds"] == rounds


@pytest.mark.parametrize("timeout", [0, MIN_STEP_TIMEOUT_S - 1, MAX_STEP_TIMEOUT_S + 1, 2**64 - 1])
def test_open_session_refuses_a_step_timeout_out_of_range(board, participants, timeout):
    expected = custom_error("TrainingBoardInvalidStepTimeout", timeout, MIN_STEP_TIMEOUT_S, MAX_STEP_TIMEOUT_S)
    with brownie.reverts(expected):
        open_session(board, participants, stepTimeout=timeout)


@pytest.mark.parametrize("timeout", [MIN_STEP_TIMEOUT_S, MAX_STEP_TIMEOUT_S])
def test_open_session_takes_the_step_timeout_bounds(board, participants, timeout):
    assert (
        session_of(board, open_session(board, participants, stepTimeout=timeout).return_value)["stepTimeout"] == timeout
    )


@pytest.mark.parametrize(
    ("view", "args"),
    [
        ("sessionOf", ()),
        ("participantsOf", ()),
        ("indexOf", ("0x" + "11" * 20,)),
        ("postedMasks", ()),
        ("combinedModelHash", ()),
    ],
)
@pytest.mark.parametrize("session_id", [0, 2])
def test_views_of_an_unknown_session_revert(board, participants, view, args, session_id):
    open_session(board, participants)
    with brownie.reverts(custom_error("TrainingBoardUnknownSession", session_id)):
        getattr(board, view)(session_id, *args)


def test_hashes_of_nothing_posted_are_zero(board, session_id):
    assert (
        board.ivHash(session_id, 0, 0)
        == board.dvHash(session_id, 0, 0)
        == board.modelHash(session_id, 0)
        == "0x" + "00" * 32
    )


# --- postIntermediate -----------------------------------------------------------------------


def test_post_intermediate_emits_the_payload_and_its_hash(board, session_id, participants):
    event = board.postIntermediate(session_id, 0, IV, {"from": participants[1]}).events["IntermediatePosted"]
    assert (event["sessionId"], event["round"], event["participant"], event["index"]) == (
        session_id,
        0,
        participants[1],
        1,
    )
    assert (event["payloadHash"], bytes(event["payload"])) == ("0x" + keccak(IV).hex(), IV)


def test_post_intermediate_stores_the_hash_and_sets_the_mask(board, session_id, participants):
    board.postIntermediate(session_id, 0, IV, {"from": participants[2]})
    assert board.ivHash(session_id, 0, 2) == "0x" + keccak(IV).hex()
    assert masks_of(board, session_id) == (0b100, 0, 0)
    assert session_of(board, session_id)["intermediateCount"] == 1


def test_post_intermediate_moves_the_deadline(board, session_id, participants):
    sleep(600)
    tx = board.postIntermediate(session_id, 0, IV, {"from": participants[0]})
    assert session_of(board, session_id)["deadline"] == tx.timestamp + STEP_TIMEOUT_S


def test_post_intermediate_refuses_an_unknown_session(board, participants):
    with brownie.reverts(custom_error("TrainingBoardUnknownSession", 1)):
        board.postIntermediate(1, 0, IV, {"from": participants[0]})


def test_post_intermediate_refuses_another_round(board, session_id, participants):
    with brownie.reverts(custom_error("TrainingBoardWrongRound", 0, 1)):
        board.postIntermediate(session_id, 1, IV, {"from": participants[0]})


def test_post_intermediate_refuses_a_stranger(board, session_id, stranger):
    with brownie.reverts(custom_error("TrainingBoardNotAParticipant", session_id, stranger.address)):
        board.postIntermediate(session_id, 0, IV, {"from": stranger})


def test_post_intermediate_refuses_a_second_iv_of_the_round(board, session_id, participants):
    board.postIntermediate(session_id, 0, IV, {"from": participants[0]})
    with brownie.reverts(custom_error("TrainingBoardAlreadyPosted", session_id, 0, participants[0].address)):
        board.postIntermediate(session_id, 0, DV, {"from": participants[0]})


def test_post_intermediate_refuses_an_empty_payload(board, session_id, participants):
    with brownie.reverts(custom_error("TrainingBoardEmptyPayload")):
        board.postIntermediate(session_id, 0, b"", {"from": participants[0]})


def test_post_intermediate_refuses_a_payload_over_the_limit(board, session_id, participants):
    expected = custom_error("TrainingBoardPayloadTooLarge", MAX_PAYLOAD_BYTES + 1, MAX_PAYLOAD_BYTES)
    with brownie.reverts(expected):
        board.postIntermediate(session_id, 0, bytes(MAX_PAYLOAD_BYTES + 1), {"from": participants[0]})


def test_post_intermediate_takes_a_payload_of_the_limit(board, session_id, participants):
    payload = payload_of(MAX_PAYLOAD_BYTES, b"largest")
    board.postIntermediate(session_id, 0, payload, {"from": participants[0]})
    assert board.ivHash(session_id, 0, 0) == "0x" + keccak(payload).hex()


def test_post_intermediate_refuses_a_post_after_the_deadline(board, session_id, participants):
    deadline = session_of(board, session_id)["deadline"]
    sleep(STEP_TIMEOUT_S + 1)
    with brownie.reverts(custom_error("TrainingBoardDeadlinePassed", session_id, deadline)):
        board.postIntermediate(session_id, 0, IV, {"from": participants[0]})


def test_ordered_session_refuses_an_iv_out_of_turn(board, ordered_id, participants):
    with brownie.reverts(custom_error("TrainingBoardNotYourTurn", 0, 1)):
        board.postIntermediate(ordered_id, 0, IV, {"from": participants[1]})


def test_ordered_session_refuses_a_later_participant_before_its_turn(board, ordered_id, participants):
    board.postIntermediate(ordered_id, 0, IV, {"from": participants[0]})
    with brownie.reverts(custom_error("TrainingBoardNotYourTurn", 1, 2)):
        board.postIntermediate(ordered_id, 0, IV, {"from": participants[2]})


def test_ordered_session_takes_ivs_in_participant_order(board, ordered_id, participants):
    for p in participants:
        board.postIntermediate(ordered_id, 0, IV, {"from": p})
    assert masks_of(board, ordered_id) == (0b111, 0, 0)


def test_unordered_session_takes_ivs_in_any_order(board, session_id, participants):
    for p in reversed(participants):
        board.postIntermediate(session_id, 0, IV, {"from": p})
    assert masks_of(board, session_id) == (0b111, 0, 0)


def test_ordered_session_takes_dvs_in_any_order(board, ordered_id, participants):
    for p in participants:
        board.postIntermediate(ordered_id, 0, IV, {"from": p})
    board.postDecryption(ordered_id, 0, DV, {"from": participants[2]})
    assert masks_of(board, ordered_id) == (0b111, 0b100, 0)


# --- postDecryption -------------------------------------------------------------------------


def test_post_decryption_refuses_a_dv_before_every_iv(board, session_id, participants):
    board.postIntermediate(session_id, 0, IV, {"from": participants[0]})
    board.postIntermediate(session_id, 0, IV, {"from": participants[1]})
    with brownie.reverts(custom_error("TrainingBoardIntermediatesIncomplete", session_id, 0, 2, 3)):
        board.postDecryption(session_id, 0, DV, {"from": participants[0]})


def test_post_decryption_emits_the_payload_and_its_hash(board, ivs_posted, participants):
    event = board.postDecryption(ivs_posted, 0, DV, {"from": participants[2]}).events["DecryptionPosted"]
    assert (event["sessionId"], event["round"], event["participant"], event["index"]) == (
        ivs_posted,
        0,
        participants[2],
        2,
    )
    assert (event["payloadHash"], bytes(event["payload"])) == ("0x" + keccak(DV).hex(), DV)


def test_post_decryption_stores_the_hash_and_sets_the_mask(board, ivs_posted, participants):
    board.postDecryption(ivs_posted, 0, DV, {"from": participants[1]})
    assert board.dvHash(ivs_posted, 0, 1) == "0x" + keccak(DV).hex()
    assert masks_of(board, ivs_posted) == (0b111, 0b010, 0)


def test_post_decryption_moves_the_deadline(board, ivs_posted, participants):
    sleep(600)
    tx = board.postDecryption(ivs_posted, 0, DV, {"from": participants[0]})
    assert session_of(board, ivs_posted)["deadline"] == tx.timestamp + STEP_TIMEOUT_S


def test_post_decryption_refuses_an_unknown_session(board, participants):
    with brownie.reverts(custom_error("TrainingBoardUnknownSession", 5)):
        board.postDecryption(5, 0, DV, {"from": participants[0]})


def test_post_decryption_refuses_another_round(board, ivs_posted, participants):
    with brownie.reverts(custom_error("TrainingBoardWrongRound", 0, 2)):
        board.postDecryption(ivs_posted, 2, DV, {"from": participants[0]})


def test_post_decryption_refuses_a_stranger(board, ivs_posted, stranger):
    with brownie.reverts(custom_error("TrainingBoardNotAParticipant", ivs_posted, stranger.address)):
        board.postDecryption(ivs_posted, 0, DV, {"from": stranger})


def test_post_decryption_refuses_a_second_dv_of_the_round(board, ivs_posted, participants):
    board.postDecryption(ivs_posted, 0, DV, {"from": participants[1]})
    with brownie.reverts(custom_error("TrainingBoardAlreadyPosted", ivs_posted, 0, participants[1].address)):
        board.postDecryption(ivs_posted, 0, IV, {"from": participants[1]})


def test_post_decryption_refuses_an_empty_payload(board, ivs_posted, participants):
    with brownie.reverts(custom_error("TrainingBoardEmptyPayload")):
        board.postDecryption(ivs_posted, 0, b"", {"from": participants[0]})


def test_post_decryption_refuses_a_payload_over_the_limit(board, ivs_posted, participants):
    expected = custom_error("TrainingBoardPayloadTooLarge", MAX_PAYLOAD_BYTES + 1, MAX_PAYLOAD_BYTES)
    with brownie.reverts(expected):
        board.postDecryption(ivs_posted, 0, bytes(MAX_PAYLOAD_BYTES + 1), {"from": participants[0]})


def test_post_decryption_refuses_a_post_after_the_deadline(board, ivs_posted, participants):
    deadline = session_of(board, ivs_posted)["deadline"]
    sleep(STEP_TIMEOUT_S + 1)
    with brownie.reverts(custom_error("TrainingBoardDeadlinePassed", ivs_posted, deadline)):
        board.postDecryption(ivs_posted, 0, DV, {"from": participants[0]})


def test_the_last_dv_completes_the_round_and_starts_the_next(board, ivs_posted, participants):
    board.postDecryption(ivs_posted, 0, DV, {"from": participants[0]})
    board.postDecryption(ivs_posted, 0, DV, {"from": participants[1]})
    tx = board.postDecryption(ivs_posted, 0, DV, {"from": participants[2]})
    assert (tx.events["RoundCompleted"]["sessionId"], tx.events["RoundCompleted"]["round"]) == (ivs_posted, 0)
    assert "TrainingFinished" not in tx.events
    session = session_of(board, ivs_posted)
    assert (session["status"], session["round"]) == (TRAINING, 1)
    assert (session["intermediateCount"], session["decryptionCount"]) == (0, 0)
    assert masks_of(board, ivs_posted) == (0, 0, 0)


def test_a_dv_short_of_the_last_completes_nothing(board, ivs_posted, participants):
    tx = board.postDecryption(ivs_posted, 0, DV, {"from": participants[0]})
    assert "RoundCompleted" not in tx.events
    assert session_of(board, ivs_posted)["round"] == 0


def test_hashes_of_a_completed_round_stay_readable(board, session_id, participants):
    play_round(board, session_id, 0, participants)
    zero = "0x" + "00" * 32
    assert all(board.ivHash(session_id, 0, i) != zero and board.dvHash(session_id, 0, i) != zero for i in range(3))


def test_an_iv_of_a_completed_round_is_refused(board, session_id, participants):
    play_round(board, session_id, 0, participants)
    with brownie.reverts(custom_error("TrainingBoardWrongRound", 1, 0)):
        board.postIntermediate(session_id, 0, IV, {"from": participants[0]})


def test_the_last_round_finishes_training(board, session_id, participants):
    play_round(board, session_id, 0, participants)
    play_round(board, session_id, 1, participants)
    for p in participants:
        board.postIntermediate(session_id, 2, IV, {"from": p})
    board.postDecryption(session_id, 2, DV, {"from": participants[0]})
    board.postDecryption(session_id, 2, DV, {"from": participants[1]})
    tx = board.postDecryption(session_id, 2, DV, {"from": participants[2]})
    assert tx.events["RoundCompleted"]["round"] == 2
    assert tx.events["TrainingFinished"]["sessionId"] == session_id
    session = session_of(board, session_id)
    assert (session["status"], session["round"]) == (FINISHING, ROUNDS)


@pytest.mark.parametrize("function", ["postIntermediate", "postDecryption"])
def test_posts_are_refused_once_training_finished(board, finishing, participants, function):
    with brownie.reverts(custom_error("TrainingBoardNotTraining", finishing, FINISHING)):
        getattr(board, function)(finishing, ROUNDS, IV, {"from": participants[0]})


# --- postModel ------------------------------------------------------------------------------


def test_post_model_is_refused_while_training(board, session_id, participants):
    with brownie.reverts(custom_error("TrainingBoardNotFinishing", session_id, TRAINING)):
        board.postModel(session_id, MODEL_HASHES[0], {"from": participants[0]})


def test_post_model_refuses_an_unknown_session(board, participants):
    with brownie.reverts(custom_error("TrainingBoardUnknownSession", 3)):
        board.postModel(3, MODEL_HASHES[0], {"from": participants[0]})


def test_post_model_emits_and_stores_the_hash(board, finishing, participants):
    event = board.postModel(finishing, MODEL_HASHES[1], {"from": participants[1]}).events["ModelPosted"]
    assert (event["sessionId"], event["participant"], event["index"]) == (finishing, participants[1], 1)
    assert event["modelHash"] == "0x" + MODEL_HASHES[1].hex()
    assert board.modelHash(finishing, 1) == "0x" + MODEL_HASHES[1].hex()
    assert masks_of(board, finishing) == (0, 0, 0b010)


def test_post_model_moves_the_deadline(board, finishing, participants):
    sleep(600)
    tx = board.postModel(finishing, MODEL_HASHES[0], {"from": participants[0]})
    assert session_of(board, finishing)["deadline"] == tx.timestamp + STEP_TIMEOUT_S


def test_post_model_refuses_a_stranger(board, finishing, stranger):
    with brownie.reverts(custom_error("TrainingBoardNotAParticipant", finishing, stranger.address)):
        board.postModel(finishing, MODEL_HASHES[0], {"from": stranger})


def test_post_model_refuses_a_second_hash(board, finishing, participants):
    board.postModel(finishing, MODEL_HASHES[0], {"from": participants[0]})
    with brownie.reverts(custom_error("TrainingBoardAlreadyPosted", finishing, ROUNDS, participants[0].address)):
        board.postModel(finishing, MODEL_HASHES[1], {"from": participants[0]})


def test_post_model_refuses_a_zero_hash(board, finishing, participants):
    with brownie.reverts(custom_error("TrainingBoardZeroField", "modelHash")):
        board.postModel(finishing, bytes(32), {"from": participants[0]})


def test_post_model_refuses_a_post_after_the_deadline(board, finishing, participants):
    deadline = session_of(board, finishing)["deadline"]
    sleep(STEP_TIMEOUT_S + 1)
    with brownie.reverts(custom_error("TrainingBoardDeadlinePassed", finishing, deadline)):
        board.postModel(finishing, MODEL_HASHES[0], {"from": participants[0]})


def test_a_model_short_of_the_last_completes_nothing(board, finishing, participants):
    tx = post_models(board, finishing, participants, count=2)
    assert "SessionCompleted" not in tx.events
    assert session_of(board, finishing)["status"] == FINISHING
    assert board.combinedModelHash(finishing) == "0x" + "00" * 32


def test_the_last_model_completes_the_session_with_the_combined_hash(board, finishing, participants):
    tx = post_models(board, finishing, participants)
    combined = "0x" + keccak(b"".join(MODEL_HASHES)).hex()
    assert (tx.events["SessionCompleted"]["sessionId"], tx.events["SessionCompleted"]["combinedModelHash"]) == (
        finishing,
        combined,
    )
    assert session_of(board, finishing)["status"] == COMPLETED
    assert board.combinedModelHash(finishing) == combined


def test_the_combined_hash_follows_participant_order_not_posting_order(board, finishing, participants):
    for p, h in reversed(list(zip(participants, MODEL_HASHES, strict=True))):
        board.postModel(finishing, h, {"from": p})
    assert board.combinedModelHash(finishing) == "0x" + keccak(b"".join(MODEL_HASHES)).hex()


def test_post_model_is_refused_once_completed(board, finishing, participants):
    post_models(board, finishing, participants)
    with brownie.reverts(custom_error("TrainingBoardNotFinishing", finishing, COMPLETED)):
        board.postModel(finishing, MODEL_HASHES[0], {"from": participants[0]})


# --- reportInvalidDecryption ----------------------------------------------------------------


def test_an_accusation_names_the_dv_and_aborts_the_session(board, ivs_posted, participants):
    board.postDecryption(ivs_posted, 0, DV, {"from": participants[1]})
    tx = board.reportInvalidDecryption(ivs_posted, 0, participants[1], {"from": participants[0]})
    reported = tx.events["InvalidDecryptionReported"]
    assert (reported["sessionId"], reported["round"], reported["accuser"], reported["accused"]) == (
        ivs_posted,
        0,
        participants[0],
        participants[1],
    )
    assert reported["dvHash"] == "0x" + keccak(DV).hex()
    aborted = tx.events["SessionAborted"]
    assert (aborted["sessionId"], aborted["round"], aborted["reason"]) == (ivs_posted, 0, INVALID_DECRYPTION)
    assert session_of(board, ivs_posted)["status"] == ABORTED


def test_an_accusation_may_name_a_dv_of_an_earlier_round(board, session_id, participants):
    play_round(board, session_id, 0, participants)
    tx = board.reportInvalidDecryption(session_id, 0, participants[2], {"from": participants[1]})
    assert tx.events["InvalidDecryptionReported"]["round"] == 0
    assert tx.events["SessionAborted"]["round"] == 1


def test_an_accusation_is_taken_while_finishing(board, finishing, participants):
    board.reportInvalidDecryption(finishing, ROUNDS - 1, participants[0], {"from": participants[2]})
    assert session_of(board, finishing)["status"] == ABORTED


def test_an_accusation_refuses_an_unknown_session(board, participants):
    with brownie.reverts(custom_error("TrainingBoardUnknownSession", 1)):
        board.reportInvalidDecryption(1, 0, participants[1], {"from": participants[0]})


def test_an_accusation_needs_a_posted_dv(board, ivs_posted, participants):
    with brownie.reverts(custom_error("TrainingBoardNoDecryptionToDispute", ivs_posted, 0, participants[1].address)):
        board.reportInvalidDecryption(ivs_posted, 0, participants[1], {"from": participants[0]})


def test_an_accusation_of_a_round_not_reached_is_refused(board, session_id, participants):
    play_round(board, session_id, 0, participants)
    with brownie.reverts(custom_error("TrainingBoardNoDecryptionToDispute", session_id, 1, participants[1].address)):
        board.reportInvalidDecryption(session_id, 1, participants[1], {"from": participants[0]})


def test_a_stranger_cannot_accuse(board, session_id, participants, stranger):
    play_round(board, session_id, 0, participants)
    with brownie.reverts(custom_error("TrainingBoardNotAParticipant", session_id, stranger.address)):
        board.reportInvalidDecryption(session_id, 0, participants[1], {"from": stranger})


def test_a_stranger_cannot_be_accused(board, session_id, participants, stranger):
    with brownie.reverts(custom_error("TrainingBoardNotAParticipant", session_id, stranger.address)):
        board.reportInvalidDecryption(session_id, 0, stranger, {"from": participants[0]})


def test_a_participant_cannot_accuse_itself(board, session_id, participants):
    play_round(board, session_id, 0, participants)
    with brownie.reverts(custom_error("TrainingBoardSelfAccusation", participants[0].address)):
        board.reportInvalidDecryption(session_id, 0, participants[0], {"from": participants[0]})


def test_an_accusation_of_a_closed_session_is_refused(board, finishing, participants):
    post_models(board, finishing, participants)
    with brownie.reverts(custom_error("TrainingBoardSessionClosed", finishing, COMPLETED)):
        board.reportInvalidDecryption(finishing, 0, participants[1], {"from": participants[0]})


def test_an_aborted_session_takes_no_more_posts(board, session_id, participants):
    play_round(board, session_id, 0, participants)
    board.reportInvalidDecryption(session_id, 0, participants[1], {"from": participants[0]})
    with brownie.reverts(custom_error("TrainingBoardNotTraining", session_id, ABORTED)):
        board.postIntermediate(session_id, 1, IV, {"from": participants[0]})


# --- abortStalled ---------------------------------------------------------------------------


def test_abort_stalled_is_refused_before_the_deadline(board, session_id, stranger):
    deadline = session_of(board, session_id)["deadline"]
    with brownie.reverts(custom_error("TrainingBoardNotStalled", session_id, deadline)):
        board.abortStalled(session_id, {"from": stranger})


def test_anyone_aborts_a_session_stalled_past_its_deadline(board, ivs_posted, stranger):
    sleep(STEP_TIMEOUT_S + 1)
    event = board.abortStalled(ivs_posted, {"from": stranger}).events["SessionAborted"]
    assert (event["sessionId"], event["round"], event["reason"]) == (ivs_posted, 0, STALLED)
    assert session_of(board, ivs_posted)["status"] == ABORTED


def test_progress_puts_off_the_abort(board, session_id, participants, stranger):
    sleep(STEP_TIMEOUT_S - 600)
    board.postIntermediate(session_id, 0, IV, {"from": participants[0]})
    sleep(STEP_TIMEOUT_S - 600)
    deadline = session_of(board, session_id)["deadline"]
    with brownie.reverts(custom_error("TrainingBoardNotStalled", session_id, deadline)):
        board.abortStalled(session_id, {"from": stranger})


def test_a_stalled_finishing_session_can_be_aborted(board, finishing, participants, stranger):
    post_models(board, finishing, participants, count=2)
    sleep(STEP_TIMEOUT_S + 1)
    assert board.abortStalled(finishing, {"from": stranger}).events["SessionAborted"]["round"] == ROUNDS


def test_abort_stalled_refuses_an_unknown_session(board, stranger):
    with brownie.reverts(custom_error("TrainingBoardUnknownSession", 4)):
        board.abortStalled(4, {"from": stranger})


def test_a_completed_session_cannot_be_aborted(board, finishing, participants, stranger):
    post_models(board, finishing, participants)
    sleep(STEP_TIMEOUT_S + 1)
    with brownie.reverts(custom_error("TrainingBoardSessionClosed", finishing, COMPLETED)):
        board.abortStalled(finishing, {"from": stranger})


def test_an_aborted_session_cannot_be_aborted_again(board, session_id, stranger):
    sleep(STEP_TIMEOUT_S + 1)
    board.abortStalled(session_id, {"from": stranger})
    with brownie.reverts(custom_error("TrainingBoardSessionClosed", session_id, ABORTED)):
        board.abortStalled(session_id, {"from": stranger})


def test_sessions_are_independent(board, participants, accounts):
    first = open_session(board, participants).return_value
    second = open_session(board, [participants[0], accounts[7]]).return_value
    play_round(board, second, 0, [participants[0], accounts[7]])
    assert session_of(board, first)["round"] == 0
    assert session_of(board, second)["round"] == 1
    assert board.isParticipant(first, accounts[7]) is False


# --- gas ------------------------------------------------------------------------------------


def test_the_first_open_session_of_three_costs_at_most_its_goal(board, participants):
    assert open_session(board, participants).gas_used <= OPEN_3_GAS_GOAL


@pytest.mark.parametrize("kib", sorted(POST_GAS_GOALS))
def test_posts_cost_at_most_their_goals(board, session_id, participants, kib):
    iv_goal, dv_goal = POST_GAS_GOALS[kib]
    size = kib * 1024
    ivs = [
        board.postIntermediate(session_id, 0, payload_of(size, b"iv%d" % i), {"from": p})
        for i, p in enumerate(participants)
    ]
    dvs = [
        board.postDecryption(session_id, 0, payload_of(size, b"dv%d" % i), {"from": p})
        for i, p in enumerate(participants)
    ]
    assert max(tx.gas_used for tx in ivs) <= iv_goal
    assert max(tx.gas_used for tx in dvs) <= dv_goal  # the last one completes the round


def test_post_model_costs_at_most_its_goal(board, finishing, participants):
    first = board.postModel(finishing, MODEL_HASHES[0], {"from": participants[0]})
    board.postModel(finishing, MODEL_HASHES[1], {"from": participants[1]})
    last = board.postModel(finishing, MODEL_HASHES[2], {"from": participants[2]})
    assert first.gas_used <= POST_MODEL_GAS_GOAL
    assert last.gas_used <= LAST_POST_MODEL_GAS_GOAL
