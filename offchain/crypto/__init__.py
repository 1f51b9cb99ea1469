"""Cryptographic building blocks: hashing and commitments, envelope encryption, Merkle trees.

* :mod:`offchain.crypto.hashing`: SHA-256 / Keccak-256 digests, streaming file digests, and
  salted content commitments that do not reveal low-entropy contents.
* :mod:`offchain.crypto.envelope`: AES-256-GCM encryption of file contents under a fresh data
  key, chunked (STREAM construction) so files of any size stream in constant memory and any
  modification, truncation or reordering is detected.
* :mod:`offchain.crypto.merkle`: Merkle trees over item digests (file blocks, records) with
  inclusion proofs and multi-proofs, checked the same way by the ``MerkleAnchor`` contract.
* :mod:`offchain.crypto.batching`: records grouped into item blocks and data blocks, whose root
  is anchored on chain (Zheng et al. 2018 §4.4), with two-level record proofs.
"""

from __future__ import annotations

from offchain.crypto.batching import (
    ITEM_BLOCK_CAPACITY,
    DataBlock,
    Record,
    RecordProof,
    record_digest,
    verify_record,
)
from offchain.crypto.envelope import (
    DATA_KEY_BYTES,
    DEFAULT_CHUNK_SIZE,
    HEADER_BYTES,
    MAX_CHUNK_SIZE,
    MAX_FILE_ID_BYTES,
    TAG_BYTES,
    ciphertext_size,
    decrypt,
    decrypt_file,
    decrypt_stream,
    encrypt,
    encrypt_file,
    encrypt_stream,
    new_data_key,
)
from offchain.crypto.hashing import (
    COMMITMENT_DOMAIN,
    SALT_BYTES,
    content_commitment,
    keccak256,
    new_salt,
    sha256,
    sha256_file,
    verify_commitment,
)
from offchain.crypto.merkle import (
    DEFAULT_BLOCK_SIZE,
    DIGEST_BYTES,
    EMPTY_LEAF,
    MAX_PROOF_DEPTH,
    InclusionProof,
    MerkleTree,
    MultiProof,
    block_digests,
    implied_root,
    leaf_hash,
    node_hash,
    verify_inclusion,
    verify_multiproof,
)

__all__ = [
    "COMMITMENT_DOMAIN",
    "DATA_KEY_BYTES",
    "DEFAULT_BLOCK_SIZE",
    "DEFAULT_CHUNK_SIZE",
    "DIGEST_BYTES",
    "EMPTY_LEAF",
    "HEADER_BYTES",
    "ITEM_BLOCK_CAPACITY",
    "MAX_CHUNK_SIZE",
    "MAX_FILE_ID_BYTES",
    "MAX_PROOF_DEPTH",
    "SALT_BYTES",
    "TAG_BYTES",
    "DataBlock",
    "InclusionProof",
    "MerkleTree",
    "MultiProof",
    "Record",
    "RecordProof",
    "block_digests",
    "ciphertext_size",
    "content_commitment",
    "decrypt",
    "decrypt_file",
    "decrypt_stream",
    "encrypt",
    "encrypt_file",
    "encrypt_stream",
    "implied_root",
    "keccak256",
    "leaf_hash",
    "new_data_key",
    "new_salt",
    "node_hash",
    "record_digest",
    "sha256",
    "sha256_file",
    "verify_commitment",
    "verify_inclusion",
    "verify_multiproof",
    "verify_record",
]
