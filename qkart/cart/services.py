"""Carts kept on the server: a visitor's by a session token, a shopper's by user id.

A visitor's cart is merged into the account cart on login, so nothing picked
before signing in is lost, and a shopper's cart survives logout and new tabs.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from qkart.cart.errors import InvalidQuantityError
from qkart.cart.models import Cart, CartItem
from qkart.catalog.errors import OutOfStockError
from qkart.catalog.models import Product
from qkart.catalog.services import get_active_product
from qkart.core.db import utcnow
from qkart.core.money import Money
from qkart.core.shop import money, setting_money
from qkart.extensions import db

MAX_LINE_QUANTITY = 99


@dataclass(frozen=True)
class CartOwner:
    """Who a cart belongs to: a signed-in user, or a visitor's session token."""

    user_id: int | None = None
    token: str | None = None

    def where(self) -> object:
        if self.user_id is not None:
            return Cart.user_id == self.user_id
        return Cart.token == self.token


@dataclass(frozen=True)
class CartSummary:
    """What the cart page, the checkout and the header badge show."""

    items: Sequence[CartItem]
    count: int
    subtotal: Money
    shipping: Money
    total: Money
    free_shipping_over: Money

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def short_of_free_shipping(self) -> Money | None:
        if not self.items or self.shipping.amount == 0:
            return None
        return self.free_shipping_over - self.subtotal


def new_token() -> str:
    return secrets.token_urlsafe(24)


def find_cart(owner: CartOwner, *, with_items: bool = False) -> Cart | None:
    if owner.user_id is None and not owner.token:
        return None
    stmt = select(Cart).where(owner.where())
    if with_items:
        stmt = stmt.options(selectinload(Cart.items).joinedload(CartItem.product))
    return db.session.scalar(stmt)


def get_or_create_cart(owner: CartOwner) -> Cart:
    cart = find_cart(owner)
    if cart is None:
        if owner.user_id is None and not owner.token:
            raise ValueError("a visitor cart needs a token")
        cart = Cart(user_id=owner.user_id, token=None if owner.user_id else owner.token)
        db.session.add(cart)
        db.session.flush()
    return cart


def item_count(owner: CartOwner) -> int:
    """Units in the cart, for the header badge: one small query."""
    if owner.user_id is None and not owner.token:
        return 0
    stmt = (
        select(func.coalesce(func.sum(CartItem.quantity), 0))
        .join(Cart, Cart.id == CartItem.cart_id)
        .join(Product, Product.id == CartItem.product_id)
        .where(owner.where(), Product.is_active.is_(True))
    )
    return int(db.session.scalar(stmt) or 0)


def _check_quantity(product: Product, quantity: int) -> None:
    if quantity < 0:
        raise InvalidQuantityError("Quantity cannot be negative.")
    if quantity > MAX_LINE_QUANTITY:
        raise InvalidQuantityError(f"You can buy at most {MAX_LINE_QUANTITY} of one product.")
    if quantity > product.stock:
        raise OutOfStockError(product.name, product.stock, product.id)


def _line(cart: Cart, product_id: int) -> CartItem | None:
    return db.session.scalar(
        select(CartItem).where(CartItem.cart_id == cart.id, CartItem.product_id == product_id)
    )


def add_item(owner: CartOwner, product_id: int, quantity: int = 1) -> CartItem:
    """Add ``quantity`` units; refuses more than is in stock, naming the product."""
    if quantity < 1:
        raise InvalidQuantityError("Choose a quantity of at least 1.")
    product = get_active_product(product_id)
    cart = get_or_create_cart(owner)
    line = _line(cart, product_id)
    wanted = quantity + (line.quantity if line else 0)
    _check_quantity(product, wanted)
    if line is None:
        line = CartItem(cart=cart, product=product, quantity=wanted)
        db.session.add(line)
    else:
        line.quantity = wanted
    _touch(cart)
    db.session.flush()
    return line


def set_quantity(owner: CartOwner, product_id: int, quantity: int) -> CartItem | None:
    """Set a line's quantity; 0 removes it. Returns the line, or None when removed.

    Removing never looks at the product, so a line whose product was retired since
    can always be taken out of the cart.
    """
    if quantity == 0:
        remove_item(owner, product_id)
        return None
    product = get_active_product(product_id)
    cart = get_or_create_cart(owner)
    line = _line(cart, product_id)
    _check_quantity(product, quantity)
    if line is None:
        line = CartItem(cart=cart, product=product, quantity=quantity)
        db.session.add(line)
    else:
        line.quantity = quantity
    _touch(cart)
    db.session.flush()
    return line


def remove_item(owner: CartOwner, product_id: int) -> None:
    cart = find_cart(owner)
    line = _line(cart, product_id) if cart is not None else None
    if line is not None:
        db.session.delete(line)
        _touch(cart)
        db.session.flush()


def _touch(cart: Cart) -> None:
    cart.updated_at = utcnow()


def merge_carts(visitor_token: str | None, user_id: int) -> None:
    """Move a visitor's cart into the user's cart on login, capping lines at stock."""
    if not visitor_token:
        return
    visitor = find_cart(CartOwner(token=visitor_token), with_items=True)
    if visitor is None:
        return
    if not visitor.items:
        db.session.delete(visitor)
        return
    target = get_or_create_cart(CartOwner(user_id=user_id))
    existing = {line.product_id: line for line in target.items}
    for line in list(visitor.items):
        cap = min(line.product.stock, MAX_LINE_QUANTITY)
        if line.product_id in existing:
            kept = existing[line.product_id]
            kept.quantity = max(1, min(kept.quantity + line.quantity, cap))
        elif cap > 0 and line.product.is_active:
            target.items.append(
                CartItem(product_id=line.product_id, quantity=min(line.quantity, cap))
            )
    db.session.delete(visitor)
    _touch(target)
    db.session.flush()


def summarize(cart: Cart | None) -> CartSummary:
    """Lines and totals. Shipping is free from ``QKART_FREE_SHIPPING_OVER`` upwards.

    Lines of retired products are listed (so they can be removed) but not counted.
    """
    items = list(cart.items) if cart is not None else []
    buyable = [line for line in items if line.product.is_active]
    subtotal = money(sum(line.product.price * line.quantity for line in buyable))
    shipping = shipping_for(subtotal) if buyable else money(0)
    return CartSummary(
        items=items,
        count=sum(line.quantity for line in buyable),
        subtotal=subtotal,
        shipping=shipping,
        total=subtotal + shipping,
        free_shipping_over=setting_money("QKART_FREE_SHIPPING_OVER"),
    )


def load_summary(owner: CartOwner) -> CartSummary:
    return summarize(find_cart(owner, with_items=True))


def shipping_for(subtotal: Money) -> Money:
    if subtotal >= setting_money("QKART_FREE_SHIPPING_OVER"):
        return money(0)
    return setting_money("QKART_SHIPPING_FEE")


def clear(cart: Cart) -> None:
    for line in list(cart.items):
        db.session.delete(line)
    db.session.flush()
