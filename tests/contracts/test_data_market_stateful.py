"""DataMarket under random sequences of submissions (with their bonds), grants, confirmations,
releases, disputes, settlements, lapses, refunds, cancellations, withdrawals and time jumps.

A Python model mirrors every requirement, match and credit; each rule predicts the contract's
answer (a refusal with its exact custom error, or the transition and who is credited how much)
and checks it. After every step the invariant checks that the chain agrees with the model and
that the market's balance is exactly the credits plus the escrow plus the owners' bonds still
held: no payment or bond is paid out twice, none is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import brownie
from brownie import chain
from brownie.test import strategy
from hypothesis import HealthCheck

from tests.helpers import (
    BOND_WEI,
    CAPACITY,
    DAY_S,
    DURATION_S,
    GRANT_PERIOD_S,
    PRICE_WEI,
    REASON_HASH,
    REVIEW_PERIOD_S,
    RULING_HASH,
    custom_error,
    file_id_of,
    market_terms,
    match_of,
    matched_id,
    post_requirement,
    register_record,
    requirement_of,
    run_state_machine,
)

#: 8 derandomised runs of 25 steps here on Ganache (every run, the same sequences); the deep
#: campaign is forge's invariant fuzzing of the same contract, 256 runs × 50 steps (tests/forge).
SETTINGS = {
    "max_examples": 8,
    "derandomize": True,
    "stateful_step_count": 25,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
}
#: Time jumps: 1, 2 or 31 days (past the expiry at once), plus three hours. Deadlines lie whole
#: days (2, 3 or 30) after the transaction that set them; a sum of jumps is a whole number of
#: days only after eight jumps, by then more than 3 days and never exactly 30, so no deadline is
#: ever within three hours of the time a rule predicts with.
JUMPS_S = (DAY_S + 3 * 3600, 2 * DAY_S + 3 * 3600, 31 * DAY_S + 3 * 3600)
NONE, MATCHED, GRANTED, DISPUTED, RELEASED, REFUNDED, LAPSED = range(7)  # IDataMarket.MatchState


def now() -> int:
    return int(chain[-1].timestamp)


@dataclass
class ModelRequirement:
    price_wei: int
    bond_wei: int
    capacity: int
    expires_at: int
    filled: int = 0
    refunded: bool = False  # the unfilled slots were refunded after expiry or cancelled by the buyer


@dataclass
class ModelMatch:
    requirement_id: int
    owner: str
    deadline: int
    state: int = MATCHED


@dataclass
class Model:
    requirements: dict[int, ModelRequirement]
    matches: dict[int, ModelMatch] = field(default_factory=dict)
    credits: dict[str, int] = field(default_factory=dict)
    submitted: set[tuple[int, str]] = field(default_factory=set)  # (requirement, owner)

    def credit(self, account: str, amount_wei: int) -> None:
        self.credits[account] = self.credits.get(account, 0) + amount_wei


class MarketStateMachine:
    st_index = strategy("uint8")
    st_bool = strategy("bool")
    st_jump = strategy("uint8", max_value=len(JUMPS_S) - 1)

    def __init__(cls, market, registry, buyer, arbiter, stranger, owners, proofs, requirements):
        cls.market, cls.registry = market, registry
        cls.buyer, cls.arbiter, cls.stranger = buyer.address, arbiter.address, stranger.address
        cls.owners = [o.address for o in owners]
        cls.proofs = dict(zip(cls.owners, proofs, strict=True))
        cls.initial = {i: requirement_of(market, i) for i in requirements}
        cls.everyone = [cls.buyer, cls.arbiter, cls.stranger, *cls.owners]

    def setup(self):
        self.model = Model(
            {
                i: ModelRequirement(r["priceWei"], r["bondWei"], r["capacity"], r["expiresAt"])
                for i, r in self.initial.items()
            }
        )
        self.granted: set[str] = set()  # owners whose file the buyer may access in the registry
        self.changed = True  # whether the step changed the market, so the invariant has something to check

    # --- helpers ------------------------------------------------------------------------------

    def refused(self, transaction, error: str, *args) -> None:
        with brownie.reverts(custom_error(error, *args)):
            transaction()

    def send(self, transaction):
        self.changed = True
        return transaction()

    def wrong_state(self, transaction, match_id: int, expected: int) -> bool:
        """Refuse with DataMarketWrongState unless the match is in ``expected``; True if refused."""
        state = self.model.matches[match_id].state
        if state != expected:
            self.refused(transaction, "DataMarketWrongState", match_id, state, expected)
            return True
        return False

    def match_id(self, index: int, *states: int) -> int | None:
        """Seven times in eight a match in one of ``states`` (if any), else any match: mostly
        transitions that go through, some refused."""
        preferred = [i for i, m in self.model.matches.items() if m.state in states]
        if preferred and index % 8 != 7:
            return preferred[index % len(preferred)]
        return (index % len(self.model.matches)) + 1 if self.model.matches else None

    def price_of(self, match_id: int) -> int:
        return self.model.requirements[self.model.matches[match_id].requirement_id].price_wei

    def bond_of(self, match_id: int) -> int:
        return self.model.requirements[self.model.matches[match_id].requirement_id].bond_wei

    # --- rules --------------------------------------------------------------------------------

    def initialize_matches(self):
        """Every example starts with both owners matched to requirement 1."""
        self.rule_submit(who=0)
        self.rule_submit(who=1)

    def rule_submit(self, who="st_index"):
        owner = self.owners[who % len(self.owners)]
        requirement = self.model.requirements[1]
        proof = self.proofs[owner]
        pa, pb, pc, signals = proof.solidity_args()
        file_id = file_id_of(owner, signals[2])
        bond = {"from": owner, "value": requirement.bond_wei}
        transaction = partial(
            self.market.submit, 1, file_id, signals[2].to_bytes(32, "big"), pa, pb, pc, signals[0], bond
        )
        if now() >= requirement.expires_at:
            self.refused(transaction, "DataMarketRequirementExpired", 1, requirement.expires_at)
        elif requirement.refunded:  # before expiry: cancelled by the buyer
            self.refused(transaction, "DataMarketRequirementCancelled", 1)
        elif requirement.filled >= requirement.capacity:
            self.refused(transaction, "DataMarketRequirementFull", 1, requirement.capacity)
        elif (1, owner) in self.model.submitted:
            earlier = next(i for i, m in self.model.matches.items() if m.owner == owner)
            self.refused(transaction, "DataMarketAlreadySubmitted", 1, file_id, earlier)
        else:
            tx = self.send(transaction)
            match_id = len(self.model.matches) + 1
            # The id off-chain clients read (a receipt carries no return value on a real chain);
            # the return value itself is checked by test_data_market.py.
            assert matched_id(tx) == match_id
            self.model.matches[match_id] = ModelMatch(1, owner, tx.timestamp + GRANT_PERIOD_S)
            self.model.submitted.add((1, owner))
            requirement.filled += 1

    def rule_record_grant(self, index="st_index"):
        match_id = self.match_id(index, MATCHED)
        if match_id is None:
            return
        expected = self.model.matches[match_id]
        if expected.owner not in self.granted:
            file_id = file_id_of(expected.owner, self.proofs[expected.owner].public_signals[2])
            self.registry.grantAccess(file_id, self.buyer, b"\x01" * 32, 0, {"from": expected.owner})
            self.granted.add(expected.owner)
        transaction = partial(self.market.recordGrant, match_id, {"from": expected.owner})
        if self.wrong_state(transaction, match_id, MATCHED):
            return
        if now() >= expected.deadline:
            self.refused(transaction, "DataMarketGrantWindowClosed", match_id, expected.deadline)
            return
        tx = self.send(transaction)
        expected.state, expected.deadline = GRANTED, tx.timestamp + REVIEW_PERIOD_S

    def rule_confirm_receipt(self, index="st_index"):
        match_id = self.match_id(index, GRANTED)
        if match_id is None:
            return
        transaction = partial(self.market.confirmReceipt, match_id, {"from": self.buyer})
        if self.wrong_state(transaction, match_id, GRANTED):
            return
        self.send(transaction)
        expected = self.model.matches[match_id]
        expected.state = RELEASED
        self.model.credit(expected.owner, self.price_of(match_id) + self.bond_of(match_id))

    def rule_release(self, index="st_index"):
        match_id = self.match_id(index, GRANTED)
        if match_id is None:
            return
        transaction = partial(self.market.release, match_id, {"from": self.stranger})
        if self.wrong_state(transaction, match_id, GRANTED):
            return
        expected = self.model.matches[match_id]
        if now() < expected.deadline:
            self.refused(transaction, "DataMarketReviewWindowOpen", match_id, expected.deadline)
            return
        self.send(transaction)
        expected.state = RELEASED
        self.model.credit(expected.owner, self.price_of(match_id) + self.bond_of(match_id))

    def rule_dispute(self, index="st_index"):
        match_id = self.match_id(index, GRANTED)
        if match_id is None:
            return
        transaction = partial(self.market.dispute, match_id, REASON_HASH, {"from": self.buyer})
        if self.wrong_state(transaction, match_id, GRANTED):
            return
        expected = self.model.matches[match_id]
        if now() >= expected.deadline:
            self.refused(transaction, "DataMarketReviewWindowClosed", match_id, expected.deadline)
            return
        self.send(transaction)
        expected.state = DISPUTED

    def rule_settle(self, index="st_index", pay_owner="st_bool"):
        match_id = self.match_id(index, DISPUTED)
        if match_id is None:
            return
        transaction = partial(self.market.settleDispute, match_id, pay_owner, RULING_HASH, {"from": self.arbiter})
        if self.wrong_state(transaction, match_id, DISPUTED):
            return
        self.send(transaction)
        expected = self.model.matches[match_id]
        expected.state = RELEASED if pay_owner else REFUNDED
        self.model.credit(expected.owner if pay_owner else self.buyer, self.price_of(match_id) + self.bond_of(match_id))

    def rule_reclaim_ungranted(self, index="st_index"):
        match_id = self.match_id(index, MATCHED)
        if match_id is None:
            return
        transaction = partial(self.market.reclaimUngranted, match_id, {"from": self.stranger})
        if self.wrong_state(transaction, match_id, MATCHED):
            return
        expected = self.model.matches[match_id]
        if now() < expected.deadline:
            self.refused(transaction, "DataMarketGrantWindowOpen", match_id, expected.deadline)
            return
        lapsed = self.send(transaction).events["MatchLapsed"]
        refund = lapsed["refundWei"]
        expected.state = LAPSED
        requirement = self.model.requirements[expected.requirement_id]
        assert lapsed["bondWei"] == requirement.bond_wei
        self.model.credit(self.buyer, requirement.bond_wei)  # forfeited
        if requirement.refunded:
            assert refund == requirement.price_wei
            self.model.credit(self.buyer, requirement.price_wei)
        else:
            assert refund == 0
            requirement.filled -= 1

    def rule_refund_unfilled(self, index="st_index"):
        requirement_id = (index % len(self.model.requirements)) + 1
        requirement = self.model.requirements[requirement_id]
        transaction = partial(self.market.refundUnfilled, requirement_id, {"from": self.stranger})
        if now() < requirement.expires_at:
            self.refused(transaction, "DataMarketRequirementNotExpired", requirement_id, requirement.expires_at)
        elif requirement.refunded:
            self.refused(transaction, "DataMarketAlreadyRefunded", requirement_id)
        elif requirement.filled == requirement.capacity:
            self.refused(transaction, "DataMarketNothingToRefund", requirement_id)
        else:
            amount = self.send(transaction).events["UnfilledRefunded"]["amountWei"]
            assert amount == requirement.price_wei * (requirement.capacity - requirement.filled)
            requirement.refunded = True
            self.model.credit(self.buyer, amount)

    def rule_cancel_unfilled(self, index="st_index"):
        """One time in four by the buyer (so that most examples keep requirement 1 open a while),
        else by a stranger, who is refused."""
        requirement_id = (index % len(self.model.requirements)) + 1
        requirement = self.model.requirements[requirement_id]
        caller = self.buyer if index % 4 == 0 else self.stranger
        transaction = partial(self.market.cancelUnfilled, requirement_id, {"from": caller})
        if caller != self.buyer:
            self.refused(transaction, "DataMarketNotRequirementBuyer", requirement_id, caller)
        elif requirement.refunded:
            self.refused(transaction, "DataMarketAlreadyRefunded", requirement_id)
        else:
            amount = self.send(transaction).events["UnfilledCancelled"]["amountWei"]
            assert amount == requirement.price_wei * (requirement.capacity - requirement.filled)
            requirement.refunded = True
            self.model.credit(self.buyer, amount)

    def rule_withdraw(self, index="st_index"):
        account = self.everyone[index % len(self.everyone)]
        owed = self.model.credits.get(account, 0)
        transaction = partial(self.market.withdraw, {"from": account})
        if owed == 0:
            self.refused(transaction, "DataMarketNothingToWithdraw", account)
            return
        assert self.send(transaction).events["Withdrawn"]["amountWei"] == owed
        self.model.credits[account] = 0

    def rule_jump_in_time(self, jump="st_jump"):
        chain.sleep(JUMPS_S[jump])
        chain.mine()

    # --- invariants ---------------------------------------------------------------------------

    def invariant(self):
        """After every step that changed the market (refusals and time jumps change nothing stored)."""
        if not self.changed:
            return
        self.changed = False
        market, model = self.market, self.model
        held = 0
        for requirement_id, expected in model.requirements.items():
            stored = requirement_of(market, requirement_id)
            assert (stored["filled"], stored["unfilledRefunded"]) == (expected.filled, expected.refunded)
            held += 0 if expected.refunded else expected.price_wei * (expected.capacity - expected.filled)
        assert market.matchCount() == len(model.matches)
        for match_id, expected in model.matches.items():
            stored = match_of(market, match_id)
            assert (stored["state"], stored["deadline"], stored["owner"]) == (
                expected.state,
                expected.deadline,
                expected.owner,
            )
            if expected.state in (MATCHED, GRANTED, DISPUTED):
                held += self.price_of(match_id) + self.bond_of(match_id)
        for account in self.everyone:
            assert market.creditOf(account) == model.credits.get(account, 0)
        assert market.balance() == sum(model.credits.values()) + held


def test_the_market_agrees_with_its_model_and_its_escrow_under_random_operations(
    market, registry, buyer, arbiter, stranger, owner, rival, zk_requirement, zk_record, owner_proof, rival_proof
):
    post_requirement(market, buyer, market_terms(arbiter, zk_requirement.commitment, capacity=CAPACITY))
    post_requirement(market, buyer, market_terms(arbiter, 7, capacity=2, priceWei=3 * PRICE_WEI, bondWei=2 * BOND_WEI))
    for account in (owner, rival):
        register_record(registry, account, zk_record.commitment)
    assert DURATION_S % DAY_S == GRANT_PERIOD_S % DAY_S == REVIEW_PERIOD_S % DAY_S == 0
    run_state_machine(
        MarketStateMachine,
        market,
        registry,
        buyer,
        arbiter,
        stranger,
        [owner, rival],
        [owner_proof, rival_proof],
        [1, 2],
        settings=SETTINGS,
    )
