"""Deploy every contract of the toolkit, wire them together and write the deployment record.

``scripts/deploy.py`` is a thin ``main()`` around :func:`deploy_all`; tests and the console's
``session`` helper call it directly.

The ``Consortium`` needs its founding agencies and its voting period, taken in this order from
:func:`deploy_all`'s arguments, the environment (``DATASHARE_CONSORTIUM_FOUNDERS``,
``DATASHARE_TRACE_VOTING_PERIOD_S``), or the defaults: on a local chain the last four test
accounts, and three days.

The ``DataMarket`` takes the ``DataRegistry`` and one generated Groth16 verifier per record
width (:data:`MARKET_FIELD_COUNTS`); the ``ConsortiumArbiter`` takes the ``Consortium`` and the
``DataMarket``, so that buyers can name the consortium's 2/3 vote as a requirement's arbiter.
The ``TrainingBoard`` (vertical training sessions) takes nothing: each session names its own
participants. The ``DeviceRegistry`` (attested uploads) takes the ``Consortium``: its members
register device classes and admit devices. The ``ShapleyPayout`` (revenue rounds shared by
Shapley values) takes the ``Consortium``, whose agencies approve valuations, and the
``DataRegistry``, whose file owners are paid. The ``FeatureIndex`` (image retrieval) takes the
``Consortium`` (its members are the hospitals and register users), the ``MerkleAnchor`` (which
grants it ``ANCHORER_ROLE``) and the retrieval service's account (``retrieval_service``, else
``DATASHARE_RETRIEVAL_SERVICE``, else the deployer).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from offchain.chain.addresses import AddressLike, require_address, require_signer
from offchain.chain.consortium import MAX_VOTING_PERIOD_S, MIN_MEMBERS
from offchain.chain.contracts import is_local_network, load_project, require_uint
from offchain.chain.deployment import ContractDeployment, DeploymentRecord, deployment_path
from offchain.errors import InvalidInputError

__all__ = [
    "DEFAULT_TRACE_VOTING_PERIOD_S",
    "DEPLOY_ORDER",
    "ENV_CONSORTIUM_FOUNDERS",
    "ENV_RETRIEVAL_SERVICE",
    "ENV_TRACE_VOTING_PERIOD_S",
    "LOCAL_FOUNDER_COUNT",
    "MARKET_FIELD_COUNTS",
    "deploy_all",
]

logger = logging.getLogger(__name__)

#: Record widths the ``DataMarket`` supports, each with its generated verifier ``Groth16VerifierN<n>``.
MARKET_FIELD_COUNTS: tuple[int, ...] = (8, 16)

#: Contracts in the order they are deployed; a contract may take earlier ones' addresses.
DEPLOY_ORDER: tuple[str, ...] = (
    "DataRegistry",
    "MerkleAnchor",
    "Consortium",
    *(f"Groth16VerifierN{n}" for n in MARKET_FIELD_COUNTS),
    "DataMarket",
    "ConsortiumArbiter",
    "TrainingBoard",
    "DeviceRegistry",
    "ShapleyPayout",
    "FeatureIndex",
)

#: Environment variable with the consortium's founding agencies: comma-separated addresses.
ENV_CONSORTIUM_FOUNDERS = "DATASHARE_CONSORTIUM_FOUNDERS"
#: Environment variable with the retrieval service's address (the ``FeatureIndex``'s answerer).
ENV_RETRIEVAL_SERVICE = "DATASHARE_RETRIEVAL_SERVICE"
#: Environment variable with the consortium's voting period, in seconds.
ENV_TRACE_VOTING_PERIOD_S = "DATASHARE_TRACE_VOTING_PERIOD_S"
#: The voting period when none is given: three days.
DEFAULT_TRACE_VOTING_PERIOD_S = 3 * 24 * 3600
#: On a local chain, the last this many test accounts found the consortium (accounts 6 to 9 of
#: ten; the tests use the first ones as deployer, owner and stranger).
LOCAL_FOUNDER_COUNT = 4


@dataclass(frozen=True)
class _ConsortiumSettings:
    founders: tuple[str, ...]
    voting_period_s: int
    retrieval_service: str = ""


def _consortium_settings(founders: Sequence[AddressLike] | None, voting_period_s: int | None) -> _ConsortiumSettings:
    """The founders and voting period, checked before anything is deployed.

    Raises:
        InvalidInputError: if none can be found, or on fewer than three distinct non-zero
            founders or a voting period out of range.
    """
    if founders is None:
        listed = os.environ.get(ENV_CONSORTIUM_FOUNDERS, "").strip()
        if listed:
            founders = [part.strip() for part in listed.split(",") if part.strip()]
        elif is_local_network():
            from brownie import accounts

            founders = [accounts[i] for i in range(len(accounts) - LOCAL_FOUNDER_COUNT, len(accounts))]
        else:
            raise InvalidInputError(
                f"the Consortium needs its founding agencies on a live network: pass consortium_founders "
                f"or set {ENV_CONSORTIUM_FOUNDERS} to at least {MIN_MEMBERS} comma-separated addresses"
            )
    checked = tuple(require_address(f, "consortium founder", nonzero=True) for f in founders)
    if len(set(checked)) != len(checked) or len(checked) < MIN_MEMBERS:
        raise InvalidInputError(
            f"the Consortium needs at least {MIN_MEMBERS} distinct founding agencies, got {len(checked)} "
            f"({len(set(checked))} distinct)"
        )
    if voting_period_s is None:
        configured = os.environ.get(ENV_TRACE_VOTING_PERIOD_S, "").strip()
        try:
            voting_period_s = int(configured) if configured else DEFAULT_TRACE_VOTING_PERIOD_S
        except ValueError:
            raise InvalidInputError(f"{ENV_TRACE_VOTING_PERIOD_S} must be whole seconds, got {configured!r}") from None
    period = require_uint(voting_period_s, "trace voting period (seconds)", low=1, high=MAX_VOTING_PERIOD_S)
    return _ConsortiumSettings(founders=checked, voting_period_s=period)


def _constructor_args(name: str, deployed: dict[str, Any], consortium: _ConsortiumSettings) -> tuple[Any, ...]:
    """Constructor arguments of ``name``: the wiring between contracts lives here."""
    if name == "Consortium":
        return (list(consortium.founders), consortium.voting_period_s)
    if name == "DataMarket":
        verifiers = [deployed[f"Groth16VerifierN{n}"] for n in MARKET_FIELD_COUNTS]
        return (deployed["DataRegistry"], list(MARKET_FIELD_COUNTS), verifiers)
    if name == "ConsortiumArbiter":
        return (deployed["Consortium"], deployed["DataMarket"])
    if name == "DeviceRegistry":
        return (deployed["Consortium"],)
    if name == "ShapleyPayout":
        return (deployed["Consortium"], deployed["DataRegistry"])
    if name == "FeatureIndex":
        return (deployed["Consortium"], deployed["MerkleAnchor"], consortium.retrieval_service)
    return ()


def _configure(name: str, contract: Any, account: Any, deployed: dict[str, Any]) -> None:
    """Roles and settings a contract needs after deployment.

    ``MerkleAnchor``: the deployer (its admin) is also granted ``ANCHORER_ROLE``, so that the
    deployment can anchor at once; grant it to the cloud servers or agencies that anchor, and
    revoke it from the deployer, with ``MerkleAnchorClient.grant_anchorer`` and AccessControl.
    ``FeatureIndex``: granted ``ANCHORER_ROLE`` on the ``MerkleAnchor``, which it anchors through.
    """
    if name == "MerkleAnchor":
        contract.grantRole(contract.ANCHORER_ROLE(), account, {"from": account})
    if name == "FeatureIndex":
        anchor = deployed["MerkleAnchor"]
        anchor.grantRole(anchor.ANCHORER_ROLE(), contract, {"from": account})


def deploy_all(
    account: Any,
    *,
    path: Path | None = None,
    consortium_founders: Sequence[AddressLike] | None = None,
    trace_voting_period_s: int | None = None,
    retrieval_service: AddressLike | None = None,
) -> DeploymentRecord:
    """Deploy every contract from ``account`` and write the record of the active network.

    Args:
        account: A signer (:func:`~offchain.chain.addresses.require_signer`) that pays for and
            owns the deployments.
        path: Where to write the record; ``deployments/<network>.json`` by default.
        consortium_founders: The ``Consortium``'s founding agencies (addresses or accounts, at
            least three, distinct); by default the addresses in ``DATASHARE_CONSORTIUM_FOUNDERS``,
            else on a local chain the last four test accounts.
        trace_voting_period_s: How long its ballots stay open, in seconds; by default
            ``DATASHARE_TRACE_VOTING_PERIOD_S``, else three days.
        retrieval_service: The ``FeatureIndex``'s retrieval service; by default
            ``DATASHARE_RETRIEVAL_SERVICE``, else the deploying account.

    Returns:
        The record written.

    Raises:
        InvalidInputError: if the founders or the voting period are missing or invalid; nothing
            is deployed then.
    """
    from brownie import network, web3

    import offchain

    account = require_signer(account, "account")
    consortium = _consortium_settings(consortium_founders, trace_voting_period_s)
    service = retrieval_service or os.environ.get(ENV_RETRIEVAL_SERVICE, "").strip() or account.address
    consortium = replace(consortium, retrieval_service=require_address(service, "retrieval service", nonzero=True))
    project = load_project()
    network_id = str(network.show_active())
    deployed: dict[str, Any] = {}
    entries: dict[str, ContractDeployment] = {}
    for name in DEPLOY_ORDER:
        contract = project[name].deploy(*_constructor_args(name, deployed, consortium), {"from": account})
        _configure(name, contract, account, deployed)
        receipt = contract.tx
        deployed[name] = contract
        entries[name] = ContractDeployment(
            address=to_checksum_address(contract.address),
            tx_hash=str(receipt.txid),
            block_number=int(receipt.block_number),
        )
        logger.info("deployed %s at %s (gas %s)", name, contract.address, receipt.gas_used)
    record = DeploymentRecord(
        network=network_id,
        chain_id=int(web3.eth.chain_id),
        deployer=to_checksum_address(account.address),
        block_number=int(web3.eth.block_number),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        toolkit_version=offchain.__version__,
        contracts=entries,
    )
    target = path or deployment_path(network_id)
    record.save(target)
    logger.info("wrote deployment record %s", target)
    return record
