"""The trustees of a confidential ledger: key-share holders who decrypt only together.

Research: Zheng et al., "Scalable and Privacy-Preserving Data Sharing Based on Blockchain",
J. Comput. Sci. Technol. 33(3), 2018, §4.2 and §4.5. The consortium's p trustees each hold one
share of the ledger's threshold Paillier key (:mod:`offchain.crypto.threshold_paillier`). Any t
of them decrypt a balance; none alone can. They:

* **review transfers** (:meth:`TrusteeBoard.review_transfer`; beyond the paper, which trusts
  senders): check the sender's zero-knowledge proof (:mod:`offchain.crypto.transfer_proof`:
  every other account is credited a non-negative amount, the deltas sum to zero) against the
  transfer's on-chain context, then decrypt the sender's new balance and accept only if it is in
  range; t signatures over the verdict settle the transfer on chain. A rejected transfer is
  rolled back and its sender named; three rejections freeze it;
* **review withdrawals**: decrypt the balance a request would leave and approve on chain only
  if it is in range (0 ≤ balance ≤ :data:`MAX_BALANCE_WEI`), else reject; t approvals execute it;
* **audit** accounts (defence in depth): decrypt a balance and, when out of range, report that
  very balance (its hash) on chain; t reports of the same balance freeze the account.

Who learns what. The proof tells the trustees neither the receiver nor the amount (every
credited account is proved the same statement). The t trustees who review a transfer learn the
sender's balance after it (they decrypt it to check solvency), as they learn the balance a
withdrawal leaves; by differencing a sender's successive reviewed balances they learn the net of
what it paid, folded and deposited in between, never to whom it paid. Fewer than t trustees
learn nothing. Guarantees hold while fewer than t trustees are dishonest: t dishonest trustees
can decrypt everything and settle any transfer.

Every partial decryption's proof is checked before anything is decided, and a trustee whose
proof fails is named and passed over (:func:`~offchain.protocols.aggregation.gather_partials`).
:class:`TrusteeBoard` runs the trustees of one process (a demo, tests); in a deployment each
trustee is a process of its own that receives the others' partials over an authenticated
channel and runs the same check before it votes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from offchain.chain.addresses import require_address
from offchain.chain.ledger import (
    ConfidentialLedgerClient,
    TransferState,
    WithdrawalState,
    WithdrawalVote,
    transfer_proof_context,
    verdict_digest,
)
from offchain.chain.signing import sign_digest
from offchain.crypto import threshold_paillier as tp
from offchain.crypto.transfer_proof import TransferProof, TransferProofError, TransferStatement, verify_transfer
from offchain.errors import ChainError, IntegrityError, InvalidInputError
from offchain.protocols.aggregation import DecryptionParty, gather_partials

__all__ = [
    "MAX_BALANCE_WEI",
    "BalanceAudit",
    "LedgerTrustee",
    "SupplyAudit",
    "TransferReview",
    "TrusteeBoard",
    "WithdrawalReview",
]

logger = logging.getLogger(__name__)

#: The largest valid balance: 2^128 − 1 wei (far above all ether there is).
MAX_BALANCE_WEI = (1 << 128) - 1


@dataclass(frozen=True)
class WithdrawalReview:
    """The trustees' decision on a withdrawal request.

    Attributes:
        request_id: The request.
        balance_after_wei: The decrypted balance the request leaves (negative: an overdraft).
        approved: Whether the trustees approved it.
        state: The request's state after the votes.
        votes: The votes cast, in order.
    """

    request_id: int
    balance_after_wei: int
    approved: bool
    state: WithdrawalState
    votes: tuple[WithdrawalVote, ...]


@dataclass(frozen=True)
class TransferReview:
    """The trustees' verdict on a transfer.

    Attributes:
        transfer_id: The transfer.
        accepted: Whether they accepted it.
        reason: Why they rejected it (``None`` when accepted).
        sender_balance_after_wei: The sender's decrypted balance after the transfer, when the
            proof held and they decrypted it (``None`` otherwise).
        state: The transfer's state after the verdict was submitted.
        signers: The trustees whose signatures settled it.
        review_s: Seconds spent checking the proof and decrypting.
    """

    transfer_id: int
    accepted: bool
    reason: str | None
    sender_balance_after_wei: int | None
    state: TransferState
    signers: tuple[str, ...]
    review_s: float


@dataclass(frozen=True)
class BalanceAudit:
    """An audited balance.

    Attributes:
        account: The account.
        balance_wei: Its decrypted balance (signed: residues above n/2 are negative).
        in_range: Whether 0 ≤ balance ≤ :data:`MAX_BALANCE_WEI`.
        frozen: Whether the account is frozen after the audit.
    """

    account: str
    balance_wei: int
    in_range: bool
    frozen: bool


@dataclass(frozen=True)
class SupplyAudit:
    """The ledger's books: the sum of every balance against the ether that backs them.

    Attributes:
        accounts: How many balances were summed.
        balances_wei: Σ balances, decrypted once from the product of every balance ciphertext.
        backing_wei: Ether held by the contract minus ether credited and not yet withdrawn.
        balanced: Whether the two agree (no ether was created or destroyed by a transfer).
    """

    accounts: int
    balances_wei: int
    backing_wei: int
    balanced: bool


class LedgerTrustee(DecryptionParty):
    """One trustee: a named decryption party that also votes on chain.

    Args:
        name: How the others know it (named when its proofs fail).
        account: The Brownie account it votes with (a trustee of the ledger).
        share: Its key share.
    """

    def __init__(self, name: str, account: Any, share: tp.KeyShare) -> None:
        super().__init__(name, share)
        self.account = account
        self.address = require_address(account, "trustee", nonzero=True)

    def sign(self, digest: bytes) -> bytes:
        """This trustee's signature over a verdict digest (:func:`~offchain.chain.signing.sign_digest`)."""
        return sign_digest(self.account, digest)


def signed(residue: int, n: int) -> int:
    """The residue as a signed integer: above n/2 it stands for residue − n."""
    return residue - n if residue > n // 2 else residue


class TrusteeBoard:
    """The ledger's trustees acting together (§4.5).

    Args:
        ledger: The ledger client.
        trustees: The trustees, in the order they are asked; each must be a trustee on chain
            and hold a share of the ledger's key.

    Raises:
        InvalidInputError: A trustee is not one on chain, shares a key index with another, or
            its share is for another key.
    """

    def __init__(self, ledger: ConfidentialLedgerClient, trustees: Sequence[LedgerTrustee]) -> None:
        on_chain = set(ledger.trustees())
        indices = [t.share.index for t in trustees]
        if len(set(indices)) != len(indices):
            raise InvalidInputError("two trustees hold the same key share")
        for trustee in trustees:
            if trustee.address not in on_chain:
                raise InvalidInputError(f"{trustee.name} ({trustee.address}) is not a trustee of the ledger")
            if trustee.share.public_key.n != ledger.modulus:
                raise InvalidInputError(f"{trustee.name}'s key share is not for the ledger's key")
        if not trustees:
            raise InvalidInputError("a trustee board needs trustees")
        self.ledger = ledger
        self.trustees = tuple(trustees)
        self._key = trustees[0].share.public_key

    def _decrypt(self, ciphertext: int) -> tuple[int, tuple[LedgerTrustee, ...]]:
        """The signed plaintext and the t trustees whose partials (proofs checked) gave it."""
        gathered = gather_partials(self._key, [ciphertext], self.trustees)
        residue = tp.combine(self._key, gathered.partials[0])
        return signed(residue, self.ledger.modulus), tuple(t for t in gathered.parties if isinstance(t, LedgerTrustee))

    def decrypt(self, ciphertext: int) -> int:
        """The signed plaintext of ``ciphertext`` (t trustees' partials, every proof checked).

        Raises:
            CheatingPartiesError: Fewer than t trustees returned valid partials; names the cheats.
        """
        return self._decrypt(ciphertext)[0]

    def balance_of(self, account: Any) -> int:
        """The decrypted current balance of ``account``, in wei (signed)."""
        return self.decrypt(self.ledger.balance_ciphertext(account))

    def is_committed_proof(self, transfer_id: int, proof: TransferProof | bytes) -> bool:
        """Whether ``proof`` is the one the sender of ``transfer_id`` committed to on chain (its
        keccak256 is the transfer's ``proofHash``); ``False`` for bytes that are no proof."""
        try:
            given = proof if isinstance(proof, TransferProof) else TransferProof.from_bytes(proof)
        except InvalidInputError:
            return False
        return bool(given.digest() == self.ledger.submitted_transfer(transfer_id).proof_hash)

    def review_transfer(self, transfer_id: int, proof: TransferProof | bytes) -> TransferReview:
        """Check a pending transfer and settle it on chain with t signatures.

        Steps: the proof must be the one the sender committed to (its keccak256 is the on-chain
        ``proofHash``); the context it is checked under is recomputed from the chain (ledger,
        chain, sender, its nonce and previous balance hash, the accounts and the hashes of the
        deltas sent) and must equal the contract's; then the proof is verified; then t trustees
        decrypt the sender's new balance, which must be in [0, :data:`MAX_BALANCE_WEI`]. Any
        failure rejects the transfer (rolled back on chain, sender named and counted as an
        offender); otherwise it is accepted.

        Args:
            transfer_id: The pending transfer.
            proof: Its proof, as the sender handed it over (object or bytes).

        Raises:
            InvalidInputError: The transfer is not pending, or ``proof`` is not a proof.
            IntegrityError: ``proof`` is not the one the sender committed to (nothing is decided:
                whoever handed it over is not the sender, or the sender must send the right one).
            ChainError: The contract's context differs from the one recomputed here.
            CheatingPartiesError: Fewer than t trustees gave valid partial decryptions.
        """
        started = time.perf_counter()
        given = proof if isinstance(proof, TransferProof) else TransferProof.from_bytes(proof)
        record = self.ledger.transfer_of(transfer_id)
        if record.state is not TransferState.PENDING:
            raise InvalidInputError(f"transfer {transfer_id} is {record.state.name.lower()}, not pending")
        submitted = self.ledger.submitted_transfer(transfer_id)
        if given.digest() != submitted.proof_hash:
            raise IntegrityError(f"this is not the proof the sender of transfer {transfer_id} committed to")
        chain_id = self.ledger.chain_id()
        context = transfer_proof_context(
            chain_id=chain_id,
            ledger=self.ledger.address,
            sender=record.sender,
            nonce=self.ledger.transfer_nonce(record.sender) - 1,  # the sender is locked: its latest
            previous_balance_hash=record.previous_balance_hash,
            accounts=submitted.accounts,
            delta_hashes=[keccak(self.ledger.encode(d)) for d in submitted.deltas],
        )
        if context != submitted.proof_context:
            raise ChainError(f"transfer {transfer_id}'s on-chain context differs from the one recomputed")
        statement = TransferStatement(
            self.ledger.modulus, context, submitted.deltas, submitted.accounts.index(record.sender)
        )
        reason: str | None = None
        balance_after: int | None = None
        signers: tuple[LedgerTrustee, ...] = self.trustees[: self.ledger.threshold()]
        try:
            verify_transfer(statement, given)
        except TransferProofError as exc:
            reason = str(exc)
        if reason is None:
            balance_after, signers = self._decrypt(submitted.sender_balance)
            if not 0 <= balance_after <= MAX_BALANCE_WEI:
                reason = f"the sender's balance after it would be {balance_after} wei"
        accept = reason is None
        review_s = time.perf_counter() - started
        digest = verdict_digest(
            chain_id=chain_id, ledger=self.ledger.address, transfer_id=transfer_id, digest=record.digest, accept=accept
        )
        signatures = [trustee.sign(digest) for trustee in signers]
        state = self.ledger.settle_transfer(
            sender=signers[0].account, transfer_id=transfer_id, accept=accept, signatures=signatures
        )
        if accept:
            logger.info("transfer %s verified (sender keeps %s wei)", transfer_id, balance_after)
        else:
            logger.warning("transfer %s from %s rejected: %s", transfer_id, record.sender, reason)
        return TransferReview(
            transfer_id, accept, reason, balance_after, state, tuple(t.address for t in signers), review_s
        )

    def review_withdrawal(self, request_id: int) -> WithdrawalReview:
        """Decrypt the balance a pending request leaves; t trustees approve it if in range,
        else enough reject it.

        Every partial's proof is checked first; a trustee whose proof fails is passed over. A
        trustee who voted on the request already (a board restarted between votes) is skipped.

        Raises:
            InvalidInputError: The request is not pending.
            UnknownWithdrawalError: No request has this id.
        """
        request = self.ledger.withdrawal(request_id)
        if request.state is not WithdrawalState.PENDING:
            raise InvalidInputError(f"withdrawal {request_id} is {request.state.name.lower()}, not pending")
        balance_after, voters = self._decrypt(request.new_ciphertext)
        approve = 0 <= balance_after <= MAX_BALANCE_WEI
        vote = self.ledger.approve_withdrawal if approve else self.ledger.reject_withdrawal
        # t approvals execute; a rejection needs more than p − t votes: the others vote too.
        # Trustees who voted already (a board restarted mid-votes) are skipped: a vote is final.
        order = list(voters) + ([] if approve else [t for t in self.trustees if t not in voters])
        votes: list[WithdrawalVote] = []
        for trustee in order:
            if self.ledger.has_voted(request_id, trustee.address):
                continue
            votes.append(vote(sender=trustee.account, request_id=request_id))
            if votes[-1].state is not WithdrawalState.PENDING:
                break
        state = votes[-1].state if votes else self.ledger.withdrawal(request_id).state
        logger.info("withdrawal %s: balance after %s wei, %s", request_id, balance_after, state.name.lower())
        return WithdrawalReview(request_id, balance_after, approve, state, tuple(votes))

    def audit_supply(self) -> SupplyAudit:
        """Check the books with one threshold decryption: Π (balances · verified unfolded credits)
        = E(Σ), compared with the ether the contract holds for them (held − credited for payout).

        A sender with a pending transfer counts with the balance it had before it (restored if
        the transfer fails); pending credits do not count. A transfer that created value would
        make the sum exceed the backing, though every single balance may be in range.
        """
        accounts = self.ledger.accounts()
        nsquare = self.ledger.modulus**2
        product = 1
        credited = 0
        for account in accounts:
            product = product * self.ledger.settled_holdings(account) % nsquare
            credited += self.ledger.credits(account)
        total = self.decrypt(product) if accounts else 0
        backing = self.ledger.held_wei() - credited
        return SupplyAudit(len(accounts), total, backing, total == backing)

    def audit(self, account: Any) -> BalanceAudit:
        """Decrypt ``account``'s balance; if out of range, t trustees report it (freezing it)."""
        address = require_address(account, "account", nonzero=True)
        ciphertext = self.ledger.balance_ciphertext(address)
        balance, voters = self._decrypt(ciphertext)
        in_range = 0 <= balance <= MAX_BALANCE_WEI
        frozen = self.ledger.frozen(address)
        if not in_range and not frozen:
            decrypted = keccak(self.ledger.encode(ciphertext))  # the report names what was checked
            for trustee in voters:
                frozen = self.ledger.report_out_of_range(
                    sender=trustee.account, account=address, balance_hash=decrypted
                )
            logger.warning("audit: %s holds %s wei, out of range; frozen: %s", address, balance, frozen)
        return BalanceAudit(address, balance, in_range, frozen)
