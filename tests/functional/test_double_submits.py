"""A twin request (a double click with JavaScript off) that wins a unique key first
must not turn the loser into a 500: the loser retries and sees the twin's row."""

from sqlalchemy import select

from qkart.accounts import services as accounts
from qkart.cart import services as carts
from qkart.cart.models import CartItem
from qkart.extensions import db
from tests.conftest import PASSWORD, login


def _first_call_misses(monkeypatch, module, name):
    """Make ``module.name`` miss once, as if the twin's row were not committed yet."""
    real = getattr(module, name)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)


def test_twin_registration_gets_the_taken_message(client, factory, monkeypatch):
    factory.user("twin@example.com")
    _first_call_misses(monkeypatch, accounts, "find_user_by_email")
    data = {"name": "Twin", "email": "twin@example.com", "password": PASSWORD}
    response = client.post("/register", data={**data, "confirm_password": PASSWORD})
    assert response.status_code == 422
    assert "An account with this e-mail already exists" in response.get_data(as_text=True)


def test_twin_add_to_cart_lands_in_the_existing_cart(app, client, factory, monkeypatch):
    user = factory.user()
    product = factory.product(stock=10)
    factory.cart_item(user, product, 1)
    login(client, user)
    _first_call_misses(monkeypatch, carts, "find_cart")
    response = client.post("/cart/items", data={"product_id": product.id})
    assert response.status_code == 303
    with app.app_context():
        assert [i.quantity for i in db.session.scalars(select(CartItem))] == [2]
