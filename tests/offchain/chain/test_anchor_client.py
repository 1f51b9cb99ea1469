"""MerkleAnchorClient against a deployed MerkleAnchor: typed results, clear errors, and the same
verdict on chain as in Python for every proof, genuine or tampered."""

from __future__ import annotations

import random

import pytest
from brownie.test import given, strategy
from eth_utils import keccak
from hypothesis import settings

from offchain.chain.anchor import MAX_LEAF_COUNT, AnchoredBatch, MerkleAnchorClient
from offchain.crypto.batching import DataBlock, Record, RecordProof, verify_record
from offchain.crypto.merkle import EMPTY_LEAF, InclusionProof, MerkleTree, leaf_hash, verify_inclusion
from offchain.errors import IntegrityError, InvalidInputError, TransactionRevertedError, UnknownBatchError

ROOT = keccak(b"root")
METADATA_HASH = keccak(b'{"schema":"datashare/batch/v1"}')
ANCHORER_ROLE = keccak(b"ANCHORER_ROLE")
TREE_SIZES = (1, 2, 3, 5, 8, 13, 100, 1000)
INCLUSION_TAMPERINGS = ["digest", "index", "sibling", "dropped_sibling", "extra_sibling", "high_index", "padded_slot"]
RECORD_TAMPERINGS = ["record_digest", "record_index", "item_index", "item_proof", "block_proof"]


def random_digests(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def flip_bit(value: bytes, bit: int) -> bytes:
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


@pytest.fixture(scope="module")
def anchorer(accounts):
    """An account holding ANCHORER_ROLE."""
    return accounts[3]


@pytest.fixture(scope="module")
def anchor(MerkleAnchor, deployer, anchorer):
    contract = MerkleAnchor.deploy({"from": deployer})
    contract.grantRole(ANCHORER_ROLE, anchorer, {"from": deployer})
    return contract


@pytest.fixture(scope="module")
def client(anchor):
    return MerkleAnchorClient(anchor, from_block=anchor.tx.block_number)


@pytest.fixture(scope="module")
def anchored_trees(client, anchorer):
    """Trees of every size in TREE_SIZES anchored once for the module: (batch id, tree) pairs."""
    batches = []
    for size in TREE_SIZES:
        tree = MerkleTree.from_digests(random_digests(size, seed=size))
        batches.append((client.anchor(sender=anchorer, root=tree.root, leaf_count=tree.size).batch_id, tree))
    return batches


@pytest.fixture(scope="module")
def anchored_data_block(client, anchorer):
    """A data block of 1,000 records (100 item blocks) anchored for the module: (batch id, block)."""
    rng = random.Random(1000)
    records = [Record(rng.randbytes(20), b'{"row":%d}' % i, rng.randbytes(32)) for i in range(1000)]
    block = DataBlock.build(records)
    batch = client.anchor(sender=anchorer, root=block.root, leaf_count=block.tree.size)
    return batch.batch_id, block


# --- anchoring and reading ------------------------------------------------------------------


def test_anchor_returns_the_anchored_batch(client, anchorer):
    batch = client.anchor(sender=anchorer, root=ROOT, leaf_count=7, metadata_hash=METADATA_HASH)
    assert isinstance(batch, AnchoredBatch)
    assert (batch.root, batch.leaf_count, batch.metadata_hash) == (ROOT, 7, METADATA_HASH)
    assert batch.anchorer == anchorer.address
    assert batch.batch_id == client.batch_count()


def test_anchor_defaults_to_a_zero_metadata_hash(client, anchorer):
    assert client.anchor(sender=anchorer, root=ROOT, leaf_count=1).metadata_hash == bytes(32)


def test_get_batch_reads_back_what_was_anchored(client, anchorer):
    batch = client.anchor(sender=anchorer, root=ROOT, leaf_count=7, metadata_hash=METADATA_HASH)
    assert client.get_batch(batch.batch_id) == batch


@pytest.mark.parametrize("offset", [0, 1])
def test_get_batch_of_an_unknown_id_raises_unknown_batch_error(client, offset):
    unknown = 0 if offset == 0 else client.batch_count() + 1
    with pytest.raises(UnknownBatchError, match=f"no batch is anchored under id {unknown}"):
        client.get_batch(unknown)


def test_get_batch_without_the_anchoring_log_in_range_raises_integrity_error(client, anchor, anchorer):
    batch = client.anchor(sender=anchorer, root=ROOT, leaf_count=7)
    late_client = MerkleAnchorClient(anchor, from_block=batch.block_number + 1)
    with pytest.raises(IntegrityError, match="matches it"):
        late_client.get_batch(batch.batch_id)


def test_anchoring_without_the_role_raises_the_access_control_error(client, stranger):
    with pytest.raises(TransactionRevertedError) as info:
        client.anchor(sender=stranger, root=ROOT, leaf_count=1)
    assert info.value.error_name == "AccessControlUnauthorizedAccount"
    assert (info.value.contract, info.value.function) == ("MerkleAnchor", "anchorRoot")


def test_grant_anchorer_lets_the_account_anchor(client, deployer, stranger):
    assert client.is_anchorer(stranger.address) is False
    client.grant_anchorer(deployer, stranger.address)
    assert client.is_anchorer(stranger.address) is True
    assert client.anchor(sender=stranger, root=ROOT, leaf_count=1).anchorer == stranger.address


def test_grant_anchorer_by_a_non_admin_raises_the_access_control_error(client, anchorer, stranger):
    with pytest.raises(TransactionRevertedError) as info:
        client.grant_anchorer(anchorer, stranger.address)
    assert info.value.error_name == "AccessControlUnauthorizedAccount"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"root": b"short"}, "root must be 32 bytes, got 5 bytes"),
        ({"root": bytes(32)}, "root must not be all zero"),
        ({"root": "0x" + "11" * 32}, "root must be 32 bytes, got str"),
        ({"leaf_count": 0}, "leaf_count must be in 1..281474976710655, got 0"),
        ({"leaf_count": MAX_LEAF_COUNT + 1}, "leaf_count must be in 1..281474976710655, got 281474976710656"),
        ({"leaf_count": True}, "leaf_count must be an int, got bool"),
        ({"metadata_hash": b""}, "metadata_hash must be 32 bytes, got 0 bytes"),
    ],
)
def test_bad_input_is_rejected_before_any_transaction(client, anchorer, changes, message):
    fields = {"root": ROOT, "leaf_count": 3, "metadata_hash": METADATA_HASH, **changes}
    nonce_before = anchorer.nonce
    with pytest.raises(InvalidInputError, match=message):
        client.anchor(sender=anchorer, **fields)
    assert anchorer.nonce == nonce_before


def test_grant_anchorer_rejects_a_non_address(client, deployer):
    with pytest.raises(InvalidInputError, match="account must be an address"):
        client.grant_anchorer(deployer, "not an address")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda c: c.verify_inclusion(-1, ROOT, InclusionProof(0, ())),
            r"batch_id must be in 0\.\.2\*\*256 - 1, got -1",
        ),
        (lambda c: c.verify_inclusion(1, b"x", InclusionProof(0, ())), "digest must be 32 bytes, got 1 bytes"),
        (lambda c: c.verify_inclusion(1, ROOT, (0, ())), "proof must be an InclusionProof, got tuple"),
        (lambda c: c.verify_record(1, ROOT, InclusionProof(0, ())), "proof must be a RecordProof, got InclusionProof"),
        (lambda c: c.verify_record(1, b"", RecordProof(0, 0, (), ())), "record_digest must be 32 bytes, got 0 bytes"),
        (lambda c: c.get_batch("1"), "batch_id must be an int, got str"),
    ],
)
def test_bad_verification_input_is_rejected_before_any_call(client, call, message):
    with pytest.raises(InvalidInputError, match=message):
        call(client)


# --- the same verdict on chain as in Python -------------------------------------------------


def tampered_inclusion(tree: MerkleTree, i: int, tampering: str, rng: random.Random) -> tuple[bytes, InclusionProof]:
    """The digest and proof of item ``i`` with one tampering applied (one Python must reject)."""
    digest, proof = tree.digest(i), tree.proof(i)
    siblings = list(proof.siblings)
    if tampering == "digest":
        return flip_bit(digest, rng.randrange(256)), proof
    if tampering == "index":  # an index that holds another digest, or a padded slot
        slots = 2**proof.depth
        return digest, InclusionProof((i + rng.randrange(1, slots)) % slots, proof.siblings)
    if tampering == "sibling":
        level = rng.randrange(len(siblings))
        siblings[level] = flip_bit(siblings[level], rng.randrange(256))
        return digest, InclusionProof(i, tuple(siblings))
    if tampering == "dropped_sibling":
        return digest, InclusionProof(i, tuple(siblings[:-1]))
    if tampering == "extra_sibling":
        return digest, InclusionProof(i, (*siblings, rng.randbytes(32)))
    if tampering == "high_index":  # same low bits, so the same path, but beyond the proof's depth
        return digest, InclusionProof(i + (rng.randint(1, 2**20) << proof.depth), proof.siblings)
    # padded_slot: the last item's path, claimed for the padded slot next to it
    last = tree.size - 1
    siblings = list(tree.proof(last).siblings)
    siblings[0] = leaf_hash(tree.digest(last))
    return EMPTY_LEAF, InclusionProof(last + 1, tuple(siblings))


@settings(max_examples=20, deadline=None)
@given(tree_choice=strategy("uint8", max_value=len(TREE_SIZES) - 1), seed=strategy("uint32"))
def test_python_built_proofs_are_accepted_on_chain(client, anchored_trees, tree_choice, seed):
    batch_id, tree = anchored_trees[tree_choice]
    i = random.Random(seed).randrange(tree.size)
    proof = tree.proof(i)
    assert verify_inclusion(tree.root, tree.digest(i), proof) is True
    assert client.verify_inclusion(batch_id, tree.digest(i), proof) is True


@pytest.mark.parametrize("tampering", INCLUSION_TAMPERINGS)
@settings(max_examples=12, deadline=None)
@given(tree_choice=strategy("uint8", min_value=1, max_value=len(TREE_SIZES) - 1), seed=strategy("uint32"))
def test_every_tampering_python_rejects_is_rejected_on_chain(client, anchored_trees, tampering, tree_choice, seed):
    batch_id, tree = anchored_trees[tree_choice]  # every tree but the one-item tree (no siblings)
    if tampering == "padded_slot" and tree.size & (tree.size - 1) == 0:
        tree_choice = TREE_SIZES.index(13)
        batch_id, tree = anchored_trees[tree_choice]
    rng = random.Random(seed)
    digest, proof = tampered_inclusion(tree, rng.randrange(tree.size), tampering, rng)
    assert verify_inclusion(tree.root, digest, proof) is False
    assert client.verify_inclusion(batch_id, digest, proof) is False


@settings(max_examples=25, deadline=None)
@given(
    tree_choice=strategy("uint8", max_value=len(TREE_SIZES) - 1),
    index=strategy("uint16"),
    digest=strategy("bytes32"),
    siblings=strategy("bytes32[]", max_length=12),
)
def test_arbitrary_proofs_get_the_same_verdict_on_chain_as_in_python(
    client, anchored_trees, tree_choice, index, digest, siblings
):
    batch_id, tree = anchored_trees[tree_choice]
    proof = InclusionProof(int(index), tuple(bytes(s) for s in siblings))
    assert client.verify_inclusion(batch_id, bytes(digest), proof) == verify_inclusion(tree.root, bytes(digest), proof)


def test_a_proof_for_a_root_never_anchored_fails_on_chain(client, anchored_trees):
    batch_id, _ = anchored_trees[TREE_SIZES.index(100)]
    other = MerkleTree.from_digests(random_digests(100, seed=-1))  # same shape, never anchored
    assert verify_inclusion(other.root, other.digest(42), other.proof(42)) is True
    assert client.verify_inclusion(batch_id, other.digest(42), other.proof(42)) is False


def test_a_proof_against_a_batch_id_never_anchored_raises_unknown_batch_error(client, anchored_trees):
    _, tree = anchored_trees[0]
    with pytest.raises(UnknownBatchError):
        client.verify_inclusion(client.batch_count() + 1, tree.digest(0), tree.proof(0))


@settings(max_examples=15, deadline=None)
@given(record=strategy("uint16", max_value=999))
def test_record_proofs_of_an_anchored_data_block_are_accepted_on_chain(client, anchored_data_block, record):
    batch_id, block = anchored_data_block
    digest, proof = block.record_digest(record), block.record_proof(record)
    assert verify_record(block.root, digest, proof) is True
    assert client.verify_record(batch_id, digest, proof) is True


@pytest.mark.parametrize("tampering", RECORD_TAMPERINGS)
@settings(max_examples=10, deadline=None)
@given(record=strategy("uint16", max_value=999), seed=strategy("uint32"))
def test_every_record_tampering_python_rejects_is_rejected_on_chain(
    client, anchored_data_block, tampering, record, seed
):
    batch_id, block = anchored_data_block
    rng = random.Random(seed)
    digest, proof = block.record_digest(record), block.record_proof(record)
    fields = {
        "item_index": proof.item_index,
        "record_index_in_item": proof.record_index_in_item,
        "item_proof": proof.item_proof,
        "block_proof": proof.block_proof,
    }
    if tampering == "record_digest":
        digest = flip_bit(digest, rng.randrange(256))
    elif tampering == "record_index":
        fields["record_index_in_item"] = (proof.record_index_in_item + rng.randrange(1, 16)) % 16
    elif tampering == "item_index":
        fields["item_index"] = (proof.item_index + rng.randrange(1, 128)) % 128
    else:
        siblings = list(fields[tampering])
        level = rng.randrange(len(siblings))
        siblings[level] = flip_bit(siblings[level], rng.randrange(256))
        fields[tampering] = tuple(siblings)
    tampered = RecordProof(**fields)
    assert verify_record(block.root, digest, tampered) is False
    assert client.verify_record(batch_id, digest, tampered) is False


def test_a_record_proof_against_a_batch_id_never_anchored_raises_unknown_batch_error(client, anchored_data_block):
    _, block = anchored_data_block
    with pytest.raises(UnknownBatchError):
        client.verify_record(client.batch_count() + 1, block.record_digest(0), block.record_proof(0))
