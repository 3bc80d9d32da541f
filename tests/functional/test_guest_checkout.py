"""Guests: checkout with only an e-mail and an address, a signed link to the order, claiming it."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from qkart.extensions import db
from qkart.orders.models import Order
from qkart.payments.models import Payment
from tests.conftest import PASSWORD, US_ADDRESS, check_out, htmx, login


def _add(client, product, quantity=1):
    client.post("/cart/items", data={"product_id": product.id, "quantity": quantity})


def _only_order(app):
    with app.app_context():
        order = db.session.scalar(select(Order))
        db.session.expunge_all()
        return order


def test_guest_cash_on_delivery_without_an_account(app, client, factory, outbox):
    product = factory.product("Tea Set", price=3000, stock=5)
    _add(client, product, 2)
    response = check_out(client, method="cod", email="Gina@Example.com")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.match(r"/orders/QK-[A-Z0-9-]+\?placed=1&access=[^&]+$", location)
    order = _only_order(app)
    assert order.user_id is None and order.contact_email == "gina@example.com"
    assert order.status == "placed" and order.payment_method == "cod"
    assert order.total == 6000 + 500
    with app.app_context():
        [payment] = db.session.scalars(select(Payment)).all()
        assert (payment.method, payment.status, payment.amount) == ("cod", "pending", 6500)
    page = client.get(location).get_data(as_text=True)
    assert "Thank you for your order!" in page and "Create an account" in page
    assert "Cash on delivery: $65.00" in page and "Pending" in page
    assert 'id="cart-count" class="badge">0<' in page
    [mail] = outbox.messages("gina@example.com")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Cash on delivery" in text and "Total: $65.00" in text
    link = re.search(r"http://[^/]+(/orders/\S+)", text).group(1)
    assert "access=" in link


def test_the_signed_link_opens_the_order_anywhere_and_nothing_else_does(app, client, factory):
    _add(client, factory.product(stock=5))
    location = check_out(client, method="cod").headers["Location"]
    order = _only_order(app)
    token = re.search(r"access=([^&]+)", location).group(1)
    elsewhere = app.test_client()
    assert elsewhere.get(f"/orders/{order.number}?access={token}").status_code == 200
    # Without the link, another browser is asked to log in; a forged or swapped link is 404.
    response = elsewhere.get(f"/orders/{order.number}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert elsewhere.get(f"/orders/{order.number}?access={token[:-2]}xx").status_code == 404
    assert elsewhere.get(f"/orders/QK-AAAA-BBBB?access={token}").status_code == 404
    # The browser that ordered may open it again without the link (its session remembers).
    assert client.get(f"/orders/{order.number}").status_code == 200


def test_a_signed_in_shopper_cannot_open_a_guest_order_without_its_link(
    app, client, factory, logged_in
):
    guest = app.test_client()
    _add(guest, factory.product(stock=5))
    check_out(guest, method="cod")
    order = _only_order(app)
    logged_in()
    assert client.get(f"/orders/{order.number}").status_code == 404


def test_registering_with_the_address_claims_the_guest_orders(app, client, factory, outbox):
    _add(client, factory.product(stock=5))
    check_out(client, method="cod", email="claire@example.com")
    order = _only_order(app)
    data = {"name": "Claire", "email": "claire@example.com", "password": PASSWORD}
    client.post("/register", data={**data, "confirm_password": PASSWORD})
    assert "No orders yet" in client.get("/orders").get_data(as_text=True)  # not verified yet
    client.get(outbox.link("claire@example.com", "/verify-email/"))
    assert order.number in client.get("/orders").get_data(as_text=True)
    assert _only_order(app).user_id is not None


def test_guest_contact_step_checks_the_address(app, client, factory):
    _add(client, factory.product(stock=5))
    response = client.post("/checkout/contact", data={"email": "not-an-email"})
    assert response.status_code == 422
    assert "Enter an e-mail address like name@example.com." in response.get_data(as_text=True)
    response = client.post(
        "/checkout/contact", data={"email": "ok@example.com"}, headers=htmx("checkout")
    )
    assert response.status_code == 200 and "ok@example.com" in response.get_data(as_text=True)


def test_guest_cannot_pay_with_a_wallet(app, client, factory):
    _add(client, factory.product(stock=5))
    client.post("/checkout/contact", data={"email": "g@example.com"})
    client.post("/checkout/address", data=US_ADDRESS)
    page = client.get("/checkout").get_data(as_text=True)
    assert "Log in to pay with your wallet." in page
    response = client.post("/checkout/payment", data={"payment_method": "wallet"})
    assert response.status_code == 422


def test_a_guest_cannot_skip_the_steps(app, client, factory):
    _add(client, factory.product(stock=5))
    response = client.post("/checkout", data={"payment_method": "cod"})
    assert response.status_code == 422
    assert "Enter your e-mail address" in response.get_data(as_text=True)
    assert _only_order(app) is None


def test_cash_on_delivery_fee_and_limit(make_app, factory):
    app = make_app(QKART_COD_FEE=Decimal("2.50"), QKART_COD_MAX=Decimal("50.00"))
    client = app.test_client()
    user = factory.user()
    factory.address(user)
    login(client, user)
    cheap = factory.product(price=2000, stock=5)
    factory.cart_item(user, cheap, 1)
    client.post("/checkout/payment", data={"payment_method": "cod"})
    page = client.get("/checkout").get_data(as_text=True)
    assert 'id="checkout-fee">$2.50<' in page and 'id="checkout-total">$27.50<' in page
    factory.cart_item(user, cheap, 2)  # 60.00 now: over the limit
    page = client.get("/checkout").get_data(as_text=True)
    assert "Only for orders up to $50.00." in page
    response = client.post("/checkout", data={"payment_method": "cod"})
    assert response.status_code == 422
    assert "Only for orders up to $50.00." in response.get_data(as_text=True)
