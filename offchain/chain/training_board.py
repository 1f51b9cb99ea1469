"""Typed client of the ``TrainingBoard`` contract: the on-chain board of vertical training.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 5 (§5.4–5.6).
Several participants hold different features of the same samples and train one model together;
every joint step goes through the chain (the research's "blockchain service platform"), never
from one participant to another. Per round r each participant posts one intermediate value (IV,
Table 5.2: its encrypted partial margin, blinding values…) and, once all IVs are in, one
decrypted value (DV, Table 5.3: its partial decryptions with their proofs); the round's last DV
starts round r + 1. After the last round each participant posts the hash of its partial model,
and the board records the combined hash. This module only moves bytes: what the payloads mean
is the learning protocol's business.

What is on chain: the session (participants, the threshold key's fingerprint, the sample-order
commitment, rounds, step timeout, whether IVs go in participant order), the round, who posted
what this round (bit masks), keccak256 of every IV, DV and model hash, the deadline. The payloads
travel only in the ``IntermediatePosted`` and ``DecryptionPosted`` events; the readers here
(:meth:`TrainingBoardClient.intermediates`, :meth:`~TrainingBoardClient.decryptions`) return them
in participant order, each checked against the hash in storage, so a node serving wrong logs is
caught (:class:`~offchain.errors.IntegrityError`).

A participant runs as its own process and waits on the chain for the others:
:meth:`~TrainingBoardClient.wait_for_intermediates`, :meth:`~TrainingBoardClient.wait_for_decryptions`
and :meth:`~TrainingBoardClient.wait_for_status` poll until the values are there (reading logs and
state only when a block came: :class:`~offchain.chain.block_height.BlockHeight`), and raise
:class:`BoardTimeoutError` when the timeout passes and :class:`SessionAbortedError` when the
session is aborted meanwhile.

Caveats: the contract checks no payload. A participant who finds a DV whose partial decryption
fails its proof calls :meth:`~TrainingBoardClient.report_invalid_decryption`, which aborts the
session; anyone can re-check the logged DV, so a false accusation is exposed by the same check.
Any participant can stall a session; after ``step_timeout_s`` without progress anyone may
:meth:`~TrainingBoardClient.abort_stalled` it.

Example (three participants, one round)::

    board = session.training_board
    opened = board.open_session(sender=a, participants=[a, b, c], key_fingerprint=fp,
                                sample_commitment=order, rounds=1, step_timeout_s=600)
    board.post_intermediate(sender=b, session_id=opened.session_id, round_=0, payload=iv_b)
    ivs = board.wait_for_intermediates(opened.session_id, 0, timeout_s=60)   # [iv_a, iv_b, iv_c]
    board.post_decryption(sender=b, session_id=opened.session_id, round_=0, payload=dv_b)
    board.post_model(sender=b, session_id=opened.session_id, model_hash=keccak(model_b))
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TypeVar

from eth_utils import keccak, to_checksum_address

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.block_height import BlockHeight
from offchain.chain.contracts import ContractClient, call, require_bytes32, require_uint, transact
from offchain.chain.events import EventLog, get_events
from offchain.errors import ChainError, IntegrityError, InvalidInputError, TransactionRevertedError

__all__ = [
    "MAX_PARTICIPANTS",
    "MAX_PAYLOAD_BYTES",
    "MAX_ROUNDS",
    "MAX_STEP_TIMEOUT_S",
    "MIN_PARTICIPANTS",
    "MIN_STEP_TIMEOUT_S",
    "TRAINING_BOARD_CONTRACT",
    "AbortReason",
    "BoardTimeoutError",
    "InvalidDecryptionReport",
    "PostedModel",
    "PostedValue",
    "SessionAbort",
    "SessionAbortedError",
    "SessionProgress",
    "SessionStatus",
    "TrainingBoardClient",
    "TrainingSession",
    "UnknownSessionError",
    "combined_model_hash",
    "payload_gas_limit",
]

logger = logging.getLogger(__name__)

#: The contract's name in the project and in deployment records.
TRAINING_BOARD_CONTRACT = "TrainingBoard"
#: Fewest and most participants of a session (``MIN_PARTICIPANTS``, ``MAX_PARTICIPANTS``).
MIN_PARTICIPANTS = 2
MAX_PARTICIPANTS = 16
#: Most rounds of a session (``MAX_ROUNDS``).
MAX_ROUNDS = 1_000_000
#: Shortest and longest step timeout, in seconds (``MIN_STEP_TIMEOUT``, ``MAX_STEP_TIMEOUT``).
MIN_STEP_TIMEOUT_S = 60
MAX_STEP_TIMEOUT_S = 30 * 24 * 3600
#: Longest IV or DV payload, in bytes (``MAX_PAYLOAD_BYTES``: 192 KiB).
MAX_PAYLOAD_BYTES = 192 * 1024

_MAX_UINT32 = (1 << 32) - 1
#: How often the wait helpers ask the node, in seconds, unless told otherwise.
DEFAULT_POLL_S = 0.2

#: ``ITrainingBoard.Session`` in struct order.
_SESSION_FIELDS = (
    "status",
    "ordered",
    "participantCount",
    "intermediateCount",
    "decryptionCount",
    "modelCount",
    "rounds",
    "round",
    "stepTimeout",
    "deadline",
    "intermediateMask",
    "decryptionMask",
    "modelMask",
    "keyFingerprint",
    "sampleCommitment",
)

T = TypeVar("T")


class SessionStatus(IntEnum):
    """Where a session stands (``ITrainingBoard.SessionStatus``)."""

    NONE = 0
    TRAINING = 1
    FINISHING = 2
    COMPLETED = 3
    ABORTED = 4


class AbortReason(IntEnum):
    """Why a session was aborted (``ITrainingBoard.AbortReason``)."""

    STALLED = 0
    INVALID_DECRYPTION = 1


class UnknownSessionError(ChainError):
    """No training session has the given id."""

    def __init__(self, session_id: int) -> None:
        super().__init__(f"no training session has id {session_id}")
        self.session_id = session_id


class BoardTimeoutError(ChainError):
    """What a participant waited for did not appear on the board in time.

    Attributes:
        session_id: The session.
        waited_for: What was awaited, in words.
        timeout_s: How long it waited, in seconds.
    """

    def __init__(self, session_id: int, waited_for: str, timeout_s: float) -> None:
        super().__init__(f"session {session_id}: {waited_for} did not appear within {timeout_s:g} s")
        self.session_id = session_id
        self.waited_for = waited_for
        self.timeout_s = timeout_s


class SessionAbortedError(ChainError):
    """The session was aborted while a participant waited on it.

    Attributes:
        session_id: The session.
        waited_for: What was awaited, in words.
    """

    def __init__(self, session_id: int, waited_for: str) -> None:
        super().__init__(f"session {session_id} was aborted while waiting for {waited_for}")
        self.session_id = session_id
        self.waited_for = waited_for


def combined_model_hash(model_hashes: Sequence[bytes]) -> bytes:
    """keccak256 of the participants' model hashes in participant order, as the contract combines them."""
    return bytes(keccak(b"".join(require_bytes32(h, "model hash", nonzero=True) for h in model_hashes)))


@dataclass(frozen=True)
class TrainingSession:
    """A training session as the board holds it.

    Attributes:
        session_id: The session's id (1 for the first, then increasing).
        status: Where it stands.
        participants: Checksummed addresses in index order.
        key_fingerprint: Fingerprint of the participants' threshold Paillier key.
        sample_commitment: Commitment to the sample order.
        rounds: The number of rounds.
        round: The current round, 0-based (``rounds`` once training finished).
        step_timeout_s: Seconds allowed between two steps of progress.
        deadline: Last timestamp at which a post is accepted, in seconds.
        ordered: Whether each round's IVs are posted in participant order.
        intermediate_mask: Who posted an IV this round, bit i for participant i.
        decryption_mask: Who posted a DV this round.
        model_mask: Who posted a partial model hash.
        tx_hash: 0x-prefixed hash of the opening transaction, when this came from it.
        gas_used: Gas it used, when this came from it.
    """

    session_id: int
    status: SessionStatus
    participants: tuple[str, ...]
    key_fingerprint: bytes
    sample_commitment: bytes
    rounds: int
    round: int
    step_timeout_s: int
    deadline: int
    ordered: bool
    intermediate_mask: int = 0
    decryption_mask: int = 0
    model_mask: int = 0
    tx_hash: str | None = None
    gas_used: int | None = None

    @property
    def is_active(self) -> bool:
        """Whether the session can still move (``TRAINING`` or ``FINISHING``)."""
        return self.status in (SessionStatus.TRAINING, SessionStatus.FINISHING)

    def index_of(self, account: AddressLike) -> int:
        """The participant index of ``account``.

        Raises:
            InvalidInputError: if ``account`` is not a participant.
        """
        address = require_address(account, "account")
        try:
            return self.participants.index(address)
        except ValueError:
            raise InvalidInputError(f"{address} is not a participant of session {self.session_id}") from None


@dataclass(frozen=True)
class SessionProgress:
    """The moving part of a session (:meth:`TrainingBoardClient.progress`: one view call, where
    :meth:`~TrainingBoardClient.get_session` needs two).

    Attributes:
        status: Where it stands.
        round: The current round, 0-based.
        intermediate_mask: Who posted an IV this round, bit i for participant i.
        decryption_mask: Who posted a DV this round.
    """

    status: SessionStatus
    round: int
    intermediate_mask: int
    decryption_mask: int


@dataclass(frozen=True)
class PostedValue:
    """An IV or DV on the board.

    Attributes:
        session_id: The session.
        round: The round it belongs to.
        participant: Checksummed address of the poster.
        index: Its participant index.
        payload: The bytes posted.
        payload_hash: keccak256(payload), as stored on chain.
        block_number: The block that holds it.
        tx_hash: 0x-prefixed hash of the posting transaction.
        gas_used: Gas it used, when this came from the transaction itself.
        round_completed: Whether this post completed its round (a DV only).
        training_finished: Whether it completed the last round (a DV only).
    """

    session_id: int
    round: int
    participant: str
    index: int
    payload: bytes
    payload_hash: bytes
    block_number: int
    tx_hash: str
    gas_used: int | None = None
    round_completed: bool = False
    training_finished: bool = False


@dataclass(frozen=True)
class PostedModel:
    """A partial model hash on the board.

    Attributes:
        session_id: The session.
        participant: Checksummed address of the poster.
        index: Its participant index.
        model_hash: The hash posted.
        tx_hash: 0x-prefixed hash of the posting transaction.
        gas_used: Gas it used.
        combined_model_hash: The session's combined hash if this post completed it, else ``None``.
    """

    session_id: int
    participant: str
    index: int
    model_hash: bytes
    tx_hash: str
    gas_used: int
    combined_model_hash: bytes | None = None


@dataclass(frozen=True)
class SessionAbort:
    """An aborted session.

    Attributes:
        session_id: The session.
        round: Its round at the abort.
        reason: Stalled, or an invalid decryption was reported.
        tx_hash: 0x-prefixed hash of the aborting transaction.
        gas_used: Gas it used.
    """

    session_id: int
    round: int
    reason: AbortReason
    tx_hash: str
    gas_used: int


@dataclass(frozen=True)
class InvalidDecryptionReport:
    """An accusation: ``accuser`` found ``accused``'s DV of ``round`` wrong; the session is aborted.

    Attributes:
        session_id: The session.
        round: The round of the disputed DV.
        accuser: Checksummed address of the participant who checked it.
        accused: Checksummed address of the participant who posted it.
        dv_hash: The disputed DV's stored hash.
        abort: The abort that followed.
    """

    session_id: int
    round: int
    accuser: str
    accused: str
    dv_hash: bytes
    abort: SessionAbort


class TrainingBoardClient(ContractClient):
    """Training sessions through a deployed ``TrainingBoard``.

    Inputs are checked here first, so bad input costs no transaction; the contract's own checks
    (round, turn, deadline, duplicates) come back as
    :class:`~offchain.errors.TransactionRevertedError` with the custom error's name
    (``TrainingBoardWrongRound``, ``TrainingBoardNotYourTurn``…), and an unknown session id as
    :class:`UnknownSessionError`.

    Args:
        contract: Brownie handle of the deployed contract.
        from_block: Where event scans start (the contract's deployment block).
    """

    def __init__(self, contract: Any, from_block: int = 0) -> None:
        super().__init__(contract, from_block)
        self._opened_at: dict[int, int] = {}  # session id -> block of its SessionOpened

    # --- sessions -----------------------------------------------------------------------------

    def open_session(
        self,
        *,
        sender: Any,
        participants: Sequence[AddressLike],
        key_fingerprint: bytes,
        sample_commitment: bytes,
        rounds: int,
        step_timeout_s: int,
        ordered: bool = False,
    ) -> TrainingSession:
        """Open a session among ``participants``; ``sender`` must be one of them.

        Args:
            sender: The opening participant's signer.
            participants: 2 .. ``MAX_PARTICIPANTS`` distinct non-zero accounts; their order fixes
                their indices (and the IV order of an ordered session).
            key_fingerprint: Non-zero 32-byte fingerprint of their threshold Paillier key.
            sample_commitment: Non-zero 32-byte commitment to the sample order.
            rounds: 1 .. ``MAX_ROUNDS``.
            step_timeout_s: Seconds allowed between two steps, ``MIN_STEP_TIMEOUT_S`` ..
                ``MAX_STEP_TIMEOUT_S``.
            ordered: Whether each round's IVs are posted in participant order (a blinding chain).

        Returns:
            The session as opened, with ``tx_hash`` and ``gas_used``.

        Raises:
            InvalidInputError: on any argument out of range, a repeated participant, or a
                ``sender`` that is not among the participants; nothing is sent.
        """
        listed = [require_address(p, "participant", nonzero=True) for p in participants]
        if not MIN_PARTICIPANTS <= len(listed) <= MAX_PARTICIPANTS:
            raise InvalidInputError(
                f"a session has {MIN_PARTICIPANTS}..{MAX_PARTICIPANTS} participants, got {len(listed)}"
            )
        if len(set(listed)) != len(listed):
            raise InvalidInputError("a participant is listed twice")
        opener = require_address(sender, "sender")
        if opener not in listed:
            raise InvalidInputError(f"the opener {opener} must be one of the participants")
        fingerprint = require_bytes32(key_fingerprint, "key_fingerprint", nonzero=True)
        commitment = require_bytes32(sample_commitment, "sample_commitment", nonzero=True)
        checked_rounds = require_uint(rounds, "rounds", low=1, high=MAX_ROUNDS)
        timeout = require_uint(step_timeout_s, "step_timeout_s", low=MIN_STEP_TIMEOUT_S, high=MAX_STEP_TIMEOUT_S)
        if not isinstance(ordered, bool):
            raise InvalidInputError(f"ordered must be a bool, got {type(ordered).__name__}")
        receipt = transact(
            self.contract,
            "openSession",
            listed,
            fingerprint,
            commitment,
            checked_rounds,
            timeout,
            ordered,
            sender=sender,
        )
        event = receipt.events["SessionOpened"]
        session_id = int(event["sessionId"])
        self._opened_at[session_id] = int(receipt.block_number)
        return TrainingSession(
            session_id=session_id,
            status=SessionStatus.TRAINING,
            participants=tuple(listed),
            key_fingerprint=fingerprint,
            sample_commitment=commitment,
            rounds=checked_rounds,
            round=0,
            step_timeout_s=timeout,
            deadline=int(event["deadline"]),
            ordered=ordered,
            tx_hash=str(receipt.txid),
            gas_used=int(receipt.gas_used),
        )

    def progress(self, session_id: int) -> SessionProgress:
        """Where the session stands this round, in one view call (a waiting participant's poll).

        Raises:
            UnknownSessionError: if no session has this id.
        """
        sid = _session_id(session_id)
        fields = dict(zip(_SESSION_FIELDS, self._read(sid, "sessionOf", sid), strict=True))
        return SessionProgress(
            status=SessionStatus(int(fields["status"])),
            round=int(fields["round"]),
            intermediate_mask=int(fields["intermediateMask"]),
            decryption_mask=int(fields["decryptionMask"]),
        )

    def session_count(self) -> int:
        """The number of sessions opened (the latest session's id)."""
        return int(call(self.contract, "sessionCount"))

    def get_session(self, session_id: int) -> TrainingSession:
        """The session's current state.

        Raises:
            UnknownSessionError: if no session has this id.
        """
        sid = _session_id(session_id)
        stored = self._read(sid, "sessionOf", sid)
        participants = self._read(sid, "participantsOf", sid)
        fields = dict(zip(_SESSION_FIELDS, stored, strict=True))
        return TrainingSession(
            session_id=sid,
            status=SessionStatus(int(fields["status"])),
            participants=tuple(to_checksum_address(p) for p in participants),
            key_fingerprint=bytes(fields["keyFingerprint"]),
            sample_commitment=bytes(fields["sampleCommitment"]),
            rounds=int(fields["rounds"]),
            round=int(fields["round"]),
            step_timeout_s=int(fields["stepTimeout"]),
            deadline=int(fields["deadline"]),
            ordered=bool(fields["ordered"]),
            intermediate_mask=int(fields["intermediateMask"]),
            decryption_mask=int(fields["decryptionMask"]),
            model_mask=int(fields["modelMask"]),
        )

    # --- rounds -------------------------------------------------------------------------------

    def post_intermediate(self, *, sender: Any, session_id: int, round_: int, payload: bytes) -> PostedValue:
        """Post ``sender``'s intermediate value (IV) of round ``round_``.

        Args:
            sender: The participant's signer.
            session_id: The session.
            round_: The session's current round.
            payload: 1 .. ``MAX_PAYLOAD_BYTES`` bytes.

        Returns:
            The value as posted, with ``tx_hash`` and ``gas_used``.

        Raises:
            InvalidInputError: on an empty or oversized payload or a round out of range.
            UnknownSessionError: if no session has this id.
            TransactionRevertedError: e.g. ``TrainingBoardWrongRound``,
                ``TrainingBoardNotAParticipant``, ``TrainingBoardAlreadyPosted``,
                ``TrainingBoardNotYourTurn``, ``TrainingBoardDeadlinePassed``,
                ``TrainingBoardNotTraining``.
        """
        return self._post("postIntermediate", "IntermediatePosted", sender, session_id, round_, payload)

    def post_decryption(self, *, sender: Any, session_id: int, round_: int, payload: bytes) -> PostedValue:
        """Post ``sender``'s decrypted value (DV: partial decryptions with proofs) of ``round_``.

        Every IV of the round must be in (``TrainingBoardIntermediatesIncomplete`` otherwise).
        The round's last DV starts the next round (``round_completed``) and, after the last round,
        finishes training (``training_finished``).

        Raises:
            InvalidInputError: on an empty or oversized payload or a round out of range.
            UnknownSessionError: if no session has this id.
            TransactionRevertedError: as :meth:`post_intermediate`, and
                ``TrainingBoardIntermediatesIncomplete``.
        """
        return self._post("postDecryption", "DecryptionPosted", sender, session_id, round_, payload)

    def intermediates(
        self, session_id: int, round_: int, *, participant: AddressLike | None = None
    ) -> list[PostedValue]:
        """The IVs posted in ``round_`` so far, in participant order, each checked against the chain.

        Args:
            participant: Only this participant's IV (the node filters the logs: one payload
                fetched and decoded instead of every participant's).

        Raises:
            InvalidInputError: on a malformed ``participant``.
            UnknownSessionError: if no session has this id.
            IntegrityError: if a logged payload does not hash to the value stored on chain.
        """
        return self._values("IntermediatePosted", "ivHash", session_id, round_, participant)

    def decryptions(self, session_id: int, round_: int, *, participant: AddressLike | None = None) -> list[PostedValue]:
        """The DVs posted in ``round_`` so far, in participant order, each checked against the chain.

        Args:
            participant: Only this participant's DV (as for :meth:`intermediates`).

        Raises:
            InvalidInputError: on a malformed ``participant``.
            UnknownSessionError: if no session has this id.
            IntegrityError: if a logged payload does not hash to the value stored on chain.
        """
        return self._values("DecryptionPosted", "dvHash", session_id, round_, participant)

    # --- models -------------------------------------------------------------------------------

    def post_model(self, *, sender: Any, session_id: int, model_hash: bytes) -> PostedModel:
        """Post the hash of ``sender``'s partial model, once training finished.

        Returns:
            The post; ``combined_model_hash`` is set if it was the last one (session completed).

        Raises:
            InvalidInputError: on a zero or wrong-sized hash.
            UnknownSessionError: if no session has this id.
            TransactionRevertedError: e.g. ``TrainingBoardNotFinishing``,
                ``TrainingBoardAlreadyPosted``, ``TrainingBoardNotAParticipant``.
        """
        sid = _session_id(session_id)
        checked = require_bytes32(model_hash, "model_hash", nonzero=True)
        receipt = self._transact(sid, "postModel", sid, checked, sender=sender)
        event = receipt.events["ModelPosted"]
        events = receipt.events  # Brownie's EventDict has no .get
        completed = events["SessionCompleted"] if "SessionCompleted" in events else None  # noqa: SIM401
        return PostedModel(
            session_id=sid,
            participant=to_checksum_address(event["participant"]),
            index=int(event["index"]),
            model_hash=checked,
            tx_hash=str(receipt.txid),
            gas_used=int(receipt.gas_used),
            combined_model_hash=None if completed is None else bytes(completed["combinedModelHash"]),
        )

    def model_hashes(self, session_id: int) -> list[bytes | None]:
        """Each participant's posted model hash in participant order (``None`` where none yet).

        Raises:
            UnknownSessionError: if no session has this id.
        """
        session = self.get_session(session_id)
        hashes = [
            bytes(call(self.contract, "modelHash", session.session_id, i)) for i in range(len(session.participants))
        ]
        return [h if any(h) else None for h in hashes]

    def combined_model_hash(self, session_id: int) -> bytes | None:
        """The combined model hash of a completed session, ``None`` before.

        Raises:
            UnknownSessionError: if no session has this id.
        """
        sid = _session_id(session_id)
        combined = bytes(self._read(sid, "combinedModelHash", sid))
        return combined if any(combined) else None

    # --- aborts -------------------------------------------------------------------------------

    def report_invalid_decryption(
        self, *, sender: Any, session_id: int, round_: int, accused: AddressLike
    ) -> InvalidDecryptionReport:
        """Name ``accused``'s DV of ``round_`` as carrying a wrong partial decryption; aborts the session.

        Call it only after checking the DV's proofs off chain: anyone can redo that check on the
        logged payload, so a false accusation exposes its author.

        Raises:
            InvalidInputError: on a malformed address or a round out of range.
            UnknownSessionError: if no session has this id.
            TransactionRevertedError: e.g. ``TrainingBoardNoDecryptionToDispute``,
                ``TrainingBoardSelfAccusation``, ``TrainingBoardNotAParticipant``,
                ``TrainingBoardSessionClosed``.
        """
        sid = _session_id(session_id)
        checked_round = require_uint(round_, "round", low=0, high=_MAX_UINT32)
        address = require_address(accused, "accused", nonzero=True)
        receipt = self._transact(sid, "reportInvalidDecryption", sid, checked_round, address, sender=sender)
        event = receipt.events["InvalidDecryptionReported"]
        return InvalidDecryptionReport(
            session_id=sid,
            round=checked_round,
            accuser=to_checksum_address(event["accuser"]),
            accused=to_checksum_address(event["accused"]),
            dv_hash=bytes(event["dvHash"]),
            abort=_abort_of(sid, receipt),
        )

    def abort_stalled(self, *, sender: Any, session_id: int) -> SessionAbort:
        """Abort a session nobody moved forward for its step timeout (anyone may call).

        Raises:
            UnknownSessionError: if no session has this id.
            TransactionRevertedError: ``TrainingBoardNotStalled`` before the deadline,
                ``TrainingBoardSessionClosed`` for a completed or aborted session.
        """
        sid = _session_id(session_id)
        return _abort_of(sid, self._transact(sid, "abortStalled", sid, sender=sender))

    # --- waiting ------------------------------------------------------------------------------

    def wait_for_intermediates(
        self,
        session_id: int,
        round_: int,
        *,
        count: int | None = None,
        timeout_s: float,
        poll_s: float = DEFAULT_POLL_S,
    ) -> list[PostedValue]:
        """Wait until ``count`` IVs of ``round_`` are posted (all participants' by default).

        In an ordered session the first k IVs are those of participants 0 .. k−1, so participant
        k waits with ``count=k`` for the value it acts on.

        Returns:
            The IVs posted, in participant order (:meth:`intermediates`).

        Raises:
            BoardTimeoutError: if they are not all there within ``timeout_s`` seconds.
            SessionAbortedError: if the session is aborted meanwhile.
            UnknownSessionError: if no session has this id.
        """
        return self._wait_for_values(self.intermediates, "IVs", session_id, round_, count, timeout_s, poll_s)

    def wait_for_decryptions(
        self,
        session_id: int,
        round_: int,
        *,
        count: int | None = None,
        timeout_s: float,
        poll_s: float = DEFAULT_POLL_S,
    ) -> list[PostedValue]:
        """Wait until ``count`` DVs of ``round_`` are posted (all participants' by default).

        Returns:
            The DVs posted, in participant order (:meth:`decryptions`).

        Raises:
            BoardTimeoutError: if they are not all there within ``timeout_s`` seconds.
            SessionAbortedError: if the session is aborted meanwhile.
            UnknownSessionError: if no session has this id.
        """
        return self._wait_for_values(self.decryptions, "DVs", session_id, round_, count, timeout_s, poll_s)

    def wait_for_status(
        self,
        session_id: int,
        statuses: Iterable[SessionStatus],
        *,
        timeout_s: float,
        poll_s: float = DEFAULT_POLL_S,
    ) -> TrainingSession:
        """Wait until the session's status is one of ``statuses`` (e.g. ``COMPLETED``).

        Returns:
            The session in that status.

        Raises:
            BoardTimeoutError: if it does not get there within ``timeout_s`` seconds.
            SessionAbortedError: if it is aborted meanwhile (and ``ABORTED`` is not awaited).
            UnknownSessionError: if no session has this id.
        """
        wanted = frozenset(SessionStatus(s) for s in statuses)
        what = "status " + " or ".join(sorted(s.name for s in wanted))

        def attempt() -> TrainingSession | None:
            session = self.get_session(session_id)
            if session.status in wanted:
                return session
            if session.status == SessionStatus.ABORTED:
                raise SessionAbortedError(session.session_id, what)
            return None

        return _poll(attempt, session_id, what, timeout_s, poll_s)

    # --- internals ----------------------------------------------------------------------------

    def _post(
        self, function: str, event_name: str, sender: Any, session_id: int, round_: int, payload: bytes
    ) -> PostedValue:
        sid = _session_id(session_id)
        checked_round = require_uint(round_, "round", low=0, high=_MAX_UINT32)
        data = _payload(payload)
        gas_limit = payload_gas_limit(len(data))
        receipt = self._transact(sid, function, sid, checked_round, data, sender=sender, gas_limit=gas_limit)
        event = receipt.events[event_name]
        logger.debug(
            "session %s round %s: %s of %d bytes, gas %s", sid, checked_round, event_name, len(data), receipt.gas_used
        )
        payload_hash = bytes(event["payloadHash"])
        if payload_hash != keccak(data):
            raise IntegrityError(f"{event_name} logged hash 0x{payload_hash.hex()}, not the payload's")
        return PostedValue(
            session_id=sid,
            round=checked_round,
            participant=to_checksum_address(event["participant"]),
            index=int(event["index"]),
            payload=data,
            payload_hash=payload_hash,
            block_number=int(receipt.block_number),
            tx_hash=str(receipt.txid),
            gas_used=int(receipt.gas_used),
            round_completed="RoundCompleted" in receipt.events,
            training_finished="TrainingFinished" in receipt.events,
        )

    def _values(
        self, event_name: str, hash_view: str, session_id: int, round_: int, participant: AddressLike | None = None
    ) -> list[PostedValue]:
        sid = _session_id(session_id)
        checked_round = require_uint(round_, "round", low=0, high=_MAX_UINT32)
        filters: dict[str, Any] = {"sessionId": sid, "round": checked_round}
        if participant is not None:
            filters["participant"] = require_address(participant, "participant", nonzero=True)
        logs = get_events(self.contract, event_name, from_block=self._opening_block(sid), argument_filters=filters)
        by_index: dict[int, PostedValue] = {}
        for log in logs:
            value = _value_of(sid, log)
            stored = bytes(call(self.contract, hash_view, sid, checked_round, value.index))
            if keccak(value.payload) != stored or value.payload_hash != stored:
                raise IntegrityError(
                    f"session {sid} round {checked_round}: the {event_name} payload of participant {value.index} "
                    f"hashes to 0x{keccak(value.payload).hex()}, the chain stores 0x{stored.hex()}"
                )
            by_index[value.index] = value
        return [by_index[i] for i in sorted(by_index)]

    def _wait_for_values(
        self,
        read: Callable[[int, int], list[PostedValue]],
        what: str,
        session_id: int,
        round_: int,
        count: int | None,
        timeout_s: float,
        poll_s: float,
    ) -> list[PostedValue]:
        session = self.get_session(session_id)
        needed = len(session.participants) if count is None else count
        require_uint(needed, "count", low=0, high=len(session.participants))
        waited_for = f"{needed} {what} of round {round_}"

        def attempt() -> list[PostedValue] | None:
            values = read(session.session_id, round_)
            if len(values) >= needed:
                return values
            if self.get_session(session.session_id).status == SessionStatus.ABORTED:
                raise SessionAbortedError(session.session_id, waited_for)
            return None

        return _poll(attempt, session.session_id, waited_for, timeout_s, poll_s)

    def _opening_block(self, session_id: int) -> int:
        """The block of the session's ``SessionOpened`` (scans start there), found once."""
        if session_id not in self._opened_at:
            self._read(session_id, "sessionOf", session_id)  # UnknownSessionError first
            logs = get_events(
                self.contract, "SessionOpened", from_block=self.from_block, argument_filters={"sessionId": session_id}
            )
            if not logs:
                raise ChainError(f"the node returned no SessionOpened log of session {session_id}")
            self._opened_at[session_id] = logs[0].block_number
        return self._opened_at[session_id]

    def _transact(self, session_id: int, function: str, *args: Any, sender: Any, gas_limit: int | None = None) -> Any:
        try:
            return transact(self.contract, function, *args, sender=sender, gas_limit=gas_limit)
        except TransactionRevertedError as exc:
            raise _known(exc, session_id) from exc

    def _read(self, session_id: int, function: str, *args: Any) -> Any:
        try:
            return call(self.contract, function, *args)
        except TransactionRevertedError as exc:
            raise _known(exc, session_id) from exc


def payload_gas_limit(payload_bytes: int) -> int:
    """The gas limit of an IV or DV post of ``payload_bytes`` bytes: an upper bound of what it uses.

    A post costs about 58,000 gas plus 24.4 per payload byte at Shanghai prices (16 of calldata,
    8 of event data, hashing and copying; measured from 1 byte to :data:`MAX_PAYLOAD_BYTES`:
    4.94 million gas for 192 KiB of random bytes). The bound takes 40 per byte, EIP-7623's floor
    price of a non-zero calldata byte (Prague), so it holds on newer chains too, plus 100,000 for
    the storage a round's last post writes and the memory's quadratic term. Why not let Brownie
    choose: on local chains it claims the whole block's gas for every transaction, so two posts
    sent at the same moment cannot share a block, and Anvil, which mines only when a transaction
    arrives, then left the second one pending while every participant waited for it.

    Raises:
        InvalidInputError: ``payload_bytes`` outside 1..:data:`MAX_PAYLOAD_BYTES`.
    """
    size = require_uint(payload_bytes, "payload_bytes", low=1, high=MAX_PAYLOAD_BYTES)
    words = -(-size // 32)
    return 100_000 + 40 * size + words * words // 256


def _session_id(value: int) -> int:
    return require_uint(value, "session_id", low=1, high=(1 << 256) - 1)


def _payload(value: object) -> bytes:
    if not isinstance(value, (bytes, bytearray)):
        raise InvalidInputError(f"payload must be bytes, got {type(value).__name__}")
    if not 1 <= len(value) <= MAX_PAYLOAD_BYTES:
        raise InvalidInputError(f"payload must be 1..{MAX_PAYLOAD_BYTES} bytes, got {len(value)}")
    return bytes(value)


def _value_of(session_id: int, log: EventLog) -> PostedValue:
    args = log.args
    return PostedValue(
        session_id=session_id,
        round=int(args["round"]),
        participant=to_checksum_address(args["participant"]),
        index=int(args["index"]),
        payload=bytes(args["payload"]),
        payload_hash=bytes(args["payloadHash"]),
        block_number=log.block_number,
        tx_hash=log.tx_hash,
    )


def _abort_of(session_id: int, receipt: Any) -> SessionAbort:
    event = receipt.events["SessionAborted"]
    return SessionAbort(
        session_id=session_id,
        round=int(event["round"]),
        reason=AbortReason(int(event["reason"])),
        tx_hash=str(receipt.txid),
        gas_used=int(receipt.gas_used),
    )


def _poll(attempt: Callable[[], T | None], session_id: int, waited_for: str, timeout_s: float, poll_s: float) -> T:
    """``attempt()`` whenever a new block came (asked every ``poll_s`` seconds with the cheap
    ``eth_blockNumber``, :class:`~offchain.chain.block_height.BlockHeight`), until it returns a
    value or ``timeout_s`` passes: logs and state change only with a block, so they are read once
    per block, not once per poll."""
    if timeout_s < 0 or poll_s <= 0:
        raise InvalidInputError(f"timeout_s must be ≥ 0 and poll_s > 0, got {timeout_s} and {poll_s}")
    deadline = time.monotonic() + timeout_s
    height = BlockHeight()
    while True:
        if height.moved():
            result = attempt()
            if result is not None:
                return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BoardTimeoutError(session_id, waited_for, timeout_s)
        time.sleep(min(poll_s, remaining))


def _known(exc: TransactionRevertedError, session_id: int) -> Exception:
    """:class:`UnknownSessionError` for an unknown session, else ``exc`` itself."""
    if exc.error_name == "TrainingBoardUnknownSession":
        return UnknownSessionError(session_id)
    return exc
