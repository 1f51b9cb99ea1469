"""DataRegistry: events, state changes and every revert of each external function."""

from __future__ import annotations

import brownie
import pytest
from brownie.test import given, strategy
from eth_abi import encode
from eth_utils import keccak
from hypothesis import settings

from tests.helpers import custom_error

COMMITMENT = keccak(b"commitment to a patient record")
CT_HASH = keccak(b"hash of the ciphertext")
ROOT = keccak(b"merkle root of the ciphertext blocks")
LOCATOR = "blob://sha256/" + "ab" * 32
METADATA = b'{"schema":"hospital-record/v1","blocks":16}'
MAX_LOCATOR = 512
MAX_METADATA = 4096


def register(registry, sender, commitment=COMMITMENT, ct_hash=CT_HASH, root=ROOT, locator=LOCATOR, metadata=METADATA):
    return registry.registerFile(commitment, ct_hash, root, locator, metadata, {"from": sender})


def expected_file_id(owner, commitment=COMMITMENT):
    return keccak(encode(["address", "bytes32"], [owner.address, commitment]))


def expected_digest(commitment=COMMITMENT, ct_hash=CT_HASH, root=ROOT, locator=LOCATOR, metadata=METADATA):
    return keccak(
        encode(
            ["bytes32"] * 5,
            [commitment, ct_hash, root, keccak(locator.encode()), keccak(metadata)],
        )
    )


def test_register_file_emits_file_registered_with_every_field(registry, owner):
    tx = register(registry, owner)
    event = tx.events["FileRegistered"]
    assert event["fileId"] == "0x" + expected_file_id(owner).hex()
    assert event["owner"] == owner
    assert event["contentCommitment"] == "0x" + COMMITMENT.hex()
    assert event["ciphertextHash"] == "0x" + CT_HASH.hex()
    assert event["merkleRoot"] == "0x" + ROOT.hex()
    assert event["locator"] == LOCATOR
    assert event["metadata"] == "0x" + METADATA.hex()


def test_register_file_returns_the_file_id(registry, owner):
    tx = register(registry, owner)
    assert tx.return_value == "0x" + expected_file_id(owner).hex()


def test_register_file_stores_owner_time_and_digest(registry, owner):
    tx = register(registry, owner)
    owner_address, registered_at, version, digest = registry.getFile(expected_file_id(owner))
    assert owner_address == owner
    assert registered_at == tx.timestamp
    assert version == 1
    assert digest == "0x" + expected_digest().hex()


def test_is_registered_turns_true_on_registration(registry, owner):
    file_id = expected_file_id(owner)
    assert registry.isRegistered(file_id) is False
    register(registry, owner)
    assert registry.isRegistered(file_id) is True


def test_registering_the_same_commitment_twice_reverts(registry, owner):
    register(registry, owner)
    file_id = expected_file_id(owner)
    with brownie.reverts(custom_error("DataRegistryAlreadyRegistered", file_id)):
        register(registry, owner, ct_hash=keccak(b"other ciphertext"), locator="blob://elsewhere")


def test_another_owner_may_register_the_same_commitment_under_its_own_id(registry, owner, stranger):
    register(registry, owner)
    tx = register(registry, stranger)
    assert tx.return_value == "0x" + expected_file_id(stranger).hex()
    assert expected_file_id(stranger) != expected_file_id(owner)


@pytest.mark.parametrize("field", ["contentCommitment", "ciphertextHash"])
def test_zero_required_hash_reverts(registry, owner, field):
    kwargs = {"commitment": bytes(32)} if field == "contentCommitment" else {"ct_hash": bytes(32)}
    with brownie.reverts(custom_error("DataRegistryZeroField", field)):
        register(registry, owner, **kwargs)


def test_zero_merkle_root_is_accepted_for_files_without_a_block_tree(registry, owner):
    tx = register(registry, owner, root=bytes(32))
    assert tx.events["FileRegistered"]["merkleRoot"] == "0x" + bytes(32).hex()


@pytest.mark.parametrize("length", [0, MAX_LOCATOR + 1])
def test_locator_outside_bounds_reverts(registry, owner, length):
    with brownie.reverts(custom_error("DataRegistryInvalidLocator", length, MAX_LOCATOR)):
        register(registry, owner, locator="x" * length)


def test_locator_of_maximum_length_is_accepted(registry, owner):
    tx = register(registry, owner, locator="x" * MAX_LOCATOR)
    assert tx.events["FileRegistered"]["locator"] == "x" * MAX_LOCATOR


def test_metadata_over_maximum_reverts(registry, owner):
    with brownie.reverts(custom_error("DataRegistryMetadataTooLarge", MAX_METADATA + 1, MAX_METADATA)):
        register(registry, owner, metadata=b"m" * (MAX_METADATA + 1))


def test_metadata_of_maximum_length_is_accepted(registry, owner):
    tx = register(registry, owner, metadata=b"m" * MAX_METADATA)
    assert tx.events["FileRegistered"]["metadata"] == "0x" + (b"m" * MAX_METADATA).hex()


def test_get_file_of_unknown_id_reverts(registry):
    unknown = keccak(b"never registered")
    with brownie.reverts(custom_error("DataRegistryUnknownFile", unknown)):
        registry.getFile(unknown)


def test_verify_record_accepts_the_registered_fields(registry, owner):
    register(registry, owner)
    assert registry.verifyRecord(expected_file_id(owner), COMMITMENT, CT_HASH, ROOT, LOCATOR, METADATA) is True


@pytest.mark.parametrize(
    "changed",
    [
        {"commitment": keccak(b"other commitment")},
        {"ct_hash": keccak(b"other ciphertext")},
        {"root": keccak(b"other root")},
        {"locator": LOCATOR + "x"},
        {"metadata": METADATA + b" "},
    ],
    ids=["commitment", "ciphertext_hash", "merkle_root", "locator", "metadata"],
)
def test_verify_record_rejects_any_changed_field(registry, owner, changed):
    register(registry, owner)
    fields = {"commitment": COMMITMENT, "ct_hash": CT_HASH, "root": ROOT, "locator": LOCATOR, "metadata": METADATA}
    fields.update(changed)
    args = (fields["commitment"], fields["ct_hash"], fields["root"], fields["locator"], fields["metadata"])
    assert registry.verifyRecord(expected_file_id(owner), *args) is False


def test_verify_record_is_false_for_an_unknown_file(registry):
    assert registry.verifyRecord(keccak(b"unknown"), COMMITMENT, CT_HASH, ROOT, LOCATOR, METADATA) is False


def test_registration_gas_stays_under_80k_for_a_typical_record(registry, owner):
    """Regression pin (Uniswap style): two storage slots per file; see bench/registry.py."""
    tx = register(registry, owner)
    assert tx.gas_used <= 80_000


@settings(max_examples=20)
@given(
    commitment=strategy("bytes32"),
    ct_hash=strategy("bytes32"),
    root=strategy("bytes32"),
    locator=strategy("string", min_size=1, max_size=40),
    metadata=strategy("bytes", max_size=100),
)
def test_record_digest_of_equals_the_documented_formula(registry, commitment, ct_hash, root, locator, metadata):
    digest = registry.recordDigestOf(commitment, ct_hash, root, locator, metadata)
    assert digest == "0x" + expected_digest(commitment, ct_hash, root, locator, metadata).hex()


@settings(max_examples=20)
@given(commitment=strategy("bytes32"), index=strategy("uint8", max_value=9))
def test_file_id_of_equals_the_documented_formula(registry, accounts, commitment, index):
    account = accounts[index]
    assert registry.fileIdOf(account, commitment) == "0x" + expected_file_id(account, commitment).hex()
