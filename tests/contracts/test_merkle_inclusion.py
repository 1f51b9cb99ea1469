"""MerkleInclusion (through a test harness): the hashes and proof rule match offchain.crypto.merkle."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from offchain.crypto.merkle import InclusionProof, MerkleTree, implied_root, leaf_hash, node_hash

D = [bytes([i + 1]) * 32 for i in range(5)]


@pytest.fixture(scope="module")
def harness(MerkleInclusionHarness, deployer):
    return MerkleInclusionHarness.deploy({"from": deployer})


def hex32(value: bytes) -> str:
    return "0x" + value.hex()


@pytest.mark.parametrize("digest", [bytes(32), b"\x11" * 32, keccak(b"item")])
def test_leaf_hash_equals_pythons(harness, digest):
    assert harness.leafHash(digest) == hex32(leaf_hash(digest))


@pytest.mark.parametrize(("left", "right"), [(bytes(32), bytes(32)), (b"\x22" * 32, b"\x33" * 32), (D[0], D[1])])
def test_node_hash_equals_pythons(harness, left, right):
    assert harness.nodeHash(left, right) == hex32(node_hash(left, right))


def test_node_hash_is_ordered(harness):
    assert harness.nodeHash(D[0], D[1]) != harness.nodeHash(D[1], D[0])


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 7])
def test_the_library_leaves_the_free_memory_pointer_and_allocated_memory_intact(harness, depth):
    proof = [keccak(bytes([k])) for k in range(depth)]
    before, after, marker, node, root = harness.freeMemoryPointerAround(D[0], D[1], proof)
    assert after == before
    assert marker == hex32(D[1])
    assert node == hex32(node_hash(D[0], D[1]))
    assert root == hex32(_implied(D[0], proof))


@pytest.mark.parametrize("i", range(5))
def test_verify_accepts_every_items_proof_of_an_odd_sized_tree(harness, i):
    tree = MerkleTree.from_digests(D)
    assert harness.verify(tree.root, i, D[i], tree.proof(i).siblings) is True


def test_verify_of_a_one_item_tree_takes_an_empty_proof(harness):
    assert harness.verify(leaf_hash(D[0]), 0, D[0], []) is True


def test_verify_rejects_an_index_of_more_bits_than_the_proof(harness):
    tree = MerkleTree.from_digests(D)
    assert harness.verify(tree.root, 2 + 8, D[2], tree.proof(2).siblings) is False


def test_verify_rejects_any_index_with_an_empty_proof_but_zero(harness):
    assert harness.verify(leaf_hash(D[0]), 1, D[0], []) is False


def test_verify_handles_indices_of_256_bits(harness):
    assert harness.verify(leaf_hash(D[0]), 2**256 - 1, D[0], []) is False


def _implied(digest: bytes, siblings: list[bytes]) -> bytes:
    root = implied_root(digest, InclusionProof(0, tuple(siblings)))
    assert root is not None
    return root
