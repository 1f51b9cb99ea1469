"""The proof a confidential-ledger transfer carries: nobody is debited but its sender, no value is made.

Research: Zheng et al., "Scalable and Privacy-Preserving Data Sharing Based on Blockchain",
J. Comput. Sci. Technol. 33(3), 2018, §4.5 sends E(a) to the receiver, E(0) to each decoy and
E(−a) to the sender, and assumes a semi-honest sender: nothing there stops a sender from
sending E(−x) to a "decoy" and E(+x) to itself. This module adds what the paper does not
attempt, a non-interactive zero-knowledge proof over the transfer's deltas Δ_1..Δ_k (one per
account of the anonymity set, the sender's among them), bound by Fiat–Shamir to a *context*
(the ledger contract's ``proofContext``: chain, ledger, sender, the sender's nonce and balance
hash, the accounts and the hashes of the deltas; so a proof replayed from another transfer, or
made for other balances, does not verify):

1. **every account but the sender is credited a non-negative amount below 2^128**: for each
   j ≠ sender, Δ_j encrypts m_j ∈ [0, 2^128) (:mod:`offchain.crypto.range_proof`);
2. **conservation**: Π_j Δ_j encrypts 0, i.e. the sender's delta is exactly −Σ_{j≠s} m_j. The
   proof is knowledge of an n-th root R of Π_j Δ_j modulo n² (Guillou–Quisquater-style
   Σ-protocol: A = ρ^n, z = ρ·R^e mod n, checked as z^n = A·(ΠΔ)^e).

Deliberately stronger than "each decoy's delta encrypts 0 and the receiver's and the sender's
together encrypt 0": the receiver and the decoys are proved the *same* statement (a non-negative
credit), so the proof does not single out the receiver; anyone may verify it without learning who
was paid, nor how much, nor even how many accounts were paid. No account can lose value through a
transfer it did not send (its delta is non-negative), and no value is created (the sum is 0).

What the proof does not show: that the sender can afford the payment. The sender does not know the
randomness of its balance (others' credits were multiplied into it), so it cannot prove a range
on it; the ledger's trustees check it by threshold decryption instead
(:meth:`~offchain.protocols.ledger_trustee.TrusteeBoard.review_transfer`).

Written by hand: no maintained library offers these proofs for Paillier. Soundness as in
:mod:`offchain.crypto.range_proof` (strong RSA for n, random oracle, honest dealer); the
conservation proof is sound with challenges below the smallest prime factor of n.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import gmpy2
from eth_utils import keccak
from gmpy2 import mpz

from offchain.crypto.primes import random_unit
from offchain.crypto.range_proof import (
    CHALLENGE_BITS,
    RANGE_BITS,
    RangeProof,
    fiat_shamir_challenge,
    prove_range,
    verify_range,
)
from offchain.errors import InvalidInputError, VerificationError
from offchain.validation import is_int, parse_json

__all__ = [
    "MAX_CREDIT",
    "ConservationProof",
    "TransferOpening",
    "TransferProof",
    "TransferProofError",
    "TransferStatement",
    "make_deltas",
    "prove_transfer",
    "verify_transfer",
]

#: The largest amount one account may be credited by one transfer (2^128 − 1 wei).
MAX_CREDIT = (1 << RANGE_BITS) - 1
_DOMAIN = b"datashare/ledger/transfer-proof/conservation/v1"
_FORMAT = "datashare/ledger/transfer-proof/v1"
_MAX_PROOF_BYTES = 1 << 20


class TransferProofError(VerificationError):
    """A transfer's proof did not verify.

    Attributes:
        index: The position in the anonymity set whose part failed (``None``: the conservation
            proof, or the proof as a whole).
        reason: What failed.
    """

    def __init__(self, reason: str, index: int | None = None, *, whole: bool = False) -> None:
        where = "the proof as a whole" if whole else "conservation" if index is None else f"account {index}"
        super().__init__(f"transfer proof rejected ({where}): {reason}")
        self.index = index
        self.reason = reason


@dataclass(frozen=True)
class TransferStatement:
    """What a transfer proof is about.

    Attributes:
        n: The ledger's Paillier modulus.
        context: The 32-byte context the proof is bound to (the contract's ``proofContext``).
        deltas: One ciphertext per account of the anonymity set, in the order sent on chain.
        sender_index: The sender's position in ``deltas``.
    """

    n: int
    context: bytes
    deltas: tuple[int, ...]
    sender_index: int

    def __post_init__(self) -> None:
        if not is_int(self.n) or self.n <= 3 or self.n % 2 == 0:
            raise InvalidInputError("a transfer statement needs an odd modulus n > 3")
        if not isinstance(self.context, bytes) or len(self.context) != 32:
            raise InvalidInputError("a transfer statement's context is 32 bytes")
        if not isinstance(self.deltas, tuple) or not 2 <= len(self.deltas) <= 64:
            raise InvalidInputError("a transfer statement has a tuple of 2 to 64 deltas")
        if any(not is_int(d) for d in self.deltas):
            raise InvalidInputError("every delta must be an int")
        if not is_int(self.sender_index):
            raise InvalidInputError("the sender index must be an int")
        if not 0 <= self.sender_index < len(self.deltas):
            raise InvalidInputError(f"the sender index {self.sender_index} is outside the {len(self.deltas)} deltas")

    def range_context(self, index: int) -> bytes:
        """The context of the range proof for the account at ``index``."""
        return self.context + index.to_bytes(4, "big")


@dataclass(frozen=True, repr=False)
class TransferOpening:
    """The sender's secrets behind the deltas: plaintext residues and randomness, per account.

    Never leaves the sender; ``repr`` hides it.
    """

    amounts: tuple[int, ...]
    randomness: tuple[int, ...]

    def __repr__(self) -> str:
        return f"TransferOpening(<{len(self.amounts)} accounts>)"


@dataclass(frozen=True)
class ConservationProof:
    """Knowledge of an n-th root of the product of every delta (so they sum to 0)."""

    challenge: int
    response: int


@dataclass(frozen=True)
class TransferProof:
    """A transfer's proof: a range proof per credited account, and conservation.

    Attributes:
        ranges: One :class:`RangeProof` per account other than the sender, in account order.
        conservation: The proof that the deltas sum to 0.
    """

    ranges: tuple[RangeProof, ...]
    conservation: ConservationProof

    def to_bytes(self) -> bytes:
        """Canonical JSON (sorted keys, no spaces, UTF-8): what :meth:`digest` hashes."""
        data = {
            "format": _FORMAT,
            "ranges": [p.to_dict() for p in self.ranges],
            "conservation": {
                "challenge": hex(self.conservation.challenge),
                "response": hex(self.conservation.response),
            },
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> TransferProof:
        """Parse :meth:`to_bytes`' output.

        Raises:
            InvalidInputError: Not bytes, too large, not JSON, another format, or a malformed part.
        """
        if not isinstance(data, (bytes, bytearray)):
            raise InvalidInputError(f"a transfer proof is bytes, got {type(data).__name__}")
        if len(data) > _MAX_PROOF_BYTES:
            raise InvalidInputError(f"a transfer proof is at most {_MAX_PROOF_BYTES} bytes, got {len(data)}")
        try:
            parsed = parse_json(bytes(data).decode())
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidInputError(f"a transfer proof is UTF-8 JSON: {exc}") from exc
        if not isinstance(parsed, dict) or parsed.get("format") != _FORMAT:
            raise InvalidInputError(f"not a transfer proof of format {_FORMAT}")
        ranges = parsed.get("ranges")
        conservation = parsed.get("conservation")
        if not isinstance(ranges, list) or not 1 <= len(ranges) <= 63 or not isinstance(conservation, dict):
            raise InvalidInputError("a transfer proof has 1 to 63 range proofs and a conservation proof")
        try:
            challenge = int(conservation["challenge"], 16)
            response = int(conservation["response"], 16)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"malformed conservation proof: {exc}") from exc
        return cls(tuple(RangeProof.from_dict(p) for p in ranges), ConservationProof(challenge, response))

    def digest(self) -> bytes:
        """keccak256 of :meth:`to_bytes`: the ``proofHash`` a transfer commits to on chain."""
        return bytes(keccak(self.to_bytes()))


def make_deltas(n: int, credits: Sequence[int], sender_index: int) -> tuple[tuple[int, ...], TransferOpening]:
    """The deltas of a transfer: E(credit_j) for every account j but the sender, E(−Σ credits) for it.

    Args:
        n: The ledger's Paillier modulus.
        credits: One amount per account, in account order: what each is paid (0 for a decoy);
            the sender's own entry must be 0.
        sender_index: The sender's position.

    Returns:
        The ciphertexts and their opening (kept by the sender to prove).

    Raises:
        InvalidInputError: A credit is out of [0, :data:`MAX_CREDIT`], or the sender credits itself.
    """
    if isinstance(credits, str | bytes) or not isinstance(credits, Sequence):
        raise InvalidInputError(f"credits must be a sequence of ints, got {type(credits).__name__}")
    if not is_int(sender_index) or not 0 <= sender_index < len(credits):
        raise InvalidInputError(f"the sender index {sender_index!r} is outside the {len(credits)} accounts")
    for index, credit in enumerate(credits):
        if not is_int(credit) or not 0 <= credit <= MAX_CREDIT:
            raise InvalidInputError(f"credit {index} must be an int in [0, 2^{RANGE_BITS})")
    if credits[sender_index] != 0:
        raise InvalidInputError("the sender cannot credit itself")
    gn = mpz(n)
    nsquare = gn * gn
    total = sum(credits)
    amounts = tuple(int((gn - total) % gn) if i == sender_index else c for i, c in enumerate(credits))
    randomness = tuple(int(random_unit(gn)) for _ in credits)
    deltas = tuple(
        int((1 + mpz(m) * gn) * gmpy2.powmod(mpz(r), gn, nsquare) % nsquare)
        for m, r in zip(amounts, randomness, strict=True)
    )
    return deltas, TransferOpening(amounts, randomness)


def _conservation_challenge(statement: TransferStatement, product: mpz, first: mpz) -> int:
    return fiat_shamir_challenge(
        _DOMAIN, statement.context, statement.n, statement.sender_index, *statement.deltas, product, first
    )


def _product(statement: TransferStatement) -> mpz:
    nsquare = mpz(statement.n) ** 2
    product = mpz(1)
    for delta in statement.deltas:
        product = product * delta % nsquare
    return product


def prove_transfer(statement: TransferStatement, opening: TransferOpening) -> TransferProof:
    """Prove the statement of a transfer the caller built with :func:`make_deltas`.

    Raises:
        InvalidInputError: The opening does not open the statement's deltas, a credit is out of
            range, or the amounts do not sum to 0 (an honest sender never sees this: it means the
            transfer would be refused).
    """
    if not isinstance(opening, TransferOpening) or len(opening.amounts) != len(statement.deltas):
        raise InvalidInputError("the opening must have one amount and one randomness per delta")
    gn = mpz(statement.n)
    nsquare = gn * gn
    for index, (delta, m, r) in enumerate(zip(statement.deltas, opening.amounts, opening.randomness, strict=True)):
        if (1 + mpz(m) * gn) * gmpy2.powmod(mpz(r), gn, nsquare) % nsquare != delta:
            raise InvalidInputError(f"the opening does not open delta {index}")
    if sum(opening.amounts) % statement.n != 0:
        raise InvalidInputError("the deltas do not sum to 0: the sender must be debited what it credits")
    ranges = tuple(
        prove_range(statement.n, delta, m, r, statement.range_context(index))
        for index, (delta, m, r) in enumerate(zip(statement.deltas, opening.amounts, opening.randomness, strict=True))
        if index != statement.sender_index
    )
    root = mpz(1)
    for r in opening.randomness:
        root = root * r % gn
    rho = random_unit(gn)
    first = gmpy2.powmod(rho, gn, nsquare)
    e = _conservation_challenge(statement, _product(statement), first)
    response = rho * gmpy2.powmod(root, e, gn) % gn
    return TransferProof(ranges, ConservationProof(e, int(response)))


def verify_transfer(statement: TransferStatement, proof: TransferProof) -> None:
    """Check a transfer's proof; return only if every part holds.

    Checks that every delta is a unit modulo n² (a delta sharing a factor with n, such as a
    multiple of n, would freeze the account it is folded into), every credited account's range
    proof, and conservation.

    Raises:
        TransferProofError: The first part that fails, naming the account's position.
        InvalidInputError: ``proof`` is not a :class:`TransferProof`.
    """
    if not isinstance(proof, TransferProof):
        raise InvalidInputError(f"expected a TransferProof, got {type(proof).__name__}")
    if not isinstance(statement, TransferStatement):
        raise InvalidInputError(f"expected a TransferStatement, got {type(statement).__name__}")
    gn = mpz(statement.n)
    nsquare = gn * gn
    for index, delta in enumerate(statement.deltas):
        if not 0 < delta < nsquare or gmpy2.gcd(delta, gn) != 1:
            raise TransferProofError("the delta is not a unit modulo n²", index)
    credited = [i for i in range(len(statement.deltas)) if i != statement.sender_index]
    if len(proof.ranges) != len(credited):
        raise TransferProofError(f"{len(credited)} credited accounts but {len(proof.ranges)} range proofs", whole=True)
    for index, range_proof in zip(credited, proof.ranges, strict=True):
        if not verify_range(statement.n, statement.deltas[index], range_proof, statement.range_context(index)):
            raise TransferProofError(f"the credit is not proved to lie in [0, 2^{RANGE_BITS})", index)
    e, z = proof.conservation.challenge, proof.conservation.response
    if not 0 <= e < (1 << CHALLENGE_BITS) or not 0 < z < gn or gmpy2.gcd(z, gn) != 1:
        raise TransferProofError("the conservation proof is malformed")
    product = _product(statement)
    first = gmpy2.powmod(mpz(z), gn, nsquare) * gmpy2.powmod(product, -e, nsquare) % nsquare
    if _conservation_challenge(statement, product, first) != e:
        raise TransferProofError("the deltas are not proved to sum to 0")
