"""Deployment records: which contracts are deployed where, on which chain, from which block.

``scripts/deploy.py`` writes one JSON file per Brownie network, ``deployments/<network>.json``;
every Python reader loads it through :class:`DeploymentRecord`. The file is written
atomically (a temporary file in the same folder, then a rename), so a crash never leaves a
half-written record behind.

Example record::

    {
      "schema": 1,
      "network": "ganache-cli",
      "chain_id": 1337,
      "deployer": "0x66aB…",
      "block_number": 2,
      "created_at": "2026-11-26T18:00:00+00:00",
      "toolkit_version": "0.1.0",
      "contracts": {
        "DataRegistry": {"address": "0x3194…", "tx_hash": "0xab…", "block_number": 1}
      }
    }
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import is_checksum_address, to_checksum_address

from offchain.atomic_io import atomic_write_text
from offchain.errors import DeploymentRecordError
from offchain.toolchain import PROJECT_ROOT
from offchain.validation import parse_json

__all__ = [
    "SCHEMA_VERSION",
    "ContractDeployment",
    "DeploymentRecord",
    "deployment_path",
]

#: Version of the record's JSON layout; bumped on incompatible changes.
SCHEMA_VERSION = 1


def deployment_path(network: str, root: Path = PROJECT_ROOT) -> Path:
    """Where the record of a network's deployment lives: ``<root>/deployments/<network>.json``.

    Raises:
        DeploymentRecordError: if ``network`` is not a plain name (no path separators).
    """
    if not network or "/" in network or "\\" in network or network.startswith("."):
        raise DeploymentRecordError(f"network name must be a plain file name, got {network!r}")
    return root / "deployments" / f"{network}.json"


@dataclass(frozen=True)
class ContractDeployment:
    """One deployed contract.

    Attributes:
        address: Checksummed address.
        tx_hash: Hash of the deploying transaction, 0x-prefixed.
        block_number: Block that included the deployment.
    """

    address: str
    tx_hash: str
    block_number: int

    def __post_init__(self) -> None:
        if not is_checksum_address(self.address):
            raise DeploymentRecordError(f"contract address must be checksummed, got {self.address!r}")


@dataclass(frozen=True)
class DeploymentRecord:
    """Where the toolkit's contracts are deployed on one network.

    Attributes:
        network: Brownie network id (``ganache-cli``, ``anvil``, ``consortium``…).
        chain_id: The chain id the node reported at deployment.
        deployer: Checksummed address of the deploying account.
        block_number: Latest block once every contract was deployed.
        created_at: ISO 8601 time of the deployment.
        toolkit_version: ``offchain.__version__`` at deployment.
        contracts: Contract name to deployment.
    """

    network: str
    chain_id: int
    deployer: str
    block_number: int
    created_at: str
    toolkit_version: str
    contracts: Mapping[str, ContractDeployment] = field(default_factory=dict)

    @property
    def first_block(self) -> int:
        """The earliest block holding one of the contracts: where event scans start."""
        return min((c.block_number for c in self.contracts.values()), default=self.block_number)

    def address_of(self, name: str) -> str:
        """The recorded address of contract ``name``.

        Raises:
            DeploymentRecordError: if the record has no such contract.
        """
        try:
            return self.contracts[name].address
        except KeyError:
            known = ", ".join(sorted(self.contracts)) or "none"
            raise DeploymentRecordError(
                f"deployment record for {self.network} has no contract {name} (it has: {known})"
            ) from None

    def to_json(self) -> str:
        """The record as indented JSON text."""
        data: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "network": self.network,
            "chain_id": self.chain_id,
            "deployer": self.deployer,
            "block_number": self.block_number,
            "created_at": self.created_at,
            "toolkit_version": self.toolkit_version,
            "contracts": {
                name: {"address": c.address, "tx_hash": c.tx_hash, "block_number": c.block_number}
                for name, c in sorted(self.contracts.items())
            },
        }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "<string>") -> DeploymentRecord:
        """Parse a record.

        Raises:
            DeploymentRecordError: if the text is not a record of a known schema.
        """
        try:
            data = parse_json(text)
            schema = data.get("schema")
            if schema != SCHEMA_VERSION:
                raise DeploymentRecordError(
                    f"{source}: deployment record schema {schema!r} is not supported (expected {SCHEMA_VERSION})"
                )
            contracts = {
                str(name): ContractDeployment(
                    address=to_checksum_address(c["address"]),
                    tx_hash=str(c["tx_hash"]),
                    block_number=int(c["block_number"]),
                )
                for name, c in data["contracts"].items()
            }
            return cls(
                network=str(data["network"]),
                chain_id=int(data["chain_id"]),
                deployer=to_checksum_address(data["deployer"]),
                block_number=int(data["block_number"]),
                created_at=str(data["created_at"]),
                toolkit_version=str(data["toolkit_version"]),
                contracts=contracts,
            )
        except DeploymentRecordError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
            # OverflowError: an infinite number (JSON's Infinity) where an integer belongs.
            raise DeploymentRecordError(f"{source}: not a valid deployment record ({exc!r})") from exc

    def save(self, path: Path) -> None:
        """Write the record to ``path`` atomically."""
        atomic_write_text(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> DeploymentRecord:
        """Read a record from ``path``.

        Raises:
            DeploymentRecordError: if ``path`` is not a path, or the file is missing, unreadable,
                not UTF-8 or not a valid record.
        """
        if not isinstance(path, str | os.PathLike) or isinstance(path, bytes):
            raise DeploymentRecordError(f"a deployment record's path must be a path, got {type(path).__name__}")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DeploymentRecordError(
                f"no deployment record at {path}: run `brownie run scripts/deploy.py --network <network>` first"
            ) from None
        except OSError as exc:
            raise DeploymentRecordError(f"cannot read the deployment record at {path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise DeploymentRecordError(f"{path}: a deployment record is UTF-8 JSON ({exc.reason})") from None
        return cls.from_json(text, source=str(path))
