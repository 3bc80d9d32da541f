"""Checkout over HTTP: login gate, inline address, refusals in order, success, double submit."""

import re

import pytest
from sqlalchemy import func, select

from qkart.accounts.models import Address, User
from qkart.catalog.models import Product
from qkart.extensions import db
from qkart.orders.models import Order
from tests.conftest import PASSWORD, htmx, login

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


def test_visitor_is_sent_to_login_and_comes_back(client, factory):
    user = factory.user()
    response = client.get("/checkout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fcheckout"
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


def test_checkout_page_shows_summary_and_wallet_after(client, shopper, factory):
    product = factory.product("Watch", price=6000, stock=5)
    factory.cart_item(shopper, product, 1)
    page = client.get("/checkout").get_data(as_text=True)
    assert "Watch × 1" in page
    assert "$60.00" in page and "$5.00" in page and 'id="checkout-total">$65.00<' in page
    assert 'id="wallet-after">$935.00<' in page
    assert "Add your shipping address" in page
    assert ">Place order<" in page


def test_add_address_inline_with_htmx(app, client, shopper, factory):
    factory.cart_item(shopper, factory.product(stock=5), 1)
    response = client.post("/checkout/address", data=ADDRESS, headers=htmx("addresses"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in page
    assert "12 Analytical Row" in page and "United Kingdom" in page
    assert re.search(r'name="address_id" value="\d+" form="place-order" checked', page)
    assert _count(app, Address) == 1


def test_add_address_inline_without_javascript(app, client, shopper, factory):
    factory.cart_item(shopper, factory.product(stock=5), 1)
    response = client.post("/checkout/address", data=ADDRESS)
    assert response.status_code == 303
    assert re.match(r"/checkout\?address_id=\d+$", response.headers["Location"])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "12 Analytical Row" in page


def test_bad_inline_address_is_422_beside_the_field(app, client, shopper):
    bad = dict(ADDRESS, city="", country="XX")
    response = client.post("/checkout/address", data=bad, headers=htmx("addresses"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the town or city." in page and "Not a valid choice" in page
    assert _count(app, Address) == 0


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
    ],
)
def test_bad_checkout_input_is_a_4xx(app, client, shopper, factory, data):
    factory.cart_item(shopper, factory.product(stock=5), 1)
    response = client.post("/checkout", data={"payment_method": "wallet", **data})
    assert response.status_code == 422
    assert _count(app, Order) == 0


def test_successful_order_journey(app, client, shopper, factory):
    product = factory.product("Watch", price=6000, stock=5)
    address = factory.address(shopper)
    factory.cart_item(shopper, product, 2)
    page = client.get("/checkout").get_data(as_text=True)
    response = client.post(
        "/checkout",
        data={"address_id": address.id, "payment_method": "wallet", "checkout_key": _key(page)},
    )
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
        assert db.session.get(User, shopper.id).wallet_balance == 88_000


def test_double_submit_places_one_order(app, client, shopper, factory):
    address = factory.address(shopper)
    factory.cart_item(shopper, factory.product(stock=5), 1)
    key = _key(client.get("/checkout").get_data(as_text=True))
    data = {"address_id": address.id, "payment_method": "wallet", "checkout_key": key}
    first = client.post("/checkout", data=data)
    second = client.post("/checkout", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(app, Order) == 1
