"""What the data-validity proof is about: a buyer's requirement, an owner's record, their commitments.

Research: Feng et al. 2022 §5. The buyer (the paper's cloud service organisation) states what
data it needs; here a :class:`Requirement` is one inclusive range per field, each either
required or optional, plus the minimum number of fields in range (the paper's calculation result
R must reach it). The buyer publishes the requirement's Poseidon commitment on chain and gives
owners its opening (:meth:`Requirement.to_json`). A data owner's :class:`Record` is n unsigned
64-bit fields and a salt; its commitment h is what the owner registers in ``DataRegistry``.

The commitments are those of ``circuits/data_validity.circom`` (its header is the reference):

* ``Hn(x_1..x_n)`` = Poseidon(x_1..x_n) for n <= 16, else Poseidon of the chunks' hashes;
* record: h = Poseidon(d_1..d_n, r) when n + 1 <= 16 inputs, else Poseidon(Hn(d), r);
* requirement: Poseidon(Hn(lo), Hn(hi), sum of required_i * 2^i, nonce).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from offchain.errors import InvalidInputError
from offchain.validation import is_int, parse_json
from offchain.zk.poseidon import MAX_INPUTS, SNARK_SCALAR_FIELD, poseidon

__all__ = [
    "MAX_VALUE",
    "VALUE_BITS",
    "FieldRange",
    "Record",
    "Requirement",
    "hash_many",
    "record_commitment",
    "record_opens",
]

#: Each field of a record is an unsigned integer of this many bits.
VALUE_BITS = 64
#: The largest field value.
MAX_VALUE = (1 << VALUE_BITS) - 1


def _require_field_element(value: object, what: str) -> int:
    if not is_int(value) or not 0 <= value < SNARK_SCALAR_FIELD:
        raise InvalidInputError(f"{what} must be an integer in [0, {SNARK_SCALAR_FIELD}), got {value!r}")
    return value


def _require_value(value: object, what: str) -> int:
    if not is_int(value) or not 0 <= value <= MAX_VALUE:
        raise InvalidInputError(f"{what} must be an integer in [0, 2^{VALUE_BITS}), got {value!r}")
    return value


def hash_many(values: Sequence[int]) -> int:
    """``Hn``: Poseidon of the values, in chunks of 16 (then Poseidon of the chunk hashes) past 16."""
    if len(values) <= MAX_INPUTS:
        return poseidon(values)
    chunks = [poseidon(values[start : start + MAX_INPUTS]) for start in range(0, len(values), MAX_INPUTS)]
    if len(chunks) > MAX_INPUTS:
        raise InvalidInputError(f"at most {MAX_INPUTS * MAX_INPUTS} values can be hashed, got {len(values)}")
    return poseidon(chunks)


def record_commitment(values: Sequence[int], salt: int) -> int:
    """The record commitment h of the circuit's header."""
    if len(values) + 1 <= MAX_INPUTS:
        return poseidon([*values, salt])
    return poseidon([hash_many(values), salt])


@dataclass(frozen=True)
class FieldRange:
    """The requirement on one field: ``lo <= value <= hi``, and whether the field must meet it.

    A field the buyer does not care about has an empty range (``lo > hi``, see :meth:`ignored`)
    and is optional: it constrains nothing and never counts towards R.
    """

    lo: int
    hi: int
    required: bool = False

    def __post_init__(self) -> None:
        _require_value(self.lo, "a range's lower bound")
        _require_value(self.hi, "a range's upper bound")
        if not isinstance(self.required, bool):
            raise InvalidInputError(f"required must be a bool, got {self.required!r}")
        if self.required and self.lo > self.hi:
            raise InvalidInputError(f"a required field's range [{self.lo}, {self.hi}] is empty: nothing could meet it")

    @classmethod
    def ignored(cls) -> FieldRange:
        """A field with no requirement: it is not checked and does not count towards R."""
        return cls(lo=1, hi=0, required=False)

    @classmethod
    def exactly(cls, value: int, *, required: bool = True) -> FieldRange:
        """The field must equal ``value`` (a code, a category)."""
        return cls(lo=value, hi=value, required=required)

    @property
    def is_ignored(self) -> bool:
        """True for an empty range: the field is never counted."""
        return self.lo > self.hi

    def contains(self, value: int) -> bool:
        """Whether ``value`` lies in the range."""
        return self.lo <= value <= self.hi


@dataclass(frozen=True)
class Record:
    """A data owner's record: n unsigned 64-bit fields and the salt of its commitment."""

    values: tuple[int, ...]
    salt: int

    def __post_init__(self) -> None:
        if not isinstance(self.values, tuple) or not self.values:
            raise InvalidInputError("a record needs a non-empty tuple of field values")
        for index, value in enumerate(self.values):
            _require_value(value, f"field {index}")
        _require_field_element(self.salt, "the record's salt")

    @classmethod
    def create(cls, values: Iterable[int], salt: int | None = None) -> Record:
        """A record with a fresh random salt unless one is given."""
        return cls(tuple(values), secrets.randbelow(SNARK_SCALAR_FIELD) if salt is None else salt)

    @property
    def field_count(self) -> int:
        """n, the number of fields."""
        return len(self.values)

    @property
    def commitment(self) -> int:
        """h, the record's Poseidon commitment (a field element)."""
        return record_commitment(self.values, self.salt)

    @property
    def commitment_bytes(self) -> bytes:
        """h as the 32 bytes registered in ``DataRegistry`` (big-endian)."""
        return self.commitment.to_bytes(32, "big")

    def to_bytes(self) -> bytes:
        """The canonical file content: what the owner encrypts and stores, and the buyer opens."""
        return json.dumps(
            {"fields": [str(v) for v in self.values], "salt": str(self.salt)}, separators=(",", ":")
        ).encode()

    @classmethod
    def from_bytes(cls, content: bytes) -> Record:
        """Parse :meth:`to_bytes` output.

        Raises:
            InvalidInputError: if the content is not a record.
        """
        try:
            parsed = parse_json(content)
            values = tuple(int(v) for v in parsed["fields"])
            salt = int(parsed["salt"])
        except (ValueError, KeyError, TypeError, OverflowError) as error:  # OverflowError: int(inf)
            raise InvalidInputError(f"not a record: {error}") from error
        return cls(values, salt)


@dataclass(frozen=True)
class Requirement:
    """A buyer's requirement over records of n fields (Feng et al. 2022 §5).

    Attributes:
        ranges: One :class:`FieldRange` per field.
        min_satisfied: R must be at least this (the contract checks it).
        nonce: Makes the commitment unique: the market refuses a commitment it has seen, so a
            proof binds to exactly one requirement.
    """

    ranges: tuple[FieldRange, ...]
    min_satisfied: int
    nonce: int

    def __post_init__(self) -> None:
        if not isinstance(self.ranges, tuple) or not self.ranges:
            raise InvalidInputError("a requirement needs a non-empty tuple of field ranges")
        if not all(isinstance(r, FieldRange) for r in self.ranges):
            raise InvalidInputError("every range must be a FieldRange")
        countable = sum(not r.is_ignored for r in self.ranges)
        if not isinstance(self.min_satisfied, int) or not 1 <= self.min_satisfied <= countable:
            raise InvalidInputError(
                f"min_satisfied must be 1..{countable} (the fields that are not ignored), got {self.min_satisfied!r}"
            )
        if self.min_satisfied < sum(r.required for r in self.ranges):
            raise InvalidInputError("min_satisfied is below the number of required fields, which always count")
        _require_field_element(self.nonce, "the requirement's nonce")

    @classmethod
    def create(cls, ranges: Iterable[FieldRange], min_satisfied: int | None = None) -> Requirement:
        """A requirement with a fresh random nonce; ``min_satisfied`` defaults to the required fields' count."""
        ranges = tuple(ranges)
        minimum = sum(r.required for r in ranges) if min_satisfied is None else min_satisfied
        return cls(ranges, max(minimum, 1), secrets.randbelow(SNARK_SCALAR_FIELD))

    @property
    def field_count(self) -> int:
        """n, the number of fields."""
        return len(self.ranges)

    @property
    def required_mask(self) -> int:
        """Bit i set when field i is required."""
        return sum(1 << i for i, r in enumerate(self.ranges) if r.required)

    @property
    def commitment(self) -> int:
        """The requirement's Poseidon commitment (a field element), as the buyer posts it."""
        lows = hash_many([r.lo for r in self.ranges])
        highs = hash_many([r.hi for r in self.ranges])
        return poseidon([lows, highs, self.required_mask, self.nonce])

    @property
    def commitment_bytes(self) -> bytes:
        """The commitment as 32 big-endian bytes."""
        return self.commitment.to_bytes(32, "big")

    def _check_width(self, record: Record) -> None:
        if record.field_count != self.field_count:
            raise InvalidInputError(
                f"the record has {record.field_count} fields, the requirement is for {self.field_count}"
            )

    def satisfied_by(self, record: Record) -> int:
        """R: how many of the record's fields are in range."""
        self._check_width(record)
        return sum(r.contains(v) for r, v in zip(self.ranges, record.values, strict=True))

    def unmet_required(self, record: Record) -> tuple[int, ...]:
        """Indices of required fields that the record does not meet."""
        self._check_width(record)
        return tuple(
            i
            for i, (r, v) in enumerate(zip(self.ranges, record.values, strict=True))
            if r.required and not r.contains(v)
        )

    def to_json(self) -> str:
        """The opening the buyer gives owners (and whose keccak it posts as the description hash)."""
        return json.dumps(
            {
                "ranges": [[str(r.lo), str(r.hi), r.required] for r in self.ranges],
                "min_satisfied": self.min_satisfied,
                "nonce": str(self.nonce),
            },
            separators=(",", ":"),
        )

    @property
    def description_hash(self) -> bytes:
        """keccak256 of :meth:`to_json`: lets an owner check the opening it got against the chain."""
        return keccak(self.to_json().encode())

    @classmethod
    def from_json(cls, text: str | bytes) -> Requirement:
        """Parse :meth:`to_json` output.

        Raises:
            InvalidInputError: if the text is not a requirement.
        """
        try:
            parsed: Any = parse_json(text)
            ranges = tuple(FieldRange(int(lo), int(hi), required) for lo, hi, required in parsed["ranges"])
            return cls(ranges, int(parsed["min_satisfied"]), int(parsed["nonce"]))
        except (ValueError, KeyError, TypeError, OverflowError) as error:  # OverflowError: int(inf)
            raise InvalidInputError(f"not a requirement: {error}") from error


def record_opens(plaintext: bytes, _keys: object, commitment: bytes) -> bool:
    """Whether a downloaded file is a :class:`Record` whose commitment h is ``commitment``.

    The commitment check of :func:`offchain.protocols.retrieval.retrieve_checked` for records
    registered for the data market (their registered commitment is Poseidon, not a salted hash).
    """
    try:
        return Record.from_bytes(plaintext).commitment_bytes == bytes(commitment)
    except InvalidInputError:
        return False
