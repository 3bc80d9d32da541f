"""The rating figures a product page draws from its reviews counted by star."""

from decimal import Decimal

from qkart.reviews.services import RatingSummary


def test_no_reviews_is_zero_with_empty_bars():
    summary = RatingSummary({})
    assert (summary.count, summary.average, summary.stars) == (0, Decimal("0.0"), 0)
    assert summary.bars == [(5, 0, 0), (4, 0, 0), (3, 0, 0), (2, 0, 0), (1, 0, 0)]


def test_average_rounds_half_up_to_one_place_and_bars_go_five_to_one():
    summary = RatingSummary({5: 1, 4: 2, 1: 1})  # 14 / 4 = 3.5
    assert summary.count == 4
    assert summary.average == summary.rating == Decimal("3.5")
    assert summary.stars == 4
    assert summary.bars == [(5, 1, 25), (4, 2, 50), (3, 0, 0), (2, 0, 0), (1, 1, 25)]


def test_a_third_is_shown_as_the_nearest_whole_percent():
    summary = RatingSummary({5: 1, 4: 2})
    assert summary.average == Decimal("4.3")
    assert [percent for _, _, percent in summary.bars[:2]] == [33, 67]
