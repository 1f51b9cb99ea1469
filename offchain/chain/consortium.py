"""Typed client of the ``Consortium`` contract: agencies, records of group-signed uploads, 2/3 votes.

Research: Huang, Chen, Wang 2020, "Blockchain-based multiple groups data sharing with anonymity
and traceability" (Sci China Inf Sci), §3. Several agencies form a consortium; each manages an
ACJT group signature group. A user uploads data group-signed, so anonymously; the user's agency
(never the user) records the upload on chain. In a dispute, an agency may reveal the signer only
after at least ⌈2n/3⌉ of the n current agencies approved the trace request on chain
(:func:`quorum_of`), so no single manager can frame an honest user or shield a dishonest one.

What is on chain: the member set, each agency's group key hash and the public seed its bases
are hashed from (so anyone can re-derive them, see
:func:`offchain.crypto.group_signature.check_group_setup`), per upload (keyed by the
submitting agency and the file id, so no agency can block another's record by submitting its
file id first) its Merkle root, block count, signature hash and the agency's key hash at submission; every ballot and
vote; for an approved trace, the signer's account and the hash of the opening, whose bytes
(certificate, join receipt, Chaum–Pedersen proof) travel in the ``TraceOpened`` event. What
stays off chain: the data, the group signatures and keys, and the checking of both signatures
and openings (an ACJT signature is far too costly for the EVM).

Staleness: every membership change starts a new membership epoch, and a ballot opened in an
earlier epoch can no longer be voted on (:attr:`BallotStatus.STALE`); propose it again. So every
approval on a ballot comes from one and the same membership.

Example (three agencies of four approve a trace; the record's agency opens it)::

    client = ConsortiumClient(contract, from_block=deployment_block)
    client.set_group_key(sender=hospital, key_hash=group.fingerprint(), seed=group.seed)
    client.submit_record(sender=hospital, file_id=fid, merkle_root=root, block_count=16,
                         signature_hash=keccak(signature))
    ballot = client.request_trace(sender=bank, agency=hospital.address, file_id=fid,
                                  reason_hash=keccak(court_order))
    client.vote(sender=hospital, ballot_id=ballot.ballot_id)
    client.vote(sender=university, ballot_id=ballot.ballot_id).status   # BallotStatus.APPROVED
    client.publish_opening(sender=hospital, ballot_id=ballot.ballot_id, signer=user, opening=encoded)
    client.get_opening(ballot.ballot_id)   # checked against the hash stored on chain
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_utils import keccak, to_checksum_address

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.contracts import (
    MAX_UINT256,
    ContractClient,
    call,
    require_bytes32,
    require_uint,
    transact,
)
from offchain.chain.events import get_events
from offchain.errors import (
    IntegrityError,
    InvalidInputError,
    TransactionRevertedError,
    UnknownBallotError,
    UnknownRecordError,
)

__all__ = [
    "MAX_BLOCK_COUNT",
    "MAX_VOTING_PERIOD_S",
    "MIN_MEMBERS",
    "Ballot",
    "BallotKind",
    "BallotStatus",
    "ConsortiumClient",
    "ConsortiumRecord",
    "PublishedGroupKeys",
    "TraceOpening",
    "quorum_of",
]

#: The smallest consortium the contract accepts (``Consortium.MIN_MEMBERS``).
MIN_MEMBERS = 3
#: The longest voting period the contract accepts, in seconds (``Consortium.MAX_VOTING_PERIOD``).
MAX_VOTING_PERIOD_S = 365 * 24 * 3600
#: Largest block count the contract accepts (``uint64``).
MAX_BLOCK_COUNT = (1 << 64) - 1

_APPROVAL_EVENTS = ("MemberAdmitted", "MemberRemoved", "TraceApproved")


def quorum_of(member_count: int) -> int:
    """Approvals that decide a ballot among ``member_count`` agencies: ⌈2n/3⌉ = (2n + 2) // 3."""
    return (2 * member_count + 2) // 3


class BallotKind(IntEnum):
    """What a ballot decides (``IConsortium.BallotKind``)."""

    ADMISSION = 0
    REMOVAL = 1
    TRACE = 2


class BallotStatus(IntEnum):
    """Where a ballot stands (``IConsortium.BallotStatus``).

    ``STALE``: still pending, but opened in an earlier membership epoch, so it can no longer be
    decided. ``EXPIRED``: closed by ``expire``, or pending past its deadline.
    """

    PENDING = 0
    APPROVED = 1
    REJECTED = 2
    EXPIRED = 3
    STALE = 4


@dataclass(frozen=True)
class ConsortiumRecord:
    """The on-chain record of one group-signed upload.

    Attributes:
        file_id: The upload's 32-byte id.
        agency: Checksummed address of the submitting agency (the signer's group manager).
        group_key_hash: The agency's group key hash at submission.
        merkle_root: Root of the Merkle tree over the file's blocks.
        block_count: Number of blocks.
        signature_hash: Hash of the group signature on the upload.
        submitted_at: Block timestamp of the submission, in seconds.
        tx_hash: 0x-prefixed hash of the submitting transaction, when this came from one.
        gas_used: Gas the submitting transaction used, when this came from one.
    """

    file_id: bytes
    agency: str
    group_key_hash: bytes
    merkle_root: bytes
    block_count: int
    signature_hash: bytes
    submitted_at: int
    tx_hash: str | None = None
    gas_used: int | None = None


@dataclass(frozen=True)
class Ballot:
    """A ballot: an admission, a removal or a trace request.

    Attributes:
        ballot_id: The ballot's id (1 for the first, then increasing).
        kind: What it decides.
        status: Its status as of the read, or right after the transaction it came from.
        proposer: Checksummed address of the agency that opened it.
        subject: The candidate or member as a left-padded 32-byte address, or the traced file id.
        reason_hash: Hash of a trace request's justification; zero for other kinds.
        record_agency: Checksummed address of the traced record's agency; ``None`` for other kinds.
        deadline: Last timestamp at which votes count, in seconds.
        epoch: The membership epoch it belongs to.
        approvals: Approvals counted (the proposer's included).
        rejections: Rejections counted.
        tx_hash: 0x-prefixed hash of the transaction it came from, if any.
        gas_used: Gas that transaction used, if any.
    """

    ballot_id: int
    kind: BallotKind
    status: BallotStatus
    proposer: str
    subject: bytes
    reason_hash: bytes
    deadline: int
    epoch: int
    approvals: int
    rejections: int
    record_agency: str | None = None
    tx_hash: str | None = None
    gas_used: int | None = None

    @property
    def account(self) -> str | None:
        """The candidate of an admission or the member of a removal; ``None`` for a trace."""
        if self.kind == BallotKind.TRACE:
            return None
        return str(to_checksum_address(self.subject[12:]))

    @property
    def file_id(self) -> bytes | None:
        """The traced record of a trace request; ``None`` for other kinds."""
        return self.subject if self.kind == BallotKind.TRACE else None


@dataclass(frozen=True)
class TraceOpening:
    """An opening published after an approved trace: who signed the traced upload.

    Attributes:
        ballot_id: The approved trace ballot.
        file_id: The traced record.
        agency: Checksummed address of the publishing agency (the record's).
        signer: Checksummed address of the user who signed the upload.
        opening: The opening bytes (certificate, join receipt, Chaum–Pedersen proof).
        opening_hash: keccak256 of ``opening``, as stored on chain.
        opened_at: Block timestamp of the publication, in seconds.
        tx_hash: 0x-prefixed hash of the publishing transaction.
        gas_used: Gas it used, when this came from the transaction itself.
    """

    ballot_id: int
    file_id: bytes
    agency: str
    signer: str
    opening: bytes
    opening_hash: bytes
    opened_at: int
    tx_hash: str | None = None
    gas_used: int | None = None


class ConsortiumClient(ContractClient):
    """Agencies' records and votes through a deployed ``Consortium``.

    Every transaction's inputs are checked here first, so bad input costs no transaction;
    the contract's own checks (membership, ballot state) come back as
    :class:`~offchain.errors.TransactionRevertedError` with the custom error's name, or as
    :class:`~offchain.errors.UnknownRecordError` and :class:`~offchain.errors.UnknownBallotError`.

    Args:
        contract: Brownie handle of the deployed contract.
        from_block: Where event scans start (the contract's deployment block).
    """

    # --- membership ---------------------------------------------------------------------------

    def member_count(self) -> int:
        """The number of member agencies."""
        return int(call(self.contract, "memberCount"))

    def members(self) -> list[str]:
        """The member agencies' checksummed addresses, in the contract's (unstable) order."""
        return [to_checksum_address(call(self.contract, "memberAt", i)) for i in range(self.member_count())]

    def is_member(self, address: AddressLike) -> bool:
        """Whether ``address`` is a current member."""
        return bool(call(self.contract, "isMember", require_address(address, "address", nonzero=False)))

    def quorum(self) -> int:
        """Approvals that decide a ballot now: ⌈2n/3⌉ of the current members."""
        return int(call(self.contract, "quorum"))

    def membership_epoch(self) -> int:
        """The current membership epoch (0 at deployment, +1 per admission or removal)."""
        return int(call(self.contract, "membershipEpoch"))

    def voting_period_s(self) -> int:
        """How long a ballot stays open, in seconds."""
        return int(call(self.contract, "votingPeriod"))

    # --- group keys and records ---------------------------------------------------------------

    def set_group_key(self, *, sender: Any, key_hash: bytes, seed: bytes) -> None:
        """Set or rotate ``sender``'s group key hash and seed (``sender`` must be a member).

        The contract checks neither against the key: whoever publishes a key checks its setup
        first (:meth:`offchain.protocols.agency.Agency.publish_group_key` does).

        Args:
            sender: The agency's account.
            key_hash: The group public key's fingerprint (it covers the seed and setup proof).
            seed: The 32-byte seed the key's bases are hashed from.

        Raises:
            InvalidInputError: on a zero or wrong-sized hash or seed.
            TransactionRevertedError: ``ConsortiumNotMember`` if ``sender`` is not a member.
        """
        checked = require_bytes32(key_hash, "key_hash", nonzero=True)
        checked_seed = require_bytes32(seed, "seed", nonzero=True)
        transact(self.contract, "setGroupKey", checked, checked_seed, sender=sender)

    def group_key_of(self, agency: AddressLike) -> bytes | None:
        """The group key hash ``agency`` set, or ``None`` (never set, or removed since)."""
        key = bytes(call(self.contract, "groupKeyOf", require_address(agency, "agency", nonzero=False)))
        return key if any(key) else None

    def group_key_seed_of(self, agency: AddressLike) -> bytes | None:
        """The seed of the group key ``agency`` set, or ``None`` (never set, or removed since)."""
        seed = bytes(call(self.contract, "groupKeySeedOf", require_address(agency, "agency", nonzero=False)))
        return seed if any(seed) else None

    def submit_record(
        self, *, sender: Any, file_id: bytes, merkle_root: bytes, block_count: int, signature_hash: bytes
    ) -> ConsortiumRecord:
        """Record an upload one of ``sender``'s users group-signed; ``sender`` is the agency.

        The agency checks the group signature against its group key before calling this; the
        chain keeps only hashes.

        Args:
            sender: The agency's Brownie account; a member with a group key set.
            file_id: The upload's 32-byte id, non-zero and unused.
            merkle_root: Non-zero root of the Merkle tree over the file's blocks.
            block_count: Number of blocks, ``1 .. MAX_BLOCK_COUNT``.
            signature_hash: Non-zero hash of the group signature.

        Returns:
            The record, read from the transaction's event, with ``tx_hash`` and ``gas_used``.
            Records are keyed by (agency, file id): another agency's record under the same id
            is another record and blocks nothing.

        Raises:
            InvalidInputError: on a zero or wrong-sized hash or a block count out of range.
            TransactionRevertedError: e.g. ``ConsortiumGroupKeyNotSet``,
                ``ConsortiumRecordAlreadySubmitted`` (``sender`` used this id before),
                ``ConsortiumNotMember``.
        """
        fid = require_bytes32(file_id, "file_id", nonzero=True)
        root = require_bytes32(merkle_root, "merkle_root", nonzero=True)
        count = require_uint(block_count, "block_count", low=1, high=MAX_BLOCK_COUNT)
        signature = require_bytes32(signature_hash, "signature_hash", nonzero=True)
        receipt = transact(self.contract, "submitRecord", fid, root, count, signature, sender=sender)
        event = receipt.events["RecordSubmitted"]
        return ConsortiumRecord(
            file_id=fid,
            agency=to_checksum_address(event["agency"]),
            group_key_hash=bytes(event["groupKeyHash"]),
            merkle_root=root,
            block_count=count,
            signature_hash=signature,
            submitted_at=int(receipt.timestamp),
            **_transaction_of(receipt),
        )

    def get_record(self, agency: AddressLike, file_id: bytes) -> ConsortiumRecord:
        """The record ``agency`` submitted under ``file_id``.

        Raises:
            InvalidInputError: on a malformed address or a wrong-sized id.
            UnknownRecordError: if ``agency`` submitted no record under ``file_id``.
        """
        address = require_address(agency, "agency", nonzero=False)
        fid = require_bytes32(file_id, "file_id", nonzero=False)
        try:
            stored, block_count, submitted_at, key_hash, root, signature = call(self.contract, "recordOf", address, fid)
        except TransactionRevertedError as exc:
            raise _known(exc, file_id=fid, agency=address) from exc
        return ConsortiumRecord(
            file_id=fid,
            agency=to_checksum_address(stored),
            group_key_hash=bytes(key_hash),
            merkle_root=bytes(root),
            block_count=int(block_count),
            signature_hash=bytes(signature),
            submitted_at=int(submitted_at),
        )

    # --- ballots ------------------------------------------------------------------------------

    def propose_admission(self, *, sender: Any, candidate: AddressLike) -> Ballot:
        """Open a ballot to admit ``candidate``; ``sender``'s approval counts at once.

        Raises:
            InvalidInputError: if ``candidate`` is not a non-zero address.
            TransactionRevertedError: ``ConsortiumNotMember`` (sender), ``ConsortiumAlreadyMember``.
        """
        address = require_address(candidate, "candidate", nonzero=True)
        return self._opened(transact(self.contract, "proposeAdmission", address, sender=sender))

    def propose_removal(self, *, sender: Any, member: AddressLike) -> Ballot:
        """Open a ballot to remove ``member``; ``sender``'s approval counts at once.

        Raises:
            InvalidInputError: if ``member`` is not an address.
            TransactionRevertedError: ``ConsortiumNotMember`` (sender or member),
                ``ConsortiumBelowMinimum`` (the removal would leave fewer than three agencies).
        """
        address = require_address(member, "member", nonzero=True)
        return self._opened(transact(self.contract, "proposeRemoval", address, sender=sender))

    def request_trace(self, *, sender: Any, agency: AddressLike, file_id: bytes, reason_hash: bytes) -> Ballot:
        """Open a ballot to approve opening the group signature of record (``agency``, ``file_id``).

        Args:
            sender: A member agency.
            agency: The agency that submitted the record.
            file_id: The record whose signer is to be revealed.
            reason_hash: Non-zero hash of the justification (e.g. of a court order).

        Raises:
            InvalidInputError: on a malformed address or a zero or wrong-sized id or hash.
            UnknownRecordError: if ``agency`` submitted no record under ``file_id``.
            TransactionRevertedError: ``ConsortiumNotMember``.
        """
        address = require_address(agency, "agency", nonzero=True)
        fid = require_bytes32(file_id, "file_id", nonzero=True)
        reason = require_bytes32(reason_hash, "reason_hash", nonzero=True)
        try:
            receipt = transact(self.contract, "requestTrace", address, fid, reason, sender=sender)
        except TransactionRevertedError as exc:
            raise _known(exc, file_id=fid, agency=address) from exc
        return self._opened(receipt)

    def vote(self, *, sender: Any, ballot_id: int, support: bool = True) -> Ballot:
        """Approve (or reject, ``support=False``) ballot ``ballot_id`` as ``sender``.

        Returns:
            The ballot right after the vote: ``APPROVED`` if this vote reached the quorum (the
            admission or removal has then taken effect), ``REJECTED`` if the quorum became
            unreachable, else ``PENDING``; with ``tx_hash`` and ``gas_used``.

        Raises:
            InvalidInputError: on a malformed id or a non-bool ``support``.
            UnknownBallotError: if no ballot has this id.
            TransactionRevertedError: ``ConsortiumNotMember``, ``ConsortiumAlreadyVoted``,
                ``ConsortiumBallotNotPending``, ``ConsortiumBallotStale``, ``ConsortiumBallotExpired``.
        """
        checked = require_uint(ballot_id, "ballot_id", low=0, high=MAX_UINT256)
        if not isinstance(support, bool):
            raise InvalidInputError(f"support must be a bool, got {type(support).__name__}")
        receipt = self._transact_on_ballot("vote", checked, support, sender=sender)
        voted = receipt.events["Voted"]
        status = BallotStatus.PENDING
        if "BallotRejected" in receipt.events:
            status = BallotStatus.REJECTED
        elif any(name in receipt.events for name in _APPROVAL_EVENTS):
            status = BallotStatus.APPROVED
        return dataclasses.replace(
            self.get_ballot(checked),  # kind, proposer, subject, deadline and epoch never change
            status=status,
            approvals=int(voted["approvals"]),
            rejections=int(voted["rejections"]),
            **_transaction_of(receipt),
        )

    def expire(self, *, sender: Any, ballot_id: int) -> Ballot:
        """Close ballot ``ballot_id``, pending past its deadline or stale; anyone may.

        Raises:
            InvalidInputError: on a malformed id.
            UnknownBallotError: if no ballot has this id.
            TransactionRevertedError: ``ConsortiumBallotStillOpen``, ``ConsortiumBallotNotPending``.
        """
        checked = require_uint(ballot_id, "ballot_id", low=0, high=MAX_UINT256)
        receipt = self._transact_on_ballot("expire", checked, sender=sender)
        return dataclasses.replace(
            self.get_ballot(checked),  # nothing changes an expired ballot
            **_transaction_of(receipt),
        )

    def get_ballot(self, ballot_id: int) -> Ballot:
        """Ballot ``ballot_id`` as of now (``STALE`` and ``EXPIRED`` computed by the contract).

        Raises:
            InvalidInputError: on a malformed id.
            UnknownBallotError: if no ballot has this id.
        """
        checked = require_uint(ballot_id, "ballot_id", low=0, high=MAX_UINT256)
        try:
            fields = call(self.contract, "ballotOf", checked)
        except TransactionRevertedError as exc:
            raise _known(exc, ballot_id=checked) from exc
        proposer, deadline, kind, status, epoch, approvals, rejections, subject, reason, record_agency = fields
        return Ballot(
            ballot_id=checked,
            kind=BallotKind(int(kind)),
            status=BallotStatus(int(status)),
            proposer=to_checksum_address(proposer),
            subject=bytes(subject),
            reason_hash=bytes(reason),
            deadline=int(deadline),
            epoch=int(epoch),
            approvals=int(approvals),
            rejections=int(rejections),
            record_agency=_agency_or_none(record_agency),
        )

    def ballot_count(self) -> int:
        """The number of ballots opened, which is also the latest ballot's id."""
        return int(call(self.contract, "ballotCount"))

    def has_voted(self, ballot_id: int, member: AddressLike) -> bool:
        """Whether ``member`` voted on ballot ``ballot_id`` (the proposer did, at opening)."""
        checked = require_uint(ballot_id, "ballot_id", low=0, high=MAX_UINT256)
        return bool(call(self.contract, "hasVoted", checked, require_address(member, "member", nonzero=False)))

    # --- openings -----------------------------------------------------------------------------

    def publish_opening(self, *, sender: Any, ballot_id: int, signer: AddressLike, opening: bytes) -> TraceOpening:
        """Publish who signed the record of approved trace ``ballot_id``.

        Only the agency that submitted the record may, while it is a member, once. The contract
        stores ``keccak256(opening)`` and emits the bytes; it does not check them: anyone can,
        off chain.

        Args:
            sender: The record's agency.
            ballot_id: The approved trace ballot.
            signer: The account of the user who signed the upload.
            opening: The encoded opening, non-empty.

        Raises:
            InvalidInputError: on a malformed id, a zero signer or an empty opening.
            UnknownBallotError: if no ballot has this id.
            TransactionRevertedError: ``ConsortiumNotApprovedTrace``, ``ConsortiumNotRecordAgency``,
                ``ConsortiumAlreadyOpened``, ``ConsortiumNotMember``.
        """
        checked = require_uint(ballot_id, "ballot_id", low=0, high=MAX_UINT256)
        signer_address = require_address(signer, "signer", nonzero=True)
        if not isinstance(opening, (bytes, bytearray)) or len(opening) == 0:
            raise InvalidInputError(f"opening must be non-empty bytes, got {_describe(opening)}")
        data = bytes(opening)
        receipt = self._transact_on_ballot("publishOpening", checked, signer_address, data, sender=sender)
        event = receipt.events["TraceOpened"]
        return TraceOpening(
            ballot_id=checked,
            file_id=bytes(event["fileId"]),
            agency=to_checksum_address(event["agency"]),
            signer=signer_address,
            opening=data,
            opening_hash=keccak(data),
            opened_at=int(receipt.timestamp),
            **_transaction_of(receipt),
        )

    def get_opening(self, ballot_id: int) -> TraceOpening:
        """The opening of trace ballot ``ballot_id``, its bytes checked against the hash on chain.

        The bytes come from the ``TraceOpened`` event; the one returned is the one whose
        keccak256, signer, file id and agency match what the contract stores.

        Raises:
            InvalidInputError: on a malformed id.
            UnknownBallotError: if no ballot has this id.
            TransactionRevertedError: ``ConsortiumNotOpened`` if nothing was published yet.
            IntegrityError: if no ``TraceOpened`` log from ``from_block`` on matches the stored
                opening (a node serving wrong logs, or ``from_block`` after the publication).
        """
        ballot = self.get_ballot(ballot_id)
        signer, opening_hash, opened_at = call(self.contract, "openingOf", ballot.ballot_id)
        stored_signer, stored_hash = to_checksum_address(signer), bytes(opening_hash)
        if ballot.record_agency is None:
            raise InvalidInputError(f"ballot {ballot.ballot_id} is not a trace request")
        agency = ballot.record_agency
        logs = get_events(
            self.contract, "TraceOpened", from_block=self.from_block, argument_filters={"ballotId": ballot.ballot_id}
        )
        for log in logs:
            args, opening = log.args, bytes(log.args["opening"])
            found = (keccak(opening), args["signer"], bytes(args["fileId"]), args["agency"])  # web3 checksums
            if found == (stored_hash, stored_signer, ballot.subject, agency):
                return TraceOpening(
                    ballot_id=ballot.ballot_id,
                    file_id=ballot.subject,
                    agency=agency,
                    signer=stored_signer,
                    opening=opening,
                    opening_hash=stored_hash,
                    opened_at=int(opened_at),
                    tx_hash=log.tx_hash,
                )
        raise IntegrityError(
            f"ballot {ballot.ballot_id} was opened with hash 0x{stored_hash.hex()} for signer {stored_signer}, "
            f"but none of the {len(logs)} TraceOpened logs from block {self.from_block} matches it"
        )

    # --- plumbing -----------------------------------------------------------------------------

    def _transact_on_ballot(self, function: str, ballot_id: int, *args: Any, sender: Any) -> Any:
        try:
            return transact(self.contract, function, ballot_id, *args, sender=sender)
        except TransactionRevertedError as exc:
            raise _known(exc, ballot_id=ballot_id) from exc

    @staticmethod
    def _opened(receipt: Any) -> Ballot:
        opened, voted = receipt.events["BallotOpened"], receipt.events["Voted"]
        return Ballot(
            ballot_id=int(opened["ballotId"]),
            kind=BallotKind(int(opened["kind"])),
            status=BallotStatus.PENDING,  # one approval never decides: the quorum is at least 2
            proposer=to_checksum_address(opened["proposer"]),
            subject=bytes(opened["subject"]),
            reason_hash=bytes(opened["reasonHash"]),
            deadline=int(opened["deadline"]),
            epoch=int(opened["epoch"]),
            approvals=int(voted["approvals"]),
            rejections=int(voted["rejections"]),
            record_agency=_agency_or_none(opened["recordAgency"]),
            **_transaction_of(receipt),
        )


def _agency_or_none(address: str) -> str | None:
    """A checksummed address, or ``None`` for the zero address (a ballot that is no trace)."""
    checksummed = str(to_checksum_address(address))
    return None if int(checksummed, 16) == 0 else checksummed


def _transaction_of(receipt: Any) -> dict[str, Any]:
    """The ``tx_hash`` and ``gas_used`` fields of a result that came from ``receipt``."""
    return {"tx_hash": str(receipt.txid), "gas_used": int(receipt.gas_used)}


def _known(
    exc: TransactionRevertedError,
    *,
    ballot_id: int | None = None,
    file_id: bytes | None = None,
    agency: str | None = None,
) -> Exception:
    """The typed error for an unknown ballot or record, else ``exc`` itself."""
    if exc.error_name == "ConsortiumUnknownBallot" and ballot_id is not None:
        return UnknownBallotError(ballot_id)
    if exc.error_name == "ConsortiumUnknownRecord" and file_id is not None:
        return UnknownRecordError(file_id, agency)
    return exc


def _describe(value: object) -> str:
    return f"{len(value)} bytes" if isinstance(value, (bytes, bytearray)) else type(value).__name__


class PublishedGroupKeys:
    """The group key hashes the consortium's current members published (``key_hash in keys``).

    What a storage service checks an anonymous upload's group key against (Huang et al. 2020
    §3.4: the cloud verifies a member's signature under its group's public key, one the
    consortium vouches for), so that nobody can upload under a group of its own. The set is
    read from the chain (every member's :meth:`ConsortiumClient.group_key_of`) again whenever
    the chain's head block changed since the last read: a key published, rotated away or of a
    member removed counts from the block that did it, and a stream of unknown keys costs one
    request for the head each, never more reads than there are blocks.

    Args:
        consortium: The consortium's client.
        chain_head: The hash of the chain's latest block (the connected node's, by default).
    """

    def __init__(self, consortium: ConsortiumClient, *, chain_head: Callable[[], bytes] | None = None) -> None:
        self.consortium = consortium
        self._chain_head = chain_head or _latest_block_hash
        self._keys: frozenset[bytes] = frozenset()
        self._read_at: bytes | None = None
        self._lock = threading.Lock()

    def __contains__(self, key_hash: object) -> bool:
        if not isinstance(key_hash, bytes):
            return False
        with self._lock:
            head = self._chain_head()
            if head != self._read_at:
                keys = (self.consortium.group_key_of(member) for member in self.consortium.members())
                self._keys, self._read_at = frozenset(key for key in keys if key is not None), head
            return key_hash in self._keys


def _latest_block_hash() -> bytes:
    from brownie import web3

    return bytes(web3.eth.get_block("latest")["hash"])
