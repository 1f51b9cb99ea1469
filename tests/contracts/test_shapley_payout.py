"""ShapleyPayout: rounds funded by a third party, approved by 2/3 of the consortium's agencies,
paid by Merkle claims or by the contract's own Shapley split; every revert, event and attack."""

from __future__ import annotations

import random

import brownie
import pytest
from eth_utils import keccak

from offchain.chain.shapley_payout import PayoutTree, leaf_of, onchain_shares, table_hash
from tests.helpers import chain_now, custom_error, register_record, set_balance, sleep

PERIOD_S = 7 * 24 * 3600
RECORD_HASH = keccak(b"valuation record")
TEST_SET_HASH = keccak(b"test set")
MERKLE, ONCHAIN = 0, 1
NONE, PROPOSED, APPROVED, PAYABLE, CLOSED = range(5)
#: A two-owner table: v(∅) = 0, v({0}) = 60, v({1}) = 30, v({0, 1}) = 100 (shapley.py's example).
TABLE = [0, 60, 30, 100]
POOL_WEI = 7


@pytest.fixture(scope="module")
def payout(ShapleyPayout, consortium, registry, deployer):
    return ShapleyPayout.deploy(consortium, registry, {"from": deployer})


@pytest.fixture(scope="module")
def funder(accounts):
    """The third party that pays the revenue."""
    return accounts[8]


@pytest.fixture(scope="module")
def second_owner(accounts):
    return accounts[9]


@pytest.fixture(scope="module")
def file_ids(registry, owner, second_owner):
    return [register_record(registry, owner, 1), register_record(registry, second_owner, 2)]


@pytest.fixture(scope="module")
def valuation(file_ids):
    return (RECORD_HASH, TEST_SET_HASH, file_ids)


@pytest.fixture(scope="module")
def tree(owner, second_owner, stranger):
    return PayoutTree.from_amounts([(owner, 600), (second_owner, 300), (stranger, 100)])


@pytest.fixture(scope="module")
def merkle_round(payout, tree, valuation, funder):
    tx = payout.openMerkleRound(tree.root, 3, valuation, PERIOD_S, {"from": funder, "value": tree.total_wei})
    return tx.events["RoundOpened"]["roundId"]


@pytest.fixture(scope="module")
def shapley_round(payout, valuation, funder, merkle_round):
    tx = payout.openShapleyRound(table_hash(TABLE), valuation, PERIOD_S, {"from": funder, "value": POOL_WEI})
    return tx.events["RoundOpened"]["roundId"]


def fields(event) -> list:
    """An event's values as plain Python values."""
    return [list(event[key]) if isinstance(event[key], tuple) else event[key] for key in event.keys()]  # noqa: SIM118 (an _EventItem iterates its values)


def approve_all(payout, agencies, round_id, count=3):
    commitment = payout.commitmentOf(round_id)
    return [payout.approve(round_id, commitment, {"from": a}) for a in agencies[:count]]


@pytest.fixture
def approved_merkle(payout, agencies, merkle_round):
    approve_all(payout, agencies, merkle_round)
    return merkle_round


@pytest.fixture
def settled(payout, agencies, shapley_round, stranger):
    approve_all(payout, agencies, shapley_round)
    return payout.settleShapley(shapley_round, TABLE, {"from": stranger})


# --- construction and opening ----------------------------------------------------------------


def test_the_constructor_refuses_a_consortium_without_code(ShapleyPayout, registry, deployer, stranger):
    with brownie.reverts(custom_error("ShapleyPayoutNoCode", stranger.address)):
        ShapleyPayout.deploy(stranger, registry, {"from": deployer})


def test_the_constructor_refuses_a_registry_without_code(ShapleyPayout, consortium, deployer, stranger):
    with brownie.reverts(custom_error("ShapleyPayoutNoCode", stranger.address)):
        ShapleyPayout.deploy(consortium, stranger, {"from": deployer})


def test_opening_a_merkle_round_stores_and_announces_it(payout, tree, valuation, funder, file_ids):
    tx = payout.openMerkleRound(tree.root, 3, valuation, PERIOD_S, {"from": funder, "value": 1000})
    event = tx.events["RoundOpened"]
    round_id = event["roundId"]
    assert (event["funder"], event["mode"], event["splitRoot"], event["count"], event["poolWei"]) == (
        funder,
        MERKLE,
        "0x" + tree.root.hex(),
        3,
        1000,
    )
    assert (event["recordHash"], event["testSetHash"]) == ("0x" + RECORD_HASH.hex(), "0x" + TEST_SET_HASH.hex())
    assert [bytes(f) for f in event["fileIds"]] == file_ids and event["payees"] == ()
    stored = payout.roundOf(round_id)
    assert (stored[0], stored[1], stored[3], stored[7], stored[8], stored[6]) == (
        funder,
        chain_now() + PERIOD_S,
        PROPOSED,
        1000,
        0,
        3,
    )
    assert payout.balance() == 1000


def test_opening_a_shapley_round_pays_the_registered_owners_of_the_files(payout, shapley_round, owner, second_owner):
    assert payout.payeesOf(shapley_round) == [owner, second_owner]
    assert payout.roundOf(shapley_round)[4] == 2


@pytest.mark.parametrize(
    ("root", "count", "period", "value", "error"),
    [
        (bytes(32), 3, PERIOD_S, 1, ("ShapleyPayoutZeroField", "merkleRoot")),
        (b"\x01" * 32, 0, PERIOD_S, 1, ("ShapleyPayoutInvalidLeafCount", 0, 32768)),
        (b"\x01" * 32, 32769, PERIOD_S, 1, ("ShapleyPayoutInvalidLeafCount", 32769, 32768)),
        (b"\x01" * 32, 3, 60, 1, ("ShapleyPayoutInvalidPeriod", 60, 3600, 365 * 86400)),
        (b"\x01" * 32, 3, PERIOD_S, 0, ("ShapleyPayoutNoValue",)),
    ],
)
def test_opening_refuses_bad_arguments(payout, valuation, funder, root, count, period, value, error):
    with brownie.reverts(custom_error(*error)):
        payout.openMerkleRound(root, count, valuation, period, {"from": funder, "value": value})


@pytest.mark.parametrize(
    ("valuation_of", "error"),
    [
        (lambda ids: (bytes(32), TEST_SET_HASH, ids), ("ShapleyPayoutZeroField", "recordHash")),
        (lambda ids: (RECORD_HASH, bytes(32), ids), ("ShapleyPayoutZeroField", "testSetHash")),
        (lambda ids: (RECORD_HASH, TEST_SET_HASH, [*ids, bytes(32)]), ("ShapleyPayoutZeroField", "fileId")),
        (lambda ids: (RECORD_HASH, TEST_SET_HASH, []), ("ShapleyPayoutInvalidFileCount", 0, 1024)),
    ],
)
def test_opening_refuses_an_incomplete_valuation(payout, file_ids, funder, valuation_of, error):
    with brownie.reverts(custom_error(*error)):
        payout.openMerkleRound(b"\x01" * 32, 3, valuation_of(file_ids), PERIOD_S, {"from": funder, "value": 1})


def test_a_shapley_round_refuses_more_than_ten_owners(payout, file_ids, funder):
    ids = [keccak(bytes([i])) for i in range(11)]
    with brownie.reverts(custom_error("ShapleyPayoutInvalidOwnerCount", 11, 10)):
        payout.openShapleyRound(b"\x01" * 32, (RECORD_HASH, TEST_SET_HASH, ids), PERIOD_S, {"from": funder, "value": 1})


def test_a_shapley_round_refuses_a_file_named_twice(payout, file_ids, funder):
    with brownie.reverts(custom_error("ShapleyPayoutDuplicateFile", file_ids[0])):
        payout.openShapleyRound(
            b"\x01" * 32, (RECORD_HASH, TEST_SET_HASH, [file_ids[0]] * 2), PERIOD_S, {"from": funder, "value": 1}
        )


def test_a_shapley_round_refuses_an_unregistered_file(payout, funder):
    unknown = keccak(b"unknown file")
    with brownie.reverts(custom_error("ShapleyPayoutUnknownFile", unknown)):
        payout.openShapleyRound(
            b"\x01" * 32, (RECORD_HASH, TEST_SET_HASH, [unknown]), PERIOD_S, {"from": funder, "value": 1}
        )


def test_a_shapley_round_refuses_a_zero_table_hash(payout, valuation, funder):
    with brownie.reverts(custom_error("ShapleyPayoutZeroField", "tableHash")):
        payout.openShapleyRound(bytes(32), valuation, PERIOD_S, {"from": funder, "value": 1})


# --- funding ---------------------------------------------------------------------------------


def test_the_funder_tops_up_before_any_approval(payout, merkle_round, funder):
    tx = payout.fund(merkle_round, {"from": funder, "value": 5})
    assert fields(tx.events["RoundFunded"]) == [merkle_round, funder, 5, 1005]
    assert payout.roundOf(merkle_round)[7] == 1005


def test_nobody_else_funds_a_round(payout, merkle_round, funder, stranger):
    with brownie.reverts(custom_error("ShapleyPayoutNotFunder", merkle_round, stranger.address, funder.address)):
        payout.fund(merkle_round, {"from": stranger, "value": 5})


def test_funding_closes_at_the_first_approval(payout, agencies, merkle_round, funder):
    approve_all(payout, agencies, merkle_round, count=1)
    with brownie.reverts(custom_error("ShapleyPayoutFundingClosed", merkle_round)):
        payout.fund(merkle_round, {"from": funder, "value": 5})


def test_funding_after_approval_is_refused(payout, approved_merkle, funder):
    with brownie.reverts(custom_error("ShapleyPayoutWrongStatus", approved_merkle, PAYABLE, PROPOSED)):
        payout.fund(approved_merkle, {"from": funder, "value": 5})


def test_opening_refuses_a_pool_beyond_uint128(payout, tree, valuation, funder):
    if brownie.network.show_active() == "anvil":  # the Ganache run of the suite covers it
        pytest.skip("Anvil refuses a transaction of 2^128 wei or more before any contract runs")
    set_balance(funder, 1 << 130)
    with brownie.reverts(custom_error("ShapleyPayoutPoolTooLarge", 1 << 128)):
        payout.openMerkleRound(tree.root, 3, valuation, PERIOD_S, {"from": funder, "value": 1 << 128})


def test_funding_refuses_a_pool_beyond_uint128_and_takes_one_up_to_it(payout, tree, valuation, funder):
    set_balance(funder, 1 << 130)
    half = 1 << 127  # Anvil takes no single transaction of 2^128 wei or more
    opened = payout.openMerkleRound(tree.root, 3, valuation, PERIOD_S, {"from": funder, "value": half})
    round_id = opened.events["RoundOpened"]["roundId"]
    with brownie.reverts(custom_error("ShapleyPayoutPoolTooLarge", 1 << 128)):
        payout.fund(round_id, {"from": funder, "value": half})
    tx = payout.fund(round_id, {"from": funder, "value": half - 1})
    assert tx.events["RoundFunded"]["poolWei"] == (1 << 128) - 1 == payout.roundOf(round_id)[7]


def test_funding_needs_ether_an_open_round_and_time(payout, merkle_round, funder):
    with brownie.reverts(custom_error("ShapleyPayoutNoValue")):
        payout.fund(merkle_round, {"from": funder})
    with brownie.reverts(custom_error("ShapleyPayoutUnknownRound", 99)):
        payout.fund(99, {"from": funder, "value": 1})
    sleep(PERIOD_S + 1)
    deadline = payout.roundOf(merkle_round)[1]
    with brownie.reverts(custom_error("ShapleyPayoutDeadlinePassed", merkle_round, deadline)):
        payout.fund(merkle_round, {"from": funder, "value": 1})


# --- approval --------------------------------------------------------------------------------


def test_approvals_reach_the_quorum_and_make_a_merkle_round_payable(payout, consortium, agencies, merkle_round):
    commitment = payout.commitmentOf(merkle_round)
    first, _, last = approve_all(payout, agencies, merkle_round)
    assert fields(first.events["ValuationApproved"]) == [merkle_round, agencies[0], "0x" + commitment.hex(), 0, 1]
    assert "RoundApproved" not in first.events
    assert fields(last.events["RoundApproved"]) == [merkle_round, "0x" + commitment.hex(), 0, 3, consortium.quorum()]
    assert payout.roundOf(merkle_round)[3] == PAYABLE
    assert payout.hasApproved(merkle_round, 0, agencies[2])


def test_an_approved_shapley_round_waits_for_its_table(payout, agencies, shapley_round):
    approve_all(payout, agencies, shapley_round)
    assert payout.roundOf(shapley_round)[3] == APPROVED


def test_a_non_agency_cannot_approve(payout, merkle_round, stranger):
    with brownie.reverts(custom_error("ShapleyPayoutNotAgency", stranger.address)):
        payout.approve(merkle_round, payout.commitmentOf(merkle_round), {"from": stranger})


def test_an_agency_cannot_approve_twice(payout, agencies, merkle_round):
    approve_all(payout, agencies, merkle_round, count=1)
    with brownie.reverts(custom_error("ShapleyPayoutAlreadyApproved", merkle_round, agencies[0].address)):
        approve_all(payout, agencies, merkle_round, count=1)


def test_an_agency_approves_only_the_current_commitment(payout, agencies, merkle_round):
    stale = keccak(b"what the agency checked")
    expected = payout.commitmentOf(merkle_round)
    with brownie.reverts(custom_error("ShapleyPayoutCommitmentMismatch", merkle_round, expected, stale)):
        payout.approve(merkle_round, stale, {"from": agencies[0]})


def test_no_approval_after_the_round_is_approved_or_past_its_deadline(payout, agencies, approved_merkle, shapley_round):
    commitment = payout.commitmentOf(approved_merkle)
    with brownie.reverts(custom_error("ShapleyPayoutWrongStatus", approved_merkle, PAYABLE, PROPOSED)):
        payout.approve(approved_merkle, commitment, {"from": agencies[3]})
    sleep(PERIOD_S + 1)
    deadline = payout.roundOf(shapley_round)[1]
    with brownie.reverts(custom_error("ShapleyPayoutDeadlinePassed", shapley_round, deadline)):
        payout.approve(shapley_round, payout.commitmentOf(shapley_round), {"from": agencies[0]})


def test_a_membership_change_restarts_the_tally(payout, consortium, agencies, candidate, merkle_round):
    approve_all(payout, agencies, merkle_round, count=2)
    ballot = consortium.proposeAdmission(candidate, {"from": agencies[0]}).return_value
    for agency in agencies[1:3]:
        consortium.vote(ballot, True, {"from": agency})
    tx = payout.approve(merkle_round, payout.commitmentOf(merkle_round), {"from": agencies[2]})
    assert tx.events["ValuationApproved"]["approvals"] == 1 and payout.roundOf(merkle_round)[3] == PROPOSED


# --- Merkle claims ---------------------------------------------------------------------------


def test_a_payee_claims_its_leaf(payout, tree, approved_merkle, owner):
    before = owner.balance()
    tx = payout.claim(approved_merkle, 0, 600, tree.proof(0), {"from": owner})
    assert fields(tx.events["SharePaid"]) == [approved_merkle, owner, 0, 600]
    assert owner.balance() == before + 600 - tx.gas_used * tx.gas_price
    assert payout.isPaid(approved_merkle, 0) and not payout.isPaid(approved_merkle, 1)
    assert payout.roundOf(approved_merkle)[8] == 600


def test_a_leaf_is_claimed_once(payout, tree, approved_merkle, owner):
    payout.claim(approved_merkle, 0, 600, tree.proof(0), {"from": owner})
    with brownie.reverts(custom_error("ShapleyPayoutAlreadyPaid", approved_merkle, 0)):
        payout.claim(approved_merkle, 0, 600, tree.proof(0), {"from": owner})


def test_nobody_claims_another_payees_leaf(payout, tree, approved_merkle, stranger):
    with brownie.reverts(custom_error("ShapleyPayoutInvalidProof", approved_merkle, 0, stranger.address, 600)):
        payout.claim(approved_merkle, 0, 600, tree.proof(0), {"from": stranger})


@pytest.mark.parametrize("forgery", ["amount", "sibling", "index"])
def test_a_forged_proof_is_refused(payout, tree, approved_merkle, owner, forgery):
    index, amount, proof = 0, 600, tree.proof(0)
    if forgery == "amount":
        amount = 1000
    elif forgery == "sibling":
        proof[0] = keccak(b"forged")
    else:
        index = 2
    with brownie.reverts(custom_error("ShapleyPayoutInvalidProof", approved_merkle, index, owner.address, amount)):
        payout.claim(approved_merkle, index, amount, proof, {"from": owner})


def test_no_claim_before_approval(payout, tree, merkle_round, owner):
    with brownie.reverts(custom_error("ShapleyPayoutWrongStatus", merkle_round, PROPOSED, PAYABLE)):
        payout.claim(merkle_round, 0, 600, tree.proof(0), {"from": owner})


def test_no_claim_outside_the_tree_in_the_wrong_mode_or_after_the_deadline(
    payout, tree, approved_merkle, shapley_round, owner
):
    with brownie.reverts(custom_error("ShapleyPayoutIndexOutOfRange", approved_merkle, 3, 3)):
        payout.claim(approved_merkle, 3, 600, tree.proof(0), {"from": owner})
    with brownie.reverts(custom_error("ShapleyPayoutWrongMode", shapley_round, ONCHAIN)):
        payout.claim(shapley_round, 0, 600, tree.proof(0), {"from": owner})
    sleep(PERIOD_S + 1)
    deadline = payout.roundOf(approved_merkle)[1]
    with brownie.reverts(custom_error("ShapleyPayoutDeadlinePassed", approved_merkle, deadline)):
        payout.claim(approved_merkle, 0, 600, tree.proof(0), {"from": owner})


def test_claims_never_exceed_the_pool(payout, agencies, tree, valuation, funder, owner, second_owner):
    """A tree whose leaves sum to more than the pool (the agencies should not approve it)."""
    round_id = payout.openMerkleRound(tree.root, 3, valuation, PERIOD_S, {"from": funder, "value": 700}).return_value
    approve_all(payout, agencies, round_id)
    payout.claim(round_id, 0, 600, tree.proof(0), {"from": owner})
    with brownie.reverts(custom_error("ShapleyPayoutPoolExceeded", round_id, 600, 300, 700)):
        payout.claim(round_id, 1, 300, tree.proof(1), {"from": second_owner})


def test_a_reentrant_payee_cannot_claim_twice(ReentrantPayoutPayee, payout, agencies, valuation, funder, deployer):
    payee = ReentrantPayoutPayee.deploy(payout, {"from": deployer})
    tree = PayoutTree.from_amounts([(payee, 50), (deployer, 50)])
    round_id = payout.openMerkleRound(tree.root, 2, valuation, PERIOD_S, {"from": funder, "value": 100}).return_value
    approve_all(payout, agencies, round_id)
    payee.arm([payout.claim.encode_input(round_id, 0, 50, tree.proof(0))], {"from": deployer})
    held = payout.balance()
    payee.claim(round_id, 0, 50, tree.proof(0), {"from": deployer})
    succeeded, returned = payee.reentry(0)
    assert not succeeded and returned == "0x3ee5aeb5"  # ReentrancyGuardReentrantCall()
    assert payee.balance() == 50 and payout.balance() == held - 50


def test_a_payee_that_refuses_ether_is_not_marked_paid(
    ReentrantPayoutPayee, payout, agencies, valuation, funder, deployer
):
    payee = ReentrantPayoutPayee.deploy(payout, {"from": deployer})
    tree = PayoutTree.from_amounts([(payee, 100)])
    round_id = payout.openMerkleRound(tree.root, 1, valuation, PERIOD_S, {"from": funder, "value": 100}).return_value
    approve_all(payout, agencies, round_id)
    payee.setRefusesEther(True, {"from": deployer})
    with brownie.reverts(custom_error("ShapleyPayoutTransferFailed", payee.address, 100)):
        payee.claim(round_id, 0, 100, tree.proof(0), {"from": deployer})
    assert not payout.isPaid(round_id, 0)


def test_the_python_leaf_is_the_contracts(payout, owner):
    assert payout.leafOf(7, owner, 12345) == "0x" + leaf_of(7, owner.address, 12345).hex()


def test_a_claim_costs_at_most_60000_gas_at_1000_leaves(payout, agencies, valuation, funder, accounts):
    rng = random.Random(15)
    entries = [(accounts[i % 10], rng.randrange(1, 10**15)) for i in range(1000)]
    tree = PayoutTree.from_amounts(entries)
    pool = tree.total_wei
    round_id = payout.openMerkleRound(
        tree.root, 1000, valuation, PERIOD_S, {"from": funder, "value": pool}
    ).return_value
    approve_all(payout, agencies, round_id)
    gas = [
        payout.claim(round_id, i, entries[i][1], tree.proof(i), {"from": entries[i][0]}).gas_used
        for i in (0, 254, 255, 999)
    ]
    assert max(gas) <= 60_000, gas


# --- the on-chain Shapley split --------------------------------------------------------------


def test_the_contract_computes_and_stores_the_shapley_split(payout, shapley_round, settled, stranger):
    assert fields(settled.events["SharesComputed"]) == [shapley_round, stranger, TABLE, [5, 2]]
    assert [payout.shareOf(shapley_round, i) for i in range(2)] == [5, 2] == onchain_shares(POOL_WEI, TABLE)
    assert payout.roundOf(shapley_round)[3] == PAYABLE


def test_a_table_other_than_the_approved_one_is_refused(payout, agencies, shapley_round, stranger):
    approve_all(payout, agencies, shapley_round)
    forged = [0, 90, 30, 100]
    with brownie.reverts(
        custom_error("ShapleyPayoutTableMismatch", shapley_round, table_hash(TABLE), table_hash(forged))
    ):
        payout.settleShapley(shapley_round, forged, {"from": stranger})
    with brownie.reverts(custom_error("ShapleyPayoutInvalidTable", 8)):
        payout.settleShapley(shapley_round, [*TABLE, *TABLE], {"from": stranger})


def test_no_settlement_before_approval_or_of_a_merkle_round(payout, shapley_round, approved_merkle, stranger):
    with brownie.reverts(custom_error("ShapleyPayoutWrongStatus", shapley_round, PROPOSED, APPROVED)):
        payout.settleShapley(shapley_round, TABLE, {"from": stranger})
    with brownie.reverts(custom_error("ShapleyPayoutWrongMode", approved_merkle, MERKLE)):
        payout.settleShapley(approved_merkle, TABLE, {"from": stranger})


def test_an_owner_withdraws_its_share_once(payout, shapley_round, settled, owner):
    tx = payout.withdraw(shapley_round, 0, {"from": owner})
    assert fields(tx.events["SharePaid"]) == [shapley_round, owner, 0, 5]
    assert payout.isPaid(shapley_round, 0) and payout.roundOf(shapley_round)[13] == 1
    with brownie.reverts(custom_error("ShapleyPayoutAlreadyPaid", shapley_round, 0)):
        payout.withdraw(shapley_round, 0, {"from": owner})


def test_only_the_owner_withdraws_its_share(payout, shapley_round, settled, owner, stranger):
    with brownie.reverts(custom_error("ShapleyPayoutNotPayee", shapley_round, 0, stranger.address, owner.address)):
        payout.withdraw(shapley_round, 0, {"from": stranger})
    with brownie.reverts(custom_error("ShapleyPayoutIndexOutOfRange", shapley_round, 2, 2)):
        payout.withdraw(shapley_round, 2, {"from": owner})


def test_no_withdrawal_before_settlement(payout, agencies, shapley_round, owner):
    approve_all(payout, agencies, shapley_round)
    with brownie.reverts(custom_error("ShapleyPayoutWrongStatus", shapley_round, APPROVED, PAYABLE)):
        payout.withdraw(shapley_round, 0, {"from": owner})


def test_compute_shares_refuses_bad_tables(payout):
    with brownie.reverts(custom_error("ShapleyPayoutInvalidTable", 3)):
        payout.computeShares(10, [0, 1, 2])
    with brownie.reverts(custom_error("ShapleyPayoutInvalidTable", 2048)):
        payout.computeShares(10, [0] * 2048)
    with brownie.reverts(custom_error("ShapleyPayoutWorthTooLarge", 1, 2**64)):
        payout.computeShares(10, [0, 2**64])


@pytest.mark.parametrize("n", range(1, 11))
def test_the_contracts_split_equals_pythons(payout, n):
    rng = random.Random(n)
    for pool in (rng.randrange(1, 10**21), n - 1 if n > 1 else 1):
        table = [rng.randrange(0, 10**6) for _ in range(1 << n)]
        assert list(payout.computeShares(pool, table)) == onchain_shares(pool, table)
    flat = [5] * (1 << n)  # no owner adds anything: equal shares, the remainder to owner 0
    assert list(payout.computeShares(10**6 + 1, flat)) == onchain_shares(10**6 + 1, flat)


# --- reclaim ---------------------------------------------------------------------------------


def test_the_funder_reclaims_what_was_not_claimed_after_the_deadline(payout, tree, approved_merkle, owner, funder):
    payout.claim(approved_merkle, 0, 600, tree.proof(0), {"from": owner})
    deadline = payout.roundOf(approved_merkle)[1]
    with brownie.reverts(custom_error("ShapleyPayoutBeforeDeadline", approved_merkle, deadline)):
        payout.reclaim(approved_merkle, {"from": funder})
    sleep(PERIOD_S + 1)
    before = funder.balance()
    tx = payout.reclaim(approved_merkle, {"from": funder})
    assert fields(tx.events["RoundClosed"]) == [approved_merkle, funder, 400]
    assert funder.balance() == before + 400 - tx.gas_used * tx.gas_price
    assert payout.roundOf(approved_merkle)[3] == CLOSED
    with brownie.reverts(custom_error("ShapleyPayoutWrongStatus", approved_merkle, CLOSED, PAYABLE)):
        payout.reclaim(approved_merkle, {"from": funder})


def test_an_unapproved_round_returns_its_whole_pool_and_only_to_the_funder(payout, merkle_round, funder, stranger):
    sleep(PERIOD_S + 1)
    with brownie.reverts(custom_error("ShapleyPayoutNotFunder", merkle_round, stranger.address, funder.address)):
        payout.reclaim(merkle_round, {"from": stranger})
    assert payout.reclaim(merkle_round, {"from": funder}).events["RoundClosed"]["returnedWei"] == 1000
    assert payout.balance() == POOL_WEI  # the Shapley round's pool stays


def test_unknown_rounds_are_refused(payout, funder):
    with brownie.reverts(custom_error("ShapleyPayoutUnknownRound", 0)):
        payout.roundOf(0)
    with brownie.reverts(custom_error("ShapleyPayoutUnknownRound", 42)):
        payout.reclaim(42, {"from": funder})
