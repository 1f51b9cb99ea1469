"""An agency of the consortium: group manager of its users, record keeper, voter, and opener.

Research: Huang, Chen, Wang, "Blockchain-based multiple groups data sharing with anonymity and
traceability", Sci China Inf Sci 2020, §3.3–3.5. Each agency (university, hospital, bank)
manages an ACJT group (:mod:`offchain.crypto.group_signature`); its users upload anonymously
(:mod:`offchain.protocols.group_member`); the agency checks each upload (the group signature on
H(R) and the Merkle tree rebuilt from the stored blocks) and records it in the ``Consortium``
contract from its own account, never the user's. A signer is revealed only after ⌈2n/3⌉ of the n
agencies approve a trace request on chain; :meth:`Agency.open_trace` refuses otherwise. The
opening goes on chain with a proof anyone can check (:func:`check_published_opening`): the
Chaum–Pedersen proof that the certificate is the signer's, the equation A^e = ±C2·a0 that ties
the certificate to the member's join commitment C2, and the user's own join receipt over C2
that ties the commitment to the user's address.

Every member is traceable: the agency admits an identity (:meth:`Agency.admit`), certifies a
join only together with that identity's receipt over (group, join id, C2)
(:meth:`Agency.certify`), and records an upload only if the signature's certificate is one it
listed with a receipt (:meth:`Agency.accept_upload`). Before these rules, a member who never
sent its receipt held a valid certificate, uploaded, and could not be named after an approved trace.

The member list (certificate → user, join id, C2, e, receipt) lives with the agency: in memory
by default (export it with :meth:`Agency.members_json`; it holds no secret, but it does
de-anonymise), or in a database with ``state=`` (:class:`~offchain.protocols.agency_state.AgencyState`,
issue 17), together with the admissions, the joins in flight, the stocked certificate primes,
the uploads' group signatures and the ballots, so that a new ``Agency`` on the same database
continues where the last one stopped. The manager key never goes there: keep it in the
encrypted keystore (:mod:`offchain.keystore`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gmpy2 import mpz

from offchain.chain.addresses import AddressLike, require_address, require_signer
from offchain.chain.consortium import Ballot, BallotKind, BallotStatus, ConsortiumClient, ConsortiumRecord, TraceOpening
from offchain.chain.contracts import MAX_UINT256, require_uint
from offchain.crypto import group_signature as gs
from offchain.crypto.hashing import keccak256
from offchain.crypto.merkle import MerkleTree
from offchain.errors import AccessDeniedError, IntegrityError, InvalidInputError, VerificationError
from offchain.protocols.agency_state import AgencyState, BallotRecord, JoinInFlight, MemberRecord, UploadRecord
from offchain.protocols.cloud_server import AuditResponse
from offchain.protocols.group_member import GroupUpload, JoinReceipt, recover_receipt_signer, upload_message
from offchain.protocols.storage_api import FileStore
from offchain.validation import parse_json

__all__ = ["Agency", "PublishedOpening", "check_published_opening", "reason_hash"]

logger = logging.getLogger(__name__)

_OPENING_FORMAT = "datashare/trace-opening/v2"


@dataclass(frozen=True)
class _Member:
    """A listed member: its receipt (user, join id, C2, signature) and certificate exponent e."""

    receipt: JoinReceipt
    e: int


def reason_hash(reason: str) -> bytes:
    """keccak256 of a trace request's reason text (the text itself stays off chain)."""
    if not reason.strip():
        raise InvalidInputError("a trace request needs a reason")
    return keccak256(reason.encode())


@dataclass(frozen=True)
class PublishedOpening:
    """The public result of a trace, as published on chain and checked by anyone.

    Attributes:
        ballot_id: The approved trace request.
        file_id: The traced record.
        signer: The user's address, from its join receipt.
        opening: The certificate and the Chaum–Pedersen proof.
        receipt: The user's join receipt signature.
        join_id: The user's join id (signed in the receipt).
        c2: The user's join commitment C2 (signed in the receipt; A^e = ±C2·a0).
        e: The certificate's exponent.
    """

    ballot_id: int
    file_id: bytes
    signer: str
    opening: gs.Opening
    receipt: bytes
    join_id: bytes
    c2: int
    e: int

    def to_bytes(self) -> bytes:
        """The bytes published on chain: canonical JSON."""
        data = {
            "format": _OPENING_FORMAT,
            "ballot_id": self.ballot_id,
            "file_id": "0x" + self.file_id.hex(),
            "signer": self.signer,
            "opening": parse_json(self.opening.to_json()),
            "receipt": "0x" + self.receipt.hex(),
            "join_id": "0x" + self.join_id.hex(),
            "c2": hex(self.c2),
            "e": hex(self.e),
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> PublishedOpening:
        """Parse :meth:`to_bytes` output.

        Raises:
            InvalidInputError: if the bytes are not a published opening.
        """
        try:
            obj = parse_json(data)
            if obj["format"] != _OPENING_FORMAT:
                raise ValueError(f"format {obj['format']!r}")
            return cls(
                ballot_id=int(obj["ballot_id"]),
                file_id=bytes.fromhex(obj["file_id"][2:]),
                signer=str(obj["signer"]),
                opening=gs.Opening.from_json(json.dumps(obj["opening"])),
                receipt=bytes.fromhex(obj["receipt"][2:]),
                join_id=bytes.fromhex(obj["join_id"][2:]),
                c2=int(obj["c2"], 16),
                e=int(obj["e"], 16),
            )
        except (ValueError, KeyError, TypeError, OverflowError) as exc:  # OverflowError: int(inf)
            raise InvalidInputError(f"not a published trace opening: {exc}") from None


def check_published_opening(
    consortium: ConsortiumClient, ballot_id: int, group: gs.GroupPublicKey, signature: gs.GroupSignature
) -> str:
    """Check a trace opening published on chain; return the revealed signer's address.

    Anyone can run this. It checks that the trace was approved; that ``group`` is the key the
    record was made under, with a checkable setup (its bases hashed from its seed, its proof
    about n), and ``signature`` the recorded one; the opening proof (the
    certificate is the signer's); that the certificate satisfies A^e = ±C2·a0 for the
    published join commitment C2 and exponent e ∈ Γ; and the join receipt (the named user
    signed that C2 in its join).

    Raises:
        InvalidInputError: if ``group`` is not a group public key or ``signature`` not a group signature.
        VerificationError: if any check fails.
    """
    if not isinstance(group, gs.GroupPublicKey) or not isinstance(signature, gs.GroupSignature):
        raise InvalidInputError(
            f"a trace opening is checked for a GroupPublicKey and a GroupSignature, got "
            f"{type(group).__name__} and {type(signature).__name__}"
        )
    ballot = consortium.get_ballot(ballot_id)
    if (
        ballot.kind != BallotKind.TRACE
        or ballot.status != BallotStatus.APPROVED
        or ballot.file_id is None
        or ballot.record_agency is None
    ):
        raise VerificationError(f"ballot {ballot_id} is not an approved trace request")
    published = consortium.get_opening(ballot_id)
    record = consortium.get_record(ballot.record_agency, ballot.file_id)
    if record.group_key_hash != group.fingerprint():
        raise VerificationError("the group key given is not the one the record was made under")
    gs.check_group_setup(group)  # a manager who chose related bases could frame the signer
    if record.signature_hash != signature.digest():
        raise VerificationError("the signature given is not the recorded one")
    opened = PublishedOpening.from_bytes(published.opening)
    if opened.ballot_id != ballot_id or opened.file_id != ballot.file_id or opened.signer != published.signer:
        raise VerificationError("the published opening names another trace, record or signer")
    message = _record_message(record)
    if not gs.verify_opening(group, message, signature, opened.opening):
        raise VerificationError("the opening proof does not show that the certificate is the signer's")
    if not gs.certificate_matches_commitment(group, opened.opening.certificate, opened.e, opened.c2):
        raise VerificationError("the opened certificate does not satisfy A^e = C2·a0 for the published commitment")
    if recover_receipt_signer(group, opened.join_id, opened.c2, opened.receipt) != opened.signer:
        raise VerificationError("the join receipt was not signed by the named signer")
    return opened.signer


def _record_message(record: ConsortiumRecord) -> bytes:
    return upload_message(record.file_id, record.merkle_root, record.block_count)


class Agency:
    """An agency: its group manager key, its chain account, and the consortium it belongs to.

    Args:
        name: Display name (hospital, bank, …).
        manager_key: The agency's ACJT manager key.
        account: The signer the agency submits, votes and opens from (a Brownie account or an
            ``eth_account`` key, see :func:`~offchain.chain.addresses.require_signer`).
        consortium: Client of the ``Consortium`` contract.
        state: Where the agency's records persist (see :mod:`offchain.protocols.agency_state`);
            ``None`` keeps them in memory only. A new agency on a database continues its joins,
            and traces the uploads it recorded.

    Raises:
        StateSchemaError: if ``state`` is the database of another agency or group.
    """

    def __init__(
        self,
        name: str,
        manager_key: gs.GroupManagerKey,
        account: Any,
        consortium: ConsortiumClient,
        *,
        state: AgencyState | None = None,
    ) -> None:
        self.name = name
        self.manager = gs.GroupManager(manager_key)
        self.account = require_signer(account, "account")
        self.consortium = consortium
        self.state = state
        self._admitted: set[str] = set()
        self._joins: dict[bytes, str] = {}  # join id -> the admitted identity running it
        self._members: dict[int, _Member] = {}  # canonical certificate -> member
        self._signatures: dict[bytes, gs.GroupSignature] = {}
        if state is not None:
            self._load(state)

    def _load(self, state: AgencyState) -> None:
        """Take up the records of ``state`` (after a restart)."""
        state.bind(self.public.fingerprint(), self.address)
        self._admitted.update(state.admitted())
        for join in state.joins():
            request = gs.join_message_from_json(join.request, gs.JoinRequest)
            challenge = gs.join_message_from_json(join.challenge, gs.JoinChallenge)
            self.manager.resume_join(request, challenge)
            self._joins[join.join_id] = join.identity
        members = state.members()
        for m in members:
            self._members[m.certificate] = _Member(JoinReceipt(m.user, m.join_id, m.c2, m.receipt), m.e)
        self.manager.mark_issued([m.e for m in members])
        primes = state.primes()
        if primes:
            self.manager.add_primes([mpz(e) for e in primes])
        logger.info(
            "%s: %d members, %d joins in flight, %d primes stocked, from %s",
            self.name,
            len(members),
            len(self._joins),
            len(primes),
            state.url,
        )

    @property
    def public(self) -> gs.GroupPublicKey:
        """The group public key users sign for."""
        return self.manager.public

    @property
    def address(self) -> str:
        """The agency's account address."""
        return str(self.account.address)

    def publish_group_key(self) -> None:
        """Check the group key's setup, then put its fingerprint and seed on chain, so records name
        the key they were made under and anyone can re-derive its bases.

        Raises:
            VerificationError: if the key's bases are not those of its seed or its proof about n
                fails (:func:`~offchain.crypto.group_signature.check_group_setup`).
        """
        gs.check_group_setup(self.public)
        self.consortium.set_group_key(sender=self.account, key_hash=self.public.fingerprint(), seed=self.public.seed)

    # ---- join (Algorithm 1) ----------------------------------------------------------------

    def admit(self, user: AddressLike) -> None:
        """Admit the identity ``user`` (an Ethereum address, checked out of band) to one join.

        Raises:
            InvalidInputError: if ``user`` is not an address.
        """
        identity = require_address(user, "user", nonzero=True)
        if self.state is not None:
            self.state.admit(identity)
        self._admitted.add(identity)

    def stock_primes(self, count: int, *, on_prime: Callable[[int], None] | None = None) -> None:
        """Search ``count`` certificate primes ahead of the joins (the join's slowest step) and
        keep them (in the state too, if any).

        Args:
            count: Primes to search.
            on_prime: Called with the number found so far after each (a progress bar).
        """
        for found in range(1, count + 1):
            (e,) = gs.certificate_primes(self.public.params, 1)
            self.add_primes([e])
            if on_prime is not None:
                on_prime(found)

    def add_primes(self, primes: list[Any]) -> None:
        """Add certificate primes searched elsewhere (:func:`~offchain.crypto.group_signature.certificate_primes`).

        Raises:
            InvalidInputError: if one is not a prime in Γ.
        """
        self.manager.add_primes(primes)
        if self.state is not None:
            self.state.stock_primes(int(e) for e in primes)

    def challenge_join(self, request: gs.JoinRequest, user: AddressLike) -> gs.JoinChallenge:
        """Join step 2 (see :meth:`GroupManager.challenge`) for the admitted identity ``user``.

        Raises:
            AccessDeniedError: if ``user`` was not admitted (or its admission was used).
        """
        identity = require_address(user, "user")
        if identity not in self._admitted:
            raise AccessDeniedError(f"{self.name} did not admit {identity} to join")
        challenge = self.manager.challenge(request)
        if self.state is not None:
            self.state.start_join(
                JoinInFlight(
                    request.join_id, identity, gs.join_message_to_json(request), gs.join_message_to_json(challenge)
                )
            )
        self._joins[request.join_id] = identity
        return challenge

    def certify(self, response: gs.JoinResponse, receipt: JoinReceipt) -> gs.MembershipCertificate:
        """Join step 4: issue the certificate, only with the admitted user's receipt, and list the member.

        The receipt must be the identity admitted for this join, signing (group, join id, C2)
        of this very response; only then is the certificate issued (A = (C2·a0)^{1/e}).

        Raises:
            InvalidInputError: if ``response`` or ``receipt`` is malformed, or no join with this id
                was challenged.
            AccessDeniedError: if the receipt names another identity than the one admitted.
            VerificationError: if the receipt is for another join or commitment, or not signed
                by the identity it names; or the response's proof fails.
        """
        if not isinstance(response, gs.JoinResponse) or not isinstance(response.join_id, bytes):
            raise InvalidInputError(f"expected a JoinResponse, got {type(response).__name__}")
        if not isinstance(receipt, JoinReceipt) or not isinstance(receipt.user, str):
            raise InvalidInputError(f"expected a JoinReceipt naming its user, got {type(receipt).__name__}")
        identity = self._joins.pop(response.join_id, None)
        if identity is None:
            raise InvalidInputError("no join with this id was challenged (challenge_join first)")
        if identity not in self._admitted:  # two joins started on one admission: the first one won
            raise AccessDeniedError(f"the admission of {identity} to {self.name} was used by another join")
        if receipt.user.lower() != identity.lower():
            raise AccessDeniedError(f"the join receipt names {receipt.user}; {self.name} admitted {identity}")
        if receipt.join_id != response.join_id or receipt.c2 != int(response.c2):
            raise VerificationError("the join receipt is for another join or commitment C2")
        if receipt.signer(self.public) != identity:
            raise VerificationError("the join receipt is not signed by the user it names")
        certificate = self.manager.certify(response)
        canonical = int(gs.canonical_certificate(certificate.a_cert, self.public.n))
        if self.state is not None:  # listed for good before the certificate is handed out
            self.state.certify(
                MemberRecord(
                    canonical,
                    identity,
                    receipt.join_id,
                    receipt.c2,
                    int(certificate.e),
                    int(certificate.a_cert),
                    receipt.signature,
                )
            )
        self._members[canonical] = _Member(receipt, int(certificate.e))
        self._admitted.discard(identity)  # one admission, one join
        return certificate

    @property
    def member_count(self) -> int:
        """Members listed (each with its receipt)."""
        return len(self._members)

    def members_json(self) -> str:
        """The member list (certificate → user, join id, C2, e and receipt) as JSON, for safekeeping."""
        return json.dumps(
            {
                hex(c): {
                    "user": m.receipt.user,
                    "join_id": "0x" + m.receipt.join_id.hex(),
                    "c2": hex(m.receipt.c2),
                    "e": hex(m.e),
                    "receipt": "0x" + m.receipt.signature.hex(),
                }
                for c, m in self._members.items()
            },
            sort_keys=True,
            indent=1,
        )

    # ---- uploads (§3.4) --------------------------------------------------------------------

    def accept_upload(self, upload: GroupUpload, server: FileStore) -> ConsortiumRecord:
        """Check a member's upload and record it on chain from the agency's account.

        Checks, in order: the upload is for this group; the group signature on
        H(R) || file id || block count verifies; the signer's certificate is one this agency
        listed with a join receipt (so that an approved trace can name the signer); the Merkle
        tree rebuilt from the blocks the server holds has root H(R). Only then is the record
        submitted.

        Raises:
            InvalidInputError: if ``upload`` is not a well-formed :class:`GroupUpload`.
            VerificationError: if the signature does not verify for this group.
            AccessDeniedError: if the signer's certificate has no join receipt with this agency.
            IntegrityError: if the server's answer is not blocks, or the stored blocks do not
                rebuild to the signed root.
        """
        if not isinstance(upload, GroupUpload):
            raise InvalidInputError(f"expected a GroupUpload, got {type(upload).__name__}")
        block_size = require_uint(upload.block_size, "block size", low=1, high=MAX_UINT256)
        if upload.group != self.public.fingerprint():
            raise VerificationError("the upload is signed for another group")
        if not gs.verify(self.public, upload.message, upload.signature):
            raise VerificationError(f"the group signature of upload 0x{upload.file_id.hex()} does not verify")
        if int(gs.signer_certificate(self.manager.key, upload.signature)) not in self._members:
            raise AccessDeniedError(
                f"upload 0x{upload.file_id.hex()} refused: its signer's certificate has no receipt with {self.name}"
            )
        answers = server.answer_challenge(upload.file_id, tuple(range(upload.block_count)))
        if not isinstance(answers, list | tuple) or not all(
            isinstance(answer, AuditResponse) and isinstance(answer.block, bytes | bytearray) for answer in answers
        ):
            raise IntegrityError("the server did not answer the agency's challenge with blocks")
        if any(len(answer.block) > block_size for answer in answers):
            raise IntegrityError("a stored block is larger than the upload's block size")
        rebuilt = MerkleTree.from_blocks(answer.block for answer in answers)
        if rebuilt.root != upload.merkle_root:
            raise IntegrityError("the blocks on the server do not rebuild to the signed Merkle root")
        if self.state is not None:  # the signature kept before the record exists, so it can be traced
            self.state.begin_upload(
                UploadRecord(
                    upload.file_id,
                    upload.signature.to_bytes(),
                    upload.merkle_root,
                    upload.block_count,
                    block_size,
                    upload.locator,
                )
            )
        try:
            record = self.consortium.submit_record(
                sender=self.account,
                file_id=upload.file_id,
                merkle_root=upload.merkle_root,
                block_count=upload.block_count,
                signature_hash=upload.signature.digest(),
            )
        except Exception:
            if self.state is not None:
                self.state.abandon_upload(upload.file_id)
            raise
        if self.state is not None:
            self.state.finish_upload(upload.file_id, str(record.tx_hash))
        self._signatures[upload.file_id] = upload.signature
        logger.info("%s recorded anonymous upload 0x%s", self.name, upload.file_id.hex())
        return record

    def signature_of(self, file_id: bytes) -> gs.GroupSignature:
        """The group signature of a recorded upload (published with the file; its hash is on chain)."""
        if file_id not in self._signatures and self.state is not None:
            held = self.state.upload(file_id)
            if held is not None:
                self._signatures[file_id] = gs.GroupSignature.from_bytes(held.signature)
        try:
            return self._signatures[file_id]
        except KeyError:
            raise InvalidInputError(f"{self.name} recorded no upload 0x{file_id.hex()}") from None

    # ---- traces (§3.5) ---------------------------------------------------------------------

    def request_trace(self, record_agency: str, file_id: bytes, reason: str) -> Ballot:
        """Ask the consortium to trace the signer of record (``record_agency``, ``file_id``)
        (the request counts as our vote)."""
        ballot = self.consortium.request_trace(
            sender=self.account, agency=record_agency, file_id=file_id, reason_hash=reason_hash(reason)
        )
        self._keep_ballot(BallotRecord(ballot.ballot_id, "requested", file_id, True, reason, ballot.tx_hash))
        return ballot

    def vote(self, ballot_id: int, *, support: bool = True) -> Ballot:
        """Vote on a ballot (trace, admission or removal)."""
        ballot = self.consortium.vote(sender=self.account, ballot_id=ballot_id, support=support)
        self._keep_ballot(BallotRecord(ballot_id, "voted", ballot.file_id, support, "", ballot.tx_hash))
        return ballot

    def _keep_ballot(self, record: BallotRecord) -> None:
        if self.state is not None:
            self.state.record_ballot(record)

    def open_trace(self, ballot_id: int) -> PublishedOpening:
        """Open the signer of a traced record and publish the result with its proofs.

        Refuses unless the chain shows the trace approved by ⌈2n/3⌉ agencies, the record is
        this agency's, and the signature held is the recorded one.

        Raises:
            AccessDeniedError: if the trace is not approved on chain, or not this agency's.
            IntegrityError: if the signature held does not match the record.
            VerificationError: if the certificate opened belongs to no listed member, or does not
                satisfy A^e = C2·a0 for the listed member's commitment.
        """
        ballot = self.consortium.get_ballot(ballot_id)
        if ballot.kind != BallotKind.TRACE or ballot.file_id is None:
            raise InvalidInputError(f"ballot {ballot_id} is not a trace request")
        if ballot.status != BallotStatus.APPROVED:
            quorum = self.consortium.quorum()
            raise AccessDeniedError(
                f"trace {ballot_id} is {ballot.status.name.lower()} on chain "
                f"({ballot.approvals} approvals of the {quorum} needed): refusing to open"
            )
        if ballot.record_agency is None or ballot.record_agency.lower() != self.address.lower():
            raise AccessDeniedError(f"record 0x{ballot.file_id.hex()} was submitted by another agency")
        record = self.consortium.get_record(self.address, ballot.file_id)
        signature = self.signature_of(ballot.file_id)
        if signature.digest() != record.signature_hash:
            raise IntegrityError("the signature held is not the one recorded on chain")
        # verified: accept_upload kept this signature only after it verified for the very fields
        # now on chain, and its digest was just matched against the record.
        opening = gs.open_signature(self.manager.key, _record_message(record), signature, verified=True)
        member = self._members.get(int(opening.certificate))
        if member is None:
            raise VerificationError("the signer's certificate belongs to no listed member")
        receipt = member.receipt
        if not gs.certificate_matches_commitment(self.public, opening.certificate, member.e, receipt.c2):
            raise VerificationError(
                f"the opened certificate does not satisfy A^e = C2·a0 for the commitment of member {receipt.user}"
            )
        published = PublishedOpening(
            ballot_id, ballot.file_id, receipt.user, opening, receipt.signature, receipt.join_id, receipt.c2, member.e
        )
        result: TraceOpening = self.consortium.publish_opening(
            sender=self.account, ballot_id=ballot_id, signer=receipt.user, opening=published.to_bytes()
        )
        self._keep_ballot(BallotRecord(ballot_id, "opened", ballot.file_id, True, receipt.user, result.tx_hash))
        logger.info("%s opened trace %d: signer %s (tx %s)", self.name, ballot_id, receipt.user, result.tx_hash)
        return published
