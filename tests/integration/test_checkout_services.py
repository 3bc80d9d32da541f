"""Placing orders: the checks in order, the atomic writes, the ledger."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from qkart.accounts.models import User
from qkart.cart.errors import EmptyCartError
from qkart.cart.services import CartOwner, item_count
from qkart.catalog.errors import OutOfStockError
from qkart.catalog.models import Product
from qkart.checkout.errors import AddressRequiredError, ProductUnavailableError
from qkart.checkout.services import place_order
from qkart.orders.models import Order
from qkart.payments.errors import InsufficientFundsError
from qkart.payments.models import WalletEntry
from qkart.payments.wallet import balance
from tests.conftest import shopper_of


def _place(db, user_id, address_id, key="k1"):
    user = db.session.get(User, user_id)
    placed = place_order(
        shopper_of(user),
        idempotency_key=key,
        overrides={"address_id": address_id, "payment_method": "wallet"},
    )
    db.session.commit()
    return placed


def test_successful_order_does_everything_at_once(factory, db):
    user = factory.user(wallet=100_000)
    address = factory.address(user, full_name="Ada Lovelace")
    product = factory.product("Watch", price=6000, stock=4)
    factory.cart_item(user, product, 2)

    placed = _place(db, user.id, address.id)
    order = placed.order
    assert order.status == "paid"
    assert order.number.startswith("QK-")
    assert [
        (line.product_name, line.unit_price, line.quantity, line.line_total) for line in order.lines
    ] == [("Watch", 6000, 2, 12000)]
    assert order.subtotal == 12000 and order.shipping == 0 and order.total == 12000
    assert order.shipping_address["full_name"] == "Ada Lovelace"
    assert [e.to_status for e in order.events] == ["placed", "paid"]
    assert db.session.get(Product, product.id).stock == 2
    assert balance(user.id).amount == 100_000 - 12000
    entry = db.session.scalar(select(WalletEntry).where(WalletEntry.order_id == order.id))
    assert entry.amount == -12000 and entry.balance_after == 88_000
    assert item_count(CartOwner(user_id=user.id)) == 0


def test_checks_run_in_order_and_change_nothing(factory, db):
    user = factory.user(wallet=1000)
    product = factory.product("Sofa", price=65000, stock=1)
    with pytest.raises(EmptyCartError):
        _place(db, user.id, None)
    factory.cart_item(user, product, 1)
    with pytest.raises(AddressRequiredError):
        _place(db, user.id, None)
    db.session.rollback()
    address = factory.address(user)
    with pytest.raises(InsufficientFundsError) as error:
        _place(db, user.id, address.id)
    assert str(error.value).startswith(
        "You do not have enough balance in your wallet for this purchase."
    )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert db.session.get(Product, product.id).stock == 1


def test_someone_elses_address_is_refused(factory, db):
    owner = factory.user(wallet=100_000)
    other = factory.user(wallet=100_000)
    theirs = factory.address(owner)
    factory.cart_item(other, factory.product(stock=3), 1)
    with pytest.raises(AddressRequiredError):
        _place(db, other.id, theirs.id)


def test_short_stock_names_the_item(factory, db):
    user = factory.user(wallet=100_000)
    address = factory.address(user)
    product = factory.product("Bonsai Lamp", stock=3)
    factory.cart_item(user, product, 3)
    db.session.execute(Product.__table__.update().where(Product.id == product.id).values(stock=1))
    db.session.commit()
    with pytest.raises(OutOfStockError) as error:
        _place(db, user.id, address.id)
    assert "Bonsai Lamp" in str(error.value) and "only 1" in str(error.value)


def test_retired_product_blocks_checkout(factory, db):
    user = factory.user(wallet=100_000)
    address = factory.address(user)
    product = factory.product("Old Thing", stock=3)
    factory.cart_item(user, product, 1)
    db.session.execute(
        Product.__table__.update().where(Product.id == product.id).values(is_active=False)
    )
    db.session.commit()
    with pytest.raises(ProductUnavailableError):
        _place(db, user.id, address.id)


def test_resubmitting_the_same_form_places_one_order(factory, db):
    user = factory.user(wallet=100_000)
    address = factory.address(user)
    factory.cart_item(user, factory.product(stock=5), 1)
    first = _place(db, user.id, address.id, key="same")
    again = _place(db, user.id, address.id, key="same")
    assert again.duplicate and again.order.id == first.order.id
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_order_confirmation_is_written_to_the_outbox(factory, db, app):
    user = factory.user(wallet=100_000, email="buyer@example.com")
    address = factory.address(user)
    factory.cart_item(user, factory.product("Book", price=1500), 2)
    placed = _place(db, user.id, address.id)
    mails = [p.read_text(encoding="utf-8") for p in Path(app.config["QKART_OUTBOX"]).iterdir()]
    mine = [m for m in mails if placed.order.number in m]
    assert mine, "the confirmation e-mail was not sent"
    assert "To: buyer@example.com" in mine[0]
    assert "text/plain" in mine[0] and "text/html" in mine[0]
