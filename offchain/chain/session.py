"""A session: the deployment record of the active network with typed clients of its contracts.

>>> session = Session.load()          # deployments/<active network>.json
>>> session.registry.get_file(file_id)
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from offchain.chain.anchor import MerkleAnchorClient
from offchain.chain.arbiter import ConsortiumArbiterClient
from offchain.chain.consortium import ConsortiumClient
from offchain.chain.contracts import ContractClient, contract_at, default_account, is_local_network
from offchain.chain.deploy import deploy_all
from offchain.chain.deployment import DeploymentRecord, deployment_path
from offchain.chain.device_registry import DEVICE_REGISTRY_CONTRACT, DeviceRegistryClient
from offchain.chain.feature_index import FEATURE_INDEX_CONTRACT, FeatureIndexClient
from offchain.chain.ledger import LEDGER_CONTRACT, ConfidentialLedgerClient
from offchain.chain.market import DataMarketClient
from offchain.chain.registry import DataRegistryClient
from offchain.chain.shapley_payout import SHAPLEY_PAYOUT_CONTRACT, ShapleyPayoutClient
from offchain.chain.training_board import TRAINING_BOARD_CONTRACT, TrainingBoardClient
from offchain.errors import ContractNotDeployedError, DeploymentRecordError

__all__ = ["Session"]

logger = logging.getLogger(__name__)

ClientT = TypeVar("ClientT", bound=ContractClient)


class Session:
    """The toolkit's contracts as deployed on the active network.

    Args:
        record: The deployment record; its chain id must be the connected chain's.

    Raises:
        DeploymentRecordError: if the record is for another chain.
    """

    def __init__(self, record: DeploymentRecord) -> None:
        from brownie import web3

        chain_id = int(web3.eth.chain_id)
        if record.chain_id != chain_id:
            raise DeploymentRecordError(
                f"deployment record of {record.network} is for chain {record.chain_id}, "
                f"but the connected chain is {chain_id}"
            )
        self.record = record
        self._contracts: dict[str, Any] = {}

    @classmethod
    def load(cls, path: Path | None = None, *, deploy_if_missing: bool = False) -> Session:
        """The session of the active network, from its deployment record.

        Args:
            path: The record to read; ``deployments/<active network>.json`` by default.
            deploy_if_missing: On a local chain only, deploy everything afresh (and rewrite the
                record) when the record is missing or its contracts are not on this chain.

        Raises:
            DeploymentRecordError: if the record is missing or for another chain.
            ContractNotDeployedError: if a recorded contract has no code on this chain.
        """
        from brownie import network

        target = path or deployment_path(str(network.show_active()))
        try:
            session = cls(DeploymentRecord.load(target))
            for name in session.record.contracts:
                session.contract(name)
            return session
        except (DeploymentRecordError, ContractNotDeployedError) as exc:
            if not (deploy_if_missing and is_local_network()):
                raise
            logger.info("deploying afresh on the local chain: %s", exc)
            return cls(deploy_all(default_account(), path=target))

    def contract(self, name: str) -> Any:
        """Brownie handle of the deployed contract ``name``.

        Raises:
            DeploymentRecordError: if the record has no such contract.
            ContractNotDeployedError: if it has no code at its recorded address.
        """
        if name not in self._contracts:
            self._contracts[name] = contract_at(name, self.record.address_of(name))
        return self._contracts[name]

    def _client(self, client_type: type[ClientT], name: str) -> ClientT:
        """A ``client_type`` of the deployed contract ``name``, scanning events from its deployment block."""
        contract = self.contract(name)
        return client_type(contract, from_block=self.record.contracts[name].block_number)

    @cached_property
    def registry(self) -> DataRegistryClient:
        """Client of the deployed ``DataRegistry``."""
        return self._client(DataRegistryClient, "DataRegistry")

    @cached_property
    def anchor(self) -> MerkleAnchorClient:
        """Client of the deployed ``MerkleAnchor``."""
        return self._client(MerkleAnchorClient, "MerkleAnchor")

    @cached_property
    def consortium(self) -> ConsortiumClient:
        """Client of the deployed ``Consortium`` (agencies, records, trace votes)."""
        return self._client(ConsortiumClient, "Consortium")

    @cached_property
    def market(self) -> DataMarketClient:
        """Client of the deployed ``DataMarket`` (requirements, proof-checked matches, escrow)."""
        return self._client(DataMarketClient, "DataMarket")

    @cached_property
    def arbiter(self) -> ConsortiumArbiterClient:
        """Client of the deployed ``ConsortiumArbiter`` (the consortium's 2/3 vote on market disputes)."""
        return self._client(ConsortiumArbiterClient, "ConsortiumArbiter")

    @cached_property
    def ledger(self) -> ConfidentialLedgerClient:
        """Client of the deployed ``ConfidentialLedger`` (Paillier-encrypted balances).

        The ledger is deployed apart from the rest, once its threshold key is dealt
        (:func:`offchain.chain.ledger.deploy_ledger` adds it to the record).

        Raises:
            DeploymentRecordError: The record has no ledger yet.
        """
        return self._client(ConfidentialLedgerClient, LEDGER_CONTRACT)

    @cached_property
    def training_board(self) -> TrainingBoardClient:
        """Client of the deployed ``TrainingBoard`` (vertical training sessions: IVs, DVs, models)."""
        return self._client(TrainingBoardClient, TRAINING_BOARD_CONTRACT)

    @cached_property
    def device_registry(self) -> DeviceRegistryClient:
        """Client of the deployed ``DeviceRegistry`` (device classes, golden measurements, device keys)."""
        return self._client(DeviceRegistryClient, DEVICE_REGISTRY_CONTRACT)

    @cached_property
    def shapley_payout(self) -> ShapleyPayoutClient:
        """Client of the deployed ``ShapleyPayout`` (revenue rounds shared by Shapley values)."""
        return self._client(ShapleyPayoutClient, SHAPLEY_PAYOUT_CONTRACT)

    @cached_property
    def feature_index(self) -> FeatureIndexClient:
        """Client of the deployed ``FeatureIndex`` (image feature batches, retrieval users, queries)."""
        return self._client(FeatureIndexClient, FEATURE_INDEX_CONTRACT)

    def __repr__(self) -> str:
        names = ", ".join(f"{n}@{c.address}" for n, c in sorted(self.record.contracts.items()))
        return f"<Session {self.record.network} chain {self.record.chain_id}: {names}>"
