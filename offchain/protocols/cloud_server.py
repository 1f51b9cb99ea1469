"""The semi-trusted cloud server: stores ciphertexts, re-encrypts key capsules, answers audits.

Research: Zheng et al. 2018 §4.3 (the server stores ``f*`` and keeps only ``K_f** = H(K_f*)``,
serving ``f*`` to whoever shows the preimage ``K_f*``); Feng et al. 2022 §6.8–6.9 (the proxy
re-encrypts the owner's key capsule for a buyer, learning nothing); Huang et al. 2020 §3.3
(the server proves it still holds sampled blocks with Merkle paths).

Trust: the server is honest-but-curious for confidentiality (it sees only ciphertexts, sealed
keys and kfrags, and fewer than ``threshold`` kfrags reveal nothing) and untrusted for
integrity and availability: receivers and auditors check everything it returns against the
chain. As a proxy it re-encrypts only while the grant on chain is active and its policy
matches the kfrag it holds.

This class keeps its index in memory; blobs go to any :class:`~offchain.storage.BlobStore`.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

from offchain.chain.registry import DataRegistryClient, policy_hash
from offchain.crypto import pre
from offchain.crypto.hashing import sha256
from offchain.crypto.merkle import InclusionProof, MerkleTree
from offchain.errors import AccessDeniedError, IntegrityError, InvalidInputError, StorageError
from offchain.storage.base import BlobStore

__all__ = ["AuditResponse", "CloudServer"]

logger = logging.getLogger(__name__)

#: Scheme of the locators this server registers: ``cloud://<server name>/<K_f** hex>``.
LOCATOR_SCHEME = "cloud://"


@dataclass(frozen=True)
class AuditResponse:
    """The server's answer for one challenged block: the block and its Merkle path."""

    index: int
    block: bytes
    proof: InclusionProof


@dataclass
class _StoredFile:
    index_hash: bytes  # K_f**
    blob_locator: str
    block_size: int
    sealed_key: pre.SealedKey
    tree: MerkleTree


@dataclass(frozen=True)
class _HeldKFrag:
    kfrag: pre.VerifiedKFrag
    policy: bytes


class CloudServer:
    """A storage server and re-encryption proxy.

    Args:
        name: The server's name, part of the locators it hands out.
        store: Where ciphertexts are kept.
        registry: Client of the on-chain registry (grants are checked there).
    """

    def __init__(self, name: str, store: BlobStore, registry: DataRegistryClient) -> None:
        if not name or "/" in name:
            raise InvalidInputError(f"server name must be non-empty without '/', got {name!r}")
        self.name = name
        self.store = store
        self.registry = registry
        self._files: dict[bytes, _StoredFile] = {}
        self._kfrags: dict[tuple[bytes, str], _HeldKFrag] = {}

    # ---- upload / download (Zheng et al. §4.3) -------------------------------------------

    def locator_for(self, index_hash: bytes) -> str:
        """The locator this server gives the file whose ``K_f**`` is ``index_hash``."""
        return f"{LOCATOR_SCHEME}{self.name}/{index_hash.hex()}"

    def store_file(
        self, *, file_id: bytes, ciphertext: bytes, index_hash: bytes, block_size: int, sealed_key: pre.SealedKey
    ) -> str:
        """Accept an upload: check ``H(H(f*)) = K_f**``, store ``f*``, keep ``K_f**`` and the sealed key.

        The server also builds the ciphertext's Merkle tree now, to answer audits without
        reading the whole file again.

        Returns:
            The locator to register on chain.

        Raises:
            IntegrityError: if ``index_hash`` is not ``H(H(ciphertext))``.
        """
        if sha256(sha256(ciphertext)) != index_hash:
            raise IntegrityError("upload refused: K_f** is not H(H(f*)) of the ciphertext sent")
        blob_locator = self.store.put(ciphertext)
        tree = MerkleTree.from_bytes(ciphertext, block_size)
        self._files[file_id] = _StoredFile(index_hash, blob_locator, block_size, sealed_key, tree)
        logger.info("%s stored file 0x%s (%d bytes)", self.name, file_id.hex(), len(ciphertext))
        return self.locator_for(index_hash)

    def fetch(self, file_id: bytes, download_token: bytes) -> bytes:
        """Serve ``f*`` to whoever shows ``K_f*`` with ``H(K_f*) = K_f**``.

        Raises:
            AccessDeniedError: if the token is wrong.
            StorageError: if the server does not hold the file.
        """
        stored = self._stored(file_id)
        if not hmac.compare_digest(sha256(download_token), stored.index_hash):
            raise AccessDeniedError(f"{self.name}: wrong download token for file 0x{file_id.hex()}")
        return self.store.get(stored.blob_locator)

    def sealed_key(self, file_id: bytes) -> pre.SealedKey:
        """The owner's sealed key capsule of ``file_id`` (safe to hand out: it is encrypted)."""
        return self._stored(file_id).sealed_key

    # ---- proxy re-encryption (Feng et al. §6.8–6.9) ------------------------------------------

    def accept_kfrag(
        self,
        *,
        file_id: bytes,
        grantee: str,
        kfrag: bytes,
        delegating_pk: pre.PublicKey,
        receiving_pk: pre.PublicKey,
        verifying_pk: pre.PublicKey,
        threshold: int,
        shares: int,
    ) -> None:
        """Verify and keep a kfrag the owner made for ``grantee``.

        Raises:
            VerificationError: if the kfrag does not verify for these keys.
        """
        verified = pre.verify_kfrag(
            kfrag, delegating_pk=delegating_pk, receiving_pk=receiving_pk, verifying_pk=verifying_pk
        )
        policy = policy_hash(
            receiving_pk=pre.public_key_to_bytes(receiving_pk),
            verifying_pk=pre.public_key_to_bytes(verifying_pk),
            threshold=threshold,
            shares=shares,
        )
        self._kfrags[(file_id, grantee.lower())] = _HeldKFrag(verified, policy)

    def reencrypt(self, file_id: bytes, grantee: str, sealed: pre.SealedKey) -> bytes:
        """Re-encrypt the file's key capsule ``sealed`` for ``grantee``, if its grant on chain is active.

        The requester brings the capsule (it is public; the storage server hands it out). The
        kfrag held is made from the file's own delegating key, so it can re-encrypt nothing
        but that file's capsule.

        Raises:
            AccessDeniedError: if no kfrag is held, the grant is not active (revoked, expired,
                never made), or its on-chain policy is not the kfrag's.
        """
        held = self._kfrags.get((file_id, grantee.lower()))
        if held is None:
            raise AccessDeniedError(f"{self.name}: holds no kfrag of file 0x{file_id.hex()} for {grantee}")
        grant = self.registry.get_grant(file_id, grantee)
        if not grant.active:
            raise AccessDeniedError(f"{self.name}: the grant of file 0x{file_id.hex()} to {grantee} is not active")
        if grant.policy_hash != held.policy:
            raise AccessDeniedError(f"{self.name}: the on-chain policy of the grant to {grantee} is not the kfrag's")
        return pre.reencrypt(sealed, held.kfrag)

    # ---- auditing (Huang et al. §3.3) ------------------------------------------------------

    def answer_challenge(self, file_id: bytes, indices: tuple[int, ...]) -> list[AuditResponse]:
        """The challenged blocks of ``f*`` with their Merkle paths.

        Raises:
            StorageError: if the server does not hold the file.
            InvalidInputError: if an index is out of range.
        """
        stored = self._stored(file_id)
        size = stored.block_size
        return [
            AuditResponse(i, self.store.read_range(stored.blob_locator, i * size, size), stored.tree.proof(i))
            for i in indices
        ]

    def _stored(self, file_id: bytes) -> _StoredFile:
        try:
            return self._files[file_id]
        except KeyError:
            raise StorageError(f"{self.name} holds no file 0x{file_id.hex()}") from None
