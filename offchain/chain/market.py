"""Typed client of the ``DataMarket`` contract: committed requirements, proof-checked matches, escrow.

Research: Feng et al. 2022 (§5 validity proof, §6 sharing). A buyer posts a requirement: the
Poseidon commitment of its field predicates (:class:`offchain.zk.Requirement`), the keccak of
their opening as description hash, a price per record, how many records it wants, an arbiter
and deadlines; it escrows price × capacity. A data owner whose registered record meets the
requirement proves it with a Groth16 proof (:func:`offchain.zk.prove`) and submits it; the
contract verifies the proof against the file's registered commitment h and the owner's address
and records a match. The owner then grants the buyer access in ``DataRegistry`` (the data
travels off chain by proxy re-encryption) and records the grant; the buyer confirms receipt, or
lets the review period pass, and the owner is paid; or the buyer disputes, which freezes the
payment until the requirement's arbiter rules (:mod:`offchain.chain.arbiter` for a consortium
vote). Payments are pulled: endings credit an account, :meth:`DataMarketClient.withdraw` pays.

Against griefing (a deviation from the paper, which has neither): each submission carries the
owner's bond (the buyer's ``bond_wei``), credited back with the payment and forfeited to the
buyer when the match lapses ungranted or the arbiter refunds; the buyer may close its unfilled
slots any time (:meth:`DataMarketClient.cancel_unfilled`). Commitments are unique per buyer,
not market-wide, so anyone may post another buyer's commitment: an owner checks who posted a
requirement (``MarketRequirement.buyer``) before proving for it, and checks its arbiter
(:class:`offchain.chain.arbiter_policy.ArbiterPolicy`).

What the contract checks itself: the proof, that h is the registered commitment of a file the
submitter owns, that the grant is active when recorded, deadlines, escrow amounts, who may call
what. What it leaves to the arbiter: whether the data delivered off chain opens h and is what
the buyer wanted.

Example (the buyer posts, an owner offers, the buyer confirms, the owner withdraws)::

    market = session.market
    posted = market.post_requirement(sender=buyer, arbiter=session.arbiter.address,
                                     commitment=requirement.commitment_bytes,
                                     description_hash=requirement.description_hash,
                                     price_wei=10**16, capacity=3, field_count=8, min_satisfied=2,
                                     expires_at=now + 30 * DAY_S, grant_period_s=DAY_S,
                                     review_period_s=2 * DAY_S, bond_wei=10**15)
    matched = market.submit(sender=owner, requirement_id=posted.requirement_id,   # sends the bond
                            file_id=file_id, proof=prove(record, requirement, owner.address))
    market.record_grant(sender=owner, match_id=matched.match_id)   # after registry.grant_access
    market.confirm_receipt(sender=buyer, match_id=matched.match_id)
    market.withdraw(sender=owner).amount_wei                         # the price and the bond
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_utils import to_checksum_address

from offchain.chain.addresses import AddressLike, require_address, require_signer
from offchain.chain.contracts import (
    MAX_UINT256,
    ContractClient,
    call,
    require_bytes32,
    require_uint,
    transact,
)
from offchain.chain.events import EventLog, get_events
from offchain.chain.registry import file_id_of
from offchain.errors import (
    IntegrityError,
    InvalidInputError,
    TransactionRevertedError,
    UnknownMatchError,
    UnknownRequirementError,
)
from offchain.zk.proof import Proof

__all__ = [
    "MAX_CAPACITY",
    "MAX_DURATION_S",
    "MAX_PERIOD_S",
    "MAX_PRICE_WEI",
    "MIN_PERIOD_S",
    "SNARK_SCALAR_FIELD",
    "DataMarketClient",
    "MarketMatch",
    "MarketPayment",
    "MarketRequirement",
    "MatchState",
]

#: The BN254 scalar field order: commitments and public signals are below it.
SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: Longest a requirement accepts submissions, in seconds (``DataMarket.MAX_DURATION``).
MAX_DURATION_S = 365 * 24 * 3600
#: Shortest grant or review period, in seconds (``DataMarket.MIN_PERIOD``).
MIN_PERIOD_S = 3600
#: Longest grant or review period, in seconds (``DataMarket.MAX_PERIOD``).
MAX_PERIOD_S = 90 * 24 * 3600
#: Largest price per record the contract stores (``uint96``), in wei.
MAX_PRICE_WEI = (1 << 96) - 1
#: Largest capacity the contract stores (``uint32``).
MAX_CAPACITY = (1 << 32) - 1
_MAX_FIELD_COUNT = (1 << 16) - 1
_MAX_TIMESTAMP = (1 << 40) - 1


class MatchState(IntEnum):
    """Where a match stands (``IDataMarket.MatchState``); RELEASED, REFUNDED and LAPSED are final."""

    NONE = 0
    MATCHED = 1
    GRANTED = 2
    DISPUTED = 3
    RELEASED = 4
    REFUNDED = 5
    LAPSED = 6


@dataclass(frozen=True)
class MarketRequirement:
    """A posted requirement.

    Attributes:
        requirement_id: Its id (1 for the first, then increasing).
        buyer: Checksummed address of the buyer.
        arbiter: Checksummed address of who settles its disputes.
        commitment: The requirement's Poseidon commitment, 32 bytes.
        description_hash: keccak of the requirement's opening (:meth:`Requirement.to_json`).
        price_wei: Payment per record, in wei.
        bond_wei: The bond an owner sends with each submission, in wei.
        capacity: Records wanted.
        filled: Slots taken by matches that did not lapse.
        field_count: Fields per record.
        min_satisfied: Fewest satisfied fields a match needs.
        expires_at: Submissions are accepted before this timestamp, in seconds.
        grant_period_s: Seconds an owner has after its match to record its grant.
        review_period_s: Seconds the buyer has after a grant to confirm or dispute.
        unfilled_refunded: Whether the unfilled slots were refunded after expiry or cancelled by
            the buyer (a requirement cancelled before expiry accepts no submissions).
        tx_hash: 0x-prefixed hash of the posting transaction, when this came from it.
        gas_used: Gas that transaction used, when this came from it.
    """

    requirement_id: int
    buyer: str
    arbiter: str
    commitment: bytes
    description_hash: bytes
    price_wei: int
    bond_wei: int
    capacity: int
    filled: int
    field_count: int
    min_satisfied: int
    expires_at: int
    grant_period_s: int
    review_period_s: int
    unfilled_refunded: bool
    tx_hash: str | None = None
    gas_used: int | None = None

    @property
    def open_slots(self) -> int:
        """Slots still free (submissions also need the requirement not to have expired)."""
        return self.capacity - self.filled


@dataclass(frozen=True)
class MarketMatch:
    """A match of a registered file to a requirement.

    Attributes:
        match_id: Its id (1 for the first, then increasing).
        requirement_id: The requirement matched.
        file_id: The matched file's ``DataRegistry`` id.
        owner: Checksummed address of the file's owner, who proved the match and is paid.
        data_commitment: The file's registered commitment h (a proof's public signal 2).
        satisfied: R, the number of fields the record satisfies, as proven.
        state: Where it stands, as of the read or right after the transaction it came from.
        grant_deadline: The grant had to be recorded before this timestamp, in seconds.
        review_deadline: The buyer may dispute before this timestamp; ``None`` until the grant.
        tx_hash: 0x-prefixed hash of the transaction this came from (the submission for a read).
        gas_used: Gas that transaction used, when this came from it.
    """

    match_id: int
    requirement_id: int
    file_id: bytes
    owner: str
    data_commitment: bytes
    satisfied: int
    state: MatchState
    grant_deadline: int
    review_deadline: int | None
    tx_hash: str | None = None
    gas_used: int | None = None


@dataclass(frozen=True)
class MarketPayment:
    """A credit or a withdrawal.

    Attributes:
        account: Checksummed address credited (or paid, for a withdrawal).
        amount_wei: The amount, in wei.
        tx_hash: 0x-prefixed hash of the transaction.
        gas_used: Gas it used.
    """

    account: str
    amount_wei: int
    tx_hash: str
    gas_used: int


class DataMarketClient(ContractClient):
    """Buyers', owners' and arbiters' calls to a deployed ``DataMarket``.

    Inputs are checked here first (types, sizes, the contract's bounds), so malformed input
    costs no transaction; what depends on the chain's state (deadlines, who may call, the proof
    itself) is left to the contract, whose refusals come back as
    :class:`~offchain.errors.TransactionRevertedError` with the custom error's name, or as
    :class:`~offchain.errors.UnknownRequirementError` and :class:`~offchain.errors.UnknownMatchError`.

    Args:
        contract: Brownie handle of the deployed contract.
        from_block: Where event scans start (the contract's deployment block).
    """

    # --- requirements -------------------------------------------------------------------------

    def post_requirement(
        self,
        *,
        sender: Any,
        arbiter: AddressLike,
        commitment: bytes,
        description_hash: bytes,
        price_wei: int,
        capacity: int,
        field_count: int,
        min_satisfied: int,
        expires_at: int,
        grant_period_s: int,
        review_period_s: int,
        bond_wei: int,
    ) -> MarketRequirement:
        """Post a requirement as ``sender`` (the buyer), escrowing ``price_wei * capacity``.

        Args:
            sender: The buyer's Brownie account; it pays the escrow.
            arbiter: Who settles disputes: not the zero address, not the buyer.
            commitment: The requirement's Poseidon commitment (:attr:`Requirement.commitment_bytes`),
                nonzero, below :data:`SNARK_SCALAR_FIELD`, never posted before by this buyer.
            description_hash: keccak of the opening owners receive (:attr:`Requirement.description_hash`).
            price_wei: Payment per record, ``1 .. MAX_PRICE_WEI``.
            capacity: Records wanted, ``1 .. MAX_CAPACITY``.
            field_count: Fields per record (the market has verifiers for 8 and 16).
            min_satisfied: Fewest satisfied fields a match needs, ``1 .. field_count``.
            expires_at: Submissions are accepted before this timestamp; in the future, at most
                :data:`MAX_DURATION_S` ahead.
            grant_period_s: Seconds an owner has to record its grant, in
                ``MIN_PERIOD_S .. MAX_PERIOD_S``.
            review_period_s: Seconds the buyer has to confirm or dispute, same bounds.
            bond_wei: The bond each owner sends with a submission, ``1 .. MAX_PRICE_WEI``: the
                buyer gets it when the owner never grants (or the arbiter refunds), so filling
                slots with records that are never delivered costs the filler.

        Returns:
            The requirement as posted, with ``tx_hash`` and ``gas_used``.

        Raises:
            InvalidInputError: on input outside the bounds above.
            TransactionRevertedError: e.g. ``DataMarketCommitmentUsed``, ``DataMarketInvalidExpiry``,
                ``DataMarketUnsupportedFieldCount``.
        """
        arbiter_address = require_address(arbiter, "arbiter", nonzero=True)
        if arbiter_address == require_address(require_signer(sender), "sender"):
            raise InvalidInputError("the arbiter must not be the buyer")
        commitment32 = _require_field_element(commitment, "commitment")
        description = require_bytes32(description_hash, "description_hash", nonzero=True)
        price = require_uint(price_wei, "price_wei", low=1, high=MAX_PRICE_WEI)
        slots = require_uint(capacity, "capacity", low=1, high=MAX_CAPACITY)
        width = require_uint(field_count, "field_count", low=1, high=_MAX_FIELD_COUNT)
        minimum = require_uint(min_satisfied, "min_satisfied", low=1, high=width)
        expiry = require_uint(expires_at, "expires_at", low=1, high=_MAX_TIMESTAMP)
        grant = require_uint(grant_period_s, "grant_period_s", low=MIN_PERIOD_S, high=MAX_PERIOD_S)
        review = require_uint(review_period_s, "review_period_s", low=MIN_PERIOD_S, high=MAX_PERIOD_S)
        bond = require_uint(bond_wei, "bond_wei", low=1, high=MAX_PRICE_WEI)
        terms = (arbiter_address, commitment32, description, price, slots, width, minimum, expiry, grant, review, bond)
        receipt = transact(self.contract, "postRequirement", terms, sender=sender, value_wei=price * slots)
        requirement_id = int(receipt.events["RequirementPosted"]["requirementId"])
        return dataclasses.replace(self.get_requirement(requirement_id), **_transaction_of(receipt))

    def get_requirement(self, requirement_id: int) -> MarketRequirement:
        """Requirement ``requirement_id`` as the chain has it now.

        Raises:
            InvalidInputError: on a malformed id.
            UnknownRequirementError: if no requirement has this id.
        """
        checked = require_uint(requirement_id, "requirement_id", low=0, high=MAX_UINT256)
        try:
            fields = call(self.contract, "requirementOf", checked)
        except TransactionRevertedError as exc:
            raise _known(exc, requirement_id=checked) from exc
        (
            buyer,
            expires_at,
            field_count,
            min_satisfied,
            arbiter,
            capacity,
            filled,
            grant_period,
            price,
            review_period,
            refunded,
            bond,
            commitment,
            description,
        ) = fields
        return MarketRequirement(
            requirement_id=checked,
            buyer=to_checksum_address(buyer),
            arbiter=to_checksum_address(arbiter),
            commitment=bytes(commitment),
            description_hash=bytes(description),
            price_wei=int(price),
            bond_wei=int(bond),
            capacity=int(capacity),
            filled=int(filled),
            field_count=int(field_count),
            min_satisfied=int(min_satisfied),
            expires_at=int(expires_at),
            grant_period_s=int(grant_period),
            review_period_s=int(review_period),
            unfilled_refunded=bool(refunded),
        )

    def refund_unfilled(self, *, sender: Any, requirement_id: int) -> MarketPayment:
        """Credit the buyer with the escrow of an expired requirement's unfilled slots; anyone may.

        Returns:
            The credit (the buyer, price × unfilled slots); withdraw it with :meth:`withdraw`.

        Raises:
            UnknownRequirementError: if no requirement has this id.
            TransactionRevertedError: ``DataMarketRequirementNotExpired``,
                ``DataMarketAlreadyRefunded``, ``DataMarketNothingToRefund``.
        """
        checked = require_uint(requirement_id, "requirement_id", low=0, high=MAX_UINT256)
        try:
            receipt = transact(self.contract, "refundUnfilled", checked, sender=sender)
        except TransactionRevertedError as exc:
            raise _known(exc, requirement_id=checked) from exc
        event = receipt.events["UnfilledRefunded"]
        return _payment(receipt, event["buyer"], event["amountWei"])

    def cancel_unfilled(self, *, sender: Any, requirement_id: int) -> MarketPayment:
        """Cancel, as the buyer, a requirement's unfilled slots: they are credited back and the
        requirement accepts no more submissions (matches already made go on).

        Returns:
            The credit (the buyer, price × unfilled slots, zero if every slot is taken).

        Raises:
            UnknownRequirementError: if no requirement has this id.
            TransactionRevertedError: ``DataMarketNotRequirementBuyer``, ``DataMarketAlreadyRefunded``.
        """
        checked = require_uint(requirement_id, "requirement_id", low=0, high=MAX_UINT256)
        try:
            receipt = transact(self.contract, "cancelUnfilled", checked, sender=sender)
        except TransactionRevertedError as exc:
            raise _known(exc, requirement_id=checked) from exc
        event = receipt.events["UnfilledCancelled"]
        return _payment(receipt, event["buyer"], event["amountWei"])

    # --- matches ------------------------------------------------------------------------------

    def submit(self, *, sender: Any, requirement_id: int, file_id: bytes, proof: Proof) -> MarketMatch:
        """Submit ``proof`` that the record of ``sender``'s file ``file_id`` meets a requirement,
        sending the requirement's bond (read from the chain first; it never changes).

        The data commitment h and the satisfied count R are the proof's public signals. The
        contract checks the proof against [R, the requirement's commitment, h, the sender], that
        ``file_id`` is the sender's file registered under h, and the requirement's terms; a proof
        made for another owner or requirement reverts with ``DataMarketInvalidProof``. The bond
        comes back with the payment; it goes to the buyer if no grant is recorded in time.

        Args:
            sender: The file's owner.
            requirement_id: The requirement.
            file_id: The owner's file: ``file_id_of(sender, h)``.
            proof: From :func:`offchain.zk.prove`.

        Returns:
            The match, read from the transaction's event, with ``tx_hash`` and ``gas_used``.

        Raises:
            InvalidInputError: on a malformed id or proof.
            UnknownRequirementError: if no requirement has this id.
            TransactionRevertedError: e.g. ``DataMarketInvalidProof``, ``DataMarketFileIdMismatch``,
                ``DataMarketRequirementFull``, ``DataMarketRequirementCancelled``,
                ``DataMarketAlreadySubmitted``.
        """
        checked = require_uint(requirement_id, "requirement_id", low=0, high=MAX_UINT256)
        fid = require_bytes32(file_id, "file_id", nonzero=True)
        try:
            pa, pb, pc, signals = proof.solidity_args()
            satisfied = require_uint(int(signals[0]), "the proof's satisfied count", low=0, high=MAX_UINT256)
            h = require_uint(int(signals[2]), "the proof's data commitment", low=0, high=MAX_UINT256)
        except (AttributeError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"proof must be an offchain.zk.Proof, got {type(proof).__name__}: {exc}") from exc
        data_commitment = h.to_bytes(32, "big")
        bond_wei = self.get_requirement(checked).bond_wei
        try:
            receipt = transact(
                self.contract,
                "submit",
                checked,
                fid,
                data_commitment,
                pa,
                pb,
                pc,
                satisfied,
                sender=sender,
                value_wei=bond_wei,
            )
        except TransactionRevertedError as exc:
            raise _known(exc, requirement_id=checked) from exc
        event = receipt.events["Matched"]
        return MarketMatch(
            match_id=int(event["matchId"]),
            requirement_id=checked,
            file_id=fid,
            owner=to_checksum_address(event["owner"]),
            data_commitment=data_commitment,
            satisfied=satisfied,
            state=MatchState.MATCHED,
            grant_deadline=int(event["grantDeadline"]),
            review_deadline=None,
            **_transaction_of(receipt),
        )

    def record_grant(self, *, sender: Any, match_id: int) -> MarketMatch:
        """Record, as the match's owner, that the buyer holds an active grant on the file.

        Grant first (``DataRegistryClient.grant_access`` or ``DataOwner.grant``); the review
        period starts now.

        Raises:
            UnknownMatchError: if no match has this id.
            TransactionRevertedError: ``DataMarketNotGranted``, ``DataMarketGrantWindowClosed``,
                ``DataMarketNotOwner``, ``DataMarketWrongState``.
        """
        return self._transition("recordGrant", match_id, sender=sender)

    def confirm_receipt(self, *, sender: Any, match_id: int) -> MarketMatch:
        """Confirm, as the buyer, that the data arrived: the price is credited to the owner.

        Raises:
            UnknownMatchError: if no match has this id.
            TransactionRevertedError: ``DataMarketNotBuyer``, ``DataMarketWrongState``.
        """
        return self._transition("confirmReceipt", match_id, sender=sender)

    def release(self, *, sender: Any, match_id: int) -> MarketMatch:
        """Credit the owner once the review period passed without a dispute; anyone may.

        Raises:
            UnknownMatchError: if no match has this id.
            TransactionRevertedError: ``DataMarketReviewWindowOpen``, ``DataMarketWrongState``.
        """
        return self._transition("release", match_id, sender=sender)

    def dispute(self, *, sender: Any, match_id: int, reason_hash: bytes) -> MarketMatch:
        """Dispute a match as its buyer, before the review deadline: the payment freezes.

        Args:
            sender: The buyer.
            match_id: The match.
            reason_hash: Nonzero hash of the complaint (what failed, for the arbiter).

        Raises:
            InvalidInputError: on a zero or wrong-sized hash.
            UnknownMatchError: if no match has this id.
            TransactionRevertedError: ``DataMarketReviewWindowClosed``, ``DataMarketNotBuyer``,
                ``DataMarketWrongState``.
        """
        reason = require_bytes32(reason_hash, "reason_hash", nonzero=True)
        return self._transition("dispute", match_id, reason, sender=sender)

    def settle_dispute(self, *, sender: Any, match_id: int, pay_owner: bool, ruling_hash: bytes) -> MarketMatch:
        """Settle a dispute as the requirement's arbiter (an account; a ``ConsortiumArbiter``
        settles through :meth:`ConsortiumArbiterClient.vote`).

        Args:
            sender: The arbiter.
            match_id: The disputed match.
            pay_owner: True to pay the owner, False to refund the buyer.
            ruling_hash: Nonzero hash of the ruling.

        Raises:
            InvalidInputError: on a non-bool ruling or a zero or wrong-sized hash.
            UnknownMatchError: if no match has this id.
            TransactionRevertedError: ``DataMarketNotArbiter``, ``DataMarketWrongState``.
        """
        if not isinstance(pay_owner, bool):
            raise InvalidInputError(f"pay_owner must be a bool, got {type(pay_owner).__name__}")
        ruling = require_bytes32(ruling_hash, "ruling_hash", nonzero=True)
        return self._transition("settleDispute", match_id, pay_owner, ruling, sender=sender)

    def reclaim_ungranted(self, *, sender: Any, match_id: int) -> MarketMatch:
        """End a match whose owner recorded no grant before the grant deadline; anyone may.

        The slot goes back to the requirement (another owner may take it while it is open; its
        escrow is refunded with the unfilled slots after expiry), or, once the unfilled slots
        were refunded, the price is credited to the buyer.

        Raises:
            UnknownMatchError: if no match has this id.
            TransactionRevertedError: ``DataMarketGrantWindowOpen``, ``DataMarketWrongState``.
        """
        return self._transition("reclaimUngranted", match_id, sender=sender)

    def get_match(self, match_id: int) -> MarketMatch:
        """Match ``match_id`` as the chain has it now, with h and the grant deadline from its
        ``Matched`` event (checked: h and the owner must give the stored file id).

        Raises:
            InvalidInputError: on a malformed id.
            UnknownMatchError: if no match has this id.
            IntegrityError: if no ``Matched`` log from ``from_block`` on agrees with storage.
        """
        checked = require_uint(match_id, "match_id", low=0, high=MAX_UINT256)
        stored = self._stored_match(checked)
        logs = get_events(self.contract, "Matched", from_block=self.from_block, argument_filters={"matchId": checked})
        return self._verified_match(checked, stored, logs)

    def proof_of(self, match_id: int) -> Proof:
        """The proof match ``match_id`` was accepted with, from its ``Matched`` event, with its
        public signals [R, requirement commitment, h, owner]: what a buyer (or anyone) checks
        off chain with :func:`offchain.zk.verify`.

        Raises:
            InvalidInputError: on a malformed id.
            UnknownMatchError: if no match has this id.
            IntegrityError: if no ``Matched`` log agrees with storage.
        """
        checked = require_uint(match_id, "match_id", low=0, high=MAX_UINT256)
        logs = get_events(self.contract, "Matched", from_block=self.from_block, argument_filters={"matchId": checked})
        matched = self._verified_match(checked, self._stored_match(checked), logs)
        log = next(entry for entry in logs if entry.tx_hash == matched.tx_hash)
        (a0, a1), ((bx1, bx0), (by1, by0)), (c0, c1) = log.args["pA"], log.args["pB"], log.args["pC"]
        signals = (
            matched.satisfied,
            int.from_bytes(bytes(log.args["requirementCommitment"]), "big"),
            int.from_bytes(matched.data_commitment, "big"),
            int(matched.owner, 16),
        )
        return Proof(
            a=(int(a0), int(a1)),
            b=((int(bx0), int(bx1)), (int(by0), int(by1))),
            c=(int(c0), int(c1)),
            public_signals=signals,
        )

    def matches_of(self, requirement_id: int) -> list[MarketMatch]:
        """Every match of requirement ``requirement_id``, oldest first (each checked as in :meth:`get_match`)."""
        checked = require_uint(requirement_id, "requirement_id", low=0, high=MAX_UINT256)
        logs = get_events(
            self.contract, "Matched", from_block=self.from_block, argument_filters={"requirementId": checked}
        )
        matches = []
        for log in logs:
            match_id = int(log.args["matchId"])
            matches.append(self._verified_match(match_id, self._stored_match(match_id), [log]))
        return matches

    def match_id_of(self, requirement_id: int, file_id: bytes) -> int | None:
        """The match of ``file_id`` to ``requirement_id``, or ``None`` if it was never submitted."""
        checked = require_uint(requirement_id, "requirement_id", low=0, high=MAX_UINT256)
        fid = require_bytes32(file_id, "file_id", nonzero=False)
        found = int(call(self.contract, "matchIdOf", checked, fid))
        return found or None

    # --- payments and views -------------------------------------------------------------------

    def withdraw(self, *, sender: Any) -> MarketPayment:
        """Pay ``sender`` its whole credit.

        Raises:
            TransactionRevertedError: ``DataMarketNothingToWithdraw``, ``DataMarketTransferFailed``.
        """
        receipt = transact(self.contract, "withdraw", sender=sender)
        event = receipt.events["Withdrawn"]
        return _payment(receipt, event["account"], event["amountWei"])

    def credit_of(self, account: AddressLike) -> int:
        """What ``account`` may withdraw, in wei."""
        return int(call(self.contract, "creditOf", require_address(account, "account", nonzero=False)))

    def balance_wei(self) -> int:
        """The market's ether: credits plus escrow and bonds not yet credited, in wei."""
        from brownie import web3

        return int(web3.eth.get_balance(self.contract.address))

    def requirement_count(self) -> int:
        """The number of requirements posted, which is also the latest requirement's id."""
        return int(call(self.contract, "requirementCount"))

    def match_count(self) -> int:
        """The number of matches, which is also the latest match's id."""
        return int(call(self.contract, "matchCount"))

    def requirement_id_of(self, buyer: AddressLike, commitment: bytes) -> int | None:
        """The requirement ``buyer`` posted with ``commitment``, or ``None`` (commitments are
        unique per buyer: other buyers may post the same one)."""
        buyer_address = require_address(buyer, "buyer", nonzero=False)
        checked = require_bytes32(commitment, "commitment", nonzero=False)
        found = int(call(self.contract, "requirementIdOf", buyer_address, checked))
        return found or None

    def verifier_for(self, field_count: int) -> str | None:
        """The address of the verifier of ``field_count``-field records, or ``None`` if unsupported."""
        width = require_uint(field_count, "field_count", low=0, high=_MAX_FIELD_COUNT)
        address = to_checksum_address(call(self.contract, "verifierFor", width))
        return None if int(address, 16) == 0 else address

    # --- plumbing -----------------------------------------------------------------------------

    def _transition(self, function: str, match_id: int, *args: Any, sender: Any) -> MarketMatch:
        checked = require_uint(match_id, "match_id", low=0, high=MAX_UINT256)
        try:
            receipt = transact(self.contract, function, checked, *args, sender=sender)
        except TransactionRevertedError as exc:
            raise _known(exc, match_id=checked) from exc
        return dataclasses.replace(self.get_match(checked), **_transaction_of(receipt))

    def _stored_match(self, match_id: int) -> tuple[Any, ...]:
        try:
            return tuple(call(self.contract, "matchOf", match_id))
        except TransactionRevertedError as exc:
            raise _known(exc, match_id=match_id) from exc

    def _verified_match(self, match_id: int, stored: tuple[Any, ...], logs: list[EventLog]) -> MarketMatch:
        owner, requirement_id, deadline, state, satisfied, file_id = stored
        owner_address, fid, match_state = to_checksum_address(owner), bytes(file_id), MatchState(int(state))
        for log in logs:
            h = bytes(log.args["dataCommitment"])
            if file_id_of(owner_address, h) != fid or int(log.args["requirementId"]) != int(requirement_id):
                continue
            granted = match_state not in (MatchState.MATCHED, MatchState.LAPSED)
            return MarketMatch(
                match_id=match_id,
                requirement_id=int(requirement_id),
                file_id=fid,
                owner=owner_address,
                data_commitment=h,
                satisfied=int(satisfied),
                state=match_state,
                grant_deadline=int(log.args["grantDeadline"]),
                review_deadline=int(deadline) if granted else None,
                tx_hash=log.tx_hash,
            )
        raise IntegrityError(
            f"match {match_id} is stored for file 0x{fid.hex()} of {owner_address}, but none of the "
            f"{len(logs)} Matched logs from block {self.from_block} agrees with it"
        )


def _require_field_element(value: object, name: str) -> bytes:
    """``value`` as 32 bytes of a nonzero BN254 scalar, or InvalidInputError."""
    checked = require_bytes32(value, name, nonzero=True)
    if int.from_bytes(checked, "big") >= SNARK_SCALAR_FIELD:
        raise InvalidInputError(f"{name} must be below the BN254 scalar field order")
    return checked


def _transaction_of(receipt: Any) -> dict[str, Any]:
    """The ``tx_hash`` and ``gas_used`` fields of a result that came from ``receipt``."""
    return {"tx_hash": str(receipt.txid), "gas_used": int(receipt.gas_used)}


def _payment(receipt: Any, account: str, amount_wei: int) -> MarketPayment:
    return MarketPayment(
        account=to_checksum_address(account),
        amount_wei=int(amount_wei),
        tx_hash=str(receipt.txid),
        gas_used=int(receipt.gas_used),
    )


def _known(
    exc: TransactionRevertedError, *, requirement_id: int | None = None, match_id: int | None = None
) -> Exception:
    """The typed error for an unknown requirement or match, else ``exc`` itself."""
    if exc.error_name == "DataMarketUnknownRequirement" and requirement_id is not None:
        return UnknownRequirementError(requirement_id)
    if exc.error_name == "DataMarketUnknownMatch" and match_id is not None:
        return UnknownMatchError(match_id)
    return exc
