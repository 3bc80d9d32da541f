"""The sales and cart abandonment pages: who may read them, their numbers in tables,
charts and CSVs, bad ranges explained, and a bounded number of queries."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from qkart.accounts import models as accounts
from qkart.analytics.models import AnalyticsEvent
from qkart.cart.models import Cart, CartReminder
from qkart.extensions import db
from qkart.orders.models import Order, OrderLine
from tests.conftest import count_queries, login

START, END = "2026-11-10", "2026-11-16"
RANGE = f"?start={START}&end={END}"
IN_HTML = RANGE.replace("&", "&amp;")
PAGES = ("/admin/analytics/sales", "/admin/analytics/abandonment")
CHARTS = (
    *(f"/admin/analytics/sales/{n}.svg" for n in ("revenue", "orders", "average", "products")),
    "/admin/analytics/sales/categories.svg",
    "/admin/analytics/abandonment/rate.svg",
    "/admin/analytics/abandonment/products.svg",
)
CSVS = (
    *(f"/admin/analytics/sales/{n}.csv" for n in ("over-time", "products", "categories")),
    "/admin/analytics/sales/coupons.csv",
    "/admin/analytics/abandonment/days.csv",
    "/admin/analytics/abandonment/products.csv",
)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, 10, hour, tzinfo=UTC) + timedelta(days=day)


def staff(app, factory, role="admin"):
    client = app.test_client()
    login(client, factory.user(f"{role}-sales-{secrets.token_hex(3)}@example.com", role=role))
    return client


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _order(user, product, quantity, day, coupon=None, discount=0, status="paid"):
    total = product.price * quantity - discount
    order = Order(
        number=f"QK-F{secrets.token_hex(4).upper()}",
        user_id=user.id,
        status=status,
        currency="USD",
        subtotal=product.price * quantity,
        discount=discount,
        shipping=0,
        total=total,
        coupon_code=coupon,
        payment_method="wallet",
        shipping_address={"country": "US"},
        contact_email=user.email,
        idempotency_key=secrets.token_hex(16),
        created_at=at(day),
    )
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
    return order


@pytest.fixture
def shop(app, factory):
    """Three sales (60.00, 27.00 with WELCOME10, 16.00), two abandoned carts and one
    ordered, one reminder that was followed by the 16.00 order."""
    lamp = factory.product("Desk Lamp", price=2_500, category=factory.category("Lighting"))
    kettle = factory.product("Blue Kettle", price=3_000, category=factory.category("Kitchen"))
    mug = factory.product("Tea Mug", price=800)
    user = factory.user("buyer-sales@example.com")
    with app.app_context():
        recovered = _order(user, mug, 2, 3)
        db.session.add_all(
            [
                _order(user, kettle, 2, 0),
                _order(user, kettle, 1, 1, coupon="WELCOME10", discount=300),
                recovered,
                _order(user, lamp, 9, 2, status="cancelled"),
            ]
        )
        cart = Cart(user_id=user.id)
        db.session.add(cart)
        db.session.flush()
        db.session.add(
            CartReminder(
                cart_id=cart.id,
                user_id=user.id,
                cart_updated_at=at(1),
                sent_at=at(2),
                restored_at=at(2, 13),
                recovered_at=at(3),
                order_id=recovered.id,
            )
        )
        for session, product, quantity, day in (
            ("c1", lamp, 2, 0),
            ("c2", kettle, 1, 1),
            ("c2", lamp, 1, 1),
            ("c3", mug, 1, 2),
        ):
            db.session.add(
                AnalyticsEvent(
                    kind="cart.added",
                    session=session,
                    occurred_at=at(day),
                    product_id=product.id,
                    value=product.price * quantity,
                    data={"quantity": quantity},
                )
            )
        db.session.add(
            AnalyticsEvent(kind="order.placed", session="c3", occurred_at=at(2, 13), data={})
        )
        db.session.commit()
    return {"lamp": lamp, "kettle": kettle, "mug": mug}


def test_admins_read_the_reports_and_managers_and_shoppers_do_not(app, factory):
    admin, manager = staff(app, factory), staff(app, factory, "manager")
    shopper = app.test_client()
    login(shopper, factory.user("shopper-sales@example.com"))
    for path in (*PAGES, *CHARTS[:1], *CSVS[:1]):
        assert admin.get(path).status_code == 200, path
        assert manager.get(path).status_code == 403, path
        assert shopper.get(path).status_code in (403, 404), path
        visitor = app.test_client().get(path)
        assert visitor.status_code in (302, 303) and "/login" in visitor.headers["Location"]


def test_the_sales_page_shows_the_weeks_numbers(app, factory, shop):
    page = staff(app, factory).get(f"/admin/analytics/sales{RANGE}").get_data(as_text=True)
    assert '<a href="/admin/analytics" aria-current="page">Analytics</a>' in page  # sidebar
    assert f'<a href="/admin/analytics/sales{IN_HTML}" aria-current="page">Sales</a>' in page
    assert f'<a href="/admin/analytics/abandonment{IN_HTML}">Cart abandonment</a>' in page
    for title, number in (
        ("Revenue", "$103.00"),
        ("Orders", "3"),
        ("Average order", "$34.33"),
        ("Units sold", "5"),
    ):
        assert f'<h2>{title}</h2><p class="big-number">{number}</p>' in page
    kettle, mug = shop["kettle"], shop["mug"]
    assert (
        f'<th scope="row"><a href="/admin/products/{kettle.id}">Blue Kettle</a></th>'
        '<td class="num">3</td><td class="num">$90.00</td>'
    ) in page
    assert f'<a href="/admin/products/{mug.id}">Tea Mug</a>' in page
    assert "Desk Lamp" not in page  # only cancelled: no sale
    assert (
        '<th scope="row">WELCOME10</th><td class="num">1</td><td class="num">$3.00</td>'
        '<td class="num">$27.00</td><td class="num">$27.00</td>'
    ) in page
    assert (
        '<th scope="row">Without a code</th><td class="num">2</td><td class="num">$76.00</td>'
        '<td class="num">$38.00</td>'
    ) in page
    assert f'src="/admin/analytics/sales/revenue.svg?start={START}&amp;end={END}"' in page


def test_the_abandonment_page_shows_the_weeks_numbers(app, factory, shop):
    client = staff(app, factory)
    page = client.get(f"/admin/analytics/abandonment{RANGE}").get_data(as_text=True)
    assert "<h1>Cart abandonment</h1>" in page
    assert '<h2>Abandonment rate</h2><p class="big-number">66.7 %</p>' in page
    assert "2 of 3 carts left without an order" in page
    assert '<h2>Value left in carts</h2><p class="big-number">$105.00</p>' in page
    lamp, kettle = shop["lamp"], shop["kettle"]
    assert (
        f'<th scope="row"><a href="/admin/products/{lamp.id}">Desk Lamp</a></th>'
        '<td class="num">2</td><td class="num">3</td><td class="num">$75.00</td>'
    ) in page
    assert f'<a href="/admin/products/{kettle.id}">Blue Kettle</a>' in page
    assert '<th scope="row">Followed by an order</th><td class="num">1</td>' in page
    assert "Recovered revenue: <strong>$16.00</strong>" in page


def test_without_the_catalogue_permission_products_are_not_links(app, factory, shop, monkeypatch):
    client = staff(app, factory)
    monkeypatch.setitem(accounts.ROLE_PERMISSIONS, "admin", frozenset({"reports"}))
    for path in PAGES:
        page = client.get(f"{path}{RANGE}").get_data(as_text=True)
        assert '<th scope="row">Blue Kettle</th>' in page
        assert "/admin/products/" not in page


def test_the_csvs_hold_every_row(app, factory, shop):
    client = staff(app, factory)
    over_time = client.get(f"/admin/analytics/sales/over-time.csv{RANGE}")
    assert over_time.mimetype == "text/csv"
    assert over_time.headers["Content-Disposition"] == (
        f'attachment; filename="qkart-sales-over-time-{START}-{END}.csv"'
    )
    rows = rows_of(over_time)
    assert rows[0] == ["from", "to", "revenue", "orders", "average order"]
    assert (
        rows[1:3]
        == [
            [START, START, "$60.00", "1", "$60.00"],
            ["2026-11-11", "2026-11-11", "$27.00", "1", "$27.00"],
        ]
        and len(rows) == 8
    )
    products = rows_of(client.get(f"/admin/analytics/sales/products.csv{RANGE}"))
    assert products[1:] == [
        [str(shop["kettle"].id), "Blue Kettle", "3", "$90.00"],
        [str(shop["mug"].id), "Tea Mug", "2", "$16.00"],
    ]
    coupons = rows_of(client.get(f"/admin/analytics/sales/coupons.csv{RANGE}"))
    assert coupons[1:] == [
        ["WELCOME10", "1", "$3.00", "$27.00", "$27.00"],
        ["(any code)", "1", "", "$27.00", "$27.00"],
        ["(no code)", "2", "", "$76.00", "$38.00"],
    ]
    days = rows_of(client.get(f"/admin/analytics/abandonment/days.csv{RANGE}"))
    assert days[0] == ["day", "carts", "ordered", "abandoned", "abandonment %"]
    assert days[1:4] == [
        [START, "1", "0", "1", "100.0"],
        ["2026-11-11", "1", "0", "1", "100.0"],
        ["2026-11-12", "1", "1", "0", "0.0"],
    ]
    assert days[4] == ["2026-11-13", "0", "0", "0", ""]
    left = rows_of(client.get(f"/admin/analytics/abandonment/products.csv{RANGE}"))
    assert [row[1:] for row in left[1:]] == [
        ["Desk Lamp", "2", "3", "$75.00"],
        ["Blue Kettle", "1", "1", "$30.00"],
    ]


def test_charts_are_svg_images_that_run_nothing(app, factory, shop):
    client = staff(app, factory)
    for path in CHARTS:
        response = client.get(f"{path}{RANGE}")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml", path
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        svg = response.get_data(as_text=True)
        assert "<script" not in svg and "<svg" in svg
    titles = {
        "/admin/analytics/sales/revenue.svg": "Revenue per day",
        "/admin/analytics/sales/products.svg": "Top products by revenue",
        "/admin/analytics/abandonment/rate.svg": "Abandoned carts per day (%)",
    }
    for path, title in titles.items():
        assert title in client.get(f"{path}{RANGE}").get_data(as_text=True)
    quarter = client.get("/admin/analytics/sales/orders.svg?start=2026-09-01&end=2026-11-30")
    assert "Orders per week" in quarter.get_data(as_text=True)
    for missing in ("/admin/analytics/sales/other.svg", "/admin/analytics/abandonment/x.csv"):
        assert client.get(missing).status_code == 404


@pytest.mark.parametrize(
    "query, message",
    [
        ("?start=2026-11-10&end=2026-11-01", "The last day cannot come before the first."),
        ("?start=2025-01-01&end=2026-11-01", "Choose at most a year at a time."),
        ("?start=31-12-2026", "Enter a day like 2026-12-31."),
    ],
)
def test_a_bad_range_is_a_422_that_says_what_to_fix(app, factory, query, message):
    client = staff(app, factory)
    for path in PAGES:
        response = client.get(f"{path}{query}")
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    for path in (*CHARTS, *CSVS):
        response = client.get(f"{path}{query}")
        assert response.status_code == 422, path
        assert message in response.get_data(as_text=True) and response.mimetype == "text/plain"


KEPT_QUERIES = 3


# The staff member, the report's grouped queries (five and four) and the layout's cart
# badge (the categories are kept once read). A year is a worker's job (inline here, no
# Redis): once computed, the page reads the kept result, whatever the range's size.
@pytest.mark.parametrize("path, queries", list(zip(PAGES, (7, 6), strict=True)))
def test_the_pages_take_the_same_few_queries_for_a_week_or_a_year(
    app, factory, shop, path, queries
):
    client = staff(app, factory)
    client.get(path)  # warm: the settings caches and the kept categories
    with count_queries(app) as week:
        assert client.get(f"{path}{RANGE}").status_code == 200
    year = "?start=2026-01-01&end=2026-12-31"
    first = client.get(f"{path}{year}")
    assert first.status_code == 200 and "Computing this report" not in first.get_data(as_text=True)
    with count_queries(app) as kept:
        assert client.get(f"{path}{year}").status_code == 200
    assert len(week) == queries
    # The staff member, the kept run (a range up to today is kept for five minutes), the
    # cart badge.
    assert len(kept) == KEPT_QUERIES, "\n".join(q[:150] for q in kept)


def test_a_reminded_cart_that_is_bought_shows_as_recovered(app, factory, outbox):
    """The whole way: a cart left, the reminder, its link, the order, the report."""
    from sqlalchemy import select, update

    from qkart.cart.reminders import send_reminders
    from qkart.core.db import utcnow
    from tests.conftest import check_out, find_link

    rita = factory.user("rita-recovered@example.com", name="Rita Reminded", wallet=20_000)
    factory.address(rita)
    factory.cart_item(rita, factory.product("Blue Kettle", price=3_000, stock=4), 2)
    with app.app_context():
        db.session.execute(update(Cart).values(updated_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
        assert send_reminders() == 1
    shopper = app.test_client()
    login(shopper, rita)
    link = find_link(outbox.messages("rita-recovered@example.com")[0], "/cart/restore/")
    assert shopper.get(link).status_code == 303
    assert check_out(shopper, method="wallet", email=None).status_code == 303
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.total) == ("paid", 6_500)  # 60.00 and 5.00 delivery
    page = staff(app, factory).get("/admin/analytics/abandonment").get_data(as_text=True)
    for label, number in (("Sent", 1), ("Link opened", 1), ("Followed by an order", 1)):
        assert f'<th scope="row">{label}</th><td class="num">{number}</td>' in page
    assert "Recovered revenue: <strong>$65.00</strong>" in page
