"""Off-chain EIP-191 signatures of digests by every kind of account the roles are given."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.chain.signing import canonical_signature, recover_digest_signer, sign_digest
from offchain.crypto.hashing import keccak256
from offchain.errors import InvalidInputError, VerificationError
from tests.helpers import high_s_twin

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


def _eth_account_recovers(signature: bytes) -> str:
    return str(Account.recover_message(encode_defunct(primitive=DIGEST), signature=signature))


def test_the_high_s_twin_of_a_signature_is_refused() -> None:
    key = Account.create()
    twin = high_s_twin(sign_digest(key, DIGEST))
    assert _eth_account_recovers(twin) == key.address  # the same key, in another encoding
    with pytest.raises(VerificationError, match="not canonical"):
        recover_digest_signer(DIGEST, twin)


@pytest.mark.parametrize("offset", [0, 35, 2 * 12 + 35])  # v as 0/1, as EIP-155 for chain 0 and chain 12
def test_a_signature_with_v_in_another_form_is_refused(offset: int) -> None:
    """eth-account accepts v ∈ {0, 1} and EIP-155's 2·chainId + 35 + parity; the chain's ECDSA does not."""
    key = Account.create()
    signature = sign_digest(key, DIGEST)
    other = signature[:64] + bytes([signature[64] - 27 + offset])
    assert _eth_account_recovers(other) == key.address
    with pytest.raises(VerificationError, match="v must be 27 or 28"):
        recover_digest_signer(DIGEST, other)


@pytest.mark.parametrize("part", ["r", "s"])
def test_a_signature_with_a_zero_scalar_is_refused(part: str) -> None:
    signature = bytearray(sign_digest(Account.create(), DIGEST))
    start = 0 if part == "r" else 32
    signature[start : start + 32] = bytes(32)
    with pytest.raises(VerificationError, match="does not recover" if part == "r" else "not canonical"):
        recover_digest_signer(DIGEST, bytes(signature))


def test_a_signature_that_is_not_bytes_is_refused() -> None:
    with pytest.raises(VerificationError, match="expected 65 bytes, got str"):
        recover_digest_signer(DIGEST, "0x" + "11" * 65)


@settings(max_examples=200)
@given(position=st.integers(0, 64), flip=st.integers(1, 255))
def test_a_signature_changed_in_any_byte_recovers_no_one_or_someone_else(position: int, flip: int) -> None:
    key = Account.from_key("0x" + "42" * 32)
    signature = bytearray(sign_digest(key, DIGEST))
    signature[position] ^= flip
    try:
        signer = recover_digest_signer(DIGEST, bytes(signature))
    except VerificationError:
        return
    assert signer != key.address


def test_the_canonical_form_of_a_high_s_twin_is_the_signature() -> None:
    signature = sign_digest(Account.create(), DIGEST)
    assert canonical_signature(high_s_twin(signature)) == signature


def test_the_canonical_form_of_a_signature_with_v_0_or_1_has_v_27_or_28() -> None:
    signature = sign_digest(Account.create(), DIGEST)
    assert canonical_signature(signature[:64] + bytes([signature[64] - 27])) == signature
