"""The confidential ledger under honest users, a thief and a griefer, at a 1024-bit (3, 2) key.

Honest holders deposit, pay each other among decoys with proofs (sometimes more than they hold),
fold their credits, request withdrawals (sometimes more than they hold) and collect. The thief
sends dishonest transfers (decoy theft, value creation, negative amounts, random ciphertexts),
each committed to a proof that cannot hold for it (replayed from an honest transfer, or made for
other deltas). The griefer names random holders in cheap transfers, leaves some of them pending,
and sends deltas that are multiples of n. The trustees (``TrusteeBoard``) review every transfer
and withdrawal they are handed.

A Python model keeps each account's balance (settled balance plus verified credits not yet
folded), its ether credit, its locks and offenses. After every step:

* every honest holder's decrypted balance equals the model's, so no holder's balance ever
  decreased but by a verified transfer it sent or a withdrawal it requested (the only rules that
  lower the model);
* no honest holder is frozen, and the holders' own operations never failed because of another
  account's transfers (every such call in the rules must succeed);
* Σ balances (with verified unfolded credits) + Σ ether credits = the contract's ether, with one
  threshold decryption of the product of all of them;
* a withdrawal is executed only when the model says the balance covers it, so none pays ether
  not backed by the payee's own balance.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest
from brownie.test import strategy
from eth_utils import to_checksum_address
from hypothesis import HealthCheck

from offchain.chain.ledger import ConfidentialLedgerClient, TransferState, encode_modulus
from offchain.crypto import threshold_paillier as tp
from offchain.crypto.paillier import encrypt_raw
from offchain.crypto.transfer_proof import TransferProof, TransferStatement, make_deltas, prove_transfer
from offchain.errors import TransactionRevertedError
from offchain.protocols.ledger_account import LedgerAccount
from offchain.protocols.ledger_trustee import LedgerTrustee, TrusteeBoard
from tests.helpers import run_state_machine

SETTINGS = {
    "max_examples": 8,
    "derandomize": True,
    "stateful_step_count": 14,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}
ETHER = 10**18
INITIAL_WEI = (ETHER, 3 * 10**17, 10**16, 0)
ATTACKS = ("theft", "creation", "negative", "random")


@dataclass
class Model:
    balances: dict[str, int]
    payouts: dict[str, int]
    locks: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # holder -> (request, amount, balance)
    offenses: int = 0
    pending_griefs: list[int] = field(default_factory=list)


class LedgerAdversaries:
    st_index = strategy("uint8")
    st_amount = strategy("uint64", max_value=2 * ETHER)
    st_attack = strategy("uint8", max_value=len(ATTACKS) - 1)

    def __init__(cls, ledger, board, people, thief, griefer, decoys, proof_of_other):
        cls.ledger, cls.board = ledger, board
        cls.people = people
        cls.holders = [p.address for p in people]
        cls.thief, cls.griefer = thief, griefer
        cls.everyone = [*cls.holders, thief.address, griefer.address, *decoys]
        cls.n = ledger.modulus
        cls.proof_of_other = proof_of_other
        cls.initial = {a: 0 for a in cls.everyone}
        cls.initial.update(dict(zip(cls.holders, INITIAL_WEI, strict=True)))
        cls.initial[thief.address] = ETHER // 100 + 1  # the griefer paid the thief 1 wei at the start
        cls.initial[griefer.address] = ETHER // 100 - 1

    def setup(self):
        self.model = Model(dict(self.initial), dict.fromkeys(self.everyone, 0))
        self.pending_payments: dict[int, _Pending] = {}
        for person in self.people:
            person.book = type(person.book)()  # anonymity sets start afresh with the chain

    # --- honest holders -------------------------------------------------------------------------

    def person(self, index: int) -> LedgerAccount:
        return self.people[index % len(self.people)]

    def rule_deposit(self, who="st_index", amount="st_amount"):
        person = self.person(who)
        amount_wei = amount + 1
        if person.address in self.model.locks:
            with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerAccountLocked"):
                person.deposit(amount_wei)
            return
        person.deposit(amount_wei)  # never stale, whatever others did meanwhile
        self.model.balances[person.address] += amount_wei

    def rule_pay(self, who="st_index", to="st_index", amount="st_amount", size="st_index"):
        sender = self.person(who)
        others = [a for a in self.everyone if a != sender.address]
        receiver = others[to % len(others)]
        balance = self.model.balances[sender.address]
        amount_wei = 1 + amount % (balance + balance // 4 + 1)  # now and then more than it holds
        set_size = None if sender.book.decoys_for(receiver) is not None else 1 + size % 4
        if sender.address in self.model.locks:
            with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerAccountLocked"):
                sender.pay(receiver, amount_wei, candidates=others, set_size=set_size)
            return
        payment = sender.pay(receiver, amount_wei, candidates=others, set_size=set_size)
        review = self.board.review_transfer(payment.transfer.transfer_id, payment.proof)
        assert review.accepted == (amount_wei <= balance), review.reason
        if review.accepted:
            self.model.balances[sender.address] -= amount_wei
            self.model.balances[receiver] += amount_wei

    def rule_fold(self, who="st_index"):
        person = self.person(who)
        if person.address in self.model.locks:
            return
        person.fold_credits()  # the model counts verified credits already

    def rule_withdraw(self, who="st_index", amount="st_amount"):
        person = self.person(who)
        address = person.address
        if address in self.model.locks:
            self.decide(address, *self.model.locks.pop(address))
            return
        balance = self.model.balances[address]  # = the settled balance: the request folds first
        amount_wei = 1 + amount % (balance + balance // 4 + 1)
        request = person.request_withdrawal(amount_wei)
        if amount % 3 == 0:
            self.model.locks[address] = (request.request_id, amount_wei, balance)  # decided later
            return
        self.decide(address, request.request_id, amount_wei, balance)

    def decide(self, address: str, request_id: int, amount_wei: int, balance: int) -> None:
        review = self.board.review_withdrawal(request_id)
        assert review.approved == (amount_wei <= balance)  # never pays what the balance does not back
        if review.approved:
            self.model.balances[address] -= amount_wei
            self.model.payouts[address] += amount_wei

    def rule_collect(self, who="st_index"):
        person = self.person(who)
        owed = self.model.payouts[person.address]
        if owed:
            assert person.withdraw() == owed
            self.model.payouts[person.address] = 0

    # --- the thief --------------------------------------------------------------------------------

    def rule_steal(self, attack="st_attack", victim="st_index", amount="st_amount"):
        thief, n = self.thief, self.n
        target = self.everyone[victim % len(self.everyone)]
        if target == thief.address:
            target = self.holders[0]
        x = amount + 1
        residues = {
            "theft": {target: -x, thief.address: x},
            "creation": {target: x, thief.address: 0},
            "negative": {target: -x, thief.address: x},
            "random": {target: random.Random(amount).randrange(n), thief.address: random.Random(x).randrange(n)},
        }[ATTACKS[attack]]
        accounts = sorted(residues)
        deltas = [int(encrypt_raw(thief.public_key.paillier, residues[a] % n)) for a in accounts]
        proof = self.proof_of_other if amount % 2 else self.proof_for_other_context(accounts, deltas)
        if self.model.offenses >= 3:
            with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerAccountFrozen"):
                self.ledger.transfer(sender=thief.account, accounts=accounts, deltas=deltas, proof_hash=proof.digest())
            return
        transfer = self.ledger.transfer(
            sender=thief.account, accounts=accounts, deltas=deltas, proof_hash=proof.digest()
        )
        review = self.board.review_transfer(transfer.transfer_id, proof)
        assert not review.accepted and review.state is TransferState.REJECTED
        self.model.offenses += 1
        assert self.ledger.offenses(thief.address) == self.model.offenses
        assert self.ledger.frozen(thief.address) == (self.model.offenses >= 3)

    def proof_for_other_context(self, accounts, deltas) -> TransferProof:
        """An honest proof of honest deltas over the same accounts, but not of these deltas."""
        index = accounts.index(self.thief.address)
        honest, opening = make_deltas(self.n, [0 if i == index else 1 for i in range(len(accounts))], index)
        context = self.ledger.proof_context(sender=self.thief.address, accounts=accounts, deltas=honest)
        return prove_transfer(TransferStatement(self.n, context, honest, index), opening)

    # --- the griefer ------------------------------------------------------------------------------

    def rule_grief(self, who="st_index", mask="st_index"):
        griefer = self.griefer
        if self.model.pending_griefs:
            transfer_id = self.model.pending_griefs.pop()
            payment = self.pending_payments.pop(transfer_id)
            if self.board.review_transfer(transfer_id, payment.proof).accepted:
                self.model.balances[griefer.address] -= 1
                self.model.balances[payment.receiver] += 1
            return
        victims = [h for i, h in enumerate(self.holders) if mask >> i & 1] or [self.holders[who % len(self.holders)]]
        if mask % 5 == 0:
            accounts = sorted({griefer.address, *victims})
            deltas = [self.n * (1 + i) for i in range(len(accounts))]
            with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerNotAUnit"):
                self.ledger.transfer(sender=griefer.account, accounts=accounts, deltas=deltas, proof_hash=b"\x01" * 32)
            return
        griefer.book = type(griefer.book)()
        payment = griefer.pay(victims[0], 1, candidates=victims[1:], set_size=len(victims))
        self.pending_payments[payment.transfer.transfer_id] = _Pending(payment.proof, victims[0])
        self.model.pending_griefs.append(payment.transfer.transfer_id)  # left pending for now

    # --- invariants -------------------------------------------------------------------------------

    def invariant(self):
        ledger, nsquare = self.ledger, self.n**2
        total = 1
        for address in self.everyone:
            owned = ledger.settled_holdings(address)
            total = total * owned % nsquare
            if address in self.holders:
                assert self.board.decrypt(owned) == self.model.balances[address], address
                assert not ledger.frozen(address)
                assert ledger.credits(address) == self.model.payouts[address]
        assert self.board.decrypt(total) + sum(self.model.payouts.values()) == ledger.held_wei()


@dataclass
class _Pending:
    proof: TransferProof
    receiver: str


def test_no_balance_falls_but_by_its_owner_and_the_ether_is_all_accounted_for(ConfidentialLedger, accounts, deployer):
    public_key, shares = tp.generate_threshold_keypair(1024, 3, 2, rng=random.Random(2026))
    trustee_accounts = list(accounts[3:6])
    contract = ConfidentialLedger.deploy(encode_modulus(public_key.n), trustee_accounts, 2, {"from": deployer})
    ledger = ConfidentialLedgerClient(contract, from_block=contract.tx.block_number)
    board = TrusteeBoard(
        ledger, [LedgerTrustee(f"t{i}", a, s) for i, (a, s) in enumerate(zip(trustee_accounts, shares, strict=True))]
    )
    people = [LedgerAccount(accounts[i], ledger, public_key) for i in (1, 6, 7, 8)]
    thief = LedgerAccount(accounts[9], ledger, public_key)
    griefer = LedgerAccount(accounts[2], ledger, public_key)
    for person, amount_wei in zip([*people, thief, griefer], [*INITIAL_WEI, ETHER // 100, ETHER // 100], strict=True):
        if amount_wei:
            person.deposit(amount_wei)
    # An honest, settled transfer whose proof the thief replays: the griefer pays the thief 1 wei.
    other = griefer.pay(thief.address, 1, candidates=[people[2].address], set_size=2)
    board.review_transfer(other.transfer.transfer_id, other.proof)
    for person in [*people, thief]:
        person.fold_credits()
    decoys = [to_checksum_address(f"0x{i:040x}") for i in (0xD1, 0xD2)]
    run_state_machine(LedgerAdversaries, ledger, board, people, thief, griefer, decoys, other.proof, settings=SETTINGS)
