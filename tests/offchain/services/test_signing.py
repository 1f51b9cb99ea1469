"""EIP-712 signed requests (offchain.services.signing): round trip and every refusal."""

from __future__ import annotations

import hashlib
import time

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto.hashing import keccak256
from offchain.errors import InvalidInputError, VerificationError
from offchain.services.signing import (
    DOMAIN_NAME,
    HEADER_BODY_SHA256,
    MAX_VALIDITY_S,
    ExpiredRequestError,
    NonceBook,
    ReplayedRequestError,
    SignedHeaders,
    request_digest,
    sign_request,
    verify_request,
)
from tests.helpers import high_s_twin

KEY = "0x" + "11" * 32
OTHER_KEY = "0x" + "22" * 32
REQUEST = {"chain_id": 1337, "service": "proxy-1", "method": "POST", "path": "/files/ab/reencrypt", "body": b"capsule"}


@pytest.fixture
def nonces(tmp_path):
    book = NonceBook(tmp_path / "nonces.sqlite")
    yield book
    book.close()


def test_a_signed_request_verifies_as_its_signer(nonces):
    headers = sign_request(KEY, **REQUEST)
    assert verify_request(headers, nonces=nonces, **REQUEST) == Account.from_key(KEY).address


def test_headers_round_trip_through_http_form(nonces):
    headers = sign_request(KEY, **REQUEST)
    assert SignedHeaders.from_headers(headers.as_dict()) == headers


def test_a_request_signed_by_another_key_is_refused(nonces):
    forged = sign_request(OTHER_KEY, **REQUEST)
    claimed = SignedHeaders(Account.from_key(KEY).address, forged.nonce, forged.expiry, forged.signature)
    with pytest.raises(VerificationError, match="not by"):
        verify_request(claimed, nonces=nonces, **REQUEST)


def test_an_expired_request_is_refused(nonces):
    headers = sign_request(KEY, **REQUEST, now=time.time() - 120, validity_s=60)
    with pytest.raises(ExpiredRequestError, match="expired"):
        verify_request(headers, nonces=nonces, **REQUEST)


def test_a_request_claiming_too_long_a_validity_is_refused(nonces):
    headers = sign_request(KEY, **REQUEST, validity_s=MAX_VALIDITY_S + 60)
    with pytest.raises(ExpiredRequestError, match="beyond"):
        verify_request(headers, nonces=nonces, **REQUEST)


def test_a_replayed_nonce_is_refused_even_after_a_restart(tmp_path):
    book = NonceBook(tmp_path / "nonces.sqlite")
    headers = sign_request(KEY, **REQUEST)
    verify_request(headers, nonces=book, **REQUEST)
    with pytest.raises(ReplayedRequestError):
        verify_request(headers, nonces=book, **REQUEST)
    book.close()
    reopened = NonceBook(tmp_path / "nonces.sqlite")
    with pytest.raises(ReplayedRequestError):
        verify_request(headers, nonces=reopened, **REQUEST)
    reopened.close()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("chain_id", 1),
        ("service", "proxy-2"),
        ("method", "PUT"),
        ("path", "/files/cd/reencrypt"),
        ("body", b"another capsule"),
    ],
)
def test_a_tampered_field_is_refused(nonces, field, value):
    headers = sign_request(KEY, **REQUEST)
    with pytest.raises(VerificationError, match=r"not by|declares"):  # a changed body: not the declared hash
        verify_request(headers, nonces=nonces, **{**REQUEST, field: value})


def test_a_changed_body_is_refused_even_without_its_declared_hash(nonces):
    signed = sign_request(KEY, **REQUEST)
    undeclared = SignedHeaders(signed.signer, signed.nonce, signed.expiry, signed.signature)
    with pytest.raises(VerificationError, match="not by"):
        verify_request(undeclared, nonces=nonces, **{**REQUEST, "body": b"another capsule"})


def test_a_request_verifies_by_its_declared_body_hash_before_the_body_arrives(nonces):
    headers = sign_request(KEY, **REQUEST)
    assert headers.body_hash == hashlib.sha256(REQUEST["body"]).digest()
    without_body = {k: v for k, v in REQUEST.items() if k != "body"}
    assert verify_request(headers, nonces=nonces, body_hash=headers.body_hash, **without_body) == headers.signer


def test_a_declared_body_hash_other_than_the_signed_one_is_refused(nonces):
    headers = sign_request(KEY, **REQUEST)
    without_body = {k: v for k, v in REQUEST.items() if k != "body"}
    with pytest.raises(VerificationError, match="not by"):
        verify_request(headers, nonces=nonces, body_hash=hashlib.sha256(b"other").digest(), **without_body)


def test_verify_takes_the_body_or_its_hash_not_both(nonces):
    headers = sign_request(KEY, **REQUEST)
    with pytest.raises(InvalidInputError, match="not both or neither"):
        verify_request(headers, nonces=nonces, body_hash=headers.body_hash, **REQUEST)


def test_a_malformed_declared_body_hash_is_refused():
    headers = {**sign_request(KEY, **REQUEST).as_dict(), HEADER_BODY_SHA256: "ab" * 31}
    with pytest.raises(VerificationError, match="32 bytes"):
        SignedHeaders.from_headers(headers)


def test_a_tampered_expiry_is_refused(nonces):
    headers = sign_request(KEY, **REQUEST)
    moved = SignedHeaders(headers.signer, headers.nonce, headers.expiry + 1, headers.signature)
    with pytest.raises(VerificationError, match="not by"):
        verify_request(moved, nonces=nonces, **REQUEST)


@pytest.mark.parametrize("missing", ["x-datashare-signer", "x-datashare-nonce", "x-datashare-signature"])
def test_a_request_without_its_identity_headers_is_refused(missing):
    headers = sign_request(KEY, **REQUEST).as_dict()
    del headers[missing]
    with pytest.raises(VerificationError, match="X-Datashare"):
        SignedHeaders.from_headers(headers)


_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
    ],
    "Request": [
        {"name": "service", "type": "string"},
        {"name": "method", "type": "string"},
        {"name": "path", "type": "string"},
        {"name": "bodyHash", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "expiry", "type": "uint256"},
    ],
}


def _eth_account_message(chain_id, service, method, path, body_hash, nonce, expiry):
    """The same request through eth-account's generic EIP-712 encoder (the reference)."""
    return encode_typed_data(
        full_message={
            "types": _TYPES,
            "primaryType": "Request",
            "domain": {"name": DOMAIN_NAME, "version": "2", "chainId": chain_id},
            "message": {
                "service": service, "method": method.upper(), "path": path, "bodyHash": body_hash,
                "nonce": nonce, "expiry": expiry,
            },
        }
    )  # fmt: skip


_text = st.text(max_size=40)
_uint256 = st.integers(min_value=0, max_value=(1 << 256) - 1)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 1 << 64),
    _text,
    st.sampled_from(["GET", "put", "POST"]),
    _text,
    st.binary(min_size=32, max_size=32),
    _uint256,
    _uint256,
)
def test_the_request_digest_equals_eth_accounts_eip712_encoding(
    chain_id, service, method, path, body_hash, nonce, expiry
):
    message = _eth_account_message(chain_id, service, method, path, body_hash, nonce, expiry)
    reference = keccak256(b"\x19" + message.version + message.header + message.body)
    mine = request_digest(
        chain_id=chain_id, service=service, method=method, path=path, body_hash=body_hash, nonce=nonce, expiry=expiry
    )
    assert mine == reference


def test_a_signature_made_here_recovers_with_eth_account():
    headers = sign_request(KEY, **REQUEST)
    message = _eth_account_message(
        REQUEST["chain_id"], REQUEST["service"], REQUEST["method"], REQUEST["path"],
        hashlib.sha256(REQUEST["body"]).digest(), headers.nonce, headers.expiry,
    )  # fmt: skip
    assert (
        Account.recover_message(message, signature=headers.signature) == headers.signer == Account.from_key(KEY).address
    )


def test_a_signature_made_by_eth_account_verifies_here(nonces):
    expiry = int(time.time()) + 60
    message = _eth_account_message(
        REQUEST["chain_id"], REQUEST["service"], REQUEST["method"], REQUEST["path"],
        hashlib.sha256(REQUEST["body"]).digest(), 7, expiry,
    )  # fmt: skip
    signature = bytes(Account.sign_message(message, KEY).signature)
    headers = SignedHeaders(Account.from_key(KEY).address, 7, expiry, signature)
    assert verify_request(headers, nonces=nonces, **REQUEST) == Account.from_key(KEY).address


@pytest.mark.parametrize("v", [0, 1, 29, 37, 60])
def test_a_signature_with_another_v_is_refused(nonces, v):
    headers = sign_request(KEY, **REQUEST)
    forged = SignedHeaders(headers.signer, headers.nonce, headers.expiry, headers.signature[:64] + bytes([v]))
    with pytest.raises(VerificationError, match="v must be 27 or 28"):
        verify_request(forged, nonces=nonces, **REQUEST)


def test_the_high_s_twin_of_a_request_signature_is_refused(nonces):
    headers = sign_request(KEY, **REQUEST)
    twin = SignedHeaders(headers.signer, headers.nonce, headers.expiry, high_s_twin(headers.signature))
    with pytest.raises(VerificationError, match="not canonical"):
        verify_request(twin, nonces=nonces, **REQUEST)


def test_a_signature_with_r_out_of_range_is_refused(nonces):
    headers = sign_request(KEY, **REQUEST)
    forged = SignedHeaders(headers.signer, headers.nonce, headers.expiry, b"\xff" * 32 + headers.signature[32:])
    with pytest.raises(VerificationError, match="does not recover"):
        verify_request(forged, nonces=nonces, **REQUEST)
