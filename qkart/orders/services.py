"""Orders: creation from checked lines, the one status-changing function, and reads."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from qkart.core.money import Money
from qkart.core.pagination import Page, paginate
from qkart.extensions import db
from qkart.orders.errors import InvalidTransitionError, OrderNotFoundError
from qkart.orders.models import STATUS_LABELS, TRANSITIONS, Order, OrderEvent, OrderLine

# No 0/O, 1/I/L: order numbers are read out over the phone.
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class LineSpec:
    """What one order line copies from the catalogue at the moment of purchase."""

    product_id: int
    product_name: str
    sku: str
    unit_price: Money
    quantity: int

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity


def new_order_number() -> str:
    """A short, unambiguous, unguessable number such as ``QK-7KX9-T2M4``."""
    chars = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"QK-{chars[:4]}-{chars[4:]}"


def can_transition(current: str | None, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def transition(
    order: Order, target: str, *, actor_id: int | None = None, note: str = ""
) -> OrderEvent:
    """Move an order to ``target`` if the life cycle allows it, and record who and when."""
    current = order.status
    if not can_transition(current, target):
        raise InvalidTransitionError(
            f"An order that is {STATUS_LABELS.get(current, current).lower()} "
            f"cannot become {STATUS_LABELS.get(target, target).lower()}."
        )
    return _record(order, current, target, actor_id, note)


def _record(
    order: Order, current: str | None, target: str, actor_id: int | None, note: str
) -> OrderEvent:
    event = OrderEvent(from_status=current, to_status=target, actor_id=actor_id, note=note)
    order.events.append(event)
    order.status = target
    db.session.flush()
    return event


def create_order(
    *,
    user_id: int,
    contact_email: str,
    lines: Sequence[LineSpec],
    shipping: Money,
    shipping_address: dict[str, Any],
    payment_method: str,
    idempotency_key: str,
) -> Order:
    """A pending order with copies of its lines and address; the caller takes payment."""
    if not lines:
        raise ValueError("an order needs at least one line")
    subtotal = sum((line.line_total for line in lines), Money.zero(shipping.currency))
    order = Order(
        number=_unique_number(),
        user_id=user_id,
        status="pending",
        currency=shipping.currency,
        subtotal=subtotal.amount,
        shipping=shipping.amount,
        total=(subtotal + shipping).amount,
        payment_method=payment_method,
        shipping_address=dict(shipping_address),
        contact_email=contact_email,
        idempotency_key=idempotency_key,
        events=[],
    )
    for spec in lines:
        order.lines.append(
            OrderLine(
                product_id=spec.product_id,
                product_name=spec.product_name,
                sku=spec.sku,
                unit_price=spec.unit_price.amount,
                quantity=spec.quantity,
                line_total=spec.line_total.amount,
            )
        )
    db.session.add(order)
    _record(order, None, "pending", user_id, "Order placed")
    return order


def _unique_number() -> str:
    for _ in range(5):
        number = new_order_number()
        if db.session.scalar(select(Order.id).where(Order.number == number)) is None:
            return number
    raise RuntimeError("could not draw a free order number")  # ~1e12 space: never in practice


def find_by_idempotency_key(user_id: int, key: str) -> Order | None:
    return db.session.scalar(
        select(Order).where(Order.user_id == user_id, Order.idempotency_key == key)
    )


def get_order_for_user(number: str, user_id: int) -> Order:
    """The shopper's own order, lines and history loaded; anyone else's is 'not found'."""
    order = db.session.scalar(
        select(Order)
        .where(Order.number == number.strip().upper(), Order.user_id == user_id)
        .options(selectinload(Order.lines), selectinload(Order.events))
    )
    if order is None:
        raise OrderNotFoundError()
    return order


def list_orders(user_id: int, page: int = 1, per_page: int = 10) -> Page[Order]:
    """The shopper's orders, newest first, with their lines for the item counts."""
    stmt = (
        select(Order)
        .where(Order.user_id == user_id)
        .options(selectinload(Order.lines))
        .order_by(Order.created_at.desc(), Order.id.desc())
    )
    return paginate(stmt, page, per_page)


PAID_STATUSES = ("paid", "processing", "shipped", "delivered")


@dataclass(frozen=True)
class SalesSummary:
    orders: int
    revenue: Money
    average: Money


def sales_since(since: datetime, currency: str) -> SalesSummary:
    """Paid orders and their revenue since ``since`` (cancelled and refunded excluded)."""
    count, revenue = db.session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total), 0)).where(
            Order.created_at >= since, Order.status.in_(PAID_STATUSES)
        )
    ).one()
    average = int(revenue) // count if count else 0
    return SalesSummary(count, Money(int(revenue), currency), Money(average, currency))


def recent_orders(limit: int = 10) -> Sequence[Order]:
    return db.session.scalars(
        select(Order).order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    ).all()
