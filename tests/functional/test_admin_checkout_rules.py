"""Staff set the rules checkout follows: delivery options and rates, tax rates, promo codes."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from qkart.coupons.models import Coupon
from qkart.extensions import db
from qkart.pricing.models import TaxRate
from qkart.shipping.models import ShippingMethod
from tests.conftest import check_out, login

PAGES = ("/admin/shipping", "/admin/taxes", "/admin/coupons")


@pytest.fixture
def staff(client, factory):
    login(client, factory.user(role="admin"))
    return client


@pytest.mark.parametrize("url", PAGES)
def test_only_staff_see_the_rules(client, factory, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    login(client, factory.user())
    assert client.get(url).status_code == 403
    assert client.post(url, data={}).status_code == 403


def _method(app, code):
    with app.app_context():
        method = db.session.scalar(select(ShippingMethod).where(ShippingMethod.code == code))
        if method is not None:
            rates = [(r.country, r.from_amount, r.price) for r in method.rates]
            db.session.expunge_all()
            return method, rates
        return None, []


def test_staff_add_a_delivery_option_with_rates_and_shoppers_get_it(app, staff, factory):
    data = {
        "name": "Courier",
        "code": "courier",
        "kind": "delivery",
        "basis": "weight",
        "min_days": "1",
        "max_days": "1",
        "free_over": "",
        "position": "5",
        "is_active": "y",
    }
    response = staff.post("/admin/shipping", data=data)
    assert response.status_code == 303
    method, _ = _method(app, "courier")
    url = f"/admin/shipping/{method.id}"
    assert response.headers["Location"] == url
    assert "No rate yet" in staff.get(url).get_data(as_text=True)
    assert (
        staff.post(
            f"{url}/rates", data={"country": "US", "from_amount": "0", "price": "9.50"}
        ).status_code
        == 303
    )
    heavy = {"country": "US", "from_amount": "2000", "price": "12"}
    assert staff.post(f"{url}/rates", data=heavy).status_code == 303
    _, rates = _method(app, "courier")
    assert sorted(rates) == [("US", 0, 950), ("US", 2000, 1200)]
    # A shopper in the US is offered it, at the weight's rate.
    shopper = app.test_client()
    shopper.post("/cart/items", data={"product_id": factory.product(stock=5).id})
    shopper.post("/checkout/contact", data={"email": "s@example.com"})
    from tests.conftest import US_ADDRESS

    shopper.post("/checkout/address", data=US_ADDRESS)
    page = shopper.get("/checkout?change=shipping").get_data(as_text=True)
    assert "Courier" in page and "$9.50" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "Bad Code"}, "Use lower-case letters, digits and dashes."),
        ({"code": "standard"}, "Another delivery option has this code."),
        ({"min_days": "5", "max_days": "2"}, "The latest day cannot come before the earliest."),
        ({"min_days": "x"}, "Enter a whole number."),
        ({"free_over": "-1"}, "Enter an amount of 0 or more."),
        ({"name": ""}, "Give it a name."),
    ],
)
def test_bad_delivery_options_are_refused_beside_the_field(app, staff, data, message):
    base = {
        "name": "X",
        "code": "x",
        "kind": "delivery",
        "basis": "value",
        "min_days": "1",
        "max_days": "2",
        "position": "1",
    }
    response = staff.post("/admin/shipping", data={**base, **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ShippingMethod).where(ShippingMethod.code == "x")) is None


def test_a_duplicate_rate_and_a_fractional_weight_are_refused(app, staff):
    method, _ = _method(app, "standard")
    url = f"/admin/shipping/{method.id}/rates"
    response = staff.post(url, data={"country": "", "from_amount": "0", "price": "1"})
    assert response.status_code == 422 and "already has a rate" in response.get_data(as_text=True)
    with app.app_context():
        db.session.execute(ShippingMethod.__table__.update().values(basis="weight"))
        db.session.commit()
    response = staff.post(url, data={"country": "US", "from_amount": "1.5", "price": "1"})
    assert response.status_code == 422 and "Weights are whole grams." in response.get_data(
        as_text=True
    )


def test_staff_delete_a_rate(app, staff):
    method, _ = _method(app, "standard")
    with app.app_context():
        rate_id = db.session.get(ShippingMethod, method.id).rates[0].id
    assert staff.post(f"/admin/shipping/{method.id}/rates/{rate_id}/delete").status_code == 303
    assert _method(app, "standard")[1] == []


def test_staff_set_and_change_tax_rates(app, staff, factory):
    data = {"country": "US", "tax_class": "standard", "rate": "8.25", "label": "Sales tax"}
    assert staff.post("/admin/taxes", data=data).status_code == 303
    assert staff.post("/admin/taxes", data={**data, "rate": "9"}).status_code == 303
    with app.app_context():
        [rate] = db.session.scalars(select(TaxRate)).all()
        assert rate.rate == Decimal("9") and rate.label == "Sales tax"
    page = staff.get("/admin/taxes").get_data(as_text=True)
    assert "United States" in page and "9 %" in page
    shopper = app.test_client()
    shopper.post("/cart/items", data={"product_id": factory.product(price=1000, stock=3).id})
    # 9 % of 10.00 + 5.00 shipping = 1.35.
    assert 'id="cart-tax">$1.35<' in shopper.get("/cart").get_data(as_text=True)
    for bad, message in (
        ("100", "Use a rate from 0 to 99.999."),
        ("abc", "Enter an amount like 25 or 19.99."),
    ):
        response = staff.post("/admin/taxes", data={**data, "rate": bad})
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert staff.post(f"/admin/taxes/{rate.id}/delete").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(TaxRate)) is None


def test_staff_create_edit_and_pause_a_promo_code(app, staff, factory):
    books = factory.category("Books")
    data = {
        "code": "spring15",
        "kind": "percent",
        "value": "15",
        "description": "Spring sale",
        "min_order": "20",
        "starts_at": "2026-01-01",
        "ends_at": "2099-01-01",
        "usage_limit": "100",
        "per_customer_limit": "1",
        "categories": str(books.id),
        "is_active": "y",
    }
    assert staff.post("/admin/coupons", data=data).status_code == 303
    with app.app_context():
        coupon = db.session.scalar(select(Coupon))
        assert coupon.code == "SPRING15" and coupon.percent == Decimal("15")
        assert coupon.min_order == 2000 and [c.name for c in coupon.categories] == ["Books"]
        coupon_id = coupon.id
    page = staff.get("/admin/coupons").get_data(as_text=True)
    assert "SPRING15" in page and "15 %" in page and "0 / 100" in page
    edit = staff.get(f"/admin/coupons/{coupon_id}").get_data(as_text=True)
    assert 'value="SPRING15"' in edit and 'value="2026-01-01"' in edit
    paused = {k: v for k, v in data.items() if k != "is_active"}
    assert staff.post(f"/admin/coupons/{coupon_id}", data=paused).status_code == 303
    shopper = app.test_client()
    shopper.post(
        "/cart/items", data={"product_id": factory.product(price=3000, stock=3, category=books).id}
    )
    response = shopper.post("/cart/coupon", data={"code": "spring15"})
    assert response.status_code == 422
    assert "This code is not available right now." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"value": "150"}, "A percentage is at most 100."),
        ({"value": "0"}, "Enter a value above 0."),
        ({"code": "no spaces"}, "Use letters, digits, dashes or underscores."),
        (
            {"starts_at": "2026-05-01", "ends_at": "2026-04-01"},
            "The end must come after the start.",
        ),
        ({"ends_at": "yesterday"}, "Enter a day like 2026-12-31."),
    ],
)
def test_bad_promo_codes_are_refused(app, staff, data, message):
    base = {"code": "X1", "kind": "percent", "value": "10", "per_customer_limit": "1"}
    response = staff.post("/admin/coupons", data={**base, **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Coupon)) is None


def test_a_duplicate_code_is_refused(app, staff):
    base = {"code": "TWICE", "kind": "fixed", "value": "5", "per_customer_limit": "1"}
    assert staff.post("/admin/coupons", data=base).status_code == 303
    response = staff.post("/admin/coupons", data={**base, "code": "twice"})
    assert response.status_code == 422
    assert "Another promo code is already called that." in response.get_data(as_text=True)


def test_promo_code_usage_shows_after_an_order(app, staff, factory):
    staff.post(
        "/admin/coupons", data={"code": "TENOFF", "kind": "fixed", "value": "10", "is_active": "y"}
    )
    shopper = app.test_client()
    shopper.post("/cart/items", data={"product_id": factory.product(price=5000, stock=3).id})
    shopper.post("/cart/coupon", data={"code": "TENOFF"})
    assert check_out(shopper, method="cod").status_code == 303
    page = staff.get("/admin/coupons").get_data(as_text=True)
    assert "$10.00" in page and re.search(r'class="num">1</td>', page)
