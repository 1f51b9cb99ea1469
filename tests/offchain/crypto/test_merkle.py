"""offchain.crypto.merkle: regression vectors, proof properties, padding, multi-proofs, file trees.

The vectors were computed from the written formulas with eth_utils' Keccak-256 (pycryptodome,
not the safe-pysha3 code the module uses); `test_the_vectors_follow_the_written_formulas`
recomputes them here so anyone can check the constants against the design note.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from unittest import mock

import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from offchain.crypto import merkle
from offchain.crypto.merkle import (
    EMPTY_LEAF,
    MAX_PROOF_DEPTH,
    InclusionProof,
    MerkleTree,
    MultiProof,
    block_count,
    block_digests,
    implied_root,
    leaf_hash,
    node_hash,
    verify_inclusion,
    verify_multiproof,
)
from offchain.errors import InvalidInputError

# Item digests of the fixed trees: d[i] = bytes([i + 1]) * 32.
D = [bytes([i + 1]) * 32 for i in range(8)]
Z0 = bytes(32)
LEAF_OF_11 = bytes.fromhex("5f61df1468962c8107c77ae5f01bbd92c363c87a057eba326bd87ca93188e313")
NODE_OF_22_33 = bytes.fromhex("9012b3a886e1ff438cc5125201fc4ce6a7f9e03040464ae342875cfa21d82700")
Z1 = bytes.fromhex("c07a1e8b7e0057673fdc2affe190d8a960c5fe615663f27b7ce84f3d93ef92a6")
ROOTS = {  # root of the tree over D[:n]
    1: bytes.fromhex("b11a95f7ddcfbdc542f175f12554edd00d11d2bdc67124e3e3f39f1a1e54bc4a"),
    2: bytes.fromhex("6674e6b1fd07d288e813849586c794cc68b17ddbbb7c552d9ca2c34259fca435"),
    3: bytes.fromhex("6f52af4629d673b07e0be7d6630e162d60a288414c534d6fc6c81dc251516d9b"),
    5: bytes.fromhex("c75448aac86e0f3daff512c675d36ba7fbd5a914342fc2fa58f4d26c02fbfe74"),
}
# Proof of index 4 in the tree over D[:5]: Z0, Z1, node(node(L0, L1), node(L2, L3)).
PROOF_5_4 = (Z0, Z1, bytes.fromhex("4d31eb3287bdaf5f09c4d6f19eb13219482d01ef200800162446f42f651b7d3e"))
# File tree of b"datashare" in 4-byte blocks: sha256 of b"data", b"shar", b"e".
FILE_ROOT = bytes.fromhex("d8cccd42fbd25362ab27c862e27e78f55cd39c3601a181714521734301d2b710")
# The empty file: one empty block, root leaf_hash(sha256(b"")).
EMPTY_FILE_ROOT = bytes.fromhex("de477c1b73b9aba90e230f5423c9f0dc16df08b75eb93dde05fe1046d7a06df2")
# Multi-proof of {0, 5} in the tree over D[:8]: L1, L4 (level 0), then node(L2, L3), node(L6, L7).
MULTI_8_0_5 = tuple(
    bytes.fromhex(h)
    for h in (
        "43674370dffec60479f0fa769467ef9701bcad7f6bd1e97634b1ad1a3a4fad58",
        "036d190703e5ad55514c50f9e49460a94790ae8c1e612e8b839db48eeb0afc14",
        "29d5f518fb46bab34823a97ca296fa960582d3960d6fe7d012d3c92f34eccc78",
        "abcb2ba32b52f0cf3aae5784cd7a21234f28ddfb2ce039dbc5914887087bcb2e",
    )
)

# Hypothesis draws a tree size and one seed; the digests and every other choice of a property
# (an index, a bit to flip) come from random.Random(seed). Drawing them one by one instead makes
# Hypothesis 6.27 overrun its size cap for small examples and fail the data_too_large check.
PROPERTY_SETTINGS = settings(max_examples=25, deadline=None)
sizes = st.integers(min_value=1, max_value=1000)
seeds = st.integers(min_value=0, max_value=2**32 - 1)  # a 32-bit range: no rejection sampling


def plain_leaf(digest: bytes) -> bytes:
    return keccak(b"\x00" + digest)


def plain_node(left: bytes, right: bytes) -> bytes:
    return keccak(b"\x01" + left + right)


def random_digests(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def padded_levels(digests: list[bytes]) -> list[list[bytes]]:
    """Every level of the tree, padded in full with EMPTY_LEAF: the naive O(2**depth) construction."""
    width = 1
    while width < len(digests):
        width *= 2
    levels = [[plain_leaf(d) for d in digests] + [EMPTY_LEAF] * (width - len(digests))]
    while len(levels[-1]) > 1:
        level = levels[-1]
        levels.append([plain_node(level[i], level[i + 1]) for i in range(0, len(level), 2)])
    return levels


def random_tree(n: int, seed: int) -> tuple[MerkleTree, random.Random]:
    """The tree over ``random_digests(n, seed)`` and the generator, to draw further choices from."""
    rng = random.Random(seed)
    return MerkleTree.from_digests([rng.randbytes(32) for _ in range(n)]), rng


def random_subset(rng: random.Random, n: int, max_size: int) -> list[int]:
    """A non-empty subset of range(n) of at most ``max_size`` indices, sorted."""
    return sorted(rng.sample(range(n), rng.randint(1, min(n, max_size))))


def flip_bit(value: bytes, bit: int) -> bytes:
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


# --- regression vectors ---------------------------------------------------------------------


def test_the_vectors_follow_the_written_formulas():
    l0, l1, l2, l3, l4 = (plain_leaf(d) for d in D[:5])
    assert plain_leaf(b"\x11" * 32) == LEAF_OF_11
    assert plain_node(b"\x22" * 32, b"\x33" * 32) == NODE_OF_22_33
    assert plain_node(Z0, Z0) == Z1
    assert ROOTS[1] == l0
    assert ROOTS[2] == plain_node(l0, l1)
    assert ROOTS[3] == plain_node(plain_node(l0, l1), plain_node(l2, Z0))
    assert ROOTS[5] == plain_node(
        plain_node(plain_node(l0, l1), plain_node(l2, l3)), plain_node(plain_node(l4, Z0), Z1)
    )
    file_leaves = [plain_leaf(hashlib.sha256(b).digest()) for b in (b"data", b"shar", b"e")]
    assert plain_node(plain_node(file_leaves[0], file_leaves[1]), plain_node(file_leaves[2], Z0)) == FILE_ROOT


def test_leaf_hash_matches_the_vector():
    assert leaf_hash(b"\x11" * 32) == LEAF_OF_11


def test_node_hash_matches_the_vector():
    assert node_hash(b"\x22" * 32, b"\x33" * 32) == NODE_OF_22_33


@pytest.mark.parametrize("n", sorted(ROOTS))
def test_root_of_a_fixed_tree_matches_the_vector(n):
    assert MerkleTree.from_digests(D[:n]).root == ROOTS[n]


def test_proof_of_a_fixed_tree_matches_the_vector():
    assert MerkleTree.from_digests(D[:5]).proof(4) == InclusionProof(4, PROOF_5_4)


def test_file_tree_of_fixed_bytes_matches_the_vector():
    assert MerkleTree.from_bytes(b"datashare", block_size=4).root == FILE_ROOT


def test_empty_file_is_one_empty_block():
    tree = MerkleTree.from_bytes(b"", block_size=4)
    assert (tree.root, tree.size, tree.depth) == (EMPTY_FILE_ROOT, 1, 0)


def test_multiproof_of_a_fixed_tree_lists_the_hashes_level_by_level_left_to_right():
    assert MerkleTree.from_digests(D).multiproof([5, 0]) == MultiProof(3, (0, 5), MULTI_8_0_5)


@pytest.mark.parametrize(("n", "depth"), [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (1000, 10), (1024, 10), (1025, 11)])
def test_depth_is_the_ceiling_of_log2_of_the_size(n, depth):
    tree = MerkleTree.from_digests(random_digests(n, seed=n))
    assert (tree.size, tree.depth, tree.proof(n - 1).depth) == (n, depth, depth)


# --- inclusion proofs -----------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(n=sizes, seed=seeds)
def test_every_items_proof_verifies(n, seed):
    digests = random_digests(n, seed)
    tree = MerkleTree.from_digests(digests)
    assert all(verify_inclusion(tree.root, digests[i], tree.proof(i)) for i in range(n))


@PROPERTY_SETTINGS
@given(n=sizes, seed=seeds)
def test_the_root_equals_that_of_the_naively_padded_tree(n, seed):
    digests = random_digests(n, seed)
    assert MerkleTree.from_digests(digests).root == padded_levels(digests)[-1][0]


@PROPERTY_SETTINGS
@given(n=sizes, seed=seeds)
def test_a_changed_digest_fails(n, seed):
    tree, rng = random_tree(n, seed)
    i = rng.randrange(n)
    assert not verify_inclusion(tree.root, flip_bit(tree.digest(i), rng.randrange(256)), tree.proof(i))


@PROPERTY_SETTINGS
@given(n=st.integers(2, 1000), seed=seeds)
def test_a_proof_moved_to_an_index_holding_another_digest_fails(n, seed):
    tree, rng = random_tree(n, seed)
    i = rng.randrange(n)
    j = (i + rng.randrange(1, n)) % n  # any other index
    proof = tree.proof(i)
    assert not verify_inclusion(tree.root, tree.digest(i), InclusionProof(j, proof.siblings))


@PROPERTY_SETTINGS
@given(n=st.integers(2, 1000), seed=seeds)
def test_a_changed_sibling_fails(n, seed):
    tree, rng = random_tree(n, seed)
    i = rng.randrange(n)
    proof = tree.proof(i)
    level = rng.randrange(proof.depth)
    siblings = list(proof.siblings)
    siblings[level] = flip_bit(siblings[level], rng.randrange(256))
    assert not verify_inclusion(tree.root, tree.digest(i), InclusionProof(i, tuple(siblings)))


@PROPERTY_SETTINGS
@given(n=sizes, seed=seeds)
def test_an_index_beyond_the_proofs_depth_fails(n, seed):
    tree, rng = random_tree(n, seed)
    i = rng.randrange(n)
    proof = tree.proof(i)
    high = i + (rng.randint(1, 2**20) << proof.depth)  # same low bits, same path
    assert implied_root(tree.digest(i), InclusionProof(i, proof.siblings)) == tree.root
    assert not verify_inclusion(tree.root, tree.digest(i), InclusionProof(high, proof.siblings))


@pytest.mark.parametrize("change", ["drop_last", "drop_first", "append_zero", "prepend_zero"])
def test_a_proof_of_the_wrong_length_fails(change):
    tree = MerkleTree.from_digests(D[:5])
    siblings = tree.proof(2).siblings
    changed = {
        "drop_last": siblings[:-1],
        "drop_first": siblings[1:],
        "append_zero": (*siblings, Z0),
        "prepend_zero": (Z0, *siblings),
    }[change]
    assert not verify_inclusion(tree.root, D[2], InclusionProof(2, changed))


def test_an_inner_node_cannot_be_proven_as_an_item():
    tree = MerkleTree.from_digests(D)
    inner = plain_node(plain_leaf(D[2]), plain_leaf(D[3]))  # node 1 of level 1
    upper = tree.proof(2).siblings[1:]  # its genuine path to the root
    assert implied_root(inner, InclusionProof(1, upper)) != tree.root
    assert not verify_inclusion(tree.root, inner, InclusionProof(1, upper))


@PROPERTY_SETTINGS
@given(n=st.integers(1, 999).map(lambda k: k if k & (k - 1) else k + 1), seed=seeds)  # not a power of two
def test_padded_slots_cannot_be_proven(n, seed):
    digests = random_digests(n, seed)
    levels = padded_levels(digests)
    root = levels[-1][0]
    for slot in range(n, len(levels[0])):
        siblings = tuple(levels[h][(slot >> h) ^ 1] for h in range(len(levels) - 1))
        proof = InclusionProof(slot, siblings)
        for candidate in (EMPTY_LEAF, digests[0], digests[-1], Z1):
            assert not verify_inclusion(root, candidate, proof)


def test_the_tree_refuses_to_prove_a_padded_slot():
    with pytest.raises(InvalidInputError, match=r"index must be in 0\.\.4, got 5"):
        MerkleTree.from_digests(D[:5]).proof(5)


def test_a_tree_of_one_item_has_an_empty_proof_that_verifies():
    tree = MerkleTree.from_digests([D[0]])
    assert tree.proof(0) == InclusionProof(0, ())
    assert verify_inclusion(tree.root, D[0], tree.proof(0))


# --- multi-proofs ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(n=sizes, seed=seeds)
def test_a_multiproof_of_a_random_subset_verifies(n, seed):
    tree, rng = random_tree(n, seed)
    chosen = random_subset(rng, n, 40)
    proof = tree.multiproof(chosen)
    assert verify_multiproof(tree.root, {i: tree.digest(i) for i in chosen}, proof)


@PROPERTY_SETTINGS
@given(n=sizes, seed=seeds)
def test_a_multiproof_holds_exactly_the_nodes_the_leaves_cannot_give(n, seed):
    tree, rng = random_tree(n, seed)
    chosen = random_subset(rng, n, 40)
    needed = 0
    known = set(chosen)
    for _ in range(tree.depth):
        needed += sum(1 for i in known if i ^ 1 not in known)
        known = {i >> 1 for i in known}
    assert len(tree.multiproof(chosen).hashes) == needed


MULTIPROOF_TAMPERINGS = ["digest", "hash", "dropped_hash", "extra_hash", "moved_digest", "missing_digest"]


@pytest.mark.parametrize("tampering", MULTIPROOF_TAMPERINGS)
@settings(max_examples=10, deadline=None)
@given(n=st.integers(2, 1000), seed=seeds)
def test_a_tampered_multiproof_fails(tampering, n, seed):
    tree, rng = random_tree(n, seed)
    chosen = random_subset(rng, n - 1, 40)  # the last item stays free for "moved_digest"
    proof = tree.multiproof(chosen)
    digests = {i: tree.digest(i) for i in chosen}
    assert proof.hashes  # the last item is not proven, so some hash is always needed
    if tampering == "digest":
        i = rng.choice(chosen)
        digests[i] = flip_bit(digests[i], rng.randrange(256))
    elif tampering == "hash":
        hashes = list(proof.hashes)
        k = rng.randrange(len(hashes))
        hashes[k] = flip_bit(hashes[k], rng.randrange(256))
        proof = MultiProof(proof.depth, proof.indices, tuple(hashes))
    elif tampering == "dropped_hash":
        proof = MultiProof(proof.depth, proof.indices, proof.hashes[:-1])
    elif tampering == "extra_hash":
        proof = MultiProof(proof.depth, proof.indices, (*proof.hashes, Z1))
    elif tampering == "moved_digest":  # a proven digest claimed at an index holding another one
        digests[n - 1] = digests.pop(rng.choice(chosen))
        proof = MultiProof(proof.depth, tuple(sorted(digests)), proof.hashes)
    else:  # missing_digest: the mapping no longer covers the proof's indices
        del digests[chosen[0]]
    assert not verify_multiproof(tree.root, digests, proof)


def test_a_multiproof_of_every_item_needs_no_hash():
    tree = MerkleTree.from_digests(D[:5])
    proof = tree.multiproof(range(5))
    assert proof.hashes == (Z0, Z1)  # only the padding beside item 4 and beside items 4..5
    assert verify_multiproof(tree.root, dict(enumerate(D[:5])), proof)


def test_a_multiproof_ignores_order_and_repeats():
    tree = MerkleTree.from_digests(D)
    assert tree.multiproof([5, 0, 5]) == tree.multiproof([0, 5])


def test_a_multiproof_of_one_index_carries_its_inclusion_proof():
    tree = MerkleTree.from_digests(D[:5])
    assert tree.multiproof([4]).hashes == tree.proof(4).siblings


# --- file trees -----------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=3000),
    block_size=st.integers(1, 300),
    workers=st.integers(1, 3),
    read_bytes=st.sampled_from([1, 64, 1000, 1 << 22]),
)
# Hypothesis draws mostly short data, often one chunk: these are several chunks, the last short
# (2,999 bytes in 7-byte blocks, 8 blocks a chunk), or all full (2,048 in 8-byte blocks, 8 a chunk).
@example(data=bytes(range(256)) * 11 + bytes(183), block_size=7, workers=2, read_bytes=64)
@example(data=bytes(range(256)) * 8, block_size=8, workers=3, read_bytes=64)
@example(data=bytes(range(256)) * 4 + b"x", block_size=1, workers=1, read_bytes=1000)
def test_from_bytes_from_file_and_from_blocks_agree(tmp_path, data, block_size, workers, read_bytes):
    path = tmp_path / "file.bin"
    path.write_bytes(data)
    blocks = [data[k : k + block_size] for k in range(0, len(data), block_size)]
    expected = MerkleTree.from_bytes(data, block_size)
    with mock.patch.object(merkle, "_READ_BYTES", read_bytes):  # many chunks, joined subtrees
        from_file = MerkleTree.from_file(path, block_size, workers)
    assert from_file.root == MerkleTree.from_blocks(blocks).root == expected.root
    assert [from_file.proof(i) for i in range(from_file.size)] == [expected.proof(i) for i in range(expected.size)]


def test_a_file_trees_items_are_the_sha256_of_its_blocks():
    tree = MerkleTree.from_bytes(b"datashare", block_size=4)
    assert [tree.digest(i) for i in range(tree.size)] == [hashlib.sha256(b).digest() for b in (b"data", b"shar", b"e")]


def test_from_file_of_an_empty_file_is_the_empty_block(tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert MerkleTree.from_file(path, block_size=4, workers=2).root == EMPTY_FILE_ROOT


def test_from_blocks_of_no_block_is_the_empty_file():
    assert MerkleTree.from_blocks([]).root == EMPTY_FILE_ROOT


def test_block_digests_cut_the_last_block_short():
    assert block_digests(b"abcde", block_size=2) == [hashlib.sha256(b).digest() for b in (b"ab", b"cd", b"e")]


@settings(max_examples=200)
@given(st.binary(max_size=300), st.integers(1, 64))
def test_block_count_is_the_number_of_block_digests(data, block_size):
    assert block_count(len(data), block_size) == len(block_digests(data, block_size))


def test_block_count_known_answers():
    assert [block_count(size, 4) for size in (0, 1, 4, 5, 8, 9)] == [1, 1, 1, 2, 2, 3]
    assert block_count(2**64, 1) == 2**64  # no bytes needed


def test_the_default_block_size_is_a_power_of_two_of_at_least_4_kib():
    size = merkle.DEFAULT_BLOCK_SIZE
    assert size >= 4096 and size & (size - 1) == 0


# --- serialisation --------------------------------------------------------------------------


def test_an_inclusion_proof_round_trips_through_bytes():
    proof = MerkleTree.from_digests(D[:5]).proof(4)
    encoded = proof.to_bytes()
    assert len(encoded) == 9 + 3 * 32
    assert InclusionProof.from_bytes(encoded) == proof


def test_an_inclusion_proof_round_trips_through_json():
    proof = MerkleTree.from_digests(D[:5]).proof(4)
    assert InclusionProof.from_dict(json.loads(json.dumps(proof.to_dict()))) == proof


def test_a_multiproof_round_trips_through_json():
    proof = MerkleTree.from_digests(D).multiproof([0, 5])
    assert MultiProof.from_dict(json.loads(json.dumps(proof.to_dict()))) == proof


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        (b"", "starts with 9 header bytes"),
        (bytes([1]) + bytes(8), "encoded proof of depth 1 is 41 bytes, got 9"),
        (bytes([0]) + bytes(8) + bytes(32), "encoded proof of depth 0 is 9 bytes, got 41"),
        (bytes([65]) + bytes(8) + bytes(65 * 32), "at most 64 hashes, got 65"),
    ],
)
def test_a_malformed_encoded_proof_is_rejected(encoded, message):
    with pytest.raises(InvalidInputError, match=message):
        InclusionProof.from_bytes(encoded)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"index": 0}, "needs 'index' and 'siblings'"),
        ({"index": 0, "siblings": "0x00"}, "siblings must be a list"),
        ({"index": 0, "siblings": ["0xzz"]}, "siblings\\[0\\] is not valid hex"),
        ({"index": 0, "siblings": ["0x00"]}, "siblings\\[0\\] must be 32 bytes, got 1 bytes"),
        ({"index": -1, "siblings": []}, "index must be non-negative, got -1"),
        ({"index": "1", "siblings": []}, "index must be an int, got str"),
    ],
)
def test_a_malformed_json_proof_is_rejected(data, message):
    with pytest.raises(InvalidInputError, match=message):
        InclusionProof.from_dict(data)


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: MerkleTree.from_digests([]), "at least one item digest, got none"),
        (lambda: MerkleTree.from_digests([D[0], b"short"]), "digests\\[1\\] must be 32 bytes, got 5 bytes"),
        (lambda: MerkleTree.from_digests(["0x" + "00" * 32]), "digests\\[0\\] must be 32 bytes, got str"),
        (lambda: MerkleTree.from_bytes(b"x", block_size=0), "block_size must be an int of at least 1, got 0"),
        (lambda: MerkleTree.from_blocks([b"ab", "cd"]), "blocks\\[1\\] must be bytes, got str"),
        (lambda: block_digests(b"x", block_size=-4), "block_size must be an int of at least 1, got -4"),
        (lambda: block_count(10, block_size=0), "block_size must be an int of at least 1, got 0"),
        (lambda: block_count(-1, block_size=4), "size must be an int of at least 0, got -1"),
        (lambda: block_count(True, block_size=4), "size must be an int of at least 0, got True"),
        (lambda: MerkleTree.from_digests(D).digest(8), "index must be in 0..7, got 8"),
        (lambda: MerkleTree.from_digests(D).proof(-1), "index must be non-negative, got -1"),
        (lambda: MerkleTree.from_digests(D).multiproof([]), "at least one index, got none"),
        (lambda: MerkleTree.from_digests(D).multiproof([0, 8]), "index must be in 0..7, got 8"),
        (lambda: leaf_hash(b"\x00" * 31), "digest must be 32 bytes, got 31 bytes"),
        (lambda: node_hash(D[0], b""), "right must be 32 bytes, got 0 bytes"),
        (lambda: InclusionProof(0, (Z0,) * (MAX_PROOF_DEPTH + 1)), "at most 64 hashes, got 65"),
        (lambda: InclusionProof(2**64, ()), "index must be below 2\\*\\*64"),
        (lambda: InclusionProof(0, b"\x00" * 32), "siblings must be a sequence of 32-byte hashes, got bytes"),
        (lambda: MultiProof(0, (), ()), "at least one index, got none"),
        (lambda: MultiProof(3, (5, 0), ()), "strictly increasing"),
        (lambda: MultiProof(65, (0,), ()), "depth must be at most 64, got 65"),
        (lambda: verify_inclusion(b"root", D[0], InclusionProof(0, ())), "root must be 32 bytes, got 4 bytes"),
        (lambda: verify_inclusion(ROOTS[1], D[0], (0, ())), "proof must be an InclusionProof, got tuple"),
        (lambda: verify_multiproof(ROOTS[1], {0: b"x"}, MultiProof(0, (0,), ())), "must be 32 bytes, got 1 bytes"),
    ],
)
def test_bad_input_raises_invalid_input_error(build, message):
    with pytest.raises(InvalidInputError, match=message):
        build()


@pytest.mark.parametrize("workers", [0, -1, True, 1.5])
def test_from_file_rejects_a_bad_worker_count(tmp_path, workers):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    with pytest.raises(InvalidInputError, match="workers must be an int of at least 1"):
        MerkleTree.from_file(path, block_size=1, workers=workers)


def test_from_file_of_a_missing_file_raises_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        MerkleTree.from_file(Path(tmp_path) / "missing")
