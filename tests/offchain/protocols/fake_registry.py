"""An in-memory stand-in for :class:`~offchain.chain.registry.DataRegistryClient`, so that the
roles' handlers can be fuzzed without a chain (hundreds of examples, no transactions).

It checks its arguments with the real client's validators (``require_bytes32``,
``require_address``, the record field checks) and answers with the real record types, so a
handler sees what it would see from the chain.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.contracts import require_bytes32
from offchain.chain.registry import ZERO_ROOT, AccessGrant, FileRegistration, _record_fields, file_id_of
from offchain.errors import UnknownFileError


class FakeRegistry:
    """Files and grants kept in dicts; every grant is active until revoked."""

    def __init__(self) -> None:
        self.files: dict[bytes, FileRegistration] = {}
        self.grants: dict[tuple[bytes, str], AccessGrant] = {}
        self.clock = 1_000

    def register_file(
        self,
        *,
        sender: Any,
        content_commitment: bytes,
        ciphertext_hash: bytes,
        locator: str,
        merkle_root: bytes = ZERO_ROOT,
        metadata: bytes = b"",
    ) -> FileRegistration:
        commitment, ct_hash, root, locator, metadata = _record_fields(
            content_commitment, ciphertext_hash, merkle_root, locator, metadata
        )
        owner = require_address(sender, "sender")
        self.clock += 1
        record = FileRegistration(
            file_id=file_id_of(owner, commitment),
            owner=owner,
            content_commitment=commitment,
            ciphertext_hash=ct_hash,
            merkle_root=root,
            locator=locator,
            metadata=metadata,
            registered_at=self.clock,
            block_number=self.clock,
            tx_hash="0x" + "00" * 32,
        )
        self.files[record.file_id] = record
        return record

    def get_file(self, file_id: bytes) -> FileRegistration:
        fid = require_bytes32(file_id, "file_id", nonzero=False)
        if fid not in self.files:
            raise UnknownFileError(fid)
        return self.files[fid]

    def grant_access(
        self, *, sender: Any, file_id: bytes, grantee: AddressLike, policy: bytes, expires_at: int = 0
    ) -> AccessGrant:
        fid = require_bytes32(file_id, "file_id", nonzero=True)
        address = require_address(grantee, "grantee", nonzero=True)
        self.clock += 1
        policy32 = require_bytes32(policy, "policy", nonzero=False)
        grant = AccessGrant(fid, address, self.clock, expires_at, 0, policy32, True)
        self.grants[(fid, address)] = grant
        return grant

    def revoke_access(self, *, sender: Any, file_id: bytes, grantee: AddressLike) -> AccessGrant:
        grant = self.get_grant(file_id, grantee)
        self.clock += 1
        revoked = replace(grant, revoked_at=self.clock, active=False)
        self.grants[(grant.file_id, grant.grantee)] = revoked
        return revoked

    def get_grant(self, file_id: bytes, grantee: AddressLike) -> AccessGrant:
        fid = require_bytes32(file_id, "file_id", nonzero=False)
        address = require_address(grantee, "grantee")
        return self.grants.get((fid, address), AccessGrant(fid, address, 0, 0, 0, bytes(32), False))
