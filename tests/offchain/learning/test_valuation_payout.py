"""Whole-wei payouts (§7.4): apportioning a pool to the last wei, Theorem 2's split with the
miners' consensus rule, and every refusal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offchain.learning.valuation import GameError, apportion_wei, integer_shares, role_split_wei, service_shares

TABLE = [0.0, 0.47, 0.55, 0.56]


@pytest.mark.parametrize(
    ("pool", "weights", "expected"),
    [
        (10, [0.5, 0.25, 0.25], [6, 2, 2]),  # the docstring's worked example
        (7, [0.65, 0.35], [5, 2]),  # integer_shares' worked example, same rule
        (3, [1.0, 1.0, 1.0], [1, 1, 1]),
        (2, [1.0, 1.0, 1.0], [2, 0, 0]),  # remainder to the lowest index among equals
        (5, [0.0, 2.0], [0, 5]),
        (0, [1.0, 3.0], [0, 0]),
    ],
)
def test_apportioning_rounds_down_and_gives_the_remainder_to_the_largest_weight(pool, weights, expected):
    assert apportion_wei(pool, weights) == expected


@given(
    st.integers(min_value=0, max_value=10**30),
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=12).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_apportioned_amounts_sum_exactly_to_the_pool(pool, weights):
    shares = apportion_wei(pool, weights)
    assert sum(shares) == pool and all(s >= 0 for s in shares)


def test_apportioning_by_integer_shapley_weights_is_the_contracts_rule():
    table = [0, 60, 30, 100]
    assert apportion_wei(7, [130.0, 70.0]) == integer_shares(7, table) == [5, 2]


@pytest.mark.parametrize(
    ("pool", "weights", "match"),
    [
        (-1, [1.0], "non-negative int"),
        (1.5, [1.0], "non-negative int"),
        (True, [1.0], "non-negative int"),
        (10, [], "at least one weight"),
        (10, [1.0, -0.5], "non-negative"),
        (10, [float("inf")], "finite"),
        (10, [1.0, 10**400], "finite"),  # beyond the float range: math.isfinite overflows on it
        (10, [0.0, 0.0], "all weights are zero"),
    ],
)
def test_apportioning_refuses_bad_input(pool, weights, match):
    with pytest.raises(GameError, match=match):
        apportion_wei(pool, weights)


@pytest.mark.parametrize(
    ("rule", "weights"), [("pbft", [5, 4, 4, 4]), ("pos", [32.0, 32.0, 64.0]), ("pow", [1.0, 2.0, 3.0])]
)
def test_the_role_split_sums_to_the_pool_and_follows_theorem_2(rule, weights):
    pool = 10**18 + 7
    split = role_split_wei(pool, TABLE, rule, weights)
    assert split.total_wei == pool and len(split.miners) == len(weights)
    real = service_shares(TABLE, pool)
    for paid, exact in zip(
        [*split.owners, sum(split.miners), split.third_party],
        [*real.owners, real.miners, real.third_party],
        strict=True,
    ):
        assert abs(paid - exact) <= len(weights) + 3 + 1e-12 * pool  # rounding and float error only


def test_the_miners_part_follows_the_blocks_they_proposed():
    split = role_split_wei(8000, [0.0, 1.0], "pbft", [4, 3, 1, 0])
    assert split.miners[3] == 0 and split.miners[0] > split.miners[1] > split.miners[2]


def test_a_negative_owner_value_is_paid_nothing():
    # owner 1's data makes the model worse: its Theorem 2 value is negative
    split = role_split_wei(1000, [0.0, 0.8, 0.1, 0.6], "pos", [1.0])
    assert split.owners[1] == 0 and split.total_wei == 1000


@pytest.mark.parametrize(
    ("table", "rule", "weights", "match"),
    [
        (TABLE, "raft", [1.0], "unknown consensus rule"),
        (TABLE, "pbft", [1.5, 2.0], "ints"),
        (TABLE, "pos", [], "at least one miner"),
        (TABLE, "pow", [0.0, 0.0], "positive total"),
        ([0.0, 0.0], "pos", [1.0], "worth 0"),
        ([0.0, 0.5, 0.5], "pos", [1.0], "2\\^n"),
    ],
)
def test_the_role_split_refuses_bad_input(table, rule, weights, match):
    with pytest.raises(GameError, match=match):
        role_split_wei(100, table, rule, weights)
