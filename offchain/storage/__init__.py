"""Content-addressed blob stores: blobs are named by the SHA-256 of their bytes.

* :mod:`offchain.storage.base`: the :class:`BlobStore` protocol and the ``"sha256:<hex>"``
  locators (:func:`locator_for`, :func:`parse_locator`).
* :mod:`offchain.storage.filesystem`: :class:`FilesystemBlobStore`, blobs as files in a folder.

Stores are trusted for availability only: reads check every blob against its locator.
"""

from __future__ import annotations

from offchain.storage.base import LOCATOR_PREFIX, BlobStore, locator_for, parse_locator
from offchain.storage.filesystem import FilesystemBlobStore

__all__ = ["LOCATOR_PREFIX", "BlobStore", "FilesystemBlobStore", "locator_for", "parse_locator"]
