"""What counts as an integer, a real number, an array of them or a JSON document: one rule for every
module of the toolkit.

Python's ``bool`` is a subclass of ``int``, so ``isinstance(True, int)`` holds; a flag passed where
a count, an index, a key share or a ciphertext is expected is a caller's mistake, and every check
here refuses it. The big integers of the cryptographic modules may also arrive as gmpy2 ``mpz``
(the type their arithmetic returns): :func:`is_integer` accepts those, :func:`is_int` does not.

The checks are type guards, so a caller keeps its own message and range rule
(``if not is_int(k) or not 1 <= k <= MAX_K: raise InvalidInputError(...)``) and the type checker
knows the value is an ``int`` after it.

A real-valued input (a weight, a utility, a revenue) is an ``int`` or a ``float``:
:func:`is_finite_number` refuses NaN, the infinities, and ints too large for a float, on which
``math.isfinite`` itself raises ``OverflowError`` instead of answering. An array of them (features,
vectors, queries) goes through :func:`real_array`, which turns numpy's own conversion errors
(``ValueError`` for text, ``TypeError`` for objects, ``OverflowError`` for huge ints) into the
caller's typed error, and refuses the conversions numpy would otherwise do silently: a string of
digits read as a number, a complex number stripped of its imaginary part.

Every JSON document the toolkit reads (from the chain, a service, a file another party wrote)
goes through :func:`parse_json`, so that a malformed one is always a ``ValueError``.
"""

from __future__ import annotations

import json
import math
import numbers
from typing import Any, TypeGuard

import numpy as np
from gmpy2 import mpz
from numpy.typing import DTypeLike, NDArray

from offchain.errors import InvalidInputError, OffchainError

__all__ = ["as_finite_float", "is_finite_number", "is_int", "is_integer", "parse_json", "real_array", "require_int"]

_MPZ = type(mpz(0))
_KINDS = {"U": "text", "S": "bytes", "c": "complex numbers", "M": "dates", "m": "time spans", "V": "records"}


def is_int(value: object) -> TypeGuard[int]:
    """True for an ``int`` that is not a ``bool``."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_integer(value: object) -> TypeGuard[int | mpz]:
    """True for an ``int`` that is not a ``bool``, or a gmpy2 ``mpz``."""
    return isinstance(value, int | _MPZ) and not isinstance(value, bool)


def is_finite_number(value: object) -> TypeGuard[int | float]:
    """True for an ``int`` (not a ``bool``) or a ``float`` whose value is a finite float."""
    return isinstance(value, int | float) and as_finite_float(value) is not None


def as_finite_float(value: object) -> float | None:
    """``float(value)`` for a real number whose value is a finite float, else ``None``.

    Wider than :func:`is_finite_number`: numpy's scalars (``float32``, ``int64``) and other
    registered reals are accepted too; bools, text, complex numbers, NaN, the infinities and ints
    beyond the float range are not.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return None
    try:
        as_float = float(value)
    except OverflowError:  # an int beyond the largest float
        return None
    return as_float if math.isfinite(as_float) else None


def require_int(value: object, name: str) -> int:
    """``value`` if :func:`is_int` holds for it.

    Raises:
        InvalidInputError: "``name`` must be an int, got <type>". The message names the type, never
            the value: what is checked may be key material (a share read from a file, say).
    """
    if not is_int(value):
        raise InvalidInputError(f"{name} must be an int, got {type(value).__name__}")
    return value


def real_array(
    values: object,
    dtype: DTypeLike = np.float64,
    *,
    what: str,
    error: type[OffchainError] = InvalidInputError,
    finite: bool = True,
) -> NDArray[Any]:
    """``values`` (an array or nested sequences of real numbers) as a numpy array of ``dtype``.

    Booleans, integers and floats are accepted, in arrays or as Python numbers; the result may be
    ``values`` itself when it already has ``dtype``. With ``finite`` (the default) NaN, the
    infinities and values beyond the range of ``dtype`` (1e300 as float32) are refused too.

    Raises:
        OffchainError: of the class ``error`` (InvalidInputError unless told), "``what`` must
            be ..." — on text, complex numbers, None, other objects, ragged nesting, ints beyond
            the float range, or (``finite``) non-finite values.
    """
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError, OverflowError):  # ragged nesting, objects numpy cannot hold
        raise error(f"{what} must be an array of real numbers") from None
    if raw.dtype.kind not in "biufO":
        raise error(f"{what} must be real numbers, not {_KINDS.get(raw.dtype.kind, raw.dtype.name)}")
    if raw.dtype.kind == "O" and not all(isinstance(v, numbers.Real | np.bool_) for v in raw.flat):
        raise error(f"{what} must be real numbers")  # None, text or complex among big ints, say
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            array = raw.astype(dtype, copy=False)
    except OverflowError:  # an int beyond the float range
        raise error(f"{what} must be finite numbers in the range of {np.dtype(dtype).name}") from None
    if finite and not np.isfinite(array).all():
        raise error(f"{what} must be finite numbers in the range of {np.dtype(dtype).name}")
    return array


def parse_json(document: str | bytes | bytearray) -> Any:
    """``json.loads(document)``, with a document nested too deeply refused as a ``ValueError`` too.

    ``json`` raises ``ValueError`` (``JSONDecodeError``) for malformed text and for an int of more
    than 4,300 digits, but ``RecursionError`` for nesting deeper than the recursion limit allows
    (some thousand brackets), which a caller's ``except ValueError`` does not catch: a payload of
    nested brackets posted by a malicious party would escape as an untyped error.

    Raises:
        InvalidInputError: the document is nested too deeply.
        ValueError: ``json``'s own errors.
    """
    try:
        return json.loads(document)
    except RecursionError:
        raise InvalidInputError("the JSON document is nested too deeply") from None
