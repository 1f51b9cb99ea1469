"""Vertical SVM: participants holding different features of the same samples train one linear SVM.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 5 §5.4–5.7:
vertically partitioned data (§5.4), the SVM trained by gradient descent (Eq. 5.1–5.3), the
gradient update judge I = [y(w^A x^A + w^B x^B + …) < 1] (Eq. 5.4) computed under a (p, t)
threshold Paillier key (Eq. 5.5–5.7, Algorithm 3), and the blockchain service platform through
which every intermediate value (IV, Table 5.2) and decrypted value (DV, Table 5.3) travels.

Setting. Participant i holds the columns ``partition[i]`` of every training sample (the samples
are aligned beforehand: the order is committed on chain, :meth:`VerticalSetup.sample_commitment`)
and, as in the research's Eq. 5.4 where each participant forms y·w^i·x^i, every label. Participant
0 also holds the bias. The dealer of the threshold key gives each participant one share; with
t = p only all participants together can decrypt anything. The key is by default the additive
(p, p) key of :mod:`offchain.crypto.additive_threshold_paillier` (exponents of |n|/2 + 131 bits
for p − 1 partials and |n| for the last, about a third of the Shamir key's work per decryption);
:class:`KeyKind` ``shamir`` deals the Shamir-shared key of :mod:`offchain.crypto.threshold_paillier`
instead. Every encryption uses the key's own base g.

One round (a mini-batch of the public seeded schedule, :func:`offchain.learning.svm.batch_schedule`),
every message through the training board (:class:`Board`, the ``TrainingBoard`` contract):

1. Participant i computes, for each sample j of the batch, its partial margin in fixed point
   a_ij = y_j·W^i·X^i_j (participant 0: minus y_j·B·2^f and the threshold 2^{2f}), so that
   Σ_i a_ij = D_j of :func:`offchain.learning.svm.margin_numerator`.
2. IV: with the default ``chained`` judge (:mod:`offchain.crypto.joint_comparison`) the
   participants post in turn, each extending the previous one's blinded links, and the last
   posts the final values already packed (``slots`` per ciphertext); with ``paper`` they post
   [[a_ij]] and their blinding values in any order, and everyone forms and packs the finals
   (public computation).
3. DV: everyone posts its batched partial decryptions of the packed finals with one proof
   (:func:`~offchain.crypto.threshold_paillier.partial_decrypt_batch`), and checks everyone
   else's, each as soon as it is posted. A wrong partial is named on chain and the session is
   **aborted** (not redone: a participant who cheats once would cheat again; the others keep
   their data).
4. Everyone combines the partials into the verdicts I_j and steps its own weights exactly as
   :func:`offchain.learning.svm.gradient_step` does: the sums it needs are its own columns'
   G^i = Σ_j I_j y_j X^i_j, and G_b = Σ I_j y_j, C = Σ I_j, all known to it.

At the end each participant posts its partial model; together they are the full model. Because
every step is exact integer arithmetic, the result **equals** centralised plaintext training of
the same schedule on the concatenated columns (:func:`offchain.learning.svm.train_plaintext`).

Who learns what: every participant and every reader of the chain learns the verdicts I_j of
every round (the research's design: each participant needs them for its update) and the
decrypted blinded values, whose magnitude hides the margin as stated in
:mod:`offchain.crypto.joint_comparison` (``chained``: up to a statistical distance of about
|log2 of the ratio of two margins| / K; ``paper``: the margin itself). Nothing else: IVs are
ciphertexts under the threshold key, which fewer than t participants cannot decrypt; nobody
sees another participant's columns, weights or partial margins. The final partial models are
published (that is the research's output). Partial decryptions are proven and checked; the
blinding steps are not, so the margin hiding above holds against participants who blind as
prescribed: a participant who deviates can corrupt verdicts and can have the others decrypt an
earlier participant's values, learning that participant's partial margins
(:mod:`offchain.crypto.joint_comparison` says how, and what proof would close it).
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from offchain.crypto import additive_threshold_paillier as atp
from offchain.crypto import joint_comparison as jc
from offchain.crypto import threshold_paillier as tp
from offchain.errors import InvalidInputError, OffchainError
from offchain.learning.svm import Schedule, SVMModel, batch_schedule, gradient_step, verdict_sums
from offchain.validation import parse_json

__all__ = [
    "SPANS",
    "Board",
    "KeyKind",
    "MalformedPayloadError",
    "ParticipantResult",
    "TrainingAbortedError",
    "VerticalParticipant",
    "VerticalSetup",
    "combine_models",
    "decode_decryption",
    "decode_intermediate",
    "encode_decryption",
    "encode_intermediate",
    "generate_key",
    "noise_per_round",
    "partition_columns",
    "stock_ahead",
]

logger = logging.getLogger(__name__)

_IV_MAGIC = b"VIV1"
_DV_MAGIC = b"VDV1"
_MODEL_MAGIC = b"VPM1"


class MalformedPayloadError(InvalidInputError):
    """A payload read from the board does not decode (wrong magic, length or field)."""


class TrainingAbortedError(OffchainError):
    """The session cannot go on: a participant posted a wrong partial decryption, or it stalled.

    Attributes:
        accused: Index of the participant named, if any.
    """

    def __init__(self, message: str, accused: int | None = None) -> None:
        super().__init__(message)
        self.accused = accused


class Board(Protocol):
    """What a participant needs of the training board (the ``TrainingBoard`` contract's client)."""

    def post_intermediate(self, round_: int, payload: bytes) -> None:
        """Post this participant's IV of ``round_``."""

    def post_decryption(self, round_: int, payload: bytes) -> None:
        """Post this participant's DV of ``round_``."""

    def intermediate(self, round_: int, index: int, timeout_s: float) -> bytes:
        """Participant ``index``'s IV of ``round_``, waiting for it."""

    def decryption(self, round_: int, index: int, timeout_s: float) -> bytes:
        """Participant ``index``'s DV of ``round_``, waiting for it."""

    def report_invalid(self, round_: int, accused: int) -> None:
        """Name participant ``accused`` for a wrong DV of ``round_`` (aborts the session)."""

    def post_model(self, model: bytes) -> None:
        """Publish this participant's final partial model."""


class KeyKind(enum.Enum):
    """Which (p, p)-threshold Paillier key the dealer makes (the ``DATASHARE_VSVM_KEY`` setting).

    ``additive`` (the default, :mod:`offchain.crypto.additive_threshold_paillier`): additive
    shares of a multiple of λ and a random base g; partials c^(2 d_i) with |d_i| ≈ |n|/2 + 130 bits
    for p − 1 participants and ≈ |n| for the last. ``shamir`` (:mod:`offchain.crypto.threshold_paillier`):
    Shamir shares over Z_{nm} with t = p; partials c^(2Δ s_i) with |Δ s_i| ≈ 2|n| bits each. Both decrypt only
    with all p participants; both hide every plaintext from any p − 1 of them.
    """

    ADDITIVE = "additive"
    SHAMIR = "shamir"


def generate_key(kind: KeyKind, bits: int, participants: int) -> tuple[tp.ThresholdKey, list[tp.KeyShare]]:
    """The dealer's (p, p)-threshold key of ``kind`` and the p shares, in participant order.

    Raises:
        InvalidInputError: Bad size or count, or not a :class:`KeyKind`.
    """
    if kind is KeyKind.ADDITIVE:
        return atp.generate_additive_keypair(bits, participants)
    if kind is KeyKind.SHAMIR:
        return tp.generate_threshold_keypair(bits, participants, participants)
    raise InvalidInputError(f"key kind must be a KeyKind, got {kind!r}")


def partition_columns(features: int, participants: int) -> tuple[tuple[int, ...], ...]:
    """Contiguous, as equal as possible column ranges (BCW's 9 features to 3: 3/3/3)."""
    if participants < 2 or features < participants:
        raise InvalidInputError(f"cannot split {features} features among {participants} participants")
    base, extra = divmod(features, participants)
    out, start = [], 0
    for i in range(participants):
        size = base + (i < extra)
        out.append(tuple(range(start, start + size)))
        start += size
    return tuple(out)


@dataclass(frozen=True)
class VerticalSetup:
    """Everything the participants agree on before training (public).

    Attributes:
        schedule: The training schedule (rounds = ``schedule.iterations``).
        partition: Column indices of each participant, in participant order.
        rows: Number of training samples.
        public_key: The (p, p)-threshold key (p = number of participants; either :class:`KeyKind`).
        variant: The judge.
        slots: Verdicts per joint decryption (:mod:`offchain.crypto.joint_comparison`).
        sample_ids: The aligned samples' identifiers, in training order.
    """

    schedule: Schedule
    partition: tuple[tuple[int, ...], ...]
    rows: int
    public_key: tp.ThresholdKey
    variant: jc.JudgeVariant = jc.JudgeVariant.CHAINED
    slots: int = 1
    sample_ids: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.public_key, tp.ThresholdKey):
            raise InvalidInputError(f"public_key must be a ThresholdKey, got {type(self.public_key).__name__}")
        if len(self.partition) != self.public_key.parties:
            raise InvalidInputError(f"{len(self.partition)} participants but a key of {self.public_key.parties} shares")
        if self.rows < 1 or (self.sample_ids and len(self.sample_ids) != self.rows):
            raise InvalidInputError("rows must be positive and match the sample identifiers")
        self.judge  # noqa: B018  (checks the blinding fits the key)

    @property
    def participants(self) -> int:
        """p."""
        return len(self.partition)

    @property
    def key_kind(self) -> KeyKind:
        """Which kind of threshold key the session uses."""
        return KeyKind.ADDITIVE if isinstance(self.public_key, atp.AdditivePublicKey) else KeyKind.SHAMIR

    @property
    def value_bits(self) -> int:
        """Bits of the public bound on |Σ a_ij|, from the weight bound and the column counts.

        |a_ij| ≤ d_i · 2^(wb+f) for d_i columns with |X| ≤ 2^f and |W| < 2^wb; participant 0
        adds |B|·2^f < 2^(wb+f) and 2^{2f}.
        """
        s = self.schedule
        largest = max(
            (len(cols) + (i == 0)) * (1 << (s.weight_bound_bits + s.fraction_bits))
            + (i == 0) * (1 << (2 * s.fraction_bits))
            for i, cols in enumerate(self.partition)
        )
        return (self.participants * largest).bit_length()

    @property
    def judge(self) -> jc.JudgeParameters:
        """The judge's parameters."""
        return jc.JudgeParameters(self.public_key, self.participants, self.value_bits, self.slots, self.variant)

    def batches(self) -> list[list[int]]:
        """Row indices of every round."""
        return [[int(i) for i in batch] for batch in batch_schedule(self.rows, self.schedule)]

    def key_fingerprint(self) -> bytes:
        """SHA-256 of the public key's canonical JSON (recorded on chain)."""
        return hashlib.sha256(json.dumps(self.public_key.to_dict(), sort_keys=True).encode()).digest()

    def sample_commitment(self) -> bytes:
        """SHA-256 over the sample order and the schedule (recorded on chain)."""
        body = {
            "samples": list(self.sample_ids) or self.rows,
            "schedule": self.schedule.__dict__,
            "partition": [list(c) for c in self.partition],
            "variant": self.variant.value,
            "slots": self.slots,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest()

    def to_json(self) -> str:
        """The setup as JSON (to hand to participant processes)."""
        return json.dumps(
            {
                "schedule": self.schedule.__dict__,
                "partition": [list(c) for c in self.partition],
                "rows": self.rows,
                "public_key": self.public_key.to_dict(),
                "variant": self.variant.value,
                "slots": self.slots,
                "sample_ids": list(self.sample_ids),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> VerticalSetup:
        """The setup of :meth:`to_json`.

        Raises:
            InvalidInputError: Malformed.
        """
        try:
            data = parse_json(text)
            return cls(
                schedule=Schedule(**data["schedule"]),
                partition=tuple(tuple(_json_int(i, "partition") for i in cols) for cols in data["partition"]),
                rows=_json_int(data["rows"], "rows"),
                public_key=tp.public_key_from_dict(data["public_key"]),
                variant=jc.JudgeVariant(data["variant"]),
                slots=_json_int(data["slots"], "slots"),
                sample_ids=tuple(str(s) for s in data["sample_ids"]),
            )
        except OffchainError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise InvalidInputError(f"vertical SVM setup: missing or malformed field ({exc!r})") from None


def _json_int(value: object, name: str) -> int:
    """A JSON integer (not a float such as 12.5 or Infinity, not a boolean), else ``TypeError``."""
    if type(value) is not int:
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return value


# -- payload codecs --------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes, what: str) -> None:
        if not isinstance(data, bytes | bytearray):
            raise MalformedPayloadError(f"{what}: expected bytes, got {type(data).__name__}")
        self.data, self.pos, self.what = bytes(data), 0, what

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise MalformedPayloadError(f"{self.what}: truncated at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def done(self) -> None:
        if self.pos != len(self.data):
            raise MalformedPayloadError(f"{self.what}: {len(self.data) - self.pos} trailing bytes")


def encode_intermediate(setup: VerticalSetup, value: list[jc.ChainLink] | jc.PaperContribution | list[int]) -> bytes:
    """An IV as board payload: chained links, the last participant's packed finals, or a paper contribution."""
    w = setup.public_key.ciphertext_bytes
    if isinstance(value, jc.PaperContribution):
        count = len(value.margins)
        body = b"".join(c.to_bytes(w, "big") for c in (*value.margins, *value.masks))
        body += b"".join(r.to_bytes(8, "big") for r in value.factors)
        body += b"".join(r.to_bytes(8, "big", signed=True) for r in value.references)
        return _IV_MAGIC + b"P" + count.to_bytes(4, "big") + body
    links = [v for v in value if isinstance(v, jc.ChainLink)]
    if not links:  # the last participant's packed finals
        body = b"".join(c.to_bytes(w, "big") for c in value if isinstance(c, int))
        return _IV_MAGIC + b"F" + len(value).to_bytes(4, "big") + body
    if len(links) != len(value):
        raise InvalidInputError("an IV holds either chain links or packed finals, not both")
    body = b"".join(link.value.to_bytes(w, "big") + link.scale.to_bytes(w, "big") for link in links)
    return _IV_MAGIC + b"C" + len(links).to_bytes(4, "big") + body


def decode_intermediate(
    setup: VerticalSetup, payload: bytes, count: int, *, last: bool = False
) -> list[jc.ChainLink] | jc.PaperContribution | list[int]:
    """The IV of :func:`encode_intermediate`, checked for ``count`` samples of this key.

    ``last``: the IV is the chained judge's last one, the packed finals of
    :func:`~offchain.crypto.joint_comparison.close_chain` (one ciphertext per ``slots`` samples).

    Raises:
        MalformedPayloadError: Wrong magic, variant, count or length, or a value is not a ciphertext.
    """
    reader = _Reader(payload, "intermediate value")
    if reader.take(4) != _IV_MAGIC:
        raise MalformedPayloadError("intermediate value: wrong magic")
    kind = reader.take(1)
    chained = setup.variant is jc.JudgeVariant.CHAINED
    expected = b"P" if not chained else b"F" if last else b"C"
    if kind != expected:
        raise MalformedPayloadError(f"intermediate value: kind {kind!r}, expected {expected!r} here")
    if kind == b"F":
        count = -(-count // setup.slots)
    if reader.uint(4) != count:
        raise MalformedPayloadError(f"intermediate value: not {count} values")
    pk = setup.public_key
    w = pk.ciphertext_bytes

    def ciphertext() -> int:
        value = reader.uint(w)
        try:
            pk.check_ciphertext(value)
        except InvalidInputError as exc:
            raise MalformedPayloadError(f"intermediate value: {exc}") from None
        return value

    if kind == b"P":
        margins = tuple(ciphertext() for _ in range(count))
        masks = tuple(ciphertext() for _ in range(count))
        factors = tuple(reader.uint(8) for _ in range(count))
        references = tuple(int.from_bytes(reader.take(8), "big", signed=True) for _ in range(count))
        reader.done()
        return jc.PaperContribution(margins, masks, factors, references)
    if kind == b"F":
        packed = [ciphertext() for _ in range(count)]
        reader.done()
        return packed
    links = [jc.ChainLink(ciphertext(), ciphertext()) for _ in range(count)]
    reader.done()
    return links


def encode_decryption(setup: VerticalSetup, partial: tp.BatchPartialDecryption) -> bytes:
    """A DV as board payload."""
    w = setup.public_key.ciphertext_bytes
    z = partial.response.to_bytes((partial.response.bit_length() + 7) // 8 or 1, "big")
    return (
        _DV_MAGIC
        + partial.index.to_bytes(2, "big")
        + len(partial.values).to_bytes(4, "big")
        + b"".join(v.to_bytes(w, "big") for v in partial.values)
        + partial.commitment_c.to_bytes(w, "big")
        + partial.commitment_v.to_bytes(w, "big")
        + len(z).to_bytes(2, "big")
        + z
    )


def decode_decryption(setup: VerticalSetup, payload: bytes) -> tp.BatchPartialDecryption:
    """The DV of :func:`encode_decryption` (its proof is checked separately).

    Raises:
        MalformedPayloadError: Wrong magic or length.
    """
    reader = _Reader(payload, "decrypted value")
    if reader.take(4) != _DV_MAGIC:
        raise MalformedPayloadError("decrypted value: wrong magic")
    w = setup.public_key.ciphertext_bytes
    index, count = reader.uint(2), reader.uint(4)
    if not 1 <= count <= tp.MAX_BATCH:
        raise MalformedPayloadError(f"decrypted value: {count} partials")
    values = tuple(reader.uint(w) for _ in range(count))
    a, b = reader.uint(w), reader.uint(w)
    z = reader.uint(reader.uint(2))
    reader.done()
    try:
        return tp.BatchPartialDecryption(index, values, a, b, z)
    except InvalidInputError as exc:
        raise MalformedPayloadError(f"decrypted value: {exc}") from None


def encode_model(index: int, weights: Sequence[int], bias: int | None, fraction_bits: int) -> bytes:
    """A partial model as published at the end (JSON behind a magic)."""
    body = {"index": index, "weights": list(weights), "bias": bias, "fraction_bits": fraction_bits}
    return _MODEL_MAGIC + json.dumps(body, sort_keys=True).encode()


def decode_model(payload: bytes) -> dict[str, Any]:
    """The partial model of :func:`encode_model`.

    Raises:
        MalformedPayloadError: Not a partial model.
    """
    if not isinstance(payload, bytes | bytearray) or not bytes(payload).startswith(_MODEL_MAGIC):
        raise MalformedPayloadError("partial model: wrong magic")
    try:
        data = parse_json(bytes(payload)[len(_MODEL_MAGIC) :])
        return {
            "index": _json_int(data["index"], "index"),
            "weights": [_json_int(w, "a weight") for w in data["weights"]],
            "bias": None if data["bias"] is None else _json_int(data["bias"], "bias"),
            "fraction_bits": _json_int(data["fraction_bits"], "fraction_bits"),
        }
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise MalformedPayloadError(f"partial model: {exc!r}") from None


def combine_models(setup: VerticalSetup, partials: Sequence[dict[str, Any]]) -> SVMModel:
    """The full model from every participant's published partial model (columns in setup order).

    Raises:
        InvalidInputError: A participant is missing or repeated, or a size does not match.
    """
    by_index = {int(p["index"]): p for p in partials}
    if sorted(by_index) != list(range(setup.participants)):
        raise InvalidInputError(f"need the partial models of participants 0..{setup.participants - 1}")
    width = sum(len(c) for c in setup.partition)
    weights = [0] * width
    for i, cols in enumerate(setup.partition):
        own = by_index[i]["weights"]
        if len(own) != len(cols):
            raise InvalidInputError(f"participant {i} published {len(own)} weights for {len(cols)} columns")
        for col, w in zip(cols, own, strict=True):
            weights[col] = w
    bias = by_index[0]["bias"]
    if bias is None:
        raise InvalidInputError("participant 0 holds the bias but published none")
    return SVMModel(tuple(weights), bias, setup.schedule.fraction_bits)


# -- the participant -------------------------------------------------------------------------


#: The parts of the judge timed in :attr:`ParticipantResult.spans` (the board's posting and
#: waiting are timed by the board itself): the blinding step (``open``/``extend``/``close_chain``
#: or the paper contribution and finals), the own batched partial decryption with its proof,
#: checking the others' proofs, combining the partials into verdicts, and encoding/decoding.
SPANS = ("blind", "decrypt", "verify", "combine", "codec")


class _Spans:
    """Accumulates wall seconds per named span (``with spans("blind"): …``)."""

    def __init__(self, totals: dict[str, float]) -> None:
        self.totals, self.name, self.started = totals, "", 0.0

    def __call__(self, name: str) -> _Spans:
        self.name = name
        return self

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *_: object) -> None:
        self.totals[self.name] = self.totals.get(self.name, 0.0) + time.perf_counter() - self.started


def noise_per_round(setup: VerticalSetup, index: int) -> int:
    """Re-randomisers participant ``index`` uses in one round besides its blinding draws (what it
    keeps stocked ahead): the chained judge's first participant none (its encryptions come with
    its blinding draws, :meth:`~offchain.crypto.joint_comparison.SubgroupNoise.stock_blinding`),
    an inner one one per sample (for Q_k), the last one one per packed ciphertext; the paper
    variant two encryptions per sample."""
    batch = setup.schedule.batch_size
    if setup.variant is not jc.JudgeVariant.CHAINED:
        return 2 * batch
    if index == setup.participants - 1:
        return -(-batch // setup.slots)
    return 0 if index == 0 else batch


def stock_ahead(setup: VerticalSetup, index: int, noise: jc.SubgroupNoise) -> bool:
    """One unit of participant ``index``'s data-independent work for the next round, done ahead
    (a blinding draw of the chained judge, else a re-randomiser); False when a round's worth is stocked."""
    if setup.variant is jc.JudgeVariant.CHAINED and noise.stock_blinding(setup.judge, index, setup.schedule.batch_size):
        return True
    return noise.stock(noise_per_round(setup, index))


@dataclass
class ParticipantResult:
    """What a participant knows at the end: its partial model, the verdict counts and timings."""

    index: int
    weights: tuple[int, ...]
    bias: int | None
    violations: list[int] = field(default_factory=list)
    judge_s: float = 0.0
    total_s: float = 0.0
    #: Seconds spent in each part of the judge, summed over the rounds (:data:`SPANS`).
    spans: dict[str, float] = field(default_factory=dict)


class VerticalParticipant:
    """One participant of the vertical training (§5.5): its columns, its key share, the board.

    Args:
        setup: The public setup.
        index: This participant's position (0-based; the key share's index is ``index + 1``).
        share: Its threshold key share.
        columns: Its quantised columns of every training sample (X = round(x·2^f) ∈ [0, 2^f]).
        labels: Every sample's ±1 label.
        board: The training board.
        timeout_s: How long to wait for another participant's message.
        noise: Its re-randomisers (with any stocked ahead); a fresh source if None.

    Raises:
        InvalidInputError: The data does not match the setup.
    """

    def __init__(
        self,
        setup: VerticalSetup,
        index: int,
        share: tp.KeyShare,
        columns: Sequence[Sequence[int]],
        labels: Sequence[int],
        board: Board,
        *,
        timeout_s: float = 120.0,
        noise: jc.SubgroupNoise | None = None,
    ) -> None:
        if not 0 <= index < setup.participants:
            raise InvalidInputError(f"participant index must be in 0..{setup.participants - 1}, got {index}")
        if share.public_key != setup.public_key or share.index != index + 1:
            raise InvalidInputError(f"participant {index} needs share {index + 1} of the session's key")
        if len(columns) != setup.rows or len(labels) != setup.rows:
            raise InvalidInputError(f"need {setup.rows} rows of columns and labels")
        width, limit = len(setup.partition[index]), 1 << setup.schedule.fraction_bits
        for row in columns:
            if len(row) != width or any(not 0 <= x <= limit for x in row):
                raise InvalidInputError(f"each row needs {width} quantised values in [0, 2^f]")
        if any(y not in (-1, 1) for y in labels):
            raise InvalidInputError("labels must be ±1")
        self.setup, self.index, self.share = setup, index, share
        self.columns, self.labels = [list(r) for r in columns], list(labels)
        self.board, self.timeout_s = board, timeout_s
        self.params = setup.judge
        self.noise = noise if noise is not None else jc.SubgroupNoise(setup.public_key)
        self.weights: tuple[int, ...] = (0,) * width
        self.bias = 0
        self.spans: dict[str, float] = dict.fromkeys(SPANS, 0.0)
        self._span = _Spans(self.spans)

    def precompute(self) -> bool:
        """One blinding draw or re-randomiser of the next round, ahead (called while waiting); False when stocked."""
        return stock_ahead(self.setup, self.index, self.noise)

    def partial_margins(self, batch: Sequence[int]) -> list[int]:
        """a_ij for the batch (participant 0 includes −y·B·2^f − 2^{2f})."""
        f = self.setup.schedule.fraction_bits
        out = []
        for j in batch:
            y = self.labels[j]
            a = y * sum(w * x for w, x in zip(self.weights, self.columns[j], strict=True))
            if self.index == 0:
                a -= y * (self.bias << f) + (1 << (2 * f))
            out.append(a)
        return out

    def run(self) -> ParticipantResult:
        """Train every round, then publish the partial model."""
        result = ParticipantResult(self.index, self.weights, None)
        started = time.perf_counter()
        for round_, batch in enumerate(self.setup.batches()):
            judge_started = time.perf_counter()
            verdicts = self.judge(round_, batch)
            result.judge_s += time.perf_counter() - judge_started
            result.violations.append(sum(verdicts))
            self.step(batch, verdicts)
            logger.info("participant %d: round %d, %d violations", self.index, round_, sum(verdicts))
        result.weights = self.weights
        result.bias = self.bias if self.index == 0 else None
        self.board.post_model(encode_model(self.index, self.weights, result.bias, self.setup.schedule.fraction_bits))
        result.total_s = time.perf_counter() - started
        result.spans = dict(self.spans)
        return result

    def judge(self, round_: int, batch: Sequence[int]) -> list[bool]:
        """The verdicts I_j of one round (IV, DV, verification, combination)."""
        setup, params, p, span = self.setup, self.params, self.setup.participants, self._span
        parts = self.partial_margins(batch)
        references: list[int] | None = None
        if setup.variant is jc.JudgeVariant.CHAINED:
            previous = None if self.index == 0 else self._intermediate(round_, self.index - 1, len(batch))
            if self.index == p - 1:
                with span("blind"):
                    packed = jc.close_chain(params, previous, parts, self.noise)  # type: ignore[arg-type]
                with span("codec"):
                    payload = encode_intermediate(setup, packed)
                self.board.post_intermediate(round_, payload)
            else:
                with span("blind"):
                    if previous is None:
                        links = jc.open_chain(params, parts, self.noise)
                    else:
                        links = jc.extend_chain(params, previous, parts, self.noise, position=self.index)  # type: ignore[arg-type]
                with span("codec"):
                    payload = encode_intermediate(setup, links)
                self.board.post_intermediate(round_, payload)
                packed = self._intermediate(round_, p - 1, len(batch), last=True)  # type: ignore[assignment]
        else:
            with span("blind"):
                own = jc.paper_contribution(params, parts, self.noise)
            with span("codec"):
                payload = encode_intermediate(setup, own)
            self.board.post_intermediate(round_, payload)
            contributions = [own if i == self.index else self._intermediate(round_, i, len(batch)) for i in range(p)]
            with span("blind"):
                finals, references = jc.paper_finals(params, contributions)  # type: ignore[arg-type]
                packed = jc.pack(params, finals)
        with span("decrypt"):
            mine = tp.partial_decrypt_batch(self.share, packed)
        with span("codec"):
            payload = encode_decryption(setup, mine)
        self.board.post_decryption(round_, payload)
        verified = {
            self.index: [tp.VerifiedPartial(mine.index, v, c) for v, c in zip(mine.values, packed, strict=True)]
        }
        for i in sorted(range(p), key=lambda i: (i - self.index) % p)[1:]:  # the others, each checked once posted
            payload = self.board.decryption(round_, i, self.timeout_s)
            try:
                with span("codec"):
                    partial = decode_decryption(setup, payload)
                if partial.index != i + 1:
                    raise tp.InvalidPartialError([i + 1], f"posted under index {partial.index}")
                with span("verify"):
                    verified[i] = tp.verify_batch_partial(setup.public_key, packed, partial)
            except (MalformedPayloadError, tp.InvalidPartialError) as exc:
                logger.warning(
                    "participant %d: participant %d's DV of round %d is wrong: %s", self.index, i, round_, exc
                )
                self.board.report_invalid(round_, i)
                raise TrainingAbortedError(
                    f"participant {i} posted a wrong partial decryption in round {round_}", i
                ) from exc
        with span("combine"):
            values = jc.unpack(params, tp.combine_batch(setup.public_key, [verified[i] for i in range(p)]), len(batch))
        return jc.verdicts(params, values, references)

    def _intermediate(
        self, round_: int, index: int, count: int, *, last: bool = False
    ) -> list[jc.ChainLink] | jc.PaperContribution | list[int]:
        payload = self.board.intermediate(round_, index, self.timeout_s)
        try:
            with self._span("codec"):
                return decode_intermediate(self.setup, payload, count, last=last)
        except MalformedPayloadError as exc:
            raise TrainingAbortedError(
                f"participant {index}'s IV of round {round_} is malformed: {exc}", index
            ) from exc

    def step(self, batch: Sequence[int], verdicts: Sequence[bool]) -> None:
        """The exact update of this participant's weights (and bias, for participant 0)."""
        rows, labels = [self.columns[j] for j in batch], [self.labels[j] for j in batch]
        sums = verdict_sums(len(self.weights), rows, labels, verdicts)
        self.weights, bias = gradient_step(self.weights, self.bias, sums, len(batch), self.setup.schedule)
        if self.index == 0:
            self.bias = bias
