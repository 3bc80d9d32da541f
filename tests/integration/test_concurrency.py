"""Stock under real concurrency (PostgreSQL): shoppers racing for the last units."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

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


def _paid_order(factory, app, email: str, product) -> int:
    user = factory.user(email, wallet=100_000)
    factory.address(user)
    factory.cart_item(user, product, 1)
    with app.app_context():
        placed = place_order(
            shopper_of(_db.session.get(User, user.id)),
            idempotency_key="k",
            overrides={"payment_method": "wallet"},
        )
        _db.session.commit()
        return placed.order.id


def test_a_staff_ship_and_a_shopper_cancel_race_and_exactly_one_wins(app, factory):
    from qkart.orders.lifecycle import cancel_by_shopper, ship_order, start_packing

    product = factory.product("Race Kite", price=1000, stock=3)
    order_id = _paid_order(factory, app, "kite@example.com", product)
    with app.app_context():
        start_packing(_db.session.get(Order, order_id), actor_id=None)
        _db.session.commit()
    start = threading.Barrier(2)
    results: dict[str, str] = {}

    def act(name: str, action) -> None:
        with app.app_context():
            order = _db.session.get(Order, order_id)
            start.wait()
            try:
                action(order)
                _db.session.commit()
                results[name] = "won"
            except Exception as error:  # the loser's clear message
                _db.session.rollback()
                results[name] = f"{type(error).__name__}: {error}"

    ship = threading.Thread(
        target=act,
        args=("ship", lambda o: ship_order(o, carrier="ups", tracking_number="1Z1", actor_id=None)),
    )
    cancel = threading.Thread(
        target=act, args=("cancel", lambda o: cancel_by_shopper(o, user_id=o.user_id))
    )
    ship.start()
    cancel.start()
    ship.join(30)
    cancel.join(30)
    assert sorted(v == "won" for v in results.values()) == [False, True], results
    loser = next(v for v in results.values() if v != "won")
    assert loser.startswith("ConflictError: This order changed in the meantime")
    with app.app_context():
        order = _db.session.get(Order, order_id)
        stock = _db.session.get(Product, product.id).stock
        balance = _db.session.scalar(select(Wallet.balance).where(Wallet.user_id == order.user_id))
        if results["cancel"] == "won":
            assert (order.status, stock, balance) == ("cancelled", 3, 100_000)
        else:
            assert (order.status, stock, balance) == ("shipped", 2, 100_000 - 1_500)


def test_twenty_invoices_at_once_are_numbered_without_gaps(app, factory):
    from qkart.invoices.models import Invoice
    from qkart.invoices.services import issue_invoice

    product = factory.product("Numbered Mug", price=1000, stock=40)
    order_ids = [_paid_order(factory, app, f"mug{n}@example.com", product) for n in range(20)]
    with app.app_context():  # the confirmations made theirs inline: start from none
        _db.session.execute(Invoice.__table__.delete())
        _db.session.execute(text("DELETE FROM document_counters"))
        _db.session.commit()
    start = threading.Barrier(len(order_ids))
    errors: list[str] = []

    def invoice(order_id: int) -> None:
        with app.app_context():
            start.wait()
            try:
                issue_invoice(order_id)
                _db.session.commit()
            except Exception as error:
                _db.session.rollback()
                errors.append(repr(error))

    threads = [threading.Thread(target=invoice, args=(n,)) for n in order_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    with app.app_context():
        numbers = sorted(_db.session.scalars(select(Invoice.number)).all())
    year = utcnow().year
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, 21)]
