"""A vertical SVM participant as a process of its own, talking to the others only through the chain.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 5 §5.6: the
participants exchange their intermediate and decrypted values through the blockchain service
platform, never directly. Each node reads a spec file (:class:`NodeSpec`), attaches to the chain
the spec names, runs :class:`~offchain.protocols.vertical_svm.VerticalParticipant` over a
:class:`ChainBoard` (the ``TrainingBoard`` contract), and writes its result (partial model,
verdict counts, timings) atomically to the spec's result path; the partial model's keccak256 is
what it posts on chain, so anyone can check the published file against the board.

    python -m offchain.protocols.vertical_svm_node spec.json

Exit codes: 0 trained; 2 usage; 3 the session was aborted (a participant posted a wrong partial
decryption and was named on chain, whoever noticed it first, or the session stalled and was
aborted); 1 any other error.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak

from offchain.atomic_io import atomic_write_bytes, atomic_write_text
from offchain.chain.block_height import BlockHeight
from offchain.chain.contracts import attach
from offchain.chain.training_board import (
    BoardTimeoutError,
    SessionAbortedError,
    SessionProgress,
    SessionStatus,
    TrainingBoardClient,
)
from offchain.crypto import joint_comparison as jc
from offchain.crypto import threshold_paillier as tp
from offchain.errors import ChainError, InvalidInputError, OffchainError, TransactionRevertedError
from offchain.protocols.vertical_svm import TrainingAbortedError, VerticalParticipant, VerticalSetup, stock_ahead
from offchain.validation import parse_json

__all__ = ["ChainBoard", "NodeSpec", "attach", "main", "run_node"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NodeSpec:
    """What a participant process needs (paths to files only it can read hold its secrets).

    Attributes:
        network: The Brownie network id of the chain.
        rpc: The chain's RPC URL (the node attaches to it; it never starts a chain).
        board: Address of the ``TrainingBoard``.
        session_id: The training session; 0: the first session whose key fingerprint and sample
            commitment are the setup's (the node attaches first, writes ``<result>.ready``, then
            waits for it, so that start-up stays out of the training time).
        account: The participant's unlocked account on the local chain.
        index: Its participant index (0-based).
        setup: Path of the setup JSON (public).
        share: Path of its key share JSON (secret).
        data: Path of its columns and the labels (JSON: {"columns": [[…]], "labels": […]}).
        result: Where to write its result JSON.
        model: Where to write its published partial model (bytes whose keccak256 goes on chain).
        timeout_s: How long to wait for another participant.
    """

    network: str
    rpc: str
    board: str
    session_id: int
    account: str
    index: int
    setup: str
    share: str
    data: str
    result: str
    model: str
    timeout_s: float = 300.0

    def to_json(self) -> str:
        """The spec as JSON."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> NodeSpec:
        """The spec of :meth:`to_json`.

        Raises:
            InvalidInputError: Malformed.
        """
        try:
            return cls(**parse_json(text))
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"vertical SVM node spec: {exc}") from None


class ChainBoard:
    """The :class:`~offchain.protocols.vertical_svm.Board` of one participant on a ``TrainingBoard``.

    Args:
        client: The board's client.
        session_id: The session.
        sender: The participant's account.
        model_path: Where :meth:`post_model` writes the model whose hash it posts.
        poll_s: Polling interval while waiting for other participants.
    """

    def __init__(
        self, client: TrainingBoardClient, session_id: int, sender: Any, model_path: Path, poll_s: float = 0.02
    ):
        self.client, self.session_id, self.sender = client, session_id, sender
        self.session = client.get_session(session_id)
        self.model_path, self.poll_s = model_path, poll_s
        #: Work done instead of sleeping while waiting (one unit a call; False when none is left).
        self.idle: Callable[[], bool] | None = None
        #: Seconds spent sending transactions, and waiting for (and reading) other participants' posts.
        self.post_s = self.wait_s = 0.0

    def post_intermediate(self, round_: int, payload: bytes) -> None:
        """Post this participant's IV.

        Raises:
            SessionAbortedError: The session was aborted before the post (by another
                participant's report of a wrong partial decryption, or for a stall).
        """
        self._post(self.client.post_intermediate, f"posting the IV of round {round_}", round_, payload)

    def post_decryption(self, round_: int, payload: bytes) -> None:
        """Post this participant's DV.

        Raises:
            SessionAbortedError: The session was aborted before the post.
        """
        self._post(self.client.post_decryption, f"posting the DV of round {round_}", round_, payload)

    def _post(self, send: Callable[..., Any], what: str, round_: int, payload: bytes) -> None:
        started = time.perf_counter()
        try:
            send(sender=self.sender, session_id=self.session_id, round_=round_, payload=payload)
        except TransactionRevertedError:
            # Another participant may have aborted the session while this one computed: that is
            # the protocol's outcome, not this participant's error.
            if self.client.progress(self.session_id).status == SessionStatus.ABORTED:
                raise SessionAbortedError(self.session_id, what) from None
            raise
        finally:
            self.post_s += time.perf_counter() - started

    def intermediate(self, round_: int, index: int, timeout_s: float) -> bytes:
        """Participant ``index``'s IV of ``round_``, once the board shows it posted."""
        return self._posted("IV", round_, index, timeout_s)

    def decryption(self, round_: int, index: int, timeout_s: float) -> bytes:
        """Participant ``index``'s DV of ``round_``, as soon as the board shows it posted (the others
        may still be decrypting: checking this one's proof meanwhile takes it off the critical path)."""
        return self._posted("DV", round_, index, timeout_s)

    def _posted(self, kind: str, round_: int, index: int, timeout_s: float) -> bytes:
        """Participant ``index``'s IV or DV (``kind``) of ``round_``: wait for the board's mask to
        show it, then read that participant's post alone."""
        started = time.perf_counter()
        mask = "intermediate_mask" if kind == "IV" else "decryption_mask"
        self._wait_until(
            lambda s: s.round > round_ or (s.round == round_ and bool(getattr(s, mask) >> index & 1)),
            f"the {kind} of participant {index} in round {round_}",
            timeout_s,
        )
        read = self.client.intermediates if kind == "IV" else self.client.decryptions
        values = read(self.session_id, round_, participant=self.session.participants[index])
        self.wait_s += time.perf_counter() - started
        for value in values:
            if value.index == index:
                return value.payload
        raise ChainError(f"session {self.session_id}: no {kind} of participant {index} in round {round_}")

    def _wait_until(self, ready: Callable[[SessionProgress], bool], what: str, timeout_s: float) -> None:
        """Poll the chain's height (:class:`BlockHeight`), and the session's progress (one view
        call) only when a block came, until ``ready`` holds.

        Raises:
            SessionAbortedError: The session was aborted meanwhile.
            BoardTimeoutError: Not within ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        height = BlockHeight()
        while True:
            if height.moved():
                state = self.client.progress(self.session_id)
                if ready(state):
                    return
                if state.status == SessionStatus.ABORTED:
                    raise SessionAbortedError(self.session_id, what)
            now = time.monotonic()
            if now > deadline:
                raise BoardTimeoutError(self.session_id, what, timeout_s)
            # Ask the node at most once per poll_s (every request costs the node CPU, which the
            # other participants' computations need): idle work fills the gap, then sleep.
            next_poll = now + self.poll_s
            while self.idle is not None and time.monotonic() < next_poll and self.idle():
                pass
            time.sleep(max(0.0, next_poll - time.monotonic()))

    def report_invalid(self, round_: int, accused: int) -> None:
        """Name participant ``accused`` (another participant may have done it first: then nothing to do)."""
        try:
            self.client.report_invalid_decryption(
                sender=self.sender,
                session_id=self.session_id,
                round_=round_,
                accused=self.session.participants[accused],
            )
        except TransactionRevertedError as exc:
            logger.info("session %d: the accusation was not recorded (%s)", self.session_id, exc)

    def post_model(self, model: bytes) -> None:
        """Publish the partial model: the file first, then its hash on chain."""
        atomic_write_bytes(self.model_path, model)
        self.client.post_model(sender=self.sender, session_id=self.session_id, model_hash=keccak(model))


def wait_for_session(client: TrainingBoardClient, setup: VerticalSetup, spec: NodeSpec, ready: Path) -> int:
    """Signal readiness, then wait for the session opened for this setup (newest first).

    Raises:
        BoardTimeoutError: None within the spec's timeout.
    """
    atomic_write_text(ready, "attached\n")
    deadline = time.monotonic() + spec.timeout_s
    fingerprint, commitment = setup.key_fingerprint(), setup.sample_commitment()
    seen = 0
    while time.monotonic() < deadline:
        count = client.session_count()
        for session_id in range(count, seen, -1):
            session = client.get_session(session_id)
            if (
                session.key_fingerprint == fingerprint
                and session.sample_commitment == commitment
                and spec.account in session.participants
            ):
                return session_id
        seen = count
        time.sleep(0.05)
    raise BoardTimeoutError(0, "a session for this setup", spec.timeout_s)


def run_node(spec: NodeSpec) -> dict[str, Any]:
    """Run one participant to the end; returns (and writes) its result.

    Raises:
        TrainingAbortedError: A participant posted a wrong partial decryption (named on chain).
        OffchainError: The spec's files are malformed, or the chain refused a post.
    """
    from brownie import accounts

    from offchain.chain.contracts import contract_at

    setup = VerticalSetup.from_json(Path(spec.setup).read_text())
    share = tp.KeyShare.from_json(Path(spec.share).read_text())
    data = parse_json(Path(spec.data).read_text())
    attach(spec.network, spec.rpc)
    started = time.perf_counter()  # the offline phase: one round of blinding draws and re-randomisers, before any data
    noise = jc.SubgroupNoise(setup.public_key)
    while stock_ahead(setup, spec.index, noise):
        pass
    offline_s = time.perf_counter() - started
    client = TrainingBoardClient(contract_at("TrainingBoard", spec.board))
    session_id = spec.session_id or wait_for_session(client, setup, spec, Path(spec.result + ".ready"))
    board = ChainBoard(client, session_id, accounts.at(spec.account, force=True), Path(spec.model))
    participant = VerticalParticipant(
        setup, spec.index, share, data["columns"], data["labels"], board, timeout_s=spec.timeout_s, noise=noise
    )
    board.idle = participant.precompute
    cpu = time.process_time()
    result = participant.run()
    cpu_s = time.process_time() - cpu
    out = {**asdict(result), "post_s": board.post_s, "wait_s": board.wait_s, "offline_s": offline_s, "cpu_s": cpu_s}
    atomic_write_text(Path(spec.result), json.dumps(out))
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m offchain.protocols.vertical_svm_node spec.json``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m offchain.protocols.vertical_svm_node SPEC.json\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        run_node(NodeSpec.from_json(Path(args[0]).read_text()))
    except (TrainingAbortedError, SessionAbortedError) as exc:
        logger.error("aborted: %s", exc)
        return 3
    except OffchainError as exc:
        logger.error("error: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
