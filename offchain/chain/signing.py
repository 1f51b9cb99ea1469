"""Off-chain signatures by an account's Ethereum key (EIP-191 ``personal_sign`` of a 32-byte digest).

The roles authenticate messages that never go on chain (an owner's upload to a storage server,
a kfrag delivery to a proxy) with the key of the account the chain already names (the file's
registered owner), so that a server checks them against the chain and nothing else. A digest is
signed as ``personal_sign`` (``"\\x19Ethereum Signed Message:\\n32" || digest``), so a signature
can never be replayed as a transaction.

Any of these can sign: an ``eth_account`` key (``Account.create()``), a Brownie ``LocalAccount``
(``accounts.add(...)``, which holds its private key), or an account the node holds unlocked
(Ganache's and Anvil's test accounts, through the node's ``eth_sign``).

Only the canonical form of a signature is accepted (:func:`recover_prehashed_signer`): 65
bytes r ‖ s ‖ v with v ∈ {27, 28}, 0 < r < n and 0 < s ≤ n/2 (EIP-2), the rule OpenZeppelin's
``ECDSA.recover`` applies on chain. An ECDSA signature has other encodings that recover the same
key (s replaced by n − s with the other v; v written as 0/1 or in EIP-155 form, which
eth-account also accepts): refusing them means a signature's bytes are the only ones that
verify, so nothing that keys, logs or compares signatures can be given a second copy of one.
Recovery runs in libsecp256k1 (coincurve), about 0.1 ms.
"""

from __future__ import annotations

from typing import Any

from coincurve import PublicKey
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import to_checksum_address
from hexbytes import HexBytes

from offchain.crypto.hashing import keccak256
from offchain.errors import InvalidInputError, VerificationError

__all__ = [
    "SECP256K1_ORDER",
    "address_of_public_key",
    "canonical_signature",
    "recover_digest_signer",
    "recover_prehashed_signer",
    "sign_digest",
]

_DIGEST_BYTES = 32
_SIGNATURE_BYTES = 65
_EIP191_PREFIX = b"\x19Ethereum Signed Message:\n32"  # personal_sign of a 32-byte message

SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""n, the order of secp256k1's group."""


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
    if len(signature) == _SIGNATURE_BYTES:
        signature = canonical_signature(signature)
    try:
        signer = recover_digest_signer(digest, signature)
    except VerificationError:
        signer = None
    if signer != to_checksum_address(address):
        raise InvalidInputError(f"the node's eth_sign for {address} is not an EIP-191 signature of the digest")
    return signature


def canonical_signature(signature: bytes) -> bytes:
    """The canonical form of a 65-byte signature: v 0/1 as 27/28, a high s as n − s with the other v.

    For signatures made elsewhere (a node's ``eth_sign``), before they are handed on; the
    result recovers the same key, and :func:`recover_prehashed_signer` accepts only it.
    """
    v = signature[64] + 27 if signature[64] < 27 else signature[64]  # some nodes answer v ∈ {0, 1}
    s = int.from_bytes(signature[32:64], "big")
    if s > SECP256K1_ORDER // 2 and v in (27, 28):
        return signature[:32] + (SECP256K1_ORDER - s).to_bytes(32, "big") + bytes([55 - v])
    return signature[:64] + bytes([v])


def address_of_public_key(public_key: PublicKey) -> str:
    """The checksummed Ethereum address of a secp256k1 public key."""
    return str(to_checksum_address(keccak256(public_key.format(compressed=False)[1:])[-20:]))


def recover_prehashed_signer(digest: bytes, signature: object, *, what: str = "signature") -> str:
    """The checksummed address whose key signed the 32-byte ``digest`` (already hashed), canonical form only.

    Args:
        digest: The 32 bytes that were signed (an EIP-191 or EIP-712 hash).
        signature: 65 bytes r ‖ s ‖ v.
        what: How error messages name the signature.

    Raises:
        VerificationError: if ``signature`` is not 65 bytes, v is not 27 or 28, r is not in
            [1, n), s is not in [1, n/2], or no key recovers from it.
    """
    if not isinstance(signature, (bytes, bytearray)) or len(signature) != _SIGNATURE_BYTES:
        found = f"{len(signature)} bytes" if isinstance(signature, (bytes, bytearray)) else type(signature).__name__
        raise VerificationError(f"{what} is malformed: expected {_SIGNATURE_BYTES} bytes, got {found}")
    v = signature[64]
    if v not in (27, 28):
        raise VerificationError(f"{what}'s v must be 27 or 28, got {v}")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    if not 0 < r < SECP256K1_ORDER:
        raise VerificationError(f"{what} does not recover: r is not in [1, n)")
    if not 0 < s <= SECP256K1_ORDER // 2:
        raise VerificationError(f"{what} is not canonical: s must be in [1, n/2] (EIP-2)")
    try:
        public_key = PublicKey.from_signature_and_message(bytes(signature[:64]) + bytes([v - 27]), digest, hasher=None)
    except Exception as exc:  # libsecp256k1 finds no point for this r
        raise VerificationError(f"{what} does not recover: {exc}") from None
    return address_of_public_key(public_key)


def recover_digest_signer(digest: bytes, signature: object, *, what: str = "signature") -> str:
    """The checksummed address whose key made ``signature`` (see :func:`sign_digest`) of ``digest``.

    Raises:
        InvalidInputError: if ``digest`` is not 32 bytes.
        VerificationError: if ``signature`` is not a canonical 65-byte Ethereum signature
            (:func:`recover_prehashed_signer`).
    """
    signed = keccak256(_EIP191_PREFIX + _require_digest(digest))
    return recover_prehashed_signer(signed, signature, what=what)
