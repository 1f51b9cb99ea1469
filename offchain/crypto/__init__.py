"""Cryptographic building blocks: hashing and hiding commitments, envelope encryption of files.

* :mod:`offchain.crypto.hashing`: SHA-256 / Keccak-256 digests, streaming file digests, and
  salted content commitments that do not reveal low-entropy contents.
* :mod:`offchain.crypto.envelope`: AES-256-GCM encryption of file contents under a fresh data
  key, chunked (STREAM construction) so files of any size stream in constant memory and any
  modification, truncation or reordering is detected.
"""

from __future__ import annotations

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

__all__ = [
    "COMMITMENT_DOMAIN",
    "DATA_KEY_BYTES",
    "DEFAULT_CHUNK_SIZE",
    "HEADER_BYTES",
    "MAX_CHUNK_SIZE",
    "MAX_FILE_ID_BYTES",
    "SALT_BYTES",
    "TAG_BYTES",
    "ciphertext_size",
    "content_commitment",
    "decrypt",
    "decrypt_file",
    "decrypt_stream",
    "encrypt",
    "encrypt_file",
    "encrypt_stream",
    "keccak256",
    "new_data_key",
    "new_salt",
    "sha256",
    "sha256_file",
    "verify_commitment",
]
