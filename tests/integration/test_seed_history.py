"""The generated history (``flask seed --history``): its plan says in advance what every
report must show, and the reports show exactly that, in the shop's time zone (New York
here: the clocks go back on 1 November 2026, in the middle of the history)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from qkart.analytics import history, reports
from qkart.analytics.models import AnalyticsEvent
from qkart.cart.models import Cart
from qkart.extensions import db
from qkart.orders.models import Order
from qkart.payments.models import Refund
from qkart.returns.models import Return

ZONE = ZoneInfo("America/New_York")
END = date(2026, 11, 20)
DAYS = 70
PRICES = [1_500, 2_500, 4_000, 8_000]


@pytest.fixture
def shop(make_app, factory):
    app = make_app(QKART_TIMEZONE="America/New_York")
    for n, price in enumerate(PRICES):
        factory.product(f"History product {n}", price=price)
    plan = history.plan(END, DAYS, PRICES, ZONE)
    with app.app_context():
        history.write(plan, "USD")
        db.session.commit()
    return app, plan


def test_the_plan_itself_is_known_in_advance():
    plan = history.plan(END, DAYS, PRICES, ZONE)
    sunday = next(d for d in plan.days if d.day == date(2026, 11, 1))
    # 40 + 12 (a weekend) + toordinal * 7 % 13 (0 here); 3/5 view, 2/5 add, 3/5 check out,
    # 2/3 of those order.
    assert (sunday.sessions, sunday.viewers, sunday.carts, sunday.checkouts) == (52, 31, 12, 7)
    assert len(sunday.orders) == 4
    assert plan.funnel(END - timedelta(days=6), END) == [334, 197, 77, 44, 28, 25]
    assert plan.customers == 213 and len(plan.orders(date.min, date.max)) == 283


def test_the_reports_show_the_planned_funnel_abandonment_and_aov(shop):
    app, plan = shop
    periods = [
        reports.Period(END - timedelta(days=DAYS - 1), END),  # everything
        reports.Period(date(2026, 10, 1), date(2026, 10, 31)),
        reports.Period(date(2026, 10, 29), date(2026, 11, 4)),  # the clocks go back
        reports.Period(date(2026, 11, 1), date(2026, 11, 1)),  # a 25-hour day
    ]
    with app.app_context():
        for period in periods:
            steps = reports.funnel(period)
            assert [s.sessions for s in steps] == plan.funnel(period.start, period.end)
            left, carts = plan.abandoned(period.start, period.end)
            sold, revenue = plan.sales(period.start, period.end)
            kpis = reports.kpis(period)
            assert kpis.abandonment == reports.rate(left, carts)
            assert (kpis.orders, kpis.revenue) == (sold, revenue)
            assert kpis.average_order == revenue // sold
            days = reports.by_day(period)
            assert [d.sessions for d in days] == [
                p.sessions for p in plan.days if period.start <= p.day <= period.end
            ]
            assert sum(d.orders for d in days) == sold and sum(d.revenue for d in days) == revenue


def test_exact_figures_of_the_last_week(shop):
    app, _ = shop
    week = reports.Period(END - timedelta(days=6), END)
    with app.app_context():
        assert [s.sessions for s in reports.funnel(week)] == [334, 197, 77, 44, 28, 25]
        kpis = reports.kpis(week)
        assert kpis.abandonment == Decimal("0.6364")  # 49 of 77 carts left
        # 28 placed, 3 cancelled unpaid and 1 refunded in full: 24 sold.
        assert (kpis.orders, kpis.revenue, kpis.average_order) == (24, 208_500, 8_687)
        top, empty = reports.searches(week)
        # Every third session searches "lamp" or "mug"; every fourth search finds nothing.
        assert {s.q for s in top} == {"lamp", "mug", "unicorn sofa"}
        assert [(s.q, s.count) for s in empty] == [("unicorn sofa", 31)]


def test_the_funnel_by_day_matches_the_plan_day_by_day(shop):
    app, plan = shop
    period = reports.Period(date(2026, 10, 28), date(2026, 11, 3))
    with app.app_context():
        by_day = reports.funnel_counts_by_day(period)
    for day in plan.days:
        if period.start <= day.day <= period.end:
            counts = by_day[day.day]
            assert [counts[k] for k, _ in reports.FUNNEL] == plan.funnel(day.day, day.day)


def test_the_history_goes_through_the_real_tables(shop):
    app, plan = shop
    everything = plan.orders(date.min, date.max)
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == len(everything)
        refunded = sum(o.status in ("refunded", "partly_refunded") for o in everything)
        assert db.session.scalar(select(func.count(Refund.id))) == refunded
        returns = sum(o.status == "partly_refunded" for o in everything)
        assert db.session.scalar(select(func.count(Return.id))) == returns
        left = sum(d.carts - len(d.orders) for d in plan.days)
        assert db.session.scalar(select(func.count(Cart.id))) == left
        with pytest.raises(history.HistoryLoadedError):
            history.write(plan, "USD")
        assert db.session.scalar(select(func.count(AnalyticsEvent.id))) > 0
        # Nothing in the history happens after its last day.
        last = datetime.combine(END + timedelta(days=1), time.min, tzinfo=ZONE)
        assert db.session.scalar(select(func.max(AnalyticsEvent.occurred_at))) < last
        assert db.session.scalar(select(func.max(Order.updated_at))) < last
        assert db.session.scalar(select(func.max(Order.delivered_at))) < last


def test_cohorts_of_the_plan_count_returning_customers():
    plan = history.plan(END, DAYS, PRICES, ZONE)
    # Every fourth order is a returning customer's: cohorts by first-order month, with how
    # many of each ordered again one and two months later.
    assert plan.cohorts() == {
        date(2026, 9, 1): {0: 58, 1: 31, 2: 14},
        date(2026, 10, 1): {0: 95, 1: 6},
        date(2026, 11, 1): {0: 60},
    }
    assert plan.customers == 58 + 95 + 60


def test_the_command_writes_a_year_and_refuses_production_unless_asked(app, make_app):
    live = make_app(
        QKART_ENV="production",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="a-long-production-secret-key-0123456789abcdef",
    )
    refused = live.test_cli_runner().invoke(args=["seed", "--history", "30"])
    assert refused.exit_code == 2 and "--history-in-production" in refused.output
    with live.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 0
    made = app.test_cli_runner().invoke(args=["seed", "--history"])
    assert made.exit_code == 0, made.output
    assert "Wrote 365 days of history" in made.output
    again = app.test_cli_runner().invoke(args=["seed", "--history"])
    assert "already loaded" in again.output


def test_the_customer_cohort_report_shows_the_planned_cohorts(shop):
    from qkart.analytics import customers

    app, plan = shop
    # From the plan (sold orders only, as the customer reports count them): 53 customers
    # first bought in September, 20 of them again in October and 10 in November...
    assert plan.sold_cohorts() == {
        date(2026, 9, 1): [53, 20, 10],
        date(2026, 10, 1): [88, 3],
        date(2026, 11, 1): [56],
    }
    with app.app_context():
        table = customers.cohorts(reports.Period(date(2026, 9, 1), date(2026, 11, 30)))
    assert {c.month: c.active for c in table} == plan.sold_cohorts()
    assert [c.customers for c in table] == [53, 88, 56]
