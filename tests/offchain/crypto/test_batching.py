"""offchain.crypto.batching: record digests, item and data blocks, record proofs and their tampering.

The vectors were computed with eth_utils' Keccak-256 and a hand-written ABI encoding (not
eth_abi), from the formulas in the module docstring; `test_the_record_vector_follows_the_formula`
recomputes the record digest here.
"""

from __future__ import annotations

import hashlib
import json
import random

import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto.batching import (
    ITEM_BLOCK_CAPACITY,
    DataBlock,
    Record,
    RecordProof,
    record_digest,
    verify_record,
)
from offchain.crypto.merkle import MerkleTree, leaf_hash
from offchain.errors import InvalidInputError

OWNER = bytes.fromhex("ab" * 20)
METADATA = b'{"n":1}'
CONTENT = b"\xcd" * 32
RECORD_DIGEST = bytes.fromhex("d0cc70b5f0d68074ea563a877f201512403315d95c2cc2916e42ff7a319ec028")
# Data block of the 11 records of `fixed_records()`: item blocks of 10 and 1 records.
DATA_ROOT_11 = bytes.fromhex("25ebbe0cc98e3c7069a57ecfa7eb0fc7ce81b233bcc4848eda788d4362d29aef")
ITEM_ROOTS_11 = (
    bytes.fromhex("b8da314452dd1afdc5dd6f8d22bb57cc93e48cffc1cde2fc70b472777d07b898"),
    bytes.fromhex("88e5077d427810a2b27d1f56c5673c9a92debae2162a44c985c7d3ea1bbdee47"),
)
# Properties draw a size and one seed; every other choice comes from random.Random(seed)
# (see test_merkle.py for why).
seeds = st.integers(0, 2**32 - 1)
TAMPERINGS = ["record_digest", "record_index", "item_index", "item_proof", "block_proof", "proofs_swapped"]


def fixed_records() -> list[Record]:
    return [Record(bytes([i]) * 20, b"record %d" % i, hashlib.sha256(b"content %d" % i).digest()) for i in range(11)]


def random_digests(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def flip_bit(value: bytes, bit: int) -> bytes:
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def test_the_record_vector_follows_the_formula():
    # abi.encode(bytes, bytes32, bytes32): offset of the bytes, the two words, then length and padded data
    encoded = (0x60).to_bytes(32, "big") + keccak(METADATA) + CONTENT + (20).to_bytes(32, "big") + OWNER + bytes(12)
    assert keccak(encoded) == RECORD_DIGEST


def test_record_digest_matches_the_vector():
    assert record_digest(OWNER, METADATA, CONTENT) == RECORD_DIGEST


def test_a_records_digest_property_is_its_record_digest():
    assert Record(OWNER, METADATA, CONTENT).digest == RECORD_DIGEST


def test_a_data_block_root_matches_the_vector():
    block = DataBlock.build(fixed_records())
    assert tuple(tree.root for tree in block.item_blocks) == ITEM_ROOTS_11
    assert block.root == DATA_ROOT_11


@pytest.mark.parametrize(("count", "sizes"), [(1, [1]), (10, [10]), (11, [10, 1]), (25, [10, 10, 5]), (30, [10] * 3)])
def test_records_fill_item_blocks_of_ten_in_order(count, sizes):
    digests = random_digests(count, seed=count)
    block = DataBlock.from_record_digests(digests)
    assert [tree.size for tree in block.item_blocks] == sizes
    assert block.record_count == count
    assert [block.record_digest(i) for i in range(count)] == digests
    assert block.tree.size == len(sizes)


def test_the_item_blocks_roots_are_the_data_blocks_items():
    digests = random_digests(25, seed=1)
    block = DataBlock.from_record_digests(digests)
    item_roots = [MerkleTree.from_digests(digests[k : k + ITEM_BLOCK_CAPACITY]).root for k in range(0, 25, 10)]
    assert block.root == MerkleTree.from_digests(item_roots).root


@settings(max_examples=25, deadline=None)
@given(count=st.integers(1, 300), seed=seeds)
def test_every_records_proof_verifies(count, seed):
    block = DataBlock.from_record_digests(random_digests(count, seed))
    assert all(verify_record(block.root, block.record_digest(i), block.record_proof(i)) for i in range(count))


@pytest.mark.parametrize("tampering", TAMPERINGS)
@settings(max_examples=15, deadline=None)
@given(count=st.integers(11, 300), seed=seeds)
def test_a_tampered_record_proof_fails(tampering, count, seed):
    rng = random.Random(seed)
    block = DataBlock.from_record_digests([rng.randbytes(32) for _ in range(count)])
    i = rng.randrange(count)
    digest, proof = block.record_digest(i), block.record_proof(i)
    fields = {
        "item_index": proof.item_index,
        "record_index_in_item": proof.record_index_in_item,
        "item_proof": proof.item_proof,
        "block_proof": proof.block_proof,
    }
    if tampering == "record_digest":
        digest = flip_bit(digest, rng.randrange(256))
    elif tampering == "record_index":  # another record of the same item block, or a padded slot
        fields["record_index_in_item"] = (proof.record_index_in_item + rng.randrange(1, 16)) % 16
    elif tampering == "item_index":  # another item block, or a padded slot
        slots = 2 ** len(proof.block_proof)
        fields["item_index"] = (proof.item_index + rng.randrange(1, slots)) % slots
    elif tampering in ("item_proof", "block_proof"):
        siblings = list(fields[tampering])
        if not siblings:  # a one-record item block has no item proof: add a level instead
            siblings = [bytes(32)]
        else:
            level = rng.randrange(len(siblings))
            siblings[level] = flip_bit(siblings[level], rng.randrange(256))
        fields[tampering] = tuple(siblings)
    else:  # proofs_swapped
        fields["item_proof"], fields["block_proof"] = proof.block_proof, proof.item_proof
        fields["item_index"], fields["record_index_in_item"] = proof.record_index_in_item, proof.item_index
    assert not verify_record(block.root, digest, RecordProof(**fields))


def test_an_item_block_root_cannot_pass_as_a_record():
    block = DataBlock.from_record_digests(random_digests(25, seed=2))
    outer = block.tree.proof(1)
    forged = RecordProof(1, 0, (), outer.siblings)  # claims the item root is a one-record item block
    assert leaf_hash(block.item_blocks[1].root) != block.item_blocks[1].root
    assert not verify_record(block.root, block.item_blocks[1].root, forged)


def test_a_record_proof_round_trips_through_json():
    proof = DataBlock.build(fixed_records()).record_proof(7)
    assert RecordProof.from_dict(json.loads(json.dumps(proof.to_dict()))) == proof


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: DataBlock.build([]), "at least one record, got none"),
        (lambda: DataBlock.build([RECORD_DIGEST]), "records\\[0\\] must be a Record, got bytes"),
        (lambda: DataBlock.from_record_digests([b"short"]), "digests\\[0\\] must be 32 bytes, got 5 bytes"),
        (lambda: record_digest(OWNER, METADATA, b"\x00" * 31), "content_hash must be 32 bytes, got 31 bytes"),
        (lambda: record_digest("0xab", METADATA, CONTENT), "owner must be bytes, got str"),
        (lambda: record_digest(OWNER, "meta", CONTENT), "metadata must be bytes, got str"),
        (lambda: DataBlock.build(fixed_records()).record_proof(11), "record index must be in 0..10, got 11"),
        (lambda: DataBlock.build(fixed_records()).record_digest(-1), "record index must be in 0..10, got -1"),
        (lambda: RecordProof(0, -1, (), ()), "index must be non-negative, got -1"),
        (lambda: RecordProof(0, 0, (b"x",), ()), "item_proof: siblings\\[0\\] must be 32 bytes"),
        (lambda: RecordProof(0, 0, (), (bytes(32),) * 65), "block_proof: .*at most 64 hashes, got 65"),
        (lambda: RecordProof.from_dict({"item_index": 0}), "needs its four fields"),
        (lambda: verify_record(DATA_ROOT_11, RECORD_DIGEST, (0, 0, (), ())), "must be a RecordProof, got tuple"),
    ],
)
def test_bad_input_raises_invalid_input_error(build, message):
    with pytest.raises(InvalidInputError, match=message):
        build()
