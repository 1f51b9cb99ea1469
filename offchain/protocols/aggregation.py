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
carry the per-round sums of collaborative training. Trust model (as in the paper): the cloud
and the users are semi-honest; the parties may be malicious (their proofs are checked); the
key was dealt by a trusted CA (:func:`~offchain.crypto.threshold_paillier.generate_threshold_keypair`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from offchain.crypto import threshold_paillier as tp
from offchain.crypto.paillier import EncryptedVector, FixedPoint, NoisePool
from offchain.errors import InvalidInputError, VerificationError

__all__ = [
    "AggregationCloud",
    "AggregationResult",
    "CheatingPartiesError",
    "Contribution",
    "Contributor",
    "DecryptionParty",
    "GatheredPartials",
    "PartialBatch",
    "gather_partials",
]

logger = logging.getLogger(__name__)


class CheatingPartiesError(VerificationError):
    """Too few parties returned valid partial decryptions; names every party whose proofs failed.

    Attributes:
        names: The names of the parties whose partial decryptions were rejected.
    """

    def __init__(self, names: Iterable[str], detail: str) -> None:
        self.names = tuple(names)
        super().__init__(f"{detail}; rejected: {', '.join(self.names) or 'none'}")


@dataclass(frozen=True)
class Contribution:
    """One user's encrypted vector, as sent to the cloud."""

    contributor: str
    vector: EncryptedVector


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
    """

    totals: tuple[float, ...]
    contributors: tuple[str, ...]
    decrypted_by: tuple[str, ...]
    rejected: tuple[str, ...] = ()


class Contributor:
    """A user who encrypts its values under the consortium key (§4.2, step 1).

    Args:
        name: How the cloud knows this user.
        public_key: The consortium's threshold public key.
        encoding: The fixed-point encoding every contributor uses (agree on it beforehand).
        pool: Optional precomputed r^n values for fast encryption.
    """

    def __init__(
        self,
        name: str,
        public_key: tp.ThresholdPublicKey,
        encoding: FixedPoint | None = None,
        pool: NoisePool | None = None,
    ) -> None:
        if not name:
            raise InvalidInputError("a contributor needs a name")
        self.name = name
        self.public_key = public_key
        self.encoding = encoding or FixedPoint.for_key(public_key.paillier)
        self._pool = pool

    def contribute(self, values: Sequence[float | int]) -> Contribution:
        """E(v) for the values (fresh randomness for each).

        Raises:
            EncodingOverflowError: A value does not fit the encoding.
        """
        vector = EncryptedVector.encrypt(self.public_key.paillier, values, encoding=self.encoding, pool=self._pool)
        return Contribution(self.name, vector)


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
        """Partial decryptions with proofs of each ciphertext (§4.2, step 3)."""
        partials = tuple(tp.partial_decrypt(self.share, int(c)) for c in ciphertexts)
        return PartialBatch(self.name, self.index, partials)


@dataclass
class AggregationCloud:
    """The semi-trusted cloud: multiplies contributions and combines partial decryptions (§4.2).

    Args:
        public_key: The consortium's threshold public key.
        length: The length of every contributed vector.
        encoding: The encoding the contributors use.
    """

    public_key: tp.ThresholdPublicKey
    length: int
    encoding: FixedPoint | None = None
    _contributions: dict[str, Contribution] = field(default_factory=dict, init=False, repr=False)
    _aggregate: EncryptedVector | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.length, bool) or not isinstance(self.length, int) or self.length < 1:
            raise InvalidInputError(f"vector length must be a positive int, got {self.length!r}")
        if self.encoding is None:
            self.encoding = FixedPoint.for_key(self.public_key.paillier)

    @property
    def contributors(self) -> tuple[str, ...]:
        """Who contributed so far, in order."""
        return tuple(self._contributions)

    def submit(self, contribution: Contribution) -> None:
        """Accept one contribution and fold it into the running product.

        Raises:
            InvalidInputError: A second contribution from the same user, or one of another
                length, key or encoding.
        """
        vector = contribution.vector
        if contribution.contributor in self._contributions:
            raise InvalidInputError(f"{contribution.contributor} has already contributed")
        if vector.public_key != self.public_key.paillier or vector.encoding != self.encoding:
            raise InvalidInputError(f"{contribution.contributor}'s contribution is under another key or encoding")
        if len(vector) != self.length or vector.scale_power != 1:
            raise InvalidInputError(
                f"{contribution.contributor}'s contribution has {len(vector)} values at scale "
                f"{vector.scale_power}; expected {self.length} at scale 1"
            )
        self._aggregate = vector if self._aggregate is None else self._aggregate + vector
        self._contributions[contribution.contributor] = contribution

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
        return AggregationResult(totals, self.contributors, gathered.decrypted_by, gathered.rejected)


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


def gather_partials(
    public_key: tp.ThresholdPublicKey, ciphertexts: Sequence[int], parties: Sequence[DecryptionParty]
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
            if len(batch.partials) != len(ciphertexts) or any(p.index != party.index for p in batch.partials):
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
