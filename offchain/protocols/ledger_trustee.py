"""The trustees of a confidential ledger: key-share holders who decrypt only together.

Research: Zheng et al., "Scalable and Privacy-Preserving Data Sharing Based on Blockchain",
J. Comput. Sci. Technol. 33(3), 2018, §4.2 and §4.5. The consortium's p trustees each hold one
share of the ledger's threshold Paillier key (:mod:`offchain.crypto.threshold_paillier`). Any t
of them decrypt a balance; none alone can. They:

* **review withdrawals**: decrypt the balance a request would leave and approve on chain only
  if it is in range (0 ≤ balance ≤ :data:`MAX_BALANCE_WEI`), else reject; t approvals execute it;
* **audit** accounts (the check the semi-honest model lacks, see
  :mod:`offchain.protocols.ledger_account`): decrypt a balance and, when out of range, report
  it on chain; t reports of the same balance freeze the account.

Every trustee that votes checks every partial decryption's proof itself before voting, so a
trustee's vote never rests on another's word. :class:`TrusteeBoard` runs the trustees of one
process (a demo, tests, or a deployment where each trustee is a process of its own that exchanges
partial decryptions over an authenticated channel).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from offchain.chain.contracts import require_address
from offchain.chain.ledger import ConfidentialLedgerClient, WithdrawalState, WithdrawalVote
from offchain.crypto import threshold_paillier as tp
from offchain.errors import InvalidInputError
from offchain.protocols.aggregation import CheatingPartiesError

__all__ = ["MAX_BALANCE_WEI", "BalanceAudit", "LedgerTrustee", "SupplyAudit", "TrusteeBoard", "WithdrawalReview"]

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


class LedgerTrustee:
    """One trustee: a named account holding one key share.

    Args:
        name: How the others know it (named when its proofs fail).
        account: The Brownie account it votes with (a trustee of the ledger).
        share: Its key share.
    """

    def __init__(self, name: str, account: Any, share: tp.KeyShare) -> None:
        if not name:
            raise InvalidInputError("a trustee needs a name")
        self.name = name
        self.account = account
        self.address = require_address(account, "trustee", nonzero=True)
        self.share = share

    def partial_decrypt(self, ciphertext: int) -> tp.PartialDecryption:
        """Its partial decryption of ``ciphertext``, with the proof."""
        return tp.partial_decrypt(self.share, ciphertext)

    def decrypt_with(self, ciphertext: int, partials: Sequence[tp.PartialDecryption]) -> int:
        """Check every partial's proof itself and combine: the plaintext residue."""
        return tp.threshold_decrypt(self.share.public_key, ciphertext, partials)


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
        self.ledger = ledger
        self.trustees = tuple(trustees)
        self.public_key = trustees[0].share.public_key if trustees else None
        self.threshold = ledger.threshold()

    def _partials(self, ciphertext: int) -> tuple[list[tp.PartialDecryption], list[LedgerTrustee]]:
        """Partials from the first trustees whose proofs verify, until t; the voters are those."""
        accepted: list[tp.PartialDecryption] = []
        voters: list[LedgerTrustee] = []
        rejected: list[str] = []
        assert self.public_key is not None
        table = tp.proof_table(self.public_key, ciphertext)
        for trustee in self.trustees:
            if len(accepted) == self.threshold:
                break
            partial = trustee.partial_decrypt(ciphertext)
            try:
                tp.verify_partial(self.public_key, ciphertext, partial, table=table)
            except tp.InvalidPartialError:
                logger.warning("partial decryption from trustee %s rejected", trustee.name)
                rejected.append(trustee.name)
                continue
            accepted.append(partial)
            voters.append(trustee)
        if len(accepted) < self.threshold:
            raise CheatingPartiesError(
                rejected, f"only {len(accepted)} of the {self.threshold} valid partial decryptions needed"
            )
        return accepted, voters

    def decrypt(self, ciphertext: int) -> int:
        """The signed plaintext of ``ciphertext`` (t trustees' partials, every proof checked)."""
        partials, voters = self._partials(ciphertext)
        return signed(voters[0].decrypt_with(ciphertext, partials), self.ledger.modulus)

    def balance_of(self, account: Any) -> int:
        """The decrypted current balance of ``account``, in wei (signed)."""
        return self.decrypt(self.ledger.balance_ciphertext(account))

    def review_withdrawal(self, request_id: int) -> WithdrawalReview:
        """Decrypt the balance a pending request leaves; t trustees approve it if in range,
        else enough reject it.

        Each voter checks every partial itself (:meth:`LedgerTrustee.decrypt_with`) before voting.

        Raises:
            InvalidInputError: The request is not pending.
            UnknownWithdrawalError: No request has this id.
        """
        request = self.ledger.withdrawal(request_id)
        if request.state is not WithdrawalState.PENDING:
            raise InvalidInputError(f"withdrawal {request_id} is {request.state.name.lower()}, not pending")
        partials, voters = self._partials(request.new_ciphertext)
        votes = []
        balance_after = 0
        approve = False
        for trustee in voters:
            balance_after = signed(trustee.decrypt_with(request.new_ciphertext, partials), self.ledger.modulus)
            approve = 0 <= balance_after <= MAX_BALANCE_WEI
            vote = (self.ledger.approve_withdrawal if approve else self.ledger.reject_withdrawal)(
                sender=trustee.account, request_id=request_id
            )
            votes.append(vote)
            if vote.state is not WithdrawalState.PENDING:
                break
        if not approve:  # rejections must exceed p − t: ask the remaining trustees too
            for trustee in self.trustees:
                if votes and votes[-1].state is not WithdrawalState.PENDING:
                    break
                if trustee in voters:
                    continue
                trustee.decrypt_with(request.new_ciphertext, partials)
                votes.append(self.ledger.reject_withdrawal(sender=trustee.account, request_id=request_id))
        state = votes[-1].state if votes else WithdrawalState.PENDING
        logger.info("withdrawal %s: balance after %s wei, %s", request_id, balance_after, state.name.lower())
        return WithdrawalReview(request_id, balance_after, approve, state, tuple(votes))

    def audit_supply(self) -> SupplyAudit:
        """Check the books with one threshold decryption: Π balances = E(Σ balances), compared
        with the ether the contract holds for them (held − credited).

        A transfer whose sender did not debit itself, or paid a decoy, creates unbacked
        balance: the sum then exceeds the backing, though every single balance may be in range.
        """
        accounts = self.ledger.accounts()
        nsquare = self.ledger.modulus**2
        product = 1
        credited = 0
        for account in accounts:
            product = product * self.ledger.balance_ciphertext(account) % nsquare
            credited += self.ledger.credits(account)
        total = self.decrypt(product) if accounts else 0
        backing = self.ledger.held_wei() - credited
        return SupplyAudit(len(accounts), total, backing, total == backing)

    def audit(self, account: Any) -> BalanceAudit:
        """Decrypt ``account``'s balance; if out of range, t trustees report it (freezing it)."""
        address = require_address(account, "account", nonzero=True)
        ciphertext = self.ledger.balance_ciphertext(address)
        partials, voters = self._partials(ciphertext)
        balance = signed(voters[0].decrypt_with(ciphertext, partials), self.ledger.modulus)
        in_range = 0 <= balance <= MAX_BALANCE_WEI
        frozen = self.ledger.frozen(address)
        if not in_range and not frozen:
            for trustee in voters:
                trustee.decrypt_with(ciphertext, partials)
                frozen = self.ledger.report_out_of_range(sender=trustee.account, account=address)
            logger.warning("audit: %s holds %s wei, out of range; frozen: %s", address, balance, frozen)
        return BalanceAudit(address, balance, in_range, frozen)
