"""The gradient update judge of vertical SVM training: is Σ_i a_i < 0, for secret a_i held by p parties?

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 5 §5.5,
Eq. 5.4–5.7 and Algorithm 3. Participant i holds the partial margin a_i = y·w^i·x^i of one
sample (participant 1 also subtracts the bias term and the threshold 1, so that the judge
I = [y(w·x − b) < 1] is I = [z < 0] for z = Σ_i a_i). A (p, t)-threshold Paillier key
(:mod:`offchain.crypto.threshold_paillier`, or the (p, p) key with additive shares and a random
base g of :mod:`offchain.crypto.additive_threshold_paillier`) is shared among the participants;
every value they exchange goes through the training board on chain. Every encryption, and every
constant such as [[ε]] or the packing offset, uses the key's own base
(:meth:`~offchain.crypto.threshold_paillier.ThresholdKey.plaintext_power`). Written by hand: no library offers it.

Two variants, and who learns what (everyone means every participant and everyone who reads
the chain, since the partial decryptions are public there):

* ``paper`` (Algorithm 3 as the issue that asked for this module describes it): participant i
  publishes [[a_i]], [[r2_i]] and, in the clear, r1_i and r3_i with |r3_i − r2_i| < r1_i; with
  r_k = Σ_i r_k,i everyone computes [[r1·a' + r2]] for a' = 2z + 1 (odd, so never 0), decrypts
  it jointly to v, and I = [v < r3]. **Leakage to everyone:** since r1 and r3 are public and
  |r3 − r2| < r1, (v − r3)/r1 is a' to within ±1: the margin itself, for every sample and round.
  Kept only for comparison.
* ``chained`` (the default): the participants blind in turn. Participant 1 (position 0)
  publishes, per sample, V_1 = [[ρ_1·a_1 + ε_1]] and Q_1 = [[ρ_1]]; participant k > 1 computes
  from V_{k−1}, Q_{k−1}
  V_k = (V_{k−1} · Q_{k−1}^(a_k))^(ρ_k) · [[ε_k]] and Q_k = Q_{k−1}^(ρ_k) · [[0]].
  The factor of the participant at 0-based position k is exactly log-uniform (Pr[ρ] ∝ 1/ρ) in
  [2^(m_k), 2^(m_k+K)), with a floor m_k = b + k·K that grows with the position
  (:meth:`JudgeParameters.floor_bits`; b = σ + vb + 1 + ⌈log2 p⌉, K =
  :attr:`JudgeParameters.factor_bits`), and its noise is uniform in [0, ρ_k·F_(k−1)/p), where
  F_(k−1) = 2^(m_0 + … + m_(k−1)) is the public lower bound on the product of the factors before
  it (F_(−1) = 1). By induction V_k = [[P_k·z_k + E_k]] with P_k = Π_{i≤k} ρ_i,
  z_k = Σ_{i≤k} a_i and 0 ≤ E_k < (k/p)·P_k for 1-based k (E_k = ρ_k E_{k−1} + ε_k
  < ρ_k·((k−1)/p)·P_{k−1} + ρ_k·P_{k−1}/p, since F_(k−1) ≤ P_(k−1)), so E = E_p < P. The last
  participant publishes no Q_p and no per-sample V_p: it packs its V_p (below) and re-randomises
  each packed ciphertext once (:func:`close_chain`). The packed V_p are decrypted jointly to v = P·z + E per sample,
  and I = [v < 0] exactly (z ≥ 0 gives v ≥ 0; z ≤ −1 gives v ≤ −P + E < 0). Every ciphertext
  is re-randomised ([[ε_k]], [[0]]) so that nobody can test a guessed ρ_k against the chain.

  **Leakage.** Every participant and every reader of the chain learns I and v. The strongest
  semi-honest adversary is a coalition of all participants but one, honest participant h: it
  knows every factor and noise but ρ_h, ε_h, and, since the later steps are affine maps it
  knows, it can compute from v exactly v' = ρ_h·X + ε_h, where X = P_{h−1}·z + E_{h−1} is known
  up to the margin z. Two things could tell margins apart in v':
  (1) *fine structure*: v' lies in ∪_ρ [ρX, ρ(X + W)) with W = F_(h−1)/p, and for ρ < X/W
  these intervals leave gaps whose places depend on X. Position h (0-based) blinds
  |X| < P_(h−1)·2^(vb+1) < F_(h−1)·2^(hK)·2^(vb+1) (each earlier factor is below 2^K times its
  floor), so X/W < 2^(hK + vb + 1 + ⌈log2 p⌉), and the floor m_h = σ + vb + 1 + ⌈log2 p⌉ + hK
  makes every factor of position h at least 2^σ·X/W: the intervals overlap 2^σ-fold and the
  support is the same for every margin up to 2^−σ (σ = :data:`STATISTICAL_BITS`). Each
  position needs its own floor only: the first one b, each later one K bits more, because the
  spread of the factors before it widens the range of X by K bits per factor. (An earlier
  version gave every position the last one's floor b + (p − 1)K, which cost p(p − 1)K/2 bits of
  the slot for nothing; an earlier one still drew ε_k below ρ_k alone: its views had such gaps,
  and a coalition could tell a margin from another from the gaps in about bits(X)/K of the
  samples; a test pins the difference.) What must not be done instead: scale the noise by the
  encrypted product (noise u·P_(k−1) through Q_(k−1)^u): then v mod P_(k−1) =
  ρ_k·E_(k−1) mod P_(k−1), which the coalition knows up to ρ_k, gives ρ_k away, and with it
  the margin. (2) *size*: log2|v'| = log2 ρ_h + log2|X + ε_h/ρ_h| with log2 ρ_h uniform over
  [m_h, m_h + K) and 0 ≤ ε_h/ρ_h < W ≤ P_{h−1}/p, which moves log2|X| by less than
  δ = log2(1 + 1/p) bits; so two margins z_1, z_2 give views at statistical distance at most
  about (|log2|z_1| − log2|z_2|| + δ) / K (outsiders, who know no factor, see a sum of p such
  spreads).
  :meth:`JudgeParameters.leakage_bound` computes this bound for a pair of margins. The factor
  must be log-uniform within each octave too (not uniform in a random octave), or the
  fractional part of log2|v| betrays that of log2|z|; a test pins this as well.
  The product of the factors has Σ_k (m_k + K) = p·b + K·p(p + 1)/2 bits at most and
  |v| < P·(|z| + 1) must stay below 2^(L−1), so K = ⌊(L − 2 − vb − p·b) / (p(p + 1)/2)⌋ for
  slots of L bits: with a 2048-bit key, three participants and the SVM's bounds (vb = 60),
  K = 279 with one value per decryption (a factor of 100 between two margins moves at most about
  2.5 % of the mass; the vertical training's default) and K = 108 with two (about 6.5 %); the
  p(p + 1)/2 makes K small for many participants (K = 31 for eight at 2048 bits, one value per
  decryption). Nothing else is revealed: the ciphertexts on chain are semantically secure as
  long as fewer than t participants collude (t − 1 partial decryptions reveal nothing), and
  with t = p (the default of the vertical training) only all participants together can decrypt
  anything, the intermediate V_k included.

Re-randomisers ([[0]] = h_s^x, :class:`SubgroupNoise`) depend on no data, so a participant
computes them ahead, while it waits for the others (:meth:`SubgroupNoise.stock`); each is used
once.

Packing (both variants): s final ciphertexts are packed into one, [[Σ_j (v_j + 2^(L−1))·2^(jL)]]
with L = (|n| − 2) // s (Horner's rule: (s − 1)·L squarings), so one joint decryption yields s
verdicts; the slots never carry into each other because every |v_j| < 2^(L−1) by construction.

What is proven and what is not. Partial decryptions are proven
(:func:`~offchain.crypto.threshold_paillier.partial_decrypt_batch`) and checked by everyone, so
a wrong one is caught and its author named. The blinding steps are **not** proven: the
leakage above holds when every participant follows the blinding rules (semi-honest blinding).
A participant who deviates can change verdicts (as it could by lying about its data) and,
worse, can put other ciphertexts in front of the joint decryption: the last participant of the
chain could submit a re-randomised Q_1 and V_1 as its "final" values, so that everyone decrypts
ρ_1 and ρ_1·a_1 + ε_1 and learns participant 1's partial margin a_1 exactly; nobody can tell,
since every final value is a fresh-looking ciphertext. Closing that needs a zero-knowledge
proof that each V_k, Q_k is the prescribed function of V_{k−1}, Q_{k−1} (a Σ-protocol for
knowledge of ρ_k, a_k, ε_k and the noise over Z*_(n²)); until then the chained judge protects
margins against honest-but-curious participants and outsiders only, which is still strictly
more than the paper variant, which reveals them to everyone.
"""

from __future__ import annotations

import enum
import math
import secrets
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import gmpy2
from gmpy2 import mpz

from offchain.crypto.modexp import Comb, comb_product, powmod_jobs
from offchain.crypto.paillier import EncodingOverflowError
from offchain.crypto.primes import random_bits, random_unit
from offchain.crypto.threshold_paillier import ThresholdKey
from offchain.errors import InvalidInputError
from offchain.validation import is_int, require_int

__all__ = [
    "MIN_FACTOR_BITS",
    "NOISE_COMB_ROWS",
    "NOISE_COMB_TABLES",
    "PAPER_FACTOR_BITS",
    "STATISTICAL_BITS",
    "ChainLink",
    "JudgeBoundError",
    "JudgeParameters",
    "JudgeVariant",
    "PaperContribution",
    "SubgroupNoise",
    "close_chain",
    "extend_chain",
    "open_chain",
    "pack",
    "paper_contribution",
    "paper_finals",
    "unpack",
    "verdicts",
]

#: The chained variant refuses to run with a factor spread K below this many bits (the leakage
#: bound is about |Δlog2|z|| / K: at K = 16 a factor of 2 between two margins moves 6 % of the mass).
MIN_FACTOR_BITS = 16
#: σ: consecutive factors' intervals overlap by a factor 2^σ at least (see the module docstring),
#: so the support of a view has no gaps that depend on the margin, up to 2^−σ.
STATISTICAL_BITS = 40
#: Bits of the paper variant's r1_i (the research leaves the size open).
PAPER_FACTOR_BITS = 32
#: Comb rows of the re-randomisers' fixed base: tables of 2^16 powers (32 MiB each at 2048 bits,
#: built in ~0.3 s), 1.4 ms per re-randomiser instead of 2.1 ms with 2^10 (one table).
NOISE_COMB_ROWS = 16
#: Comb tables of the re-randomisers' base: the exponent is cut in this many pieces, each with
#: its own table (h_s, h_s^(2^H), …), which share their squarings: 2 tables of 2^16 take 68
#: squarings and 136 products for a 2,176-bit exponent where one takes 136 and 136 (−25 %).
NOISE_COMB_TABLES = 2


class JudgeVariant(enum.Enum):
    """Which judge protocol runs (see the module docstring)."""

    PAPER = "paper"
    CHAINED = "chained"


class JudgeBoundError(EncodingOverflowError):
    """A value exceeds the public bound, or the key leaves too little room for the blinding."""


@dataclass(frozen=True)
class JudgeParameters:
    """The public parameters of one training's judge, agreed before it starts.

    Attributes:
        public_key: The threshold key.
        participants: p, the number of participants in the blinding chain.
        value_bits: |z| = |Σ a_i| < 2^value_bits for every sample, and each |a_i| is at most
            2^value_bits / p (the caller derives it from the weight bound and the features).
        slots: Final values packed into one ciphertext (one joint decryption each).
        variant: Which protocol.
    """

    public_key: ThresholdKey
    participants: int
    value_bits: int
    slots: int = 1
    variant: JudgeVariant = JudgeVariant.CHAINED

    def __post_init__(self) -> None:
        if not isinstance(self.public_key, ThresholdKey):
            raise InvalidInputError("public_key must be a ThresholdKey")
        for name in ("participants", "value_bits", "slots"):
            value = getattr(self, name)
            if not is_int(value) or value < 1:
                raise InvalidInputError(f"{name} must be a positive int, got {value!r}")
        if self.participants < 2:
            raise InvalidInputError("the judge needs at least two participants")
        if not isinstance(self.variant, JudgeVariant):
            raise InvalidInputError(f"variant must be a JudgeVariant, got {self.variant!r}")
        if self.variant is JudgeVariant.CHAINED and self.factor_bits < MIN_FACTOR_BITS:
            raise JudgeBoundError(
                f"a {self.public_key.n.bit_length()}-bit key with {self.slots} slots leaves {self.factor_bits} bits of "
                f"blinding spread for values of {self.value_bits} bits; {MIN_FACTOR_BITS} are needed: "
                "use fewer slots, a larger key or smaller values"
            )
        if self.variant is JudgeVariant.PAPER and self.slot_bits - 2 < self.value_bits + PAPER_FACTOR_BITS + 8:
            raise JudgeBoundError(f"slots of {self.slot_bits} bits cannot hold the paper variant's values")

    @property
    def slot_bits(self) -> int:
        """L: every packed value lies in (−2^(L−1), 2^(L−1)) and s·L ≤ |n| − 2."""
        return (self.public_key.n.bit_length() - 2) // self.slots

    @property
    def base_floor_bits(self) -> int:
        """σ + vb + 1 + ⌈log2 p⌉: the floor of the first position (see :meth:`floor_bits`)."""
        p = self.participants
        return STATISTICAL_BITS + self.value_bits + 1 + (p - 1).bit_length()

    @property
    def factor_bits(self) -> int:
        """K, the spread: the factor of position k is log-uniform in [2^(m_k), 2^(m_k + K)).

        The largest K with Σ_k (m_k + K) + value_bits + 1 ≤ L − 1, so that |v| < P·(|z| + 1) <
        2^(L−1), for the floors m_k = b + k·K of :meth:`floor_bits` (b = :attr:`base_floor_bits`):
        Σ_k (m_k + K) = p·b + K·p(p + 1)/2, so K = ⌊(L − 2 − vb − p·b) / (p(p + 1)/2)⌋.
        """
        p = self.participants
        room = self.slot_bits - 2 - self.value_bits - p * self.base_floor_bits
        return max(0, room // (p * (p + 1) // 2))

    def floor_bits(self, position: int) -> int:
        """m_k = σ + vb + 1 + ⌈log2 p⌉ + k·K: the factor of the participant at 0-based position k is at least 2^(m_k).

        That participant adds noise below ρ_k·F_(k−1)/p, where F_(k−1) = 2^(m_0 + … + m_(k−1))
        (:meth:`prior_floor_bits`) is the public lower bound on the product P_(k−1) of the
        factors before it, while the running value it blinds is below
        P_(k−1)·2^(vb+1) < F_(k−1)·2^(k·K)·2^(vb+1); m_k is large enough that the noise still
        spans 2^σ times the gap between consecutive multiples (module docstring, (1)). The floor
        grows with the position only because the spread of the factors before it does.

        Raises:
            InvalidInputError: ``position`` is not in 0 … p − 1.
        """
        self._check_position(position)
        return self.base_floor_bits + position * self.factor_bits

    def prior_floor_bits(self, position: int) -> int:
        """log2 F_(k−1) = m_0 + … + m_(k−1) for the 0-based ``position`` k (0 for the first).

        Raises:
            InvalidInputError: ``position`` is not in 0 … p − 1.
        """
        self._check_position(position)
        return position * self.base_floor_bits + self.factor_bits * position * (position - 1) // 2

    def _check_position(self, position: int) -> None:
        if not is_int(position) or not 0 <= position < self.participants:
            raise InvalidInputError(f"a position is 0 … {self.participants - 1}, got {position!r}")

    @property
    def part_bound(self) -> int:
        """The largest |a_i| a participant may contribute."""
        return (1 << self.value_bits) // self.participants

    def leakage_bound(self, margin_1: int, margin_2: int, *, outsiders: bool = False) -> float:
        """Statistical distance, about, between the views of v for z = margin_1 and z = margin_2.

        For the ``chained`` variant: (|log2|z_1| − log2|z_2|| + log2(1 + 1/p)) / K for a coalition
        of all but one participant (``outsiders``: divided by p·K), up to terms of order 2^−σ.
        Every position has the same spread K (only the floors differ), so the bound holds
        whichever participant is the honest one. For ``paper``: 1 (the margin is public).
        """
        if self.variant is JudgeVariant.PAPER:
            return 1.0
        if margin_1 == 0 or margin_2 == 0:
            raise InvalidInputError("margins must be non-zero")
        spread = abs(math.log2(abs(margin_1)) - math.log2(abs(margin_2))) + math.log2(1 + 1 / self.participants)
        return min(1.0, spread / (self.factor_bits * (self.participants if outsiders else 1)))

    def check_parts(self, parts: Sequence[int]) -> list[int]:
        """The partial margins as ints, each checked against :attr:`part_bound`."""
        if isinstance(parts, str | bytes) or not isinstance(parts, Sequence) or not parts:
            raise InvalidInputError("partial margins must be a non-empty sequence of ints")
        bound = self.part_bound
        out = []
        for a in parts:
            require_int(a, "a partial margin")
            if abs(a) > bound:
                raise JudgeBoundError(
                    f"a partial margin of {abs(a).bit_length()} bits exceeds the bound 2^{bound.bit_length() - 1}"
                )
            out.append(a)
        return out


class SubgroupNoise:
    """Fresh re-randomisers u = h_s^x mod n² from a fixed base, ~8× faster than r^n.

    Damgård, Jurik and Nielsen ("A generalization of Paillier's public-key system with
    applications to electronic voting", IJIS 2010, §4.1): h = −y² mod n for a random y, h_s =
    h^n mod n², and x uniform below 2^(|n| + 128). h_s generates (with overwhelming
    probability) the n-th residues of Jacobi symbol +1, an index-2 subgroup of the n-th residues,
    and x mod its order is uniform up to 2^-128, so u is a uniform element of that subgroup; the
    Jacobi symbol of a ciphertext's randomness is independent of its plaintext, and semantic
    security holds under the DCR assumption as for r^n (DJN, Theorem 1). The speed comes from
    comb tables (:class:`~offchain.crypto.modexp.Comb`), built once: x is cut in ``tables``
    pieces of H bits, x = Σ_t x_t·2^(tH), and u = Π_t (h_s^(2^(tH)))^(x_t) with one comb per
    piece, whose evaluations share their squarings (Lim and Lee's comb with v = ``tables``
    blocks, CRYPTO '94).

    It also stocks a chained participant's blinding draws (:meth:`stock_blinding`): the factor
    ρ_k, the noise ε_k and the encryption of ε_k (and, at position 0, of ρ_k) depend on no data
    either. With a key of random base g (:mod:`offchain.crypto.additive_threshold_paillier`)
    g^ε costs a full comb exponentiation, where (1 + n)^ε was free; computed while waiting,
    it leaves the chain's critical path.
    """

    def __init__(
        self, public_key: ThresholdKey, *, rows: int = NOISE_COMB_ROWS, tables: int = NOISE_COMB_TABLES
    ) -> None:
        if not is_int(tables) or not 1 <= tables <= 4:
            raise InvalidInputError(f"tables must be an int in 1..4, got {tables!r}")
        n = mpz(public_key.n)
        nsquare = public_key.nsquare
        y = random_unit(n)
        h = (n - y * y % n) % n
        self._bits = int(n.bit_length()) + 128
        self._piece_bits = -(-self._bits // tables)
        base = gmpy2.powmod(h, n, nsquare)
        combs = []
        for _ in range(tables):
            combs.append(Comb(base, nsquare, self._piece_bits, rows))
            base = gmpy2.powmod(base, mpz(1) << self._piece_bits, nsquare)
        self._combs = tuple(combs)
        self._nsquare = nsquare
        self._key = public_key
        self._stock: deque[mpz] = deque()
        self._blinds: deque[_Blind] = deque()
        self._blind_for: tuple[JudgeParameters, int] | None = None

    def fresh(self) -> mpz:
        """A re-randomiser computed now (never one from the stock)."""
        return self.power(random_bits(self._bits))

    def power(self, exponent: int | mpz) -> mpz:
        """h_s^exponent mod n² for 0 ≤ exponent < 2^(|n| + 128) (:meth:`fresh` draws the exponent).

        Raises:
            InvalidInputError: The exponent is out of range.
        """
        x = mpz(exponent)
        if not 0 <= x < (mpz(1) << self._bits):
            raise InvalidInputError(f"a re-randomiser's exponent is below 2^{self._bits}")
        mask = (mpz(1) << self._piece_bits) - 1
        pieces = []
        for comb in self._combs:
            pieces.append((comb, comb.digits(x & mask)))
            x >>= self._piece_bits
        return comb_product(self._nsquare, pieces)

    @property
    def base(self) -> mpz:
        """h_s, the generator of the re-randomisers."""
        return self._combs[0].table[1]

    def take(self) -> mpz:
        """One re-randomiser: from the stock if any is left (each is handed out once), else fresh."""
        return self._stock.popleft() if self._stock else self.fresh()

    @property
    def stocked(self) -> int:
        """Re-randomisers computed ahead and not yet handed out."""
        return len(self._stock)

    def stock(self, target: int) -> bool:
        """Compute one re-randomiser ahead if fewer than ``target`` are stocked; False when full.

        Re-randomisers do not depend on any data, so a participant computes them while it
        waits for the others (the offline/online split of MPC protocols); each one is still
        used once only.
        """
        if len(self._stock) >= target:
            return False
        self._stock.append(self.fresh())
        return True

    def stock_blinding(self, params: JudgeParameters, position: int, target: int) -> bool:
        """Draw one blinding of the participant at ``position`` ahead if fewer than ``target`` are
        stocked for these parameters; False when full. Each is handed out once (:meth:`take_blinding`)."""
        if self._blind_for != (params, position):
            self._blinds.clear()
            self._blind_for = (params, position)
        if len(self._blinds) >= target:
            return False
        self._blinds.append(self._draw_blinding(params, position))
        return True

    def take_blinding(self, params: JudgeParameters, position: int) -> _Blind:
        """One blinding of the participant at ``position``: stocked if any is left, else drawn now."""
        if self._blinds and self._blind_for == (params, position):
            return self._blinds.popleft()
        return self._draw_blinding(params, position)

    def _draw_blinding(self, params: JudgeParameters, position: int) -> _Blind:
        factor, eps = _blinding(params, position)
        key = self._key
        if position == params.participants - 1:  # close_chain: one re-randomiser per packed ciphertext
            return _Blind(factor, key.plaintext_power(eps), None)
        encrypted_factor = key.encrypt(factor, self.fresh()) if position == 0 else None
        return _Blind(factor, key.encrypt(eps, self.fresh()), encrypted_factor)

    def encrypt(self, value: int) -> mpz:
        """[[value]] = g^value · u for a signed value (|value| < n/2), with the key's own base g."""
        return self._key.encrypt(value, self.take())


# -- chained (default) ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Blind:
    """One chained blinding, drawn ahead: ρ_k, [[ε_k]] (at the last position g^(ε_k) without noise)
    and, at position 0, [[ρ_k]]."""

    factor: int
    masked_noise: mpz
    encrypted_factor: mpz | None


@dataclass(frozen=True)
class ChainLink:
    """One sample's pair after participant k: V_k = [[P_k z_k + E_k]], Q_k = [[P_k]]."""

    value: int
    scale: int


def _log_uniform(low_bits: int, spread_bits: int) -> int:
    """An integer ρ in [2^low_bits, 2^(low_bits + spread_bits)) with Pr[ρ] ∝ 1/ρ (exactly log-uniform).

    An octave e is drawn uniformly, then ρ uniformly in [2^e, 2^(e+1)) and accepted with
    probability 2^e/ρ (rejection sampling; about 69 % of draws are accepted), so that within an
    octave, too, the density falls as 1/ρ. Taking ρ uniform in its octave instead would leave a
    saw-tooth on log2 ρ with period 1 whose phase moves with log2|z|: the fractional part of
    log2|v| would then tell margins apart whatever the spread (a test pins this).
    """
    while True:
        exponent = low_bits + secrets.randbelow(spread_bits)
        candidate = (1 << exponent) + secrets.randbelow(1 << exponent)
        if secrets.randbelow(candidate) < (1 << exponent):
            return candidate


def _blinding(params: JudgeParameters, position: int) -> tuple[int, int]:
    """The factor ρ_k and noise ε_k of the participant at 0-based ``position`` k in the chain.

    ρ_k is log-uniform in [2^(m_k), 2^(m_k + K)) (:meth:`JudgeParameters.floor_bits`,
    :attr:`JudgeParameters.factor_bits`); ε_k is uniform in [0, ⌊ρ_k·F_(k−1)/p⌋), where
    F_(k−1) = 2^(m_0 + … + m_(k−1)) (:meth:`JudgeParameters.prior_floor_bits`) is the public
    lower bound on the product P_(k−1) of the factors before it (the participant does not know
    P_(k−1) itself).
    """
    p = params.participants
    factor = _log_uniform(params.floor_bits(position), params.factor_bits)
    return factor, secrets.randbelow(max(1, (factor << params.prior_floor_bits(position)) // p))


def _require(params: JudgeParameters, variant: JudgeVariant) -> None:
    if not isinstance(params, JudgeParameters):
        raise InvalidInputError("params must be JudgeParameters")
    if params.variant is not variant:
        raise InvalidInputError(f"these parameters are for the {params.variant.value} variant")


def open_chain(params: JudgeParameters, parts: Sequence[int], noise: SubgroupNoise) -> list[ChainLink]:
    """Participant 1's links: V_1 = [[ρ_1 a_1 + ε_1]], Q_1 = [[ρ_1]] per sample."""
    _require(params, JudgeVariant.CHAINED)
    nsquare = params.public_key.nsquare
    links = []
    for a in params.check_parts(parts):
        blind = noise.take_blinding(params, 0)
        scale = blind.encrypted_factor
        if scale is None:  # pragma: no cover  (a position-0 blinding always encrypts ρ_1)
            raise AssertionError("a blinding of position 0 carries [[ρ_1]]")
        # [[ρ_1 a_1 + ε_1]] = [[ρ_1]]^(a_1) · [[ε_1]]: fresh, since [[ε_1]] carries fresh noise.
        links.append(ChainLink(int(gmpy2.powmod(scale, a, nsquare) * blind.masked_noise % nsquare), int(scale)))
    return links


def extend_chain(
    params: JudgeParameters,
    previous: Sequence[ChainLink],
    parts: Sequence[int],
    noise: SubgroupNoise,
    *,
    position: int,
) -> list[ChainLink]:
    """The links of the participant at 0-based ``position`` (neither first nor last) from its predecessor's.

    Adds a_k, then blinds by ρ_k and ε_k (whose range depends on the position).

    Raises:
        InvalidInputError: A ciphertext is malformed, the counts differ, or the position is
            not an inner one (0 is :func:`open_chain`'s, p − 1 :func:`close_chain`'s).
    """
    _require(params, JudgeVariant.CHAINED)
    if not is_int(position) or not 0 < position < params.participants - 1:
        raise InvalidInputError(
            f"an inner position is 1 … {params.participants - 2} for {params.participants} participants, "
            f"got {position!r}"
        )
    values = params.check_parts(parts)
    if isinstance(previous, str | bytes) or not isinstance(previous, Sequence) or len(previous) != len(values):
        raise InvalidInputError(f"need one previous link per partial margin ({len(values)})")
    pk = params.public_key
    nsquare = pk.nsquare
    jobs, noise_terms = [], []
    for link, a in zip(previous, values, strict=True):
        if not isinstance(link, ChainLink):
            raise InvalidInputError(f"expected a ChainLink, got {type(link).__name__}")
        v, q = pk.check_ciphertext(link.value), pk.check_ciphertext(link.scale)
        blind = noise.take_blinding(params, position)
        summed = v * gmpy2.powmod(q, a, nsquare) % nsquare  # [[P z_{k−1} + E + P a_k]]
        jobs.append(([summed, q], blind.factor))
        noise_terms.append(blind.masked_noise)  # [[ε_k]]
    # The full-size powers of the whole mini-batch run on every core (GIL released).
    links = []
    for (value, scale), masked in zip(powmod_jobs(nsquare, jobs), noise_terms, strict=True):
        links.append(ChainLink(int(value * masked % nsquare), int(scale * noise.take() % nsquare)))
    return links


def close_chain(
    params: JudgeParameters, previous: Sequence[ChainLink], parts: Sequence[int], noise: SubgroupNoise
) -> list[int]:
    """The last participant's step: V_p per sample, packed ``slots`` at a time, ready to decrypt.

    V_p = (V_(p−1) · Q_(p−1)^(a_p))^(ρ_p) · g^(ε_p) per sample as in :func:`extend_chain`
    (Q_p is never needed), then the values are packed as :func:`pack` does and each packed
    ciphertext gets one fresh re-randomiser. The per-sample V_p are never published, so one
    re-randomiser per packed ciphertext hides them all; the packed plaintext is exactly
    :func:`pack` of the V_p, so :func:`unpack` and :func:`verdicts` read it.

    Raises:
        InvalidInputError: A ciphertext is malformed, or the counts differ.
    """
    _require(params, JudgeVariant.CHAINED)
    values = params.check_parts(parts)
    if isinstance(previous, str | bytes) or not isinstance(previous, Sequence) or len(previous) != len(values):
        raise InvalidInputError(f"need one previous link per partial margin ({len(values)})")
    pk = params.public_key
    nsquare = pk.nsquare
    jobs, noise_terms = [], []
    for link, a in zip(previous, values, strict=True):
        if not isinstance(link, ChainLink):
            raise InvalidInputError(f"expected a ChainLink, got {type(link).__name__}")
        v, q = pk.check_ciphertext(link.value), pk.check_ciphertext(link.scale)
        blind = noise.take_blinding(params, params.participants - 1)
        jobs.append(([v * gmpy2.powmod(q, a, nsquare) % nsquare], blind.factor))
        noise_terms.append(blind.masked_noise)  # g^(ε_p), no noise of its own
    finals = [
        powered * masked % nsquare for (powered,), masked in zip(powmod_jobs(nsquare, jobs), noise_terms, strict=True)
    ]
    return [int(c * noise.take() % nsquare) for c in _pack_unchecked(params, finals)]


# -- paper (comparison only) ---------------------------------------------------------------


@dataclass(frozen=True)
class PaperContribution:
    """Participant i's IV in the paper variant, per sample: [[a_i]], [[r2_i]], r1_i, r3_i (clear)."""

    margins: tuple[int, ...]
    masks: tuple[int, ...]
    factors: tuple[int, ...]
    references: tuple[int, ...]


def paper_contribution(params: JudgeParameters, parts: Sequence[int], noise: SubgroupNoise) -> PaperContribution:
    """Participant i's IV for the paper variant (r1_i of :data:`PAPER_FACTOR_BITS` bits, |r3_i − r2_i| < r1_i)."""
    _require(params, JudgeVariant.PAPER)
    values = params.check_parts(parts)
    margins, masks, factors, references = [], [], [], []
    for a in values:
        r1 = secrets.randbelow((1 << PAPER_FACTOR_BITS) - 2) + 2
        r2 = secrets.randbelow(r1)
        r3 = r2 + secrets.randbelow(2 * r1 - 1) - (r1 - 1)  # |r3 − r2| < r1
        margins.append(int(noise.encrypt(a)))
        masks.append(int(noise.encrypt(r2)))
        factors.append(r1)
        references.append(r3)
    return PaperContribution(tuple(margins), tuple(masks), tuple(factors), tuple(references))


def paper_finals(params: JudgeParameters, contributions: Sequence[PaperContribution]) -> tuple[list[int], list[int]]:
    """Everyone's final ciphertexts [[r1·(2z + 1) + r2]] and the public references r3, per sample."""
    _require(params, JudgeVariant.PAPER)
    if len(contributions) != params.participants:
        raise InvalidInputError(f"need {params.participants} contributions, got {len(contributions)}")
    pk = params.public_key
    nsquare = pk.nsquare
    count = len(contributions[0].margins)
    if any(len(c.margins) != count or len(c.masks) != count for c in contributions):
        raise InvalidInputError("contributions of different sizes")
    finals, references = [], []
    for j in range(count):
        margin, mask = mpz(1), mpz(1)
        for c in contributions:
            margin = margin * pk.check_ciphertext(c.margins[j]) % nsquare
            mask = mask * pk.check_ciphertext(c.masks[j]) % nsquare
        r1 = sum(c.factors[j] for c in contributions)
        odd = margin * margin % nsquare * pk.plaintext_power(1) % nsquare  # [[2z + 1]]
        finals.append(int(gmpy2.powmod(odd, r1, nsquare) * mask % nsquare))
        references.append(sum(c.references[j] for c in contributions))
    return finals, references


# -- packing and verdicts ------------------------------------------------------------------


def pack(params: JudgeParameters, finals: Sequence[int]) -> list[int]:
    """Pack the final ciphertexts ``slots`` at a time (public, deterministic: anyone can redo it)."""
    pk = params.public_key
    return [int(c) for c in _pack_unchecked(params, [pk.check_ciphertext(c) for c in finals])]


def _pack_unchecked(params: JudgeParameters, finals: Sequence[mpz]) -> list[mpz]:
    pk = params.public_key
    nsquare = pk.nsquare
    width = params.slot_bits
    offset = pk.plaintext_power(mpz(1) << (width - 1))  # [[2^(L−1)]] without noise
    shift = mpz(1) << width
    packed = []
    for start in range(0, len(finals), params.slots):
        group = [c * offset % nsquare for c in finals[start : start + params.slots]]
        acc = group[-1]
        for c in reversed(group[:-1]):
            acc = gmpy2.powmod(acc, shift, nsquare) * c % nsquare
        packed.append(acc)
    return packed


def unpack(params: JudgeParameters, plaintexts: Sequence[int], count: int) -> list[int]:
    """The ``count`` signed values v_j from the decrypted packed residues.

    Raises:
        JudgeBoundError: A residue is out of the packed range (a wrong decryption).
    """
    width = params.slot_bits
    mask, offset = (1 << width) - 1, 1 << (width - 1)
    if len(plaintexts) != -(-count // params.slots):
        raise InvalidInputError(f"{len(plaintexts)} packed plaintexts cannot hold {count} values")
    values: list[int] = []
    for residue in plaintexts:
        if not 0 <= residue < (1 << (width * params.slots)):
            raise JudgeBoundError("a decrypted residue is outside the packed range")
        for slot in range(params.slots):
            if len(values) == count:
                break
            values.append(((residue >> (slot * width)) & mask) - offset)
    return values


def verdicts(params: JudgeParameters, values: Sequence[int], references: Sequence[int] | None = None) -> list[bool]:
    """I_j = [z_j < 0] from the decrypted values (the paper variant also needs the r3 references)."""
    if params.variant is JudgeVariant.PAPER:
        if references is None or len(references) != len(values):
            raise InvalidInputError("the paper variant needs one r3 reference per value")
        return [v < r for v, r in zip(values, references, strict=True)]
    return [v < 0 for v in values]
