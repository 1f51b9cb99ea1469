"""The valuation record: what a coalition table was computed from, so that anyone can recompute it.

Research: Shen, Zhu, Xu, ch. 7 §7.2–7.3 (the third party's revenue is shared by the owners'
Shapley values, which everyone must be able to check) and issue 15: each owner's training data
is a file registered in the ``DataRegistry``, so the record names the owners' file ids, the
test set's SHA-256 (:func:`digest_test_set`), the utility model and the table of utilities. The
agencies approve the record's hash (:meth:`ValuationRecord.canonical_hash`); the integer table
the ``ShapleyPayout`` contract takes is :meth:`ValuationRecord.scaled_table`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from offchain.learning.valuation.errors import ValuationRecordError
from offchain.learning.valuation.shapley import player_count
from offchain.learning.valuation.utility import MODELS
from offchain.validation import is_finite_number, is_int, parse_json, real_array

__all__ = ["RECORD_VERSION", "UTILITY_SCALE", "ValuationRecord", "digest_test_set", "scale_utilities"]

#: Schema version of :class:`ValuationRecord`'s JSON.
RECORD_VERSION = 1
#: Utilities in [0, 1] become integers in [0, UTILITY_SCALE] for the contract (F1 to 6 decimals).
UTILITY_SCALE = 10**6
_FILE_ID = re.compile(r"0x[0-9a-f]{64}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TEST_DOMAIN = b"datashare.valuation.test-set.v1"


def digest_test_set(features: ArrayLike, labels: ArrayLike) -> str:
    """SHA-256 (hex) of a test set: a domain tag, rows and columns as 8-byte little-endian ints,
    the features as little-endian float64 in row order, then the labels (±1) as little-endian int64.

    Raises:
        ValuationRecordError: features that are not real numbers, labels other than ±1, or shapes
            that do not match.
    """
    x = np.ascontiguousarray(
        real_array(features, "<f8", what="a test set's features", error=ValuationRecordError, finite=False)
    )
    labels_read = real_array(labels, "<f8", what="a test set's labels", error=ValuationRecordError)
    if not np.isin(labels_read, (-1, 1)).all():  # 1.5 would otherwise be hashed as 1
        raise ValuationRecordError("a test set's labels must be ±1")
    y = np.ascontiguousarray(labels_read.astype("<i8"))
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValuationRecordError(f"a test set is rows × features with one label per row, got {x.shape}, {y.shape}")
    shape = x.shape[0].to_bytes(8, "little") + x.shape[1].to_bytes(8, "little")
    return hashlib.sha256(_TEST_DOMAIN + shape + x.tobytes() + y.tobytes()).hexdigest()


def scale_utilities(utilities: Sequence[float], scale: int = UTILITY_SCALE) -> list[int]:
    """round(u · scale) of each utility (ties to even), for the contract's integer table.

    Raises:
        ValuationRecordError: A utility outside [0, 1] or not finite, or a scale < 1.
    """
    if not is_int(scale) or scale < 1:
        raise ValuationRecordError(f"the scale must be a positive int, got {scale!r}")
    if not all(is_finite_number(u) and 0 <= u <= 1 for u in utilities):
        raise ValuationRecordError("utilities must be finite numbers in [0, 1]")
    return [round(u * scale) for u in utilities]


@dataclass(frozen=True)
class ValuationRecord:
    """Everything needed to recompute a valuation.

    Attributes:
        owner_file_ids: The ``DataRegistry`` file id of each owner's training data, in owner
            (bit) order: ``0x`` and 64 lowercase hex digits.
        test_set_sha256: :func:`digest_test_set` of the held-out test set (64 hex digits).
        model: The utility model (``"svm"``, ``"rf"``, ``"knn"``).
        utilities: The 2^n test F1 scores, indexed by bitmask (bit i = owner i).
        scale: The integer scale of :meth:`scaled_table`.
        note: Free text (dataset, split, preprocessing); hashed with the rest.
    """

    owner_file_ids: tuple[str, ...]
    test_set_sha256: str
    model: str
    utilities: tuple[float, ...]
    scale: int = UTILITY_SCALE
    note: str = ""

    def __post_init__(self) -> None:
        ids = self.owner_file_ids
        if not isinstance(ids, tuple) or not all(isinstance(i, str) and _FILE_ID.fullmatch(i) for i in ids):
            raise ValuationRecordError("owner file ids must be a tuple of 0x-prefixed lowercase bytes32 hex strings")
        if len(set(ids)) != len(ids):
            raise ValuationRecordError("an owner file id appears twice")
        if not isinstance(self.test_set_sha256, str) or not _SHA256.fullmatch(self.test_set_sha256):
            raise ValuationRecordError("the test set's SHA-256 must be 64 lowercase hex digits")
        if self.model not in MODELS:
            raise ValuationRecordError(f"unknown model {self.model!r}; known: {MODELS}")
        if not isinstance(self.utilities, tuple) or not isinstance(self.note, str):
            raise ValuationRecordError("utilities must be a tuple and the note a string")
        try:
            n = player_count(self.utilities)
        except ValueError as exc:
            raise ValuationRecordError(str(exc)) from None
        if n != len(ids):
            raise ValuationRecordError(f"{len(ids)} owners need 2^{len(ids)} utilities, got {len(self.utilities)}")
        if any(isinstance(u, bool) for u in self.utilities):
            raise ValuationRecordError("utilities must be numbers")
        scale_utilities(self.utilities, self.scale)
        object.__setattr__(self, "utilities", tuple(float(u) for u in self.utilities))  # 1 and 1.0 hash alike

    def scaled_table(self) -> list[int]:
        """The integer table for :func:`~offchain.learning.valuation.shapley.integer_shares` and the contract."""
        return scale_utilities(self.utilities, self.scale)

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready values."""
        return {
            "version": RECORD_VERSION,
            "owner_file_ids": list(self.owner_file_ids),
            "test_set_sha256": self.test_set_sha256,
            "model": self.model,
            "utilities": list(self.utilities),
            "scale": self.scale,
            "note": self.note,
        }

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no spaces, floats in Python's shortest round-trip form."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    def canonical_hash(self) -> str:
        """SHA-256 (hex) of :meth:`to_json`'s UTF-8 bytes."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    @classmethod
    def from_json(cls, text: str | bytes, *, expected_hash: str | None = None) -> ValuationRecord:
        """Parse :meth:`to_json`'s output (and check its hash when ``expected_hash`` is given).

        Raises:
            ValuationRecordError: Not JSON, a missing or extra field, a wrong version, a bad
                value, or a hash other than ``expected_hash``.
        """
        try:
            data = parse_json(text)
        except (TypeError, ValueError):
            raise ValuationRecordError("a valuation record must be JSON text") from None
        fields = {"version", "owner_file_ids", "test_set_sha256", "model", "utilities", "scale", "note"}
        if not isinstance(data, dict) or set(data) != fields:
            raise ValuationRecordError(f"a valuation record has exactly the fields {sorted(fields)}")
        if data["version"] != RECORD_VERSION or isinstance(data["version"], bool):
            raise ValuationRecordError(f"expected record version {RECORD_VERSION}, found {data['version']!r}")
        if not isinstance(data["owner_file_ids"], list) or not isinstance(data["utilities"], list):
            raise ValuationRecordError("owner file ids and utilities must be lists")
        record = cls(
            owner_file_ids=tuple(data["owner_file_ids"]),
            test_set_sha256=data["test_set_sha256"],
            model=data["model"],
            utilities=tuple(data["utilities"]),
            scale=data["scale"],
            note=data["note"],
        )
        if expected_hash is not None and record.canonical_hash() != expected_hash:
            raise ValuationRecordError(f"expected record hash {expected_hash}, found {record.canonical_hash()}")
        return record
