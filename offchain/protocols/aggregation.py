"""Confidential aggregation under a (p, t)-threshold Paillier key: users, decryption parties, cloud.

Research: Zheng et al., "Scalable and Privacy-Preserving Data Sharing Based on Blockchain",
J. Comput. Sci. Technol. 33(3), 2018, §4.2. K users encrypt their values v_k under the
consortium's public key; the cloud multiplies the ciphertexts (so it holds E(Σ v_k) and learns
nothing); t selected parties, each holding one share of the private key, return partial
decryptions with proofs; the cloud checks every proof, combines t valid partials and obtains
Σ v_k. A party whose proof fails is named, left out, and replaced by another party when one is
left, so one dishonest party can neither falsify the result nor stop it.

The roles:

* :class:`Contributor`: encrypts its vector (a single value is a vector of length 1).
* :class:`DecryptionParty`: a named holder of one :class:`~offchain.crypto.threshold_paillier.KeyShare`.
* :class:`AggregationCloud`: collects contributions, multiplies them, runs the decryption.

Vectors are aggregated element-wise with one partial decryption per element, so the same roles
carry the per-round sums of collaborative training. Trust model: the key was dealt by a trusted
CA (:func:`~offchain.crypto.threshold_paillier.generate_threshold_keypair`); the parties may be
malicious (their proofs are checked); the cloud is semi-honest (it follows the protocol).

Contributors are authenticated, and one of them cannot stop a round:

* every contributor has an Ethereum signing key registered with the cloud
  (:meth:`AggregationCloud.register`) and signs its contribution together with the round id
  (:func:`contribution_message`), so names are not self-declared and a contribution cannot be
  replayed into another round;
* every ciphertext must be a unit modulo n² (``0 < c < n²`` and ``gcd(c, n) = 1``): a non-unit
  (``n`` itself, or any multiple of p or q) would make the product a non-unit, which no partial
  decryption can open. A malformed contribution is refused with
  :class:`MalformedContributionError` naming its (authenticated) sender, who is excluded from
  the round (:attr:`AggregationCloud.excluded`); the round finishes with the others.

Overflow (issue 12): a sum of K values each near the encoding's max_int would wrap around n
and decrypt to a wrong number of the valid range, which decoding alone cannot notice. So the
round has a limit ``max_contributors`` known to all, and each contribution's values must stay
within ``contribution_bound`` = ⌊max_int / max_contributors⌋ (:func:`contribution_bound`):

* an honest :class:`Contributor` knows its values and refuses to encrypt any beyond that bound
  (:class:`~offchain.crypto.paillier.EncodingOverflowError`);
* a contribution carries public bounds only (the round's bound, or max_int beyond it): a
  freshly encrypted vector tracks the exact |m| of each value, and :meth:`Contributor.sign`
  replaces them before anything leaves the contributor, so the cloud, which holds the
  contribution object in-process, gets of the values only their ciphertexts (which hide them
  under Paillier's semantic security, i.e. the hardness of composite residuosity);
* the cloud does not trust the bound a contribution carries: it re-wraps every received vector
  with the agreed per-contribution bound, refuses a contribution beyond ``max_contributors``
  (:class:`~offchain.crypto.paillier.EncodingOverflowError`, nothing folded in), and the
  aggregate's tracked bound (:attr:`~offchain.crypto.paillier.EncryptedVector.bounds`) can then
  never exceed max_int; decoding still refuses a total in the overflow gap.

So, if every contributor respects the bound, the decrypted total is the exact sum or an error
was raised. What the cloud cannot check (no range proofs): that a contributor respected it.

Remaining semi-honest limit (no range proofs): a registered contributor can still encrypt any
value of Z_n, so one contributor can shift the total by any amount (including past the bound,
which then wraps: the same power as encrypting a wrong value). Values are not range-checked;
the total is only as right as the least honest contributor.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import gmpy2
from eth_account import Account

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.signing import recover_digest_signer, sign_digest
from offchain.crypto import threshold_paillier as tp
from offchain.crypto.hashing import keccak256
from offchain.crypto.paillier import EncodingOverflowError, EncryptedVector, FixedPoint, NoisePool
from offchain.errors import AccessDeniedError, IntegrityError, InvalidInputError, VerificationError
from offchain.validation import is_int

__all__ = [
    "DEFAULT_MAX_CONTRIBUTORS",
    "AggregationCloud",
    "AggregationResult",
    "CheatingPartiesError",
    "Contribution",
    "Contributor",
    "DecryptionParty",
    "GatheredPartials",
    "MalformedContributionError",
    "PartialBatch",
    "contribution_bound",
    "contribution_message",
    "gather_partials",
]

_CONTRIBUTION_DOMAIN = b"datashare/aggregation-contribution/v1"
#: Length of a round id, in bytes.
ROUND_ID_BYTES = 32

#: Default limit on the contributors of one round: costs 20 bits of the encoding's range.
DEFAULT_MAX_CONTRIBUTORS = 1 << 20

logger = logging.getLogger(__name__)


def contribution_bound(encoding: FixedPoint, max_contributors: int) -> int:
    """⌊max_int / max_contributors⌋: the largest |encoded integer| one contribution may hold, so
    that the sum of ``max_contributors`` of them cannot leave the encoding's range.

    Raises:
        InvalidInputError: ``max_contributors`` is not a positive int, or leaves a bound of 0.
    """
    if not is_int(max_contributors) or max_contributors < 1:
        raise InvalidInputError(f"max_contributors must be a positive int, got {max_contributors!r}")
    bound = encoding.max_int // max_contributors
    if bound < 1:
        raise InvalidInputError(f"{max_contributors} contributors leave no range in this encoding")
    return bound


class CheatingPartiesError(VerificationError):
    """Too few parties returned valid partial decryptions; names every party whose proofs failed.

    Attributes:
        names: The names of the parties whose partial decryptions were rejected.
    """

    def __init__(self, names: Iterable[str], detail: str) -> None:
        self.names = tuple(names)
        super().__init__(f"{detail}; rejected: {', '.join(self.names) or 'none'}")


class MalformedContributionError(IntegrityError):
    """A registered contributor sent a contribution that cannot enter the aggregate; it is excluded.

    Attributes:
        contributor: The (authenticated) name of the contributor.
    """

    def __init__(self, contributor: str, detail: str) -> None:
        self.contributor = contributor
        super().__init__(f"contribution of {contributor} refused and {contributor} excluded from the round: {detail}")


def contribution_message(round_id: bytes, contributor: str, vector: EncryptedVector) -> bytes:
    """The 32 bytes a contributor signs: keccak256(domain || round id || name || scale || ciphertexts).

    Every field is length-prefixed, so no two contributions share a message.
    """
    if not isinstance(round_id, bytes | bytearray) or len(round_id) != ROUND_ID_BYTES:
        found = f"{len(round_id)} bytes" if isinstance(round_id, bytes | bytearray) else type(round_id).__name__
        raise InvalidInputError(f"round id must be {ROUND_ID_BYTES} bytes, got {found}")
    if not isinstance(contributor, str) or not isinstance(vector, EncryptedVector):
        raise InvalidInputError(
            f"a contribution names its contributor (str) and carries an EncryptedVector, got "
            f"{type(contributor).__name__} and {type(vector).__name__}"
        )
    round_id = bytes(round_id)
    parts = [_CONTRIBUTION_DOMAIN, round_id, contributor.encode("utf-8")]
    parts += [int(v).to_bytes(int(v).bit_length() // 8 + 1, "big", signed=True) for v in (vector.scale_power,)]
    parts += [int(c).to_bytes(int(c).bit_length() // 8 + 1, "big", signed=True) for c in vector.ciphertexts]
    return keccak256(b"".join(len(part).to_bytes(4, "big") + part for part in parts))


@dataclass(frozen=True)
class Contribution:
    """One user's encrypted vector, signed with its registered key for one round.

    Attributes:
        contributor: The name the contributor is registered under.
        vector: Its encrypted values.
        round_id: The round it is for.
        signature: 65-byte EIP-191 signature of :func:`contribution_message`.
    """

    contributor: str
    vector: EncryptedVector
    round_id: bytes
    signature: bytes


@dataclass(frozen=True)
class PartialBatch:
    """A party's partial decryptions of every element of the aggregate, in order."""

    party: str
    index: int
    partials: tuple[tp.PartialDecryption, ...]


@dataclass(frozen=True)
class AggregationResult:
    """What the cloud obtains.

    Attributes:
        totals: Σ v_k element-wise, decoded.
        contributors: Who contributed, in submission order.
        decrypted_by: The names of the t parties whose partials were combined.
        rejected: The names of parties whose partial decryptions failed their proofs.
        excluded: The names of contributors excluded for a malformed contribution (not in the total).
    """

    totals: tuple[float, ...]
    contributors: tuple[str, ...]
    decrypted_by: tuple[str, ...]
    rejected: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()


class Contributor:
    """A user who encrypts its values under the consortium key (§4.2, step 1).

    Args:
        name: How the cloud knows this user.
        public_key: The consortium's threshold public key.
        encoding: The fixed-point encoding every contributor uses (agree on it beforehand).
        pool: Optional precomputed r^n values for fast encryption.
        signing_key: The ``eth_account`` key that signs contributions (a new one if omitted);
            the cloud must have registered its address (:attr:`address`) under ``name``.
        max_contributors: The round's limit (agree on it with the cloud): this contributor's
            values must stay within :func:`contribution_bound`.
    """

    def __init__(
        self,
        name: str,
        public_key: tp.ThresholdPublicKey,
        encoding: FixedPoint | None = None,
        pool: NoisePool | None = None,
        signing_key: Any | None = None,
        max_contributors: int = DEFAULT_MAX_CONTRIBUTORS,
    ) -> None:
        if not name:
            raise InvalidInputError("a contributor needs a name")
        self.name = name
        self.public_key = public_key
        self.encoding = encoding or FixedPoint.for_key(public_key.paillier)
        self.bound = contribution_bound(self.encoding, max_contributors)
        self._pool = pool
        self._signing_key = signing_key or Account.create()

    @property
    def address(self) -> str:
        """The address of the contributor's signing key (what the cloud registers)."""
        return str(self._signing_key.address)

    def contribute(self, values: Sequence[float | int], *, round_id: bytes) -> Contribution:
        """E(v) for the values (fresh randomness for each), signed for round ``round_id`` (:meth:`sign`).

        Raises:
            EncodingOverflowError: A value does not fit the encoding, or exceeds this round's
                per-contribution bound (:func:`contribution_bound`).
        """
        vector = EncryptedVector.encrypt(self.public_key.paillier, values, encoding=self.encoding, pool=self._pool)
        if max(vector.bounds, default=0) > self.bound:
            raise EncodingOverflowError(
                f"{self.name}'s values exceed the per-contribution bound of this round "
                f"(|value| ≤ {self.bound / 2.0**self.encoding.fraction_bits:.6g}): the total could wrap around n"
            )
        return self.sign(vector, round_id=round_id)

    def sign(self, vector: EncryptedVector, *, round_id: bytes) -> Contribution:
        """Sign an already encrypted ``vector`` for round ``round_id``.

        The contribution carries the ciphertexts and public bounds, nothing else: a freshly
        encrypted vector tracks the exact |m| of each value
        (:meth:`~offchain.crypto.paillier.EncryptedVector.encrypt`), which the cloud must not
        see, so each bound becomes the round's :attr:`bound` if it is within it, else the
        encoding's max_int.
        """
        ceiling = self.encoding.max_int
        public = replace(vector, bounds=tuple(self.bound if b <= self.bound else ceiling for b in vector.bounds))
        signature = sign_digest(self._signing_key, contribution_message(round_id, self.name, public))
        return Contribution(self.name, public, round_id, signature)


class DecryptionParty:
    """A named holder of one key share (§4.2: one of the p parties the CA dealt a share to).

    Args:
        name: The party's name (named when its proofs fail).
        share: Its key share.
    """

    def __init__(self, name: str, share: tp.KeyShare) -> None:
        if not name:
            raise InvalidInputError("a decryption party needs a name")
        self.name = name
        self.share = share

    @property
    def index(self) -> int:
        """The share's index (1..p)."""
        return self.share.index

    def partially_decrypt(self, ciphertexts: Sequence[int]) -> PartialBatch:
        """Partial decryptions with proofs of each ciphertext (§4.2, step 3).

        Raises:
            InvalidInputError: ``ciphertexts`` is not a sequence of units of Z*_(n²).
        """
        if isinstance(ciphertexts, str | bytes) or not isinstance(ciphertexts, Sequence):
            raise InvalidInputError(f"ciphertexts must be a sequence of ints, got {type(ciphertexts).__name__}")
        partials = tuple(tp.partial_decrypt(self.share, c) for c in ciphertexts)  # each checked there
        return PartialBatch(self.name, self.index, partials)


@dataclass
class AggregationCloud:
    """The semi-trusted cloud: multiplies contributions and combines partial decryptions (§4.2).

    Args:
        public_key: The consortium's threshold public key.
        length: The length of every contributed vector.
        encoding: The encoding the contributors use.
        round_id: The round's id, which contributions are signed for (random if omitted; give
            contributors :attr:`round_id`).
        max_contributors: How many contributions the round accepts; each is assumed within
            :func:`contribution_bound` (the contributors' own check), so the total cannot wrap.
    """

    public_key: tp.ThresholdPublicKey
    length: int
    encoding: FixedPoint | None = None
    round_id: bytes = field(default_factory=lambda: secrets.token_bytes(ROUND_ID_BYTES))
    max_contributors: int = DEFAULT_MAX_CONTRIBUTORS
    _registered: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _contributions: dict[str, Contribution] = field(default_factory=dict, init=False, repr=False)
    _excluded: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _aggregate: EncryptedVector | None = field(default=None, init=False, repr=False)
    _bound: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        if not is_int(self.length) or self.length < 1:
            raise InvalidInputError(f"vector length must be a positive int, got {self.length!r}")
        if len(self.round_id) != ROUND_ID_BYTES:
            raise InvalidInputError(f"round id must be {ROUND_ID_BYTES} bytes, got {len(self.round_id)}")
        if self.encoding is None:
            self.encoding = FixedPoint.for_key(self.public_key.paillier)
        self._bound = contribution_bound(self.encoding, self.max_contributors)

    def register(self, name: str, address: AddressLike) -> None:
        """Register contributor ``name`` with the address of its signing key.

        Raises:
            InvalidInputError: An empty name, a malformed address, or a name already registered.
        """
        if not name:
            raise InvalidInputError("a contributor needs a name")
        if name in self._registered:
            raise InvalidInputError(f"{name} is already registered with key {self._registered[name]}")
        self._registered[name] = require_address(address, f"{name}'s key address")

    @property
    def contributors(self) -> tuple[str, ...]:
        """Who contributed so far, in order."""
        return tuple(self._contributions)

    @property
    def excluded(self) -> tuple[str, ...]:
        """Registered contributors excluded from this round for a malformed contribution, in order."""
        return tuple(self._excluded)

    def submit(self, contribution: Contribution) -> None:
        """Authenticate one contribution, check it, and fold it into the running product.

        The signature is checked first, so that a malformed contribution is blamed on the
        registered contributor who signed it and on nobody else.

        Raises:
            AccessDeniedError: The name is not registered, or its sender is excluded.
            VerificationError: The signature is not the registered key's, or is for another round,
                or the round id or signature is not bytes.
            MalformedContributionError: A ciphertext is not a unit modulo n², or the vector is
                under another key or encoding, or of another length or scale; the contributor is
                excluded from the round.
            InvalidInputError: Not a :class:`Contribution`, a vector that is not an
                :class:`EncryptedVector`, or a second contribution from the same user.
            EncodingOverflowError: The round already holds ``max_contributors`` contributions.
        """
        if not isinstance(contribution, Contribution):
            raise InvalidInputError(f"expected a Contribution, got {type(contribution).__name__}")
        name = contribution.contributor
        if not isinstance(name, str):
            raise AccessDeniedError(f"a contributor is named by a str, got {type(name).__name__}")
        if not isinstance(contribution.round_id, bytes) or not isinstance(contribution.signature, bytes):
            raise VerificationError(f"{name}'s contribution carries a round id or signature that is not bytes")
        address = self._registered.get(name)
        if address is None:
            raise AccessDeniedError(f"{name!r} is not a registered contributor")
        if name in self._excluded:
            raise AccessDeniedError(f"{name} is excluded from this round: {self._excluded[name]}")
        if contribution.round_id != self.round_id:
            raise VerificationError(
                f"{name}'s contribution is signed for round 0x{contribution.round_id.hex()}, "
                f"this round is 0x{self.round_id.hex()}"
            )
        signer = _recover(contribution)
        if signer != address:
            raise VerificationError(f"the contribution in {name}'s name is signed by {signer}, not by {address}")
        if name in self._contributions:
            raise InvalidInputError(f"{name} has already contributed")
        problem = self._malformation(contribution.vector)
        if problem is not None:
            self._excluded[name] = problem
            logger.warning("contribution of %s refused, contributor excluded: %s", name, problem)
            raise MalformedContributionError(name, problem)
        if len(self._contributions) >= self.max_contributors:
            raise EncodingOverflowError(
                f"the round holds {len(self._contributions)} contributions, its limit: one more could make "
                "the total wrap around n"
            )
        # The bound the vector carries is the sender's claim: replace it with the agreed one.
        vector = EncryptedVector.from_ciphertexts(
            self.public_key.paillier, contribution.vector.ciphertexts, encoding=self.encoding, bound=self._bound
        )
        self._aggregate = vector if self._aggregate is None else self._aggregate + vector
        self._contributions[name] = contribution

    def _malformation(self, vector: EncryptedVector) -> str | None:
        """Why ``vector`` cannot enter the aggregate, or None."""
        if vector.public_key != self.public_key.paillier or vector.encoding != self.encoding:
            return "it is under another key or encoding"
        if len(vector) != self.length or vector.scale_power != 1:
            return f"it has {len(vector)} values at scale {vector.scale_power}; expected {self.length} at scale 1"
        n, nsquare = self.public_key.n, self.public_key.nsquare
        for position, c in enumerate(vector.ciphertexts):
            if not 0 < c < nsquare or gmpy2.gcd(c, n) != 1:
                return f"ciphertext {position} is not a unit modulo n² (need 0 < c < n² and gcd(c, n) = 1)"
        return None

    def aggregate(self) -> EncryptedVector:
        """E(Σ v_k), element-wise (§4.2, step 2).

        Raises:
            InvalidInputError: Nobody has contributed yet.
        """
        if self._aggregate is None:
            raise InvalidInputError("no contributions to aggregate")
        return self._aggregate

    def decrypt(self, parties: Sequence[DecryptionParty]) -> AggregationResult:
        """Ask parties, in the order given, for partial decryptions until t have valid proofs.

        The first t parties are asked; each one whose proofs fail is named in the result and
        replaced by the next party in ``parties`` (see :func:`gather_partials`).

        Contributors excluded at submission are listed in the result; the total is over the others.

        Raises:
            CheatingPartiesError: Fewer than t parties returned valid partials; names the cheats.
            InvalidInputError: Two parties hold the same share index, or no contributions.
        """
        aggregate = self.aggregate()
        ciphertexts = [int(c) for c in aggregate.ciphertexts]
        gathered = gather_partials(self.public_key, ciphertexts, parties)
        residues = [tp.combine(self.public_key, element) for element in gathered.partials]
        assert self.encoding is not None
        totals = tuple(self.encoding.decode(r) for r in residues)
        return AggregationResult(totals, self.contributors, gathered.decrypted_by, gathered.rejected, self.excluded)


def _recover(contribution: Contribution) -> str:
    message = contribution_message(contribution.round_id, contribution.contributor, contribution.vector)
    return recover_digest_signer(
        message, contribution.signature, what=f"{contribution.contributor}'s contribution signature"
    )


@dataclass(frozen=True)
class GatheredPartials:
    """t parties' verified partial decryptions of each ciphertext.

    Attributes:
        partials: For each ciphertext, the t verified partials (one per party in ``parties``).
        parties: The parties whose partials verified, in order.
        rejected: The names of the parties whose partials did not.
    """

    partials: tuple[tuple[tp.VerifiedPartial, ...], ...]
    parties: tuple[DecryptionParty, ...]
    rejected: tuple[str, ...]

    @property
    def decrypted_by(self) -> tuple[str, ...]:
        """The names of the parties whose partials verified."""
        return tuple(p.name for p in self.parties)


def _well_formed(batch: object, index: int, count: int) -> bool:
    """Whether ``batch`` holds ``count`` partial decryptions, each under share ``index``."""
    return (
        isinstance(batch, PartialBatch)
        and isinstance(batch.partials, tuple | list)
        and len(batch.partials) == count
        and all(isinstance(p, tp.PartialDecryption) and p.index == index for p in batch.partials)
    )


def gather_partials(
    public_key: tp.ThresholdKey, ciphertexts: Sequence[int], parties: Sequence[DecryptionParty]
) -> GatheredPartials:
    """Partial decryptions of every ciphertext from the first t parties whose proofs verify.

    Parties are asked in order, t at a time; the partials of each ciphertext are checked in one
    batch (:func:`~offchain.crypto.threshold_paillier.verify_partials`). A party whose batch
    is malformed (another index, a missing element) or whose proofs fail is rejected by name
    and the next party is asked in its place.

    Raises:
        CheatingPartiesError: Fewer than t parties returned valid partials; names the cheats.
        InvalidInputError: Two parties hold the same key share, or no ciphertexts.
    """
    indices = [p.index for p in parties]
    if len(set(indices)) != len(indices):
        raise InvalidInputError("two of the given parties hold the same key share")
    if not ciphertexts:
        raise InvalidInputError("no ciphertexts to decrypt")
    threshold = public_key.threshold
    waiting = list(parties)
    candidates: list[tuple[DecryptionParty, PartialBatch]] = []
    rejected: list[str] = []
    while True:
        while len(candidates) < threshold and waiting:
            party = waiting.pop(0)
            batch = party.partially_decrypt(ciphertexts)
            if not _well_formed(batch, party.index, len(ciphertexts)):
                rejected.append(party.name)  # it would make another party's proof fail in its name
                logger.warning("partial decryptions from %s rejected: malformed batch", party.name)
                continue
            candidates.append((party, batch))
        if len(candidates) < threshold:
            raise CheatingPartiesError(
                rejected, f"only {len(candidates)} of the {threshold} valid partial decryptions needed were returned"
            )
        verified: list[tuple[tp.VerifiedPartial, ...]] = []
        failed: set[int] = set()
        for k, c in enumerate(ciphertexts):
            try:
                verified.append(tuple(tp.verify_partials(public_key, c, [b.partials[k] for _, b in candidates])))
            except tp.InvalidPartialError as exc:
                failed.update(exc.parties)
        if not failed:
            return GatheredPartials(tuple(verified), tuple(p for p, _ in candidates), tuple(rejected))
        for party, _ in candidates:
            if party.index in failed:
                rejected.append(party.name)
                logger.warning("partial decryptions from %s rejected: a proof does not verify", party.name)
        candidates = [(p, b) for p, b in candidates if p.index not in failed]
