"""Preamble of README's MerkleAnchor block: a 1 MiB ``scan.dcm`` in a fresh working folder, a
deployed ``MerkleAnchor`` as ``contract`` and its deployer, who holds the anchorer role, as ``anchorer``.
The docs test restores the working folder afterwards."""

import os
import secrets
import tempfile

from brownie import accounts

from offchain.chain import load_project
from offchain.chain.anchor import MerkleAnchorClient
from offchain.crypto.merkle import MerkleTree, verify_inclusion

__all__ = ["MerkleAnchorClient", "MerkleTree", "verify_inclusion"]

os.chdir(tempfile.mkdtemp(prefix="readme-merkle-"))
with open("scan.dcm", "wb") as handle:
    handle.write(secrets.token_bytes(1 << 20))
anchorer = accounts[0]
contract = load_project().MerkleAnchor.deploy({"from": anchorer})
contract.grantRole(contract.ANCHORER_ROLE(), anchorer, {"from": anchorer})
