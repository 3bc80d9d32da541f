"""Customer reports on a small history whose answers are worked out by hand: cohorts,
repeat purchases, days between orders, new and returning, lifetime value, top customers
and customers at risk. The same numbers on SQLite and PostgreSQL (run in both passes).

Who bought what (UTC; the shop's time zone is UTC in tests), all in the range
January to April 2026 unless marked:

    ann   account  Jan 5 $30, Feb 10 $40, Apr 2 $50, May 5 $1000 (after the range)
    bob   guest "  Bob@Example.COM " Jan 20 $20, then his account Mar 15 $80
    cara  account  Dec 10 2025 $100 (before the range), Feb 1 $60
    dan   guest    Feb 14 12:00 $10, Feb 20 09:00 $15, Apr 10 refunded (not sold)
    eve   account  Mar 3 $300, Apr 1 cancelled (not sold)
    hal   guest    Jan 31 23:30 $24.99
    fay   account  Jun 1 2025 $500
    gus   a closed (deleted) account, Jul 1 2025 $700
"""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from qkart.analytics import customers as report
from qkart.analytics.reports import Period
from qkart.extensions import db
from tests.support.orders import order_row

RANGE = Period(date(2026, 1, 1), date(2026, 4, 30))


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def history(app, factory):
    ann = factory.user("ann@example.com", name="Ann Archer")
    bob = factory.user("bob@example.com", name="Bob Baker")
    cara = factory.user("cara@example.com", name="Cara Cole")
    eve = factory.user("eve@example.com", name="Eve Evans")
    fay = factory.user("fay@example.com", name="Fay Fox")
    gus = factory.user("gus@example.com", name="Gus Gone")
    with app.app_context():
        db.session.add_all(
            [
                order_row("ann@example.com", at(2026, 1, 5), 3_000, ann),
                order_row("ann@example.com", at(2026, 2, 10), 4_000, ann),
                order_row("ann@example.com", at(2026, 4, 2), 5_000, ann),
                order_row("ann@example.com", at(2026, 5, 5), 100_000, ann),
                order_row("  Bob@Example.COM ", at(2026, 1, 20), 2_000),
                order_row("bob@example.com", at(2026, 3, 15), 8_000, bob),
                order_row("cara@example.com", at(2025, 12, 10), 10_000, cara),
                order_row("cara@example.com", at(2026, 2, 1), 6_000, cara),
                order_row("dan@example.com", at(2026, 2, 14), 1_000),
                order_row("dan@example.com", at(2026, 2, 20, 9), 1_500),
                order_row("dan@example.com", at(2026, 4, 10), 9_900, status="refunded"),
                order_row("eve@example.com", at(2026, 3, 3), 30_000, eve),
                order_row("eve@example.com", at(2026, 4, 1), 99_900, eve, status="cancelled"),
                order_row("hal@example.com", at(2026, 1, 31, 23, 30), 2_499),
                order_row("fay@example.com", at(2025, 6, 1), 50_000, fay),
                order_row(f"deleted-{gus.id}@invalid", at(2025, 7, 1), 70_000, gus),
            ]
        )
        closed = db.session.get(type(gus), gus.id)
        closed.email, closed.deleted_at = f"deleted-{gus.id}@invalid", at(2025, 8, 1)
        db.session.commit()
    return {"ann": ann, "bob": bob, "eve": eve, "fay": fay}


def test_cohorts_by_first_order_month(ctx, history):
    found = report.cohorts(RANGE)
    assert [(c.month, c.customers, c.active) for c in found] == [
        (date(2026, 1, 1), 3, [3, 1, 1, 1]),  # ann, bob, hal; ann Feb, bob Mar, ann Apr
        (date(2026, 2, 1), 1, [1, 0, 0]),  # dan (cara's first order was in December)
        (date(2026, 3, 1), 1, [1, 0]),  # eve; her April order was cancelled
        (date(2026, 4, 1), 0, [0]),
    ]
    third = Decimal("0.3333")
    assert found[0].shares == [Decimal("1.0000"), third, third, third]
    assert found[1].shares == [Decimal("1.0000"), Decimal("0.0000"), Decimal("0.0000")]
    assert found[3].shares == [None]


def test_cohorts_cover_whole_months_the_range_touches(ctx, history):
    found = report.cohorts(Period(date(2026, 1, 25), date(2026, 2, 5)))
    assert [(c.month, c.customers, c.active) for c in found] == [
        (date(2026, 1, 1), 3, [3, 1]),
        (date(2026, 2, 1), 1, [1]),
    ]


def test_repeat_purchase_rate(ctx, history):
    # ann (3 orders), bob (2, one as a guest), dan (2) of six customers.
    assert report.repeat_purchases(RANGE) == report.Repeats(6, 3, Decimal("0.5000"))
    assert report.repeat_purchases(Period(date(2026, 3, 1), date(2026, 3, 31))) == (
        report.Repeats(2, 0, Decimal("0.0000"))
    )
    assert report.repeat_purchases(Period(date(2027, 1, 1), date(2027, 1, 31))) == (
        report.Repeats(0, 0, None)
    )


def test_days_between_orders(ctx, history):
    gaps = report.order_gaps(RANGE)
    # dan 5 (5 days 21 hours), ann 36 and 51, cara 53 (from December), bob 54.
    assert gaps.orders == 5 and gaps.median_days == Decimal(51)
    assert [(b.low, b.high, b.count, b.share) for b in gaps.buckets] == [
        (0, 7, 1, Decimal("0.2000")),
        (8, 30, 0, Decimal("0.0000")),
        (31, 90, 4, Decimal("0.8000")),
        (91, 180, 0, Decimal("0.0000")),
        (181, 365, 0, Decimal("0.0000")),
        (366, None, 0, Decimal("0.0000")),
    ]
    # An even number of gaps: the median is halfway between the middle two (51 and 54).
    spring = report.order_gaps(Period(date(2026, 3, 1), date(2026, 4, 30)))
    assert spring.orders == 2 and spring.median_days == Decimal("52.5")
    nothing = report.order_gaps(Period(date(2027, 1, 1), date(2027, 1, 31)))
    assert nothing.orders == 0 and nothing.median_days is None
    assert all(b.share is None for b in nothing.buckets)


def test_new_and_returning(ctx, history):
    assert report.new_and_returning(RANGE) == report.Split(6, 5, 1, Decimal("0.1667"))
    assert report.new_and_returning(Period(date(2026, 2, 1), date(2026, 4, 30))) == (
        report.Split(5, 2, 3, Decimal("0.6000"))  # ann, bob and cara had bought before
    )
    assert report.new_and_returning(Period(date(2027, 1, 1), date(2027, 1, 1))) == (
        report.Split(0, 0, 0, None)
    )


def test_new_and_returning_by_month(ctx, history):
    assert report.new_and_returning_by_month(RANGE) == [
        report.MonthSplit(date(2026, 1, 1), 3, 0),
        report.MonthSplit(date(2026, 2, 1), 1, 2),
        report.MonthSplit(date(2026, 3, 1), 1, 1),
        report.MonthSplit(date(2026, 4, 1), 0, 1),
    ]
    # A range that starts mid-month counts only its own part of that month.
    assert report.new_and_returning_by_month(Period(date(2026, 1, 25), date(2026, 2, 12))) == [
        report.MonthSplit(date(2026, 1, 25), 1, 0),  # hal; ann and bob ordered earlier
        report.MonthSplit(date(2026, 2, 1), 0, 2),  # ann and cara
    ]


def test_lifetime_value_distribution(ctx, history):
    buckets = report.lifetime_values(RANGE, "USD")
    # hal 24.99; dan 25.00; ann 120, bob 100, cara 160; eve 300 (ann's May order is later).
    assert [(b.low, b.high, b.count) for b in buckets] == [
        (0, 2_500, 1),
        (2_500, 5_000, 1),
        (5_000, 10_000, 0),
        (10_000, 25_000, 3),
        (25_000, 50_000, 1),
        (50_000, 100_000, 0),
        (100_000, None, 0),
    ]
    assert [b.share for b in buckets][:4] == [
        Decimal("0.1667"),
        Decimal("0.1667"),
        Decimal("0.0000"),
        Decimal("0.5000"),
    ]


def test_top_customers(ctx, history):
    top = report.top_customers(RANGE, limit=4)
    assert [(c.email, c.orders, c.revenue, c.lifetime) for c in top] == [
        ("eve@example.com", 1, 30_000, 30_000),
        ("ann@example.com", 3, 12_000, 12_000),
        ("bob@example.com", 2, 10_000, 10_000),
        ("cara@example.com", 1, 6_000, 16_000),
    ]
    assert [(c.name, c.user_id) for c in top[:1]] == [("Eve Evans", history["eve"].id)]
    assert top[2].user_id == history["bob"].id  # his guest order counts under his account
    assert top[1].last_order == at(2026, 4, 2)
    guests = report.top_customers(RANGE, limit=None)[-2:]
    assert [(c.email, c.name, c.user_id, c.revenue) for c in guests] == [
        ("dan@example.com", None, None, 2_500),
        ("hal@example.com", None, None, 2_499),
    ]


def test_customers_at_risk(ctx, history):
    # 90 days up to April 30 start on January 31: hal ordered that evening, so only fay
    # is at risk; gus's account is closed.
    risk = report.at_risk(RANGE)
    assert (risk.days, risk.since, risk.total) == (90, date(2026, 1, 31), 1)
    assert [(c.email, c.name, c.orders, c.lifetime) for c in risk.customers] == [
        ("fay@example.com", "Fay Fox", 1, 50_000)
    ]
    risk = report.at_risk(RANGE, days=60)  # nobody ordered since March 2
    assert (risk.since, risk.total) == (date(2026, 3, 2), 4)
    assert [(c.email, c.lifetime, c.last_order) for c in risk.customers] == [
        ("fay@example.com", 50_000, at(2025, 6, 1)),
        ("cara@example.com", 16_000, at(2026, 2, 1)),
        ("dan@example.com", 2_500, at(2026, 2, 20, 9)),
        ("hal@example.com", 2_499, at(2026, 1, 31, 23, 30)),
    ]
    assert [c.email for c in report.at_risk(RANGE, days=60, limit=2).customers] == [
        "fay@example.com",
        "cara@example.com",
    ]


def test_reports_are_plain_data_a_cache_can_keep(ctx, history):
    for made in (
        report.cohorts(RANGE),
        report.order_gaps(RANGE),
        report.new_and_returning_by_month(RANGE),
        report.top_customers(RANGE),
        report.at_risk(RANGE),
    ):
        assert pickle.loads(pickle.dumps(made)) == made


def test_no_orders_at_all(ctx):
    assert [c.customers for c in report.cohorts(RANGE)] == [0, 0, 0, 0]
    assert report.new_and_returning(RANGE) == report.Split(0, 0, 0, None)
    assert all(b.count == 0 and b.share is None for b in report.lifetime_values(RANGE, "USD"))
    assert report.top_customers(RANGE) == []
    assert report.at_risk(RANGE).total == 0
