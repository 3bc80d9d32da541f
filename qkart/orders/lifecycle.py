"""Status changes with consequences: paid, cancelled, and unpaid orders running out of time.

Side effects hang on the transitions here, in one place: a cancelled order puts
its stock back and its money back (through each payment's method), a paid order
sends its confirmation. Each starts with the conditional ``transition``, so of
two actors racing (a webhook and the expiry job) exactly one does the work.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from qkart.catalog.services import release_stock
from qkart.core.db import utcnow
from qkart.core.errors import ConflictError, GatewayError
from qkart.core.events import emit
from qkart.core.money import Money
from qkart.extensions import db, queue
from qkart.orders.errors import InvalidTransitionError
from qkart.orders.models import CARRIERS, Order
from qkart.orders.services import transition
from qkart.payments.errors import PaymentTransitionError, RefundError
from qkart.payments.methods import method_for, refund, settle_session
from qkart.payments.models import Refund
from qkart.payments.services import order_is_paid, payments_of_order

log = logging.getLogger(__name__)


def mark_paid_if_settled(order_id: int, *, actor: str = "system") -> bool:
    """Once every payment of an order is in, the order is paid (and the shopper told).

    Money that arrives for an order cancelled meanwhile is sent straight back.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        return False
    if order.status == "cancelled":
        _refund_late_payments(order)
        return False
    if order.status not in ("placed", "awaiting_payment") or not order_is_paid(order_id):
        return False
    transition(order, "paid", actor=actor, note=_paid_note(order.id))
    # The confirmation carries the invoice, made by the same worker job.
    queue.after_commit(db.session(), "mail.send_order_confirmation", order.id)
    emit("order.paid", order_id=order.id)
    return True


PAID_BY = {"wallet": "from wallet", "card": "by card", "cod": "in cash"}


def _paid_note(order_id: int) -> str:
    """ "Paid from wallet", "Paid from wallet and by card", ..."""
    ways = [PAID_BY.get(p.method, p.method) for p in payments_of_order(order_id) if p.is_paid]
    return "Paid " + " and ".join(dict.fromkeys(ways)) if ways else "Payment received"


def _refund_late_payments(order: Order) -> None:
    for payment in payments_of_order(order.id):
        if payment.status in ("succeeded", "partly_refunded"):
            log.warning(
                "order %s was cancelled before payment %s arrived", order.number, payment.id
            )
            refund(
                payment,
                payment.refundable,
                reason=f"Order {order.number} was cancelled before the payment arrived",
                actor="system",
            )


def cancel_order(order: Order, *, actor: str, actor_id: int | None = None, note: str = "") -> None:
    """Cancel, put the stock back, stop or refund every payment, tell the other domains."""
    transition(order, "cancelled", actor=actor, actor_id=actor_id, note=note)
    release_stock(
        {line.product_id: line.quantity for line in order.lines if line.product_id},
        note=f"Order {order.number} cancelled",
    )
    for payment in payments_of_order(order.id):
        method_for(payment).cancel(payment, actor=actor, actor_id=actor_id, note=note)
    emit("order.cancelled", order_id=order.id)
    _notify(order, "cancelled")


def cancel_if_unpayable(order_id: int) -> bool:
    """After a payment attempt ended unpaid: cancel the order unless another is still open."""
    order = db.session.get(Order, order_id)
    if order is None or order.status != "awaiting_payment":
        return False
    if any(p.is_open for p in payments_of_order(order_id)):
        return False
    cancel_order(order, actor="system", note="The card payment was not completed in time")
    return True


def _close_card_payments(order: Order) -> None:
    """Ask Stripe to close the order's open payment pages; one paid meanwhile counts."""
    from qkart.payments.gateway import gateway

    for payment in payments_of_order(order.id):
        if payment.method == "card" and payment.is_open and payment.reference:
            settle_session(payment, gateway().expire_session(payment.reference), actor="system")


def expire_overdue_orders() -> int:
    """Cancel card orders not paid by their due time; their stock goes back on sale."""
    due = db.session.scalars(
        select(Order.id).where(Order.status == "awaiting_payment", Order.payment_due_at < utcnow())
    ).all()
    cancelled = 0
    for order_id in due:
        try:
            order = db.session.get(Order, order_id)
            if order is None or order.status != "awaiting_payment":
                continue
            _close_card_payments(order)
            db.session.refresh(order)
            if order.status == "awaiting_payment":
                cancel_order(order, actor="system", note="Not paid in time")
                cancelled += 1
            db.session.commit()
        except (ConflictError, InvalidTransitionError, PaymentTransitionError) as error:
            db.session.rollback()  # a webhook moved it first: nothing left to do
            log.info("order %s: %s", order_id, error)
        except GatewayError:
            db.session.rollback()  # Stripe is unreachable: try again on the next tick
            log.warning("order %s: could not reach Stripe; will retry", order_id)
    return cancelled


# -- fulfilment: what staff do, and what the shopper may still do ------------------------


def _notify(order: Order, kind: str) -> None:
    """The shopper's e-mail about this step (sent once, even if the job is retried)."""
    queue.after_commit(db.session(), "mail.send_order_update", order.id, kind)


def start_packing(order: Order, *, actor_id: int | None) -> None:
    transition(order, "processing", actor="staff", actor_id=actor_id, note="Being packed")


def ship_order(order: Order, *, carrier: str, tracking_number: str, actor_id: int | None) -> None:
    """Hand it to the carrier: the tracking number goes on the order and to the shopper."""
    transition(
        order,
        "shipped",
        actor="staff",
        actor_id=actor_id,
        note=f"Shipped with {CARRIERS.get(carrier, (carrier,))[0]}, tracking {tracking_number}",
    )
    order.carrier, order.tracking_number, order.shipped_at = carrier, tracking_number, utcnow()
    db.session.flush()
    _notify(order, "shipped")
    emit("order.shipped", order_id=order.id)


def out_for_delivery(order: Order, *, actor_id: int | None) -> None:
    transition(order, "out_for_delivery", actor="staff", actor_id=actor_id, note="With the courier")


def mark_delivered(order: Order, *, actor: str = "staff", actor_id: int | None = None) -> None:
    """Delivered: the return window starts, and cash collected at the door counts as paid."""
    transition(order, "delivered", actor=actor, actor_id=actor_id, note="Delivered")
    order.delivered_at = utcnow()
    for payment in payments_of_order(order.id):
        if payment.method == "cod" and payment.is_open:
            method_for(payment).confirm(payment, actor=actor, note="Cash collected on delivery")
            queue.after_commit(db.session(), "invoices.issue_invoice", order.id)
    db.session.flush()
    _notify(order, "delivered")
    emit("order.delivered", order_id=order.id)


def cancel_by_shopper(order: Order, *, user_id: int | None) -> None:
    """The shopper changed their mind before shipping: stock and money go back at once."""
    if not order.can_be_cancelled:
        raise InvalidTransitionError(
            "This order has left our warehouse, so it can no longer be cancelled. "
            "Once it arrives you can return it."
        )
    cancel_order(order, actor="shopper", actor_id=user_id, note="Cancelled by the shopper")


def refund_order(
    order: Order,
    amount: Money,
    *,
    reason: str,
    actor: str,
    actor_id: int | None = None,
    to_wallet: bool = False,
) -> list[Refund]:
    """Give ``amount`` back, card payments first, then cash, then the wallet.

    The order becomes refunded when every payment is, otherwise partly refunded.
    A refund refused by Stripe raises ``CardGatewayError``; the caller's rollback
    leaves payments and order as they were.
    """
    paid = [p for p in payments_of_order(order.id) if p.status in ("succeeded", "partly_refunded")]
    left = sum(p.amount - p.refunded_amount for p in paid)
    if amount.amount <= 0:
        raise RefundError("Enter an amount to refund.")
    if amount.amount > left:
        raise RefundError(f"At most {Money(left, order.currency).format()} can be refunded.")
    order_of = {"card": 0, "cod": 1, "wallet": 2}
    remaining = amount.amount
    made: list[Refund] = []
    for payment in sorted(paid, key=lambda p: order_of.get(p.method, 3)):
        take = min(remaining, payment.amount - payment.refunded_amount)
        if take <= 0:
            continue
        made.append(
            refund(
                payment,
                Money(take, order.currency),
                reason=reason,
                actor=actor,
                actor_id=actor_id,
                to_wallet=to_wallet,
            )
        )
        remaining -= take
    fully = all(p.refunded_amount >= p.amount for p in payments_of_order(order.id) if p.is_paid)
    target = "refunded" if fully else "partly_refunded"
    if order.status != target or target == "partly_refunded":
        transition(order, target, actor=actor, actor_id=actor_id, note=reason or "Refund")
    for record in made:
        queue.after_commit(db.session(), "invoices.issue_credit_note", record.id)
    _notify(order, "refunded")
    emit("order.refunded", order_id=order.id, amount=amount.amount)
    return made
