"""The data behind the Fig. 7.4–7.9 trends (Shen, Zhu, Xu ch. 7 §7.5) and the PNGs drawn from it."""

from __future__ import annotations

import pytest

from offchain.learning.valuation import GameError
from offchain.learning.valuation.figures import (
    f1_ratio,
    plot_revenue_by_samples,
    plot_role_shares,
    revenue_by_samples,
    role_shares_by_f1_ratio,
    role_shares_by_group_size,
    symmetric_table,
)


def test_the_symmetric_table_rises_linearly_from_the_ratio_to_the_full_f1():
    assert symmetric_table(3, 0.4, 0.9) == pytest.approx([0, 0.36, 0.36, 0.63, 0.36, 0.63, 0.63, 0.9])
    assert f1_ratio(symmetric_table(3, 0.4, 0.9)) == pytest.approx(0.4)


def test_owners_take_less_as_one_owners_data_comes_closer_to_all_of_it():
    shares = role_shares_by_f1_ratio([0.2, 0.5, 0.8, 1.0], 3)
    assert shares["owners"] == sorted(shares["owners"], reverse=True)
    assert shares["miners"] == pytest.approx(shares["third party"])
    for row in zip(*shares.values(), strict=True):
        assert sum(row) == pytest.approx(1.0)


def test_owners_take_less_together_as_their_group_grows_when_their_data_overlaps():
    shares = role_shares_by_group_size([1, 2, 4, 6], 0.8)
    assert shares["owners"][0] == pytest.approx(1 / 3)
    assert shares["owners"] == sorted(shares["owners"], reverse=True)


def test_revenue_by_samples_pairs_each_owners_rows_with_its_theorem_1_revenue():
    points = revenue_by_samples({"svm": [0.0, 0.6, 0.3, 1.0]}, [200, 100], 1000.0)
    assert points == {"svm": [(100, pytest.approx(350.0)), (200, pytest.approx(650.0))]}


def test_the_figures_are_written_as_pngs(tmp_path):
    plot_revenue_by_samples({"svm": [(100, 1.0), (200, 2.0)], "knn": [(100, 1.5), (200, 1.5)]}, tmp_path / "a.png")
    ratios, sizes = [0.5, 1.0], [1, 2]
    by_ratio, by_size = role_shares_by_f1_ratio(ratios, 2), role_shares_by_group_size(sizes, 0.5)
    plot_role_shares(ratios, by_ratio, sizes, by_size, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "b.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("owners", "ratio"), [(0, 0.5), (17, 0.5), (2, 0.0), (2, 1.5), (True, 0.5)])
def test_a_bad_symmetric_game_is_refused(owners, ratio):
    with pytest.raises(GameError):
        symmetric_table(owners, ratio)


def test_a_worthless_grand_coalition_has_no_f1_ratio():
    with pytest.raises(GameError, match="worth 0"):
        f1_ratio([0.0, 0.0])
