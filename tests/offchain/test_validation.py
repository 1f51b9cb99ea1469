"""offchain.validation: what counts as an integer input, the same rule in every module."""

from __future__ import annotations

from fractions import Fraction

import pytest
from gmpy2 import mpz
from hypothesis import given
from hypothesis import strategies as st

from offchain.errors import InvalidInputError
from offchain.validation import is_finite_number, is_int, is_integer, require_int

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
