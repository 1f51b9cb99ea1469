"""The valuation layer's errors: a bad game, a bad record, data held twice."""

from __future__ import annotations

from offchain.errors import IntegrityError, InvalidInputError

__all__ = ["DuplicateDataError", "GameError", "ValuationRecordError"]


class GameError(InvalidInputError):
    """A utility table, pool, weight list or sampling setting is malformed (wrong length, type or
    sign); nothing was computed."""


class DuplicateDataError(InvalidInputError):
    """Owners hold identical records and the caller asked for them to be refused.

    Attributes:
        pairs: ``(owner, row, first_owner, first_row)`` of every row that repeats a row held by
            an owner of lower index.
    """

    def __init__(self, message: str, pairs: tuple[tuple[int, int, int, int], ...]) -> None:
        super().__init__(message)
        self.pairs = pairs


class ValuationRecordError(IntegrityError):
    """A valuation record is malformed or does not match its recorded hash."""
