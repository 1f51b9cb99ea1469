"""DataRegistry versions and access grants: events, state changes and every revert."""

from __future__ import annotations

import brownie
import pytest
from brownie import chain
from eth_abi import encode
from eth_utils import keccak

from tests.helpers import chain_now, custom_error

POLICY = keccak(b"receiving key, proxies, threshold")
ZERO_ADDRESS = "0x" + "00" * 20


def register(registry, sender, label=b"v1"):
    tx = registry.registerFile(
        keccak(label), keccak(b"ct" + label), keccak(b"root" + label), "loc", b"", {"from": sender}
    )
    return tx.return_value


def file_id(owner, label=b"v1"):
    return "0x" + keccak(encode(["address", "bytes32"], [owner.address, keccak(label)])).hex()


def register_version(registry, sender, previous, label):
    return registry.registerVersion(
        previous, keccak(label), keccak(b"ct" + label), keccak(b"root" + label), "loc", b"", {"from": sender}
    )


def grant_tuple(registry, file_id, grantee):
    granted_at, expires_at, revoked_at, policy = registry.getGrant(file_id, grantee)
    return int(granted_at), int(expires_at), int(revoked_at), str(policy)


@pytest.fixture
def first(registry, owner):
    return register(registry, owner)


@pytest.fixture
def buyer(accounts):
    return accounts[3]


# ---- versions ----------------------------------------------------------------------------------


def test_register_version_emits_file_versioned_and_file_registered(registry, owner, first):
    tx = register_version(registry, owner, first, b"v2")
    assert tx.events["FileVersioned"]["previousFileId"] == first
    assert tx.events["FileVersioned"]["fileId"] == file_id(owner, b"v2")
    assert tx.events["FileVersioned"]["version"] == 2
    assert tx.events["FileRegistered"]["fileId"] == file_id(owner, b"v2")


def test_register_version_links_the_previous_version_to_the_new_one(registry, owner, first):
    second = register_version(registry, owner, first, b"v2").return_value
    assert registry.successorOf(first) == second
    assert registry.successorOf(second) == "0x" + "00" * 32


def test_version_numbers_count_up_along_the_chain(registry, owner, first):
    second = register_version(registry, owner, first, b"v2").return_value
    third = register_version(registry, owner, second, b"v3").return_value
    assert [registry.getFile(f)[2] for f in (first, second, third)] == [1, 2, 3]


def test_register_version_of_an_unknown_file_reverts(registry, owner):
    unknown = keccak(b"unknown")
    with brownie.reverts(custom_error("DataRegistryUnknownFile", unknown)):
        register_version(registry, owner, unknown, b"v2")


def test_register_version_by_someone_else_reverts(registry, first, stranger):
    with brownie.reverts(custom_error("DataRegistryNotOwner", bytes(first), stranger.address)):
        register_version(registry, stranger, first, b"v2")


def test_a_superseded_version_cannot_get_a_second_successor(registry, owner, first):
    second = register_version(registry, owner, first, b"v2").return_value
    with brownie.reverts(custom_error("DataRegistryAlreadySuperseded", bytes(first), bytes(second))):
        register_version(registry, owner, first, b"v2-fork")


def test_register_version_applies_the_registration_checks(registry, owner, first):
    with brownie.reverts(custom_error("DataRegistryZeroField", "contentCommitment")):
        registry.registerVersion(first, bytes(32), keccak(b"ct"), bytes(32), "loc", b"", {"from": owner})


# ---- grants ------------------------------------------------------------------------------------


def test_grant_access_emits_access_granted(registry, owner, first, buyer):
    tx = registry.grantAccess(first, buyer, POLICY, 0, {"from": owner})
    event = tx.events["AccessGranted"]
    assert (event["fileId"], event["grantee"], event["policyHash"], event["expiresAt"]) == (
        first,
        buyer,
        "0x" + POLICY.hex(),
        0,
    )


def test_grant_access_records_time_and_policy(registry, owner, first, buyer):
    tx = registry.grantAccess(first, buyer, POLICY, 0, {"from": owner})
    assert grant_tuple(registry, first, buyer) == (tx.timestamp, 0, 0, "0x" + POLICY.hex())
    assert registry.isGranted(first, buyer) is True


def test_a_grant_with_an_expiry_lapses_at_the_expiry(registry, owner, first, buyer):
    expires = chain_now() + 3600
    registry.grantAccess(first, buyer, POLICY, expires, {"from": owner})
    assert registry.isGranted(first, buyer) is True
    chain.sleep(3601)
    chain.mine()
    assert registry.isGranted(first, buyer) is False


def test_grant_by_someone_else_reverts(registry, first, stranger, buyer):
    with brownie.reverts(custom_error("DataRegistryNotOwner", bytes(first), stranger.address)):
        registry.grantAccess(first, buyer, POLICY, 0, {"from": stranger})


def test_grant_on_an_unknown_file_reverts(registry, owner, buyer):
    unknown = keccak(b"unknown")
    with brownie.reverts(custom_error("DataRegistryUnknownFile", unknown)):
        registry.grantAccess(unknown, buyer, POLICY, 0, {"from": owner})


@pytest.mark.parametrize("who", ["zero", "owner"])
def test_grant_to_the_zero_address_or_the_owner_reverts(registry, owner, first, who):
    grantee = ZERO_ADDRESS if who == "zero" else owner.address
    with brownie.reverts(custom_error("DataRegistryInvalidGrantee", grantee)):
        registry.grantAccess(first, grantee, POLICY, 0, {"from": owner})


def test_grant_with_an_expiry_in_the_past_reverts(registry, owner, first, buyer):
    past = chain_now() - 10
    with pytest.raises(brownie.exceptions.VirtualMachineError) as info:
        registry.grantAccess(first, buyer, POLICY, past, {"from": owner})
    assert info.value.revert_msg.startswith(f"DataRegistryInvalidExpiry: {past}, ")


def test_granting_again_while_active_reverts(registry, owner, first, buyer):
    registry.grantAccess(first, buyer, POLICY, 0, {"from": owner})
    with brownie.reverts(custom_error("DataRegistryAlreadyGranted", bytes(first), buyer.address)):
        registry.grantAccess(first, buyer, POLICY, 0, {"from": owner})


def test_revoke_access_ends_the_grant_and_emits_access_revoked(registry, owner, first, buyer):
    registry.grantAccess(first, buyer, POLICY, 0, {"from": owner})
    tx = registry.revokeAccess(first, buyer, {"from": owner})
    assert tx.events["AccessRevoked"]["fileId"] == first
    assert tx.events["AccessRevoked"]["grantee"] == buyer
    assert registry.isGranted(first, buyer) is False
    assert registry.getGrant(first, buyer)[2] == tx.timestamp


def test_revoke_without_an_active_grant_reverts(registry, owner, first, buyer):
    with brownie.reverts(custom_error("DataRegistryNoActiveGrant", bytes(first), buyer.address)):
        registry.revokeAccess(first, buyer, {"from": owner})


def test_revoke_by_someone_else_reverts(registry, owner, first, buyer, stranger):
    registry.grantAccess(first, buyer, POLICY, 0, {"from": owner})
    with brownie.reverts(custom_error("DataRegistryNotOwner", bytes(first), stranger.address)):
        registry.revokeAccess(first, buyer, {"from": stranger})


def test_revoking_an_expired_grant_reverts(registry, owner, first, buyer):
    registry.grantAccess(first, buyer, POLICY, chain_now() + 60, {"from": owner})
    chain.sleep(61)
    chain.mine()
    with brownie.reverts(custom_error("DataRegistryNoActiveGrant", bytes(first), buyer.address)):
        registry.revokeAccess(first, buyer, {"from": owner})


def test_a_revoked_grant_can_be_granted_again(registry, owner, first, buyer):
    registry.grantAccess(first, buyer, POLICY, 0, {"from": owner})
    registry.revokeAccess(first, buyer, {"from": owner})
    registry.grantAccess(first, buyer, keccak(b"new policy"), 0, {"from": owner})
    assert registry.isGranted(first, buyer) is True
    assert registry.getGrant(first, buyer)[2] == 0


def test_a_file_never_granted_has_an_empty_grant(registry, first, buyer):
    assert grant_tuple(registry, first, buyer) == (0, 0, 0, "0x" + "00" * 32)
    assert registry.isGranted(first, buyer) is False
