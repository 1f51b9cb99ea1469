"""secureSVM: a data analyst trains a linear SVM over several data providers' private rows.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 4 §4.4–4.8:
the roles (§4.4), the gradient-descent training on the hinge loss (Eq. 4.7–4.10), secure
polynomial multiplication (Eq. 4.11–4.15, :mod:`offchain.crypto.secure_polynomial`), the secure
comparison (Algorithm 2, Fig. 4.4, :mod:`offchain.crypto.secure_comparison`) and the training
algorithm (Algorithm 3, Fig. 4.5).

One iteration, for the batch the public seeded schedule picks (:func:`offchain.learning.svm.batch_schedule`):

1. The :class:`DataAnalyst` (the only Paillier key holder) sends [[W]], [[B]] to every provider.
2. Each :class:`DataProvider` computes [[D_j]] = [[y_j(W·X_j − B·2^f) − 2^{2f}]] on its own rows
   of the batch, blinds each one, and sends the blinded ciphertexts to the analyst.
3. The analyst decrypts each blinded value and returns an encrypted bit; the provider unblinds it
   into [[I_j]], I_j = [y_j(w·x_j − b) < 1], and computes its encrypted contribution
   [[G_p]] = [[Σ I_j y_j X_j]], [[Σ I_j y_j]], [[Σ I_j]].
4. **Aggregation before decryption**: the providers combine their contributions along a chain
   P_1 → P_2 → … → P_k → P_1. P_1 starts it with its contribution plus a secret uniform mask
   R ∈ Z_n^{d+2}; each P_i multiplies its own in; P_1 removes R and sends the total to the
   analyst. The analyst decrypts only Σ_p G_p, steps (W, B) exactly as the plaintext trainer
   (:func:`offchain.learning.svm.gradient_step`) and derives the batch cost from the sums.

Who learns what (semi-honest parties, confidential and authenticated channels):

* **The analyst** learns the model (it is its own), the batch sums Σ_p G_p, Σ I y and the
  number of margin violations Σ I of each batch (the cost follows from them), and, per
  comparison, what :mod:`offchain.crypto.secure_comparison` says: with the default ``blinded``
  variant a uniformly random sign bit and a value whose magnitude is hidden by a log-uniform
  factor; with ``paper``, each row's margin bit and its magnitude to within the factor's range.
  It never decrypts one provider's contribution: it receives only the chain's total, and every
  message between providers decrypts to a uniformly random vector (the mask), so even a
  captured chain message is useless to it. The batch schedule is checked so that every batch
  has rows of at least two providers (:class:`SinglePartyBatchError` otherwise).
* **A provider** learns nothing beyond its own rows: it sees only ciphertexts under the
  analyst's key ([[W]], [[B]], the encrypted bits, the masked chain values).
* Collusion: the analyst with all providers but one learns the remaining provider's batch sums
  (inherent in revealing the sum). P_1 and the analyst together can unmask chain messages.

What changes from the research: there the analyst decrypts each provider's gradient separately
(with the provider's help), so it learns per-provider sums every iteration; here it learns only
their total. And the research's comparison lets the key holder learn the margin bit and its
magnitude; the default here lets nobody learn the bit. Every provider-to-analyst message is
authenticated with HMAC-SHA256 under a session key agreed at enrolment (:class:`VerificationError`
on a tampered message) and must carry ciphertexts under the analyst's key
(:class:`~offchain.crypto.paillier.KeyMismatchError` otherwise).

Speed: each provider runs in a process of its own (:func:`train_secure_svm` with
``processes=True``); the analyst decrypts by the CRT and draws its r^n values through the CRT.
The result is exactly the plaintext fixed-point training of the same schedule: the comparisons
are exact, so the decrypted sums equal the plaintext sums and the steps are the same integers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import phe
from gmpy2 import mpz

from offchain.chain.registry import DataRegistryClient, FileRegistration
from offchain.crypto.hashing import content_commitment, new_salt, sha256
from offchain.crypto.merkle import MerkleTree
from offchain.crypto.paillier import EncryptedVector, FixedPoint, NoisePool, generate_keypair
from offchain.crypto.secure_comparison import (
    BlindingSecret,
    ComparisonBlinder,
    ComparisonKeyHolder,
    ComparisonVariant,
    check_ciphertext,
)
from offchain.crypto.secure_polynomial import encrypted_hinge_sums, encrypted_margins, margin_bound
from offchain.errors import IntegrityError, InvalidInputError, VerificationError
from offchain.learning.svm import (
    HingeSums,
    Schedule,
    SVMModel,
    TrainingTrace,
    batch_cost,
    batch_schedule,
    gradient_step,
)
from offchain.storage.base import BlobStore
from offchain.validation import parse_json

__all__ = [
    "DataAnalyst",
    "DataProvider",
    "ModelBroadcast",
    "PinnedDataset",
    "SignedMessage",
    "SinglePartyBatchError",
    "check_registered_dataset",
    "fetch_registered_dataset",
    "register_dataset",
    "train_secure_svm",
]

logger = logging.getLogger(__name__)

BLINDED, BITS, CHAIN, AGGREGATE = "blinded", "bits", "chain", "aggregate"


class SinglePartyBatchError(InvalidInputError):
    """A batch of the schedule holds rows of one provider only: its sum would be that provider's."""


@dataclass(frozen=True)
class SignedMessage:
    """A protocol message: an encrypted vector with its routing and an HMAC tag.

    Attributes:
        kind: ``"blinded"``, ``"bits"``, ``"chain"`` or ``"aggregate"``.
        sender, recipient: Party names.
        iteration: The training iteration it belongs to.
        payload: :meth:`EncryptedVector.to_bytes` of the ciphertexts.
        tag: HMAC-SHA256 under the provider's session key (empty on provider-to-provider links).
    """

    kind: str
    sender: str
    recipient: str
    iteration: int
    payload: bytes
    tag: bytes = b""


@dataclass(frozen=True)
class ModelBroadcast:
    """The analyst's [[W_1]], …, [[W_d]], [[B]] for one iteration and the batch's global row indices."""

    iteration: int
    payload: bytes
    batch: tuple[int, ...]


def _mac(key: bytes, kind: str, sender: str, recipient: str, iteration: int, payload: bytes) -> bytes:
    header = f"secure-svm/v1|{kind}|{sender}|{recipient}|{iteration}|".encode()
    return hmac.new(key, header + hashlib.sha256(payload).digest(), hashlib.sha256).digest()


def _seal(key: bytes, kind: str, sender: str, recipient: str, iteration: int, vector: EncryptedVector) -> SignedMessage:
    payload = vector.to_bytes()
    return SignedMessage(
        kind, sender, recipient, iteration, payload, _mac(key, kind, sender, recipient, iteration, payload)
    )


def _open(
    key: bytes, message: SignedMessage, kind: str, sender: str, iteration: int, public_key: phe.PaillierPublicKey
) -> EncryptedVector:
    """The message's ciphertexts after checking its tag, routing and key.

    Raises:
        VerificationError: Bad tag, or not the expected kind, sender or iteration.
        KeyMismatchError: The ciphertexts are under another key.
        MalformedCiphertextError: A ciphertext is not a unit below n².
    """
    expected = _mac(key, message.kind, message.sender, message.recipient, message.iteration, message.payload)
    if not hmac.compare_digest(expected, message.tag):
        raise VerificationError(f"{message.kind} message from {message.sender!r}: HMAC tag does not verify")
    if (message.kind, message.sender, message.iteration) != (kind, sender, iteration):
        raise VerificationError(
            f"expected a {kind} message from {sender!r} for iteration {iteration}, got a {message.kind} "
            f"message from {message.sender!r} for iteration {message.iteration}"
        )
    vector = EncryptedVector.from_bytes(message.payload, public_key)
    for c in vector.ciphertexts:
        check_ciphertext(public_key, c)
    return vector


def _wrap(public_key: phe.PaillierPublicKey, ciphertexts: Sequence[mpz]) -> EncryptedVector:
    return EncryptedVector(public_key, FixedPoint.for_key(public_key, 0), tuple(mpz(c) for c in ciphertexts))


class DataProvider:
    """A data provider: its quantised rows (X = round(x · 2^f)) and ±1 labels stay with it.

    Args:
        name: Its name on the wire.
        rows: Integer rows in [0, 2^f].
        labels: ±1 labels.
        variant: The comparison variant it runs as the blinder.
    """

    def __init__(
        self,
        name: str,
        rows: Sequence[Sequence[int]],
        labels: Sequence[int],
        *,
        variant: ComparisonVariant = ComparisonVariant.BLINDED,
    ) -> None:
        if not rows or len(rows) != len(labels):
            raise InvalidInputError(f"provider {name!r}: {len(rows)} rows and {len(labels)} labels")
        self.name = name
        self.rows = [list(r) for r in rows]
        self.labels = [int(y) for y in labels]
        self.variant = variant
        #: Shared with the analyst at enrolment, over a confidential channel.
        self.session_key = secrets.token_bytes(32)
        self._joined: tuple[phe.PaillierPublicKey, int, Schedule, str, str] | None = None
        self._blinder: ComparisonBlinder | None = None
        self._pending: dict[int, tuple[list[int], list[BlindingSecret]]] = {}
        self._contribution: dict[int, list[mpz]] = {}
        self._mask: dict[int, list[int]] = {}
        #: The provider's own Paillier key pair for its registered dataset (set by :func:`register_dataset`).
        self.dataset_keypair: tuple[phe.PaillierPublicKey, phe.PaillierPrivateKey] | None = None
        #: The salt of the registered commitment to its plaintext rows.
        self.commitment_salt: bytes | None = None

    def check_pinned(self, pinned: PinnedDataset, fraction_bits: int) -> None:
        """Refuse to train unless this provider's rows are the ones it registered on chain.

        Raises:
            IntegrityError: The rows (or their count) differ from the registered commitment.
        """
        if self.commitment_salt is None:
            raise IntegrityError(f"provider {self.name!r} has no registered dataset")
        found = content_commitment(_plaintext_bytes(self.rows, self.labels, fraction_bits), self.commitment_salt)
        if pinned.rows != len(self.rows) or found != pinned.content_commitment:
            raise IntegrityError(
                f"provider {self.name!r}: the rows offered for training are not the registered dataset "
                f"0x{pinned.file_id.hex()}; training refused"
            )

    def join(
        self, public_key: phe.PaillierPublicKey, offset: int, schedule: Schedule, analyst: str, chain_next: str
    ) -> None:
        """Take part in a training: the analyst's key, this provider's global row offset, the schedule."""
        self._joined = (public_key, offset, schedule, analyst, chain_next)
        bound = margin_bound(schedule.weight_bound_bits, len(self.rows[0]), schedule.fraction_bits)
        self._blinder = ComparisonBlinder(public_key, bound, variant=self.variant, pool=NoisePool(public_key))

    def _state(self) -> tuple[phe.PaillierPublicKey, int, Schedule, str, str, ComparisonBlinder]:
        if self._joined is None or self._blinder is None:
            raise InvalidInputError(f"provider {self.name!r} has not joined a training")
        return (*self._joined, self._blinder)

    def local_rows(self, batch: Sequence[int]) -> list[int]:
        """Indices of this provider's rows among the batch's global indices."""
        _, offset, *_ = self._state()
        return [i - offset for i in batch if offset <= i < offset + len(self.rows)]

    def blind(self, broadcast: ModelBroadcast) -> SignedMessage | None:
        """Step 2: the blinded margins of this provider's rows of the batch (``None`` if it has none)."""
        public_key, _, schedule, analyst, _, blinder = self._state()
        local = self.local_rows(broadcast.batch)
        if not local:
            return None
        model = EncryptedVector.from_bytes(broadcast.payload, public_key)
        margins = encrypted_margins(
            public_key,
            model.ciphertexts[:-1],
            model.ciphertexts[-1],
            [self.rows[i] for i in local],
            [self.labels[i] for i in local],
            schedule.fraction_bits,
            schedule.weight_bound_bits,
        )
        blinded, secrets_ = zip(*(blinder.blind(d) for d in margins), strict=True)
        self._pending[broadcast.iteration] = (local, list(secrets_))
        vector = _wrap(public_key, blinded)
        return _seal(self.session_key, BLINDED, self.name, analyst, broadcast.iteration, vector)

    def contribute(self, bits: SignedMessage | None, iteration: int) -> None:
        """Step 3: unblind the analyst's bits and compute this provider's encrypted batch sums."""
        public_key, _, schedule, analyst, _, blinder = self._state()
        width = len(self.rows[0]) + 2
        if bits is None:
            self._contribution[iteration] = [mpz(1)] * width  # [[0]]: no rows in this batch
            return
        local, secrets_ = self._pending.pop(iteration)
        vector = _open(self.session_key, bits, BITS, analyst, iteration, public_key)
        if len(vector) != len(local):
            raise VerificationError(f"{len(vector)} bits for {len(local)} blinded margins")
        indicators = [blinder.unblind(t, s) for t, s in zip(vector.ciphertexts, secrets_, strict=True)]
        self._contribution[iteration] = encrypted_hinge_sums(
            public_key,
            indicators,
            [self.rows[i] for i in local],
            [self.labels[i] for i in local],
            schedule.fraction_bits,
        )

    def chain_start(self, iteration: int) -> SignedMessage:
        """Step 4, at the head of the chain: own sums plus a fresh uniform mask R."""
        public_key, _, _, _, chain_next, _ = self._state()
        n, nsquare = mpz(public_key.n), mpz(public_key.nsquare)
        mask = [secrets.randbelow(int(n)) for _ in self._contribution[iteration]]
        self._mask[iteration] = mask
        masked = [c * (1 + r * n) % nsquare for c, r in zip(self._contribution.pop(iteration), mask, strict=True)]
        return SignedMessage(CHAIN, self.name, chain_next, iteration, _wrap(public_key, masked).to_bytes())

    def chain_add(self, message: SignedMessage) -> SignedMessage:
        """Step 4, inside the chain: multiply this provider's sums into the running (masked) total."""
        public_key, _, _, _, chain_next, _ = self._state()
        nsquare = mpz(public_key.nsquare)
        running = EncryptedVector.from_bytes(message.payload, public_key).ciphertexts
        own = self._contribution.pop(message.iteration)
        if len(running) != len(own):
            raise InvalidInputError(f"the running total has {len(running)} sums, this provider {len(own)}")
        # the running total carries the head's uniform mask (chain_start), so it is no bounded value:
        # added by raw arithmetic like the mask; the unmasked total's bound is the batch's (check_sum_bound)
        total = [a * b % nsquare for a, b in zip(running, own, strict=True)]
        return SignedMessage(CHAIN, self.name, chain_next, message.iteration, _wrap(public_key, total).to_bytes())

    def chain_finish(self, message: SignedMessage) -> SignedMessage:
        """Step 4, back at the head: remove the mask and send the total to the analyst."""
        public_key, _, _, analyst, _, _ = self._state()
        n, nsquare = mpz(public_key.n), mpz(public_key.nsquare)
        running = EncryptedVector.from_bytes(message.payload, public_key).ciphertexts
        mask = self._mask.pop(message.iteration)
        # the mask is a uniform residue mod n, not a bounded value: removed by raw arithmetic
        total = [c * (1 + (n - r) * n) % nsquare for c, r in zip(running, mask, strict=True)]
        return _seal(self.session_key, AGGREGATE, self.name, analyst, message.iteration, _wrap(public_key, total))


class DataAnalyst:
    """The data analyst: holds the Paillier key pair and the model, decrypts only aggregates.

    Args:
        schedule: The training schedule (public; every provider gets it).
        key_bits: Paillier modulus size (2048 by default; tests use 512).
        keypair: An existing key pair instead of a fresh one.
        name: Its name on the wire.
    """

    def __init__(
        self,
        schedule: Schedule,
        *,
        key_bits: int = 2048,
        keypair: tuple[phe.PaillierPublicKey, phe.PaillierPrivateKey] | None = None,
        name: str = "analyst",
    ) -> None:
        self.schedule = schedule
        self.name = name
        self.public_key, self._private_key = keypair or generate_keypair(key_bits)
        self._pool = NoisePool(self.public_key, self._private_key)
        self._holder = ComparisonKeyHolder(self._private_key, self._pool)
        self._encoding = FixedPoint.for_key(self.public_key, 0)
        self._providers: dict[str, tuple[bytes, int, int]] = {}
        self._rows = 0
        self.weights: tuple[int, ...] = ()
        self.bias = 0
        self.costs: list[float] = []
        self.violations: list[int] = []
        self._batches: dict[int, tuple[int, ...]] = {}
        self.head: str | None = None

    def enrol(self, name: str, rows: int, session_key: bytes, features: int) -> int:
        """Register a provider (its session key arrives over a confidential channel); its global offset."""
        if name in self._providers or name == self.name:
            raise InvalidInputError(f"a party named {name!r} is already enrolled")
        if self.weights and len(self.weights) != features:
            raise InvalidInputError(f"provider {name!r} has {features} features, others {len(self.weights)}")
        self.weights = (0,) * features
        self._providers[name] = (session_key, self._rows, rows)
        self.head = self.head or name
        self._rows += rows
        return self._rows - rows

    @property
    def total_rows(self) -> int:
        """Rows over all enrolled providers."""
        return self._rows

    def providers_in(self, batch: Sequence[int]) -> list[str]:
        """The providers that hold rows of a batch."""
        return [
            name
            for name, (_, offset, rows) in self._providers.items()
            if any(offset <= i < offset + rows for i in batch)
        ]

    def broadcast(self, iteration: int, batch: Sequence[int]) -> ModelBroadcast:
        """Step 1: [[W]], [[B]] under fresh randomness (CRT r^n)."""
        self._batches[iteration] = tuple(int(i) for i in batch)
        values = [*self.weights, self.bias]
        vector = EncryptedVector.encrypt(self.public_key, values, encoding=self._encoding, pool=self._pool)
        return ModelBroadcast(iteration, vector.to_bytes(), self._batches[iteration])

    def answer(self, message: SignedMessage, iteration: int) -> SignedMessage:
        """Step 3: decrypt each blinded margin and return its sign bit, freshly encrypted."""
        key = self._session_key(message.sender)
        vector = _open(key, message, BLINDED, message.sender, iteration, self.public_key)
        bits = [self._holder.answer(c) for c in vector.ciphertexts]
        return _seal(key, BITS, self.name, message.sender, iteration, _wrap(self.public_key, bits))

    def apply(self, message: SignedMessage, iteration: int) -> float:
        """Step 4: decrypt the providers' total, take the step; returns the batch's cost before it.

        Raises:
            VerificationError: The total does not come from the chain's head, or is tampered.
            EncodingOverflowError: A decrypted sum lies in the overflow gap.
            ModelBoundError: A weight left the public bound.
        """
        if message.sender != self.head:
            raise VerificationError(f"the aggregate must come from the chain's head {self.head!r}")
        vector = _open(
            self._session_key(message.sender), message, AGGREGATE, message.sender, iteration, self.public_key
        )
        width = len(self.weights) + 2
        if len(vector) != width:
            raise VerificationError(f"an aggregate of {len(vector)} values, expected {width}")
        values = [self._encoding.decode_int(int(self._private_key.raw_decrypt(int(c)))) for c in vector.ciphertexts]
        sums = HingeSums(tuple(values[:-2]), values[-2], values[-1])
        batch_size = len(self._batches.pop(iteration))
        cost = batch_cost(self.weights, self.bias, sums, batch_size, self.schedule)
        self.weights, self.bias = gradient_step(self.weights, self.bias, sums, batch_size, self.schedule)
        self.costs.append(cost)
        self.violations.append(sums.violations)
        return cost

    def _session_key(self, name: str) -> bytes:
        entry = self._providers.get(name)
        if entry is None:
            raise VerificationError(f"message from {name!r}, which is not an enrolled provider")
        return entry[0]

    @property
    def model(self) -> SVMModel:
        """The current model."""
        return SVMModel(self.weights, self.bias, self.schedule.fraction_bits)


# --- running the providers as separate processes ---------------------------------------------

_WORKER_PROVIDER: DataProvider | None = None


def _install(provider: DataProvider) -> None:
    global _WORKER_PROVIDER
    _WORKER_PROVIDER = provider


def _invoke(method: str, *args: Any) -> Any:
    if _WORKER_PROVIDER is None:
        raise InvalidInputError("no provider installed in this worker")
    return getattr(_WORKER_PROVIDER, method)(*args)


class _Runner:
    """Calls one provider's methods, in a process of its own or in this one."""

    def __init__(self, provider: DataProvider, in_process: bool) -> None:
        self.name = provider.name
        self._provider = provider
        self._executor = (
            ProcessPoolExecutor(max_workers=1, initializer=_install, initargs=(provider,)) if in_process else None
        )

    def submit(self, method: str, *args: Any) -> Future[Any]:
        if self._executor is not None:
            return self._executor.submit(_invoke, method, *args)
        future: Future[Any] = Future()
        try:
            future.set_result(getattr(self._provider, method)(*args))
        except Exception as exc:  # delivered through the future, as from a process
            future.set_exception(exc)
        return future

    def call(self, method: str, *args: Any) -> Any:
        return self.submit(method, *args).result()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)


def train_secure_svm(
    analyst: DataAnalyst,
    providers: Sequence[DataProvider],
    *,
    processes: bool = True,
    transcript: list[SignedMessage | ModelBroadcast] | None = None,
    progress: Callable[[int, float], None] | None = None,
    pinned: Mapping[str, PinnedDataset] | None = None,
) -> TrainingTrace:
    """Run Algorithm 3 over ``providers`` with the analyst's schedule; the trained model and costs.

    Args:
        analyst: The analyst (its schedule is used).
        providers: At least two providers, in chain order (the first is the chain's head).
        processes: Run each provider in a process of its own.
        transcript: If given, every message on the wire is appended to it.
        progress: Called with (iteration, cost) after each step.
        pinned: Each provider's dataset as checked against the chain
            (:func:`fetch_registered_dataset`); training is refused unless every provider's
            rows are its registered ones.

    Raises:
        SinglePartyBatchError: A batch of the schedule holds rows of one provider only.
        InvalidInputError: Fewer than two providers, or providers of different widths.
        IntegrityError: ``pinned`` is given and a provider has no pinned dataset or its rows
            are not the registered ones.
    """
    if len(providers) < 2:
        raise InvalidInputError("secureSVM needs at least two providers (the analyst decrypts only their total)")
    names = [p.name for p in providers]
    if pinned is not None:
        for provider in providers:
            if provider.name not in pinned:
                raise IntegrityError(f"provider {provider.name!r} has no dataset pinned on chain")
            provider.check_pinned(pinned[provider.name], analyst.schedule.fraction_bits)
    for provider, chain_next in zip(providers, [*names[1:], names[0]], strict=True):
        offset = analyst.enrol(provider.name, len(provider.rows), provider.session_key, len(provider.rows[0]))
        provider.join(analyst.public_key, offset, analyst.schedule, analyst.name, chain_next)
    batches = [[int(i) for i in batch] for batch in batch_schedule(analyst.total_rows, analyst.schedule)]
    for iteration, batch in enumerate(batches):
        if len(analyst.providers_in(batch)) < 2:
            raise SinglePartyBatchError(f"batch {iteration} holds rows of one provider only")
    record = transcript.append if transcript is not None else (lambda _message: None)
    runners = [_Runner(p, processes) for p in providers]
    try:
        for iteration, batch in enumerate(batches):
            broadcast = analyst.broadcast(iteration, batch)
            record(broadcast)
            blinded = {runner.submit("blind", broadcast): runner for runner in runners}
            contributed = []
            for future in as_completed(blinded):
                runner, message = blinded[future], future.result()
                bits = None
                if message is not None:
                    record(message)
                    bits = analyst.answer(message, iteration)
                    record(bits)
                contributed.append(runner.submit("contribute", bits, iteration))
            for future in contributed:
                future.result()
            message = runners[0].call("chain_start", iteration)
            record(message)
            for runner in runners[1:]:
                message = runner.call("chain_add", message)
                record(message)
            total = runners[0].call("chain_finish", message)
            record(total)
            cost = analyst.apply(total, iteration)
            if progress is not None:
                progress(iteration, cost)
    finally:
        for runner in runners:
            runner.close()
    return TrainingTrace(analyst.model, list(analyst.costs), list(analyst.violations))


# --- pinning the providers' encrypted datasets on chain ---------------------------------------

_DATASET_MAGIC = b"SVMDS1"


@dataclass(frozen=True)
class PinnedDataset:
    """A provider's encrypted dataset as registered in the ``DataRegistry`` and checked against it.

    Attributes:
        file_id: Its registry id.
        owner: The registering account (the provider).
        rows: Number of rows; each row is a Merkle leaf.
        features: Features per row (the label is the row's last ciphertext).
        merkle_root: Root over the rows' ciphertext bytes, as registered.
        content_commitment: Salted commitment to the plaintext rows, as registered.
    """

    file_id: bytes
    owner: str
    rows: int
    features: int
    merkle_root: bytes
    content_commitment: bytes


def _plaintext_bytes(rows: Sequence[Sequence[int]], labels: Sequence[int], fraction_bits: int) -> bytes:
    """The canonical bytes the content commitment is over."""
    body = {"fraction_bits": fraction_bits, "rows": [list(r) for r in rows], "labels": list(labels)}
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def _split_dataset(blob: bytes) -> list[bytes]:
    if not isinstance(blob, bytes | bytearray):
        raise IntegrityError(f"an encrypted secureSVM dataset is bytes, got {type(blob).__name__}")
    if not blob.startswith(_DATASET_MAGIC) or len(blob) < len(_DATASET_MAGIC) + 4:
        raise IntegrityError("not an encrypted secureSVM dataset (bad magic)")
    offset = len(_DATASET_MAGIC)
    count = int.from_bytes(blob[offset : offset + 4], "big")
    offset += 4
    rows = []
    for _ in range(count):
        if offset + 4 > len(blob):  # a count beyond the blob: stop at its end, not after 2**32 rows
            raise IntegrityError("encrypted secureSVM dataset is truncated")
        size = int.from_bytes(blob[offset : offset + 4], "big")
        rows.append(blob[offset + 4 : offset + 4 + size])
        offset += 4 + size
    if offset != len(blob) or any(not row for row in rows):
        raise IntegrityError("encrypted secureSVM dataset is truncated or has trailing bytes")
    return rows


def check_registered_dataset(record: FileRegistration, blob: bytes) -> PinnedDataset:
    """Check an encrypted dataset against its on-chain record; what the analyst may train on.

    Raises:
        IntegrityError: The rows do not match the registered Merkle root, the blob's hash is not
            the registered one, or the blob or metadata is malformed.
    """
    rows = _split_dataset(blob)
    root = MerkleTree.from_blocks(rows).root
    if root != record.merkle_root:
        raise IntegrityError(
            f"dataset 0x{record.file_id.hex()}: its rows no longer match the registered Merkle root "
            f"(registered 0x{record.merkle_root.hex()}, found 0x{root.hex()}); training refused"
        )
    if sha256(blob) != record.ciphertext_hash:
        raise IntegrityError(f"dataset 0x{record.file_id.hex()}: ciphertext hash differs from the registered one")
    try:
        meta = parse_json(record.metadata)
        features, count = int(meta["features"]), int(meta["rows"])
    except (ValueError, KeyError, TypeError, OverflowError) as exc:  # OverflowError: int(Infinity)
        raise IntegrityError(f"dataset 0x{record.file_id.hex()}: unreadable metadata ({exc})") from exc
    if meta.get("kind") != "secure-svm-dataset" or count != len(rows):
        raise IntegrityError(f"dataset 0x{record.file_id.hex()}: metadata says {count} rows, blob has {len(rows)}")
    return PinnedDataset(record.file_id, record.owner, count, features, record.merkle_root, record.content_commitment)


def fetch_registered_dataset(registry: DataRegistryClient, store: BlobStore, file_id: bytes) -> PinnedDataset:
    """Read a provider's dataset record from the chain, fetch its blob, check it (:func:`check_registered_dataset`)."""
    record = registry.get_file(file_id)
    return check_registered_dataset(record, store.get(record.locator))


def register_dataset(
    provider: DataProvider,
    registry: DataRegistryClient,
    store: BlobStore,
    account: Any,
    *,
    fraction_bits: int,
    key_bits: int = 2048,
    workers: int = 1,
) -> PinnedDataset:
    """Encrypt ``provider``'s rows under its own Paillier key, store them, register them on chain.

    Each row (features, then label) is one serialised :class:`EncryptedVector` and one Merkle
    leaf; the blob goes to ``store`` and the ``DataRegistry`` record carries the Merkle root over
    the rows, the blob's hash, its locator and a salted commitment to the plaintext rows (the
    provider keeps the salt and checks its training rows against it). Ciphertexts are not
    written into contract storage.
    """
    public_key, private_key = provider.dataset_keypair or generate_keypair(key_bits)
    provider.dataset_keypair = (public_key, private_key)
    pool = NoisePool(public_key, private_key, workers=workers)
    pool.fill(len(provider.rows) * (len(provider.rows[0]) + 1))
    encoding = FixedPoint.for_key(public_key, 0)
    encrypted = [
        EncryptedVector.encrypt(public_key, [*row, label], encoding=encoding, pool=pool).to_bytes()
        for row, label in zip(provider.rows, provider.labels, strict=True)
    ]
    blob = _DATASET_MAGIC + len(encrypted).to_bytes(4, "big")
    blob += b"".join(len(row).to_bytes(4, "big") + row for row in encrypted)
    provider.commitment_salt = new_salt()
    commitment = content_commitment(
        _plaintext_bytes(provider.rows, provider.labels, fraction_bits), provider.commitment_salt
    )
    metadata = {"kind": "secure-svm-dataset", "rows": len(encrypted), "features": len(provider.rows[0])}
    record = registry.register_file(
        sender=account,
        content_commitment=commitment,
        ciphertext_hash=sha256(blob),
        locator=store.put(blob),
        merkle_root=MerkleTree.from_blocks(encrypted).root,
        metadata=json.dumps(metadata, sort_keys=True).encode(),
    )
    logger.info("provider %s registered %d encrypted rows as 0x%s", provider.name, len(encrypted), record.file_id.hex())
    return check_registered_dataset(record, blob)
