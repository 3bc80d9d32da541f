"""The cart abandonment report on a week whose numbers are known in advance: the rate
(consistent with the overview's KPI), per day, what abandoned carts still held, and what
the reminder e-mails won back; the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pickle
import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from qkart.analytics import abandonment, reports
from qkart.analytics.models import AnalyticsEvent
from qkart.analytics.reports import Period
from qkart.cart.models import Cart, CartReminder
from qkart.extensions import db
from qkart.orders.models import Order
from tests.conftest import count_queries

DAY = date(2026, 11, 10)
WEEK = Period(DAY, DAY + timedelta(days=6))


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, 10, hour, tzinfo=UTC) + timedelta(days=day)


def added(session, product, day, hour=12, quantity=1, value=True):
    return AnalyticsEvent(
        kind="cart.added",
        session=session,
        occurred_at=at(day, hour),
        product_id=product.id,
        value=product.price * quantity if value else None,
        data={"quantity": quantity},
    )


def removed(session, product, day, hour):
    return AnalyticsEvent(
        kind="cart.removed",
        session=session,
        occurred_at=at(day, hour),
        product_id=product.id,
        data={},
    )


def placed(session, day, hour=13):
    return AnalyticsEvent(kind="order.placed", session=session, occurred_at=at(day, hour), data={})


@pytest.fixture
def products(factory):
    return (
        factory.product("Desk Lamp", price=2_500),
        factory.product("Blue Kettle", price=3_000),
        factory.product("Tea Mug", price=800),
    )


@pytest.fixture
def carts(app, products):
    """Six carts in the week, two of them ordered (one only the day after)."""
    lamp, kettle, mug = products
    rows = [
        added("a1", lamp, 0),
        added("a1", mug, 0, quantity=2),
        placed("a1", 0),
        added("a2", kettle, 0),  # left
        added("a3", lamp, 1, 10, quantity=2),
        removed("a3", lamp, 1, 11),  # taken out again: not left
        added("a3", mug, 1, 12),  # left
        added("a4", mug, 1, 10),
        removed("a4", mug, 1, 11),
        added("a4", mug, 1, 12, quantity=3),  # added again after the removal: left
        added("a5", lamp, 2),
        placed("a5", 3),  # ordered, the next day
        added("a6", kettle, 3, quantity=2, value=False),  # recorded before values were kept
        added("b1", lamp, -3),  # the week before
        AnalyticsEvent(kind="cart.added", occurred_at=at(4), product_id=lamp.id, data={}),
    ]
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()


def test_the_rate_is_the_overviews_kpi(app, carts):
    with app.app_context():
        report = abandonment.abandonment_report(WEEK)
        kpi = reports.kpis(WEEK).abandonment
    assert (report.carts, report.ordered, report.abandoned) == (6, 2, 4)
    assert report.rate == kpi == Decimal("0.6667")


def test_the_rate_per_day_counts_each_day_alone(app, carts):
    with app.app_context():
        days = abandonment.by_day(WEEK)
        one_day = [reports.kpis(Period(d.day, d.day)).abandonment for d in days]
    assert [(d.carts, d.ordered, d.rate) for d in days] == [
        (2, 1, Decimal("0.5")),
        (2, 0, Decimal("1")),
        (1, 0, Decimal("1")),  # a5 ordered the next day: abandoned on this one
        (1, 0, Decimal("1")),
        (0, 0, None),
        (0, 0, None),
        (0, 0, None),
    ]
    assert [d.rate for d in days] == one_day


def test_what_abandoned_carts_still_held(app, carts, products):
    _, kettle, mug = products
    with app.app_context():
        report = abandonment.abandonment_report(WEEK)
    assert [(p.product_id, p.name, p.carts, p.units, p.value) for p in report.products] == [
        (mug.id, "Tea Mug", 2, 4, 3_200),
        (kettle.id, "Blue Kettle", 2, 3, 3_000),
    ]
    assert (report.value_left, report.units_left, report.average_left) == (6_200, 7, 1_550)
    with app.app_context():
        assert [p.name for p in abandonment.abandonment_report(WEEK, top=1).products] == ["Tea Mug"]


def test_a_product_deleted_since_keeps_its_line(app, products):
    with app.app_context():
        db.session.add(
            AnalyticsEvent(
                kind="cart.added",
                session="gone",
                occurred_at=at(0),
                product_id=987_654,
                value=1_200,
                data={"quantity": 1},
            )
        )
        db.session.commit()
        [line] = abandonment.left_products(WEEK)
    assert (line.name, line.known, line.value) == ("Product #987654", False, 1_200)


def _reminder(app, factory, sent_day, *, restored=False, order_status=None, total=4_000):
    """A reminder sent ``sent_day`` days after Nov 10, perhaps followed by an order."""
    user = factory.user()
    with app.app_context():
        cart = Cart(user_id=user.id)
        db.session.add(cart)
        db.session.flush()
        order_id = None
        if order_status:
            order = Order(
                number=f"QK-R{secrets.token_hex(4).upper()}",
                user_id=user.id,
                status=order_status,
                currency="USD",
                subtotal=total,
                shipping=0,
                total=total,
                payment_method="wallet",
                shipping_address={"country": "US"},
                contact_email=user.email,
                idempotency_key=secrets.token_hex(16),
            )
            db.session.add(order)
            db.session.flush()
            order_id = order.id
        db.session.add(
            CartReminder(
                cart_id=cart.id,
                user_id=user.id,
                cart_updated_at=at(sent_day - 1),
                sent_at=at(sent_day),
                restored_at=at(sent_day, 14) if restored else None,
                recovered_at=at(sent_day, 15) if order_id else None,
                order_id=order_id,
            )
        )
        db.session.commit()


def test_recoveries_from_the_reminders_sent_in_the_range(app, factory):
    _reminder(app, factory, 0, restored=True, order_status="paid", total=4_000)
    _reminder(app, factory, 1, order_status="cancelled", total=9_000)
    _reminder(app, factory, 2, restored=True)
    _reminder(app, factory, 4)
    _reminder(app, factory, -3, restored=True, order_status="paid", total=7_000)
    with app.app_context():
        found = abandonment.recoveries(WEEK)
    assert (found.sent, found.opened, found.recovered, found.recovered_sold) == (4, 2, 2, 1)
    assert found.revenue == 4_000  # the cancelled order is no sale
    assert (found.recovery_rate, found.opened_rate, found.sold_rate) == (
        Decimal("0.5"),
        Decimal("0.5"),
        Decimal("0.25"),
    )


def test_adding_to_the_cart_records_the_lines_value(app, client, products):
    lamp = products[0]
    client.post("/cart/items", data={"product_id": lamp.id, "quantity": 3})
    with app.app_context():
        event = db.session.scalars(
            select(AnalyticsEvent).where(AnalyticsEvent.kind == "cart.added")
        ).one()
    assert (event.product_id, event.value, event.data) == (lamp.id, 7_500, {"quantity": 3})


def test_an_empty_range_and_a_report_that_pickles(app, carts):
    with app.app_context():
        empty = abandonment.abandonment_report(Period(date(2026, 1, 1), date(2026, 1, 2)))
        report = abandonment.abandonment_report(WEEK)
    assert (empty.carts, empty.rate, empty.value_left, empty.average_left) == (0, None, 0, 0)
    assert empty.recoveries.recovery_rate is None and empty.products == []
    assert pickle.loads(pickle.dumps(report)) == report


def test_the_report_takes_four_queries_however_long_the_range(app, carts):
    with app.app_context():
        with count_queries(app) as week:
            abandonment.abandonment_report(WEEK)
        with count_queries(app) as year:
            abandonment.abandonment_report(Period(date(2026, 1, 1), date(2026, 12, 31)))
    assert len(week) == len(year) == 4
