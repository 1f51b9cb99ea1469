"""DataRegistryClient against a deployed DataRegistry: typed results, checked reads, clear errors."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from offchain.chain import registry as registry_module
from offchain.chain.contracts import call, call_batch
from offchain.chain.registry import DataRegistryClient, file_id_of, policy_hash, record_digest_of
from offchain.errors import IntegrityError, InvalidInputError, TransactionRevertedError, UnknownFileError

COMMITMENT = keccak(b"commitment")
CT_HASH = keccak(b"ciphertext")
ROOT = keccak(b"root")
LOCATOR = "sha256:" + "cd" * 32


@pytest.fixture
def client(registry):
    return DataRegistryClient(registry, from_block=registry.tx.block_number)


def register(client, owner, **changes):
    fields = dict(
        content_commitment=COMMITMENT, ciphertext_hash=CT_HASH, merkle_root=ROOT, locator=LOCATOR, metadata=b"m"
    )
    fields.update(changes)
    return client.register_file(sender=owner, **fields)


def test_register_file_returns_the_full_registration(client, owner):
    registration = register(client, owner)
    assert registration.file_id == file_id_of(owner.address, COMMITMENT)
    assert registration.owner == owner.address
    assert (registration.content_commitment, registration.ciphertext_hash, registration.merkle_root) == (
        COMMITMENT,
        CT_HASH,
        ROOT,
    )
    assert (registration.locator, registration.metadata) == (LOCATOR, b"m")


def test_get_file_reads_back_what_was_registered(client, owner):
    registration = register(client, owner)
    assert client.get_file(registration.file_id) == registration


def test_a_following_client_reads_new_registrations_ahead_and_answers_get_file_from_them(client, owner):
    assert client.follow_registrations() == 0  # starts at the latest block
    registration = register(client, owner)
    assert client.follow_registrations() == 1
    assert client.follow_registrations() == 0  # each block is read once
    kept = client.get_file(registration.file_id)
    assert kept == registration and client.get_file(registration.file_id) is kept


def test_a_following_client_forgets_the_oldest_registration_beyond_its_cap(client, owner, monkeypatch):
    monkeypatch.setattr(registry_module, "FOLLOWED_MAX", 1)
    client.follow_registrations()
    first = register(client, owner)
    second = register(client, owner, content_commitment=keccak(b"second"))
    assert client.follow_registrations() == 2
    assert list(client._followed) == [second.file_id]  # the first was forgotten
    assert client.get_file(first.file_id) == first  # and is read from the chain again


def test_a_following_client_still_reads_unknown_ids_from_the_chain(client):
    client.follow_registrations()
    with pytest.raises(UnknownFileError, match="no file is registered"):
        client.get_file(keccak(b"nothing"))


def test_get_file_of_an_unknown_id_raises_unknown_file_error(client):
    with pytest.raises(UnknownFileError, match="no file is registered"):
        client.get_file(keccak(b"nothing"))


def test_get_file_without_the_registration_log_in_range_raises_integrity_error(client, registry, owner):
    registration = register(client, owner)
    late_client = DataRegistryClient(registry, from_block=registration.block_number + 1)
    with pytest.raises(IntegrityError, match="stored digest"):
        late_client.get_file(registration.file_id)


def test_registering_twice_raises_transaction_reverted_with_the_custom_error(client, owner):
    register(client, owner)
    with pytest.raises(TransactionRevertedError) as info:
        register(client, owner)
    assert info.value.error_name == "DataRegistryAlreadyRegistered"
    assert info.value.contract == "DataRegistry"
    assert info.value.function == "registerFile"


def test_is_registered_reflects_registration(client, owner):
    file_id = file_id_of(owner.address, COMMITMENT)
    assert client.is_registered(file_id) is False
    register(client, owner)
    assert client.is_registered(file_id) is True


def test_files_of_lists_an_owners_files_oldest_first(client, owner, stranger):
    first = register(client, owner)
    register(client, stranger)
    second = register(client, owner, content_commitment=keccak(b"second"))
    assert client.files_of(owner.address) == [first, second]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"content_commitment": b"short"}, "content_commitment must be 32 bytes, got 5 bytes"),
        ({"content_commitment": bytes(32)}, "content_commitment must not be all zero"),
        ({"ciphertext_hash": bytes(32)}, "ciphertext_hash must not be all zero"),
        ({"merkle_root": "0x00"}, "merkle_root must be 32 bytes, got str"),
        ({"locator": ""}, "locator must be 1..512 bytes"),
        ({"locator": "é" * 257}, "locator must be 1..512 bytes of UTF-8, got 514"),
        ({"metadata": b"x" * 4097}, "metadata must be at most 4096 bytes, got 4097"),
        ({"metadata": "text"}, "metadata must be bytes, got str"),
    ],
)
def test_bad_input_is_rejected_before_any_transaction(client, owner, changes, message):
    nonce_before = owner.nonce
    with pytest.raises(InvalidInputError, match=message):
        register(client, owner, **changes)
    assert owner.nonce == nonce_before


def test_python_file_id_equals_the_contracts(registry, owner):
    assert registry.fileIdOf(owner, COMMITMENT) == "0x" + file_id_of(owner.address, COMMITMENT).hex()


def test_python_record_digest_equals_the_contracts(registry):
    expected = record_digest_of(COMMITMENT, CT_HASH, ROOT, LOCATOR, b"meta")
    assert registry.recordDigestOf(COMMITMENT, CT_HASH, ROOT, LOCATOR, b"meta") == "0x" + expected.hex()


def test_register_version_returns_version_two_and_latest_version_follows_it(client, owner):
    first = register(client, owner)
    second = client.register_version(
        sender=owner,
        previous_file_id=first.file_id,
        content_commitment=keccak(b"v2"),
        ciphertext_hash=CT_HASH,
        locator=LOCATOR,
    )
    assert second.version == 2
    assert client.successor_of(first.file_id) == second.file_id
    assert client.successor_of(second.file_id) is None
    assert client.latest_version(first.file_id) == second


def test_grant_then_revoke_is_reflected_in_the_grant_record(client, owner, stranger):
    registration = register(client, owner)
    policy = policy_hash(receiving_pk=b"\x02" * 33, verifying_pk=b"\x03" * 33, threshold=2, shares=3)
    granted = client.grant_access(sender=owner, file_id=registration.file_id, grantee=stranger.address, policy=policy)
    assert (granted.active, granted.policy_hash, granted.revoked_at) == (True, policy, 0)
    revoked = client.revoke_access(sender=owner, file_id=registration.file_id, grantee=stranger.address)
    assert revoked.active is False
    assert revoked.revoked_at >= granted.granted_at
    assert client.is_granted(registration.file_id, stranger.address) is False


def test_grant_by_a_non_owner_raises_with_the_custom_error(client, owner, stranger):
    registration = register(client, owner)
    with pytest.raises(TransactionRevertedError) as info:
        client.grant_access(sender=stranger, file_id=registration.file_id, grantee=owner.address, policy=bytes(32))
    assert info.value.error_name == "DataRegistryNotOwner"


@pytest.mark.parametrize(("threshold", "shares"), [(0, 1), (3, 2), (1, 256)])
def test_policy_hash_rejects_impossible_thresholds(threshold, shares):
    with pytest.raises(InvalidInputError, match="threshold"):
        policy_hash(receiving_pk=b"r", verifying_pk=b"v", threshold=threshold, shares=shares)


def test_calls_in_one_batch_answer_as_the_calls_one_by_one(client, owner):
    registration = register(client, owner)
    fid = registration.file_id
    batched = call_batch(client.contract, ("getFile", fid), ("isRegistered", fid), ("isRegistered", b"\x07" * 32))
    assert batched == [
        call(client.contract, "getFile", fid),
        call(client.contract, "isRegistered", fid),
        call(client.contract, "isRegistered", b"\x07" * 32),
    ]


def test_a_reverting_call_in_a_batch_raises_its_custom_error(client):
    with pytest.raises(TransactionRevertedError, match="DataRegistryUnknownFile"):
        call_batch(client.contract, ("isRegistered", b"\x07" * 32), ("getFile", b"\x07" * 32))


def test_a_grant_never_made_reads_inactive_in_one_batch(client, owner, stranger):
    registration = register(client, owner)
    grant = client.get_grant(registration.file_id, stranger.address)
    assert (grant.active, grant.granted_at, grant.policy_hash) == (False, 0, b"\x00" * 32)
