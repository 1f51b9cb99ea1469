"""MerkleInclusion (through its harness) against offchain.crypto.merkle on random trees of every
size up to 33 items (each power-of-two boundary and one past it), random indices and tampered
proofs, and on malformed calldata, which must revert rather than return an answer.
"""

from __future__ import annotations

import pytest
from brownie import web3
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto.merkle import MerkleTree, verify_inclusion


@pytest.fixture(scope="module")
def harness(MerkleInclusionHarness, deployer):
    return MerkleInclusionHarness.deploy({"from": deployer})


digests = st.binary(min_size=32, max_size=32)


@settings(max_examples=30)
@given(items=st.lists(digests, min_size=1, max_size=33), data=st.data())
def test_verify_equals_python_on_random_trees(harness, items, data):
    tree = MerkleTree.from_digests(items)
    index = data.draw(st.integers(0, len(items) - 1))
    proof = tree.proof(index)
    assert harness.verify(tree.root, index, items[index], proof.siblings) is True
    assert verify_inclusion(tree.root, items[index], proof) is True


@settings(max_examples=30)
@given(items=st.lists(digests, min_size=2, max_size=17), data=st.data())
def test_a_tampered_proof_fails_on_chain_as_in_python(harness, items, data):
    tree = MerkleTree.from_digests(items)
    index = data.draw(st.integers(0, len(items) - 1))
    siblings = list(tree.proof(index).siblings)
    level = data.draw(st.integers(0, len(siblings) - 1))
    siblings[level] = bytes(b ^ 0x01 for b in siblings[level])
    assert harness.verify(tree.root, index, items[index], siblings) is False


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33])
def test_every_index_verifies_and_no_other_does_at_each_length_boundary(harness, size):
    items = [bytes([i % 256, i // 256]) * 16 for i in range(size)]
    tree = MerkleTree.from_digests(items)
    for index in (0, size - 1):
        siblings = tree.proof(index).siblings
        assert harness.verify(tree.root, index, items[index], siblings) is True
        assert harness.verify(tree.root, index ^ 1, items[index], siblings) is False
        assert harness.verify(tree.root, index + (1 << len(siblings)), items[index], siblings) is False


def _calldata(harness, root: bytes, index: int, digest: bytes, siblings: list[bytes]) -> bytes:
    return bytes.fromhex(harness.verify.encode_input(root, index, digest, siblings)[2:])


@pytest.mark.parametrize("cut", [1, 31, 32, 33])
def test_verify_reverts_on_truncated_calldata(harness, cut):
    tree = MerkleTree.from_digests([b"\x01" * 32, b"\x02" * 32, b"\x03" * 32])
    data = _calldata(harness, tree.root, 0, b"\x01" * 32, list(tree.proof(0).siblings))
    with pytest.raises(ValueError):
        web3.eth.call({"to": harness.address, "data": "0x" + data[:-cut].hex()})


@pytest.mark.parametrize("length", [3, 1 << 32, (1 << 256) - 1])
def test_verify_reverts_when_the_proof_length_exceeds_the_calldata(harness, length):
    tree = MerkleTree.from_digests([b"\x01" * 32, b"\x02" * 32, b"\x03" * 32])
    data = bytearray(_calldata(harness, tree.root, 0, b"\x01" * 32, list(tree.proof(0).siblings)))
    data[4 + 128 : 4 + 160] = length.to_bytes(32, "big")  # the array's length word
    with pytest.raises(ValueError):
        web3.eth.call({"to": harness.address, "data": "0x" + data.hex()})
