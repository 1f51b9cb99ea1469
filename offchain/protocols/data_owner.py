"""The data owner: encrypts, registers, and delegates access to its files.

Research: Zheng et al. 2018 §4.3 (upload: K_f = H(f), f* = Enc(f), K_f* = H(f*), the server
keeps K_f** = H(K_f*), the record goes on chain); Peng et al. (digital envelope); Feng et al.
2022 §5-6.8 (the data market: validity proofs, re-encryption keys for a buyer, m-of-n proxies,
the grant recorded on chain).

Deviations, on purpose:

* the on-chain commitment is a *salted* hash of f, not the bare H(f) of Zheng et al.: a bare
  hash of a low-entropy record (a patient row) can be confirmed by guessing;
* each file has its own Umbral delegating key, derived from the owner's master secret with
  HKDF-SHA256 over the file id. Umbral's kfrags are shares of a value from which a receiver
  holding ``threshold`` of them (colluding proxies) recovers the delegating secret key: with one
  key per file, such collusion exposes that one file's key capsule, not every file of the owner.
  The file's delegating public key is public, in its on-chain metadata.
* in the data market the owner deals only on requirements posted by the buyer it expects (the
  market lets anyone post any commitment) and whose arbiter its :class:`ArbiterPolicy` trusts
  (the arbiter's ruling on a dispute is final): both are checked before a proof is made and
  again before any grant or kfrag leaves the owner.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from offchain.chain.addresses import AddressLike, require_address, require_signer
from offchain.chain.arbiter_policy import ArbiterPolicy, TrustsArbiters
from offchain.chain.market import DataMarketClient, MarketMatch, MarketRequirement
from offchain.chain.registry import AccessGrant, DataRegistryClient, FileRegistration, file_id_of, policy_hash
from offchain.chain.signing import sign_digest
from offchain.crypto import envelope, pre
from offchain.crypto.hashing import content_commitment, new_salt, sha256
from offchain.crypto.merkle import DEFAULT_BLOCK_SIZE, MerkleTree
from offchain.errors import IntegrityError, InvalidInputError
from offchain.protocols.cloud_server import check_blocks, kfrag_delivery_message, upload_message
from offchain.protocols.keys import FileKeys
from offchain.protocols.metadata import FileMetadata, capsule_hash, check_capsule
from offchain.protocols.retrieval import CommitmentCheck, retrieve_checked
from offchain.protocols.storage_api import FileStore, ReencryptionProxy
from offchain.zk import Record, Requirement, prove

__all__ = ["DataOwner", "EncryptedFile", "Recipient", "UploadReceipt", "derive_file_keypair", "encrypt_file"]

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


#: HKDF ``info`` prefix of per-file delegating keys.
_FILE_KEY_INFO = b"datashare/file-delegating-key/v1"


def derive_file_keypair(master_secret: bytes, file_id: bytes) -> pre.KeyPair:
    """The Umbral key pair of one file: HKDF-SHA256(master secret, info = prefix || file id || counter)."""
    for counter in range(256):  # a derived scalar at or above the curve order is skipped
        okm = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_FILE_KEY_INFO + file_id + bytes([counter]))
        try:
            return pre.KeyPair.from_secret_bytes(okm.derive(master_secret))
        except InvalidInputError:
            continue
    raise InvalidInputError("no valid key derived in 256 attempts")  # probability ~2^-32000


@dataclass(frozen=True, repr=False)
class EncryptedFile:
    """A file encrypted for storage (Zheng et al. 2018 §4.3), before it is registered or stored.

    Attributes:
        ciphertext: ``f*``.
        keys: Data key, commitment salt and download token ``K_f*`` (secret).
        tree: Merkle tree of the ciphertext's blocks (for audits).
        index_hash: ``K_f** = H(K_f*)``, what the chain and the server keep.
        sealed_key: The keys sealed under the file's delegating key (public).
        block_size: Merkle block size of the ciphertext, in bytes.
    """

    ciphertext: bytes
    keys: FileKeys
    tree: MerkleTree
    index_hash: bytes
    sealed_key: pre.SealedKey
    block_size: int

    @property
    def capsule_hash(self) -> bytes:
        """The hash of :attr:`sealed_key` that the registration's metadata carries."""
        return capsule_hash(self.sealed_key)

    def __repr__(self) -> str:  # never print secrets
        return f"EncryptedFile({len(self.ciphertext)} bytes, {self.tree.size} blocks)"


def encrypt_file(
    content: bytes,
    *,
    salt: bytes,
    file_id: bytes,
    sealing_pk: pre.PublicKey,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> EncryptedFile:
    """Encrypt ``content`` under a fresh data key and seal the keys to ``sealing_pk``: the part of
    an upload shared by owners who register under their account (:class:`DataOwner`) and
    anonymous group members (:mod:`offchain.protocols.group_member`)."""
    data_key = envelope.new_data_key()
    ciphertext = envelope.encrypt(content, data_key, file_id=file_id)
    token = sha256(ciphertext)  # K_f*
    keys = FileKeys(data_key=data_key, salt=salt, download_token=token)
    return EncryptedFile(
        ciphertext=ciphertext,
        keys=keys,
        tree=MerkleTree.from_bytes(ciphertext, block_size),
        index_hash=sha256(token),  # K_f**
        sealed_key=pre.seal(sealing_pk, keys.to_bytes()),
        block_size=block_size,
    )


class DataOwner(TrustsArbiters):
    """A data owner with an account, a master secret for per-file Umbral keys, and a signing key.

    Args:
        account: The signer that registers and grants (a Brownie account or an ``eth_account``
            key, see :func:`~offchain.chain.addresses.require_signer`).
        registry: Client of the on-chain registry.
        master_secret: 32 secret bytes the per-file delegating keys derive from (random if
            omitted; keep it: it opens every file of this owner).
        signer: Key pair that signs kfrags (its public key is the ``verifying_pk`` receivers and
            proxies check; publish it through an authentic channel).
        arbiters: The data market arbiters this owner accepts; by default (``None``) only the
            ``ConsortiumArbiter`` of the active network's deployment record, read when first
            needed (:meth:`ArbiterPolicy.for_active_network`).
    """

    def __init__(
        self,
        account: Any,
        registry: DataRegistryClient,
        master_secret: bytes | None = None,
        signer: pre.KeyPair | None = None,
        *,
        arbiters: ArbiterPolicy | None = None,
    ) -> None:
        if master_secret is not None and len(master_secret) != 32:
            raise InvalidInputError(f"master_secret must be 32 bytes, got {len(master_secret)}")
        self.account = require_signer(account, "account")
        self.registry = registry
        self._master_secret = master_secret or secrets.token_bytes(32)
        self.signer = signer or pre.KeyPair.generate()
        self._arbiters = arbiters

    def file_keypair(self, file_id: bytes) -> pre.KeyPair:
        """The Umbral key pair of one file: HKDF-SHA256(master secret, info = prefix || file id)."""
        return derive_file_keypair(self._master_secret, file_id)

    @property
    def address(self) -> str:
        """The owner's account address."""
        return str(self.account.address)

    def upload(
        self,
        content: bytes,
        server: FileStore,
        *,
        block_size: int = DEFAULT_BLOCK_SIZE,
        name: str = "",
        previous: bytes | None = None,
    ) -> UploadReceipt:
        """Encrypt ``content``, register it on chain, then store it on ``server``.

        The registration comes first: an honest server accepts only a registered file, from
        its registered owner (this account signs the upload, see
        :func:`~offchain.protocols.cloud_server.upload_message`). If storing fails, the
        registration stands and the error is raised; upload again (a new salt, a new file id).

        Args:
            content: The plaintext file.
            server: Where to store the ciphertext.
            block_size: Merkle block size of the ciphertext (for audits).
            name: Public label put in the metadata.
            previous: File id this upload is a new version of, if any.

        Returns:
            The receipt; its ``keys`` are needed to read or share the file.

        Raises:
            InvalidInputError: if the ciphertext would have more or larger Merkle blocks than a
                server keeps (:func:`~offchain.protocols.cloud_server.check_blocks`); nothing is
                registered then.
        """
        salt = new_salt()
        commitment = content_commitment(content, salt)
        return self._store_and_register(
            content, salt, commitment, server, block_size=block_size, name=name, previous=previous
        )

    def upload_record(
        self, record: Record, server: FileStore, *, block_size: int = DEFAULT_BLOCK_SIZE, name: str = ""
    ) -> UploadReceipt:
        """Encrypt and register a structured record for the data market (Feng et al. 2022 §5).

        The file's content is :meth:`Record.to_bytes`; its registered commitment is the record's
        Poseidon commitment h, which validity proofs open (so the proof's h *is* the file's
        registered commitment, as ``DataMarket.submit`` checks). A buyer checks a download with
        :func:`offchain.zk.record_opens`.
        """
        return self._store_and_register(
            record.to_bytes(),
            record.salt.to_bytes(32, "big"),
            record.commitment_bytes,
            server,
            block_size=block_size,
            name=name,
            previous=None,
        )

    def _store_and_register(
        self,
        content: bytes,
        salt: bytes,
        commitment: bytes,
        server: FileStore,
        *,
        block_size: int,
        name: str,
        previous: bytes | None,
    ) -> UploadReceipt:
        file_id = file_id_of(self.address, commitment)
        file_keys = self.file_keypair(file_id)
        encrypted = encrypt_file(
            content, salt=salt, file_id=file_id, sealing_pk=file_keys.public_key, block_size=block_size
        )
        check_blocks(encrypted.tree.size, block_size, "the file")  # before registering: no server would take it
        metadata = FileMetadata(
            block_size=block_size,
            block_count=encrypted.tree.size,
            ciphertext_bytes=len(encrypted.ciphertext),
            delegating_pk=file_keys.public_bytes(),
            name=name,
            capsule_hash=encrypted.capsule_hash,
        )
        fields: dict[str, Any] = dict(
            sender=self.account,
            content_commitment=commitment,
            ciphertext_hash=encrypted.index_hash,
            merkle_root=encrypted.tree.root,
            locator=server.locator_for(encrypted.index_hash),
            metadata=metadata.to_bytes(),
        )
        if previous is None:
            registration = self.registry.register_file(**fields)
        else:
            registration = self.registry.register_version(previous_file_id=previous, **fields)
        signature = sign_digest(
            self.account,
            upload_message(
                file_id=file_id,
                version=registration.version,
                ciphertext_hash=encrypted.index_hash,
                merkle_root=encrypted.tree.root,
                capsule_hash=encrypted.capsule_hash,
            ),
        )
        server.store_file(
            file_id=file_id, ciphertext=encrypted.ciphertext, sealed_key=encrypted.sealed_key, owner_signature=signature
        )
        logger.info("uploaded file 0x%s (%d bytes, %d blocks)", file_id.hex(), len(content), encrypted.tree.size)
        return UploadReceipt(registration=registration, keys=encrypted.keys, metadata=metadata, server=server.name)

    def open_keys(self, server: FileStore, file_id: bytes) -> FileKeys:
        """Recover a file's keys from its sealed capsule, checked against the registration first.

        Raises:
            IntegrityError: if the capsule the server holds is not the registered one.
        """
        metadata = FileMetadata.from_bytes(self.registry.get_file(file_id).metadata)
        sealed = check_capsule(metadata, server.sealed_key(file_id), file_id)
        return FileKeys.from_bytes(pre.open_sealed(self.file_keypair(file_id).secret_key, sealed))

    def download(self, server: FileStore, file_id: bytes, *, opens: CommitmentCheck | None = None) -> bytes:
        """Download, check against the chain and decrypt one of the owner's files.

        ``opens`` checks the plaintext against the registered commitment: the salted hash by
        default; :func:`offchain.zk.record_opens` for records uploaded with :meth:`upload_record`.
        """
        plaintext, _ = retrieve_checked(self.registry, server, file_id, self.open_keys(server, file_id), opens=opens)
        return plaintext

    def grant(
        self,
        file_id: bytes,
        recipient: Recipient,
        proxies: Sequence[ReencryptionProxy],
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
        file_keys = self.file_keypair(file_id)
        kfrags = pre.generate_kfrags(
            delegating_sk=file_keys.secret_key,
            receiving_pk=recipient.receiving_pk,
            signer_sk=self.signer.secret_key,
            threshold=threshold,
            shares=shares,
        )
        for proxy, kfrag in zip(proxies, kfrags, strict=True):
            delivery = kfrag_delivery_message(
                server=proxy.name, file_id=file_id, grantee=recipient.address, kfrag=kfrag, granted_at=grant.granted_at
            )
            proxy.accept_kfrag(
                file_id=file_id,
                grantee=recipient.address,
                kfrag=kfrag,
                receiving_pk=recipient.receiving_pk,
                verifying_pk=self.signer.public_key,
                threshold=threshold,
                shares=shares,
                owner_signature=sign_digest(self.account, delivery),
            )
        logger.info(
            "granted file 0x%s to %s through %d-of-%d proxies", file_id.hex(), recipient.address, threshold, shares
        )
        return grant

    def revoke(self, file_id: bytes, grantee: AddressLike) -> AccessGrant:
        """Revoke a grant on chain; honest proxies then refuse to re-encrypt for it."""
        return self.registry.revoke_access(sender=self.account, file_id=file_id, grantee=grantee)

    # -- the data market (Feng et al. 2022 §5-6) ------------------------------------------------

    def offer(
        self,
        market: DataMarketClient,
        *,
        requirement_id: int,
        opening: Requirement,
        record: Record,
        buyer: AddressLike,
    ) -> MarketMatch:
        """Prove that ``record`` meets the posted requirement and submit the proof, with the
        requirement's bond (back with the payment; forfeited if no grant is recorded in time).

        The record must have been registered with :meth:`upload_record` (the contract checks
        that the proof's h is this owner's registered commitment). The requirement is checked
        against the chain first: it must be posted by ``buyer`` (anyone may post a copy of a
        buyer's commitment), its arbiter must be one :attr:`arbiters` trusts, and the opening's
        commitment and description hash must be the posted ones, otherwise the proof would be
        for another requirement.

        Args:
            market: The market.
            requirement_id: The requirement.
            opening: The requirement's opening, as the buyer gave it.
            record: The record, registered with :meth:`upload_record`.
            buyer: The buyer the opening came from (an address, or an account with one).

        Raises:
            IntegrityError: if the requirement was posted by another account than ``buyer``, or
                ``opening`` is not the posted requirement.
            UntrustedArbiterError: if its arbiter is outside :attr:`arbiters`.
            RequirementNotMetError: if the record does not meet it (no proof exists).
            TransactionRevertedError: if the market refuses the submission.
        """
        posted = self._check_requirement(
            market, market.get_requirement(requirement_id), require_address(buyer, "buyer")
        )
        if posted.commitment != opening.commitment_bytes or posted.description_hash != opening.description_hash:
            raise IntegrityError(
                f"the requirement opening does not match requirement {requirement_id} on chain "
                "(commitment or description hash differ)"
            )
        if posted.field_count != record.field_count:
            raise InvalidInputError(f"requirement {requirement_id} is for {posted.field_count}-field records")
        proof = prove(record, opening, self.address)
        file_id = file_id_of(self.address, record.commitment_bytes)
        matched = market.submit(sender=self.account, requirement_id=requirement_id, file_id=file_id, proof=proof)
        logger.info(
            "file 0x%s matched requirement %d of %s as match %d (bond %d wei, arbiter %s)",
            file_id.hex(),
            requirement_id,
            posted.buyer,
            matched.match_id,
            posted.bond_wei,
            posted.arbiter,
        )
        return matched

    def deliver(
        self,
        market: DataMarketClient,
        match_id: int,
        recipient: Recipient,
        proxies: Sequence[ReencryptionProxy],
        *,
        threshold: int,
    ) -> MarketMatch:
        """Share the matched file with the buyer (grant and kfrags), then record the grant in the market.

        The requirement's arbiter is checked against :attr:`arbiters` again before anything is
        shared (the match may have been made by another client, or under another policy; its
        bond is then lost at the lapse, which :meth:`offer` avoids by refusing first).

        Raises:
            InvalidInputError: if ``recipient`` is not the requirement's buyer.
            UntrustedArbiterError: if the requirement's arbiter is outside :attr:`arbiters`;
                nothing was granted and no kfrag left the owner.
            TransactionRevertedError: if the market refuses (deadline passed, not the owner).
        """
        matched = market.get_match(match_id)
        posted = market.get_requirement(matched.requirement_id)
        buyer = posted.buyer
        if recipient.address.lower() != buyer.lower():
            raise InvalidInputError(f"match {match_id} is for buyer {buyer}, not {recipient.address}")
        self.arbiters.require_trusted(market, posted.arbiter, requirement_id=posted.requirement_id)
        if not self.registry.is_granted(matched.file_id, buyer):
            self.grant(matched.file_id, recipient, proxies, threshold=threshold)
        return market.record_grant(sender=self.account, match_id=match_id)

    def _check_requirement(self, market: DataMarketClient, posted: MarketRequirement, buyer: str) -> MarketRequirement:
        """``posted`` if ``buyer`` posted it and its arbiter is trusted, else the error."""
        if posted.buyer != buyer:
            raise IntegrityError(
                f"requirement {posted.requirement_id} was posted by {posted.buyer}, not by the expected buyer {buyer} "
                "(anyone may post a copy of a buyer's commitment)"
            )
        self.arbiters.require_trusted(market, posted.arbiter, requirement_id=posted.requirement_id)
        return posted
