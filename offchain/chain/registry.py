"""Typed client of the ``DataRegistry`` contract (research: Zheng et al. 2018 §4.3, upload).

The contract stores, per file, the owner, the registration time and a digest of the record;
the record's fields travel in the ``FileRegistered`` event. :meth:`DataRegistryClient.get_file`
reads both and checks the event's fields against the stored digest, so what it returns is
exactly what the chain committed to, or an :class:`~offchain.errors.IntegrityError`.

The id and digest formulas are computed here too (:func:`file_id_of`, :func:`record_digest_of`)
and tested against the contract's own ``fileIdOf`` and ``recordDigestOf``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from offchain.chain.addresses import AddressLike, require_address
from offchain.chain.contracts import ContractClient, call, call_batch, require_bytes32, transact
from offchain.chain.events import EventLog, get_events
from offchain.errors import IntegrityError, InvalidInputError, TransactionRevertedError, UnknownFileError
from offchain.validation import require_int

__all__ = [
    "FOLLOWED_MAX",
    "MAX_LOCATOR_BYTES",
    "MAX_METADATA_BYTES",
    "ZERO_ROOT",
    "AccessGrant",
    "DataRegistryClient",
    "FileRegistration",
    "file_id_of",
    "policy_hash",
    "record_digest_of",
]

#: Largest locator the contract accepts, in bytes (``DataRegistry.MAX_LOCATOR_BYTES``).
MAX_LOCATOR_BYTES = 512
#: Largest metadata the contract accepts, in bytes (``DataRegistry.MAX_METADATA_BYTES``).
MAX_METADATA_BYTES = 4096
#: The Merkle root of a file registered without a block tree.
ZERO_ROOT = bytes(32)


@dataclass(frozen=True)
class FileRegistration:
    """A file's full record as registered on chain.

    Attributes:
        file_id: ``keccak256(abi.encode(owner, content_commitment))``.
        owner: Checksummed address of the registering account.
        content_commitment: Commitment to the plaintext.
        ciphertext_hash: Hash of the stored ciphertext.
        merkle_root: Root of the ciphertext's block Merkle tree, or :data:`ZERO_ROOT`.
        locator: Where the ciphertext is stored.
        metadata: Application metadata bytes.
        registered_at: Block timestamp of the registration, in seconds.
        block_number: Block of the registration.
        tx_hash: 0x-prefixed hash of the registering transaction.
        version: 1 for a new file, previous version + 1 for a new version.
    """

    file_id: bytes
    owner: str
    content_commitment: bytes
    ciphertext_hash: bytes
    merkle_root: bytes
    locator: str
    metadata: bytes
    registered_at: int
    block_number: int
    tx_hash: str
    version: int = 1


@dataclass(frozen=True)
class AccessGrant:
    """A grant as recorded on chain.

    Attributes:
        file_id: The file.
        grantee: Checksummed address of the grantee.
        granted_at: Timestamp of the grant (0 if never granted).
        expires_at: Timestamp from which it lapses (0: never).
        revoked_at: Timestamp of the revocation (0: not revoked).
        policy_hash: Commitment to the re-encryption policy, see :func:`policy_hash`.
        active: Whether the contract considers it active now.
    """

    file_id: bytes
    grantee: str
    granted_at: int
    expires_at: int
    revoked_at: int
    policy_hash: bytes
    active: bool


def file_id_of(owner: AddressLike, content_commitment: bytes) -> bytes:
    """The id a file gets on chain: ``keccak256(abi.encode(owner, content_commitment))``."""
    commitment = require_bytes32(content_commitment, "content_commitment", nonzero=False)
    return keccak(encode(["address", "bytes32"], [require_address(owner, "owner"), commitment]))


def record_digest_of(
    content_commitment: bytes, ciphertext_hash: bytes, merkle_root: bytes, locator: str, metadata: bytes
) -> bytes:
    """The digest the contract stores for a record (``DataRegistry.recordDigestOf``).

    Raises:
        InvalidInputError: if a hash is not 32 bytes, the locator not a str or the metadata not bytes.
    """
    _validate_locator(locator)
    _validate_metadata(metadata)
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "bytes32", "bytes32"],
            [
                require_bytes32(content_commitment, "content_commitment", nonzero=False),
                require_bytes32(ciphertext_hash, "ciphertext_hash", nonzero=False),
                require_bytes32(merkle_root, "merkle_root", nonzero=False),
                keccak(locator.encode("utf-8")),
                keccak(bytes(metadata)),
            ],
        )
    )


def policy_hash(*, receiving_pk: bytes, verifying_pk: bytes, threshold: int, shares: int) -> bytes:
    """Commitment to a re-encryption policy, recorded with a grant on chain.

    ``keccak256(abi.encode(bytes receiving_pk, bytes verifying_pk, uint8 threshold, uint8 shares))``:
    proxies check that the kfrags they hold were made for this receiving key and signer.

    Raises:
        InvalidInputError: if a key is not bytes, or the threshold and shares are not ints with
            1 <= threshold <= shares <= 255.
    """
    for key_name, key in (("receiving_pk", receiving_pk), ("verifying_pk", verifying_pk)):
        if not isinstance(key, bytes | bytearray):
            raise InvalidInputError(f"{key_name} must be bytes, got {type(key).__name__}")
    for count_name, count in (("threshold", threshold), ("shares", shares)):
        require_int(count, count_name)
    if not 1 <= threshold <= shares <= 255:
        raise InvalidInputError(f"need 1 <= threshold <= shares <= 255, got threshold={threshold}, shares={shares}")
    return keccak(
        encode(
            ["bytes", "bytes", "uint8", "uint8"],
            [bytes(receiving_pk), bytes(verifying_pk), threshold, shares],
        )
    )


def _validate_locator(locator: str) -> None:
    if not isinstance(locator, str):
        raise InvalidInputError(f"locator must be a str, got {type(locator).__name__}")
    size = len(locator.encode("utf-8"))
    if not 0 < size <= MAX_LOCATOR_BYTES:
        raise InvalidInputError(f"locator must be 1..{MAX_LOCATOR_BYTES} bytes of UTF-8, got {size}")


def _validate_metadata(metadata: bytes) -> None:
    if not isinstance(metadata, (bytes, bytearray)):
        raise InvalidInputError(f"metadata must be bytes, got {type(metadata).__name__}")
    if len(metadata) > MAX_METADATA_BYTES:
        raise InvalidInputError(f"metadata must be at most {MAX_METADATA_BYTES} bytes, got {len(metadata)}")


def _record_fields(
    content_commitment: bytes, ciphertext_hash: bytes, merkle_root: bytes, locator: str, metadata: bytes
) -> tuple[bytes, bytes, bytes, str, bytes]:
    """The record's fields checked and in contract order, or InvalidInputError."""
    _validate_locator(locator)
    _validate_metadata(metadata)
    return (
        require_bytes32(content_commitment, "content_commitment", nonzero=True),
        require_bytes32(ciphertext_hash, "ciphertext_hash", nonzero=True),
        require_bytes32(merkle_root, "merkle_root", nonzero=False),
        locator,
        bytes(metadata),
    )


#: Most registrations a following client keeps (:meth:`DataRegistryClient.follow_registrations`).
FOLLOWED_MAX = 65_536


class DataRegistryClient(ContractClient):
    """Register and read files through a deployed ``DataRegistry``.

    Args:
        contract: Brownie handle of the deployed contract.
        from_block: Where event scans start (the contract's deployment block).
    """

    def __init__(self, contract: Any, from_block: int = 0) -> None:
        super().__init__(contract, from_block)
        self._followed: dict[bytes, FileRegistration] | None = None  # see follow_registrations
        self._followed_to = 0

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
        """Register a file owned by ``sender``.

        Inputs are checked here first, so bad input costs no transaction.

        Returns:
            The registration, read from the transaction's event.

        Raises:
            InvalidInputError: on a wrong-sized or zero hash, a bad locator or oversized metadata.
            TransactionRevertedError: if the contract reverts, e.g. with
                ``DataRegistryAlreadyRegistered`` when ``sender`` registered this commitment before.
        """
        fields = _record_fields(content_commitment, ciphertext_hash, merkle_root, locator, metadata)
        receipt = transact(self.contract, "registerFile", *fields, sender=sender)
        return self._registration_from_receipt(receipt, fields, version=1)

    def register_version(
        self,
        *,
        sender: Any,
        previous_file_id: bytes,
        content_commitment: bytes,
        ciphertext_hash: bytes,
        locator: str,
        merkle_root: bytes = ZERO_ROOT,
        metadata: bytes = b"",
    ) -> FileRegistration:
        """Register a new version of ``previous_file_id``, which ``sender`` must own.

        Raises:
            InvalidInputError: as :meth:`register_file`.
            TransactionRevertedError: e.g. ``DataRegistryNotOwner``, ``DataRegistryAlreadySuperseded``.
        """
        previous = require_bytes32(previous_file_id, "previous_file_id", nonzero=True)
        fields = _record_fields(content_commitment, ciphertext_hash, merkle_root, locator, metadata)
        receipt = transact(self.contract, "registerVersion", previous, *fields, sender=sender)
        version = int(receipt.events["FileVersioned"]["version"])
        return self._registration_from_receipt(receipt, fields, version=version)

    def grant_access(
        self, *, sender: Any, file_id: bytes, grantee: AddressLike, policy: bytes, expires_at: int = 0
    ) -> AccessGrant:
        """Record on chain that ``sender`` (the owner) grants ``grantee`` access to ``file_id``.

        Args:
            sender: The file's owner.
            file_id: The file.
            grantee: The receiver (an address, or an account or contract with one).
            policy: :func:`policy_hash` of the re-encryption policy.
            expires_at: Timestamp from which the grant lapses; 0 for none.

        Raises:
            InvalidInputError: on a malformed id, policy or expiry.
            TransactionRevertedError: e.g. ``DataRegistryNotOwner``, ``DataRegistryAlreadyGranted``.
        """
        fid = require_bytes32(file_id, "file_id", nonzero=True)
        policy32 = require_bytes32(policy, "policy", nonzero=False)
        if not 0 <= expires_at < 2**40:
            raise InvalidInputError(f"expires_at must be a uint40 timestamp, got {expires_at}")
        address = require_address(grantee, "grantee", nonzero=True)
        transact(self.contract, "grantAccess", fid, address, policy32, expires_at, sender=sender)
        return self.get_grant(fid, address)

    def revoke_access(self, *, sender: Any, file_id: bytes, grantee: AddressLike) -> AccessGrant:
        """Revoke ``grantee``'s active grant on ``file_id`` (``sender`` must own it).

        Raises:
            TransactionRevertedError: e.g. ``DataRegistryNoActiveGrant``.
        """
        fid = require_bytes32(file_id, "file_id", nonzero=True)
        address = require_address(grantee, "grantee")
        transact(self.contract, "revokeAccess", fid, address, sender=sender)
        return self.get_grant(fid, address)

    def get_grant(self, file_id: bytes, grantee: AddressLike) -> AccessGrant:
        """The grant of ``grantee`` on ``file_id`` as the chain has it now (``getGrant`` and
        ``isGranted`` read in one JSON-RPC batch: a proxy asks before every re-encryption)."""
        fid = require_bytes32(file_id, "file_id", nonzero=False)
        address = require_address(grantee, "grantee")
        (granted_at, expires_at, revoked_at, policy), active = call_batch(
            self.contract, ("getGrant", fid, address), ("isGranted", fid, address)
        )
        return AccessGrant(
            file_id=fid,
            grantee=address,
            granted_at=int(granted_at),
            expires_at=int(expires_at),
            revoked_at=int(revoked_at),
            policy_hash=bytes(policy),
            active=bool(active),
        )

    def is_granted(self, file_id: bytes, grantee: AddressLike) -> bool:
        """Whether ``grantee`` holds an active grant on ``file_id``."""
        fid = require_bytes32(file_id, "file_id", nonzero=False)
        return bool(call(self.contract, "isGranted", fid, require_address(grantee, "grantee")))

    def successor_of(self, file_id: bytes) -> bytes | None:
        """The next version of ``file_id``, or ``None`` if it is the latest."""
        successor = bytes(call(self.contract, "successorOf", require_bytes32(file_id, "file_id", nonzero=False)))
        return successor if any(successor) else None

    def latest_version(self, file_id: bytes) -> FileRegistration:
        """The newest version reachable from ``file_id`` by following successors."""
        current = require_bytes32(file_id, "file_id", nonzero=False)
        while (following := self.successor_of(current)) is not None:
            current = following
        return self.get_file(current)

    @staticmethod
    def _registration_from_receipt(
        receipt: Any, fields: tuple[bytes, bytes, bytes, str, bytes], *, version: int
    ) -> FileRegistration:
        # The contract emits exactly the fields it was sent; the event supplies id and owner.
        # (Brownie decodes an empty `bytes` event argument as 0x00, so the sent fields are used.)
        event = receipt.events["FileRegistered"]
        commitment, ct_hash, root, locator, metadata = fields
        return FileRegistration(
            file_id=bytes(event["fileId"]),
            owner=to_checksum_address(event["owner"]),
            content_commitment=commitment,
            ciphertext_hash=ct_hash,
            merkle_root=root,
            locator=locator,
            metadata=metadata,
            registered_at=int(receipt.timestamp),
            block_number=int(receipt.block_number),
            tx_hash=str(receipt.txid),
            version=version,
        )

    def is_registered(self, file_id: bytes) -> bool:
        """Whether a file is registered under ``file_id``."""
        return bool(call(self.contract, "isRegistered", require_bytes32(file_id, "file_id", nonzero=False)))

    def get_file(self, file_id: bytes) -> FileRegistration:
        """The full record of ``file_id``, checked against the digest stored on chain.

        Raises:
            UnknownFileError: if nothing is registered under ``file_id``.
            IntegrityError: if no event, or an event whose fields do not match the stored
                digest, is found for the file (a node serving wrong logs).
        """
        fid = require_bytes32(file_id, "file_id", nonzero=False)
        followed = self._followed
        if followed is not None and fid in followed:
            return followed[fid]
        logs = get_events(self.contract, "FileRegistered", from_block=self.from_block, argument_filters={"fileId": fid})
        record = self._verified(fid, logs)
        if followed is not None:
            self._keep_followed(fid, record)
        return record

    def _keep_followed(self, fid: bytes, record: FileRegistration) -> None:
        """Keep ``record``, forgetting the oldest kept beyond :data:`FOLLOWED_MAX` (read again on demand)."""
        assert self._followed is not None
        self._followed[fid] = record
        while len(self._followed) > FOLLOWED_MAX:
            self._followed.pop(next(iter(self._followed)), None)

    def follow_registrations(self) -> int:
        """Read and verify the registrations of the blocks not yet followed; keep them for :meth:`get_file`.

        A service that must check uploads against their registration calls this in the
        background (e.g. every few hundred milliseconds), so that an upload finds its
        registration already read and verified instead of waiting for the chain. A file record
        is written once on chain (``DataRegistryAlreadyRegistered`` forbids a second write), so
        a kept record stays the chain's. The first call starts at the latest block; files
        registered before it are read on demand by :meth:`get_file` (and then kept too). At most
        :data:`FOLLOWED_MAX` are kept, the oldest forgotten first (read again if asked for).
        Only a client that follows keeps anything: :meth:`get_file` of one that never called
        this reads the chain every time.

        NOTE: on a chain without finality, a reorganisation that drops a registration would
        leave it kept here; the research's consortium chain (BFT) finalises every block.

        Returns:
            How many registrations were read.

        Raises:
            ChainError: if the node refuses the query (the next call retries the same blocks).
        """
        from brownie import web3

        latest = int(web3.eth.block_number)
        if self._followed is None:
            self._followed, self._followed_to = {}, latest
            return 0
        if latest <= self._followed_to:
            return 0
        logs = get_events(self.contract, "FileRegistered", from_block=self._followed_to + 1, to_block=latest)
        for log in logs:
            fid = bytes(log.args["fileId"])
            if fid not in self._followed:
                self._keep_followed(fid, self._verified(fid, [log]))
        self._followed_to = latest
        return len(logs)

    def files_of(self, owner: AddressLike) -> list[FileRegistration]:
        """Every file registered by ``owner``, oldest first (each checked as in :meth:`get_file`).

        Args:
            owner: An address, or an account with one (``accounts[1]`` in ``brownie console``).
        """
        logs = get_events(
            self.contract,
            "FileRegistered",
            from_block=self.from_block,
            argument_filters={"owner": require_address(owner, "owner")},
        )
        return [self._verified(bytes(log.args["fileId"]), [log]) for log in logs]

    def _verified(self, fid: bytes, logs: list[EventLog]) -> FileRegistration:
        try:
            owner, registered_at, version, digest = call(self.contract, "getFile", fid)
        except TransactionRevertedError as exc:
            if exc.error_name == "DataRegistryUnknownFile":
                raise UnknownFileError(fid) from exc
            raise
        for log in logs:
            record = FileRegistration(
                file_id=fid,
                owner=to_checksum_address(log.args["owner"]),
                content_commitment=bytes(log.args["contentCommitment"]),
                ciphertext_hash=bytes(log.args["ciphertextHash"]),
                merkle_root=bytes(log.args["merkleRoot"]),
                locator=str(log.args["locator"]),
                metadata=bytes(log.args["metadata"]),
                registered_at=int(registered_at),
                block_number=log.block_number,
                tx_hash=log.tx_hash,
                version=int(version),
            )
            if self._matches(record, owner, bytes(digest)):
                return record
        raise IntegrityError(
            f"file 0x{fid.hex()} is registered, but none of the {len(logs)} FileRegistered logs "
            f"from block {self.from_block} matches its stored digest 0x{bytes(digest).hex()}"
        )

    @staticmethod
    def _matches(record: FileRegistration, owner: str, digest: bytes) -> bool:
        return (
            record.owner == to_checksum_address(owner)
            and file_id_of(record.owner, record.content_commitment) == record.file_id
            and record_digest_of(
                record.content_commitment, record.ciphertext_hash, record.merkle_root, record.locator, record.metadata
            )
            == digest
        )
