"""Stock under real concurrency: 20 shoppers race for the last 5 units (PostgreSQL)."""

import threading

import pytest
from sqlalchemy import func, select

from qkart.accounts.models import User
from qkart.catalog.errors import OutOfStockError
from qkart.catalog.models import Product
from qkart.checkout.services import place_order
from qkart.extensions import db as _db
from qkart.orders.models import Order
from qkart.payments.models import Wallet
from tests.conftest import shopper_of

pytestmark = pytest.mark.postgres

SHOPPERS = 20


def test_twenty_checkouts_for_five_units(app, factory):
    product = factory.product("Last Lamps", price=1000, stock=5)
    shoppers = []
    for n in range(SHOPPERS):
        user = factory.user(f"racer{n}@example.com", wallet=100_000)
        address = factory.address(user)
        factory.cart_item(user, product, 1)
        shoppers.append((user.id, address.id))

    start = threading.Barrier(SHOPPERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(user_id: int, address_id: int) -> None:
        with app.app_context():
            user = _db.session.get(User, user_id)
            start.wait()
            try:
                place_order(
                    shopper_of(user),
                    idempotency_key="k",
                    overrides={"address_id": address_id, "payment_method": "wallet"},
                )
                _db.session.commit()
                result = "ordered"
            except OutOfStockError as error:
                _db.session.rollback()
                result = f"refused: {error}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buy, args=shopper) for shopper in shoppers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == SHOPPERS
    assert outcomes.count("ordered") == 5
    refusals = [o for o in outcomes if o != "ordered"]
    assert len(refusals) == 15
    assert all("Last Lamps is out of stock" in o for o in refusals)
    with app.app_context():
        assert _db.session.get(Product, product.id).stock == 0
        assert _db.session.scalar(select(func.count()).select_from(Order)) == 5
        # The losers paid nothing.
        balances = _db.session.scalars(select(Wallet.balance)).all()
        assert sorted(balances).count(100_000) == 15
