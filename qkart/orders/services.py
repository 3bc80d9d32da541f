"""Orders: creation from priced lines, the one status-changing function, and reads."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from qkart.core.db import move_status, rows_changed, utcnow
from qkart.core.errors import ConflictError
from qkart.core.money import Money
from qkart.core.pagination import Page, paginate
from qkart.extensions import db
from qkart.orders.errors import InvalidTransitionError, OrderNotFoundError
from qkart.orders.models import (
    RECEIVED_STATUSES,
    SOLD_STATUSES,
    STATUS_LABELS,
    TRANSITIONS,
    Order,
    OrderEvent,
    OrderLine,
)
from qkart.pricing.services import Breakdown

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


@dataclass(frozen=True)
class Delivery:
    """The delivery method chosen, as the order keeps it."""

    code: str
    name: str
    delivery_from: date | None = None
    delivery_to: date | None = None


def new_order_number() -> str:
    """A short, unambiguous, unguessable number such as ``QK-7KX9-T2M4``."""
    chars = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"QK-{chars[:4]}-{chars[4:]}"


def can_transition(current: str | None, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def _label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", status or "new").lower()


def transition(
    order: Order,
    target: str,
    *,
    actor: str = "system",
    actor_id: int | None = None,
    note: str = "",
) -> OrderEvent:
    """Move an order to ``target`` if the life cycle allows it and nobody moved it first.

    The change is a conditional UPDATE on the status it was read with, so a
    webhook, a staff click and a shopper's cancel that race cannot both win: the
    loser gets ``ConflictError`` saying what the order became.
    """
    current = order.status
    if not can_transition(current, target):
        raise InvalidTransitionError(
            f"An order that is {_label(current)} cannot become {_label(target)}."
        )
    if not move_status(Order, order.id, current, target, updated_at=utcnow()):
        db.session.refresh(order)
        raise ConflictError(
            f"This order changed in the meantime: it is now {_label(order.status)}. "
            "Reload the page to see it."
        )
    db.session.refresh(order, ["status", "updated_at"])
    return _record(order, current, target, actor, actor_id, note)


def _record(
    order: Order,
    current: str | None,
    target: str,
    actor: str,
    actor_id: int | None,
    note: str,
) -> OrderEvent:
    event = OrderEvent(
        from_status=current, to_status=target, actor=actor, actor_id=actor_id, note=note[:200]
    )
    order.events.append(event)
    order.status = target
    db.session.flush()
    return event


def create_order(
    *,
    user_id: int | None,
    contact_email: str,
    lines: Sequence[LineSpec],
    breakdown: Breakdown,
    delivery: Delivery,
    shipping_address: dict[str, Any],
    payment_method: str,
    idempotency_key: str,
    status: str = "placed",
    payment_due_at: datetime | None = None,
) -> Order:
    """An order with copies of its lines, address and price breakdown; no payment yet."""
    if not lines:
        raise ValueError("an order needs at least one line")
    order = Order(
        number=_unique_number(),
        user_id=user_id,
        status=status,
        currency=breakdown.currency,
        subtotal=breakdown.subtotal.amount,
        discount=breakdown.discount.amount,
        shipping=breakdown.shipping.amount,
        payment_fee=breakdown.payment_fee.amount,
        tax=breakdown.tax.amount,
        total=breakdown.total.amount,
        tax_inclusive=breakdown.tax_inclusive,
        tax_label=breakdown.tax_label,
        coupon_code=breakdown.coupon_code,
        shipping_method=delivery.code,
        shipping_method_name=delivery.name,
        delivery_from=delivery.delivery_from,
        delivery_to=delivery.delivery_to,
        payment_method=payment_method,
        shipping_address={k: v for k, v in shipping_address.items() if k != "id"},
        contact_email=contact_email,
        idempotency_key=idempotency_key,
        payment_due_at=payment_due_at,
        events=[],
    )
    for spec in lines:
        rate = breakdown.line_rates.get(spec.product_id)
        order.lines.append(
            OrderLine(
                product_id=spec.product_id,
                product_name=spec.product_name,
                sku=spec.sku,
                unit_price=spec.unit_price.amount,
                quantity=spec.quantity,
                line_total=spec.line_total.amount,
                tax_rate=f"{rate.normalize():f}" if rate is not None else "0",
            )
        )
    db.session.add(order)
    note = "Waiting for the card payment" if status == "awaiting_payment" else "Order placed"
    _record(order, None, status, "shopper", user_id, note)
    return order


def _unique_number() -> str:
    for _ in range(5):
        number = new_order_number()
        if db.session.scalar(select(Order.id).where(Order.number == number)) is None:
            return number
    raise RuntimeError("could not draw a free order number")  # ~1e12 space: never in practice


def find_by_idempotency_key(key: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.idempotency_key == key))


def _with_details(stmt: Any) -> Any:
    return stmt.options(selectinload(Order.lines), selectinload(Order.events))


def get_order_for_user(number: str, user_id: int) -> Order:
    """The shopper's own order, lines and history loaded; anyone else's is 'not found'."""
    order = db.session.scalar(
        _with_details(
            select(Order).where(Order.number == number.strip().upper(), Order.user_id == user_id)
        )
    )
    if order is None:
        raise OrderNotFoundError()
    return order


def get_order(number: str) -> Order:
    """An order by number, for a caller that has already proven access (a signed link)."""
    order = db.session.scalar(
        _with_details(select(Order).where(Order.number == number.strip().upper()))
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


def claim_guest_orders(user_id: int, email: str) -> int:
    """Give a newly verified account the orders its address placed as a guest."""
    result = db.session.execute(
        update(Order)
        .where(Order.user_id.is_(None), func.lower(Order.contact_email) == email.lower())
        .values(user_id=user_id)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) or 0


@dataclass(frozen=True)
class SalesSummary:
    orders: int
    revenue: Money
    average: Money


def sales_since(since: datetime, currency: str) -> SalesSummary:
    """Paid orders and their revenue since ``since`` (cancelled and refunded excluded)."""
    count, revenue = db.session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total), 0)).where(
            Order.created_at >= since, Order.status.in_(SOLD_STATUSES)
        )
    ).one()
    average = int(revenue) // count if count else 0
    return SalesSummary(count, Money(int(revenue), currency), Money(average, currency))


def recent_orders(limit: int = 10) -> Sequence[Order]:
    return db.session.scalars(
        select(Order).order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    ).all()


TO_SHIP = ("paid", "processing")


def work_counts() -> dict[str, int]:
    """What waits for staff: orders to pack and ship (cash-on-delivery ones included)."""
    rows = db.session.execute(
        select(Order.status, func.count())
        .where(Order.status.in_((*TO_SHIP, "placed")))
        .group_by(Order.status)
    ).all()
    counts = dict(rows)
    return {"to_ship": sum(counts.get(s, 0) for s in (*TO_SHIP, "placed"))}


def find_orders(text: str, limit: int = 10) -> Sequence[Order]:
    """Orders by number (or its start), or by the contact e-mail, for the staff search."""
    text = text.strip()
    if not text:
        return []
    return db.session.scalars(
        select(Order)
        .where(
            or_(
                Order.number.istartswith(text.upper(), autoescape=True),
                Order.contact_email.icontains(text, autoescape=True),
            )
        )
        .order_by(Order.created_at.desc())
        .limit(limit)
    ).all()


def order_numbers(order_ids: set[int]) -> dict[int, str]:
    if not order_ids:
        return {}
    return dict(
        db.session.execute(select(Order.id, Order.number).where(Order.id.in_(order_ids))).all()
    )


def lifetime_value(user_id: int, currency: str) -> Money:
    """What a customer has spent: sold orders' totals, less what was refunded on them."""
    from qkart.payments.models import Payment

    spent = db.session.scalar(
        select(func.coalesce(func.sum(Order.total), 0)).where(
            Order.user_id == user_id, Order.status.in_((*SOLD_STATUSES, "refunded"))
        )
    )
    refunded = db.session.scalar(
        select(func.coalesce(func.sum(Payment.refunded_amount), 0))
        .join(Order, Order.id == Payment.order_id)
        .where(Order.user_id == user_id)
    )
    return Money(int(spent or 0) - int(refunded or 0), currency)


def has_received(user_id: int, product_id: int) -> bool:
    """Whether an order of the shopper's holding ``product_id`` reached them (delivered,
    or delivered and then returned or refunded in part): they have used the product."""
    found = db.session.scalar(
        select(OrderLine.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.user_id == user_id,
            Order.status.in_(RECEIVED_STATUSES),
            OrderLine.product_id == product_id,
        )
        .limit(1)
    )
    return found is not None
