"""Vertical SVM (issue 14): participants as processes that talk only through the TrainingBoard."""

from __future__ import annotations

import dataclasses
import random

import pytest

from offchain.chain.deploy import deploy_all
from offchain.chain.session import Session
from offchain.chain.training_board import SessionAbortedError, SessionStatus
from offchain.crypto import additive_threshold_paillier as atp
from offchain.crypto import joint_comparison as jc
from offchain.crypto import threshold_paillier as tp
from offchain.learning import Schedule, load_dataset, prepare, quantize
from offchain.protocols.vertical_svm import (
    SPANS,
    VerticalParticipant,
    VerticalSetup,
    decode_decryption,
    encode_decryption,
)
from offchain.protocols.vertical_svm_node import ChainBoard
from scripts import vertical_svm

SHORT = Schedule(learning_rate=0.5, batch_size=20, iterations=3, seed=1)


@pytest.fixture(scope="module")
def session(accounts, tmp_path_factory):
    return Session(deploy_all(accounts[0], path=tmp_path_factory.mktemp("vsvm") / "deployment.json"))


@pytest.mark.parametrize(
    ("variant", "slots", "rounds"), [(jc.JudgeVariant.CHAINED, 1, 3), (jc.JudgeVariant.PAPER, 2, 2)]
)
def test_three_processes_train_the_centralised_plaintext_model(session, accounts, tmp_path, variant, slots, rounds):
    figures = vertical_svm.run(
        session,
        tmp_path,
        [accounts[1], accounts[2], accounts[3]],
        key_bits=1024,
        schedule=dataclasses.replace(SHORT, iterations=rounds),
        variant=variant,
        slots=slots,
        plot=tmp_path / "curve.png",
        timeout_s=240,
    )  # raises unless the published model equals train_plaintext's
    assert figures["rounds"] == rounds and figures["samples"] == 20 * rounds
    assert set(figures["spans_s"]) == set(SPANS) and figures["spans_s"]["decrypt"] > 0  # the profile's parts
    assert session.training_board.get_session(session.training_board.session_count()).status == SessionStatus.COMPLETED
    assert (tmp_path / "curve.png").stat().st_size > 0


class TamperingBoard(ChainBoard):
    """Participant 2's board, which corrupts the first partial decryption of every DV it posts."""

    def __init__(self, *args, setup, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup = setup

    def post_decryption(self, round_, payload):
        partial = decode_decryption(self.setup, payload)
        values = ((partial.values[0] * 4) % self.setup.public_key.nsquare, *partial.values[1:])
        forged = tp.BatchPartialDecryption(
            partial.index, values, partial.commitment_c, partial.commitment_v, partial.response
        )
        super().post_decryption(round_, encode_decryption(self.setup, forged))


def test_a_wrong_partial_decryption_is_named_on_chain_and_aborts_the_session(session, accounts, tmp_path):
    prepared = prepare(load_dataset("bcw"), seed=0)
    rows = quantize(prepared.x_train, SHORT.fraction_bits)
    labels = [int(v) for v in prepared.y_train]
    partition = vertical_svm.partition_columns(len(rows[0]), 3)
    public_key, shares = atp.generate_additive_keypair(1024, 3, rng=random.Random(1409))  # the default kind
    setup = VerticalSetup(SHORT, partition, len(rows), public_key)
    board = session.training_board
    members = [accounts[1], accounts[2], accounts[3]]
    opened = board.open_session(
        sender=members[0],
        participants=[a.address for a in members],
        key_fingerprint=setup.key_fingerprint(),
        sample_commitment=setup.sample_commitment(),
        rounds=SHORT.iterations,
        step_timeout_s=3600,
        ordered=True,
    )
    processes = []
    for i in (0, 1):
        columns = [[r[c] for c in partition[i]] for r in rows]
        spec = vertical_svm.write_node_files(
            tmp_path,
            f"p{i}",
            setup,
            shares[i],
            columns,
            labels,
            session,
            opened.session_id,
            members[i],
            i,
            timeout_s=240,
        )
        processes.append(vertical_svm.launch_node(tmp_path, f"p{i}", spec))
    cheat = TamperingBoard(board, opened.session_id, members[2], tmp_path / "p2.model", setup=setup)
    columns = [[r[c] for c in partition[2]] for r in rows]
    with pytest.raises(SessionAbortedError):
        VerticalParticipant(setup, 2, shares[2], columns, labels, cheat, timeout_s=240).run()
    codes = [p.wait(timeout=120) for p in processes]
    logs = "\n".join(f"--- p{i}.log\n" + (tmp_path / f"p{i}.log").read_text()[-3000:] for i in (0, 1))
    assert codes == [3, 3], logs  # both honest nodes stop: aborted (their logs say why if not)
    reports = [e for e in board.contract.events.get_sequence(0, event_type="InvalidDecryptionReported")]
    assert [r.args.accused for r in reports] == [members[2].address], (reports, logs)
    assert board.get_session(opened.session_id).status == SessionStatus.ABORTED
