"""Carts kept on the server: a visitor's by a session token, a shopper's by user id.

A visitor's cart is merged into the account cart on login, so nothing picked
before signing in is lost, and a shopper's cart survives logout and new tabs.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import selectinload

from qkart.cart.errors import InvalidQuantityError
from qkart.cart.models import Cart, CartItem
from qkart.catalog.errors import OutOfStockError
from qkart.catalog.models import Product
from qkart.catalog.services import get_active_product
from qkart.core.db import utcnow
from qkart.core.money import Money
from qkart.core.shop import money
from qkart.extensions import db

MAX_LINE_QUANTITY = 99


@dataclass(frozen=True)
class CartOwner:
    """Who a cart belongs to: a signed-in user, or a visitor's session token."""

    user_id: int | None = None
    token: str | None = None

    def where(self) -> ColumnElement[bool]:
        if self.user_id is not None:
            return Cart.user_id == self.user_id
        return Cart.token == self.token


@dataclass(frozen=True)
class CartSummary:
    """The cart's lines and their subtotal; pricing (shipping, tax) happens in checkout."""

    cart: Cart | None
    items: Sequence[CartItem]
    count: int
    subtotal: Money

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def buyable(self) -> list[CartItem]:
        """Lines that count (a retired product's line is shown, so it can be removed)."""
        return [line for line in self.items if line.product.is_active]

    @property
    def coupon_code(self) -> str | None:
        return self.cart.coupon_code if self.cart is not None else None

    @property
    def weight_grams(self) -> int:
        return sum(line.product.weight_grams * line.quantity for line in self.buyable)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def find_cart(
    owner: CartOwner, *, with_items: bool = False, lock: bool = False, fresh: bool = False
) -> Cart | None:
    """The owner's cart. ``lock`` takes its row lock (PostgreSQL) for the transaction;
    ``fresh`` reloads what this session already holds (after waiting for a lock)."""
    if owner.user_id is None and not owner.token:
        return None
    stmt = select(Cart).where(owner.where())
    if with_items:
        stmt = stmt.options(selectinload(Cart.items).joinedload(CartItem.product))
    if lock:
        stmt = stmt.with_for_update()
    if lock or fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def get_or_create_cart(owner: CartOwner) -> Cart:
    """The owner's cart, row-locked: every change to a cart's lines queues behind the
    others and behind a checkout of that cart (which locks it too), so two quick "+"
    presses add up and a line is never changed while checkout empties the cart."""
    cart = find_cart(owner, lock=True)
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
    """The line as committed now (read after the cart lock, never from the session's cache)."""
    return db.session.scalar(
        select(CartItem)
        .where(CartItem.cart_id == cart.id, CartItem.product_id == product_id)
        .execution_options(populate_existing=True)
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


def change_quantity(owner: CartOwner, product_id: int, change: int) -> CartItem | None:
    """Add ``change`` units to a line (negative takes away; 0 or less left removes it).

    The "+" and "minus" buttons send a change, not a total, so two presses made from
    the same page both count. Returns the line, or None when removed.
    """
    cart = get_or_create_cart(owner)
    line = _line(cart, product_id)
    wanted = (line.quantity if line else 0) + change
    if wanted <= 0:
        remove_item(owner, product_id)
        return None
    return set_quantity(owner, product_id, wanted)


def remove_item(owner: CartOwner, product_id: int) -> None:
    cart = find_cart(owner, lock=True)
    line = _line(cart, product_id) if cart is not None else None
    if cart is not None and line is not None:
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
    if visitor.coupon_code and not target.coupon_code:
        target.coupon_code = visitor.coupon_code
    db.session.delete(visitor)
    _touch(target)
    db.session.flush()


def summarize(cart: Cart | None) -> CartSummary:
    """Lines and their subtotal. Lines of retired products are listed but not counted."""
    items = list(cart.items) if cart is not None else []
    buyable = [line for line in items if line.product.is_active]
    return CartSummary(
        cart=cart,
        items=items,
        count=sum(line.quantity for line in buyable),
        subtotal=money(sum(line.product.price * line.quantity for line in buyable)),
    )


def load_summary(owner: CartOwner) -> CartSummary:
    return summarize(find_cart(owner, with_items=True))


def set_coupon(owner: CartOwner, code: str | None) -> Cart:
    """Keep ``code`` on the cart (checkout checks it each time the cart is priced)."""
    cart = get_or_create_cart(owner)
    cart.coupon_code = code
    _touch(cart)
    db.session.flush()
    return cart


def clear(cart: Cart) -> None:
    """Empty the cart after an order: its lines and its coupon."""
    for line in list(cart.items):
        db.session.delete(line)
    cart.coupon_code = None
    db.session.flush()
