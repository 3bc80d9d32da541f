"""First-party analytics: what is recorded (and what is not), written cheaply and never
failing a page, and reports whose numbers are known in advance."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update

from qkart.analytics import reports
from qkart.analytics import services as analytics
from qkart.analytics.models import AnalyticsEvent
from qkart.extensions import db
from qkart.orders.models import Order
from tests.conftest import count_queries, login
from tests.support.orders import order_of

DAY = date(2026, 11, 10)
PERIOD = reports.Period(DAY, DAY + timedelta(days=6))


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, 10 + day, hour, tzinfo=UTC)


def event(kind, session, day=0, device="desktop", **fields):
    return AnalyticsEvent(
        kind=kind,
        session=session,
        occurred_at=at(day),
        device=device,
        data=fields.pop("data", {}),
        **fields,
    )


def events(app, *rows):
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()


def kinds(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AnalyticsEvent.kind).order_by(AnalyticsEvent.id)))


# -- recording ---------------------------------------------------------------------------


def test_a_visit_records_its_session_views_searches_and_cart(app, client, factory):
    lamp = factory.product("Desk Lamp", stock=5)
    client.get("/")
    client.get(f"/products/{lamp.slug}")
    client.get("/products?q=lamp")
    client.post("/cart/items", data={"product_id": lamp.id, "quantity": 2})
    client.post(f"/cart/items/{lamp.id}", data={"quantity": 0})
    assert kinds(app) == [
        "session.started",
        "product.viewed",
        "search",
        "cart.added",
        "cart.removed",
    ]
    with app.app_context():
        rows = db.session.scalars(select(AnalyticsEvent)).all()
        assert len({r.session for r in rows}) == 1 and len(rows[0].session) == 32
        search = next(r for r in rows if r.kind == "search")
        assert search.data == {"q": "lamp", "results": 1}
        added = next(r for r in rows if r.kind == "cart.added")
        assert added.product_id == lamp.id and added.data == {"quantity": 2}
        # Nothing personal: no user, no address, no e-mail anywhere in an event.
        columns = set(AnalyticsEvent.__table__.columns.keys())
        assert not columns & {"user_id", "ip", "email", "user_agent"}


def test_a_placed_order_and_its_payment_are_counted_for_the_session(app, client, factory):
    from tests.conftest import check_out

    lamp = factory.product("Desk Lamp", price=2_500, stock=5)
    client.post("/cart/items", data={"product_id": lamp.id, "quantity": 1})
    client.get("/checkout")
    check_out(client, method="cod")
    found = kinds(app)
    assert "checkout.started" in found and "checkout.step" in found and "order.placed" in found
    with app.app_context():
        placed = db.session.scalars(
            select(AnalyticsEvent).where(AnalyticsEvent.kind == "order.placed")
        ).one()
        assert placed.order_id and placed.value and placed.session


@pytest.mark.parametrize(
    "headers",
    [
        {"DNT": "1"},
        {"Sec-GPC": "1"},
        {"User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"},
    ],
)
def test_do_not_track_privacy_control_and_bots_record_nothing(app, client, factory, headers):
    lamp = factory.product("Desk Lamp")
    response = client.get(f"/products/{lamp.slug}", headers=headers)
    assert response.status_code == 200 and "qk_s=" not in response.headers.get("Set-Cookie", "")
    assert kinds(app) == []


def test_staff_are_not_counted(app, client, factory):
    login(client, factory.user("staff-analytics@example.com", role="manager"))
    before = kinds(app)  # the log-in page itself was a visitor's
    client.get("/products")
    client.get("/products?q=lamp")
    assert kinds(app) == before


def test_the_session_cookie_is_anonymous_rotating_and_rarely_resent(app, client, factory):
    first = client.get("/")
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("qk_s=") and "HttpOnly" in cookie and "Max-Age=1800" in cookie
    again = client.get("/")
    assert "qk_s=" not in again.headers.get("Set-Cookie", "")  # refreshed at most every 5 min
    assert kinds(app) == ["session.started"]


def test_a_page_writes_its_events_in_one_insert(app, client, factory):
    lamp = factory.product("Desk Lamp")
    client.get("/")
    with count_queries(app) as statements:
        client.get(f"/products/{lamp.slug}")
    inserts = [s for s in statements if s.startswith("INSERT INTO analytics_events")]
    assert len(inserts) == 1


def test_a_failure_to_record_never_fails_the_page(app, client, factory, caplog):
    lamp = factory.product("Desk Lamp")
    with app.app_context():
        db.session.execute(text("DROP TABLE analytics_events"))
        db.session.commit()
    try:
        response = client.get(f"/products/{lamp.slug}")
        assert response.status_code == 200 and "Desk Lamp" in response.get_data(as_text=True)
        assert "could not record" in caplog.text
    finally:
        with app.app_context():
            AnalyticsEvent.__table__.create(db.engine)


def test_gathered_events_cost_a_page_no_write_and_reach_the_table_within_seconds(make_app, factory):
    lamp = factory.product("Desk Lamp")
    gathering = make_app(QKART_ANALYTICS_FLUSH_SECONDS=1)
    with count_queries(gathering) as statements:
        for _ in range(3):  # three new visitors, each a session and a product view
            assert gathering.test_client().get(f"/products/{lamp.slug}").status_code == 200
    assert not [s for s in statements if s.startswith("INSERT INTO analytics_events")]
    assert kinds(gathering) == []
    deadline = time.monotonic() + 10
    while len(kinds(gathering)) < 6 and time.monotonic() < deadline:
        time.sleep(0.1)  # the timer writes them after about a second
    assert sorted(kinds(gathering)) == ["product.viewed"] * 3 + ["session.started"] * 3


def test_a_full_batch_is_written_at_once_and_the_rest_when_the_process_stops(
    make_app, factory, monkeypatch
):
    lamp = factory.product("Desk Lamp")
    gathering = make_app(QKART_ANALYTICS_FLUSH_SECONDS=60)
    monkeypatch.setattr(analytics, "BATCH_ROWS", 4)
    for _ in range(3):
        gathering.test_client().get(f"/products/{lamp.slug}")
    assert len(kinds(gathering)) == 4  # the second visit filled the batch: written
    assert analytics.write_pending(gathering) == 2  # what atexit does as a worker stops
    assert len(kinds(gathering)) == 6


# -- reports -----------------------------------------------------------------------------


@pytest.fixture
def history(app, factory):
    """Ten sessions in the week: 10 start, 8 view a product, 5 add to cart, 3 start the
    checkout, 2 place an order (one paid) - and 4 sessions the week before."""
    rows = []
    for n in range(10):
        device = "mobile" if n < 6 else "desktop"
        rows.append(event("session.started", f"s{n}", n % 7, device))
        if n < 8:
            rows.append(event("product.viewed", f"s{n}", n % 7, device, product_id=1))
            rows.append(event("product.viewed", f"s{n}", n % 7, device, product_id=2))
        if n < 5:
            rows.append(event("cart.added", f"s{n}", n % 7, device, product_id=1))
        if n < 3:
            rows.append(event("checkout.started", f"s{n}", n % 7, device))
    rows.append(event("order.placed", "s0", 0, "mobile", order_id=101, value=4_000))
    rows.append(event("order.placed", "s1", 1, "mobile", order_id=102, value=6_000))
    rows.append(AnalyticsEvent(kind="order.paid", order_id=101, occurred_at=at(2), data={}))
    rows += [event("session.started", f"old{n}", -3) for n in range(4)]
    rows += [
        event("search", "s0", 0, data={"q": "lamp", "results": 4}),
        event("search", "s1", 1, data={"q": "lamp", "results": 4}),
        event("search", "s2", 1, data={"q": "sofa bed", "results": 0}),
    ]
    events(app, *rows)
    # Two sold orders in the week (40.00 and 60.00), a cancelled one, one the week before.
    user = factory.user("history@example.com")
    for total, day, status in (
        (4_000, 0, "paid"),
        (6_000, 1, "paid"),
        (9_999, 2, "cancelled"),
        (2_000, -3, "paid"),
    ):
        number = order_of(app, user, factory.product(price=total), status=status)
        with app.app_context():
            db.session.execute(
                update(Order).where(Order.number == number).values(created_at=at(day))
            )
            db.session.commit()


def test_the_funnel_counts_distinct_sessions_at_each_step(app, history):
    with app.app_context():
        steps = reports.funnel(PERIOD)
        assert [s.sessions for s in steps] == [10, 8, 5, 3, 2, 1]
        assert [s.of_previous for s in steps] == [
            None,
            Decimal("0.8"),
            Decimal("0.625"),
            Decimal("0.6"),
            Decimal("0.6667"),
            Decimal("0.5"),
        ]
        assert [s.sessions for s in reports.funnel(PERIOD, "mobile")] == [6, 6, 5, 3, 2, 1]
        assert [s.sessions for s in reports.funnel(PERIOD, "desktop")] == [4, 2, 0, 0, 0, 0]


def test_kpis_and_the_previous_period(app, history):
    with app.app_context():
        now = reports.kpis(PERIOD)
        assert (now.revenue, now.orders, now.average_order) == (10_000, 2, 5_000)
        assert now.sessions == 10 and now.conversion == Decimal("0.2")
        assert now.abandonment == Decimal("0.6")  # 5 carts, 2 of them ordered
        before = reports.kpis(PERIOD.previous)
        assert (before.revenue, before.orders, before.sessions) == (2_000, 1, 4)
        assert reports.change(now.revenue, before.revenue) == Decimal("4")
        assert reports.change(now.sessions, 0) is None


def test_sales_by_day_and_searches(app, history):
    with app.app_context():
        days = reports.by_day(PERIOD)
        assert len(days) == 7 and days[0].revenue == 4_000 and days[1].orders == 1
        assert days[2].orders == 0  # the cancelled order is not a sale
        assert [d.sessions for d in days] == [2, 2, 2, 1, 1, 1, 1]
        top, empty = reports.searches(PERIOD)
        assert [(s.q, s.count) for s in top] == [("lamp", 2), ("sofa bed", 1)]
        assert [s.q for s in empty] == ["sofa bed"]
