"""Content-addressed blob stores: blobs are named by the SHA-256 of their bytes.

* :mod:`offchain.storage.base`: the :class:`BlobStore` protocol and the ``"sha256:<hex>"``
  locators (:func:`locator_for`, :func:`parse_locator`).
* :mod:`offchain.storage.filesystem`: :class:`FilesystemBlobStore`, blobs as files in a folder.
* :mod:`offchain.storage.s3`: :class:`S3BlobStore`, blobs as objects of an S3 bucket (Amazon S3
  or any S3-compatible store). Imported on first use, so that ``import offchain.storage`` does
  not pay for boto3.

Stores are trusted for availability only: reads check every blob against its locator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from offchain.storage.base import LOCATOR_PREFIX, BlobStore, locator_for, parse_locator
from offchain.storage.filesystem import FilesystemBlobStore

if TYPE_CHECKING:
    from offchain.storage.s3 import S3BlobStore

__all__ = ["LOCATOR_PREFIX", "BlobStore", "FilesystemBlobStore", "S3BlobStore", "locator_for", "parse_locator"]


def __getattr__(name: str) -> object:
    if name == "S3BlobStore":
        from offchain.storage.s3 import S3BlobStore

        return S3BlobStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
