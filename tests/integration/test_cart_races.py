"""Two tabs on one cart (PostgreSQL): changes add up, and checkout never meets a 500."""

import threading
import time

import pytest
from sqlalchemy import func, select

from qkart.accounts.models import User
from qkart.cart import services as carts
from qkart.cart.models import CartItem
from qkart.catalog.models import Product
from qkart.checkout.services import place_order
from qkart.extensions import db as _db
from qkart.orders.models import Order, OrderLine
from tests.conftest import shopper_of

pytestmark = pytest.mark.postgres


def _in_threads(app, *actions):
    """Run each action in its own thread and app context; returns what each raised."""
    errors = []

    def run(action):
        with app.app_context():
            try:
                action()
                _db.session.commit()
            except Exception as error:
                _db.session.rollback()
                errors.append(error)

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def test_ten_concurrent_plus_ones_on_one_line_all_count(app, factory):
    user = factory.user()
    product = factory.product(stock=50)
    factory.cart_item(user, product, 1)
    owner = carts.CartOwner(user_id=user.id)
    start = threading.Barrier(10)

    def plus_one():
        start.wait()
        carts.change_quantity(owner, product.id, 1)

    assert _in_threads(app, *[plus_one] * 10) == []
    with app.app_context():
        assert _db.session.scalar(select(CartItem.quantity)) == 11


def test_a_quantity_change_during_checkout_waits_and_stays_consistent(app, factory):
    user = factory.user(wallet=100_000)
    address = factory.address(user)
    product = factory.product(price=1000, stock=10)
    factory.cart_item(user, product, 2)
    owner = carts.CartOwner(user_id=user.id)
    ordered = threading.Event()

    def check_out():
        shopper = shopper_of(_db.session.get(User, user.id))
        overrides = {"address_id": address.id, "payment_method": "wallet"}
        place_order(shopper, idempotency_key="tab-1", overrides=overrides)
        ordered.set()
        time.sleep(0.5)  # hold the cart while the other tab's change arrives

    def change_in_other_tab():
        ordered.wait(10)
        carts.set_quantity(owner, product.id, 3)

    assert _in_threads(app, check_out, change_in_other_tab) == []
    with app.app_context():
        assert _db.session.scalar(select(OrderLine.quantity)) == 2
        assert _db.session.get(Product, product.id).stock == 8
        # The later change went into the (now empty) cart, not into the placed order.
        assert _db.session.scalars(select(CartItem.quantity)).all() == [3]
        assert _db.session.scalar(select(func.count()).select_from(Order)) == 1
