"""Which data market arbiters a party trusts: by default only its deployment's ``ConsortiumArbiter``.

Research: Feng et al. 2022 §6 (the data market's escrow and dispute resolution), with the
consortium's 2/3 vote of Huang, Chen, Wang 2020 §3 as the default arbiter. A requirement's arbiter
rules on its disputes, and its ruling is final (``DataMarket.settleDispute``); the contract only
refuses the zero address and the buyer itself. A buyer could therefore name a second account it
controls, receive a record through the proxies, dispute, and have its accomplice refund it: the
owner would have shared its data and not be paid. So the parties' clients keep a trust policy and
refuse, with :class:`~offchain.errors.UntrustedArbiterError`, a requirement whose arbiter is
outside it, before anything is proved, granted or re-encrypted:

* by default only the ``ConsortiumArbiter`` of the deployment record (:meth:`ArbiterPolicy.from_deployment`,
  :meth:`ArbiterPolicy.for_active_network`);
* plus an explicit allow-list of other arbiter *contracts* (for example another consortium's
  ``ConsortiumArbiter`` over the same market).

Every arbiter the policy names, the default included, is checked on chain each time it is used:
code at its address (an account, even allow-listed, is refused: one person's key is exactly the
accomplice this guards against), ``IConsortiumArbiter.market()`` answering the market the
requirement is in (an arbiter of another market could never settle, so the dispute would stay
frozen), and ``consortium()`` answering a contract.

Caveat: the on-chain check shows that a contract speaks the arbiter interface and is bound to this
market, not that its rules are fair; that trust comes from putting it on the allow-list (read its
code and who votes in it first).

Example::

    policy = ArbiterPolicy.from_deployment(session.record)
    policy.require_trusted(session.market, posted.arbiter, requirement_id=posted.requirement_id)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from eth_typing import HexStr
from eth_utils import keccak, to_checksum_address

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.deployment import DeploymentRecord, deployment_path
from offchain.errors import UntrustedArbiterError
from offchain.toolchain import PROJECT_ROOT

if TYPE_CHECKING:
    from offchain.chain.market import DataMarketClient

__all__ = ["ARBITER_CONTRACT", "ArbiterPolicy", "TrustsArbiters"]

logger = logging.getLogger(__name__)

#: The deployment record's name of the arbiter trusted by default.
ARBITER_CONTRACT = "ConsortiumArbiter"


@dataclass(frozen=True)
class ArbiterPolicy:
    """The arbiters a buyer or an owner accepts for a requirement.

    Attributes:
        consortium_arbiter: Checksummed address of the deployment's ``ConsortiumArbiter``.
        allowed_contracts: Checksummed addresses of other arbiter contracts trusted as well.
    """

    consortium_arbiter: str
    allowed_contracts: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        default = require_address(self.consortium_arbiter, "consortium_arbiter", nonzero=True)
        allowed = frozenset(require_address(a, "allowed_contracts entry", nonzero=True) for a in self.allowed_contracts)
        object.__setattr__(self, "consortium_arbiter", default)
        object.__setattr__(self, "allowed_contracts", allowed)

    @classmethod
    def from_deployment(cls, record: DeploymentRecord, *, allowed_contracts: Iterable[str] = ()) -> ArbiterPolicy:
        """The policy trusting ``record``'s ``ConsortiumArbiter`` and ``allowed_contracts``.

        Raises:
            DeploymentRecordError: if the record has no ``ConsortiumArbiter``.
            InvalidInputError: if an allow-list entry is not a nonzero address.
        """
        return cls(record.address_of(ARBITER_CONTRACT), frozenset(allowed_contracts))

    @classmethod
    def for_active_network(cls, *, allowed_contracts: Iterable[str] = (), root: Path = PROJECT_ROOT) -> ArbiterPolicy:
        """The default policy: the ``ConsortiumArbiter`` of the active network's deployment record
        (``<root>/deployments/<network>.json``), plus ``allowed_contracts``.

        Raises:
            DeploymentRecordError: if the record is missing, unreadable or has no ``ConsortiumArbiter``
                (a client without a policy then refuses every requirement).
        """
        from brownie import network

        record = DeploymentRecord.load(deployment_path(str(network.show_active()), root))
        return cls.from_deployment(record, allowed_contracts=allowed_contracts)

    @property
    def trusted(self) -> frozenset[str]:
        """Every arbiter address the policy names (each is still checked on chain when used)."""
        return self.allowed_contracts | {self.consortium_arbiter}

    def require_trusted(
        self, market: DataMarketClient, arbiter: AddressLike, *, requirement_id: int | None = None
    ) -> str:
        """``arbiter``, checksummed, if the policy trusts it as arbiter of ``market``'s requirements.

        Args:
            market: The market the requirement is in.
            arbiter: The requirement's arbiter (``MarketRequirement.arbiter``).
            requirement_id: The requirement, named in the error.

        Returns:
            The checksummed arbiter address.

        Raises:
            UntrustedArbiterError: if the arbiter is on neither list, has no code, or does not
                answer ``market()`` with this market and ``consortium()`` with a contract.
        """
        address = require_address(arbiter, "arbiter")
        checksummed = to_checksum_address(address)

        def refuse(reason: str) -> UntrustedArbiterError:
            return UntrustedArbiterError(address, reason, requirement_id=requirement_id)

        if address not in self.trusted:
            allowed = ", ".join(sorted(self.allowed_contracts)) or "none"
            raise refuse(
                f"expected the deployment's ConsortiumArbiter {self.consortium_arbiter} or an allow-listed "
                f"contract (allow-list: {allowed}); found an arbiter on neither"
            )
        from brownie import web3

        if len(web3.eth.get_code(checksummed)) == 0:
            raise refuse("expected an arbiter contract; found an account with no code (an account is never trusted)")
        answered_market = _address_view(address, "market()")
        if answered_market is None:
            raise refuse("expected a contract answering IConsortiumArbiter.market(); the call failed")
        if answered_market != market.address:
            raise refuse(f"expected the arbiter of market {market.address}; found one of market {answered_market}")
        consortium = _address_view(address, "consortium()")
        if consortium is None or len(web3.eth.get_code(to_checksum_address(consortium))) == 0:
            raise refuse(f"expected IConsortiumArbiter.consortium() to answer a contract; found {consortium}")
        logger.debug("arbiter %s of requirement %s is trusted", address, requirement_id)
        return address


def _address_view(contract: str, signature: str) -> str | None:
    """The address a view without arguments returns, or ``None`` if the call fails or returns
    something else than one ABI-encoded address."""
    from brownie import web3
    from web3.exceptions import Web3Exception

    try:
        selector = HexStr("0x" + keccak(text=signature)[:4].hex())
        raw = bytes(web3.eth.call({"to": to_checksum_address(contract), "data": selector}))
    except (ValueError, Web3Exception) as exc:  # a revert: not the interface
        logger.debug("%s.%s failed: %s", contract, signature, exc)
        return None
    if len(raw) != 32 or any(raw[:12]):
        return None
    return str(to_checksum_address(raw[12:]))


class TrustsArbiters:
    """A market role that checks arbiters against a policy: the one it was given, else the
    active network's default, read on first use (``DataOwner`` accepts only these arbiters,
    ``Buyer`` names only these)."""

    _arbiters: ArbiterPolicy | None = None

    @property
    def arbiters(self) -> ArbiterPolicy:
        """The arbiter policy this role applies.

        Raises:
            DeploymentRecordError: without a policy given, if the active network has no
                deployment record with a ``ConsortiumArbiter``.
        """
        if self._arbiters is None:
            self._arbiters = ArbiterPolicy.for_active_network()
        return self._arbiters
