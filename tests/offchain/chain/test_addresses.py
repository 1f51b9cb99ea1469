"""The one converter from what a user holds to an address or a signer (offchain.chain.addresses),
and the clients taking what a Brownie user holds through it."""

from __future__ import annotations

import pytest
from eth_account import Account as EthAccount
from eth_utils import keccak

from offchain.chain.addresses import require_address, require_signer
from offchain.chain.registry import DataRegistryClient
from offchain.errors import InvalidInputError
from offchain.protocols import DataOwner

ZERO = "0x" + "00" * 20


@pytest.fixture(scope="module")
def eth_key():
    """An ``eth_account`` LocalAccount (a key the node does not know)."""
    return EthAccount.from_key(keccak(b"datashare test key"))


@pytest.fixture
def client(registry):
    return DataRegistryClient(registry, from_block=registry.tx.block_number)


# --- addresses: every kind a user holds ---------------------------------------------------------


def test_a_brownie_account_gives_its_address(owner):
    assert require_address(owner, "owner") == owner.address


def test_a_brownie_local_account_gives_its_address(accounts, eth_key):
    local = accounts.add(eth_key.key.hex())
    assert require_address(local, "owner") == eth_key.address


def test_a_deployed_contract_gives_its_address(registry):
    assert require_address(registry, "contract") == registry.address


def test_an_eth_account_key_gives_its_address(eth_key):
    assert require_address(eth_key, "owner") == eth_key.address


def test_a_lower_case_hex_string_is_checksummed(owner):
    assert require_address(owner.address.lower(), "owner") == owner.address


def test_a_client_with_an_address_gives_it(client, registry):
    assert require_address(client, "registry") == registry.address


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "must be an address: a 0x-prefixed hex string.*got NoneType"),
        (42, "got int"),
        (b"\x11" * 20, "got bytes"),
        ("0x1234", "got '0x1234'"),
        ("11" * 20, "got '1111"),
        ("0x" + "zz" * 20, "must be an address"),
    ],
)
def test_anything_else_is_refused_saying_what_was_expected(value, message):
    with pytest.raises(InvalidInputError, match=message):
        require_address(value, "owner")


def test_a_mixed_case_address_with_a_wrong_checksum_is_refused(owner):
    body = owner.address[2:]
    flipped = "0x" + (body[0].swapcase() if body[0].isalpha() else body[0]) + body[1:]
    if flipped == owner.address or flipped[2:].lower() == flipped[2:] or flipped[2:].upper() == flipped[2:]:
        flipped = "0x" + "aB" * 20  # not the checksum of its own value
    with pytest.raises(InvalidInputError, match="wrong EIP-55 checksum"):
        require_address(flipped, "owner")


def test_an_object_whose_address_is_not_a_string_is_refused():
    class Odd:
        address = 7

    with pytest.raises(InvalidInputError, match=r"owner must be an address.*got Odd"):
        require_address(Odd(), "owner")


def test_the_zero_address_is_refused_when_nonzero_is_asked():
    with pytest.raises(InvalidInputError, match="owner must not be the zero address"):
        require_address(ZERO, "owner", nonzero=True)


def test_the_zero_address_is_accepted_otherwise():
    assert require_address(ZERO, "owner") == ZERO


# --- signers --------------------------------------------------------------------------------------


def test_a_brownie_account_is_a_signer(owner):
    assert require_signer(owner) is owner


def test_an_eth_account_key_becomes_the_same_brownie_local_account_each_time(eth_key):
    first, second = require_signer(eth_key), require_signer(eth_key)
    assert first.address == eth_key.address
    assert first is second


def test_an_address_string_is_refused_as_a_signer_saying_a_signer_is_needed(owner):
    with pytest.raises(InvalidInputError, match=r"sender must be a signer.*address string.*cannot sign"):
        require_signer(owner.address)


def test_a_contract_is_refused_as_a_signer(registry):
    with pytest.raises(InvalidInputError, match=r"sender must be a signer.*got a contract"):
        require_signer(registry)


def test_none_is_refused_as_a_signer():
    with pytest.raises(InvalidInputError, match=r"sender must be a signer.*got NoneType"):
        require_signer(None)


# --- through the clients --------------------------------------------------------------------------


def register(client, sender, tag=b"c"):
    return client.register_file(
        sender=sender, content_commitment=keccak(tag), ciphertext_hash=keccak(b"ct"), locator="sha256:" + "ab" * 32
    )


def test_files_of_takes_the_brownie_account_itself(client, owner):
    registration = register(client, owner)
    assert [r.file_id for r in client.files_of(owner)] == [registration.file_id]


def test_files_of_takes_an_eth_account_key(client, owner, eth_key):
    signer = require_signer(eth_key)
    owner.transfer(signer, "1 ether")
    registration = register(client, eth_key)
    assert [r.file_id for r in client.files_of(eth_key)] == [registration.file_id]
    assert registration.owner == signer.address


def test_grant_access_takes_a_brownie_account_as_grantee(client, owner, stranger):
    registration = register(client, owner)
    grant = client.grant_access(sender=owner, file_id=registration.file_id, grantee=stranger, policy=keccak(b"p"))
    assert grant.grantee == stranger.address
    assert client.is_granted(registration.file_id, stranger)


def test_a_transaction_from_an_address_string_is_refused_before_anything_is_sent(client, owner):
    with pytest.raises(InvalidInputError, match="sender must be a signer"):
        register(client, owner.address)
    assert client.files_of(owner) == []


def test_files_of_refuses_a_number_saying_what_was_expected(client):
    with pytest.raises(InvalidInputError, match="owner must be an address"):
        client.files_of(1)


# --- through the roles ----------------------------------------------------------------------------


def test_a_role_takes_an_eth_account_key_as_its_account(client, eth_key):
    owner = DataOwner(eth_key, client)
    assert owner.address == eth_key.address
    assert owner.account is require_signer(eth_key)


def test_a_role_refuses_an_address_string_as_its_account_saying_a_signer_is_needed(client, owner):
    with pytest.raises(InvalidInputError, match="account must be a signer"):
        DataOwner(owner.address, client)
