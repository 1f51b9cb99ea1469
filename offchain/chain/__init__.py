"""The single place where Python talks to the contracts.

* :class:`Session`: the active network's deployment with typed clients (``session.registry``, ``session.anchor``,
  ``session.consortium``, ``session.market``, ``session.arbiter``, ``session.training_board``).
* :class:`DeploymentRecord`: the JSON record ``scripts/deploy.py`` writes.
* :class:`DataRegistryClient`: register and read files, checked against on-chain digests;
  versions and access grants.
* :class:`MerkleAnchorClient`: anchor data-block roots and check inclusion on chain.
* :class:`ConsortiumClient`: agencies' group keys, records of group-signed uploads, and 2/3
  votes on admissions, removals and trace requests; trace openings checked against the chain.
* :class:`DataMarketClient`: requirements committed to field predicates, matches proven by
  Groth16 proofs, escrow released on confirmation, review timeout or an arbiter's ruling.
* :class:`ConsortiumArbiterClient`: the consortium's agencies settle market disputes by a 2/3 vote.
* :class:`ArbiterPolicy`: the arbiters a market party trusts (the deployment's ``ConsortiumArbiter``
  by default, plus allow-listed contracts), checked before anything is proved or shared.
* :class:`ConfidentialLedgerClient`: Paillier-encrypted balances under the consortium's threshold
  key, updated homomorphically on chain; transfers among decoys, withdrawals by t trustees;
  :func:`deploy_ledger` deploys one for a dealt key.
* :class:`TrainingBoardClient`: vertical training sessions: each round's intermediate and
  decrypted values (read back in participant order, checked against the chain), partial model
  hashes, accusations and stalled aborts, and waits with timeouts for the other participants.
* :class:`DeviceRegistryClient`: device classes with versioned golden PCR digests, devices'
  attestation keys, their revocations (attested uploads, Peng et al.).
* :class:`FeatureIndexClient`: hospitals' batches of encrypted-feature records (root anchored
  through ``MerkleAnchor``), versions and deletions, retrieval users, queries and answers on
  record (image retrieval, Shen, Zhu, Xu ch. 6).
* :func:`get_events`: range-chunked event queries.
* :func:`require_address`, :func:`require_signer`: the one converter every account or contract
  parameter goes through (hex strings, Brownie accounts and contracts, ``eth_account`` keys).
* :func:`connect`, :func:`default_account`, :func:`transact`, :func:`call`: Brownie plumbing
  that turns reverts into :class:`~offchain.errors.TransactionRevertedError`.
"""

from offchain.chain.addresses import AddressLike, HasAddress, require_address, require_signer
from offchain.chain.anchor import MAX_LEAF_COUNT, AnchoredBatch, MerkleAnchorClient
from offchain.chain.arbiter import ArbiterVote, ConsortiumArbiterClient, DisputeRuling, DisputeTally
from offchain.chain.arbiter_policy import ArbiterPolicy
from offchain.chain.consortium import (
    Ballot,
    BallotKind,
    BallotStatus,
    ConsortiumClient,
    ConsortiumRecord,
    TraceOpening,
    quorum_of,
)
from offchain.chain.contracts import (
    DEFAULT_NETWORK,
    ENV_PRIVATE_KEY,
    call,
    connect,
    contract_at,
    default_account,
    is_local_network,
    load_project,
    settle,
    transact,
)
from offchain.chain.deploy import DEPLOY_ORDER, deploy_all
from offchain.chain.deployment import ContractDeployment, DeploymentRecord, deployment_path
from offchain.chain.device_registry import (
    AdmittedDevice,
    DeviceClass,
    DeviceRegistryClient,
    GoldenMeasurement,
    UnknownDeviceClassError,
    UnknownDeviceError,
    device_id_of,
)
from offchain.chain.events import EventLog, get_events
from offchain.chain.feature_index import (
    FeatureIndexClient,
    FeatureRecord,
    PublishedBatch,
    QueryState,
    UnknownQueryError,
    feature_record_digest,
)
from offchain.chain.ledger import (
    BalanceUpdate,
    ConfidentialLedgerClient,
    LedgerTransfer,
    UnknownWithdrawalError,
    WithdrawalRequest,
    WithdrawalState,
    WithdrawalVote,
    deploy_ledger,
)
from offchain.chain.market import DataMarketClient, MarketMatch, MarketPayment, MarketRequirement, MatchState
from offchain.chain.registry import DataRegistryClient, FileRegistration, file_id_of, record_digest_of
from offchain.chain.session import Session
from offchain.chain.training_board import (
    BoardTimeoutError,
    PostedModel,
    PostedValue,
    SessionAbortedError,
    SessionStatus,
    TrainingBoardClient,
    TrainingSession,
    UnknownSessionError,
)

__all__ = [
    "DEFAULT_NETWORK",
    "DEPLOY_ORDER",
    "ENV_PRIVATE_KEY",
    "MAX_LEAF_COUNT",
    "AddressLike",
    "AdmittedDevice",
    "AnchoredBatch",
    "ArbiterPolicy",
    "ArbiterVote",
    "BalanceUpdate",
    "Ballot",
    "BallotKind",
    "BallotStatus",
    "BoardTimeoutError",
    "ConfidentialLedgerClient",
    "ConsortiumArbiterClient",
    "ConsortiumClient",
    "ConsortiumRecord",
    "ContractDeployment",
    "DataMarketClient",
    "DataRegistryClient",
    "DeploymentRecord",
    "DeviceClass",
    "DeviceRegistryClient",
    "DisputeRuling",
    "DisputeTally",
    "EventLog",
    "FeatureIndexClient",
    "FeatureRecord",
    "FileRegistration",
    "GoldenMeasurement",
    "HasAddress",
    "LedgerTransfer",
    "MarketMatch",
    "MarketPayment",
    "MarketRequirement",
    "MatchState",
    "MerkleAnchorClient",
    "PostedModel",
    "PostedValue",
    "PublishedBatch",
    "QueryState",
    "Session",
    "SessionAbortedError",
    "SessionStatus",
    "TraceOpening",
    "TrainingBoardClient",
    "TrainingSession",
    "UnknownDeviceClassError",
    "UnknownDeviceError",
    "UnknownQueryError",
    "UnknownSessionError",
    "UnknownWithdrawalError",
    "WithdrawalRequest",
    "WithdrawalState",
    "WithdrawalVote",
    "call",
    "connect",
    "contract_at",
    "default_account",
    "deploy_all",
    "deploy_ledger",
    "deployment_path",
    "device_id_of",
    "feature_record_digest",
    "file_id_of",
    "get_events",
    "is_local_network",
    "load_project",
    "quorum_of",
    "record_digest_of",
    "require_address",
    "require_signer",
    "settle",
    "transact",
]
