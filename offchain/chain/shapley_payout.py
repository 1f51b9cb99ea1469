"""Typed client of the ``ShapleyPayout`` contract, and the payout tree and split it checks.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 7 §7.3–7.4
(Eq. 7.6, Theorem 1): the revenue a third party earns from a prediction service is shared among
the data owners whose data trained its model, by their Shapley values on the model's test F1.
The valuation itself is :mod:`offchain.learning.valuation`; this module takes its result on chain:

- :class:`PayoutTree`: the Merkle tree of (index, payee, amount) leaves a Merkle round commits
  to, with the contract's leaf rule (OpenZeppelin ``MerkleProof``, sorted pairs, double-hashed
  leaves ``keccak256(keccak256(abi.encode(index, payee, amount)))``) and each leaf's proof;
- :func:`onchain_shares`: the integer split the contract computes itself in an on-chain-Shapley
  round (:func:`~offchain.learning.valuation.shapley.integer_shares`, with the contract's bounds);
- :func:`table_hash`: the hash of a utility table the agencies approve;
- :class:`ShapleyPayoutClient`: open, fund, approve, settle, claim, withdraw, reclaim.

Caveat: the contract cannot see a Merkle round's leaves; the agencies check that they sum to the
pool (:attr:`PayoutTree.total_wei`) and match the valuation before approving.

Example::

    payout = session.shapley_payout
    tree = PayoutTree.from_amounts(list(zip(owners, integer_shares(pool, record.scaled_table()))))
    round_id = payout.open_merkle_round(sender=buyer, tree=tree, valuation=valuation, period_s=86400,
                                        pool_wei=pool)
    for agency in agencies[:quorum]:
        payout.approve(sender=agency, round_id=round_id)
    payout.claim(sender=owners[0], round_id=round_id, tree=tree, index=0)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.contracts import ContractClient, call, require_bytes32, require_uint, transact
from offchain.errors import ChainError, InvalidInputError

__all__ = [
    "MAX_LEAVES",
    "MAX_OWNERS",
    "MAX_WORTH",
    "SHAPLEY_PAYOUT_CONTRACT",
    "PaidShare",
    "PayoutRound",
    "PayoutTree",
    "RoundStatus",
    "ShapleyPayoutClient",
    "SplitMode",
    "UnknownRoundError",
    "Valuation",
    "leaf_of",
    "onchain_shares",
    "table_hash",
]

logger = logging.getLogger(__name__)

#: The contract's name in the project and in deployment records.
SHAPLEY_PAYOUT_CONTRACT = "ShapleyPayout"
#: Most owners of an on-chain-Shapley round (``MAX_OWNERS``).
MAX_OWNERS = 10
#: Most leaves of a Merkle round (``MAX_LEAVES``).
MAX_LEAVES = 32_768
#: Largest utility of an on-chain table (``MAX_WORTH``).
MAX_WORTH = (1 << 64) - 1
_MAX_UINT128 = (1 << 128) - 1


class SplitMode(IntEnum):
    """``IShapleyPayout.SplitMode``."""

    MERKLE = 0
    ONCHAIN_SHAPLEY = 1


class RoundStatus(IntEnum):
    """``IShapleyPayout.RoundStatus``."""

    NONE = 0
    PROPOSED = 1
    APPROVED = 2
    PAYABLE = 3
    CLOSED = 4


class UnknownRoundError(ChainError):
    """No payout round has the given id."""

    def __init__(self, round_id: int) -> None:
        super().__init__(f"no payout round has id {round_id}")
        self.round_id = round_id


def leaf_of(index: int, payee: AddressLike, amount_wei: int) -> bytes:
    """The contract's leaf: keccak256(keccak256(abi.encode(index, payee, amount_wei)))."""
    address = require_address(payee, "payee", nonzero=True)
    inner = keccak(encode(["uint256", "address", "uint256"], [index, address, amount_wei]))
    return bytes(keccak(inner))


def _pair(a: bytes, b: bytes) -> bytes:
    return bytes(keccak(a + b if a < b else b + a))  # OpenZeppelin's commutative keccak256


@dataclass(frozen=True)
class PayoutTree:
    """A Merkle round's split: leaf i pays ``amounts[i]`` wei to ``payees[i]``.

    The tree is built over the sorted leaf hashes, pairs hashed in sorted order, an odd node
    carried up unchanged: any such tree verifies with OpenZeppelin's ``MerkleProof``.

    Attributes:
        payees: Checksummed payee addresses, by leaf index (a payee may appear more than once).
        amounts: Amounts in wei, by leaf index.
    """

    payees: tuple[str, ...]
    amounts: tuple[int, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.payees) <= MAX_LEAVES or len(self.amounts) != len(self.payees):
            raise InvalidInputError(
                f"a payout tree holds 1..{MAX_LEAVES} leaves, one amount per payee; "
                f"got {len(self.payees)} payees and {len(self.amounts)} amounts"
            )
        for amount in self.amounts:
            require_uint(amount, "amount_wei", low=0, high=_MAX_UINT128)
        layers = [sorted(leaf_of(i, p, a) for i, (p, a) in enumerate(zip(self.payees, self.amounts, strict=True)))]
        while len(layers[-1]) > 1:
            below = layers[-1]
            layers.append(
                [_pair(below[k], below[k + 1]) if k + 1 < len(below) else below[k] for k in range(0, len(below), 2)]
            )
        object.__setattr__(self, "_layers", layers)

    @classmethod
    def from_amounts(cls, entries: Sequence[tuple[AddressLike, int]]) -> PayoutTree:
        """A tree of (payee, amount) entries, indexed in the given order."""
        payees = tuple(require_address(p, "payee", nonzero=True) for p, _ in entries)
        return cls(payees=payees, amounts=tuple(a for _, a in entries))

    @property
    def root(self) -> bytes:
        """The Merkle root the round commits to."""
        return bytes(self._layers[-1][0])  # type: ignore[attr-defined]

    @property
    def total_wei(self) -> int:
        """Σ amounts: must equal the round's pool."""
        return sum(self.amounts)

    def proof(self, index: int) -> list[bytes]:
        """The sibling hashes from leaf ``index`` up to the root.

        Raises:
            InvalidInputError: An index outside the tree.
        """
        require_uint(index, "index", low=0, high=len(self.payees) - 1)
        layers: list[list[bytes]] = self._layers  # type: ignore[attr-defined]
        position = layers[0].index(leaf_of(index, self.payees[index], self.amounts[index]))
        siblings = []
        for layer in layers[:-1]:
            sibling = position ^ 1
            if sibling < len(layer):
                siblings.append(layer[sibling])
            position //= 2
        return siblings


def table_hash(table: Sequence[int]) -> bytes:
    """keccak256(abi.encodePacked(uint256[] table)): what an on-chain-Shapley round commits to."""
    _check_table(table)
    return bytes(keccak(b"".join(v.to_bytes(32, "big") for v in table)))


def _check_table(table: Sequence[int]) -> int:
    try:
        from offchain.learning.valuation.shapley import player_count  # lazy: the package imports scikit-learn

        n = player_count(table)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    if n > MAX_OWNERS:
        raise InvalidInputError(f"an on-chain table holds 2^n utilities for n ≤ {MAX_OWNERS}, got n = {n}")
    for value in table:
        require_uint(value, "utility", low=0, high=MAX_WORTH)
    return n


def onchain_shares(pool_wei: int, table: Sequence[int]) -> list[int]:
    """The split ``ShapleyPayout.computeShares`` gives: the exact-sum Shapley rule of
    :func:`~offchain.learning.valuation.shapley.integer_shares`, within the contract's bounds.

    Raises:
        InvalidInputError: A table of more than 2^10 utilities, a utility above
            :data:`MAX_WORTH`, or a negative pool.
    """
    _check_table(table)
    require_uint(pool_wei, "pool_wei", low=0, high=(1 << 256) - 1)
    from offchain.learning.valuation.shapley import integer_shares  # lazy: the package imports scikit-learn

    return integer_shares(pool_wei, list(table))


@dataclass(frozen=True)
class Valuation:
    """``IShapleyPayout.Valuation``: what the split was computed from.

    Attributes:
        record_hash: SHA-256 of the valuation record (``ValuationRecord.canonical_hash``), 32 bytes.
        test_set_hash: SHA-256 of the test set (``digest_test_set``), 32 bytes.
        file_ids: The owners' ``DataRegistry`` file ids, in owner order.
    """

    record_hash: bytes
    test_set_hash: bytes
    file_ids: tuple[bytes, ...]

    @classmethod
    def of_record(cls, record: Any) -> Valuation:
        """The valuation of a :class:`~offchain.learning.valuation.ValuationRecord`."""
        return cls(
            record_hash=bytes.fromhex(record.canonical_hash()),
            test_set_hash=bytes.fromhex(record.test_set_sha256),
            file_ids=tuple(bytes.fromhex(f[2:]) for f in record.owner_file_ids),
        )

    def as_tuple(self) -> tuple[bytes, bytes, list[bytes]]:
        """The struct's ABI value, checked."""
        ids = [require_bytes32(f, "file id", nonzero=True) for f in self.file_ids]
        return (
            require_bytes32(self.record_hash, "record_hash", nonzero=True),
            require_bytes32(self.test_set_hash, "test_set_hash", nonzero=True),
            ids,
        )


@dataclass(frozen=True)
class PayoutRound:
    """A round as the contract stores it (``IShapleyPayout.Round``)."""

    round_id: int
    funder: str
    deadline: int
    mode: SplitMode
    status: RoundStatus
    owner_count: int
    funding_closed: bool
    pool_wei: int
    paid_wei: int
    split_root: bytes
    valuation_hash: bytes
    leaf_count: int
    epoch: int
    approvals: int
    paid_mask: int


@dataclass(frozen=True)
class PaidShare:
    """One payment: who was paid how much, and what it cost.

    Attributes:
        round_id: The round.
        payee: Checksummed payee.
        index: Its leaf or owner index.
        amount_wei: The ether paid.
        tx_hash: The transaction's hash.
        gas_used: Its gas.
    """

    round_id: int
    payee: str
    index: int
    amount_wei: int
    tx_hash: str
    gas_used: int


class ShapleyPayoutClient(ContractClient):
    """Payout rounds through a deployed ``ShapleyPayout``.

    Inputs are checked here first, so bad input costs no transaction; the contract's checks come
    back as :class:`~offchain.errors.TransactionRevertedError` with the custom error's name.
    """

    def open_merkle_round(
        self, *, sender: Any, tree: PayoutTree, valuation: Valuation, period_s: int, pool_wei: int | None = None
    ) -> int:
        """Open a Merkle round paying ``tree`` from ``sender``'s ether; returns the round id.

        Raises:
            InvalidInputError: A pool other than the tree's total (``pool_wei`` defaults to it).
            TransactionRevertedError: As ``openMerkleRound``.
        """
        pool = tree.total_wei if pool_wei is None else pool_wei
        if pool != tree.total_wei:
            raise InvalidInputError(
                f"the leaves sum to {tree.total_wei} wei, the pool is {pool} wei: they must be equal"
            )
        require_uint(pool, "pool_wei", low=1, high=_MAX_UINT128)
        receipt = transact(
            self.contract, "openMerkleRound", tree.root, len(tree.payees), valuation.as_tuple(), period_s,
            sender=sender, value_wei=pool,
        )  # fmt: skip
        return int(receipt.events["RoundOpened"]["roundId"])

    def open_shapley_round(
        self, *, sender: Any, table: Sequence[int], valuation: Valuation, period_s: int, pool_wei: int
    ) -> int:
        """Open an on-chain-Shapley round over ``table`` (2^n utilities, n = the file ids); returns its id.

        Raises:
            InvalidInputError: A malformed table, or one whose n is not the number of file ids.
            TransactionRevertedError: As ``openShapleyRound``.
        """
        n = _check_table(table)
        if n != len(valuation.file_ids):
            raise InvalidInputError(f"a table of 2^{n} utilities needs {n} file ids, got {len(valuation.file_ids)}")
        require_uint(pool_wei, "pool_wei", low=1, high=_MAX_UINT128)
        receipt = transact(
            self.contract, "openShapleyRound", table_hash(table), valuation.as_tuple(), period_s,
            sender=sender, value_wei=pool_wei,
        )  # fmt: skip
        return int(receipt.events["RoundOpened"]["roundId"])

    def fund(self, *, sender: Any, round_id: int, amount_wei: int) -> int:
        """Add ``amount_wei`` to the pool before the first approval; returns the new pool."""
        require_uint(amount_wei, "amount_wei", low=1, high=_MAX_UINT128)
        receipt = transact(self.contract, "fund", round_id, sender=sender, value_wei=amount_wei)
        return int(receipt.events["RoundFunded"]["poolWei"])

    def approve(self, *, sender: Any, round_id: int, commitment: bytes | None = None) -> bool:
        """Approve the round's commitment as an agency (the current one unless ``commitment``
        is given: pass the one you checked); returns whether the round is now approved."""
        checked = (
            self.commitment_of(round_id)
            if commitment is None
            else require_bytes32(commitment, "commitment", nonzero=True)
        )
        receipt = transact(self.contract, "approve", round_id, checked, sender=sender)
        return "RoundApproved" in receipt.events

    def settle_shapley(self, *, sender: Any, round_id: int, table: Sequence[int]) -> tuple[list[int], int]:
        """Post the approved table; returns (the shares the contract computed, gas used)."""
        _check_table(table)
        receipt = transact(self.contract, "settleShapley", round_id, list(table), sender=sender)
        return [int(s) for s in receipt.events["SharesComputed"]["shares"]], int(receipt.gas_used)

    def claim(self, *, sender: Any, round_id: int, tree: PayoutTree, index: int) -> PaidShare:
        """Claim leaf ``index`` of ``tree`` (the sender must be its payee)."""
        proof = tree.proof(index)
        receipt = transact(self.contract, "claim", round_id, index, tree.amounts[index], proof, sender=sender)
        return self._paid(receipt)

    def withdraw(self, *, sender: Any, round_id: int, index: int) -> PaidShare:
        """Withdraw owner ``index``'s share of a settled on-chain-Shapley round."""
        require_uint(index, "index", low=0, high=MAX_OWNERS - 1)
        return self._paid(transact(self.contract, "withdraw", round_id, index, sender=sender))

    def reclaim(self, *, sender: Any, round_id: int) -> int:
        """After the deadline, return the unpaid ether to the funder; returns the amount."""
        receipt = transact(self.contract, "reclaim", round_id, sender=sender)
        return int(receipt.events["RoundClosed"]["returnedWei"])

    # --- reads --------------------------------------------------------------------------------

    def get_round(self, round_id: int) -> PayoutRound:
        """Round ``round_id``.

        Raises:
            UnknownRoundError: No round has this id.
        """
        require_uint(round_id, "round_id", low=0, high=(1 << 256) - 1)
        if not 1 <= round_id <= int(call(self.contract, "roundCount")):
            raise UnknownRoundError(round_id)
        fields = call(self.contract, "roundOf", round_id)
        (
            funder,
            deadline,
            mode,
            status,
            owners,
            closed,
            leaves,
            pool,
            paid,
            root,
            valuation,
            epoch,
            approvals,
            mask,
        ) = fields
        return PayoutRound(
            round_id, to_checksum_address(funder), int(deadline), SplitMode(int(mode)), RoundStatus(int(status)),
            int(owners), bool(closed), int(pool), int(paid), bytes(root), bytes(valuation), int(leaves), int(epoch),
            int(approvals), int(mask),
        )  # fmt: skip

    def commitment_of(self, round_id: int) -> bytes:
        """What the agencies approve for ``round_id``."""
        return bytes(call(self.contract, "commitmentOf", round_id))

    def payees_of(self, round_id: int) -> list[str]:
        """The owners' payees of an on-chain-Shapley round."""
        return [to_checksum_address(p) for p in call(self.contract, "payeesOf", round_id)]

    def compute_shares(self, pool_wei: int, table: Sequence[int]) -> list[int]:
        """The contract's own split of ``pool_wei`` over ``table`` (a call, no transaction)."""
        _check_table(table)
        return [int(s) for s in call(self.contract, "computeShares", pool_wei, list(table))]

    def is_paid(self, round_id: int, index: int) -> bool:
        """Whether leaf or owner ``index`` of the round was paid."""
        return bool(call(self.contract, "isPaid", round_id, index))

    @staticmethod
    def _paid(receipt: Any) -> PaidShare:
        event = receipt.events["SharePaid"]
        return PaidShare(
            int(event["roundId"]), to_checksum_address(event["payee"]), int(event["index"]), int(event["amountWei"]),
            str(receipt.txid), int(receipt.gas_used),
        )  # fmt: skip
