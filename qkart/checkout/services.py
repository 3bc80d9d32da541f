"""Placing the order in one transaction, then starting its card payment.

``place_order`` runs every check in the order the shopper can fix them (cart,
contact, address, delivery, coupon, stock, payment, total) and raises a domain
error that changes nothing. The writes then run in the caller's transaction: a
concurrent buyer who took the last units makes the conditional stock update
fail, and the caller rolls everything back. A card payment is started after
the commit (``start_card_payment``): Stripe is never called inside the order's
transaction, and a failed call leaves a saved order the shopper can pay again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from qkart.cart.errors import EmptyCartError
from qkart.cart.models import Cart
from qkart.cart.services import CartOwner, CartSummary, clear, find_cart, summarize
from qkart.catalog.errors import OutOfStockError
from qkart.catalog.services import reserve_stock
from qkart.checkout.errors import (
    AddressRequiredError,
    ContactRequiredError,
    ProductUnavailableError,
    TotalChangedError,
)
from qkart.checkout.state import CheckoutState
from qkart.checkout.steps import Shopper, check_method, find_draft, load_state
from qkart.core.db import utcnow
from qkart.core.errors import NotFoundError
from qkart.core.events import emit
from qkart.core.money import Money
from qkart.coupons import services as coupons
from qkart.coupons.errors import CouponError
from qkart.extensions import db, queue
from qkart.orders.models import Order
from qkart.orders.services import Delivery, LineSpec, create_order, find_by_idempotency_key
from qkart.payments import services as payments
from qkart.payments.methods import METHODS, NextStep, StartRequest
from qkart.payments.models import Payment
from qkart.settings.services import setting
from qkart.shipping.errors import ShippingUnavailableError

MIN_PAGE_LIFETIME = timedelta(minutes=31)


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    # True when this request repeated one that had already placed the order.
    duplicate: bool = False
    # The card payment to start once the order is committed (None: nothing to start).
    card_payment_id: int | None = None


def new_checkout_key() -> str:
    """A one-off key for the checkout form: resubmitting it cannot order twice."""
    return secrets.token_urlsafe(16)


# -- placing the order ---------------------------------------------------------------


def _locked_cart(owner: CartOwner) -> Cart | None:
    """The shopper's cart row, locked (on PostgreSQL) so concurrent submits queue up."""
    cart_id = db.session.scalar(select(Cart.id).where(owner.where()).with_for_update())
    # Fresh: another tab may have changed the lines while this request waited.
    return find_cart(owner, with_items=True, fresh=True) if cart_id else None


def check_stock(summary: CartSummary) -> None:
    for line in summary.items:
        product = line.product
        if line.quantity > product.stock:
            raise OutOfStockError(product.name, product.stock, product.id)


def _check(state: CheckoutState, expected_total: int | None) -> str:
    """Every refusal, in the order the shopper can fix them; returns the payment method."""
    summary = state.summary
    if summary.is_empty:
        raise EmptyCartError()
    for line in summary.items:
        if not line.product.is_active:
            raise ProductUnavailableError(line.product.name)
    if not state.email:
        raise ContactRequiredError()
    if state.address is None:
        raise AddressRequiredError()
    if state.shipping_error or state.shipping is None:
        raise ShippingUnavailableError(state.shipping_error or "Choose a delivery option.")
    if summary.coupon_code and state.coupon_error:
        raise CouponError(
            f"The code {state.coupon_error} Remove it from your cart to place the order."
        )
    check_stock(summary)
    method = check_method(state)
    if expected_total is not None and expected_total != state.breakdown.total.amount:
        raise TotalChangedError(state.breakdown.total)
    return method


def _scoped_key(shopper: Shopper, cart: Cart, key: str) -> str:
    owner = f"u{shopper.user_id}" if shopper.user_id is not None else f"c{cart.id}"
    return f"{owner}:{key}"[:100]


def _lines(summary: CartSummary) -> list[LineSpec]:
    return [
        LineSpec(
            product_id=line.product_id,
            product_name=line.product.name,
            sku=line.product.sku,
            unit_price=line.product.price_money,
            quantity=line.quantity,
        )
        for line in summary.buyable
    ]


def place_order(
    shopper: Shopper,
    *,
    idempotency_key: str,
    overrides: dict[str, Any] | None = None,
    expected_total: int | None = None,
) -> PlacedOrder:
    """Place the cart as an order, or raise a domain error and write nothing."""
    cart = _locked_cart(shopper.owner)
    if cart is None:
        raise EmptyCartError()
    key = _scoped_key(shopper, cart, idempotency_key)
    earlier = find_by_idempotency_key(key)
    if earlier is not None:
        return PlacedOrder(earlier, duplicate=True, card_payment_id=_open_card_payment(earlier))
    state = load_state(shopper, summary=summarize(cart), overrides=overrides)
    method = _check(state, expected_total)
    assert state.shipping is not None and state.address is not None and state.email
    total = state.breakdown.total
    window = timedelta(minutes=current_app.config["QKART_PAYMENT_WINDOW_MINUTES"])
    order = create_order(
        user_id=shopper.user_id,
        contact_email=state.email,
        lines=_lines(state.summary),
        breakdown=state.breakdown,
        delivery=Delivery(
            state.shipping.code,
            state.shipping.name,
            state.shipping.delivery_from,
            state.shipping.delivery_to,
        ),
        shipping_address=state.address,
        payment_method=method,
        idempotency_key=key,
        status="awaiting_payment" if method == "card" else "placed",
        payment_due_at=utcnow() + window if method == "card" else None,
    )
    reserve_stock(
        {line.product_id: line.quantity for line in state.summary.buyable},
        {line.product_id: line.product.name for line in state.summary.buyable},
        note=f"Order {order.number}",
    )
    if state.coupon is not None:
        coupons.redeem(state.coupon, order_id=order.id, user_id=shopper.user_id, email=state.email)
    card_payment = _take_payments(order, method, state, total)
    clear(cart)
    draft = find_draft(cart)
    if draft is not None:
        db.session.delete(draft)
    if method == "cod":
        queue.after_commit(db.session(), "mail.send_order_confirmation", order.id)
    db.session.flush()
    emit("order.placed", order_id=order.id)
    return PlacedOrder(order, card_payment_id=card_payment.id if card_payment else None)


def _take_payments(order: Order, method: str, state: CheckoutState, total: Money) -> Payment | None:
    """Create the order's payments; the wallet's is taken at once, a card's is started later."""
    request = StartRequest(
        description=f"Order {order.number}",
        reference=order.number,
        email=order.contact_email,
        success_url="",
        cancel_url="",
        expires_at=order.payment_due_at or utcnow(),
    )
    due = total
    if method == "wallet" or (state.wallet_part is not None and state.wallet_part.amount > 0):
        wallet_part = total if method == "wallet" else state.wallet_part
        assert wallet_part is not None
        wallet_payment = payments.create_payment(
            method="wallet", amount=wallet_part, order_id=order.id, user_id=state.user_id
        )
        due = total - wallet_part
        if method == "card" and due.amount > 0:
            # The card payment exists first, so the wallet's success alone is not "paid".
            card = _new_card_payment(order, due, state.user_id)
            METHODS["wallet"].start(wallet_payment, request)
            return card
        METHODS["wallet"].start(wallet_payment, request)
        return None
    if due.amount <= 0:
        return None
    if method == "card":
        return _new_card_payment(order, due, state.user_id)
    payments.create_payment(method="cod", amount=due, order_id=order.id, user_id=state.user_id)
    return None


def _new_card_payment(order: Order, amount: Money, user_id: int | None) -> Payment:
    return payments.create_payment(
        method="card", provider="stripe", amount=amount, order_id=order.id, user_id=user_id
    )


def _open_card_payment(order: Order) -> int | None:
    for payment in payments.payments_of_order(order.id):
        if payment.method == "card" and payment.is_open:
            return payment.id
    return None


def start_card_payment(
    order: Order, payment_id: int, *, success_url: str, cancel_url: str
) -> NextStep:
    """Send the card part to Stripe Checkout (after the order is committed).

    A repeated call for the same attempt (a double click) gets the same hosted
    page back: the attempt's idempotency key makes Stripe return it.
    """
    payment = payments.find_payment(payment_id)
    if payment is None or payment.order_id != order.id:
        raise NotFoundError("We could not find that payment.")
    if payment.status == "requires_action" and payment.checkout_url:
        return NextStep(redirect_url=payment.checkout_url)
    if payment.status != "pending":
        # Settled already (a webhook won the race), or failed: the order page says which.
        return NextStep(paid=payment.is_paid)
    request = StartRequest(
        description=f"{setting('QKART_SHOP_NAME')} order {order.number}",
        reference=order.number,
        email=order.contact_email,
        success_url=success_url,
        cancel_url=cancel_url,
        # Stripe keeps a page open 30 minutes at least; the expiry job closes it on time.
        expires_at=max(order.payment_due_at or utcnow(), utcnow() + MIN_PAGE_LIFETIME),
    )
    return METHODS["card"].start(payment, request)


def retry_card_payment(order: Order) -> int:
    """A new card attempt for an unpaid order (the last one failed or was abandoned)."""
    open_id = _open_card_payment(order)
    if open_id is not None:
        return open_id
    paid = sum(p.amount for p in payments.payments_of_order(order.id) if p.is_paid)
    due = Money(order.total - paid, order.currency)
    if due.amount <= 0:
        raise NotFoundError("This order has nothing left to pay.")
    return _new_card_payment(order, due, order.user_id).id
