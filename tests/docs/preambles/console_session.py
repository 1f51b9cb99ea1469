"""Preamble of README's console block (`brownie console`): accounts[1] registers a file.

Runs in the console's namespace (``session``, ``accounts``); leaves ``file_id``, the id of that file.
"""

import secrets

from eth_utils import keccak

file_id = session.registry.register_file(  # noqa: F821 (the console's names)
    sender=accounts[1],  # noqa: F821
    content_commitment=keccak(secrets.token_bytes(32)),
    ciphertext_hash=keccak(b"readme: ciphertext"),
    locator="sha256:" + "ab" * 32,
).file_id
