"""offchain: the Python side of the privacy-preserving, verifiable data-sharing toolkit.

Layers (calls go down only, see ``shared/ARCHITECTURE.md``):

* :mod:`offchain.chain`: the one place where Python talks to the contracts (deployment
  records, typed contract clients, event readers, revert decoding).
* :mod:`offchain.crypto`: cryptographic building blocks (hashing and commitments,
  envelope encryption).
* :mod:`offchain.storage`: content-addressed blob stores.
* :mod:`offchain.toolchain`: where the project's pinned tools live (solc-js, local chains).

Library code logs through :mod:`logging` under the ``offchain`` logger and never prints.
"""

from __future__ import annotations

import logging

from offchain.errors import (
    AccessDeniedError,
    ChainError,
    ContractNotDeployedError,
    DeploymentRecordError,
    IntegrityError,
    InvalidInputError,
    MissingAccountKeyError,
    OffchainError,
    StorageError,
    TransactionRevertedError,
    UnknownBatchError,
    UnknownFileError,
    VerificationError,
)

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "AccessDeniedError",
    "ChainError",
    "ContractNotDeployedError",
    "DeploymentRecordError",
    "IntegrityError",
    "InvalidInputError",
    "MissingAccountKeyError",
    "OffchainError",
    "StorageError",
    "TransactionRevertedError",
    "UnknownBatchError",
    "UnknownFileError",
    "VerificationError",
    "__version__",
]
