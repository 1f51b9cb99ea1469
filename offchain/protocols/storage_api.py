"""What the roles need from a storage server and from a re-encryption proxy: one interface for
the in-process :class:`~offchain.protocols.cloud_server.CloudServer` and the HTTP
:class:`~offchain.services.client.StorageClient` (issue 17).

Research: the cloud server of Zheng et al. 2018 §4.3 (store ``f*`` under ``K_f**``, hand it to
whoever presents ``K_f*``, answer audits), the anonymous uploads of Huang et al. 2020 §3.4 and
the proxies of Feng et al. 2022 §6.8–6.9 (hold kfrags, re-encrypt while the grant is active).

The owner (:class:`~offchain.protocols.data_owner.DataOwner`), the receiver
(:class:`~offchain.protocols.buyer.Buyer`), the auditor and the group member are typed against
these protocols, and mypy (part of the lint run in CI) checks at the end of this module that both
implementations offer every call with the same signature. The protocols are ``runtime_checkable``
for callers that want an ``isinstance`` check of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from offchain.chain.addresses import AddressLike
    from offchain.crypto import group_signature as gs
    from offchain.crypto import pre
    from offchain.protocols.cloud_server import AuditResponse

__all__ = ["DEFAULT_MAX_FILE_BYTES", "AnonymousFileStore", "FileStore", "ReencryptionProxy"]

#: The largest ciphertext a storage service takes and a client reads, unless configured otherwise.
DEFAULT_MAX_FILE_BYTES = 256 << 20


@runtime_checkable
class FileStore(Protocol):
    """A storage server as its users see it: store, fetch, the sealed key capsule, audits."""

    @property
    def name(self) -> str:
        """The server's name (in locators and signed requests)."""
        ...

    def locator_for(self, index_hash: bytes) -> str:
        """The locator the server gives the file whose ``K_f**`` is ``index_hash``."""
        ...

    def store_file(
        self, *, file_id: bytes, ciphertext: bytes, sealed_key: pre.SealedKey, owner_signature: bytes
    ) -> str:
        """Store a registered file version for its registered owner; its locator."""
        ...

    def fetch(self, file_id: bytes, download_token: bytes, *, max_bytes: int | None = None) -> bytes:
        """``f*`` for whoever presents ``K_f*`` (the caller checks it against the chain).

        ``max_bytes``: the most the caller takes (the size its registration allows); a server
        reached over the network that sends more is refused before the rest is read.
        """
        ...

    def sealed_key(self, file_id: bytes) -> pre.SealedKey:
        """The owner's sealed key capsule (the caller checks it against the registered hash)."""
        ...

    def answer_challenge(self, file_id: bytes, indices: tuple[int, ...]) -> list[AuditResponse]:
        """The challenged blocks with their Merkle paths."""
        ...


@runtime_checkable
class AnonymousFileStore(FileStore, Protocol):
    """A storage server that also takes group members' anonymous uploads (Huang et al. §3.4)."""

    def store_anonymous(
        self,
        *,
        file_id: bytes,
        ciphertext: bytes,
        block_size: int,
        sealed_key: pre.SealedKey,
        group: gs.GroupPublicKey,
        signature: gs.GroupSignature,
    ) -> str:
        """Store an upload signed by a group member, no account named; its locator."""
        ...


@runtime_checkable
class ReencryptionProxy(Protocol):
    """A re-encryption proxy: holds kfrags, re-encrypts while the grant on chain is active."""

    @property
    def name(self) -> str:
        """The proxy's name."""
        ...

    def accept_kfrag(
        self,
        *,
        file_id: bytes,
        grantee: AddressLike,
        kfrag: bytes,
        receiving_pk: pre.PublicKey,
        verifying_pk: pre.PublicKey,
        threshold: int,
        shares: int,
        owner_signature: bytes,
    ) -> None:
        """Take the owner's kfrag for ``grantee`` (checked against the grant on chain)."""
        ...

    def reencrypt(self, file_id: bytes, grantee: AddressLike, sealed: pre.SealedKey) -> bytes:
        """A cfrag of the capsule for ``grantee`` while its grant is active."""
        ...


if TYPE_CHECKING:  # mypy checks here that both implementations offer every call of the protocols
    from offchain.protocols.cloud_server import CloudServer
    from offchain.services.client import StorageClient

    _IN_PROCESS: tuple[type[AnonymousFileStore], type[ReencryptionProxy]] = (CloudServer, CloudServer)
    _OVER_HTTP: tuple[type[AnonymousFileStore], type[ReencryptionProxy]] = (StorageClient, StorageClient)
