"""Stock under real concurrency (PostgreSQL): shoppers racing for the last units."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from qkart.accounts.models import User
from qkart.catalog.errors import OutOfStockError
from qkart.catalog.models import Product
from qkart.checkout.services import place_order
from qkart.core.db import utcnow
from qkart.extensions import db as _db
from qkart.orders.lifecycle import expire_overdue_orders
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


def test_fifty_shoppers_ten_units_wallet_card_and_cash(make_app, factory):
    """50 buyers, 10 units, mixed payment methods: never more than 10 sold, and the
    stock held for unpaid card orders comes back when they expire."""
    app = make_app(
        STRIPE_SECRET_KEY="sk_test_unused",
        STRIPE_WEBHOOK_SECRET="whsec_unused",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 30},
    )
    product = factory.product("Rare Vase", price=1000, stock=10)
    methods = ("wallet", "card", "cod")
    buyers = []
    for n in range(50):
        user = factory.user(f"vase{n}@example.com", wallet=100_000)
        factory.address(user)
        factory.cart_item(user, product, 1)
        buyers.append((user.id, methods[n % 3]))

    start = threading.Barrier(len(buyers))
    outcomes: list[tuple[str, str]] = []
    lock = threading.Lock()

    def buy(user_id: int, method: str) -> None:
        with app.app_context():
            user = _db.session.get(User, user_id)
            start.wait()
            try:
                place_order(
                    shopper_of(user), idempotency_key="k", overrides={"payment_method": method}
                )
                _db.session.commit()
                result = "ordered"
            except OutOfStockError:
                _db.session.rollback()
                result = "refused"
        with lock:
            outcomes.append((method, result))

    threads = [threading.Thread(target=buy, args=buyer) for buyer in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(outcomes) == 50
    sold = [method for method, result in outcomes if result == "ordered"]
    assert len(sold) == 10
    with app.app_context():
        assert _db.session.get(Product, product.id).stock == 0
        statuses = _db.session.scalars(select(Order.status)).all()
        assert sorted(statuses) == sorted(
            {"wallet": "paid", "card": "awaiting_payment", "cod": "placed"}[m] for m in sold
        )
        # The losers paid nothing: only wallet winners spent 10.00 (+ 5.00 shipping).
        spent = [b for b in _db.session.scalars(select(Wallet.balance)) if b != 100_000]
        assert len(spent) == sold.count("wallet") and set(spent) <= {100_000 - 1_500}
        # Nobody pays for the card orders: at their deadline the held units come back.
        _db.session.execute(
            Order.__table__.update().values(payment_due_at=utcnow() - timedelta(minutes=1))
        )
        _db.session.commit()
        assert expire_overdue_orders() == sold.count("card")
        assert _db.session.get(Product, product.id).stock == sold.count("card")
