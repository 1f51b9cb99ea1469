"""ECDSA signatures over 32-byte digests, as contracts check them (OpenZeppelin ``ECDSA`` over
``MessageHashUtils.toEthSignedMessageHash``).

A signer is whatever a Brownie user holds: an account with its private key (Brownie's
``LocalAccount``, an ``eth_account`` ``LocalAccount``) is signed with locally by ``eth_account``;
an account the node unlocks (Ganache's and Anvil's test accounts) through the node's ``eth_sign``.
Both produce the 65-byte r ‖ s ‖ v form with v ∈ {27, 28} and a low s (EIP-2).
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature
from eth_utils import to_checksum_address
from hexbytes import HexBytes

from offchain.chain.contracts import require_address, require_bytes32
from offchain.errors import ChainError, InvalidInputError

__all__ = ["SECP256K1_HALF_ORDER", "recover_digest_signer", "sign_digest"]

#: Half the order of secp256k1: an s above it is the malleable twin (contracts refuse it).
SECP256K1_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


def _normalise(signature: bytes) -> bytes:
    if len(signature) != 65:
        raise ChainError(f"a signature is 65 bytes, the signer returned {len(signature)}")
    v = signature[64]
    return signature[:64] + bytes([v + 27 if v < 27 else v])


def sign_digest(signer: Any, digest: bytes) -> bytes:
    """Sign ``digest`` as an Ethereum signed message (EIP-191 version 0x45).

    Args:
        signer: An account with ``private_key`` (signed locally), or an account the node
            unlocks (signed with ``eth_sign``); a bare address string is not a signer.
        digest: The 32 bytes to sign.

    Returns:
        r ‖ s ‖ v, 65 bytes.

    Raises:
        InvalidInputError: ``digest`` is not 32 bytes, or ``signer`` is not an account.
        ChainError: The node refused to sign (the account is not unlocked there).
    """
    message = require_bytes32(digest, "digest", nonzero=False)
    if isinstance(signer, str) or not hasattr(signer, "address"):
        raise InvalidInputError(f"a signer (an account object) is needed, got {type(signer).__name__}")
    key = getattr(signer, "private_key", None) or getattr(signer, "key", None)
    if key is not None:
        signed = Account.sign_message(encode_defunct(primitive=message), private_key=key)
        return _normalise(bytes(signed.signature))
    from brownie import web3

    address = require_address(signer, "signer", nonzero=True)
    try:
        raw = web3.eth.sign(address, data=message)
    except Exception as exc:  # the node's refusal comes in many shapes
        raise ChainError(f"the node did not sign for {address}: {exc}") from exc
    return _normalise(bytes(HexBytes(raw)))


def recover_digest_signer(digest: bytes, signature: bytes) -> str:
    """The address that signed ``digest`` (as :func:`sign_digest` does).

    Raises:
        InvalidInputError: The digest or signature is malformed, or the signature recovers no key.
    """
    message = require_bytes32(digest, "digest", nonzero=False)
    if not isinstance(signature, (bytes, bytearray)) or len(signature) != 65:
        raise InvalidInputError("a signature is 65 bytes")
    try:
        return to_checksum_address(Account.recover_message(encode_defunct(primitive=message), signature=signature))
    except (BadSignature, ValueError) as exc:
        raise InvalidInputError(f"the signature recovers no signer: {exc}") from exc
