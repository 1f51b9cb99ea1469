"""Deploy the toolkit's contracts and write ``deployments/<network>.json``.

brownie run scripts/deploy.py --network ganache-cli   # local Ganache (see README)
brownie run scripts/deploy.py --network anvil
brownie run scripts/deploy.py --network consortium    # not run by the docs test: a live network
                                                      # (needs CONSORTIUM_RPC_URL, DATASHARE_PRIVATE_KEY
                                                      # and DATASHARE_CONSORTIUM_FOUNDERS)

The Consortium's voting period is DATASHARE_TRACE_VOTING_PERIOD_S seconds (default: three days).
"""

from __future__ import annotations

from brownie import network

from offchain.chain import default_account, deploy_all, deployment_path, settle

__all__ = ["deploy_all", "main"]


def main() -> None:
    """Deploy from the default account and print the record."""
    account = default_account()
    record = deploy_all(account)
    print(f"Deployed on {record.network} (chain {record.chain_id}) by {record.deployer}:")
    for name, entry in sorted(record.contracts.items()):
        print(f"  {name:<14} {entry.address}  block {entry.block_number}  tx {entry.tx_hash}")
    print(f"Deployment record: {deployment_path(str(network.show_active()))}")
    settle()
