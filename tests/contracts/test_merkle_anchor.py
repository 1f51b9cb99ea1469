"""MerkleAnchor: events, state changes, every revert of each external function, roles and gas."""

from __future__ import annotations

import random

import brownie
import pytest
from eth_utils import keccak

from offchain.crypto.batching import DataBlock, Record
from offchain.crypto.merkle import MerkleTree
from tests.helpers import custom_error

ROOT = keccak(b"root of a data block")
METADATA_HASH = keccak(b'{"records":1000}')
DEFAULT_ADMIN_ROLE = bytes(32)
ANCHORER_ROLE = keccak(b"ANCHORER_ROLE")
MAX_PROOF_DEPTH = 64
MAX_LEAF_COUNT = 2**48 - 1
VERIFY_GAS_GOAL_DEPTH_10 = 32_000
ANCHOR_GAS_GOAL_PER_RECORD = 100


def random_tree(n: int, seed: int) -> MerkleTree:
    rng = random.Random(seed)
    return MerkleTree.from_digests(rng.randbytes(32) for _ in range(n))


def data_block_of(count: int, seed: int) -> DataBlock:
    rng = random.Random(seed)
    return DataBlock.build(Record(rng.randbytes(20), b'{"row":%d}' % i, rng.randbytes(32)) for i in range(count))


def hex32(value: bytes) -> str:
    return "0x" + value.hex()


@pytest.fixture(scope="module")
def anchorer(accounts):
    """An account holding ANCHORER_ROLE (an agency's or storage service's uploader)."""
    return accounts[3]


@pytest.fixture(scope="module")
def anchor(MerkleAnchor, deployer, anchorer):
    contract = MerkleAnchor.deploy({"from": deployer})
    contract.grantRole(ANCHORER_ROLE, anchorer, {"from": deployer})
    return contract


def anchor_root(anchor, sender, root=ROOT, leaf_count=16, metadata_hash=METADATA_HASH):
    return anchor.anchorRoot(root, leaf_count, metadata_hash, {"from": sender})


# --- deployment and roles -------------------------------------------------------------------


def test_the_deployer_is_the_admin(anchor, deployer):
    assert anchor.hasRole(DEFAULT_ADMIN_ROLE, deployer) is True


def test_the_deployer_is_not_an_anchorer_until_granted(MerkleAnchor, deployer):
    fresh = MerkleAnchor.deploy({"from": deployer})
    assert fresh.hasRole(ANCHORER_ROLE, deployer) is False


def test_anchorer_role_is_the_keccak_of_its_name(anchor):
    assert anchor.ANCHORER_ROLE() == hex32(ANCHORER_ROLE)


def test_max_proof_depth_is_64(anchor):
    assert anchor.MAX_PROOF_DEPTH() == MAX_PROOF_DEPTH


def test_the_admin_grants_the_anchorer_role(anchor, deployer, stranger):
    tx = anchor.grantRole(ANCHORER_ROLE, stranger, {"from": deployer})
    assert tx.events["RoleGranted"]["role"] == hex32(ANCHORER_ROLE)
    assert tx.events["RoleGranted"]["account"] == stranger
    assert tx.events["RoleGranted"]["sender"] == deployer
    assert anchor.hasRole(ANCHORER_ROLE, stranger) is True


def access_denied(account, role: bytes) -> str:
    """OpenZeppelin's AccessControlUnauthorizedAccount as Brownie reports it (address in lower case)."""
    return custom_error("AccessControlUnauthorizedAccount", account.address.lower(), role)


def test_a_non_admin_cannot_grant_the_anchorer_role(anchor, anchorer, stranger):
    with brownie.reverts(access_denied(anchorer, DEFAULT_ADMIN_ROLE)):
        anchor.grantRole(ANCHORER_ROLE, stranger, {"from": anchorer})


def test_a_revoked_anchorer_can_no_longer_anchor(anchor, deployer, anchorer):
    anchor.revokeRole(ANCHORER_ROLE, anchorer, {"from": deployer})
    with brownie.reverts(access_denied(anchorer, ANCHORER_ROLE)):
        anchor_root(anchor, anchorer)


def test_anchor_supports_the_access_control_interface(anchor):
    assert anchor.supportsInterface("0x7965db0b") is True  # type(IAccessControl).interfaceId


# --- anchorRoot -----------------------------------------------------------------------------


def test_anchor_root_emits_root_anchored_with_every_field(anchor, anchorer):
    event = anchor_root(anchor, anchorer).events["RootAnchored"]
    assert event["batchId"] == 1
    assert event["root"] == hex32(ROOT)
    assert event["anchorer"] == anchorer
    assert event["leafCount"] == 16
    assert event["metadataHash"] == hex32(METADATA_HASH)


def test_anchor_root_returns_batch_ids_from_one_upward(anchor, anchorer):
    ids = [anchor_root(anchor, anchorer, root=keccak(bytes([i]))).return_value for i in range(3)]
    assert ids == [1, 2, 3]


def test_anchor_root_stores_root_leaf_count_time_and_anchorer(anchor, anchorer):
    tx = anchor_root(anchor, anchorer)
    root, leaf_count, anchored_at, stored_anchorer = anchor.getBatch(1)
    assert (root, leaf_count, anchored_at, stored_anchorer) == (hex32(ROOT), 16, tx.timestamp, anchorer.address)


def test_root_of_returns_the_anchored_root(anchor, anchorer):
    anchor_root(anchor, anchorer)
    assert anchor.rootOf(1) == hex32(ROOT)


def test_batch_count_counts_the_anchored_batches(anchor, anchorer):
    assert anchor.batchCount() == 0
    anchor_root(anchor, anchorer)
    anchor_root(anchor, anchorer, root=keccak(b"second"))
    assert anchor.batchCount() == 2


def test_the_same_root_may_be_anchored_again_under_a_new_id(anchor, anchorer):
    anchor_root(anchor, anchorer)
    tx = anchor_root(anchor, anchorer)
    assert tx.return_value == 2
    assert anchor.rootOf(2) == anchor.rootOf(1)


def test_the_largest_leaf_count_is_accepted(anchor, anchorer):
    anchor_root(anchor, anchorer, leaf_count=MAX_LEAF_COUNT)
    assert anchor.getBatch(1)[1] == MAX_LEAF_COUNT


@pytest.mark.parametrize("sender_name", ["stranger", "deployer"])
def test_anchoring_without_the_anchorer_role_reverts(anchor, sender_name, request):
    sender = request.getfixturevalue(sender_name)  # the admin is no anchorer either
    with brownie.reverts(access_denied(sender, ANCHORER_ROLE)):
        anchor_root(anchor, sender)


def test_anchoring_a_zero_root_reverts(anchor, anchorer):
    with brownie.reverts(custom_error("MerkleAnchorZeroRoot")):
        anchor_root(anchor, anchorer, root=bytes(32))


def test_anchoring_a_zero_leaf_count_reverts(anchor, anchorer):
    with brownie.reverts(custom_error("MerkleAnchorZeroLeafCount")):
        anchor_root(anchor, anchorer, leaf_count=0)


# --- unknown batches ------------------------------------------------------------------------


@pytest.mark.parametrize("batch_id", [0, 2, 2**256 - 1])
@pytest.mark.parametrize("view", ["rootOf", "getBatch", "verifyInclusion", "verifyRecordInclusion"])
def test_every_view_of_an_unknown_batch_reverts(anchor, anchorer, view, batch_id):
    anchor_root(anchor, anchorer)  # batch 1 exists, the others do not
    args = {
        "rootOf": (batch_id,),
        "getBatch": (batch_id,),
        "verifyInclusion": (batch_id, 0, ROOT, []),
        "verifyRecordInclusion": (batch_id, 0, 0, ROOT, [], []),
    }[view]
    with brownie.reverts(custom_error("MerkleAnchorUnknownBatch", batch_id)):
        getattr(anchor, view)(*args)


# --- verifyInclusion ------------------------------------------------------------------------


@pytest.fixture
def tree_batch(anchor, anchorer):
    """A tree of 13 items (depth 4, three padded slots) anchored as batch 1."""
    tree = random_tree(13, seed=13)
    anchor_root(anchor, anchorer, root=tree.root, leaf_count=tree.size)
    return tree


def test_verify_inclusion_accepts_every_items_proof(anchor, tree_batch):
    tree = tree_batch
    assert all(anchor.verifyInclusion(1, i, tree.digest(i), tree.proof(i).siblings) for i in range(tree.size))


def test_verify_inclusion_rejects_a_wrong_digest(anchor, tree_batch):
    assert anchor.verifyInclusion(1, 5, tree_batch.digest(6), tree_batch.proof(5).siblings) is False


def test_verify_inclusion_rejects_an_index_beyond_the_proofs_depth(anchor, tree_batch):
    proof = tree_batch.proof(5)
    assert anchor.verifyInclusion(1, 5 + 2**proof.depth, tree_batch.digest(5), proof.siblings) is False


def test_verify_inclusion_rejects_a_padded_slot(anchor, tree_batch):
    siblings = tree_batch.proof(12).siblings  # slot 13 shares every sibling above level 0
    assert anchor.verifyInclusion(1, 13, bytes(32), (keccak(b"\x00" + tree_batch.digest(12)), *siblings[1:])) is False


def test_verify_inclusion_accepts_a_proof_of_64_hashes(anchor, anchorer):
    anchor_root(anchor, anchorer)
    assert anchor.verifyInclusion(1, 0, ROOT, [ROOT] * MAX_PROOF_DEPTH) is False  # checked, not refused


def test_verify_inclusion_with_a_proof_of_65_hashes_reverts(anchor, anchorer):
    anchor_root(anchor, anchorer)
    with brownie.reverts(custom_error("MerkleAnchorProofTooLong", MAX_PROOF_DEPTH + 1, MAX_PROOF_DEPTH)):
        anchor.verifyInclusion(1, 0, ROOT, [ROOT] * (MAX_PROOF_DEPTH + 1))


# --- verifyRecordInclusion ------------------------------------------------------------------


@pytest.fixture
def data_block_batch(anchor, anchorer):
    """A data block of 95 records (10 item blocks, the last one of 5) anchored as batch 1."""
    block = data_block_of(95, seed=95)
    anchor_root(anchor, anchorer, root=block.root, leaf_count=block.tree.size)
    return block


def record_args(block, i):
    proof = block.record_proof(i)
    return (proof.item_index, proof.record_index_in_item, block.record_digest(i), proof.item_proof, proof.block_proof)


@pytest.mark.parametrize("i", [0, 9, 10, 54, 90, 94])
def test_verify_record_inclusion_accepts_a_records_proof(anchor, data_block_batch, i):
    assert anchor.verifyRecordInclusion(1, *record_args(data_block_batch, i)) is True


def test_verify_record_inclusion_rejects_another_records_digest(anchor, data_block_batch):
    item, position, _, item_proof, block_proof = record_args(data_block_batch, 54)
    other = data_block_batch.record_digest(55)
    assert anchor.verifyRecordInclusion(1, item, position, other, item_proof, block_proof) is False


def test_verify_record_inclusion_rejects_a_record_index_beyond_the_item_proofs_depth(anchor, data_block_batch):
    item, position, digest, item_proof, block_proof = record_args(data_block_batch, 54)
    beyond = position + 2 ** len(item_proof)
    assert anchor.verifyRecordInclusion(1, item, beyond, digest, item_proof, block_proof) is False


def test_verify_record_inclusion_rejects_an_item_block_root_passed_as_a_record(anchor, data_block_batch):
    item_root = data_block_batch.item_blocks[3].root
    block_proof = data_block_batch.tree.proof(3).siblings
    assert anchor.verifyInclusion(1, 3, item_root, block_proof) is True  # an item of the data block
    assert anchor.verifyRecordInclusion(1, 3, 0, item_root, [], block_proof) is False  # not a record


@pytest.mark.parametrize("which", ["itemProof", "blockProof"])
def test_verify_record_inclusion_with_a_proof_of_65_hashes_reverts(anchor, data_block_batch, which):
    long_proof, short_proof = [ROOT] * (MAX_PROOF_DEPTH + 1), [ROOT]
    proofs = (long_proof, short_proof) if which == "itemProof" else (short_proof, long_proof)
    with brownie.reverts(custom_error("MerkleAnchorProofTooLong", MAX_PROOF_DEPTH + 1, MAX_PROOF_DEPTH)):
        anchor.verifyRecordInclusion(1, 0, 0, ROOT, *proofs)


# --- gas ------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, 777, 1023])
def test_an_inclusion_check_at_depth_10_sent_as_a_transaction_costs_at_most_32000_gas(
    anchor, anchorer, stranger, index
):
    tree = random_tree(1024, seed=1024)
    anchor_root(anchor, anchorer, root=tree.root, leaf_count=tree.size)
    proof = tree.proof(index)
    assert proof.depth == 10
    tx = anchor.verifyInclusion.transact(1, index, tree.digest(index), proof.siblings, {"from": stranger})
    assert tx.return_value is True
    assert tx.gas_used <= VERIFY_GAS_GOAL_DEPTH_10


@pytest.mark.parametrize("earlier_batches", [0, 1], ids=["first_batch", "later_batch"])
def test_anchoring_a_data_block_of_1000_records_costs_at_most_100_gas_per_record(anchor, anchorer, earlier_batches):
    for _ in range(earlier_batches):
        anchor_root(anchor, anchorer)
    block = data_block_of(1000, seed=1000)
    tx = anchor_root(anchor, anchorer, root=block.root, leaf_count=block.tree.size)
    assert tx.gas_used / block.record_count <= ANCHOR_GAS_GOAL_PER_RECORD
