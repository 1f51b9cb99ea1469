"""Off-chain EIP-191 signatures of digests by every kind of account the roles are given."""

from __future__ import annotations

import pytest
from eth_account import Account

from offchain.chain.signing import recover_digest_signer, sign_digest
from offchain.crypto.hashing import keccak256
from offchain.errors import InvalidInputError, VerificationError

DIGEST = keccak256(b"datashare/test-digest")


def test_an_eth_account_key_signs_a_digest_its_address_recovers() -> None:
    key = Account.create()
    assert recover_digest_signer(DIGEST, sign_digest(key, DIGEST)) == key.address


def test_an_account_the_node_holds_signs_through_eth_sign(accounts) -> None:
    assert recover_digest_signer(DIGEST, sign_digest(accounts[1], DIGEST)) == accounts[1].address


def test_a_brownie_local_account_signs_with_its_own_key(accounts) -> None:
    local = accounts.add()
    assert recover_digest_signer(DIGEST, sign_digest(local, DIGEST)) == local.address


def test_a_signature_of_another_digest_recovers_another_address() -> None:
    key = Account.create()
    assert recover_digest_signer(keccak256(b"other"), sign_digest(key, DIGEST)) != key.address


def test_a_malformed_signature_raises_verification_error() -> None:
    with pytest.raises(VerificationError, match="malformed"):
        recover_digest_signer(DIGEST, b"\x01" * 12)


def test_a_digest_that_is_not_32_bytes_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="32 bytes"):
        sign_digest(Account.create(), b"short")
