"""Off-chain signatures by an account's Ethereum key (EIP-191 ``personal_sign`` of a 32-byte digest).

The roles authenticate messages that never go on chain (an owner's upload to a storage server,
a kfrag delivery to a proxy) with the key of the account the chain already names (the file's
registered owner), so that a server checks them against the chain and nothing else. A digest is
signed as ``personal_sign`` (``"\\x19Ethereum Signed Message:\\n32" || digest``), so a signature
can never be replayed as a transaction.

Any of these can sign: an ``eth_account`` key (``Account.create()``), a Brownie ``LocalAccount``
(``accounts.add(...)``, which holds its private key), or an account the node holds unlocked
(Ganache's and Anvil's test accounts, through the node's ``eth_sign``).
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import to_checksum_address
from hexbytes import HexBytes

from offchain.errors import InvalidInputError, VerificationError

__all__ = ["recover_digest_signer", "sign_digest"]

_DIGEST_BYTES = 32


def _require_digest(digest: bytes) -> bytes:
    if not isinstance(digest, (bytes, bytearray)) or len(digest) != _DIGEST_BYTES:
        found = f"{len(digest)} bytes" if isinstance(digest, (bytes, bytearray)) else type(digest).__name__
        raise InvalidInputError(f"a signed digest must be {_DIGEST_BYTES} bytes, got {found}")
    return bytes(digest)


def sign_digest(account: Any, digest: bytes) -> bytes:
    """The 65-byte EIP-191 signature of ``digest`` by ``account``'s key.

    Args:
        account: An ``eth_account`` key, a Brownie ``LocalAccount``, or a Brownie account whose
            key the node holds (signed through ``eth_sign``).
        digest: The 32 bytes to sign (a keccak256 of a domain-separated message).

    Raises:
        InvalidInputError: if ``digest`` is not 32 bytes or ``account`` cannot sign.
    """
    message = encode_defunct(primitive=_require_digest(digest))
    if hasattr(account, "sign_message") and hasattr(account, "key"):  # eth_account LocalAccount
        return bytes(account.sign_message(message).signature)
    private_key = getattr(account, "private_key", None)  # Brownie LocalAccount
    if private_key is not None:
        return bytes(Account.sign_message(message, private_key=private_key).signature)
    address = getattr(account, "address", None)
    if address is None:
        raise InvalidInputError(f"cannot sign with {type(account).__name__}: it has no key and no address")
    from brownie import web3  # the node signs for the accounts it holds unlocked

    signature = bytes(HexBytes(web3.eth.sign(to_checksum_address(address), data=bytes(digest))))
    if len(signature) == 65 and signature[64] < 27:  # some nodes answer v ∈ {0, 1}; contracts want 27/28
        signature = signature[:64] + bytes([signature[64] + 27])
    if recover_digest_signer(digest, signature) != to_checksum_address(address):
        raise InvalidInputError(f"the node's eth_sign for {address} is not an EIP-191 signature of the digest")
    return signature


def recover_digest_signer(digest: bytes, signature: bytes) -> str:
    """The checksummed address whose key made ``signature`` (see :func:`sign_digest`) of ``digest``.

    Raises:
        VerificationError: if ``signature`` is not a valid 65-byte Ethereum signature.
    """
    message = encode_defunct(primitive=_require_digest(digest))
    if not isinstance(signature, (bytes, bytearray)):
        raise VerificationError(f"signature is malformed: expected bytes, got {type(signature).__name__}")
    try:
        return str(Account.recover_message(message, signature=bytes(signature)))
    except Exception as exc:  # eth_account raises several types for malformed signatures
        raise VerificationError(f"signature is malformed: {exc}") from None
