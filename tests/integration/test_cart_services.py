"""Cart services on a real database: stock limits, merging, totals."""

import pytest

from qkart.cart import services as carts
from qkart.cart.errors import InvalidQuantityError
from qkart.cart.services import CartOwner
from qkart.catalog.errors import OutOfStockError, ProductNotFoundError
from qkart.core.money import Money


def test_add_accumulates_and_respects_stock(factory, db):
    product = factory.product("Lamp", price=8000, stock=3)
    owner = CartOwner(token="visitor-token")
    carts.add_item(owner, product.id, 2)
    carts.add_item(owner, product.id, 1)
    assert carts.item_count(owner) == 3
    with pytest.raises(OutOfStockError) as error:
        carts.add_item(owner, product.id, 1)
    assert "only 3 of Lamp left" in str(error.value)


def test_quantity_rules(factory, db):
    product = factory.product(stock=5)
    owner = CartOwner(token="t")
    with pytest.raises(InvalidQuantityError):
        carts.add_item(owner, product.id, 0)
    carts.set_quantity(owner, product.id, 4)
    assert carts.item_count(owner) == 4
    with pytest.raises(InvalidQuantityError):
        carts.set_quantity(owner, product.id, -1)
    assert carts.set_quantity(owner, product.id, 0) is None
    assert carts.item_count(owner) == 0


def test_unknown_or_retired_products_are_refused(factory, db):
    retired = factory.product(is_active=False)
    with pytest.raises(ProductNotFoundError):
        carts.add_item(CartOwner(token="t"), retired.id, 1)
    with pytest.raises(ProductNotFoundError):
        carts.add_item(CartOwner(token="t"), 999_999, 1)


def test_summary_totals_and_free_shipping(factory, db):
    """The cart is priced by checkout's one breakdown: shipping free from 100.00."""
    from qkart.checkout.steps import Shopper, load_state

    cheap = factory.product(price=1500, stock=10)
    dear = factory.product(price=9000, stock=10)
    owner = CartOwner(token="t")
    carts.add_item(owner, cheap.id, 2)
    summary = carts.load_summary(owner)
    assert summary.subtotal == Money(3000, "USD")
    state = load_state(Shopper(owner))
    assert state.breakdown.shipping == Money(500, "USD")
    assert state.breakdown.total == Money(3500, "USD")
    assert state.shipping.short_of_free == Money(7000, "USD")
    carts.add_item(owner, dear.id, 1)
    state = load_state(Shopper(owner))
    assert state.breakdown.shipping == Money(0, "USD")
    assert state.breakdown.total == Money(12000, "USD")
    assert state.summary.count == 3


def test_visitor_cart_merges_into_account_cart(factory, db):
    user = factory.user()
    a = factory.product(stock=5)
    b = factory.product(stock=2)
    carts.add_item(CartOwner(user_id=user.id), a.id, 4)
    visitor = CartOwner(token="visitor")
    carts.add_item(visitor, a.id, 3)
    carts.add_item(visitor, b.id, 2)
    carts.merge_carts("visitor", user.id)
    db.session.commit()
    mine = {
        line.product_id: line.quantity
        for line in carts.load_summary(CartOwner(user_id=user.id)).items
    }
    # Quantities add up but never beyond the stock.
    assert mine == {a.id: 5, b.id: 2}
    assert carts.find_cart(visitor) is None
