"""DataMarket: state changes, events and every revert of each external function; real Groth16
proofs against the generated verifiers; escrow paid out exactly once; re-entrancy."""

from __future__ import annotations

import brownie
import pytest
from brownie import chain, web3
from eth_abi import encode
from eth_utils import keccak

from tests.helpers import (
    BOND_WEI,
    CAPACITY,
    DAY_S,
    DESCRIPTION_HASH,
    DISPUTED,
    DURATION_S,
    FIELD_COUNT,
    GRANT_PERIOD_S,
    GRANTED,
    LAPSED,
    MATCHED,
    MIN_SATISFIED,
    PRICE_WEI,
    REASON_HASH,
    REFUNDED,
    RELEASED,
    REVIEW_PERIOD_S,
    RULING_HASH,
    bytes32,
    chain_now,
    custom_error,
    file_id_of,
    grant_access,
    market_terms,
    match_of,
    matched_id,
    post_requirement,
    posted_id,
    register_record,
    requirement_of,
    sleep,
    submit_proof,
)

MAX_DURATION_S = 365 * DAY_S
MIN_PERIOD_S = 3600
MAX_PERIOD_S = 90 * DAY_S
SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617
SNARK_BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583
#: A submission other than the market's first (whose match counter goes from zero), in gas.
SUBMIT_GAS_GOAL = 340_000
#: The market's whole proof check: the call to the verifier and the coordinate checks, in gas.
PROOF_CHECK_GAS_GOAL = 220_000
ZERO_ADDRESS = "0x" + "00" * 20


def escrow_held(market) -> int:
    """What the market must hold: unfilled escrow of requirements not refunded or cancelled, plus
    the price and the bond of each open match."""
    held = 0
    for requirement_id in range(1, market.requirementCount() + 1):
        r = requirement_of(market, requirement_id)
        if not r["unfilledRefunded"]:
            held += r["priceWei"] * (r["capacity"] - r["filled"])
    for match_id in range(1, market.matchCount() + 1):
        m = match_of(market, match_id)
        if m["state"] in (MATCHED, GRANTED, DISPUTED):
            r = requirement_of(market, m["requirementId"])
            held += r["priceWei"] + r["bondWei"]
    return held


def assert_escrow_invariant(market, holders) -> None:
    """balance == Σ credits + unfilled escrow + open matches' prices and bonds."""
    credits = sum(market.creditOf(h) for h in holders)
    assert market.balance() == credits + escrow_held(market)


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def reentrant_buyer(ReentrantBuyer, market, deployer):
    return ReentrantBuyer.deploy(market, {"from": deployer})


# --- constructor ----------------------------------------------------------------------------


def test_the_constructor_sets_a_verifier_per_width(market, registry, verifiers):
    assert market.verifierFor(8) == verifiers[8]
    assert market.verifierFor(16) == verifiers[16]
    assert market.verifierFor(4) == ZERO_ADDRESS
    assert market.registry() == registry


def test_the_constructor_emits_verifier_configured_for_each_width(market, verifiers):
    events = market.tx.events["VerifierConfigured"]
    assert [dict(e) for e in events] == [
        {"fieldCount": 8, "verifier": verifiers[8]},
        {"fieldCount": 16, "verifier": verifiers[16]},
    ]


def test_the_constants_are_the_bn254_fields_and_the_bounds(market):
    assert market.SNARK_SCALAR_FIELD() == SNARK_SCALAR_FIELD
    assert market.SNARK_BASE_FIELD() == SNARK_BASE_FIELD
    assert (market.MAX_DURATION(), market.MIN_PERIOD(), market.MAX_PERIOD()) == (
        MAX_DURATION_S,
        MIN_PERIOD_S,
        MAX_PERIOD_S,
    )


def test_a_fresh_market_has_no_requirements_matches_or_credits(market, buyer):
    assert (market.requirementCount(), market.matchCount(), market.creditOf(buyer)) == (0, 0, 0)


def test_deploying_over_a_registry_without_code_reverts(DataMarket, deployer, stranger, verifiers):
    with brownie.reverts(custom_error("DataMarketInvalidRegistry", stranger.address)):
        DataMarket.deploy(stranger, [8], [verifiers[8]], {"from": deployer})


def test_deploying_with_arrays_of_different_lengths_reverts(DataMarket, deployer, registry, verifiers):
    with brownie.reverts(custom_error("DataMarketLengthMismatch", 2, 1)):
        DataMarket.deploy(registry, [8, 16], [verifiers[8]], {"from": deployer})


@pytest.mark.parametrize(
    ("widths", "which", "bad_width"),
    [([0], ["n8"], 0), ([8], ["stranger"], 8), ([8, 8], ["n8", "n16"], 8)],
    ids=["zero width", "verifier without code", "width listed twice"],
)
def test_deploying_with_an_invalid_verifier_entry_reverts(
    DataMarket, deployer, registry, verifiers, stranger, widths, which, bad_width
):
    chosen = [{"n8": verifiers[8], "n16": verifiers[16], "stranger": stranger}[w] for w in which]
    with brownie.reverts(custom_error("DataMarketInvalidVerifier", bad_width, chosen[-1].address)):
        DataMarket.deploy(registry, widths, chosen, {"from": deployer})


# --- postRequirement ------------------------------------------------------------------------


def test_post_requirement_stores_every_term(market, buyer, arbiter, zk_requirement):
    posted = market_terms(arbiter, zk_requirement.commitment)
    post_requirement(market, buyer, posted)
    stored = requirement_of(market, 1)
    assert stored == {
        "buyer": buyer,
        "expiresAt": posted[7],
        "fieldCount": FIELD_COUNT,
        "minSatisfied": MIN_SATISFIED,
        "arbiter": arbiter,
        "capacity": CAPACITY,
        "filled": 0,
        "grantPeriod": GRANT_PERIOD_S,
        "priceWei": PRICE_WEI,
        "reviewPeriod": REVIEW_PERIOD_S,
        "unfilledRefunded": False,
        "bondWei": BOND_WEI,
        "commitment": "0x" + bytes32(zk_requirement.commitment).hex(),
        "descriptionHash": "0x" + DESCRIPTION_HASH.hex(),
    }


def test_post_requirement_emits_requirement_posted_with_every_term(market, buyer, arbiter, zk_requirement):
    posted = market_terms(arbiter, zk_requirement.commitment)
    tx = post_requirement(market, buyer, posted)
    assert dict(tx.events["RequirementPosted"]) == {
        "requirementId": 1,
        "buyer": buyer,
        "commitment": "0x" + bytes32(zk_requirement.commitment).hex(),
        "arbiter": arbiter,
        "descriptionHash": "0x" + DESCRIPTION_HASH.hex(),
        "priceWei": PRICE_WEI,
        "capacity": CAPACITY,
        "fieldCount": FIELD_COUNT,
        "minSatisfied": MIN_SATISFIED,
        "expiresAt": posted[7],
        "grantPeriod": GRANT_PERIOD_S,
        "reviewPeriod": REVIEW_PERIOD_S,
        "bondWei": BOND_WEI,
    }


def test_post_requirement_escrows_price_times_capacity(market, buyer, arbiter, zk_requirement):
    balance_before = buyer.balance()
    tx = post_requirement(market, buyer, market_terms(arbiter, zk_requirement.commitment))
    assert market.balance() == PRICE_WEI * CAPACITY
    assert buyer.balance() == balance_before - PRICE_WEI * CAPACITY - tx.gas_used * tx.gas_price


def test_requirement_ids_count_up_from_one_and_are_found_by_buyer_and_commitment(market, buyer, stranger, arbiter):
    first = post_requirement(market, buyer, market_terms(arbiter, 101)).return_value
    second = post_requirement(market, buyer, market_terms(arbiter, 102)).return_value
    assert (first, second, market.requirementCount()) == (1, 2, 2)
    assert (market.requirementIdOf(buyer, bytes32(101)), market.requirementIdOf(buyer, bytes32(102))) == (1, 2)
    assert market.requirementIdOf(buyer, bytes32(103)) == 0
    assert market.requirementIdOf(stranger, bytes32(101)) == 0


def test_a_requirement_of_the_other_width_is_accepted(market, buyer, arbiter):
    post_requirement(market, buyer, market_terms(arbiter, 101, fieldCount=16, minSatisfied=16))
    assert requirement_of(market, 1)["fieldCount"] == 16


@pytest.mark.parametrize("width", [0, 4, 9])
def test_posting_for_a_width_without_a_verifier_reverts(market, buyer, arbiter, width):
    with brownie.reverts(custom_error("DataMarketUnsupportedFieldCount", width)):
        post_requirement(market, buyer, market_terms(arbiter, 101, fieldCount=width, minSatisfied=1))


@pytest.mark.parametrize("minimum", [0, FIELD_COUNT + 1])
def test_posting_with_min_satisfied_out_of_range_reverts(market, buyer, arbiter, minimum):
    with brownie.reverts(custom_error("DataMarketInvalidMinSatisfied", minimum, FIELD_COUNT)):
        post_requirement(market, buyer, market_terms(arbiter, 101, minSatisfied=minimum))


@pytest.mark.parametrize("commitment", [0, SNARK_SCALAR_FIELD, 2**256 - 1], ids=["zero", "field order", "max"])
def test_posting_a_commitment_outside_the_scalar_field_reverts(market, buyer, arbiter, commitment):
    with brownie.reverts(custom_error("DataMarketInvalidCommitment", bytes32(commitment))):
        post_requirement(market, buyer, market_terms(arbiter, commitment))


def test_posting_the_largest_field_element_as_commitment_works(market, buyer, arbiter):
    post_requirement(market, buyer, market_terms(arbiter, SNARK_SCALAR_FIELD - 1))
    assert market.requirementIdOf(buyer, bytes32(SNARK_SCALAR_FIELD - 1)) == 1


def test_posting_a_commitment_the_buyer_used_before_reverts(market, buyer, arbiter):
    post_requirement(market, buyer, market_terms(arbiter, 101))
    with brownie.reverts(custom_error("DataMarketCommitmentUsed", buyer.address, bytes32(101), 1)):
        post_requirement(market, buyer, market_terms(arbiter, 101, priceWei=1))


def test_a_squatter_posting_the_buyers_commitment_first_does_not_block_the_buyer(
    market, buyer, stranger, arbiter, zk_requirement
):
    # issue 23, finding 4: the squatter sees the buyer's pending postRequirement and front-runs it
    # with the same commitment and description hash at 1 wei; the buyer's own posting goes through.
    squatter_terms = market_terms(arbiter, zk_requirement.commitment, priceWei=1, capacity=1)
    post_requirement(market, stranger, squatter_terms)
    tx = post_requirement(market, buyer, market_terms(arbiter, zk_requirement.commitment))
    assert (tx.return_value, tx.events["RequirementPosted"]["buyer"]) == (2, buyer)
    commitment = bytes32(zk_requirement.commitment)
    assert (market.requirementIdOf(stranger, commitment), market.requirementIdOf(buyer, commitment)) == (1, 2)


@pytest.mark.parametrize("who", ["zero", "buyer"])
def test_posting_with_the_zero_address_or_the_buyer_as_arbiter_reverts(market, buyer, who):
    chosen = ZERO_ADDRESS if who == "zero" else buyer.address
    with brownie.reverts(custom_error("DataMarketInvalidArbiter", chosen)):
        post_requirement(market, buyer, market_terms(chosen, 101), value=PRICE_WEI * CAPACITY)


@pytest.mark.parametrize("field", ["descriptionHash", "priceWei", "capacity", "bondWei"])
def test_posting_a_zero_term_reverts(market, buyer, arbiter, field):
    zero = bytes(32) if field == "descriptionHash" else 0
    with brownie.reverts(custom_error("DataMarketZeroField", field)):
        post_requirement(market, buyer, market_terms(arbiter, 101, **{field: zero}))


@pytest.mark.parametrize("offset", [-100, 0, MAX_DURATION_S + 100], ids=["past", "now", "beyond a year"])
def test_posting_an_expiry_out_of_range_reverts(market, buyer, arbiter, offset):
    expires_at = max(0, chain[-1].timestamp + offset)
    with brownie.reverts(revert_pattern=rf"DataMarketInvalidExpiry: {expires_at}, \d+, \d+"):
        post_requirement(market, buyer, market_terms(arbiter, 101, expiresAt=expires_at))


def test_posting_an_expiry_just_within_a_year_works(market, buyer, arbiter):
    expires_at = chain_now() + MAX_DURATION_S - 100
    post_requirement(market, buyer, market_terms(arbiter, 101, expiresAt=expires_at))
    assert requirement_of(market, 1)["expiresAt"] == expires_at


@pytest.mark.parametrize("name", ["grantPeriod", "reviewPeriod"])
@pytest.mark.parametrize("period", [0, MIN_PERIOD_S - 1, MAX_PERIOD_S + 1])
def test_posting_a_period_out_of_range_reverts(market, buyer, arbiter, name, period):
    with brownie.reverts(custom_error("DataMarketInvalidPeriod", name, period, MIN_PERIOD_S, MAX_PERIOD_S)):
        post_requirement(market, buyer, market_terms(arbiter, 101, **{name: period}))


@pytest.mark.parametrize("period", [MIN_PERIOD_S, MAX_PERIOD_S])
def test_posting_periods_at_the_bounds_works(market, buyer, arbiter, period):
    post_requirement(market, buyer, market_terms(arbiter, 101, grantPeriod=period, reviewPeriod=period))
    assert (requirement_of(market, 1)["grantPeriod"], requirement_of(market, 1)["reviewPeriod"]) == (period, period)


@pytest.mark.parametrize("value", [0, PRICE_WEI * CAPACITY - 1, PRICE_WEI * CAPACITY + 1])
def test_posting_with_other_than_the_exact_escrow_reverts(market, buyer, arbiter, value):
    with brownie.reverts(custom_error("DataMarketWrongEscrow", value, PRICE_WEI * CAPACITY)):
        post_requirement(market, buyer, market_terms(arbiter, 101), value=value)


def test_requirement_of_an_unknown_id_reverts(market):
    with brownie.reverts(custom_error("DataMarketUnknownRequirement", 1)):
        market.requirementOf(1)


# --- submit: checks before the proof --------------------------------------------------------


def test_submitting_to_an_unknown_requirement_reverts(market, owner, file_id, owner_proof):
    with brownie.reverts(custom_error("DataMarketUnknownRequirement", 7)):
        submit_proof(market, owner, 7, owner_proof)


def test_submitting_after_expiry_reverts(market, owner, requirement_id, file_id, owner_proof):
    expires_at = requirement_of(market, requirement_id)["expiresAt"]
    sleep(DURATION_S + 1)
    with brownie.reverts(custom_error("DataMarketRequirementExpired", requirement_id, expires_at)):
        submit_proof(market, owner, requirement_id, owner_proof)


@pytest.mark.parametrize("delta", [-1, +1], ids=["below the minimum", "above the width"])
def test_submitting_a_satisfied_count_out_of_range_reverts(market, owner, requirement_id, file_id, owner_proof, delta):
    satisfied = MIN_SATISFIED - 1 if delta < 0 else FIELD_COUNT + 1
    with brownie.reverts(custom_error("DataMarketSatisfiedOutOfRange", satisfied, MIN_SATISFIED, FIELD_COUNT)):
        submit_proof(market, owner, requirement_id, owner_proof, satisfied=satisfied)


def test_submitting_another_owners_file_id_reverts(
    market, registry, owner, rival, requirement_id, zk_record, owner_proof
):
    rivals_file = register_record(registry, rival, zk_record.commitment)
    own = file_id_of(owner, zk_record.commitment)
    with brownie.reverts(custom_error("DataMarketFileIdMismatch", rivals_file, own)):
        submit_proof(market, owner, requirement_id, owner_proof, file_id=rivals_file)


def test_submitting_a_file_id_of_another_commitment_reverts(
    market, owner, requirement_id, file_id, zk_record, owner_proof
):
    other = zk_record.commitment + 1
    with brownie.reverts(custom_error("DataMarketFileIdMismatch", file_id, file_id_of(owner, other))):
        submit_proof(market, owner, requirement_id, owner_proof, file_id=file_id, data_commitment=other)


def test_submitting_an_unregistered_file_reverts(market, owner, requirement_id, zk_record, owner_proof):
    with brownie.reverts(custom_error("DataMarketUnregisteredFile", file_id_of(owner, zk_record.commitment))):
        submit_proof(market, owner, requirement_id, owner_proof)


@pytest.mark.parametrize("sent", [0, BOND_WEI - 1, BOND_WEI + 1], ids=["none", "short", "over"])
def test_submitting_with_other_than_the_bond_reverts(market, owner, requirement_id, file_id, owner_proof, sent):
    with brownie.reverts(custom_error("DataMarketWrongBond", sent, BOND_WEI)):
        submit_proof(market, owner, requirement_id, owner_proof, bond_wei=sent)


def test_a_submission_holds_the_owners_bond_with_the_escrow(market, owner, requirement_id, file_id, owner_proof):
    balance_before = owner.balance()
    tx = submit_proof(market, owner, requirement_id, owner_proof)
    assert market.balance() == PRICE_WEI * CAPACITY + BOND_WEI
    assert owner.balance() == balance_before - BOND_WEI - tx.gas_used * tx.gas_price


def test_submitting_to_a_cancelled_requirement_reverts(market, buyer, owner, requirement_id, file_id, owner_proof):
    market.cancelUnfilled(requirement_id, {"from": buyer})
    with brownie.reverts(custom_error("DataMarketRequirementCancelled", requirement_id)):
        submit_proof(market, owner, requirement_id, owner_proof)


def test_filling_every_slot_and_never_granting_forfeits_the_fillers_bond_to_the_buyer(
    market, registry, buyer, arbiter, owner, rival, stranger, zk_requirement, zk_record, owner_proof, rival_proof
):
    # issue 23, finding 5: a filler registers a made-up qualifying record, takes the only slot and
    # never grants; an honest owner is shut out meanwhile, and the lapse pays the buyer the bond.
    terms = market_terms(arbiter, zk_requirement.commitment, capacity=1)
    requirement_id = posted_id(post_requirement(market, buyer, terms))
    register_record(registry, rival, zk_record.commitment)
    filled = submit_proof(market, rival, requirement_id, rival_proof)
    register_record(registry, owner, zk_record.commitment)
    with brownie.reverts(custom_error("DataMarketRequirementFull", requirement_id, 1)):
        submit_proof(market, owner, requirement_id, owner_proof)
    sleep(GRANT_PERIOD_S)
    market.reclaimUngranted(matched_id(filled), {"from": stranger})
    assert (market.creditOf(buyer), market.creditOf(rival)) == (BOND_WEI, 0)


def test_the_buyer_cancels_the_slots_a_filler_left_so_that_nobody_takes_them_again(
    market, registry, buyer, arbiter, owner, rival, stranger, zk_requirement, zk_record, owner_proof, rival_proof
):
    terms = market_terms(arbiter, zk_requirement.commitment, capacity=1)
    requirement_id = posted_id(post_requirement(market, buyer, terms))
    register_record(registry, rival, zk_record.commitment)
    filled = matched_id(submit_proof(market, rival, requirement_id, rival_proof))
    sleep(GRANT_PERIOD_S)
    market.reclaimUngranted(filled, {"from": stranger})
    market.cancelUnfilled(requirement_id, {"from": buyer})
    register_record(registry, owner, zk_record.commitment)
    with brownie.reverts(custom_error("DataMarketRequirementCancelled", requirement_id)):
        submit_proof(market, owner, requirement_id, owner_proof)
    assert market.creditOf(buyer) == PRICE_WEI + BOND_WEI


# --- submit: the proof ----------------------------------------------------------------------


def test_a_valid_proof_is_accepted_and_stored_as_a_match(market, owner, requirement_id, file_id, owner_proof):
    tx = submit_proof(market, owner, requirement_id, owner_proof)
    assert tx.return_value == 1
    assert match_of(market, 1) == {
        "owner": owner,
        "requirementId": requirement_id,
        "deadline": tx.timestamp + GRANT_PERIOD_S,
        "state": MATCHED,
        "satisfied": owner_proof.satisfied,
        "fileId": "0x" + file_id.hex(),
    }


def test_a_match_takes_a_slot_and_is_indexed_by_requirement_and_file(
    market, owner, requirement_id, file_id, owner_proof
):
    submit_proof(market, owner, requirement_id, owner_proof)
    assert requirement_of(market, requirement_id)["filled"] == 1
    assert market.matchIdOf(requirement_id, file_id) == 1
    assert market.matchCount() == 1


def test_a_match_emits_matched_with_the_public_signals_and_the_proof(
    market, owner, requirement_id, file_id, zk_requirement, zk_record, owner_proof
):
    tx = submit_proof(market, owner, requirement_id, owner_proof)
    pa, pb, pc, _ = owner_proof.solidity_args()
    event = dict(tx.events["Matched"])
    points = [event.pop("pA"), event.pop("pB"), event.pop("pC")]
    assert [[int(x) for x in points[0]], [[int(x) for x in row] for row in points[1]], [int(x) for x in points[2]]] == [
        pa,
        pb,
        pc,
    ]
    assert event == {
        "matchId": 1,
        "requirementId": requirement_id,
        "fileId": "0x" + file_id.hex(),
        "owner": owner,
        "requirementCommitment": "0x" + bytes32(zk_requirement.commitment).hex(),
        "dataCommitment": "0x" + bytes32(zk_record.commitment).hex(),
        "satisfied": owner_proof.satisfied,
        "grantDeadline": tx.timestamp + GRANT_PERIOD_S,
    }


def test_the_public_signals_the_market_builds_are_the_proofs(market, owner, zk_requirement, zk_record, owner_proof):
    assert list(owner_proof.public_signals) == [
        owner_proof.satisfied,
        zk_requirement.commitment,
        zk_record.commitment,
        int(owner.address, 16),
    ]


def verifier_call_gas(tx, verifier) -> int | None:
    """Gas of the market's call to ``verifier`` in ``tx`` (all it costs), from the node's step
    trace; ``None`` when the node keeps none (Anvil records steps only when launched with
    ``--steps-tracing``, which Brownie's launcher cannot pass)."""
    trace = web3.provider.make_request(
        "debug_traceTransaction", [tx.txid, {"disableStorage": True, "disableMemory": True}]
    )["result"]["structLogs"]
    if not trace:
        return None
    target = int(verifier.address, 16)
    for i, step in enumerate(trace):
        if step["op"] == "STATICCALL" and step["depth"] == 1 and int(step["stack"][-2], 16) == target:
            returned = next(later for later in trace[i + 1 :] if later["depth"] == 1)
            return int(str(step["gas"]), 0) - int(str(returned["gas"]), 0)
    raise AssertionError(f"no call to {verifier.address} in {tx.txid}")


def test_the_proof_check_stays_within_its_gas_goal(
    market, verifiers, owner, requirement_id, file_id, owner_proof, VerifierGasProbe, deployer
):
    tx = submit_proof(market, owner, requirement_id, owner_proof)
    gas = verifier_call_gas(tx, verifiers[8])
    if gas is None:  # no step trace: the same call, measured from inside a contract
        valid, gas = VerifierGasProbe.deploy({"from": deployer}).measure(verifiers[8], *owner_proof.solidity_args())
        assert valid
    assert gas <= PROOF_CHECK_GAS_GOAL


def test_a_submission_stays_within_its_gas_goal(
    market, registry, rival, requirement_id, zk_record, match_id, rival_proof
):
    register_record(registry, rival, zk_record.commitment)
    assert submit_proof(market, rival, requirement_id, rival_proof).gas_used <= SUBMIT_GAS_GOAL


def test_the_same_file_cannot_match_a_requirement_twice(market, owner, requirement_id, file_id, owner_proof, match_id):
    with brownie.reverts(custom_error("DataMarketAlreadySubmitted", requirement_id, file_id, match_id)):
        submit_proof(market, owner, requirement_id, owner_proof)


def test_a_full_requirement_refuses_submissions(
    market, registry, buyer, arbiter, owner, rival, zk_requirement, zk_record, file_id, owner_proof, rival_proof
):
    requirement_id = posted_id(
        post_requirement(market, buyer, market_terms(arbiter, zk_requirement.commitment, capacity=1))
    )
    submit_proof(market, owner, requirement_id, owner_proof)
    register_record(registry, rival, zk_record.commitment)
    with brownie.reverts(custom_error("DataMarketRequirementFull", requirement_id, 1)):
        submit_proof(market, rival, requirement_id, rival_proof)


def test_a_second_owner_of_the_same_record_matches_with_its_own_proof(
    market, registry, rival, requirement_id, zk_record, file_id, match_id, rival_proof
):
    rivals_file = register_record(registry, rival, zk_record.commitment)
    tx = submit_proof(market, rival, requirement_id, rival_proof)
    assert tx.return_value == 2
    assert match_of(market, 2)["owner"] == rival
    assert market.matchIdOf(requirement_id, rivals_file) == 2


def test_a_proof_with_another_satisfied_count_is_rejected(market, owner, requirement_id, file_id, owner_proof):
    other = owner_proof.satisfied - 1 if owner_proof.satisfied > MIN_SATISFIED else owner_proof.satisfied + 1
    with brownie.reverts(custom_error("DataMarketInvalidProof", requirement_id, file_id)):
        submit_proof(market, owner, requirement_id, owner_proof, satisfied=other)


def test_a_proof_replayed_for_another_requirement_is_rejected(
    market, buyer, arbiter, owner, requirement_id, file_id, zk_requirement, owner_proof
):
    other = posted_id(post_requirement(market, buyer, market_terms(arbiter, zk_requirement.commitment + 1)))
    with brownie.reverts(custom_error("DataMarketInvalidProof", other, file_id)):
        submit_proof(market, owner, other, owner_proof)


def test_a_proof_for_another_data_commitment_is_rejected(
    market, registry, owner, requirement_id, file_id, zk_record, owner_proof
):
    other = zk_record.commitment + 1
    other_file = register_record(registry, owner, other)
    with brownie.reverts(custom_error("DataMarketInvalidProof", requirement_id, other_file)):
        submit_proof(market, owner, requirement_id, owner_proof, data_commitment=other)


def test_a_stolen_proof_is_rejected_even_for_the_same_registered_record(
    market, registry, rival, requirement_id, file_id, zk_record, owner_proof
):
    rivals_file = register_record(registry, rival, zk_record.commitment)
    with brownie.reverts(custom_error("DataMarketInvalidProof", requirement_id, rivals_file)):
        submit_proof(market, rival, requirement_id, owner_proof)


def _replace(points, index: int, value: int):
    """The proof points with flat coordinate ``index`` (pA x, y; pB x1, x0, y1, y0; pC x, y) set."""
    flat = [*points[0], *points[1][0], *points[1][1], *points[2]]
    flat[index] = value
    return flat[0:2], [flat[2:4], flat[4:6]], flat[6:8]


@pytest.mark.parametrize("index", range(8))
def test_a_coordinate_not_below_the_base_field_is_rejected(market, owner, requirement_id, file_id, owner_proof, index):
    points = owner_proof.solidity_args()[:3]
    flat = [*points[0], *points[1][0], *points[1][1], *points[2]]
    bad = _replace(points, index, flat[index] + SNARK_BASE_FIELD)
    with brownie.reverts(custom_error("DataMarketInvalidProof", requirement_id, file_id)):
        submit_proof(market, owner, requirement_id, owner_proof, points=bad)


@pytest.mark.parametrize(
    "index",
    [0, 2, 6],
    ids=["A off the curve", "B off the curve", "C off the curve"],
)
def test_a_point_off_the_curve_is_rejected(market, owner, requirement_id, file_id, owner_proof, index):
    points = owner_proof.solidity_args()[:3]
    flat = [*points[0], *points[1][0], *points[1][1], *points[2]]
    bad = _replace(points, index, (flat[index] + 1) % SNARK_BASE_FIELD)
    with brownie.reverts(custom_error("DataMarketInvalidProof", requirement_id, file_id)):
        submit_proof(market, owner, requirement_id, owner_proof, points=bad)


def test_a_garbage_proof_is_rejected(market, owner, requirement_id, file_id, owner_proof):
    garbage = ([1, 2], [[3, 4], [5, 6]], [7, 8])
    with brownie.reverts(custom_error("DataMarketInvalidProof", requirement_id, file_id)):
        submit_proof(market, owner, requirement_id, owner_proof, points=garbage)


def test_a_non_canonical_copy_of_a_valid_proof_fools_the_verifier_but_not_the_market(
    market, verifiers, owner, requirement_id, file_id, owner_proof
):
    # The generated verifier negates A as (q - y) mod q in 256-bit arithmetic: y' = y + (2^256 mod q)
    # + k·q (< 2^256) gives the same negation, so the raw verifier accepts it.
    pa, pb, pc, signals = owner_proof.solidity_args()
    shifted = pa[1] + (2**256 % SNARK_BASE_FIELD)
    shifted += ((2**256 - 1 - shifted) // SNARK_BASE_FIELD) * SNARK_BASE_FIELD
    assert SNARK_BASE_FIELD <= shifted < 2**256
    non_canonical = [pa[0], shifted]
    assert verifiers[8].verifyProof(non_canonical, pb, pc, signals) is True
    with brownie.reverts(custom_error("DataMarketInvalidProof", requirement_id, file_id)):
        submit_proof(market, owner, requirement_id, owner_proof, points=(non_canonical, pb, pc))


@pytest.fixture(scope="module")
def wide_case(accounts):
    """A 16-field requirement (field 0 in 40..60, required), a record meeting it, the owner's proof."""
    from offchain.zk import FieldRange, Record, Requirement, prove

    requirement = Requirement(
        (FieldRange(40, 60, required=True), *[FieldRange.ignored()] * 15), min_satisfied=1, nonce=0x5EED_0016
    )
    record = Record((50, *range(1, 16)), salt=0x5A17_0016)
    return requirement, record, prove(record, requirement, accounts[1].address)


def test_a_16_field_record_is_checked_by_the_16_field_verifier(market, registry, buyer, arbiter, owner, wide_case):
    requirement, record, proof = wide_case
    terms = market_terms(arbiter, requirement.commitment, fieldCount=16, minSatisfied=1)
    requirement_id = posted_id(post_requirement(market, buyer, terms))
    register_record(registry, owner, record.commitment)
    tx = submit_proof(market, owner, requirement_id, proof)
    assert (tx.events["Matched"]["satisfied"], match_of(market, matched_id(tx))["state"]) == (1, MATCHED)


# --- recordGrant ----------------------------------------------------------------------------


def test_record_grant_starts_the_review_period(market, match_id, granted):
    stored = match_of(market, match_id)
    assert (stored["state"], stored["deadline"]) == (GRANTED, granted.timestamp + REVIEW_PERIOD_S)


def test_record_grant_emits_grant_recorded(market, buyer, file_id, match_id, granted):
    assert dict(granted.events["GrantRecorded"]) == {
        "matchId": match_id,
        "fileId": "0x" + file_id.hex(),
        "buyer": buyer,
        "reviewDeadline": granted.timestamp + REVIEW_PERIOD_S,
    }


def test_record_grant_of_an_unknown_match_reverts(market, owner):
    with brownie.reverts(custom_error("DataMarketUnknownMatch", 1)):
        market.recordGrant(1, {"from": owner})


def test_record_grant_by_anyone_but_the_owner_reverts(market, registry, owner, buyer, stranger, file_id, match_id):
    grant_access(registry, owner, file_id, buyer)
    with brownie.reverts(custom_error("DataMarketNotOwner", match_id, stranger.address)):
        market.recordGrant(match_id, {"from": stranger})


def test_record_grant_without_a_grant_in_the_registry_reverts(market, owner, buyer, file_id, match_id):
    with brownie.reverts(custom_error("DataMarketNotGranted", match_id, file_id, buyer.address)):
        market.recordGrant(match_id, {"from": owner})


def test_record_grant_of_a_revoked_grant_reverts(market, registry, owner, buyer, file_id, match_id):
    grant_access(registry, owner, file_id, buyer)
    registry.revokeAccess(file_id, buyer, {"from": owner})
    with brownie.reverts(custom_error("DataMarketNotGranted", match_id, file_id, buyer.address)):
        market.recordGrant(match_id, {"from": owner})


def test_record_grant_after_the_grant_deadline_reverts(market, registry, owner, buyer, file_id, match_id):
    grant_access(registry, owner, file_id, buyer)
    deadline = match_of(market, match_id)["deadline"]
    sleep(GRANT_PERIOD_S + 1)
    with brownie.reverts(custom_error("DataMarketGrantWindowClosed", match_id, deadline)):
        market.recordGrant(match_id, {"from": owner})


def test_record_grant_twice_reverts(market, owner, match_id, granted):
    with brownie.reverts(custom_error("DataMarketWrongState", match_id, GRANTED, MATCHED)):
        market.recordGrant(match_id, {"from": owner})


# --- confirmReceipt and release -------------------------------------------------------------


def test_confirm_receipt_credits_the_owner_the_price_and_its_bond(market, owner, buyer, match_id, granted):
    tx = market.confirmReceipt(match_id, {"from": buyer})
    assert market.creditOf(owner) == PRICE_WEI + BOND_WEI
    assert match_of(market, match_id)["state"] == RELEASED
    assert dict(tx.events["ReceiptConfirmed"]) == {
        "matchId": match_id,
        "owner": owner,
        "amountWei": PRICE_WEI,
        "bondWei": BOND_WEI,
    }


def test_confirm_receipt_after_the_review_deadline_still_works(market, owner, buyer, match_id, granted):
    sleep(REVIEW_PERIOD_S + 1)
    market.confirmReceipt(match_id, {"from": buyer})
    assert market.creditOf(owner) == PRICE_WEI + BOND_WEI


def test_confirm_receipt_by_anyone_but_the_buyer_reverts(market, owner, match_id, granted):
    with brownie.reverts(custom_error("DataMarketNotBuyer", match_id, owner.address)):
        market.confirmReceipt(match_id, {"from": owner})


def test_confirm_receipt_before_the_grant_reverts(market, buyer, match_id):
    with brownie.reverts(custom_error("DataMarketWrongState", match_id, MATCHED, GRANTED)):
        market.confirmReceipt(match_id, {"from": buyer})


def test_confirm_receipt_twice_reverts_and_pays_once(market, owner, buyer, match_id, granted):
    market.confirmReceipt(match_id, {"from": buyer})
    with brownie.reverts(custom_error("DataMarketWrongState", match_id, RELEASED, GRANTED)):
        market.confirmReceipt(match_id, {"from": buyer})
    assert market.creditOf(owner) == PRICE_WEI + BOND_WEI


def test_release_after_the_review_deadline_credits_the_owner_the_price_and_its_bond(
    market, owner, stranger, match_id, granted
):
    sleep(REVIEW_PERIOD_S)
    tx = market.release(match_id, {"from": stranger})
    assert market.creditOf(owner) == PRICE_WEI + BOND_WEI
    assert match_of(market, match_id)["state"] == RELEASED
    assert dict(tx.events["PaymentReleased"]) == {
        "matchId": match_id,
        "owner": owner,
        "amountWei": PRICE_WEI,
        "bondWei": BOND_WEI,
    }


def test_release_before_the_review_deadline_reverts(market, stranger, match_id, granted):
    with brownie.reverts(custom_error("DataMarketReviewWindowOpen", match_id, granted.timestamp + REVIEW_PERIOD_S)):
        market.release(match_id, {"from": stranger})


def test_release_before_the_grant_reverts(market, stranger, match_id):
    with brownie.reverts(custom_error("DataMarketWrongState", match_id, MATCHED, GRANTED)):
        market.release(match_id, {"from": stranger})


def test_release_after_confirmation_reverts_and_pays_once(market, owner, buyer, stranger, match_id, granted):
    market.confirmReceipt(match_id, {"from": buyer})
    sleep(REVIEW_PERIOD_S)
    with brownie.reverts(custom_error("DataMarketWrongState", match_id, RELEASED, GRANTED)):
        market.release(match_id, {"from": stranger})
    assert market.creditOf(owner) == PRICE_WEI + BOND_WEI


def test_release_of_an_unknown_match_reverts(market, stranger):
    with brownie.reverts(custom_error("DataMarketUnknownMatch", 3)):
        market.release(3, {"from": stranger})


# --- dispute and settleDispute --------------------------------------------------------------


def test_dispute_freezes_the_match_and_names_the_arbiter(market, arbiter, match_id, disputed):
    assert match_of(market, match_id)["state"] == DISPUTED
    assert dict(disputed.events["DisputeOpened"]) == {
        "matchId": match_id,
        "arbiter": arbiter,
        "reasonHash": "0x" + REASON_HASH.hex(),
    }


def test_dispute_by_anyone_but_the_buyer_reverts(market, owner, match_id, granted):
    with brownie.reverts(custom_error("DataMarketNotBuyer", match_id, owner.address)):
        market.dispute(match_id, REASON_HASH, {"from": owner})


def test_dispute_before_the_grant_reverts(market, buyer, match_id):
    with brownie.reverts(custom_error("DataMarketWrongState", match_id, MATCHED, GRANTED)):
        market.dispute(match_id, REASON_HASH, {"from": buyer})


def test_dispute_after_the_review_deadline_reverts(market, buyer, match_id, granted):
    sleep(REVIEW_PERIOD_S)
    with brownie.reverts(custom_error("DataMarketReviewWindowClosed", match_id, granted.timestamp + REVIEW_PERIOD_S)):
        market.dispute(match_id, REASON_HASH, {"from": buyer})


def test_dispute_without_a_reason_reverts(market, buyer, match_id, granted):
    with brownie.reverts(custom_error("DataMarketZeroField", "reasonHash")):
        market.dispute(match_id, bytes(32), {"from": buyer})


@pytest.mark.parametrize("action", ["confirm", "release", "reclaim", "dispute", "record grant"])
def test_a_disputed_match_moves_only_by_settlement(market, owner, buyer, stranger, match_id, disputed, action):
    sleep(max(GRANT_PERIOD_S, REVIEW_PERIOD_S) + 1)
    calls = {
        "confirm": (lambda: market.confirmReceipt(match_id, {"from": buyer}), GRANTED),
        "release": (lambda: market.release(match_id, {"from": stranger}), GRANTED),
        "reclaim": (lambda: market.reclaimUngranted(match_id, {"from": stranger}), MATCHED),
        "dispute": (lambda: market.dispute(match_id, REASON_HASH, {"from": buyer}), GRANTED),
        "record grant": (lambda: market.recordGrant(match_id, {"from": owner}), MATCHED),
    }
    call, expected = calls[action]
    with brownie.reverts(custom_error("DataMarketWrongState", match_id, DISPUTED, expected)):
        call()


def test_a_frozen_payment_can_be_withdrawn_by_neither_side(market, owner, buyer, match_id, disputed):
    sleep(REVIEW_PERIOD_S + 1)
    for side in (owner, buyer):
        with brownie.reverts(custom_error("DataMarketNothingToWithdraw", side.address)):
            market.withdraw({"from": side})
    assert market.balance() == PRICE_WEI * CAPACITY + BOND_WEI


def test_settling_for_the_owner_credits_the_owner_the_price_and_its_bond(market, owner, arbiter, match_id, disputed):
    tx = market.settleDispute(match_id, True, RULING_HASH, {"from": arbiter})
    assert market.creditOf(owner) == PRICE_WEI + BOND_WEI
    assert match_of(market, match_id)["state"] == RELEASED
    assert dict(tx.events["DisputeSettled"]) == {
        "matchId": match_id,
        "arbiter": arbiter,
        "payOwner": True,
        "recipient": owner,
        "amountWei": PRICE_WEI,
        "bondWei": BOND_WEI,
        "rulingHash": "0x" + RULING_HASH.hex(),
    }


def test_settling_for_the_buyer_refunds_the_buyer_and_forfeits_the_bond_to_it(
    market, owner, buyer, arbiter, match_id, disputed
):
    tx = market.settleDispute(match_id, False, RULING_HASH, {"from": arbiter})
    assert (market.creditOf(buyer), market.creditOf(owner)) == (PRICE_WEI + BOND_WEI, 0)
    assert match_of(market, match_id)["state"] == REFUNDED
    assert dict(tx.events["DisputeSettled"]) == {
        "matchId": match_id,
        "arbiter": arbiter,
        "payOwner": False,
        "recipient": buyer,
        "amountWei": PRICE_WEI,
        "bondWei": BOND_WEI,
        "rulingHash": "0x" + RULING_HASH.hex(),
    }


@pytest.mark.parametrize("who", ["buyer", "owner", "stranger"])
def test_settling_by_anyone_but_the_arbiter_reverts(market, owner, buyer, stranger, match_id, disputed, who):
    caller = {"buyer": buyer, "owner": owner, "stranger": stranger}[who]
    with brownie.reverts(custom_error("DataMarketNotArbiter", match_id, caller.address)):
        market.settleDispute(match_id, True, RULING_HASH, {"from": caller})


def test_settling_an_undisputed_match_reverts(market, arbiter, match_id, granted):
    with brownie.reverts(custom_error("DataMarketWrongState", match_id, GRANTED, DISPUTED)):
        market.settleDispute(match_id, True, RULING_HASH, {"from": arbiter})


def test_settling_without_a_ruling_hash_reverts(market, arbiter, match_id, disputed):
    with brownie.reverts(custom_error("DataMarketZeroField", "rulingHash")):
        market.settleDispute(match_id, True, bytes(32), {"from": arbiter})


@pytest.mark.parametrize("first", [True, False])
def test_settling_twice_reverts_and_pays_once(market, owner, buyer, arbiter, match_id, disputed, first):
    market.settleDispute(match_id, first, RULING_HASH, {"from": arbiter})
    final = RELEASED if first else REFUNDED
    with brownie.reverts(custom_error("DataMarketWrongState", match_id, final, DISPUTED)):
        market.settleDispute(match_id, not first, RULING_HASH, {"from": arbiter})
    assert market.creditOf(owner) + market.creditOf(buyer) == PRICE_WEI + BOND_WEI


# --- reclaimUngranted -----------------------------------------------------------------------


def test_an_ungranted_match_lapses_and_its_slot_goes_back_to_the_requirement(
    market, stranger, requirement_id, file_id, match_id
):
    sleep(GRANT_PERIOD_S)
    tx = market.reclaimUngranted(match_id, {"from": stranger})
    assert match_of(market, match_id)["state"] == LAPSED
    assert requirement_of(market, requirement_id)["filled"] == 0
    assert dict(tx.events["MatchLapsed"]) == {
        "matchId": match_id,
        "requirementId": requirement_id,
        "fileId": "0x" + file_id.hex(),
        "refundWei": 0,
        "bondWei": BOND_WEI,
    }


def test_a_lapse_forfeits_the_owners_bond_to_the_buyer(market, owner, buyer, stranger, match_id):
    sleep(GRANT_PERIOD_S)
    market.reclaimUngranted(match_id, {"from": stranger})
    assert (market.creditOf(buyer), market.creditOf(owner)) == (BOND_WEI, 0)


def test_a_slot_freed_by_a_lapse_can_be_taken_by_another_owner(
    market,
    registry,
    buyer,
    arbiter,
    owner,
    rival,
    stranger,
    zk_requirement,
    zk_record,
    file_id,
    owner_proof,
    rival_proof,
):
    requirement_id = posted_id(
        post_requirement(market, buyer, market_terms(arbiter, zk_requirement.commitment, capacity=1))
    )
    first = matched_id(submit_proof(market, owner, requirement_id, owner_proof))
    sleep(GRANT_PERIOD_S)
    market.reclaimUngranted(first, {"from": stranger})
    register_record(registry, rival, zk_record.commitment)
    assert submit_proof(market, rival, requirement_id, rival_proof).return_value == 2
    assert requirement_of(market, requirement_id)["filled"] == 1


def test_a_lapse_after_the_unfilled_refund_credits_the_buyer(
    market, buyer, stranger, requirement_id, file_id, match_id
):
    sleep(DURATION_S)
    market.refundUnfilled(requirement_id, {"from": stranger})
    tx = market.reclaimUngranted(match_id, {"from": stranger})
    assert market.creditOf(buyer) == PRICE_WEI * CAPACITY + BOND_WEI
    assert (tx.events["MatchLapsed"]["refundWei"], tx.events["MatchLapsed"]["bondWei"]) == (PRICE_WEI, BOND_WEI)


def test_reclaiming_before_the_grant_deadline_reverts(market, stranger, match_id):
    deadline = match_of(market, match_id)["deadline"]
    with brownie.reverts(custom_error("DataMarketGrantWindowOpen", match_id, deadline)):
        market.reclaimUngranted(match_id, {"from": stranger})


def test_reclaiming_a_granted_match_reverts(market, stranger, match_id, granted):
    sleep(GRANT_PERIOD_S)
    with brownie.reverts(custom_error("DataMarketWrongState", match_id, GRANTED, MATCHED)):
        market.reclaimUngranted(match_id, {"from": stranger})


def test_reclaiming_twice_reverts(market, stranger, match_id):
    sleep(GRANT_PERIOD_S)
    market.reclaimUngranted(match_id, {"from": stranger})
    with brownie.reverts(custom_error("DataMarketWrongState", match_id, LAPSED, MATCHED)):
        market.reclaimUngranted(match_id, {"from": stranger})


# --- refundUnfilled -------------------------------------------------------------------------


def test_refund_unfilled_credits_the_buyer_the_unfilled_slots(market, buyer, stranger, requirement_id, match_id):
    sleep(DURATION_S)
    tx = market.refundUnfilled(requirement_id, {"from": stranger})
    assert market.creditOf(buyer) == PRICE_WEI * (CAPACITY - 1)
    assert requirement_of(market, requirement_id)["unfilledRefunded"] is True
    assert dict(tx.events["UnfilledRefunded"]) == {
        "requirementId": requirement_id,
        "buyer": buyer,
        "unfilled": CAPACITY - 1,
        "amountWei": PRICE_WEI * (CAPACITY - 1),
    }


def test_refund_unfilled_before_expiry_reverts(market, stranger, requirement_id):
    expires_at = requirement_of(market, requirement_id)["expiresAt"]
    with brownie.reverts(custom_error("DataMarketRequirementNotExpired", requirement_id, expires_at)):
        market.refundUnfilled(requirement_id, {"from": stranger})


def test_refund_unfilled_twice_reverts_and_pays_once(market, buyer, stranger, requirement_id):
    sleep(DURATION_S)
    market.refundUnfilled(requirement_id, {"from": stranger})
    with brownie.reverts(custom_error("DataMarketAlreadyRefunded", requirement_id)):
        market.refundUnfilled(requirement_id, {"from": stranger})
    assert market.creditOf(buyer) == PRICE_WEI * CAPACITY


def test_refund_unfilled_of_a_full_requirement_reverts(
    market, buyer, arbiter, owner, stranger, zk_requirement, file_id, owner_proof
):
    requirement_id = posted_id(
        post_requirement(market, buyer, market_terms(arbiter, zk_requirement.commitment, capacity=1))
    )
    submit_proof(market, owner, requirement_id, owner_proof)
    sleep(DURATION_S)
    with brownie.reverts(custom_error("DataMarketNothingToRefund", requirement_id)):
        market.refundUnfilled(requirement_id, {"from": stranger})


def test_refund_unfilled_of_an_unknown_requirement_reverts(market, stranger):
    with brownie.reverts(custom_error("DataMarketUnknownRequirement", 2)):
        market.refundUnfilled(2, {"from": stranger})


# --- cancelUnfilled -------------------------------------------------------------------------


def test_cancel_unfilled_credits_the_buyer_the_unfilled_slots_and_closes_the_requirement(
    market, buyer, requirement_id, match_id
):
    tx = market.cancelUnfilled(requirement_id, {"from": buyer})
    assert market.creditOf(buyer) == PRICE_WEI * (CAPACITY - 1)
    assert requirement_of(market, requirement_id)["unfilledRefunded"] is True
    assert dict(tx.events["UnfilledCancelled"]) == {
        "requirementId": requirement_id,
        "buyer": buyer,
        "unfilled": CAPACITY - 1,
        "amountWei": PRICE_WEI * (CAPACITY - 1),
    }


def test_cancelling_a_full_requirement_credits_nothing_and_a_later_lapse_pays_the_buyer(
    market, buyer, arbiter, owner, stranger, zk_requirement, file_id, owner_proof
):
    requirement_id = posted_id(
        post_requirement(market, buyer, market_terms(arbiter, zk_requirement.commitment, capacity=1))
    )
    match_id = matched_id(submit_proof(market, owner, requirement_id, owner_proof))
    tx = market.cancelUnfilled(requirement_id, {"from": buyer})
    assert dict(tx.events["UnfilledCancelled"])["amountWei"] == 0
    sleep(GRANT_PERIOD_S)
    lapsed = market.reclaimUngranted(match_id, {"from": stranger})
    assert (lapsed.events["MatchLapsed"]["refundWei"], market.creditOf(buyer)) == (PRICE_WEI, PRICE_WEI + BOND_WEI)


def test_a_match_made_before_the_cancellation_goes_on(market, owner, buyer, requirement_id, match_id, granted):
    market.cancelUnfilled(requirement_id, {"from": buyer})
    market.confirmReceipt(match_id, {"from": buyer})
    assert market.creditOf(owner) == PRICE_WEI + BOND_WEI


@pytest.mark.parametrize("who", ["owner", "stranger", "arbiter"])
def test_cancel_unfilled_by_anyone_but_the_buyer_reverts(market, owner, stranger, arbiter, requirement_id, who):
    caller = {"owner": owner, "stranger": stranger, "arbiter": arbiter}[who]
    with brownie.reverts(custom_error("DataMarketNotRequirementBuyer", requirement_id, caller.address)):
        market.cancelUnfilled(requirement_id, {"from": caller})


def test_cancel_unfilled_twice_reverts_and_pays_once(market, buyer, requirement_id):
    market.cancelUnfilled(requirement_id, {"from": buyer})
    with brownie.reverts(custom_error("DataMarketAlreadyRefunded", requirement_id)):
        market.cancelUnfilled(requirement_id, {"from": buyer})
    assert market.creditOf(buyer) == PRICE_WEI * CAPACITY


def test_cancel_unfilled_after_the_expiry_refund_reverts(market, buyer, stranger, requirement_id):
    sleep(DURATION_S)
    market.refundUnfilled(requirement_id, {"from": stranger})
    with brownie.reverts(custom_error("DataMarketAlreadyRefunded", requirement_id)):
        market.cancelUnfilled(requirement_id, {"from": buyer})


def test_refund_unfilled_after_a_cancellation_reverts(market, buyer, stranger, requirement_id):
    market.cancelUnfilled(requirement_id, {"from": buyer})
    sleep(DURATION_S)
    with brownie.reverts(custom_error("DataMarketAlreadyRefunded", requirement_id)):
        market.refundUnfilled(requirement_id, {"from": stranger})


def test_cancel_unfilled_of_an_unknown_requirement_reverts(market, buyer):
    with brownie.reverts(custom_error("DataMarketUnknownRequirement", 5)):
        market.cancelUnfilled(5, {"from": buyer})


# --- withdraw -------------------------------------------------------------------------------


def test_withdraw_pays_the_whole_credit_once(market, owner, buyer, match_id, granted):
    market.confirmReceipt(match_id, {"from": buyer})
    balance_before = owner.balance()
    tx = market.withdraw({"from": owner})
    assert owner.balance() == balance_before + PRICE_WEI + BOND_WEI - tx.gas_used * tx.gas_price
    assert market.creditOf(owner) == 0
    assert dict(tx.events["Withdrawn"]) == {"account": owner, "amountWei": PRICE_WEI + BOND_WEI}
    with brownie.reverts(custom_error("DataMarketNothingToWithdraw", owner.address)):
        market.withdraw({"from": owner})


def test_withdraw_without_credit_reverts(market, stranger):
    with brownie.reverts(custom_error("DataMarketNothingToWithdraw", stranger.address)):
        market.withdraw({"from": stranger})


def test_a_failed_transfer_reverts_and_keeps_the_credit(market, reentrant_buyer, arbiter, stranger):
    reentrant_buyer.post(market_terms(arbiter, 101), {"from": stranger, "value": PRICE_WEI * CAPACITY})
    sleep(DURATION_S)
    market.refundUnfilled(1, {"from": stranger})
    reentrant_buyer.setRefusesEther(True, {"from": stranger})
    with brownie.reverts(custom_error("DataMarketTransferFailed", reentrant_buyer.address, PRICE_WEI * CAPACITY)):
        reentrant_buyer.withdraw({"from": stranger})
    assert market.creditOf(reentrant_buyer) == PRICE_WEI * CAPACITY


def test_re_entering_from_the_payment_gets_nothing_extra(market, reentrant_buyer, arbiter, stranger):
    reentrant_buyer.post(market_terms(arbiter, 101), {"from": stranger, "value": PRICE_WEI * CAPACITY})
    sleep(DURATION_S)
    market.refundUnfilled(1, {"from": stranger})
    reentrant_buyer.arm([market.withdraw.encode_input(), market.refundUnfilled.encode_input(1)], {"from": stranger})
    tx = reentrant_buyer.withdraw({"from": stranger})
    assert reentrant_buyer.balance() == PRICE_WEI * CAPACITY
    assert market.balance() == 0 and market.creditOf(reentrant_buyer) == 0
    assert len(tx.events["Withdrawn"]) == 1
    assert reentrant_buyer.reentryCount() == 2
    assert reentrant_buyer.reentry(0) == (False, "0x" + keccak(b"ReentrancyGuardReentrantCall()")[:4].hex())
    assert reentrant_buyer.reentry(1) == (
        False,
        "0x" + keccak(b"DataMarketAlreadyRefunded(uint256)")[:4].hex() + encode(["uint256"], [1]).hex(),
    )


# --- views ----------------------------------------------------------------------------------


def test_match_of_an_unknown_id_reverts(market):
    with brownie.reverts(custom_error("DataMarketUnknownMatch", 1)):
        market.matchOf(1)


def test_match_id_of_an_unmatched_file_is_zero(market, requirement_id, file_id):
    assert market.matchIdOf(requirement_id, file_id) == 0


# --- escrow accounting ----------------------------------------------------------------------


def test_escrow_is_accounted_for_through_every_ending(
    market,
    registry,
    buyer,
    arbiter,
    owner,
    rival,
    stranger,
    zk_requirement,
    zk_record,
    file_id,
    owner_proof,
    rival_proof,
):
    holders = [buyer, owner, rival, arbiter, stranger]
    requirement_id = posted_id(post_requirement(market, buyer, market_terms(arbiter, zk_requirement.commitment)))
    assert_escrow_invariant(market, holders)
    first = matched_id(submit_proof(market, owner, requirement_id, owner_proof))
    rivals_file = register_record(registry, rival, zk_record.commitment)
    second = matched_id(submit_proof(market, rival, requirement_id, rival_proof))
    assert_escrow_invariant(market, holders)
    grant_access(registry, owner, file_id, buyer)
    market.recordGrant(first, {"from": owner})
    grant_access(registry, rival, rivals_file, buyer)
    market.recordGrant(second, {"from": rival})
    market.dispute(second, REASON_HASH, {"from": buyer})
    market.confirmReceipt(first, {"from": buyer})
    assert_escrow_invariant(market, holders)
    market.settleDispute(second, False, RULING_HASH, {"from": arbiter})
    sleep(DURATION_S)
    market.refundUnfilled(requirement_id, {"from": stranger})
    assert_escrow_invariant(market, holders)
    market.withdraw({"from": owner})
    market.withdraw({"from": buyer})
    assert_escrow_invariant(market, holders)
    assert market.balance() == 0


def test_arbitration_of_gives_the_state_and_the_arbiter(market, arbiter, match_id, disputed):
    state, settled_by = market.arbitrationOf(match_id)
    assert (state, settled_by) == (DISPUTED, arbiter.address)


def test_arbitration_of_an_unknown_match_reverts(market):
    with brownie.reverts(custom_error("DataMarketUnknownMatch", 2)):
        market.arbitrationOf(2)
