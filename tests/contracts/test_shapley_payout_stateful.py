"""ShapleyPayout under random sequences of openings (Merkle and on-chain-Shapley rounds), top-ups,
approvals, settlements, claims (valid, with another payee's proof, with another amount, twice),
withdrawals, time jumps and reclaims.

A Python model mirrors every round; each rule predicts the contract's answer (a refusal with its
exact custom error, or the payment and its amount) and checks it. After every step that changed
the chain the invariant checks that the contract holds exactly Σ (pool − paid) of the rounds not
reclaimed, that every round's paid total is at most its pool and equals the model's, and that
the paid marks are the model's (no payee is paid twice in a round).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import brownie
from brownie import chain
from brownie.test import strategy
from eth_utils import keccak
from hypothesis import HealthCheck

from offchain.chain.shapley_payout import PayoutTree, onchain_shares, table_hash
from tests.helpers import custom_error, register_record, run_state_machine

#: 6 derandomised runs of 20 steps on Ganache; the deep campaign is forge's invariant fuzzing of
#: the same contract (tests/forge/ShapleyPayout.t.sol).
SETTINGS = {
    "max_examples": 10,
    "derandomize": True,
    "stateful_step_count": 20,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
}
RECORD_HASH = keccak(b"valuation record")
TEST_SET_HASH = keccak(b"test set")
#: Rounds last two days; every jump is 25 hours, so a deadline is never within an hour of a step.
PERIOD_S = 2 * 24 * 3600
JUMP_S = 25 * 3600
#: A three-owner utility table (v(∅) = 0, singletons, pairs, all three).
TABLE = [0, 40, 25, 70, 10, 55, 30, 90]
MERKLE, ONCHAIN = 0, 1
PROPOSED, APPROVED, PAYABLE, CLOSED = 1, 2, 3, 4
QUORUM = 3  # of the four founding agencies


def now() -> int:
    return int(chain[-1].timestamp)


@dataclass
class ModelRound:
    mode: int
    pool_wei: int
    deadline: int
    payees: list[str]
    amounts: list[int]  # a Merkle round's leaves; an on-chain round's shares once settled
    tree: PayoutTree | None = None
    status: int = PROPOSED
    approvers: set[str] = field(default_factory=set)
    paid: set[int] = field(default_factory=set)
    paid_wei: int = 0


class PayoutStateMachine:
    st_index = strategy("uint8")
    st_amount = strategy("uint64", min_value=1, max_value=10**6)
    st_variant = strategy("uint8", max_value=3)
    st_count = strategy("uint8", min_value=1, max_value=3)

    def __init__(cls, payout, funder, agencies, payees, file_ids):
        cls.payout = payout
        cls.funder = funder.address
        cls.agencies = [a.address for a in agencies]
        cls.payees = [p.address for p in payees]  # the first three own the files, in order
        cls.file_ids = file_ids

    def setup(self):
        self.rounds: dict[int, ModelRound] = {}
        self.changed = True
        self.touched: set[int] = set()  # rounds the step changed: the invariant reads those

    # --- helpers ------------------------------------------------------------------------------

    def send(self, transaction, round_id: int | None = None):
        self.changed = True
        if round_id is not None:
            self.touched.add(round_id)
        return transaction()

    def refused(self, transaction, error: str, *args) -> None:
        with brownie.reverts(custom_error(error, *args)):
            transaction()

    def round_id(self, index: int, *statuses: int) -> int | None:
        """Seven times in eight a round in one of ``statuses`` (if any), else any round."""
        preferred = [i for i, r in self.rounds.items() if r.status in statuses]
        if preferred and index % 8 != 7:
            return preferred[index % len(preferred)]
        return (index % len(self.rounds)) + 1 if self.rounds else None

    def opened(self, tx, mode: int, pool_wei: int, payees: list[str], amounts: list[int], tree=None) -> None:
        event = tx.events["RoundOpened"]
        round_id = int(event["roundId"])
        assert round_id == len(self.rounds) + 1 and int(event["poolWei"]) == pool_wei
        self.touched.add(round_id)
        self.rounds[round_id] = ModelRound(mode, pool_wei, int(event["deadline"]), payees, amounts, tree)

    def payable_refusal(self, transaction, round_id: int, mode: int) -> bool:
        """Refuse as ``_payable`` does unless the round is payable in ``mode``; True if refused."""
        expected = self.rounds[round_id]
        if expected.mode != mode:
            self.refused(transaction, "ShapleyPayoutWrongMode", round_id, expected.mode)
        elif expected.status != PAYABLE:
            self.refused(transaction, "ShapleyPayoutWrongStatus", round_id, expected.status, PAYABLE)
        elif now() > expected.deadline:
            self.refused(transaction, "ShapleyPayoutDeadlinePassed", round_id, expected.deadline)
        else:
            return False
        return True

    def paid(self, tx, round_id: int, index: int, payee: str, amount_wei: int) -> None:
        expected = self.rounds[round_id]
        event = tx.events["SharePaid"]
        assert (event["roundId"], event["payee"], event["index"], event["amountWei"]) == (
            round_id,
            payee,
            index,
            amount_wei,
        )
        expected.paid.add(index)
        expected.paid_wei += amount_wei

    # --- rules --------------------------------------------------------------------------------

    def initialize_rounds(self, first="st_amount", second="st_amount"):
        """Every example starts with a payable round of each mode, so that payments come early."""
        self.open_merkle(first=first, second=second, third=first, variant=0)
        self.open_shapley(pool=second)
        for round_id in (1, 2):
            self.rule_approve(index=round_id - 1, agency=0, count=QUORUM)
        self.rule_settle(index=0)

    def rule_open(self, first="st_amount", second="st_amount", third="st_amount", variant="st_variant"):
        """A Merkle round (variants 0, 1 and 3) or an on-chain-Shapley round (variant 2)."""
        if variant == 2:
            self.open_shapley(pool=first)
        else:
            self.open_merkle(first=first, second=second, third=third, variant=variant)

    def open_merkle(self, first: int, second: int, third: int, variant: int) -> None:
        """Three leaves to three payees; one time in four the pool is one wei short of the leaves
        (the agencies should refuse such a tree; the contract still never pays beyond the pool)."""
        amounts = [first, second, third]
        tree = PayoutTree.from_amounts(list(zip(self.payees, amounts, strict=True)))
        pool = tree.total_wei - (variant == 3)
        valuation = (RECORD_HASH, TEST_SET_HASH, self.file_ids)
        sent = {"from": self.funder, "value": pool}
        tx = self.send(partial(self.payout.openMerkleRound, tree.root, 3, valuation, PERIOD_S, sent))
        self.opened(tx, MERKLE, pool, list(self.payees), amounts, tree)

    def open_shapley(self, pool: int) -> None:
        valuation = (RECORD_HASH, TEST_SET_HASH, self.file_ids)
        tx = self.send(
            partial(
                self.payout.openShapleyRound,
                table_hash(TABLE),
                valuation,
                PERIOD_S,
                {"from": self.funder, "value": pool},
            )
        )
        assert list(tx.events["RoundOpened"]["payees"]) == self.payees
        self.opened(tx, ONCHAIN, pool, list(self.payees), [])

    def rule_fund(self, index="st_index", amount="st_amount"):
        round_id = self.round_id(index, PROPOSED)
        if round_id is None:
            return
        expected = self.rounds[round_id]
        transaction = partial(self.payout.fund, round_id, {"from": self.funder, "value": amount})
        if expected.status != PROPOSED:
            self.refused(transaction, "ShapleyPayoutWrongStatus", round_id, expected.status, PROPOSED)
        elif expected.approvers:
            self.refused(transaction, "ShapleyPayoutFundingClosed", round_id)
        elif now() > expected.deadline:
            self.refused(transaction, "ShapleyPayoutDeadlinePassed", round_id, expected.deadline)
        else:
            event = self.send(transaction, round_id).events["RoundFunded"]
            expected.pool_wei += amount
            assert int(event["poolWei"]) == expected.pool_wei

    def rule_approve(self, index="st_index", agency="st_index", count="st_count"):
        """Up to ``count`` agencies approve; mostly ones that have not yet, so rounds reach the quorum."""
        round_id = self.round_id(index, PROPOSED)
        if round_id is None:
            return
        for step in range(count):
            self.approve(round_id, agency + step)

    def approve(self, round_id: int, agency: int) -> None:
        expected = self.rounds[round_id]
        fresh = [a for a in self.agencies if a not in expected.approvers]
        sender = fresh[agency % len(fresh)] if fresh and agency % 8 != 7 else self.agencies[agency % 4]
        commitment = self.payout.commitmentOf(round_id)
        transaction = partial(self.payout.approve, round_id, commitment, {"from": sender})
        if expected.status != PROPOSED:
            self.refused(transaction, "ShapleyPayoutWrongStatus", round_id, expected.status, PROPOSED)
        elif now() > expected.deadline:
            self.refused(transaction, "ShapleyPayoutDeadlinePassed", round_id, expected.deadline)
        elif sender in expected.approvers:
            self.refused(transaction, "ShapleyPayoutAlreadyApproved", round_id, sender)
        else:
            tx = self.send(transaction, round_id)
            expected.approvers.add(sender)
            assert tx.events["ValuationApproved"]["approvals"] == len(expected.approvers)
            if len(expected.approvers) >= QUORUM:
                assert "RoundApproved" in tx.events
                expected.status = PAYABLE if expected.mode == MERKLE else APPROVED
            else:
                assert "RoundApproved" not in tx.events

    def rule_settle(self, index="st_index"):
        round_id = self.round_id(index, APPROVED)
        if round_id is None:
            return
        expected = self.rounds[round_id]
        transaction = partial(self.payout.settleShapley, round_id, TABLE, {"from": self.payees[0]})
        if expected.mode != ONCHAIN:
            self.refused(transaction, "ShapleyPayoutWrongMode", round_id, expected.mode)
        elif expected.status != APPROVED:
            self.refused(transaction, "ShapleyPayoutWrongStatus", round_id, expected.status, APPROVED)
        elif now() > expected.deadline:
            self.refused(transaction, "ShapleyPayoutDeadlinePassed", round_id, expected.deadline)
        else:
            shares = list(self.send(transaction, round_id).events["SharesComputed"]["shares"])
            assert shares == onchain_shares(expected.pool_wei, TABLE) and sum(shares) == expected.pool_wei
            expected.amounts, expected.status = shares, PAYABLE

    def rule_pay(self, index="st_index", leaf="st_index", variant="st_variant", count="st_count"):
        """Up to ``count`` payees in turn, from ``leaf`` on, take their shares: by claims in a Merkle
        round, by withdrawals in an on-chain-Shapley round; one time in eight the other call
        (refused for the wrong mode). Variants as in ``claim``; the first payment of a step is of
        that variant, the others valid (a repeat of an earlier one is refused)."""
        round_id = self.round_id(index, PAYABLE)
        if round_id is None:
            return
        merkle = (self.rounds[round_id].mode == MERKLE) != (index % 8 == 6)
        for step in range(count):
            (self.claim if merkle else self.withdraw)(round_id, (leaf + step) % 3, variant if step == 0 else 0)

    def claim(self, round_id: int, leaf: int, variant: int) -> None:
        """Variant 0 and 1: the payee's own claim (a second one is refused); 2: another payee
        presents the proof; 3: the payee asks for one wei more than its leaf."""
        expected = self.rounds[round_id]
        leaf %= 3
        if expected.mode == MERKLE:
            amount, proof = expected.amounts[leaf], expected.tree.proof(leaf)
        else:
            amount, proof = 1, []
        sender = self.payees[(leaf + 1) % 3] if variant == 2 else self.payees[leaf]
        amount += variant == 3
        transaction = partial(self.payout.claim, round_id, leaf, amount, proof, {"from": sender})
        if self.payable_refusal(transaction, round_id, MERKLE):
            return
        if leaf in expected.paid:
            self.refused(transaction, "ShapleyPayoutAlreadyPaid", round_id, leaf)
        elif variant >= 2:
            self.refused(transaction, "ShapleyPayoutInvalidProof", round_id, leaf, sender, amount)
        elif amount > expected.pool_wei - expected.paid_wei:
            self.refused(
                transaction, "ShapleyPayoutPoolExceeded", round_id, expected.paid_wei, amount, expected.pool_wei
            )
        else:
            self.paid(self.send(transaction, round_id), round_id, leaf, sender, amount)

    def withdraw(self, round_id: int, owner: int, variant: int) -> None:
        """Owner ``owner``'s share; variant 2: another owner asks for it."""
        expected = self.rounds[round_id]
        owner %= 3
        sender = self.payees[(owner + 1) % 3] if variant == 2 else self.payees[owner]
        transaction = partial(self.payout.withdraw, round_id, owner, {"from": sender})
        if self.payable_refusal(transaction, round_id, ONCHAIN):
            return
        if sender != self.payees[owner]:
            self.refused(transaction, "ShapleyPayoutNotPayee", round_id, owner, sender, self.payees[owner])
        elif owner in expected.paid:
            self.refused(transaction, "ShapleyPayoutAlreadyPaid", round_id, owner)
        else:
            self.paid(self.send(transaction, round_id), round_id, owner, sender, expected.amounts[owner])

    def rule_jump_in_time(self):
        chain.sleep(JUMP_S)
        chain.mine()
        self.changed = True

    def rule_reclaim(self, index="st_index", by_funder="st_variant"):
        """Mostly by the funder, one time in four by a payee (refused)."""
        round_id = self.round_id(index, PROPOSED, APPROVED, PAYABLE)
        if round_id is None:
            return
        expected = self.rounds[round_id]
        sender = self.funder if by_funder else self.payees[0]
        transaction = partial(self.payout.reclaim, round_id, {"from": sender})
        if sender != self.funder:
            self.refused(transaction, "ShapleyPayoutNotFunder", round_id, sender, self.funder)
        elif expected.status == CLOSED:
            self.refused(transaction, "ShapleyPayoutWrongStatus", round_id, CLOSED, PAYABLE)
        elif now() <= expected.deadline:
            self.refused(transaction, "ShapleyPayoutBeforeDeadline", round_id, expected.deadline)
        else:
            event = self.send(transaction, round_id).events["RoundClosed"]
            assert int(event["returnedWei"]) == expected.pool_wei - expected.paid_wei
            expected.status = CLOSED

    # --- invariants ---------------------------------------------------------------------------

    def invariant(self):
        """After every step that changed the chain (refusals change nothing)."""
        if not self.changed:
            return
        self.changed = False
        self.check_rounds(self.touched)
        self.touched.clear()
        held = sum(r.pool_wei - r.paid_wei for r in self.rounds.values() if r.status != CLOSED)
        assert self.payout.balance() == held

    def teardown(self):
        """Once per example: every round, whether the last steps touched it or not."""
        self.check_rounds(self.rounds)

    def check_rounds(self, round_ids) -> None:
        """On chain as in the model; paid ≤ pool; each paid share counted once."""
        payout = self.payout
        assert payout.roundCount() == len(self.rounds)
        for round_id in round_ids:
            expected = self.rounds[round_id]
            stored = payout.roundOf(round_id)
            status, pool_wei, paid_wei = int(stored[3]), int(stored[7]), int(stored[8])
            assert (status, pool_wei, paid_wei) == (expected.status, expected.pool_wei, expected.paid_wei)
            assert paid_wei <= pool_wei
            assert sum(expected.amounts[i] for i in expected.paid) == paid_wei  # each paid share once
            assert {i for i in range(3) if payout.isPaid(round_id, i)} == expected.paid


def test_the_payout_holds_exactly_the_unclaimed_shares_under_random_operations(
    ShapleyPayout, consortium, registry, agencies, deployer, owner, stranger, accounts
):
    payout = ShapleyPayout.deploy(consortium, registry, {"from": deployer})
    payees = [owner, accounts[9], stranger]
    file_ids = [register_record(registry, payee, 100 + i) for i, payee in enumerate(payees)]
    run_state_machine(PayoutStateMachine, payout, accounts[8], agencies, payees, file_ids, settings=SETTINGS)
