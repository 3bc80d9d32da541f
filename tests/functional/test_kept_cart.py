"""The signed-in shopper's cart page kept whole (qkart.blueprints.cart.kept): a visit that
finds nothing changed gets the page without it being drawn, and every change to what the
page shows (lines, prices, stock, wallet, addresses, wishlist, checkout choices, the
shopper's name) gives a freshly drawn page; no shopper ever gets another's."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from qkart.extensions import db
from tests.conftest import count_queries, drawn, htmx, login

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def shopper(app, client, factory):
    user = factory.user(name="Robin Buyer", wallet=10_000)
    factory.address(user)
    lamp = factory.product("Walnut Lamp", price=4990, stock=20)
    factory.cart_item(user, lamp, 2)
    login(client, user)
    client.get("/cart")  # with the login's welcome message: drawn for this visit only
    client.get("/cart")  # drawn, and kept
    return user, lamp


def cart(client) -> str:
    response = client.get("/cart")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def test_an_unchanged_cart_is_not_drawn_again_and_costs_two_statements(app, client, shopper):
    first = cart(client)
    with drawn(app) as templates, count_queries(app) as statements:
        again = cart(client)
    assert templates == []
    # Who is signed in, and everything of theirs the page shows.
    assert len(statements) == 2, statements
    assert again == first
    assert "Walnut Lamp" in again and "$99.80" in again and "Robin" in again


def test_the_kept_page_carries_a_working_token_of_this_session(app, client, shopper, monkeypatch):
    _user, lamp = shopper
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with drawn(app) as templates:
        page = cart(client)
    assert templates == [] and "<qk-csrf>" not in page
    token = TOKEN.search(page).group(1)
    changed = client.post(
        f"/cart/items/{lamp.id}", data={"csrf_token": token, "quantity": 3}, headers=htmx("cart")
    )
    assert changed.status_code == 200
    assert 'value="3"' in cart(client)


def test_a_quantity_change_shows_at_once(client, shopper):
    _user, lamp = shopper
    client.post(f"/cart/items/{lamp.id}", data={"quantity": 3}, headers=htmx("cart"))
    page = cart(client)  # no message to show: the page is named by the new lines
    assert "$149.70" in page and 'value="3"' in page


def test_a_staff_price_change_shows_on_the_next_cart_page(app, client, shopper):
    from qkart.catalog.models import Product

    _user, lamp = shopper
    with app.app_context():
        db.session.get(Product, lamp.id).price = 3000
        db.session.commit()
    assert "$60.00" in cart(client)


def test_a_wallet_change_shows_at_once(app, client, shopper):
    from qkart.core.money import Money
    from qkart.payments.wallet import credit_wallet

    user, _lamp = shopper
    assert "$100.00" in cart(client)
    with app.app_context():
        credit_wallet(user.id, Money(2_500, "USD"), kind="adjustment", description="Goodwill")
        db.session.commit()
    assert "$125.00" in cart(client)


def test_a_new_default_address_shows_at_once(app, client, shopper):
    from qkart.accounts.addresses import add_address

    user, _lamp = shopper
    before = cart(client)
    with app.app_context():
        fields = {"full_name": "Robin Buyer", "line1": "9 Far Road", "line2": "", "city": "Far"}
        fields |= {"region": "", "postal_code": "99999", "country": "US", "phone": ""}
        add_address(user.id, fields, make_default=True)
        db.session.commit()
    with drawn(app) as templates:
        cart(client)
    assert templates and before


def test_saving_to_the_wishlist_shows_in_the_header(app, client, factory, shopper):
    from qkart.wishlist.models import WishlistItem

    user, _lamp = shopper
    other = factory.product("Oak Stool", price=2500, stock=3)
    assert re.search(r'id="wishlist-count"[^>]*>0<', cart(client))
    with app.app_context():
        db.session.add(WishlistItem(user_id=user.id, product_id=other.id))
        db.session.commit()
    assert re.search(r'id="wishlist-count"[^>]*>1<', cart(client))


def test_a_renamed_shopper_sees_the_new_name(app, client, shopper):
    from qkart.accounts.models import User

    user, _lamp = shopper
    with app.app_context():
        db.session.get(User, user.id).name = "Alex Buyer"
        db.session.commit()
    assert "Alex" in cart(client)


def test_two_shoppers_with_the_same_cart_each_get_their_own_page(app, factory, shopper):
    _user, lamp = shopper
    twin = factory.user(name="Jamie Twin", wallet=10_000)
    factory.address(twin)
    factory.cart_item(twin, lamp, 2)
    client = app.test_client()
    login(client, twin)
    page = cart(client)
    assert "Jamie" in page and "Robin" not in page


def test_a_cart_with_a_coupon_is_always_drawn(app, client, shopper):
    from qkart.coupons.models import Coupon

    with app.app_context():
        db.session.add(Coupon(code="SAVE10", kind="percent", percent=Decimal("10")))
        db.session.commit()
    client.post("/cart/coupon", data={"code": "SAVE10"})
    cart(client)
    with drawn(app) as templates:
        assert "SAVE10" in cart(client)
    assert templates


def test_htmx_asks_and_flashed_messages_are_never_answered_from_the_kept_page(app, client, shopper):
    _user, lamp = shopper
    with drawn(app) as templates:
        client.get("/cart", headers=htmx("cart"))
    assert templates
    client.post("/cart/items", data={"product_id": lamp.id})  # "Added ... to your cart."
    assert "to your cart" in cart(client)
    assert "to your cart" not in cart(client)
