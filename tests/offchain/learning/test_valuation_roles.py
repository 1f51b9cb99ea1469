"""Theorems 2 and 3 (owners, miners and third parties) against hand-computed cases and the
generic Shapley value of the role game, and the miner splits (Eq. 7.13–7.16) on worked examples."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.learning.valuation import (
    GameError,
    Service,
    pbft_split,
    pos_split,
    pow_split,
    role_game_table,
    service_shares,
    services_shares,
    shapley_values,
)


def test_theorem_2_with_one_owner_splits_the_revenue_in_three():
    shares = service_shares([0.0, 0.8], 90.0)
    assert shares.owners == pytest.approx((30.0,))
    assert (shares.miners, shares.third_party) == pytest.approx((30.0, 30.0))


def test_theorem_2_with_two_symmetric_owners_matches_the_hand_computation():
    # u({1}) = u({2}) = a, u({1, 2}) = b: by hand φ_T = φ_M = (2a + 3b) / 12 and each owner
    # (3b − 2a) / 12; with a = 0.6, b = 0.9 and revenue b (scale 1): 0.325 and 0.125.
    shares = service_shares([0.0, 0.6, 0.6, 0.9], 0.9)
    assert shares.third_party == pytest.approx((2 * 0.6 + 3 * 0.9) / 12)
    assert shares.miners == pytest.approx((2 * 0.6 + 3 * 0.9) / 12)
    assert shares.owners == pytest.approx(((3 * 0.9 - 2 * 0.6) / 12,) * 2)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4).flatmap(lambda n: st.lists(st.floats(0.01, 1.0), min_size=1 << n, max_size=1 << n)))
def test_theorem_2_is_the_shapley_value_of_the_role_game(table):
    table = [0.0, *table[1:]]
    shares = service_shares(table, table[-1])  # revenue u(D): the game itself, unscaled
    generic = shapley_values(role_game_table(table))
    assert [*shares.owners, shares.miners, shares.third_party] == pytest.approx(generic, abs=1e-9)
    assert sum(shares.owners) + shares.miners + shares.third_party == pytest.approx(table[-1])


def test_theorem_3_sums_each_roles_parts_over_the_services():
    # Service 0 (third party 0) uses both owners; service 1 (third party 1) only owner 0.
    first = Service(third_party=0, table=[0.0, 0.6, 0.6, 0.9], revenue=0.9)
    second = Service(third_party=1, table=[0.0, 0.5, 0.0, 0.5], revenue=30.0)
    total = services_shares([first, second])
    # Service 1 alone is the one-owner game of owner 0: 10 each to owner 0, miners, third party 1.
    assert total.third_parties == pytest.approx(((2 * 0.6 + 3 * 0.9) / 12, 10.0))
    assert total.miners == pytest.approx((2 * 0.6 + 3 * 0.9) / 12 + 10.0)
    assert total.owners == pytest.approx(((3 * 0.9 - 2 * 0.6) / 12 + 10.0, (3 * 0.9 - 2 * 0.6) / 12))


def test_theorem_3_credits_one_third_party_with_all_its_services():
    service = Service(third_party=0, table=[0.0, 0.8], revenue=90.0)
    assert services_shares([service, service]).third_parties == pytest.approx((60.0,))


@pytest.mark.parametrize(
    ("split", "weights", "expected"),
    [
        (pow_split, [1, 2, 3], [5.0, 10.0, 15.0]),  # Eq. 7.13, φ_M = 30
        (pos_split, [32, 32, 64], [7.5, 7.5, 15.0]),  # Eq. 7.14
        (pbft_split, [4, 3, 1, 0], [15.0, 11.25, 3.75, 0.0]),  # Eq. 7.15–7.16, B = 8, r = 3.75
    ],
)
def test_the_miner_rules_match_worked_examples(split, weights, expected):
    assert split(30.0, weights) == pytest.approx(expected)


def test_the_docstring_examples_of_the_miner_rules():
    assert pow_split(30.0, [1, 2, 3]) == pytest.approx([5.0, 10.0, 15.0])
    assert pos_split(12.0, [32, 32, 64]) == pytest.approx([3.0, 3.0, 6.0])
    assert pbft_split(20.0, [4, 3, 1, 0]) == pytest.approx([10.0, 7.5, 2.5, 0.0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pow_split(1.0, []), "at least one"),
        (lambda: pow_split(1.0, [0, 0]), "positive total"),
        (lambda: pos_split(1.0, [-1, 2]), "non-negative"),
        (lambda: pbft_split(1.0, [1.5]), "ints"),
        (lambda: pbft_split(float("nan"), [1]), "finite"),
        (lambda: pbft_split(10**400, [1]), "finite"),
        (lambda: service_shares([0.0, 0.0], 5.0), "worth 0"),
        (lambda: service_shares([0.0, 1.0, 2.0], 5.0), "2\\^n"),
        (lambda: services_shares([]), "at least one service"),
        (lambda: services_shares([Service(0, [0.0, 1.0], 1.0), Service(0, [0.0, 1, 1, 1], 1.0)]), "same owners"),
        (lambda: services_shares([Service(-1, [0.0, 1.0], 1.0)]), "non-negative index"),
    ],
)
def test_bad_role_inputs_are_refused(call, message):
    with pytest.raises(GameError, match=message):
        call()
