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
from offchain.crypto.modexp import FixedBase
from offchain.crypto.paillier import EncryptedVector, FixedPoint, NoisePool
from offchain.errors import InvalidInputError, VerificationError

__all__ = [
    "AggregationCloud",
    "AggregationResult",
    "CheatingPartiesError",
    "Contribution",
    "Contributor",
    "DecryptionParty",
    "PartialBatch",
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
        replaced by the next party in ``parties``.

        Raises:
            CheatingPartiesError: Fewer than t parties returned valid partials; names the cheats.
            InvalidInputError: Two parties hold the same share index, or no contributions.
        """
        aggregate = self.aggregate()
        indices = [p.index for p in parties]
        if len(set(indices)) != len(indices):
            raise InvalidInputError("two of the given parties hold the same key share")
        ciphertexts = [int(c) for c in aggregate.ciphertexts]
        tables = [tp.proof_table(self.public_key, c) for c in ciphertexts]  # shared by every party's proofs
        threshold = self.public_key.threshold
        accepted: list[tuple[DecryptionParty, list[tp.VerifiedPartial]]] = []
        rejected: list[str] = []
        for party in parties:
            if len(accepted) == threshold:
                break
            batch = party.partially_decrypt(ciphertexts)
            verified = self._check_batch(party, batch, ciphertexts, tables)
            if verified is None:
                rejected.append(party.name)
                logger.warning("partial decryption from %s rejected: its proof does not verify", party.name)
            else:
                accepted.append((party, verified))
        if len(accepted) < threshold:
            raise CheatingPartiesError(
                rejected, f"only {len(accepted)} of the {threshold} valid partial decryptions needed were returned"
            )
        residues = [
            tp.combine(self.public_key, [element[i] for _, element in accepted]) for i in range(len(ciphertexts))
        ]
        assert self.encoding is not None
        totals = tuple(self.encoding.decode(r) for r in residues)
        return AggregationResult(totals, self.contributors, tuple(p.name for p, _ in accepted), tuple(rejected))

    def _check_batch(
        self, party: DecryptionParty, batch: PartialBatch, ciphertexts: Sequence[int], tables: Sequence[FixedBase]
    ) -> list[tp.VerifiedPartial] | None:
        if batch.index != party.index or len(batch.partials) != len(ciphertexts):
            return None
        verified = []
        for c, table, partial in zip(ciphertexts, tables, batch.partials, strict=True):
            if partial.index != party.index:
                return None
            try:
                verified.append(tp.verify_partial(self.public_key, c, partial, table=table))
            except tp.InvalidPartialError:
                return None
        return verified
