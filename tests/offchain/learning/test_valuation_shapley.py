"""Exact Shapley values of a table and the contract's integer split (Shen, Zhu, Xu ch. 7 §7.3):
the axioms on random games, an independent brute force over orders, the documented rounding rule."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.learning.valuation import (
    GameError,
    integer_shares,
    normalised_shapley,
    shapley_fractions,
    shapley_numerators,
    shapley_values,
)

AXIOMS = settings(max_examples=60, deadline=None)


@st.composite
def integer_games(draw: st.DrawFn, max_players: int = 6) -> list[int]:
    n = draw(st.integers(1, max_players))
    return draw(st.lists(st.integers(0, 10**6), min_size=1 << n, max_size=1 << n))


@st.composite
def float_games(draw: st.DrawFn, max_players: int = 6) -> list[float]:
    n = draw(st.integers(1, max_players))
    values = st.floats(-1.0, 1.0, allow_nan=False)
    return draw(st.lists(values, min_size=1 << n, max_size=1 << n))


def brute_force(table: list[float]) -> list[float]:
    """The mean marginal contribution over every order of the players (the permutation form)."""
    n = (len(table)).bit_length() - 1
    totals = [0.0] * n
    for order in itertools.permutations(range(n)):
        mask = 0
        for player in order:
            totals[player] += table[mask | 1 << player] - table[mask]
            mask |= 1 << player
    return [t / math.factorial(n) for t in totals]


@AXIOMS
@given(float_games())
def test_exact_shapley_equals_the_brute_force_over_orders(table):
    for exact, brute in zip(shapley_values(table), brute_force(table), strict=True):
        assert exact == pytest.approx(brute, abs=1e-9)


@AXIOMS
@given(integer_games())
def test_the_rational_values_equal_the_float_values_and_sum_to_the_grand_coalition(table):
    exact = shapley_fractions(table)
    assert sum(exact) == table[-1] - table[0]
    for rational, approx in zip(exact, shapley_values(table), strict=True):
        assert float(rational) == pytest.approx(approx, abs=1e-6)


@AXIOMS
@given(float_games())
def test_efficiency_the_values_sum_to_the_grand_coalitions_gain(table):
    assert math.fsum(shapley_values(table)) == pytest.approx(table[-1] - table[0], abs=1e-9)


@AXIOMS
@given(float_games(max_players=5), st.data())
def test_symmetry_players_with_equal_marginals_get_equal_values(table, data):
    n = len(table).bit_length() - 1
    if n < 2:
        return
    i, j = data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
    symmetric = list(table)
    for mask in range(1 << n):  # make v(S ∪ {i}) = v(S ∪ {j}) for every S without i and j
        if not mask >> i & 1 and not mask >> j & 1:
            symmetric[mask | 1 << j] = symmetric[mask | 1 << i]
    values = shapley_values(symmetric)
    assert values[i] == pytest.approx(values[j], abs=1e-9)


@AXIOMS
@given(float_games(max_players=5), st.data())
def test_a_null_player_gets_nothing(table, data):
    n = len(table).bit_length() - 1
    null = data.draw(st.integers(0, n - 1))
    game = [table[mask & ~(1 << null)] for mask in range(1 << n)]
    assert shapley_values(game)[null] == pytest.approx(0.0, abs=1e-12)


@AXIOMS
@given(
    st.integers(1, 5).flatmap(lambda n: st.tuples(*[st.lists(st.floats(-1, 1), min_size=1 << n, max_size=1 << n)] * 2))
)
def test_additivity_the_value_of_a_sum_of_games_is_the_sum_of_values(games):
    first, second = games
    total = shapley_values([a + b for a, b in zip(first, second, strict=True)])
    for value, a, b in zip(total, shapley_values(first), shapley_values(second), strict=True):
        assert value == pytest.approx(a + b, abs=1e-9)


@AXIOMS
@given(integer_games(), st.integers(0, 10**30))
def test_integer_shares_sum_exactly_to_the_pool(table, pool):
    shares = integer_shares(pool, table)
    assert sum(shares) == pool
    assert all(s >= 0 for s in shares)


@AXIOMS
@given(integer_games(), st.integers(0, 10**24))
def test_integer_shares_follow_the_documented_rule(table, pool):
    phi = [max(v, 0) for v in shapley_numerators(table)]
    n, total = len(phi), sum(phi)
    if total == 0:
        expected = [pool // n] * n
        expected[0] += pool - n * (pool // n)
    else:
        expected = [pool * v // total for v in phi]
        best = phi.index(max(phi))  # index() finds the lowest index of the largest value
        expected[best] += pool - sum(expected)
    assert integer_shares(pool, table) == expected
    for share, value in zip(integer_shares(pool, table), phi, strict=True):
        exact = Fraction(pool * value, total) if total else Fraction(pool, n)
        assert abs(share - exact) < n  # off by less than the remainder


def test_the_docstrings_worked_example():
    assert shapley_numerators([0, 60, 30, 100]) == [130, 70]
    assert shapley_fractions([0, 60, 30, 100]) == [65, 35]
    assert integer_shares(7, [0, 60, 30, 100]) == [5, 2]
    assert integer_shares(1000, [0, 60, 30, 100]) == [650, 350]


def test_negative_values_clamp_to_zero_in_the_integer_split():
    # Player 1 hurts every coalition it joins: φ_1 < 0, so player 0 takes the whole pool.
    table = [0, 100, 0, 40]
    assert shapley_numerators(table)[1] < 0
    assert integer_shares(999, table) == [999, 0]


def test_the_remainder_goes_to_the_lowest_index_among_equal_largest_values():
    table = [0, 1, 1, 2, 1, 2, 2, 3]  # three symmetric players, φ = 1 each
    assert integer_shares(10, table) == [4, 3, 3]


def test_a_game_where_nobody_adds_anything_splits_the_pool_equally_with_the_remainder_to_index_0():
    assert integer_shares(11, [5, 5, 5, 5, 5, 5, 5, 5]) == [5, 3, 3]


def test_theorem_1_shares_revenue_in_proportion_to_the_values():
    assert normalised_shapley([0, 60, 30, 100], 1000.0) == pytest.approx([650.0, 350.0])
    assert normalised_shapley([0.5, 0.5], 10.0) == [10.0]


@pytest.mark.parametrize(
    ("pool", "table", "message"),
    [
        (-1, [0, 1], "pool"),
        (1.5, [0, 1], "pool"),
        (True, [0, 1], "pool"),
        (10, [0, 1, 2], "2\\^n"),
        (10, [0], "2\\^n"),
        (10, [0, -1], "non-negative"),
        (10, [0, 1.0], "non-negative"),
        (10, "ab", "sequence"),
    ],
)
def test_a_bad_pool_or_table_is_refused(pool, table, message):
    with pytest.raises(GameError, match=message):
        integer_shares(pool, table)


@pytest.mark.parametrize("table", [[0.0, float("nan")], [0.0, 10**400], [0.0, "x"], [1.0, 2.0, 3.0], 7])
def test_a_bad_float_table_is_refused(table):
    with pytest.raises(GameError):
        shapley_values(table)


@pytest.mark.parametrize("revenue", [float("inf"), float("nan"), 10**400, True])
def test_a_non_finite_revenue_is_refused(revenue):
    with pytest.raises(GameError, match="revenue"):
        normalised_shapley([0.0, 1.0], revenue)
