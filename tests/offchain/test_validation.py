"""offchain.validation: what counts as an integer, a real number or an array of them, the same rule in every
module."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from gmpy2 import mpz
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from offchain.errors import InvalidInputError
from offchain.validation import (
    as_finite_float,
    is_finite_number,
    is_int,
    is_integer,
    parse_json,
    real_array,
    require_int,
)
from tests.offchain.fuzzing import json_text, json_values

NOT_INTEGERS = [True, False, 1.0, "1", b"\x01", None, Fraction(1), [1]]


@given(st.integers())
def test_is_int_holds_for_every_int(value):
    assert is_int(value)


@pytest.mark.parametrize("value", [*NOT_INTEGERS, mpz(1)], ids=repr)
def test_is_int_refuses_bools_mpz_and_non_integers(value):
    assert not is_int(value)


@given(st.integers())
def test_is_integer_holds_for_every_int_and_its_mpz(value):
    assert is_integer(value)
    assert is_integer(mpz(value))


@pytest.mark.parametrize("value", NOT_INTEGERS, ids=repr)
def test_is_integer_refuses_bools_and_non_integers(value):
    assert not is_integer(value)


@given(st.integers())
def test_require_int_returns_the_int_it_was_given(value):
    assert require_int(value, "count") is value


@pytest.mark.parametrize(("value", "kind"), [(True, "bool"), ("12", "str"), (1.5, "float"), (mpz(3), "mpz")])
def test_require_int_names_the_input_and_the_type_it_got(value, kind):
    with pytest.raises(InvalidInputError, match=f"^count must be an int, got {kind}$"):
        require_int(value, "count")


def test_require_int_does_not_echo_the_value_it_refuses():
    secret = "0x" + "5e" * 128  # a key share written as a string by mistake
    with pytest.raises(InvalidInputError) as caught:
        require_int(secret, "share")
    assert "5e5e" not in str(caught.value)


@given(st.one_of(st.integers(max_value=2**1023), st.floats(allow_nan=False, allow_infinity=False)))
def test_is_finite_number_holds_for_ints_in_the_float_range_and_finite_floats(value):
    assert is_finite_number(value)


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), -float("inf"), 10**400, -(10**400), True, "1.0", None, mpz(1)], ids=repr
)
def test_is_finite_number_refuses_non_finite_values_huge_ints_and_non_numbers(value):
    assert not is_finite_number(value)


NOT_REAL_ARRAYS = {
    "text": ["1.5", "2"],
    "bytes": [b"1"],
    "complex": [1 + 0j, 2.0],
    "complex-array": np.array([1 + 2j]),
    "none": [None, 1.0],
    "object": [object()],
    "ragged": [[1.0], [1.0, 2.0]],
    "int-beyond-float": [10**400],
    "big-int-beside-text": [10**400, "1.5"],
    "dates": np.array(["2026-12-07"], dtype="M8[D]"),
}


@given(arrays(np.float64, array_shapes(max_dims=2), elements=st.floats(allow_nan=False, allow_infinity=False)))
def test_real_array_keeps_finite_floats_as_they_are(values):
    assert np.array_equal(real_array(values, what="values"), values)


@given(st.lists(st.integers(-(2**53), 2**53), min_size=1))
def test_real_array_reads_ints_and_python_lists(values):
    assert real_array(values, what="values").tolist() == [float(v) for v in values]


def test_real_array_accepts_booleans_and_converts_to_the_dtype_asked_for():
    array = real_array(np.array([True, False]), np.float32, what="values")
    assert array.dtype == np.float32 and array.tolist() == [1.0, 0.0]


@pytest.mark.parametrize("values", NOT_REAL_ARRAYS.values(), ids=NOT_REAL_ARRAYS.keys())
def test_real_array_refuses_what_is_not_real_numbers_with_the_callers_error(values):
    class CallersError(InvalidInputError):
        pass

    with pytest.raises(CallersError, match=r"^features must be"):
        real_array(values, what="features", error=CallersError)


@pytest.mark.parametrize(
    ("values", "dtype"),
    [([np.nan], np.float64), ([np.inf], np.float64), ([-np.inf], np.float32), ([1e300], np.float32)],
    ids=["nan", "inf", "-inf-float32", "beyond-float32"],
)
def test_real_array_refuses_non_finite_values_unless_told_not_to(values, dtype):
    with pytest.raises(InvalidInputError, match="finite numbers in the range of"):
        real_array(values, dtype, what="values")
    assert real_array(values, dtype, what="values", finite=False).shape == (1,)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1.0), (-2.5, -2.5), (np.float32(0.5), 0.5), (np.int64(3), 3.0), (2**1023, float(2**1023))],
    ids=["int", "float", "float32", "int64", "large-int"],
)
def test_as_finite_float_reads_real_numbers(value, expected):
    assert as_finite_float(value) == expected


@pytest.mark.parametrize(
    "value",
    [True, np.bool_(False), "1", None, 1j, float("nan"), float("inf"), np.float64("-inf"), 10**400],
    ids=["bool", "numpy-bool", "str", "none", "complex", "nan", "inf", "-inf", "int-beyond-float"],
)
def test_as_finite_float_refuses_what_is_not_a_finite_real(value):
    assert as_finite_float(value) is None


@given(json_values)
def test_parse_json_reads_what_json_reads(value):
    text = json_text(value)
    assert parse_json(text) == json.loads(text)
    assert parse_json(text.encode()) == json.loads(text)


@pytest.mark.parametrize("opening", ["[", '{"a":'], ids=["arrays", "objects"])
def test_parse_json_refuses_a_document_nested_too_deeply_as_a_value_error(opening):
    closing = "]" if opening == "[" else "}"
    with pytest.raises(InvalidInputError, match="nested too deeply"):
        parse_json(opening * 100_000 + "0" + closing * 100_000)


def test_parse_json_keeps_jsons_own_errors():
    with pytest.raises(json.JSONDecodeError):
        parse_json("{")
    with pytest.raises(ValueError, match="4300 digits"):
        parse_json("1" * 5000)


def test_the_toolkit_reads_json_through_parse_json_only():
    """json.loads and httpx's Response.json() raise RecursionError on deep nesting, which an
    ``except ValueError`` misses; the toolkit's modules call parse_json instead."""
    root = Path(__file__).resolve().parents[2] / "offchain"
    callers = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "validation.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bjson\.loads?\(|\.json\(\)", line.split("#")[0]) and "``" not in line
    ]
    assert callers == []
