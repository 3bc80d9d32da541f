"""Placing an order: every check, then stock, order, payment and cart in one transaction.

The checks run in the order the shopper can fix them (cart, address, stock,
money) and raise a domain error that changes nothing. The writes then run in the
caller's transaction; a concurrent buyer who took the last units makes the
conditional stock update fail, and the caller rolls everything back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from qkart.accounts.addresses import get_address
from qkart.accounts.models import User
from qkart.cart.errors import EmptyCartError
from qkart.cart.models import Cart
from qkart.cart.services import CartOwner, CartSummary, clear, find_cart, summarize
from qkart.catalog.errors import OutOfStockError
from qkart.catalog.services import reserve_stock
from qkart.checkout.errors import AddressRequiredError, ProductUnavailableError
from qkart.core.errors import NotFoundError
from qkart.extensions import db, queue
from qkart.jobs.mail import send_order_confirmation
from qkart.orders.models import Order
from qkart.orders.services import LineSpec, create_order, find_by_idempotency_key, transition
from qkart.payments.errors import InsufficientFundsError
from qkart.payments.services import check_payment_method, pay_with_wallet


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    # True when this request repeated one that had already placed the order.
    duplicate: bool = False


def new_checkout_key() -> str:
    """A one-off key for the checkout form: resubmitting it cannot order twice."""
    return secrets.token_urlsafe(16)


def _locked_cart(user_id: int) -> Cart | None:
    """The shopper's cart row, locked (on PostgreSQL) so concurrent submits queue up."""
    cart_id = db.session.scalar(select(Cart.id).where(Cart.user_id == user_id).with_for_update())
    return find_cart(CartOwner(user_id=user_id), with_items=True) if cart_id else None


def check_stock(summary: CartSummary) -> None:
    for line in summary.items:
        product = line.product
        if not product.is_active:
            raise ProductUnavailableError(product.name)
        if line.quantity > product.stock:
            raise OutOfStockError(product.name, product.stock, product.id)


def place_order(
    user: User, *, address_id: int | None, payment_method: str, idempotency_key: str
) -> PlacedOrder:
    """Place the shopper's cart as a paid order, or raise a domain error and write nothing."""
    cart = _locked_cart(user.id)
    earlier = find_by_idempotency_key(user.id, idempotency_key)
    if earlier is not None:
        return PlacedOrder(earlier, duplicate=True)
    summary = summarize(cart)
    if cart is None or summary.is_empty:
        raise EmptyCartError()
    if address_id is None:
        raise AddressRequiredError()
    try:
        address = get_address(user.id, address_id)
    except NotFoundError:
        raise AddressRequiredError() from None
    check_stock(summary)
    method = check_payment_method(payment_method)
    if method == "wallet" and user.wallet_balance < summary.total.amount:
        raise InsufficientFundsError()

    order = create_order(
        user_id=user.id,
        contact_email=user.email,
        lines=[
            LineSpec(
                product_id=line.product_id,
                product_name=line.product.name,
                sku=line.product.sku,
                unit_price=line.product.price_money,
                quantity=line.quantity,
            )
            for line in summary.items
        ],
        shipping=summary.shipping,
        shipping_address=address.as_dict(),
        payment_method=method,
        idempotency_key=idempotency_key,
    )
    reserve_stock(
        {line.product_id: line.quantity for line in summary.items},
        {line.product_id: line.product.name for line in summary.items},
    )
    pay_with_wallet(user.id, order.id, order.number, summary.total)
    transition(order, "paid", actor_id=user.id, note="Paid from wallet")
    clear(cart)
    queue.after_commit(db.session(), send_order_confirmation, order.id)
    return PlacedOrder(order)
