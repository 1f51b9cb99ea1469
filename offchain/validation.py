"""What counts as an integer input: one rule for every module of the toolkit.

Python's ``bool`` is a subclass of ``int``, so ``isinstance(True, int)`` holds; a flag passed where
a count, an index, a key share or a ciphertext is expected is a caller's mistake, and every check
here refuses it. The big integers of the cryptographic modules may also arrive as gmpy2 ``mpz``
(the type their arithmetic returns): :func:`is_integer` accepts those, :func:`is_int` does not.

The checks are type guards, so a caller keeps its own message and range rule
(``if not is_int(k) or not 1 <= k <= MAX_K: raise InvalidInputError(...)``) and the type checker
knows the value is an ``int`` after it.

A real-valued input (a weight, a utility, a revenue) is an ``int`` or a ``float``:
:func:`is_finite_number` refuses NaN, the infinities, and ints too large for a float, on which
``math.isfinite`` itself raises ``OverflowError`` instead of answering.
"""

from __future__ import annotations

import math
from typing import TypeGuard

from gmpy2 import mpz

from offchain.errors import InvalidInputError

__all__ = ["is_finite_number", "is_int", "is_integer", "require_int"]

_MPZ = type(mpz(0))


def is_int(value: object) -> TypeGuard[int]:
    """True for an ``int`` that is not a ``bool``."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_integer(value: object) -> TypeGuard[int | mpz]:
    """True for an ``int`` that is not a ``bool``, or a gmpy2 ``mpz``."""
    return isinstance(value, int | _MPZ) and not isinstance(value, bool)


def is_finite_number(value: object) -> TypeGuard[int | float]:
    """True for an ``int`` (not a ``bool``) or a ``float`` whose value is a finite float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the largest float
        return False


def require_int(value: object, name: str) -> int:
    """``value`` if :func:`is_int` holds for it.

    Raises:
        InvalidInputError: "``name`` must be an int, got <type>". The message names the type, never
            the value: what is checked may be key material (a share read from a file, say).
    """
    if not is_int(value):
        raise InvalidInputError(f"{name} must be an int, got {type(value).__name__}")
    return value
