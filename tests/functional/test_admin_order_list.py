"""Staff find orders (status, dates, payment method, customer), export them as CSV and
print a packing slip."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from qkart.core.db import utcnow
from qkart.extensions import db
from qkart.orders.models import Order
from qkart.orders.staff import CSV_COLUMNS
from tests.conftest import check_out, login


def _buy(app, factory, email: str, name: str, method: str, days_ago: int = 0) -> str:
    buyer = factory.user(email, name=name, wallet=100_000)
    factory.address(buyer)
    factory.cart_item(buyer, factory.product(f"Lamp for {name}", price=2_500, stock=9), 2)
    shopper = app.test_client()
    login(shopper, buyer)
    assert check_out(shopper, method=method, email=None).status_code == 303
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        if days_ago:
            db.session.execute(
                update(Order)
                .where(Order.id == order.id)
                .values(created_at=utcnow() - timedelta(days=days_ago))
            )
            db.session.commit()
        return order.number


@pytest.fixture
def orders(app, factory):
    staff = app.test_client()
    login(staff, factory.user("clerk@example.com", role="manager"))
    numbers = {
        "ada": _buy(app, factory, "ada@example.com", "Ada Lovelace", "wallet", days_ago=10),
        "bob": _buy(app, factory, "bob@example.com", "Bob Builder", "cod"),
        "cy": _buy(app, factory, "cy@example.com", "Cy Twombly", "wallet"),
    }
    return staff, numbers


def _listed(staff, query: str = "") -> set[str]:
    page = staff.get(f"/admin/orders{query}").get_data(as_text=True)
    return set(re.findall(r'class="nowrap">(QK-[A-Z0-9-]+)<', page))


def test_filters_by_payment_method_customer_and_dates(orders):
    staff, n = orders
    assert _listed(staff) == set(n.values())
    assert _listed(staff, "?method=cod") == {n["bob"]}
    assert _listed(staff, "?customer=lovelace") == {n["ada"]}  # by name
    assert _listed(staff, "?customer=cy%40") == {n["cy"]}  # by e-mail
    today = utcnow().date()
    week_ago = (today - timedelta(days=7)).isoformat()
    assert _listed(staff, f"?since={week_ago}") == {n["bob"], n["cy"]}
    assert _listed(staff, f"?until={week_ago}") == {n["ada"]}
    assert _listed(staff, f"?since={today}&until={today}&method=wallet") == {n["cy"]}
    assert _listed(staff, "?status=cancelled") == set()
    assert "No orders match these filters." in staff.get("/admin/orders?status=cancelled").text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?since=2026-02-31", "Enter a day like 2026-12-31."),
        ("?since=2026-05-02&until=2026-05-01", "Choose a day on or after the first one."),
        ("?method=bitcoin", "Not a valid choice."),
    ],
)
def test_a_bad_filter_is_refused_beside_its_field(orders, query, message):
    staff, _ = orders
    response = staff.get(f"/admin/orders{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert staff.get(f"/admin/orders/export.csv{query}").status_code == 422


def test_the_csv_export_has_every_order_of_the_filter(orders):
    staff, n = orders
    page = staff.get("/admin/orders?method=wallet").get_data(as_text=True)
    assert 'href="/admin/orders/export.csv?method=wallet"' in page
    response = staff.get("/admin/orders/export.csv?method=wallet")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["number"] for r in rows] == [n["cy"], n["ada"]]  # newest first
    cy = rows[0]
    assert (cy["customer"], cy["email"], cy["items"], cy["payment_method"]) == (
        "Cy Twombly",
        "cy@example.com",
        "2",
        "wallet",
    )
    assert cy["subtotal"] == "50.00" and cy["guest"] == "no"


def test_the_packing_slip_lists_what_goes_in_the_parcel_without_prices(orders):
    staff, n = orders
    detail = staff.get(f"/admin/orders/{n['bob']}").get_data(as_text=True)
    assert f'href="/admin/orders/{n["bob"]}/packing-slip"' in detail
    slip = staff.get(f"/admin/orders/{n['bob']}/packing-slip")
    assert slip.status_code == 200
    text = slip.get_data(as_text=True)
    assert "Packing slip" in text and "Lamp for Bob Builder" in text
    assert "$25.00" not in text and "$50.00" not in text
    assert staff.get("/admin/orders/QK-NOPE-NOPE/packing-slip").status_code == 404
