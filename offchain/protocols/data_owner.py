"""The data owner: encrypts, registers, and delegates access to its files.

Research: Zheng et al. 2018 §4.3 (upload: K_f = H(f), f* = Enc(f), K_f* = H(f*), the server
keeps K_f** = H(K_f*), the record goes on chain); Peng et al. (digital envelope); Feng et al.
2022 §6.8 (re-encryption keys for a buyer, m-of-n proxies, the grant recorded on chain).

Deviation, on purpose: the on-chain commitment is a *salted* hash of f, not the bare H(f) of
Zheng et al.: a bare hash of a low-entropy record (a patient row) can be confirmed by guessing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from offchain.chain.registry import AccessGrant, DataRegistryClient, FileRegistration, file_id_of, policy_hash
from offchain.crypto import envelope, pre
from offchain.crypto.hashing import content_commitment, new_salt, sha256
from offchain.crypto.merkle import DEFAULT_BLOCK_SIZE, MerkleTree
from offchain.errors import InvalidInputError
from offchain.protocols.cloud_server import CloudServer
from offchain.protocols.keys import FileKeys
from offchain.protocols.metadata import FileMetadata
from offchain.protocols.retrieval import retrieve_checked

__all__ = ["DataOwner", "Recipient", "UploadReceipt"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadReceipt:
    """What the owner must keep after an upload (the keys are secret: store them safely).

    Attributes:
        registration: The on-chain record.
        keys: Data key, commitment salt and download token.
        metadata: The public metadata registered with it.
        server: Name of the server holding the ciphertext.
    """

    registration: FileRegistration
    keys: FileKeys
    metadata: FileMetadata
    server: str

    @property
    def file_id(self) -> bytes:
        """The file's on-chain id."""
        return self.registration.file_id


@dataclass(frozen=True)
class Recipient:
    """Who a file is shared with: an account and its Umbral public key."""

    address: str
    receiving_pk: pre.PublicKey


class DataOwner:
    """A data owner with an account, an Umbral key pair and a signing key.

    Args:
        account: Brownie account that registers and grants.
        registry: Client of the on-chain registry.
        keys: Umbral key pair the file keys are sealed to (``delegating_sk``).
        signer: Key pair that signs kfrags (its public key is the ``verifying_pk``).
    """

    def __init__(
        self,
        account: Any,
        registry: DataRegistryClient,
        keys: pre.KeyPair | None = None,
        signer: pre.KeyPair | None = None,
    ) -> None:
        self.account = account
        self.registry = registry
        self.keys = keys or pre.KeyPair.generate()
        self.signer = signer or pre.KeyPair.generate()

    @property
    def address(self) -> str:
        """The owner's account address."""
        return str(self.account.address)

    def upload(
        self,
        content: bytes,
        server: CloudServer,
        *,
        block_size: int = DEFAULT_BLOCK_SIZE,
        name: str = "",
        previous: bytes | None = None,
    ) -> UploadReceipt:
        """Encrypt ``content``, store it on ``server`` and register it on chain.

        Args:
            content: The plaintext file.
            server: Where to store the ciphertext.
            block_size: Merkle block size of the ciphertext (for audits).
            name: Public label put in the metadata.
            previous: File id this upload is a new version of, if any.

        Returns:
            The receipt; its ``keys`` are needed to read or share the file.
        """
        salt = new_salt()
        commitment = content_commitment(content, salt)
        file_id = file_id_of(self.address, commitment)
        data_key = envelope.new_data_key()
        ciphertext = envelope.encrypt(content, data_key, file_id=file_id)
        token = sha256(ciphertext)  # K_f*
        index_hash = sha256(token)  # K_f**
        tree = MerkleTree.from_bytes(ciphertext, block_size)
        keys = FileKeys(data_key=data_key, salt=salt, download_token=token)
        sealed = pre.seal(self.keys.public_key, keys.to_bytes())
        locator = server.store_file(
            file_id=file_id, ciphertext=ciphertext, index_hash=index_hash, block_size=block_size, sealed_key=sealed
        )
        metadata = FileMetadata(
            block_size=block_size, block_count=tree.size, ciphertext_bytes=len(ciphertext), name=name
        )
        fields: dict[str, Any] = dict(
            sender=self.account,
            content_commitment=commitment,
            ciphertext_hash=index_hash,
            merkle_root=tree.root,
            locator=locator,
            metadata=metadata.to_bytes(),
        )
        if previous is None:
            registration = self.registry.register_file(**fields)
        else:
            registration = self.registry.register_version(previous_file_id=previous, **fields)
        logger.info("uploaded file 0x%s (%d bytes, %d blocks)", file_id.hex(), len(content), tree.size)
        return UploadReceipt(registration=registration, keys=keys, metadata=metadata, server=server.name)

    def open_keys(self, server: CloudServer, file_id: bytes) -> FileKeys:
        """Recover a file's keys from its sealed capsule (the owner needs no receipt for that)."""
        return FileKeys.from_bytes(pre.open_sealed(self.keys.secret_key, server.sealed_key(file_id)))

    def download(self, server: CloudServer, file_id: bytes) -> bytes:
        """Download, check against the chain and decrypt one of the owner's files."""
        plaintext, _ = retrieve_checked(self.registry, server, file_id, self.open_keys(server, file_id))
        return plaintext

    def grant(
        self,
        file_id: bytes,
        recipient: Recipient,
        proxies: Sequence[CloudServer],
        *,
        threshold: int,
        expires_at: int = 0,
    ) -> AccessGrant:
        """Share a file: record the grant on chain, then give each proxy one kfrag.

        Args:
            file_id: The file.
            recipient: The buyer's address and Umbral public key.
            proxies: The n proxies; any ``threshold`` of them can serve the recipient.
            threshold: m of the m-of-n proxies.
            expires_at: Timestamp from which the grant lapses; 0 for none.

        Raises:
            InvalidInputError: if ``threshold`` does not fit the number of proxies.
        """
        shares = len(proxies)
        if not 1 <= threshold <= shares:
            raise InvalidInputError(f"threshold must be 1..{shares} (the number of proxies), got {threshold}")
        policy = policy_hash(
            receiving_pk=pre.public_key_to_bytes(recipient.receiving_pk),
            verifying_pk=pre.public_key_to_bytes(self.signer.public_key),
            threshold=threshold,
            shares=shares,
        )
        grant = self.registry.grant_access(
            sender=self.account, file_id=file_id, grantee=recipient.address, policy=policy, expires_at=expires_at
        )
        kfrags = pre.generate_kfrags(
            delegating_sk=self.keys.secret_key,
            receiving_pk=recipient.receiving_pk,
            signer_sk=self.signer.secret_key,
            threshold=threshold,
            shares=shares,
        )
        for proxy, kfrag in zip(proxies, kfrags, strict=True):
            proxy.accept_kfrag(
                file_id=file_id,
                grantee=recipient.address,
                kfrag=kfrag,
                delegating_pk=self.keys.public_key,
                receiving_pk=recipient.receiving_pk,
                verifying_pk=self.signer.public_key,
                threshold=threshold,
                shares=shares,
            )
        logger.info("granted file 0x%s to %s through %d-of-%d proxies", file_id.hex(), recipient.address, threshold, shares)
        return grant

    def revoke(self, file_id: bytes, grantee: str) -> AccessGrant:
        """Revoke a grant on chain; honest proxies then refuse to re-encrypt for it."""
        return self.registry.revoke_access(sender=self.account, file_id=file_id, grantee=grantee)
