"""The receiver's side of the download protocol (Zheng et al. 2018 §4.3), shared by owner and buyer.

1. read the record from chain (checked against its on-chain digest);
2. ask the storage server for ``f*`` with the download token ``K_f*``;
3. check ``H(H(f*)) = K_f**`` and the Merkle root of ``f*`` against the chain;
4. only then decrypt, and check the plaintext opens the registered commitment.

Any mismatch raises :class:`~offchain.errors.IntegrityError` and nothing is decrypted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from offchain.chain.registry import DataRegistryClient, FileRegistration
from offchain.crypto import envelope
from offchain.crypto.hashing import sha256, verify_commitment
from offchain.crypto.merkle import MerkleTree
from offchain.errors import IntegrityError, InvalidInputError
from offchain.protocols.keys import FileKeys
from offchain.protocols.metadata import FileMetadata

__all__ = ["CiphertextSource", "CommitmentCheck", "retrieve_checked"]

#: ``opens(plaintext, keys, commitment)``: whether a plaintext opens a registered commitment.
CommitmentCheck = Callable[[bytes, FileKeys, bytes], bool]


def _opens_salted_hash(plaintext: bytes, keys: FileKeys, commitment: bytes) -> bool:
    return verify_commitment(plaintext, keys.salt, commitment)


logger = logging.getLogger(__name__)


class CiphertextSource(Protocol):
    """Anything that serves a registered ciphertext to the holder of its download token."""

    def fetch(self, file_id: bytes, download_token: bytes, *, max_bytes: int | None = None) -> bytes:
        """The ciphertext ``f*`` of ``file_id``. ``max_bytes`` is the most the caller takes: a
        source over the network stops reading there (an :class:`IntegrityError`); an in-process
        one may ignore it, since :func:`retrieve_checked` refuses a longer ciphertext anyway."""
        ...


def retrieve_checked(
    registry: DataRegistryClient,
    source: CiphertextSource,
    file_id: bytes,
    keys: FileKeys,
    record: FileRegistration | None = None,
    opens: CommitmentCheck | None = None,
) -> tuple[bytes, FileRegistration]:
    """Download, check against the chain, decrypt and check the commitment.

    Args:
        registry: Client of the on-chain registry.
        source: Who serves the ciphertext.
        file_id: The file.
        keys: Its data key, commitment salt and download token.
        record: The file's record if the caller already read it through ``registry.get_file``
            (which checked it against the chain); read here otherwise.
        opens: How the plaintext opens the commitment: the salted hash when ``None``; a record of
            the data market opens its Poseidon commitment (:func:`offchain.zk.record_opens`).

    Returns:
        The plaintext and the on-chain record it was checked against.

    Raises:
        InvalidInputError: if ``keys`` are not :class:`FileKeys` or ``file_id`` is not 32 bytes.
        UnknownFileError: if ``file_id`` is not registered.
        IntegrityError: if the ciphertext (its size, its hash), its Merkle root or the plaintext do not match the chain.
        VerificationError: if the envelope does not authenticate under the data key.
    """
    if not isinstance(keys, FileKeys):
        raise InvalidInputError(f"keys must be FileKeys, got {type(keys).__name__}")
    if record is None or record.file_id != file_id:
        record = registry.get_file(file_id)
    metadata = FileMetadata.from_bytes(record.metadata)
    # Its Merkle tree has block_count leaves: no longer ciphertext matches the registered root.
    most = metadata.block_count * metadata.block_size
    ciphertext = source.fetch(file_id, keys.download_token, max_bytes=most)
    if not isinstance(ciphertext, bytes | bytearray):
        raise IntegrityError(f"the source served a {type(ciphertext).__name__} for file 0x{file_id.hex()}, not bytes")
    if len(ciphertext) > most:
        raise IntegrityError(
            f"the source served {len(ciphertext)} bytes for file 0x{file_id.hex()}, registered as "
            f"{metadata.block_count} blocks of {metadata.block_size} bytes"
        )
    if sha256(sha256(ciphertext)) != record.ciphertext_hash:
        raise IntegrityError(
            f"ciphertext of file 0x{file_id.hex()} does not match the chain: H(H(f*)) = "
            f"0x{sha256(sha256(ciphertext)).hex()}, registered 0x{record.ciphertext_hash.hex()}"
        )
    root = MerkleTree.from_bytes(ciphertext, metadata.block_size).root
    if root != record.merkle_root:
        raise IntegrityError(
            f"Merkle root of file 0x{file_id.hex()} is 0x{root.hex()}, registered 0x{record.merkle_root.hex()}"
        )
    plaintext = envelope.decrypt(ciphertext, keys.data_key, file_id=file_id)
    if not (opens or _opens_salted_hash)(plaintext, keys, record.content_commitment):
        raise IntegrityError(f"plaintext of file 0x{file_id.hex()} does not open the registered commitment")
    logger.info("retrieved and checked file 0x%s (%d bytes)", file_id.hex(), len(plaintext))
    return plaintext, record
