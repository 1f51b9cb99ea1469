"""Preamble of README's Consortium block: a fresh deployment as ``session`` (its record in a
temporary folder), the four founding agencies as ``hospital``, ``bank``, ``university`` and
``clinic`` (the last four test accounts), the hospital's group key published (a record needs
one), and the record's data: ``fid``, ``root``, ``signature``, ``court_order``, the signer
``user`` and the ``opening`` bytes ``data``."""

import secrets
import tempfile
from pathlib import Path

from brownie import accounts
from eth_utils import keccak

from offchain.chain import BallotStatus, Session, deploy_all

__all__ = ["BallotStatus", "keccak"]

_record = Path(tempfile.mkdtemp(prefix="readme-consortium-")) / "deployment.json"
deploy_all(accounts[0], path=_record)
session = Session.load(_record)
hospital, bank, university, clinic = accounts[6:10]
fid, root = keccak(secrets.token_bytes(32)), keccak(b"readme: merkle root")
signature, court_order = b"readme: group signature", b"readme: court order"
user, data = accounts[2], b"readme: opening (certificate, proof, receipt)"
session.consortium.set_group_key(
    sender=hospital, key_hash=keccak(b"readme: hospital's group key"), seed=keccak(b"readme: the key's seed")
)
