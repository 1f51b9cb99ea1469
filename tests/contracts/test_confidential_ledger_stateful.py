"""ConfidentialLedger under random deposits, transfers with random anonymity sets and amounts,
withdrawal requests, trustee votes, cancellations and withdrawals, at a 1024-bit key.

The clients are honest (a transfer's deltas are E(amount), E(−amount) and encryptions of zero),
and so are the trustees: they decrypt a request's new balance and approve it when it is
non-negative, reject it otherwise (requests may ask for more than the balance). A Python model
keeps every account's plaintext balance, credit and lock; each rule predicts the contract's answer
(a refusal with its exact custom error, or the new state) and checks it. After every step that
changed the ledger the invariant checks that every account's latest ciphertext (taken from the
events) hashes to its ``balanceHash`` and decrypts to the model's balance, and that the ledger
holds exactly Σ balances + Σ credits in ether.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import partial

import brownie
from brownie.test import strategy
from hypothesis import HealthCheck

from tests.contracts.ledger_support import (
    BalanceBook,
    decoy_addresses,
    encode,
    honest_deltas,
    keypair,
    modulus_of,
    plaintext,
)
from tests.helpers import custom_error, run_state_machine

SETTINGS = {
    "max_examples": 20,
    "derandomize": True,
    "stateful_step_count": 20,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
}
KEY_BITS = 1024
THRESHOLD = 2  # of three trustees
MAX_DECOYS = 4
#: What three of the four holders deposit before the chain's snapshot, so that every example
#: starts with funded accounts.
INITIAL_DEPOSITS_WEI = (10**18, 3 * 10**17, 10**16)


@dataclass
class ModelRequest:
    account: str
    amount_wei: int
    approve: bool  # what honest trustees vote: the new balance decrypts to a non-negative value
    voters: set[str] = field(default_factory=set)
    approvals: int = 0
    rejections: int = 0


def pick(index: int, preferred: list, everyone: list):
    """Seven times in eight one of ``preferred`` (if any), else anyone: mostly valid actions, some refused."""
    if preferred and index % 8:
        return preferred[index % len(preferred)]
    return everyone[index % len(everyone)]


class LedgerStateMachine:
    st_index = strategy("uint8")
    st_mask = strategy("uint8")
    st_amount = strategy("uint64", max_value=10**18)
    st_votes = strategy("uint8", min_value=1, max_value=2)

    def __init__(cls, ledger, public_key, private_key, holders, trustees, decoys, book, deposits):
        cls.ledger, cls.public_key, cls.private_key = ledger, public_key, private_key
        cls.holders = [h.address for h in holders]  # accounts that sign
        cls.signers = {h.address: h for h in holders}
        cls.trustees = [t.address for t in trustees]
        cls.everyone = [*cls.holders, *decoys]
        cls.ciphertext_bytes = ledger.ciphertextBytes()
        cls.initial_book, cls.initial_balances = book, {**dict.fromkeys(cls.everyone, 0), **deposits}

    def setup(self):
        """Every example starts from the deposits made before the chain's snapshot."""
        self.book = copy.deepcopy(self.initial_book)
        self.balances = dict(self.initial_balances)
        self.credits = dict.fromkeys(self.holders, 0)
        self.requests: dict[int, ModelRequest] = {}
        self.locks: dict[str, int] = {}  # account -> pending request
        self.changed = True

    # --- helpers ------------------------------------------------------------------------------

    def refused(self, transaction, error: str, *args) -> None:
        with brownie.reverts(custom_error(error, *args)):
            transaction()

    def send(self, transaction):
        self.changed = True
        tx = transaction()
        self.book.record(tx)
        return tx

    def unlocked(self, index: int, funded: bool = False) -> str:
        preferred = [h for h in self.holders if h not in self.locks and (self.balances[h] > 0 or not funded)]
        return pick(index, preferred, self.holders)

    # --- rules --------------------------------------------------------------------------------

    def rule_deposit(self, who="st_index", amount="st_amount"):
        account = self.unlocked(who)
        amount_wei = amount + 1
        transaction = partial(
            self.ledger.deposit, self.book.encoded(account), {"from": self.signers[account], "value": amount_wei}
        )
        if account in self.locks:
            self.refused(transaction, "ConfidentialLedgerAccountLocked", account, self.locks[account])
            return
        assert self.send(transaction).events["Deposited"]["amountWei"] == amount_wei
        self.balances[account] += amount_wei

    def rule_transfer(self, who="st_index", to="st_index", mask="st_mask", amount="st_amount"):
        sender = self.unlocked(who)
        others = [a for a in self.everyone if a != sender]
        receiver = others[to % len(others)]
        avoid_locked = mask < 224  # honest clients skip locked decoys; one time in eight they do not
        pool = [a for a in others if a != receiver and not (avoid_locked and a in self.locks)]
        decoys = [a for i, a in enumerate(pool) if mask >> i & 1][:MAX_DECOYS]
        accounts = [sender, receiver, *decoys]
        shift = who % len(accounts)  # the sender anywhere in the set
        accounts = accounts[shift:] + accounts[:shift]
        amount_wei = amount % (self.balances[sender] + 1)  # honest: never more than the balance
        deltas = honest_deltas(self.public_key, accounts, sender, receiver, amount_wei)
        transaction = partial(
            self.ledger.transfer,
            accounts,
            [self.book.encoded(a) for a in accounts],
            [encode(d, self.ciphertext_bytes) for d in deltas],
            {"from": self.signers[sender]},
        )
        locked = [a for a in accounts if a in self.locks]
        if locked:
            self.refused(transaction, "ConfidentialLedgerAccountLocked", locked[0], self.locks[locked[0]])
            return
        tx = self.send(transaction)
        assert [e["account"] for e in tx.events["BalanceUpdated"]] == accounts
        self.balances[sender] -= amount_wei
        self.balances[receiver] += amount_wei

    def rule_request_withdrawal(self, who="st_index", amount="st_amount"):
        account = self.unlocked(who, funded=True)
        balance = self.balances[account]
        amount_wei = 1 + amount % (balance + balance // 4 + 1)  # now and then more than the balance
        transaction = partial(
            self.ledger.requestWithdrawal,
            self.book.encoded(account),
            amount_wei,
            {"from": self.signers[account]},
        )
        if account in self.locks:
            self.refused(transaction, "ConfidentialLedgerAccountLocked", account, self.locks[account])
            return
        event = self.send(transaction).events["WithdrawalRequested"]
        request_id = len(self.requests) + 1
        assert (event["requestId"], event["account"], event["amountWei"]) == (request_id, account, amount_wei)
        remaining = plaintext(self.private_key, self.book.requested(request_id))  # the trustees' decryption
        assert remaining == balance - amount_wei
        self.requests[request_id] = ModelRequest(account, amount_wei, approve=remaining >= 0)
        self.locks[account] = request_id
        assert self.ledger.pendingWithdrawal(account) == request_id

    def rule_vote(self, index="st_index", trustee="st_index", votes="st_votes"):
        """One or two trustees vote on a pending request (two decide it, unless one already voted)."""
        if not self.locks:
            return
        pending = sorted(self.locks.values())
        request_id = pending[index % len(pending)]
        for i in range(votes):
            if request_id not in self.locks.values():
                return  # decided by the first vote
            self.vote(request_id, self.trustees[(trustee + i) % len(self.trustees)])

    def vote(self, request_id: int, voter: str) -> None:
        request = self.requests[request_id]
        function = self.ledger.approveWithdrawal if request.approve else self.ledger.rejectWithdrawal
        transaction = partial(function, request_id, {"from": voter})
        if voter in request.voters:
            self.refused(transaction, "ConfidentialLedgerAlreadyVoted", request_id, voter)
            return
        tx = self.send(transaction)
        request.voters.add(voter)
        if request.approve:
            request.approvals += 1
        else:
            request.rejections += 1
        vote = tx.events["WithdrawalVoted"]
        assert (vote["approve"], vote["approvals"], vote["rejections"]) == (
            request.approve,
            request.approvals,
            request.rejections,
        )
        if request.approvals == THRESHOLD:
            assert tx.events["WithdrawalExecuted"]["amountWei"] == request.amount_wei
            self.balances[request.account] -= request.amount_wei
            self.credits[request.account] += request.amount_wei
            del self.locks[request.account]
        elif request.rejections > len(self.trustees) - THRESHOLD:
            assert tx.events["WithdrawalRejected"]["requestId"] == request_id
            del self.locks[request.account]
        assert self.ledger.credits(request.account) == self.credits[request.account]
        assert self.ledger.pendingWithdrawal(request.account) == self.locks.get(request.account, 0)

    def rule_cancel(self, index="st_index", who="st_index"):
        if not self.locks or index % 4:
            return  # requests mostly wait for their votes
        pending = sorted(self.locks.values())
        request_id = pending[index % len(pending)]
        requester = self.requests[request_id].account
        caller = pick(who, [requester], self.holders)
        transaction = partial(self.ledger.cancelWithdrawal, request_id, {"from": self.signers[caller]})
        if caller != requester:
            self.refused(transaction, "ConfidentialLedgerNotRequester", request_id, caller)
            return
        assert self.send(transaction).events["WithdrawalCancelled"]["account"] == requester
        del self.locks[requester]
        assert self.ledger.pendingWithdrawal(requester) == 0

    def rule_withdraw(self, who="st_index"):
        credited = [h for h in self.holders if self.credits[h]]
        if not credited and who % 8:
            return  # mostly withdrawals that pay; a refusal one time in eight
        account = pick(who, credited, self.holders)
        owed = self.credits[account]
        transaction = partial(self.ledger.withdraw, {"from": self.signers[account]})
        if owed == 0:
            self.refused(transaction, "ConfidentialLedgerNothingToWithdraw", account)
            return
        assert self.send(transaction).events["Withdrawn"]["amountWei"] == owed
        self.credits[account] = 0
        assert self.ledger.credits(account) == 0

    # --- invariants ---------------------------------------------------------------------------

    def invariant(self):
        """After every step that changed the ledger (refusals change nothing stored). Credits and
        locks are checked by the rules that change them, for the accounts they change."""
        if not self.changed:
            return
        self.changed = False
        for account in self.everyone:
            assert bytes(self.ledger.balanceHash(account)) == self.book.hash_of(account)
            assert plaintext(self.private_key, self.book.ciphertext(account)) == self.balances[account]
        assert self.ledger.balance() == sum(self.balances.values()) + sum(self.credits.values())


def test_every_balance_decrypts_to_the_model_and_the_ether_is_all_accounted_for(ConfidentialLedger, deployer, accounts):
    public_key, private_key = keypair(KEY_BITS)
    trustees = list(accounts[3:6])
    holders = [accounts[1], accounts[6], accounts[7], accounts[8]]
    ledger = ConfidentialLedger.deploy(modulus_of(public_key.n), trustees, THRESHOLD, {"from": deployer})
    book = BalanceBook(ledger.ciphertextBytes())
    deposits = dict(zip([h.address for h in holders[:3]], INITIAL_DEPOSITS_WEI, strict=True))
    for holder, amount_wei in deposits.items():
        book.record(ledger.deposit(book.encoded(holder), {"from": holder, "value": amount_wei}))
    run_state_machine(
        LedgerStateMachine,
        ledger,
        public_key,
        private_key,
        holders,
        trustees,
        decoy_addresses(2, seed="stateful decoy"),
        book,
        deposits,
        settings=SETTINGS,
    )
