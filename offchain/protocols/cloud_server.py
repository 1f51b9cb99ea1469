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

What an honest server accepts, so that nobody else can make it misbehave:

* an upload of a registered file (:meth:`CloudServer.store_file`) only after the file is
  registered on chain, and only if the ciphertext hashes to the registered ``K_f**``, its
  Merkle tree has the registered root and block count, the sealed key capsule has the hash in
  the registered metadata, and the registered owner signed :func:`upload_message` (file id,
  version, ``K_f**``, root, capsule hash) with its Ethereum key. An accepted file is never
  replaced: a changed file is a new registered version, with a new file id;
* an anonymous group upload (:meth:`CloudServer.store_anonymous`) only with a valid group
  signature on :func:`anonymous_upload_message` (file id, root, block count) for the group key
  given, the root rebuilt from the ciphertext; first come, never replaced (the file id is
  unknown to anyone until the member stores it);
* an upload from a data-source device (:meth:`CloudServer.store_device_upload`, Peng et al.):
  only if the device is admitted on chain (``DeviceRegistry``) and, when its class requires
  attestation, only with a quote that :class:`~offchain.attestation.QuoteVerifier` accepts for
  this very envelope and a nonce this server issued (:meth:`CloudServer.upload_nonce`); a
  server made without a verifier refuses every device upload;
* a kfrag (:meth:`CloudServer.accept_kfrag`) only for a grant active on chain, whose policy hash
  it matches, made from the file's registered delegating key, and delivered to this server by
  the registered owner (a signature on :func:`kfrag_delivery_message`, which names the server,
  so that one proxy cannot hand its kfrag to another); never replaced while that grant stands.

The download gate (Zheng et al. §4.3) is *not* access control: ``K_f* = H(f*)``, and
:meth:`CloudServer.answer_challenge` serves any block to any auditor (audits need that, and a
challenger picking fresh nonces would collect every block anyway), so anyone can reassemble
``f*`` and ``K_f*``. The ciphertext is public in effect; only the data key protects the content.

Blobs go to any :class:`~offchain.storage.BlobStore`. The index (file id → blob, ``K_f**``,
sealed capsule, block size) and the kfrags are kept in memory by default, or persisted in a
:class:`~offchain.protocols.cloud_state.CloudServerState` (SQLite or PostgreSQL) given as
``state=``: then a blob is written before its index row commits, and
:meth:`CloudServerState.reconcile` at start-up undoes what a crash left half done. Device
uploads' attestations (:meth:`CloudServer.device_upload_attestation`) stay in memory either way.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Container
from dataclasses import dataclass
from typing import BinaryIO

from offchain.attestation.quote import Quote
from offchain.attestation.verifier import QuoteVerifier, VerifiedQuote
from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.contracts import require_bytes32, require_uint
from offchain.chain.registry import DataRegistryClient, FileRegistration, policy_hash
from offchain.chain.signing import recover_digest_signer
from offchain.crypto import group_signature as gs
from offchain.crypto import pre
from offchain.crypto.hashing import keccak256, sha256
from offchain.crypto.merkle import InclusionProof, MerkleTree, block_count
from offchain.errors import AccessDeniedError, IntegrityError, InvalidInputError, StorageError, VerificationError
from offchain.protocols.cloud_state import CloudServerState, HeldKFragRecord, IndexedFile
from offchain.protocols.metadata import FileMetadata, check_capsule
from offchain.storage.base import LOCATOR_PREFIX, BlobStore, locator_for
from offchain.storage.filesystem import FilesystemBlobStore, StagedBlob

__all__ = [
    "MAX_AUDIT_BYTES",
    "MAX_BLOCKS",
    "MAX_BLOCK_BYTES",
    "AuditResponse",
    "CloudServer",
    "UploadPlan",
    "anonymous_upload_message",
    "check_blocks",
    "kfrag_delivery_message",
    "upload_message",
]

logger = logging.getLogger(__name__)

#: Scheme of the locators this server registers: ``cloud://<server name>/<K_f** hex>``.
LOCATOR_SCHEME = "cloud://"
#: Most Merkle blocks in a file the server keeps. It builds the file's tree in memory at upload,
#: at the block size the uploader chose (about 280 bytes a block while built: an 8 MiB body at a
#: block size of 1 byte took 2.3 GiB and 23 s). 2^18 blocks is a 4 GiB file at the default
#: 16 KiB blocks, 256 MiB at 1 KiB.
MAX_BLOCKS = 1 << 18
#: Largest Merkle block the server keeps, in bytes. Audits are public and answer whole blocks:
#: one block of 256 MiB challenged 1024 times would have been 256 GiB read into memory.
MAX_BLOCK_BYTES = 1 << 20
#: Most bytes of blocks the storage service answers one audit request with, a block asked for
#: twice counted twice (1024 blocks of the default 16 KiB; 16 of the largest, 1 MiB); its client
#: asks again for the rest (``answer_challenge``'s ``max_bytes``).
MAX_AUDIT_BYTES = 16 << 20

_UPLOAD_DOMAIN = b"datashare/storage-upload/v1"
_KFRAG_DOMAIN = b"datashare/kfrag-delivery/v1"
_ANONYMOUS_UPLOAD_DOMAIN = b"datashare/group-upload/v1"


def upload_message(
    *, file_id: bytes, version: int, ciphertext_hash: bytes, merkle_root: bytes, capsule_hash: bytes
) -> bytes:
    """The digest a registered owner signs to upload a file version:
    keccak256(domain || file id || version (4 bytes) || K_f** || Merkle root || capsule hash)."""
    file_id, ciphertext_hash, merkle_root, capsule_hash = (
        require_bytes32(value, name, nonzero=False)
        for name, value in (
            ("file_id", file_id),
            ("ciphertext_hash", ciphertext_hash),
            ("merkle_root", merkle_root),
            ("capsule_hash", capsule_hash),
        )
    )
    version = require_uint(version, "version", low=1, high=(1 << 32) - 1)
    return keccak256(
        _UPLOAD_DOMAIN + file_id + version.to_bytes(4, "big") + ciphertext_hash + merkle_root + capsule_hash
    )


def kfrag_delivery_message(
    *, server: str, file_id: bytes, grantee: AddressLike, kfrag: bytes, granted_at: int
) -> bytes:
    """The digest an owner signs to deliver one kfrag to one proxy for one grant:
    keccak256(domain || keccak(server name) || file id || grantee || keccak(kfrag) || granted_at (8 bytes)).

    The server's name stops a proxy from passing its kfrag on to another proxy (two proxies
    holding one share would leave the receiver a share short); ``granted_at`` (the on-chain
    grant's time) stops a kfrag of a revoked grant from being replayed into a new one.
    """
    if not isinstance(server, str):
        raise InvalidInputError(f"server must be a name (str), got {type(server).__name__}")
    file_id = require_bytes32(file_id, "file_id", nonzero=False)
    kfrag = _require_bytes(kfrag, "kfrag")
    granted_at = require_uint(granted_at, "granted_at", low=0, high=(1 << 64) - 1)
    address = bytes.fromhex(require_address(grantee, "grantee")[2:])
    return keccak256(
        _KFRAG_DOMAIN
        + keccak256(server.encode("utf-8"))
        + file_id
        + address
        + keccak256(bytes(kfrag))
        + granted_at.to_bytes(8, "big")
    )


def anonymous_upload_message(file_id: bytes, merkle_root: bytes, block_count: int) -> bytes:
    """The bytes a group member signs for an upload: domain || file id || H(R) || block count
    (Huang et al. 2020 §3.4; the agency checks the same signature and records these fields)."""
    file_id = require_bytes32(file_id, "file_id", nonzero=False)
    merkle_root = require_bytes32(merkle_root, "merkle_root", nonzero=False)
    block_count = require_uint(block_count, "block_count", low=1, high=(1 << 64) - 1)
    return _ANONYMOUS_UPLOAD_DOMAIN + file_id + merkle_root + block_count.to_bytes(8, "big")


def _require_bytes(value: object, name: str) -> bytes:
    """``value`` as ``bytes``, or InvalidInputError naming ``name``."""
    if not isinstance(value, bytes | bytearray):
        raise InvalidInputError(f"{name} must be bytes, got {type(value).__name__}")
    return bytes(value)


def _require_sealed_key(value: object) -> pre.SealedKey:
    if not isinstance(value, pre.SealedKey):
        raise InvalidInputError(f"sealed_key must be a SealedKey, got {type(value).__name__}")
    return value


def _check_index_hash(record: FileRegistration, ciphertext_digest: bytes) -> None:
    """Refuse unless ``H(ciphertext_digest)``, i.e. ``H(H(f*))``, is the registered ``K_f**``."""
    index_hash = sha256(ciphertext_digest)
    if index_hash != record.ciphertext_hash:
        raise IntegrityError(
            f"upload refused: H(H(f*)) = 0x{index_hash.hex()}, registered K_f** 0x{record.ciphertext_hash.hex()}"
        )


def check_blocks(blocks: int, block_size: int, what: str) -> None:
    """Refuse ``what``, a file of ``blocks`` Merkle blocks of ``block_size`` bytes, if it has more
    blocks than :data:`MAX_BLOCKS` or larger ones than :data:`MAX_BLOCK_BYTES`."""
    if blocks > MAX_BLOCKS:
        raise InvalidInputError(
            f"{what} has {blocks} Merkle blocks, this server keeps files of at most {MAX_BLOCKS}: use larger blocks"
        )
    if block_size > MAX_BLOCK_BYTES:
        raise InvalidInputError(
            f"{what} has Merkle blocks of {block_size} bytes, this server keeps blocks of at most {MAX_BLOCK_BYTES}"
        )


def _check_tree(record: FileRegistration, metadata: FileMetadata, tree: MerkleTree) -> None:
    """Refuse unless the ciphertext's tree has the registered root and block count."""
    if tree.root != record.merkle_root or tree.size != metadata.block_count:
        raise IntegrityError(
            f"upload refused: the ciphertext's Merkle tree has root 0x{tree.root.hex()} and {tree.size} blocks, "
            f"registered 0x{record.merkle_root.hex()} and {metadata.block_count}"
        )


@dataclass(frozen=True)
class UploadPlan:
    """A streamed upload checked against its registration, waiting for its bytes
    (:meth:`CloudServer.plan_upload`).

    Attributes:
        file_id: The registered file id.
        record: Its registration, read from the chain.
        metadata: The registered metadata.
        sealed_key: The capsule, checked against the registered hash.
        locator: The blob locator the body must hash to (``sha256:`` + the declared digest).
        already_held: Whether the server held the file already (the bytes are then checked, not stored).
    """

    file_id: bytes
    record: FileRegistration
    metadata: FileMetadata
    sealed_key: pre.SealedKey
    locator: str
    already_held: bool

    @property
    def block_size(self) -> int:
        """The registered block size of the file's Merkle tree, in bytes."""
        return int(self.metadata.block_size)


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
    tree: MerkleTree | None  # None when loaded from the state: rebuilt from the blob on the first audit
    merkle_root: bytes
    block_count: int


@dataclass(frozen=True)
class _HeldKFrag:
    kfrag: pre.VerifiedKFrag
    policy: bytes
    granted_at: int


class CloudServer:
    """A storage server and re-encryption proxy.

    Args:
        name: The server's name, part of the locators it hands out.
        store: Where ciphertexts are kept.
        registry: Client of the on-chain registry (grants are checked there).
        attestation: The checks of devices' attested uploads (their nonces, quotes and the
            on-chain device registry); without it, device uploads are refused.
        state: Where the index and the kfrags persist; in memory when ``None`` (a restart loses
            them). Run its :meth:`~CloudServerState.reconcile` on the same store at start-up.
        group_keys: The fingerprints of the group keys anonymous uploads may be signed under:
            those the consortium's agencies published
            (:class:`~offchain.chain.consortium.PublishedGroupKeys`; the storage service always
            has one, empty when started without a consortium). ``None`` takes any group's, as an
            in-process server of the research does (the agency then filters, when it accepts
            the record): anyone could then fill the store under a group of its own.
    """

    def __init__(
        self,
        name: str,
        store: BlobStore,
        registry: DataRegistryClient,
        *,
        attestation: QuoteVerifier | None = None,
        state: CloudServerState | None = None,
        group_keys: Container[bytes] | None = None,
    ) -> None:
        if not name or "/" in name:
            raise InvalidInputError(f"server name must be non-empty without '/', got {name!r}")
        self.name = name
        self.store = store
        self.registry = registry
        if state is not None and not isinstance(state, CloudServerState):
            raise InvalidInputError(f"state must be a CloudServerState or None, got {type(state).__name__}")
        self.state = state
        # Without a state, these are the index and the kfrags; with one, caches of what it holds.
        self._files: dict[bytes, _StoredFile] = {}
        self._kfrags: dict[tuple[bytes, str], _HeldKFrag] = {}
        self.attestation = attestation
        self.group_keys = group_keys
        self._device_uploads: dict[str, VerifiedQuote | None] = {}

    # ---- upload / download (Zheng et al. §4.3) -------------------------------------------

    def locator_for(self, index_hash: bytes) -> str:
        """The locator this server gives the file whose ``K_f**`` is ``index_hash``."""
        return f"{LOCATOR_SCHEME}{self.name}/{index_hash.hex()}"

    def store_file(
        self, *, file_id: bytes, ciphertext: bytes, sealed_key: pre.SealedKey, owner_signature: bytes
    ) -> str:
        """Accept the upload of a registered file version from its registered owner.

        Checks, against the registration read from the chain: the owner signed
        :func:`upload_message`; ``H(H(f*))`` is the registered ``K_f**``; the ciphertext's Merkle
        tree (at the registered block size) has the registered root and block count; the
        capsule's hash is the registered one. A file already held is never replaced (an upload
        that passes these checks is byte for byte the one held, so it is acknowledged as is).

        The server builds the ciphertext's Merkle tree now, to answer audits without reading
        the whole file again.

        Returns:
            The file's locator on this server.

        Raises:
            InvalidInputError: if an argument has the wrong type or size.
            UnknownFileError: if ``file_id`` is not registered.
            VerificationError: if the registered owner did not sign this upload.
            IntegrityError: if the ciphertext, its tree or the capsule do not match the chain.
        """
        file_id = require_bytes32(file_id, "file_id", nonzero=False)
        ciphertext = _require_bytes(ciphertext, "ciphertext")
        record, metadata, sealed_key = self._check_upload(file_id, sealed_key, owner_signature)
        check_blocks(block_count(len(ciphertext), metadata.block_size), metadata.block_size, "the upload")
        _check_index_hash(record, sha256(ciphertext))
        tree = MerkleTree.from_bytes(ciphertext, metadata.block_size)
        _check_tree(record, metadata, tree)
        held = self._lookup(file_id)
        if held is not None:  # same K_f**, same capsule hash: the very upload already held
            logger.info("%s already holds file 0x%s; nothing replaced", self.name, file_id.hex())
            return self.locator_for(held.index_hash)
        stored = _StoredFile(record.ciphertext_hash, "", metadata.block_size, sealed_key, tree, tree.root, tree.size)
        self._keep(file_id, ciphertext, stored, anonymous=False)
        logger.info("%s stored file 0x%s (%d bytes)", self.name, file_id.hex(), len(ciphertext))
        return self.locator_for(record.ciphertext_hash)

    def _check_upload(
        self, file_id: bytes, sealed_key: object, owner_signature: object
    ) -> tuple[FileRegistration, FileMetadata, pre.SealedKey]:
        """The checks of an upload that need no ciphertext: registration, owner's signature, capsule."""
        sealed_key = _require_sealed_key(sealed_key)
        owner_signature = _require_bytes(owner_signature, "owner_signature")
        record = self.registry.get_file(file_id)
        metadata = FileMetadata.from_bytes(record.metadata)
        if metadata.capsule_hash is None:
            raise IntegrityError(f"upload refused: file 0x{file_id.hex()} is registered without a capsule hash")
        signed = upload_message(
            file_id=file_id,
            version=record.version,
            ciphertext_hash=record.ciphertext_hash,
            merkle_root=record.merkle_root,
            capsule_hash=metadata.capsule_hash,
        )
        signer = recover_digest_signer(signed, owner_signature)
        if signer != record.owner:
            raise VerificationError(
                f"upload of file 0x{file_id.hex()} refused: signed by {signer}, the registered owner is {record.owner}"
            )
        check_capsule(metadata, sealed_key, file_id)
        check_blocks(metadata.block_count, metadata.block_size, f"file 0x{file_id.hex()} as registered")
        return record, metadata, sealed_key

    # ---- streamed upload: checked before and while the body arrives, written and hashed once ----

    def plan_upload(
        self, *, file_id: bytes, ciphertext_digest: bytes, sealed_key: pre.SealedKey, owner_signature: bytes
    ) -> UploadPlan:
        """First half of a streamed upload: every check of :meth:`store_file` that needs no bytes.

        ``ciphertext_digest`` is the SHA-256 the uploader declares for ``f*`` (the signed body
        hash of the request); it must give the registered ``K_f** = H(H(f*))``, so a body that
        does not match the registration is refused before it arrives. With a state, the
        blob's intent is committed here (step (1) of :mod:`~offchain.protocols.cloud_state`).
        Then stream ``f*`` into ``self.store.stage()`` and call :meth:`finish_upload`.

        Raises:
            InvalidInputError, UnknownFileError, VerificationError, IntegrityError: as
                :meth:`store_file`, for every check but the ciphertext's own bytes.
            StorageError: if the server's store cannot take streamed writes.
        """
        if not isinstance(self.store, FilesystemBlobStore):
            raise StorageError(f"{self.name}: streamed uploads need a filesystem store; use store_file")
        file_id = require_bytes32(file_id, "file_id", nonzero=False)
        digest = require_bytes32(ciphertext_digest, "ciphertext_digest", nonzero=False)
        record, metadata, sealed_key = self._check_upload(file_id, sealed_key, owner_signature)
        _check_index_hash(record, digest)
        locator = LOCATOR_PREFIX + digest.hex()
        held = file_id in self._files or (self.state is not None and self.state.has_file(file_id))
        if not held and self.state is not None:
            self.state.begin_blob(locator, preexisting=self.store.exists(locator))
        return UploadPlan(file_id, record, metadata, sealed_key, locator, held)

    def finish_upload(self, plan: UploadPlan, staged: StagedBlob, tree: MerkleTree) -> str:
        """Second half of a streamed upload: check the bytes received, store the blob, index it.

        Args:
            plan: What :meth:`plan_upload` returned for this upload.
            staged: The received ``f*``, staged in this server's store (hashed as written).
            tree: The Merkle tree of the received bytes at ``plan.block_size``, built as they arrived.

        Returns:
            The file's locator on this server.

        Raises:
            IntegrityError: if the bytes do not hash to the declared digest or their tree is not
                the registered one (nothing is stored, the staged file is removed).
        """
        if not isinstance(plan, UploadPlan) or not isinstance(self.store, FilesystemBlobStore):
            raise InvalidInputError("finish_upload takes the plan_upload of this server's filesystem store")
        with staged:  # removed unless adopted
            if staged.locator != plan.locator:
                raise IntegrityError(f"upload refused: the body hashes to {staged.locator}, declared {plan.locator}")
            _check_tree(plan.record, plan.metadata, tree)
            if plan.already_held:  # a concurrent upload of the same file: its row wins in _index
                logger.info("%s already holds file 0x%s; nothing replaced", self.name, plan.file_id.hex())
                return self.locator_for(plan.record.ciphertext_hash)
            stored = _StoredFile(
                plan.record.ciphertext_hash, "", plan.block_size, plan.sealed_key, tree, tree.root, tree.size
            )
            self._index(plan.file_id, self.store.adopt(staged, plan.locator), stored, anonymous=False)
        logger.info("%s stored file 0x%s (%d bytes, streamed)", self.name, plan.file_id.hex(), staged.size_bytes)
        return self.locator_for(plan.record.ciphertext_hash)

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
        """Accept a group member's anonymous upload (Huang et al. 2020 §3.4).

        The file id is fresh (it hashes the member's salted commitment), so nobody can know it
        before the member stores it; the server accepts the first upload carrying a valid group
        signature on :func:`anonymous_upload_message` over the root it rebuilds from the
        ciphertext, and never replaces it.

        Returns:
            The file's locator on this server.

        Raises:
            InvalidInputError: if an argument has the wrong type or size.
            AccessDeniedError: if a file is already held under ``file_id``, or ``group`` is not one
                of :attr:`group_keys`.
            VerificationError: if the group signature does not verify for ``group``.
        """
        file_id = require_bytes32(file_id, "file_id", nonzero=False)
        ciphertext = _require_bytes(ciphertext, "ciphertext")
        sealed_key = _require_sealed_key(sealed_key)
        if not isinstance(group, gs.GroupPublicKey) or not isinstance(signature, gs.GroupSignature):
            raise InvalidInputError(
                f"an anonymous upload carries a GroupPublicKey and a GroupSignature, got "
                f"{type(group).__name__} and {type(signature).__name__}"
            )
        self.check_group_key(group.fingerprint())
        if self._lookup(file_id) is not None:
            raise AccessDeniedError(f"{self.name} already holds file 0x{file_id.hex()}; it is never replaced")
        check_blocks(block_count(len(ciphertext), block_size), block_size, "the upload")
        tree = MerkleTree.from_bytes(ciphertext, block_size)
        if not gs.verify(group, anonymous_upload_message(file_id, tree.root, tree.size), signature):
            raise VerificationError(
                f"anonymous upload 0x{file_id.hex()} refused: the group signature does not verify over its blocks"
            )
        index_hash = sha256(sha256(ciphertext))
        stored = _StoredFile(index_hash, "", block_size, sealed_key, tree, tree.root, tree.size)
        if not self._keep(file_id, ciphertext, stored, anonymous=True):
            raise AccessDeniedError(f"{self.name} already holds file 0x{file_id.hex()}; it is never replaced")
        logger.info("%s stored anonymous file 0x%s (%d bytes)", self.name, file_id.hex(), len(ciphertext))
        return self.locator_for(index_hash)

    def check_group_key(self, fingerprint: bytes) -> None:
        """Refuse a group key that is not one of :attr:`group_keys` (the service calls this on
        the key's bytes before it parses and checks the key: see ``CloudServer`` for why).

        Raises:
            AccessDeniedError: if the key is not one anonymous uploads may be signed under.
        """
        if self.group_keys is not None and fingerprint not in self.group_keys:
            raise AccessDeniedError(
                f"{self.name} takes anonymous uploads only under the group keys the consortium's agencies "
                f"published; 0x{fingerprint.hex()} is not one of them"
            )

    # ---- attested uploads from data-source devices (Peng et al., steps (1)–(5)) -------------

    def upload_nonce(self) -> bytes:
        """A fresh, single-use, expiring nonce for a device's next quote.

        Raises:
            AccessDeniedError: if this server takes no device uploads (no verifier).
        """
        return self._attestation().issue_nonce()

    def store_device_upload(self, *, envelope: bytes, device_id: bytes, quote: Quote | None) -> str:
        """Accept a digital envelope from a data-source device, checked by its quote first.

        Args:
            envelope: The digital envelope's bytes (:mod:`offchain.crypto.digital_envelope`).
            device_id: The device's id on chain (keccak256 of its attestation key).
            quote: Its quote over SHA-256 of ``envelope`` with a nonce from :meth:`upload_nonce`;
                may be ``None`` only for a device class that does not require attestation.

        Returns:
            The blob locator the envelope is stored under.

        Raises:
            InvalidInputError: if an argument has the wrong type or size.
            AccessDeniedError: if this server takes no device uploads.
            AttestationError: the subclass naming why the quote was refused (nothing is stored).
        """
        envelope = _require_bytes(envelope, "envelope")
        device_id = require_bytes32(device_id, "device_id", nonzero=True)
        if quote is not None and not isinstance(quote, Quote):
            raise InvalidInputError(f"quote must be a Quote or None, got {type(quote).__name__}")
        verified = self._attestation().check_upload(envelope, device_id, quote)
        locator = self.store.put(envelope)
        self._device_uploads[locator] = verified
        logger.info(
            "%s stored a %d-byte envelope from device 0x%s (%s)",
            self.name,
            len(envelope),
            device_id.hex(),
            f"{verified.kind.value} quote" if verified else "no quote required",
        )
        return locator

    def device_upload_attestation(self, locator: str) -> VerifiedQuote | None:
        """The verified quote a stored device upload came with (``None``: its class required none).

        Raises:
            StorageError: if no device upload is stored under ``locator``.
        """
        try:
            return self._device_uploads[locator]
        except KeyError:
            raise StorageError(f"{self.name} holds no device upload {locator!r}") from None

    def _attestation(self) -> QuoteVerifier:
        if self.attestation is None:
            raise AccessDeniedError(f"{self.name} takes no device uploads: it was made without a quote verifier")
        return self.attestation

    def fetch(self, file_id: bytes, download_token: bytes, *, max_bytes: int | None = None) -> bytes:
        """Serve ``f*`` to whoever shows ``K_f*`` with ``H(K_f*) = K_f**``.

        ``max_bytes`` is the most the caller takes (see :class:`~offchain.protocols.storage_api.FileStore`);
        in process the file is this server's own, and the caller checks its size with its hash.

        NOTE: the gate of Zheng et al. §4.3, not access control: anyone can reassemble ``f*``
        from :meth:`answer_challenge` and hash it into ``K_f*`` (see the module docstring).

        Raises:
            InvalidInputError: if the file id or token is not 32 bytes.
            AccessDeniedError: if the token is wrong.
            StorageError: if the server does not hold the file.
        """
        return self.store.get(self._gate(file_id, download_token).blob_locator)

    def open_file(self, file_id: bytes, download_token: bytes) -> BinaryIO:
        """:meth:`fetch` as a stream: ``f*`` opened for reading once ``K_f*`` is checked.

        The blob store checks the content as it is read (see :meth:`BlobStore.open`); a
        receiver checks what it got against the chain anyway. Close the file after use.

        Raises:
            InvalidInputError: if the file id or token is not 32 bytes.
            AccessDeniedError: if the token is wrong.
            StorageError: if the server does not hold the file.
        """
        return self.store.open(self._gate(file_id, download_token).blob_locator)

    def blob_locator(self, file_id: bytes, download_token: bytes) -> str:
        """The blob store locator of ``f*`` (``sha256:`` + its digest), once ``K_f*`` is checked as
        :meth:`fetch` checks it: for a service that reads the blob itself and checks what it read
        against this locator (WARNING: the store's raw reads are unverified).

        Raises:
            InvalidInputError: if the file id or token is not 32 bytes.
            AccessDeniedError: if the token is wrong.
            StorageError: if the server does not hold the file.
        """
        return self._gate(file_id, download_token).blob_locator

    def _gate(self, file_id: bytes, download_token: bytes) -> _StoredFile:
        """The file held under ``file_id`` if ``H(download_token) = K_f**`` (see :meth:`fetch`)."""
        stored = self._stored(file_id)
        token = require_bytes32(download_token, "download_token", nonzero=False)
        if not hmac.compare_digest(sha256(token), stored.index_hash):
            raise AccessDeniedError(f"{self.name}: wrong download token for file 0x{file_id.hex()}")
        return stored

    def sealed_key(self, file_id: bytes) -> pre.SealedKey:
        """The owner's sealed key capsule of ``file_id`` (safe to hand out: it is encrypted).

        Raises:
            InvalidInputError: if the file id is not 32 bytes.
            StorageError: if the server does not hold the file.
        """
        return self._stored(file_id).sealed_key

    # ---- proxy re-encryption (Feng et al. §6.8–6.9) ------------------------------------------

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
        """Verify and keep a kfrag the registered owner made for ``grantee`` and delivered to this server.

        Checks: the grant is active on chain and its policy hash is this kfrag's policy; the
        kfrag verifies for the file's registered delegating key (from its on-chain metadata,
        never from the caller); the registered owner signed :func:`kfrag_delivery_message` for
        this server, file, grantee, kfrag and grant. A kfrag held for the same grant (same time
        and policy on chain) is never replaced; a new grant (after a revocation) replaces it.

        Raises:
            InvalidInputError: if an argument has the wrong type or size.
            UnknownFileError: if ``file_id`` is not registered.
            AccessDeniedError: if the grant is not active, its policy is another, or a kfrag is
                already held for this grant.
            VerificationError: if the kfrag does not verify or the owner did not deliver it here.
        """
        grantee = require_address(grantee, "grantee")
        file_id = require_bytes32(file_id, "file_id", nonzero=False)
        kfrag = _require_bytes(kfrag, "kfrag")
        owner_signature = _require_bytes(owner_signature, "owner_signature")
        record = self.registry.get_file(file_id)
        grant = self.registry.get_grant(file_id, grantee)
        policy = policy_hash(
            receiving_pk=pre.public_key_to_bytes(receiving_pk),
            verifying_pk=pre.public_key_to_bytes(verifying_pk),
            threshold=threshold,
            shares=shares,
        )
        if not grant.active or grant.policy_hash != policy:
            raise AccessDeniedError(
                f"{self.name}: kfrag of file 0x{file_id.hex()} for {grantee} refused: "
                + ("no active grant on chain" if not grant.active else "its policy is not the on-chain grant's")
            )
        signed = kfrag_delivery_message(
            server=self.name, file_id=file_id, grantee=grantee, kfrag=kfrag, granted_at=grant.granted_at
        )
        signer = recover_digest_signer(signed, owner_signature)
        if signer != record.owner:
            raise VerificationError(
                f"{self.name}: kfrag of file 0x{file_id.hex()} refused: delivered under {signer}'s signature, "
                f"the registered owner is {record.owner}"
            )
        key = (file_id, grantee.lower())
        held = self._held_kfrag(file_id, grantee)
        if held is not None and (held.granted_at, held.policy) == (grant.granted_at, grant.policy_hash):
            raise AccessDeniedError(
                f"{self.name}: already holds a kfrag of file 0x{file_id.hex()} for {grantee} under this grant"
            )
        delegating_pk = pre.public_key_from_bytes(FileMetadata.from_bytes(record.metadata).delegating_pk)
        verified = pre.verify_kfrag(
            kfrag, delegating_pk=delegating_pk, receiving_pk=receiving_pk, verifying_pk=verifying_pk
        )
        if self.state is not None:
            self.state.put_kfrag(
                HeldKFragRecord(
                    file_id=file_id,
                    grantee=key[1],
                    kfrag=verified.to_bytes(),
                    delegating_pk=verified.delegating_pk,
                    receiving_pk=verified.receiving_pk,
                    verifying_pk=verified.verifying_pk,
                    policy_hash=policy,
                    granted_at=grant.granted_at,
                )
            )
        self._kfrags[key] = _HeldKFrag(verified, policy, grant.granted_at)

    def reencrypt(self, file_id: bytes, grantee: AddressLike, sealed: pre.SealedKey) -> bytes:
        """Re-encrypt the file's key capsule ``sealed`` for ``grantee``, if its grant on chain is active.

        The requester brings the capsule (it is public; the storage server hands it out). The
        kfrag held is made from the file's own delegating key, so it can re-encrypt nothing
        but that file's capsule.

        Raises:
            InvalidInputError: if an argument has the wrong type or size.
            AccessDeniedError: if no kfrag is held, the grant is not active (revoked, expired,
                never made), or its on-chain policy is not the kfrag's.
        """
        grantee = require_address(grantee, "grantee")
        file_id = require_bytes32(file_id, "file_id", nonzero=False)
        sealed = _require_sealed_key(sealed)
        held = self._held_kfrag(file_id, grantee)
        if held is None:
            raise AccessDeniedError(f"{self.name}: holds no kfrag of file 0x{file_id.hex()} for {grantee}")
        grant = self.registry.get_grant(file_id, grantee)
        if not grant.active:
            raise AccessDeniedError(f"{self.name}: the grant of file 0x{file_id.hex()} to {grantee} is not active")
        if grant.policy_hash != held.policy:
            raise AccessDeniedError(f"{self.name}: the on-chain policy of the grant to {grantee} is not the kfrag's")
        return pre.reencrypt(sealed, held.kfrag)

    # ---- auditing (Huang et al. §3.3) ------------------------------------------------------

    def answer_challenge(
        self, file_id: bytes, indices: tuple[int, ...], *, max_bytes: int | None = None
    ) -> list[AuditResponse]:
        """The challenged blocks of ``f*`` with their Merkle paths, to anyone (audits are public).

        Args:
            file_id: The file challenged.
            indices: The challenged blocks (an index may come more than once).
            max_bytes: Answer only the first blocks whose bytes, a block asked for twice counted
                twice, stay within ``max_bytes`` (at least one block): the storage service answers
                strangers at most :data:`MAX_AUDIT_BYTES` a request, and its client asks again
                for the rest. Every block when ``None``.

        Raises:
            StorageError: if the server does not hold the file.
            InvalidInputError: if an index is out of range.
        """
        stored = self._stored(file_id)
        if not isinstance(indices, tuple | list):
            raise InvalidInputError(f"challenged indices are a tuple of ints, got {type(indices).__name__}")
        for i in indices:
            require_uint(i, "challenged index", low=0, high=stored.block_count - 1)
        size = stored.block_size
        if max_bytes is not None:
            indices = indices[: max(1, require_uint(max_bytes, "max_bytes", low=1, high=1 << 63) // size)]
        tree = self._tree(stored)
        blocks = {i: self.store.read_range(stored.blob_locator, i * size, size) for i in dict.fromkeys(indices)}
        return [AuditResponse(i, blocks[i], tree.proof(i)) for i in indices]

    # ---- the index and the kfrags: in memory, or in the state with these dicts as caches --------

    def _stored(self, file_id: bytes) -> _StoredFile:
        file_id = require_bytes32(file_id, "file_id", nonzero=False)
        stored = self._lookup(file_id)
        if stored is None:
            raise StorageError(f"{self.name} holds no file 0x{file_id.hex()}")
        return stored

    def _lookup(self, file_id: bytes) -> _StoredFile | None:
        """The file held under ``file_id`` (files are never replaced, so a cached one stays right)."""
        stored = self._files.get(file_id)
        if stored is not None or self.state is None:
            return stored
        row = self.state.file(file_id)
        if row is None:
            return None
        try:
            sealed_key = pre.SealedKey.from_bytes(row.sealed_key)
        except (InvalidInputError, VerificationError) as exc:
            raise StorageError(
                f"{self.name}: the sealed key of file 0x{file_id.hex()} in {self.state} is corrupt: {exc}"
            ) from None
        stored = _StoredFile(
            row.index_hash, row.blob_locator, row.block_size, sealed_key, None, row.merkle_root, row.block_count
        )
        self._files[file_id] = stored
        return stored

    def _keep(self, file_id: bytes, ciphertext: bytes, stored: _StoredFile, *, anonymous: bool) -> bool:
        """Write the blob, then (with a state) the index row; ``False`` if another upload won the row.

        With a state: the blob's intent commits first, then the blob is written, then the row and
        the intent's removal commit together (see :mod:`offchain.protocols.cloud_state`).
        """
        if self.state is not None:
            locator = locator_for(ciphertext)
            self.state.begin_blob(locator, preexisting=self.store.exists(locator))
        return self._index(file_id, self.store.put(ciphertext), stored, anonymous=anonymous)

    def _index(self, file_id: bytes, blob_locator: str, stored: _StoredFile, *, anonymous: bool) -> bool:
        """Index a blob already written (its intent committed before it was): step (3)."""
        stored.blob_locator = blob_locator
        if self.state is not None:
            inserted = self.state.add_file(
                IndexedFile(
                    file_id=file_id,
                    index_hash=stored.index_hash,
                    blob_locator=stored.blob_locator,
                    block_size=stored.block_size,
                    block_count=stored.block_count,
                    merkle_root=stored.merkle_root,
                    sealed_key=stored.sealed_key.to_bytes(),
                    anonymous=anonymous,
                )
            )
            if not inserted:
                return False
        self._files[file_id] = stored
        return True

    def _tree(self, stored: _StoredFile) -> MerkleTree:
        """The file's Merkle tree; rebuilt from its blob (and checked against the index) once after a restart."""
        if stored.tree is None:
            tree = MerkleTree.from_bytes(self.store.get(stored.blob_locator), stored.block_size)
            if (tree.root, tree.size) != (stored.merkle_root, stored.block_count):
                raise IntegrityError(
                    f"{self.name}: blob {stored.blob_locator} has Merkle root 0x{tree.root.hex()}, "
                    f"indexed 0x{stored.merkle_root.hex()}"
                )
            stored.tree = tree
        return stored.tree

    def _held_kfrag(self, file_id: bytes, grantee: str) -> _HeldKFrag | None:
        """The kfrag held for ``grantee``; with a state, always as the state has it now (replicas
        may have accepted a new grant's), verified again when it differs from the cached one."""
        key = (file_id, grantee.lower())
        if self.state is None:
            return self._kfrags.get(key)
        row = self.state.kfrag(file_id, grantee)
        if row is None:
            self._kfrags.pop(key, None)
            return None
        cached = self._kfrags.get(key)
        if cached is not None and (cached.kfrag.to_bytes(), cached.policy, cached.granted_at) == (
            row.kfrag,
            row.policy_hash,
            row.granted_at,
        ):
            return cached
        verified = pre.verify_kfrag(
            row.kfrag,
            delegating_pk=pre.public_key_from_bytes(row.delegating_pk),
            receiving_pk=pre.public_key_from_bytes(row.receiving_pk),
            verifying_pk=pre.public_key_from_bytes(row.verifying_pk),
        )
        held = _HeldKFrag(verified, row.policy_hash, row.granted_at)
        self._kfrags[key] = held
        return held
