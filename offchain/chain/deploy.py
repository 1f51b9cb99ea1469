"""Deploy every contract of the toolkit, wire them together and write the deployment record.

``scripts/deploy.py`` is a thin ``main()`` around :func:`deploy_all`; tests and the console's
``session`` helper call it directly.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from offchain.chain.contracts import load_project
from offchain.chain.deployment import ContractDeployment, DeploymentRecord, deployment_path

__all__ = ["DEPLOY_ORDER", "deploy_all"]

logger = logging.getLogger(__name__)

#: Contracts in the order they are deployed; a contract may take earlier ones' addresses.
DEPLOY_ORDER: tuple[str, ...] = ("DataRegistry", "MerkleAnchor")


def _constructor_args(name: str, deployed: dict[str, Any]) -> tuple[Any, ...]:
    """Constructor arguments of ``name``: the wiring between contracts lives here."""
    del name, deployed  # none takes arguments yet; later contracts take earlier addresses
    return ()


def _configure(name: str, contract: Any, account: Any) -> None:
    """Roles and settings a contract needs after deployment.

    ``MerkleAnchor``: the deployer (its admin) is also granted ``ANCHORER_ROLE``, so that the
    deployment can anchor at once; grant it to the cloud servers or agencies that anchor, and
    revoke it from the deployer, with ``MerkleAnchorClient.grant_anchorer`` and AccessControl.
    """
    if name == "MerkleAnchor":
        contract.grantRole(contract.ANCHORER_ROLE(), account, {"from": account})


def deploy_all(account: Any, *, path: Path | None = None) -> DeploymentRecord:
    """Deploy every contract from ``account`` and write the record of the active network.

    Args:
        account: A Brownie account that pays for and owns the deployments.
        path: Where to write the record; ``deployments/<network>.json`` by default.

    Returns:
        The record written.
    """
    from brownie import network, web3

    import offchain

    project = load_project()
    network_id = str(network.show_active())
    deployed: dict[str, Any] = {}
    entries: dict[str, ContractDeployment] = {}
    for name in DEPLOY_ORDER:
        contract = project[name].deploy(*_constructor_args(name, deployed), {"from": account})
        _configure(name, contract, account)
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
