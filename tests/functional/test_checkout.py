"""Checkout over HTTP: the steps (htmx and plain), refusals in order, success, double submit."""

import re

import pytest
from sqlalchemy import func, select

from qkart.accounts.models import Address
from qkart.catalog.models import Product
from qkart.checkout.models import CheckoutDraft
from qkart.extensions import db
from qkart.orders.models import Order
from qkart.shipping.models import ShippingMethod, ShippingRate
from tests.conftest import PASSWORD, htmx, login, review_form, wallet_of

ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "12 Analytical Row",
    "line2": "",
    "city": "London",
    "region": "",
    "postal_code": "NW1 6XE",
    "country": "GB",
    "phone": "",
}


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _key(page: str) -> str:
    return re.search(r'name="checkout_key" type="hidden" value="([^"]+)"', page).group(1)


@pytest.fixture
def shopper(factory, client):
    user = factory.user(wallet=100_000, name="Ada Lovelace")
    login(client, user)
    return user


@pytest.fixture
def express(app):
    with app.app_context():
        db.session.add(
            ShippingMethod(
                code="express",
                name="Express delivery",
                basis="weight",
                min_days=1,
                max_days=2,
                position=2,
                rates=[
                    ShippingRate(country="", from_amount=0, price=1500),
                    ShippingRate(country="", from_amount=5000, price=2500),
                ],
            )
        )
        db.session.commit()


def test_visitor_checks_out_as_guest_or_logs_in_and_comes_back(client, factory):
    user = factory.user()
    product = factory.product(stock=5)
    client.post("/cart/items", data={"product_id": product.id})
    page = client.get("/checkout").get_data(as_text=True)
    assert "Check out as a guest" in page and 'href="/login?next=/checkout"' in page
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "/checkout"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/checkout"


def test_login_ignores_next_outside_the_shop(client, factory):
    user = factory.user()
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "https://evil.example"}
    )
    assert response.headers["Location"] == "/"


def test_empty_cart_checkout_page(client, shopper):
    page = client.get("/checkout").get_data(as_text=True)
    assert "Your cart is empty" in page


def test_checkout_page_shows_the_steps_and_the_summary(client, shopper, factory):
    product = factory.product("Watch", price=6000, stock=5)
    factory.cart_item(shopper, product, 1)
    response = client.get("/checkout")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Watch × 1" in page
    assert 'id="checkout-subtotal">$60.00<' in page and 'id="checkout-total">$65.00<' in page
    assert f"Signed in as <strong>{shopper.email}</strong>" in page
    assert "Your shipping address" in page  # no saved address: the form is open
    assert "Finish the steps above" in page and ">Place order<" not in page
    # No control outside its form: text browsers would drop it.
    assert ' form="' not in page


def test_saved_default_address_and_delivery_are_preselected(client, shopper, factory):
    factory.address(shopper, full_name="Ada Default")
    factory.cart_item(shopper, factory.product(price=6000, stock=5), 1)
    page = client.get("/checkout").get_data(as_text=True)
    assert re.search(r'class="step-answer">.*Ada Default', page)
    assert "<strong>Standard delivery</strong>, $5.00" in page
    assert 'name="payment_method" value="wallet"' in page  # the payment step is open


def test_add_address_inline_with_htmx(app, client, shopper, factory):
    factory.cart_item(shopper, factory.product(stock=5), 1)
    response = client.post("/checkout/address", data=ADDRESS, headers=htmx("checkout"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in page
    assert "12 Analytical Row" in page and "United Kingdom" in page
    assert "Change <span" in page  # the address step is answered
    assert _count(app, Address) == 1


def test_add_address_inline_without_javascript(app, client, shopper, factory):
    factory.cart_item(shopper, factory.product(stock=5), 1)
    response = client.post("/checkout/address", data=ADDRESS)
    assert response.status_code == 303
    assert response.headers["Location"] == "/checkout#step-address"
    page = client.get("/checkout").get_data(as_text=True)
    assert "12 Analytical Row" in page
    with app.app_context():
        draft = db.session.scalar(select(CheckoutDraft))
        assert draft.address_id is not None


def test_bad_inline_address_is_422_beside_the_field(app, client, shopper, factory):
    factory.cart_item(shopper, factory.product(stock=5), 1)
    bad = dict(ADDRESS, city="", country="XX")
    response = client.post("/checkout/address", data=bad, headers=htmx("checkout"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the town or city." in page and "Not a valid choice" in page
    assert _count(app, Address) == 0


def test_new_address_country_defaults_to_the_shops(client, shopper, factory):
    factory.cart_item(shopper, factory.product(stock=5), 1)
    page = client.get("/checkout").get_data(as_text=True)
    assert '<option value="US" selected>' in page


def test_delivery_step_changes_the_total(client, shopper, factory, express):
    factory.address(shopper)
    factory.cart_item(shopper, factory.product(price=6000, stock=5), 1)
    page = client.get("/checkout?change=shipping").get_data(as_text=True)
    assert 'value="express"' in page and "$15.00" in page
    response = client.post(
        "/checkout/shipping", data={"shipping_method": "express"}, headers=htmx("checkout")
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="checkout-shipping">$15.00<' in page and 'id="checkout-total">$75.00<' in page


def test_a_tampered_delivery_method_is_refused(app, client, shopper, factory):
    factory.address(shopper)
    factory.cart_item(shopper, factory.product(stock=5), 1)
    response = client.post("/checkout/shipping", data={"shipping_method": "teleport"})
    assert response.status_code == 422
    assert "That delivery option is not available" in response.get_data(as_text=True)
    with app.app_context():
        draft = db.session.scalar(select(CheckoutDraft))
        assert draft is None or draft.shipping_method is None


def test_refusals_come_in_order_and_change_nothing(app, client, shopper, factory):
    product = factory.product("Sofa Set", price=150_000, stock=1)
    post = lambda **data: client.post(  # noqa: E731
        "/checkout", data={"payment_method": "wallet", "checkout_key": "k", **data}
    )
    response = post()
    assert response.status_code == 422 and "Your cart is empty" in response.get_data(as_text=True)
    factory.cart_item(shopper, product, 1)
    response = post()
    assert response.status_code == 422
    assert "Choose a shipping address" in response.get_data(as_text=True)
    address = factory.address(shopper)
    other = factory.address(factory.user())
    response = post(address_id=other.id)  # tampered: someone else's address
    assert response.status_code == 422
    assert "Choose a shipping address" in response.get_data(as_text=True)
    response = post(address_id=address.id)
    assert response.status_code == 422
    assert "You do not have enough balance in your wallet for this purchase" in response.get_data(
        as_text=True
    )
    with app.app_context():
        db.session.execute(Product.__table__.update().values(stock=0))
        db.session.commit()
    response = post(address_id=address.id)
    assert response.status_code == 409
    assert "Sofa Set is out of stock" in response.get_data(as_text=True)
    assert _count(app, Order) == 0


@pytest.mark.parametrize(
    "data",
    [
        {"address_id": "abc"},
        {"address_id": "-3"},
        {"address_id": "1", "payment_method": "bitcoin"},
        {"address_id": "1", "checkout_key": "x" * 500},
        {"expected_total": "lots"},
    ],
)
def test_bad_checkout_input_is_a_4xx(app, client, shopper, factory, data):
    factory.cart_item(shopper, factory.product(stock=5), 1)
    response = client.post("/checkout", data={"payment_method": "wallet", **data})
    assert response.status_code == 422
    assert _count(app, Order) == 0


def test_an_unknown_payment_method_is_refused(app, client, shopper, factory):
    address = factory.address(shopper)
    factory.cart_item(shopper, factory.product(stock=5), 1)
    for method in ("bitcoin", "card"):  # card: Stripe is not configured in this shop
        response = client.post(
            "/checkout", data={"address_id": address.id, "payment_method": method}
        )
        assert response.status_code == 422
        assert "Choose how you want to pay" in response.get_data(as_text=True)
        response = client.post("/checkout/payment", data={"payment_method": method})
        assert response.status_code == 422
    assert _count(app, Order) == 0


def test_a_changed_total_is_refused(app, client, shopper, factory):
    address = factory.address(shopper)
    factory.cart_item(shopper, factory.product(price=6000, stock=5), 1)
    data = {"address_id": address.id, "payment_method": "wallet", "expected_total": "100"}
    response = client.post("/checkout", data=data)
    assert response.status_code == 409
    assert "Your order total is now $65.00" in response.get_data(as_text=True)
    assert _count(app, Order) == 0


def test_successful_order_journey_through_the_steps(app, client, shopper, factory):
    product = factory.product("Watch", price=6000, stock=5)
    address = factory.address(shopper)
    factory.cart_item(shopper, product, 2)
    response = client.post("/checkout/payment", data={"payment_method": "wallet"})
    assert response.status_code == 303 and response.headers["Location"].endswith("#step-payment")
    page = client.get("/checkout").get_data(as_text=True)
    review = review_form(page)
    assert review["address_id"] == str(address.id)
    assert review["shipping_method"] == "standard" and review["payment_method"] == "wallet"
    assert review["expected_total"] == "12000"
    assert 'id="wallet-after">$880.00<' in page
    response = client.post("/checkout", data=review)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.match(r"/orders/QK-[A-Z0-9]{4}-[A-Z0-9]{4}\?placed=1$", location)
    page = client.get(location).get_data(as_text=True)
    assert "Thank you for your order!" in page
    assert 'id="wallet-remaining">$880.00<' in page
    assert "Watch" in page and "$120.00" in page
    assert 'id="cart-count" class="badge">0<' in page
    with app.app_context():
        assert db.session.get(Product, product.id).stock == 3
        assert db.session.scalar(select(func.count()).select_from(CheckoutDraft)) == 0
    assert wallet_of(app, shopper.id) == 88_000


def test_double_submit_places_one_order(app, client, shopper, factory):
    address = factory.address(shopper)
    factory.cart_item(shopper, factory.product(stock=5), 1)
    client.post("/checkout/payment", data={"payment_method": "wallet"})
    key = _key(client.get("/checkout").get_data(as_text=True))
    data = {"address_id": address.id, "payment_method": "wallet", "checkout_key": key}
    first = client.post("/checkout", data=data)
    second = client.post("/checkout", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    assert _count(app, Order) == 1


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("/checkout/contact", {"email": ""}, "Enter your e-mail address."),
        ("/checkout/contact", {"email": "a@"}, "Enter an e-mail address like name@example.com."),
        ("/checkout/address", {**ADDRESS, "full_name": ""}, "Enter the full name."),
        ("/checkout/address", {**ADDRESS, "postal_code": "<script>"}, "Use letters, digits"),
        ("/checkout/address", {**ADDRESS, "phone": "call me"}, "Enter a phone number like"),
        ("/checkout/shipping", {}, "Choose a delivery option."),
        ("/checkout/shipping", {"shipping_method": "x" * 41}, "Choose one of the delivery"),
        ("/checkout/payment", {}, "Choose how you want to pay."),
        ("/checkout/payment", {"payment_method": "iou"}, "Choose how you want to pay."),
    ],
)
def test_every_step_refuses_bad_input_beside_the_field_and_writes_nothing(
    app, factory, url, data, message
):
    client = app.test_client()
    client.post("/cart/items", data={"product_id": factory.product(stock=5).id})
    client.post("/checkout/contact", data={"email": "ok@example.com"})
    if "shipping" in url or "payment" in url:
        client.post("/checkout/address", data={**ADDRESS, "country": "US"})
    with app.app_context():
        before = db.session.scalar(select(CheckoutDraft))
        before = (before.email, before.address, before.shipping_method, before.payment_method)
    response = client.post(url, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'class="error"' in page
    with app.app_context():
        draft = db.session.scalar(select(CheckoutDraft))
        assert (draft.email, draft.address, draft.shipping_method, draft.payment_method) == before


def test_the_last_delivery_method_is_offered_again(client, shopper, factory, express):
    factory.address(shopper)
    product = factory.product(price=2000, stock=9)
    factory.cart_item(shopper, product, 1)
    client.post("/checkout/shipping", data={"shipping_method": "express"})
    client.post("/checkout/payment", data={"payment_method": "wallet"})
    page = client.get("/checkout").get_data(as_text=True)
    assert client.post("/checkout", data=review_form(page)).status_code == 303
    factory.cart_item(shopper, product, 1)
    page = client.get("/checkout").get_data(as_text=True)
    assert "<strong>Express delivery</strong>, $15.00" in page
