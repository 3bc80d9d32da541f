"""The sales report on a week whose numbers are known in advance: revenue, orders and
AOV per day (and per week or month), top products and categories, promo codes, refunds
and returns; the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pickle
import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from qkart.analytics import reports, sales
from qkart.analytics.grouping import grain_of
from qkart.analytics.reports import Period
from qkart.extensions import db
from qkart.orders.models import Order, OrderLine
from qkart.payments.models import Payment, Refund
from qkart.returns.models import Return

DAY = date(2026, 11, 10)
WEEK = Period(DAY, DAY + timedelta(days=6))


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, 10, hour, tzinfo=UTC) + timedelta(days=day)


def place(app, user, lines, *, status, day, hour=12, coupon=None, discount=0):
    """An order placed ``day`` days after Nov 10, holding ``(product, quantity)`` lines."""
    with app.app_context():
        subtotal = sum(p.price * n for p, n in lines)
        order = Order(
            number=f"QK-S{secrets.token_hex(4).upper()}",
            user_id=user.id,
            status=status,
            currency="USD",
            subtotal=subtotal,
            discount=discount,
            shipping=0,
            total=subtotal - discount,
            coupon_code=coupon,
            payment_method="wallet",
            shipping_address={"country": "US"},
            contact_email=user.email,
            idempotency_key=secrets.token_hex(16),
            created_at=at(day, hour),
        )
        for product, quantity in lines:
            order.lines.append(
                OrderLine(
                    product_id=product.id,
                    product_name=product.name,
                    sku=product.sku,
                    unit_price=product.price,
                    quantity=quantity,
                    line_total=product.price * quantity,
                )
            )
        db.session.add(order)
        db.session.commit()
        return order.id


def pay(app, order_id, amount, refunds=(), returned=None):
    """A wallet payment of the order, its refunds ``(amount, status)`` and a return."""
    with app.app_context():
        payment = Payment(
            order_id=order_id,
            method="wallet",
            amount=amount,
            currency="USD",
            status="succeeded",
            refunded_amount=sum(n for n, s in refunds if s == "succeeded"),
        )
        payment.refunds = [Refund(amount=n, status=s) for n, s in refunds]
        db.session.add(payment)
        if returned:
            db.session.add(Return(order_id=order_id, status=returned, reason="Too small"))
        db.session.commit()


@pytest.fixture
def week(app, factory):
    """Five sales in the week (134.60), a refunded, a cancelled and an unpaid order, and
    one sale the week before."""
    lighting, kitchen = factory.category("Lighting"), factory.category("Kitchen")
    lamp = factory.product("Desk Lamp", price=2_500, category=lighting)
    kettle = factory.product("Blue Kettle", price=3_000, category=kitchen)
    mug = factory.product("Tea Mug", price=800, category=kitchen)
    user = factory.user("sales@example.com")
    first = place(app, user, [(lamp, 2), (mug, 1)], status="paid", day=0)
    place(app, user, [(kettle, 1)], status="delivered", day=0, coupon="WELCOME10", discount=300)
    partly = place(app, user, [(lamp, 1)], status="partly_refunded", day=1)
    place(app, user, [(mug, 3)], status="shipped", day=3, coupon="WELCOME10", discount=240)
    refunded = place(app, user, [(kettle, 1)], status="refunded", day=4)
    place(app, user, [(lamp, 4)], status="cancelled", day=2)
    last = place(app, user, [(mug, 1)], status="delivered", day=5, coupon="SPRING5", discount=500)
    place(app, user, [(lamp, 1)], status="paid", day=-2)
    place(app, user, [(kettle, 1)], status="awaiting_payment", day=6)
    pay(app, first, 5_800)
    pay(app, partly, 2_500, [(1_000, "succeeded"), (500, "failed")], returned="received")
    pay(app, refunded, 3_000, [(3_000, "succeeded")], returned="refunded")
    pay(app, last, 300, returned="rejected")
    return {"lamp": lamp, "kettle": kettle, "mug": mug, "lighting": lighting, "kitchen": kitchen}


def test_revenue_orders_and_aov_per_day(app, week):
    with app.app_context():
        report = sales.sales_report(WEEK)
        kpis = reports.kpis(WEEK)
    assert (report.revenue, report.orders, report.average_order) == (13_460, 5, 2_692)
    assert (kpis.revenue, kpis.orders, kpis.average_order) == (13_460, 5, 2_692)  # the overview
    assert report.grain == "day" and report.units == 9
    assert [(p.start, p.revenue, p.orders, p.average_order) for p in report.series] == [
        (date(2026, 11, 10), 8_500, 2, 4_250),
        (date(2026, 11, 11), 2_500, 1, 2_500),
        (date(2026, 11, 12), 0, 0, 0),
        (date(2026, 11, 13), 2_160, 1, 2_160),
        (date(2026, 11, 14), 0, 0, 0),
        (date(2026, 11, 15), 300, 1, 300),
        (date(2026, 11, 16), 0, 0, 0),
    ]


def test_top_products_and_categories(app, week):
    with app.app_context():
        report = sales.sales_report(WEEK)
    assert [(s.id, s.name, s.units, s.revenue) for s in report.products] == [
        (week["lamp"].id, "Desk Lamp", 3, 7_500),
        (week["mug"].id, "Tea Mug", 5, 4_000),
        (week["kettle"].id, "Blue Kettle", 1, 3_000),
    ]
    assert [(s.name, s.units, s.revenue) for s in report.categories] == [
        ("Lighting", 3, 7_500),
        ("Kitchen", 6, 7_000),
    ]
    with app.app_context():
        assert [s.name for s in sales.sales_report(WEEK, top=1).products] == ["Desk Lamp"]


def test_coupon_performance_with_and_without_a_code(app, week):
    with app.app_context():
        coupons = sales.coupon_summary(WEEK)
    assert [(c.code, c.uses, c.discount, c.revenue, c.average_order) for c in coupons.codes] == [
        ("WELCOME10", 2, 540, 4_860, 2_430),
        ("SPRING5", 1, 500, 300, 300),
    ]
    assert (coupons.with_coupon, coupons.with_revenue, coupons.average_with) == (3, 5_160, 1_720)
    assert (coupons.without_coupon, coupons.without_revenue, coupons.average_without) == (
        2,
        8_300,
        4_150,
    )


def test_refunds_and_returns_of_the_orders_that_took_money(app, week):
    with app.app_context():
        refunds = sales.refunds_and_returns(WEEK)
    # Six orders took 164.60 (the five sales and the one refunded since): 40.00 of it
    # went back (a failed refund is not money back); two of the six had a return that
    # was not rejected.
    assert (refunds.orders, refunds.taken, refunds.refunded) == (6, 16_460, 4_000)
    assert refunds.refund_rate == Decimal("0.2430")
    assert (refunds.returned_orders, refunds.return_rate) == (2, Decimal("0.3333"))


def test_long_ranges_are_grouped_by_week_or_month(app, week):
    quarter = Period(date(2026, 11, 2), date(2027, 1, 31))  # 91 days from a Monday
    year = Period(date(2026, 6, 1), date(2027, 5, 31))
    with app.app_context():
        weeks = sales.sales_series(quarter)
        months = sales.sales_series(year)
    assert grain_of(quarter) == "week" and len(weeks) == 13
    assert [(p.start, p.end, p.label) for p in weeks[:2]] == [
        (date(2026, 11, 2), date(2026, 11, 8), "Week of Nov 2"),
        (date(2026, 11, 9), date(2026, 11, 15), "Week of Nov 9"),
    ]
    assert [(p.revenue, p.orders) for p in weeks[:3]] == [(2_500, 1), (13_460, 5), (0, 0)]
    assert grain_of(year) == "month" and len(months) == 12
    assert [(p.label, p.revenue, p.orders, p.average_order) for p in months[5:7]] == [
        ("Nov 2026", 15_960, 6, 2_660),
        ("Dec 2026", 0, 0, 0),
    ]


def test_days_follow_the_shops_time_zone(app, make_app, factory):
    lamp = factory.product("Desk Lamp", price=2_500)
    user = factory.user("late@example.com")
    place(app, user, [(lamp, 1)], status="paid", day=0, hour=23)  # Nov 11, 01:00 local
    place(app, user, [(lamp, 2)], status="paid", day=0, hour=21)  # Nov 10, 23:00 local
    johannesburg = make_app(QKART_TIMEZONE="Africa/Johannesburg")  # two hours ahead of UTC
    with johannesburg.app_context():
        local = sales.sales_series(Period(DAY, DAY + timedelta(days=1)))
    with app.app_context():
        utc = sales.sales_series(Period(DAY, DAY + timedelta(days=1)))
    assert [(p.start, p.revenue) for p in local] == [(DAY, 5_000), (date(2026, 11, 11), 2_500)]
    assert [(p.start, p.revenue) for p in utc] == [(DAY, 7_500), (date(2026, 11, 11), 0)]


def test_an_empty_range_and_a_report_that_pickles(app, week):
    with app.app_context():
        empty = sales.sales_report(Period(date(2026, 1, 1), date(2026, 1, 3)))
        report = sales.sales_report(WEEK)
    assert (empty.revenue, empty.orders, empty.average_order, empty.products) == (0, 0, 0, [])
    assert empty.refunds.refund_rate is None and empty.coupons.average_with == 0
    assert pickle.loads(pickle.dumps(report)) == report  # a cache can keep it as it is


def test_the_report_takes_a_handful_of_queries_however_long_the_range(app, week):
    from tests.conftest import count_queries

    with app.app_context():
        with count_queries(app) as week_statements:
            sales.sales_report(WEEK)
        with count_queries(app) as year_statements:
            sales.sales_report(Period(date(2026, 1, 1), date(2026, 12, 31)))
    assert len(week_statements) == len(year_statements) == 5
