"""Typed client of the ``ConsortiumArbiter`` contract: the consortium's agencies settle data market
disputes by a 2/3 vote.

A buyer who names the ``ConsortiumArbiter`` as a requirement's arbiter lets the ``Consortium``
rule on its disputes (Huang, Chen, Wang 2020, §3: no single agency decides alone). Each current
member votes once per dispute and membership epoch to pay the owner or refund the buyer; the
vote that brings a ruling to ⌈2n/3⌉ of the n current members settles the dispute in the market
in the same transaction. Votes of an earlier membership epoch no longer count (as for the
consortium's own ballots), so a membership change restarts the count; a split vote decides
nothing until then.

Example (three of four agencies refund the buyer)::

    arbiter = session.arbiter
    for agency in agencies[:3]:
        vote = arbiter.vote(sender=agency, match_id=match_id, pay_owner=False)
    vote.executed                      # True: the market refunded the buyer
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.contracts import MAX_UINT256, ContractClient, call, require_uint, transact
from offchain.errors import InvalidInputError, TransactionRevertedError, UnknownMatchError

__all__ = ["ArbiterVote", "ConsortiumArbiterClient", "DisputeRuling", "DisputeTally"]

_MAX_EPOCH = (1 << 64) - 1


@dataclass(frozen=True)
class DisputeTally:
    """The votes on one dispute in one membership epoch.

    Attributes:
        match_id: The disputed match.
        epoch: The membership epoch.
        pay_owner_votes: Votes to pay the owner.
        refund_votes: Votes to refund the buyer.
    """

    match_id: int
    epoch: int
    pay_owner_votes: int
    refund_votes: int


@dataclass(frozen=True)
class DisputeRuling:
    """The ruling the consortium carried on a dispute.

    Attributes:
        match_id: The disputed match.
        pay_owner: True if the owner was paid, False if the buyer was refunded.
        epoch: The membership epoch whose votes carried it.
        ruling_hash: The hash passed to the market (:meth:`ConsortiumArbiterClient.ruling_hash`).
    """

    match_id: int
    pay_owner: bool
    epoch: int
    ruling_hash: bytes


@dataclass(frozen=True)
class ArbiterVote:
    """One member's vote, as its transaction left it.

    Attributes:
        match_id: The disputed match.
        member: Checksummed address of the voting agency.
        pay_owner: The ruling voted for.
        epoch: The membership epoch the vote counts in.
        votes: Votes for that ruling in that epoch, this one included.
        executed: Whether this vote carried the ruling and settled the dispute in the market.
        ruling_hash: The ruling hash passed to the market when ``executed``, else ``None``.
        tx_hash: 0x-prefixed hash of the transaction.
        gas_used: Gas it used.
    """

    match_id: int
    member: str
    pay_owner: bool
    epoch: int
    votes: int
    executed: bool
    ruling_hash: bytes | None
    tx_hash: str
    gas_used: int


class ConsortiumArbiterClient(ContractClient):
    """Agencies' votes on data market disputes through a deployed ``ConsortiumArbiter``.

    Refusals come back as :class:`~offchain.errors.TransactionRevertedError` with the custom
    error's name (``ConsortiumArbiterNotMember``, ``ConsortiumArbiterAlreadyVoted``,
    ``ConsortiumArbiterNotDisputed``, ``ConsortiumArbiterNotArbiter``,
    ``ConsortiumArbiterAlreadyDecided``), or as :class:`~offchain.errors.UnknownMatchError`.

    Args:
        contract: Brownie handle of the deployed contract.
        from_block: Where event scans start (the contract's deployment block).
    """

    def consortium_address(self) -> str:
        """The ``Consortium`` whose members vote."""
        return str(to_checksum_address(call(self.contract, "consortium")))

    def market_address(self) -> str:
        """The ``DataMarket`` whose disputes this arbiter settles."""
        return str(to_checksum_address(call(self.contract, "market")))

    def vote(self, *, sender: Any, match_id: int, pay_owner: bool) -> ArbiterVote:
        """Vote, as a current consortium member, to pay the owner or refund the buyer of a dispute.

        Returns:
            The vote; ``executed`` when it carried the ruling (the market settled in the same
            transaction).

        Raises:
            InvalidInputError: on a malformed id or a non-bool ruling.
            UnknownMatchError: if no match has this id.
            TransactionRevertedError: see the class docstring.
        """
        checked = require_uint(match_id, "match_id", low=0, high=MAX_UINT256)
        if not isinstance(pay_owner, bool):
            raise InvalidInputError(f"pay_owner must be a bool, got {type(pay_owner).__name__}")
        try:
            receipt = transact(self.contract, "vote", checked, pay_owner, sender=sender)
        except TransactionRevertedError as exc:
            raise _known(exc, match_id=checked) from exc
        voted = receipt.events["DisputeVoted"]
        events = receipt.events  # Brownie's EventDict has no .get
        ruled = events["DisputeRuled"] if "DisputeRuled" in events else None  # noqa: SIM401
        return ArbiterVote(
            match_id=checked,
            member=to_checksum_address(voted["member"]),
            pay_owner=pay_owner,
            epoch=int(voted["epoch"]),
            votes=int(voted["votes"]),
            executed=ruled is not None,
            ruling_hash=None if ruled is None else bytes(ruled["rulingHash"]),
            tx_hash=str(receipt.txid),
            gas_used=int(receipt.gas_used),
        )

    def tally(self, match_id: int, epoch: int) -> DisputeTally:
        """The votes on dispute ``match_id`` in membership epoch ``epoch`` (the consortium's
        ``membership_epoch()`` for the votes that count now)."""
        checked = require_uint(match_id, "match_id", low=0, high=MAX_UINT256)
        checked_epoch = require_uint(epoch, "epoch", low=0, high=_MAX_EPOCH)
        pay_owner_votes, refund_votes = call(self.contract, "tallyOf", checked, checked_epoch)
        return DisputeTally(
            match_id=checked, epoch=checked_epoch, pay_owner_votes=int(pay_owner_votes), refund_votes=int(refund_votes)
        )

    def has_voted(self, match_id: int, epoch: int, member: AddressLike) -> bool:
        """Whether ``member`` voted on dispute ``match_id`` in membership epoch ``epoch``."""
        checked = require_uint(match_id, "match_id", low=0, high=MAX_UINT256)
        checked_epoch = require_uint(epoch, "epoch", low=0, high=_MAX_EPOCH)
        address = require_address(member, "member", nonzero=False)
        return bool(call(self.contract, "hasVoted", checked, checked_epoch, address))

    def ruling_of(self, match_id: int) -> DisputeRuling | None:
        """The ruling carried on dispute ``match_id``, or ``None`` while none is."""
        checked = require_uint(match_id, "match_id", low=0, high=MAX_UINT256)
        decided, pay_owner, epoch = call(self.contract, "rulingOf", checked)
        if not decided:
            return None
        return DisputeRuling(
            match_id=checked,
            pay_owner=bool(pay_owner),
            epoch=int(epoch),
            ruling_hash=self.ruling_hash(checked, int(epoch), bool(pay_owner)),
        )

    def ruling_hash(self, match_id: int, epoch: int, pay_owner: bool) -> bytes:
        """The ruling hash the contract passes to the market: keccak256(abi.encode(arbiter,
        matchId, epoch, payOwner)), computed here."""
        checked = require_uint(match_id, "match_id", low=0, high=MAX_UINT256)
        checked_epoch = require_uint(epoch, "epoch", low=0, high=_MAX_EPOCH)
        return keccak(
            encode(
                ["address", "uint256", "uint64", "bool"],
                [to_checksum_address(self.address), checked, checked_epoch, bool(pay_owner)],
            )
        )


def _known(exc: TransactionRevertedError, *, match_id: int) -> Exception:
    """:class:`UnknownMatchError` for the market's ``DataMarketUnknownMatch``, else ``exc`` itself.

    The market's error passes through the arbiter, whose ABI does not name it: it is recognised
    by the revert reason.
    """
    if exc.reason.partition(":")[0].strip() == "DataMarketUnknownMatch":
        return UnknownMatchError(match_id)
    return exc
