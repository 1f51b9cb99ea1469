"""offchain.chain.shapley_payout against a deployed ShapleyPayout: a valuation record's round paid
by Merkle claims and by the contract's own Shapley split; the tree, split and input checks."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from offchain.chain.shapley_payout import (
    PayoutTree,
    RoundStatus,
    ShapleyPayoutClient,
    SplitMode,
    UnknownRoundError,
    Valuation,
    onchain_shares,
)
from offchain.errors import InvalidInputError, TransactionRevertedError
from offchain.learning.valuation import ValuationRecord, integer_shares
from tests.helpers import register_record, sleep

PERIOD_S = 24 * 3600
POOL_WEI = 10**18 + 7


@pytest.fixture(scope="module")
def client(ShapleyPayout, consortium, registry, deployer):
    contract = ShapleyPayout.deploy(consortium, registry, {"from": deployer})
    return ShapleyPayoutClient(contract, from_block=contract.tx.block_number)


@pytest.fixture(scope="module")
def owners(accounts):
    return [accounts[1], accounts[2], accounts[9]]


@pytest.fixture(scope="module")
def record(registry, owners):
    ids = tuple("0x" + register_record(registry, o, 100 + i).hex() for i, o in enumerate(owners))
    utilities = (0.0, 0.5, 0.4, 0.7, 0.1, 0.55, 0.45, 0.75)
    return ValuationRecord(owner_file_ids=ids, test_set_sha256="ab" * 32, model="svm", utilities=utilities)


@pytest.fixture(scope="module")
def funder(accounts):
    return accounts[8]


def test_a_merkle_round_of_a_valuation_record_pays_each_owner_its_shapley_share(
    client, record, owners, agencies, funder
):
    shares = integer_shares(POOL_WEI, record.scaled_table())
    tree = PayoutTree.from_amounts(list(zip(owners, shares, strict=True)))
    round_id = client.open_merkle_round(
        sender=funder, tree=tree, valuation=Valuation.of_record(record), period_s=PERIOD_S
    )
    assert [client.approve(sender=a, round_id=round_id) for a in agencies[:3]] == [False, False, True]
    paid = [client.claim(sender=o, round_id=round_id, tree=tree, index=i) for i, o in enumerate(owners)]
    assert [p.amount_wei for p in paid] == shares and sum(shares) == POOL_WEI
    state = client.get_round(round_id)
    assert (state.mode, state.status, state.paid_wei, state.pool_wei) == (
        SplitMode.MERKLE, RoundStatus.PAYABLE, POOL_WEI, POOL_WEI
    )  # fmt: skip
    assert state.valuation_hash != bytes(32) and client.is_paid(round_id, 2)


def test_an_onchain_shapley_round_pays_what_python_computes(client, record, owners, agencies, funder, stranger):
    table = record.scaled_table()
    round_id = client.open_shapley_round(
        sender=funder, table=table, valuation=Valuation.of_record(record), period_s=PERIOD_S, pool_wei=POOL_WEI
    )
    assert client.payees_of(round_id) == [o.address for o in owners]
    for agency in agencies[:3]:
        client.approve(sender=agency, round_id=round_id)
    shares, gas_used = client.settle_shapley(sender=stranger, round_id=round_id, table=table)
    assert shares == onchain_shares(POOL_WEI, table) == client.compute_shares(POOL_WEI, table) and gas_used > 0
    assert [client.withdraw(sender=o, round_id=round_id, index=i).amount_wei for i, o in enumerate(owners)] == shares


def test_the_funder_reclaims_an_unapproved_round(client, record, owners, funder):
    tree = PayoutTree.from_amounts([(owners[0], 5)])
    round_id = client.open_merkle_round(sender=funder, tree=tree, valuation=Valuation.of_record(record), period_s=3600)
    assert client.fund(sender=funder, round_id=round_id, amount_wei=1) == 6
    sleep(3601)
    assert client.reclaim(sender=funder, round_id=round_id) == 6
    assert client.get_round(round_id).status == RoundStatus.CLOSED


def test_a_pool_other_than_the_leaves_total_is_refused_before_sending(client, record, owners, funder):
    tree = PayoutTree.from_amounts([(owners[0], 5)])
    with pytest.raises(InvalidInputError, match="sum to 5 wei"):
        client.open_merkle_round(
            sender=funder, tree=tree, valuation=Valuation.of_record(record), period_s=3600, pool_wei=6
        )


def test_a_contract_refusal_comes_back_typed(client, record, owners, stranger, funder):
    tree = PayoutTree.from_amounts([(owners[0], 5)])
    round_id = client.open_merkle_round(sender=funder, tree=tree, valuation=Valuation.of_record(record), period_s=3600)
    with pytest.raises(TransactionRevertedError) as caught:
        client.approve(sender=stranger, round_id=round_id)
    assert caught.value.error_name == "ShapleyPayoutNotAgency"


def test_an_unknown_round_is_a_typed_error(client):
    with pytest.raises(UnknownRoundError):
        client.get_round(10**6)


def test_tables_beyond_the_contracts_bounds_are_refused(client):
    with pytest.raises(InvalidInputError):
        onchain_shares(10, [0] * 2048)
    with pytest.raises(InvalidInputError):
        onchain_shares(10, [0, 2**64])


def test_every_proof_of_an_odd_sized_tree_verifies_on_chain(client, accounts):
    entries = [(accounts[i % 10], 1000 + i) for i in range(7)]
    tree = PayoutTree.from_amounts(entries)
    for index, (payee, amount) in enumerate(entries):
        leaf = bytes(client.contract.leafOf(index, payee, amount))
        node = leaf
        for sibling in tree.proof(index):
            node = bytes(keccak(min(node, sibling) + max(node, sibling)))
        assert node == tree.root
