"""Fuzzing helpers for the boundary tests (issue 12): garbage of every shape, tampered encodings,
and the check that only the toolkit's own errors (:class:`~offchain.errors.OffchainError`) escape
a function that takes outside input."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from offchain.errors import OffchainError

#: Settings for a decoder that costs microseconds, and for one that does full-size modular arithmetic.
CHEAP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
COSTLY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

#: Integers of every size, with the edges decoders trip on.
integers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**4200), max_value=2**4200),
    st.sampled_from([0, 1, -1, 2**8, 2**64 - 1, 2**64, 2**255, 2**256, 2**2048, -(2**2048)]),
)
scalars = st.one_of(st.none(), st.booleans(), integers, st.floats(), st.text(max_size=40), st.binary(max_size=80))
#: Values a JSON decoder can return: nested lists and objects of scalars.
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), integers, st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
#: Anything at all, for an argument of the wrong type.
junk = st.one_of(scalars, json_values, st.builds(object), st.tuples(scalars, scalars), st.frozensets(st.integers()))


def json_text(value: Any) -> str:
    """``value`` as JSON text (huge integers included: json writes them in full)."""
    return json.dumps(value)


@st.composite
def tampered_bytes(draw: st.DrawFn, valid: bytes) -> bytes:
    """``valid`` with a byte flipped, truncated, extended, or a slice replaced by random bytes."""
    data = bytearray(valid)
    how = draw(st.sampled_from(["flip", "truncate", "extend", "splice", "zero"]))
    if how == "flip" and data:
        position = draw(st.integers(0, len(data) - 1))
        data[position] ^= draw(st.integers(1, 255))
    elif how == "truncate":
        del data[draw(st.integers(0, len(data))) :]
    elif how == "extend":
        data += draw(st.binary(min_size=1, max_size=64))
    elif how == "splice" and data:
        start = draw(st.integers(0, len(data)))
        end = draw(st.integers(start, min(len(data), start + 64)))
        data[start:end] = draw(st.binary(max_size=64))
    else:
        data = bytearray(len(data))
    return bytes(data)


@st.composite
def tampered_json(draw: st.DrawFn, valid: Any) -> Any:
    """``valid`` (a JSON value) with one member, at any depth, deleted or replaced by junk."""
    if isinstance(valid, dict) and valid and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(valid)))
        out = dict(valid)
        choice = draw(st.sampled_from(["delete", "replace", "recurse"]))
        if choice == "delete":
            del out[key]
        elif choice == "replace":
            out[key] = draw(json_values)
        else:
            out[key] = draw(tampered_json(valid[key]))
        return out
    if isinstance(valid, list) and valid and draw(st.booleans()):
        position = draw(st.integers(0, len(valid) - 1))
        out_list = list(valid)
        out_list[position] = draw(st.one_of(json_values, tampered_json(valid[position])))
        return out_list
    return draw(json_values)


#: What :func:`project_errors_only` returns when the call raised one of the toolkit's errors.
REFUSED = object()


def project_errors_only(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, or :data:`REFUSED` when it raised one of the toolkit's errors.

    Any other exception propagates (the test fails with it); an error of ours must say what was
    wrong (a non-empty message).
    """
    try:
        return function(*args, **kwargs)
    except OffchainError as exc:
        assert str(exc), f"{type(exc).__name__} raised without a message"
        return REFUSED
