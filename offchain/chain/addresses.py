"""The one converter from what a user holds to an address or a signer.

Every parameter of :mod:`offchain.chain` and :mod:`offchain.protocols` that names an account or
a contract goes through :func:`require_address`; every ``sender=`` (an account that signs a
transaction) through :func:`require_signer`. In ``brownie console`` users hold Brownie
``Account``/``LocalAccount`` objects and contract objects, in scripts often hex strings or
``eth_account`` keys: all of them are accepted where they make sense, and anything else is an
:class:`~offchain.errors.InvalidInputError` that says what was expected and what was found.

* An **address** is a ``0x`` hex string of 20 bytes (any case; a mixed-case one must carry a
  valid EIP-55 checksum), or anything with an ``.address`` that is one: a Brownie ``Account``,
  ``LocalAccount`` or contract object, an ``eth_account`` ``LocalAccount``, the toolkit's own
  clients and roles. The result is always the checksummed string.
* A **signer** is an account whose transactions Brownie can sign: a Brownie ``Account`` (a key
  the node holds unlocked) or ``LocalAccount``, or an ``eth_account`` ``LocalAccount`` (its key
  is added to Brownie's ``accounts``, once). An address string or a contract cannot sign.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias

from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

from offchain.errors import InvalidInputError

__all__ = ["AddressLike", "HasAddress", "require_address", "require_signer"]


class HasAddress(Protocol):
    """Anything with an ``.address``: accounts of every kind, contract objects, the toolkit's clients."""

    @property
    def address(self) -> str: ...


#: What an account or contract parameter accepts (see :func:`require_address`).
AddressLike: TypeAlias = "str | HasAddress"

_EXPECTED_ADDRESS = (
    "an address: a 0x-prefixed hex string of 20 bytes, or an account or contract with an .address "
    "(Brownie Account/LocalAccount or contract object, eth_account LocalAccount)"
)
_EXPECTED_SIGNER = "a signer: a Brownie Account or LocalAccount (e.g. accounts[1]) or an eth_account LocalAccount"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def require_address(value: object, name: str, *, nonzero: bool = False) -> str:
    """``value`` as a checksummed address, or InvalidInputError naming ``name``.

    Args:
        value: A hex address string, or an object whose ``.address`` is one.
        name: The parameter's name, for the error message.
        nonzero: Whether the zero address is refused.

    Returns:
        The EIP-55 checksummed address.

    Raises:
        InvalidInputError: if ``value`` is neither, if a mixed-case string's checksum is wrong,
            or if it is the zero address and ``nonzero`` is set.
    """
    candidate = value
    if not isinstance(candidate, str):
        candidate = getattr(value, "address", None)
        if not isinstance(candidate, str):
            raise InvalidInputError(f"{name} must be {_EXPECTED_ADDRESS}; got {type(value).__name__} {_shown(value)}")
    if not candidate.startswith("0x") or not is_hex_address(candidate):
        raise InvalidInputError(f"{name} must be {_EXPECTED_ADDRESS}; got {_shown(value)}")
    body = candidate[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(candidate):
        raise InvalidInputError(f"{name} has a wrong EIP-55 checksum: {candidate}")
    address = str(to_checksum_address(candidate))
    if nonzero and int(address, 16) == 0:
        raise InvalidInputError(f"{name} must not be the zero address")
    return address


def require_signer(value: object, name: str = "sender") -> Any:
    """``value`` as a Brownie account that can sign transactions, or InvalidInputError naming ``name``.

    Args:
        value: A Brownie ``Account``/``LocalAccount`` (returned as is) or an ``eth_account``
            ``LocalAccount`` (its key is added to Brownie's ``accounts``, which returns the
            same ``LocalAccount`` for the same key every time).
        name: The parameter's name, for the error message.

    Returns:
        The Brownie account, ready for ``{"from": account}``.

    Raises:
        InvalidInputError: if ``value`` cannot sign: an address string, a contract, anything else.
    """
    from brownie.network.account import _PrivateKeyAccount

    if isinstance(value, _PrivateKeyAccount):
        return value
    key = getattr(value, "key", None)
    if hasattr(value, "sign_transaction") and isinstance(key, (bytes, bytearray)):  # eth_account LocalAccount
        from brownie import accounts

        return accounts.add(bytes(key).hex())
    if isinstance(value, str):
        raise InvalidInputError(
            f"{name} must be {_EXPECTED_SIGNER}; got the address string {_shown(value)}, which cannot sign "
            "(on a local chain, accounts.at(address) gives the node's unlocked account)"
        )
    kind = "a contract" if hasattr(value, "abi") else type(value).__name__
    raise InvalidInputError(f"{name} must be {_EXPECTED_SIGNER}; got {kind} {_shown(value)}, which cannot sign")
