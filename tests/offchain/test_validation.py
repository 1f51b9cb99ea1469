"""offchain.validation: what counts as an integer input, the same rule in every module."""

from __future__ import annotations

from fractions import Fraction

import pytest
from gmpy2 import mpz
from hypothesis import given
from hypothesis import strategies as st

from offchain.errors import InvalidInputError
from offchain.validation import is_int, is_integer, require_int

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
