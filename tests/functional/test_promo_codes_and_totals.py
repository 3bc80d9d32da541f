"""Promo codes in the cart (htmx and plain forms), and one breakdown on every page and e-mail."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from qkart.coupons.models import Coupon, CouponRedemption
from qkart.extensions import db
from qkart.orders.models import Order
from qkart.pricing.models import TaxRate
from tests.conftest import check_out, htmx


@pytest.fixture
def codes(app):
    with app.app_context():
        db.session.add_all(
            [
                Coupon(code="SAVE10", kind="percent", percent=Decimal("10"), description="10% off"),
                Coupon(code="BIG5", kind="fixed", amount=500, min_order=5_000),
                Coupon(code="GONE", kind="fixed", amount=500, usage_limit=1, times_used=1),
            ]
        )
        db.session.commit()


@pytest.fixture
def us_tax(app):
    with app.app_context():
        db.session.add(
            TaxRate(country="US", tax_class="standard", rate=Decimal("7"), label="Sales tax")
        )
        db.session.commit()


def _numbers(html: str, prefix: str) -> dict[str, str]:
    found = re.findall(rf'id="{prefix}-(subtotal|discount|shipping|tax|total)">([^<]+)<', html)
    return dict(found)


def test_apply_and_remove_a_code_with_htmx(client, factory, codes):
    client.post("/cart/items", data={"product_id": factory.product(price=6000, stock=5).id})
    response = client.post("/cart/coupon", data={"code": " save10 "}, headers=htmx("cart"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Code <strong>SAVE10</strong> applied: 10% off." in html
    assert _numbers(html, "cart") == {
        "subtotal": "$60.00",
        "discount": "−$6.00",
        "shipping": "$5.00",
        "tax": "$0.00",
        "total": "$59.00",
    }
    response = client.post("/cart/coupon/remove", headers=htmx("cart"))
    assert "Remove code" not in response.get_data(as_text=True)
    assert 'id="cart-total">$65.00<' in response.get_data(as_text=True)


def test_apply_a_code_without_javascript(client, factory, codes):
    client.post("/cart/items", data={"product_id": factory.product(price=6000, stock=5).id})
    response = client.post("/cart/coupon", data={"code": "SAVE10"})
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert 'id="cart-discount">−$6.00<' in client.get("/cart").get_data(as_text=True)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("NOPE", "We do not know the code NOPE. Check the spelling."),
        ("GONE", "This code has been used up."),
        ("BIG5", "This code needs a minimum order of $50.00."),
        ("", "Enter a promo code."),
        ("X" * 41, "That code is too long."),
    ],
)
def test_a_refused_code_says_why_beside_the_field(app, client, factory, codes, code, reason):
    client.post("/cart/items", data={"product_id": factory.product(price=1000, stock=5).id})
    response = client.post("/cart/coupon", data={"code": code}, headers=htmx("cart"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert reason in html and 'aria-invalid="true"' in html
    with app.app_context():
        assert db.session.scalar(select(Order)) is None


def test_a_code_that_stopped_working_blocks_the_order_until_removed(app, client, factory, codes):
    client.post("/cart/items", data={"product_id": factory.product(price=6000, stock=5).id})
    client.post("/cart/coupon", data={"code": "SAVE10"})
    with app.app_context():
        db.session.execute(Coupon.__table__.update().values(is_active=False))
        db.session.commit()
    assert "SAVE10: This code is not available right now." in client.get("/cart").get_data(
        as_text=True
    )
    response = check_out(client, method="cod")
    assert response.status_code == 422
    assert "Remove it from your cart to place the order." in response.get_data(as_text=True)
    client.post("/cart/coupon/remove")
    page = client.get("/checkout").get_data(as_text=True)
    assert client.post("/checkout", data=_review(page)).status_code == 303


def _review(page):
    from tests.conftest import review_form

    return review_form(page)


def test_a_used_code_is_counted_and_kept_on_the_order(app, client, factory, codes):
    client.post("/cart/items", data={"product_id": factory.product(price=6000, stock=5).id})
    client.post("/cart/coupon", data={"code": "SAVE10"})
    assert check_out(client, method="cod", email="c@example.com").status_code == 303
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert (order.coupon_code, order.discount, order.total) == ("SAVE10", 600, 5900)
        redemption = db.session.scalar(select(CouponRedemption))
        assert (redemption.order_id, redemption.email, redemption.discount) == (
            order.id,
            "c@example.com",
            600,
        )
        assert db.session.scalar(select(Coupon.times_used).where(Coupon.code == "SAVE10")) == 1


def test_the_breakdown_is_the_same_on_cart_checkout_order_and_email(
    app, client, factory, codes, us_tax, outbox
):
    client.post(
        "/cart/items", data={"product_id": factory.product(price=4999, stock=5).id, "quantity": 2}
    )
    client.post("/cart/coupon", data={"code": "SAVE10"})
    cart = _numbers(client.get("/cart").get_data(as_text=True), "cart")
    # 99.98 - 10.00 (10 %, half up) = 89.98 + 5.00 shipping; 7 % of 94.98 = 6.6486 -> 6.65.
    assert cart == {
        "subtotal": "$99.98",
        "discount": "−$10.00",
        "shipping": "$5.00",
        "tax": "$6.65",
        "total": "$101.63",
    }
    response = check_out(client, method="cod", email="same@example.com")
    checkout = _numbers(client.get("/checkout").get_data(as_text=True), "checkout")
    order_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _numbers(order_page, "order") == cart
    del checkout  # the cart is empty after ordering; the review was priced before
    [mail] = outbox.messages("same@example.com")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    for line in (
        "Subtotal: $99.98",
        "Discount (SAVE10): -$10.00",
        "Shipping (Standard delivery): $5.00",
        "Sales tax 7%: $6.65",
        "Total: $101.63",
    ):
        assert line in text, text
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "$101.63" in html and "Sales tax 7%" in html


def test_checkout_review_matches_the_cart(client, factory, codes, us_tax):
    client.post("/cart/items", data={"product_id": factory.product(price=2500, stock=5).id})
    client.post("/cart/coupon", data={"code": "SAVE10"})
    cart = _numbers(client.get("/cart").get_data(as_text=True), "cart")
    client.post("/checkout/contact", data={"email": "r@example.com"})
    checkout = _numbers(client.get("/checkout").get_data(as_text=True), "checkout")
    assert cart == checkout


def test_staff_see_each_codes_use_discount_and_revenue(app, client, factory, codes):
    from qkart.coupons.services import revenue_by_coupon
    from tests.conftest import login

    client.post("/cart/items", data={"product_id": factory.product(price=6000, stock=5).id})
    client.post("/cart/coupon", data={"code": "SAVE10"})
    assert check_out(client, method="cod", email="c@example.com").status_code == 303
    with app.app_context():
        save10 = db.session.scalar(select(Coupon.id).where(Coupon.code == "SAVE10"))
        assert revenue_by_coupon()[save10] == (1, 600, 0)  # cash on delivery: not paid yet
        db.session.execute(Order.__table__.update().values(status="delivered"))
        db.session.commit()
        assert revenue_by_coupon()[save10] == (1, 600, 5900)
    staff = app.test_client()
    login(staff, factory.user("coupons@example.com", role="admin"))
    page = staff.get("/admin/coupons").get_data(as_text=True)
    assert '<td class="num">$6.00</td>' in page and '<td class="num">$59.00</td>' in page
