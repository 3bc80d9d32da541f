"""A year of shop history written through the real tables (``flask seed --history``).

:func:`write` puts a :class:`~qkart.analytics.history_plan.Plan` (every number decided
beforehand, so tests and reports know what to expect) through the real tables: users,
orders and their lines and status history, payments, refunds, returns, coupon
redemptions, abandoned carts, analytics events, in bulk INSERTs, a day at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from qkart.accounts.models import User
from qkart.analytics.history_plan import (
    COUPON,
    DELIVERY_DAYS,
    DEVICES,
    EMAIL,
    NOT_FOUND,
    RETURN_DAYS,
    SEARCHES,
    DayPlan,
    Plan,
    PlannedOrder,
    local_time,
    plan,
    session_id,
)
from qkart.analytics.models import AnalyticsEvent
from qkart.cart.models import Cart, CartItem
from qkart.catalog.models import Product
from qkart.coupons.models import Coupon, CouponRedemption
from qkart.extensions import db
from qkart.orders.models import Order, OrderEvent, OrderLine
from qkart.payments.models import Payment, Refund
from qkart.returns.models import Return, ReturnLine

__all__ = ["HistoryLoadedError", "Plan", "catalogue", "plan", "write"]


class HistoryLoadedError(Exception):
    """The history is in the database already (its customers exist)."""


MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


@dataclass
class _Context:
    zone: ZoneInfo
    products: list[Product]
    users: dict[int, int]  # customer -> users.id
    coupon_id: int | None
    currency: str


def catalogue() -> list[Product]:
    """The products the history sells: the first 20 of the catalogue (by id)."""
    return list(db.session.scalars(select(Product).order_by(Product.id).limit(20)))


def write(history: Plan, currency: str, progress: Callable[[int], None] | None = None) -> int:
    """Write the planned history; returns how many events it wrote.

    Raises ``HistoryLoadedError`` when its customers exist already (run it once)."""
    if db.session.scalar(select(User.id).where(User.email == EMAIL.format(0))) is not None:
        raise HistoryLoadedError("the history is loaded already")
    products = catalogue()
    coupon_id = db.session.scalar(select(Coupon.id).where(Coupon.code == COUPON[0]))
    context = _Context(history.zone, products, {}, coupon_id, currency)
    written = 0
    for day in history.days:
        _users(history, day, context)
        written += _day(day, context)
        if progress:
            progress(1)
    db.session.flush()
    return written


def _users(history: Plan, day: DayPlan, context: _Context) -> None:
    new = [c for c, first in history.first_orders.items() if first == day.day]
    if not new:
        return
    joined = local_time(day.day, 0, history.zone)
    rows = [
        {
            "email": EMAIL.format(c),
            "name": f"History Customer {c}",
            "password_hash": "!",  # no password matches: these customers never log in
            "role": "customer",
            "session_version": 1,
            "email_verified_at": joined,
            "created_at": joined,
        }
        for c in new
    ]
    ids = db.session.scalars(
        insert(User).returning(User.id, sort_by_parameter_order=True), rows
    ).all()
    context.users.update(zip(new, ids, strict=True))


def _day(day: DayPlan, context: _Context) -> int:
    events = _session_events(day, context)
    orders = list(day.orders)
    if orders:
        events += _orders(orders, context)
    _abandoned_carts(day, context)
    db.session.execute(insert(AnalyticsEvent), events)
    return len(events)


def _event(kind: str, session: str | None, device: str, at: datetime, **values: object) -> dict:
    return {
        "kind": kind,
        "session": session,
        "device": device,
        "occurred_at": at,
        "product_id": values.get("product_id"),
        "order_id": values.get("order_id"),
        "value": values.get("value"),
        "data": values.get("data", {}),
    }


def _session_events(day: DayPlan, context: _Context) -> list[dict]:
    """Every session's page events; session ``n`` goes as far down the funnel as its rank
    allows (the first ``viewers`` view a product, the first ``carts`` add to cart...)."""
    rows = []
    for n in range(day.sessions):
        session, device = session_id(day.day, n), DEVICES[n % len(DEVICES)]
        at = local_time(day.day, n * 17 % 840, context.zone)
        product = context.products[n % len(context.products)].id
        rows.append(_event("session.started", session, device, at))
        if n < day.viewers:
            rows.append(_event("product.viewed", session, device, at + MINUTE, product_id=product))
        if n % 3 == 0:  # every third session searches; every fourth search finds nothing
            q = NOT_FOUND if (n // 3) % 4 == 0 else SEARCHES[n % len(SEARCHES)]
            data = {"q": q, "results": 0 if q == NOT_FOUND else 3}
            rows.append(_event("search", session, device, at + MINUTE, data=data))
        if n < day.carts:
            added = {"quantity": 1}
            rows.append(
                _event(
                    "cart.added", session, device, at + 2 * MINUTE, product_id=product, data=added
                )
            )
        if n < day.checkouts:
            rows.append(_event("checkout.started", session, device, at + 3 * MINUTE))
            step = {"step": "address"}
            rows.append(_event("checkout.step", session, device, at + 4 * MINUTE, data=step))
    return rows


def _orders(orders: list[PlannedOrder], context: _Context) -> list[dict]:
    """The orders with their lines, status history, payment, refund, return, coupon."""
    rows = [_order_row(o, context) for o in orders]
    ids = db.session.scalars(
        insert(Order).returning(Order.id, sort_by_parameter_order=True), rows
    ).all()
    lines, history, payments, redemptions = [], [], [], []
    events = []
    for order, order_id in zip(orders, ids, strict=True):
        for index, quantity, price in order.lines:
            product = context.products[index]
            lines.append(
                {
                    "order_id": order_id,
                    "product_id": product.id,
                    "product_name": product.name,
                    "sku": product.sku,
                    "unit_price": price,
                    "quantity": quantity,
                    "line_total": price * quantity,
                    "tax_rate": "0",
                }
            )
        history += _status_rows(order, order_id)
        if order.paid:
            payments.append(_payment_row(order, order_id, context))
        if order.discount and context.coupon_id is not None:
            redemptions.append(
                {
                    "coupon_id": context.coupon_id,
                    "order_id": order_id,
                    "user_id": context.users[order.customer],
                    "email": EMAIL.format(order.customer),
                    "discount": order.discount,
                    "created_at": order.at,
                }
            )
        events += _order_events(order, order_id)
    line_ids = db.session.scalars(
        insert(OrderLine).returning(OrderLine.id, sort_by_parameter_order=True), lines
    ).all()
    db.session.execute(insert(OrderEvent), history)
    if redemptions:
        db.session.execute(insert(CouponRedemption), redemptions)
    _money_back(orders, ids, payments, dict(zip(ids, _first_lines(lines, line_ids), strict=True)))
    return events


def _first_lines(lines: list[dict], line_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(line id, quantity) of each order's first line, in order."""
    first: dict[int, tuple[int, int]] = {}
    for line, line_id in zip(lines, line_ids, strict=True):
        first.setdefault(line["order_id"], (line_id, line["quantity"]))
    return list(first.values())


def _order_row(order: PlannedOrder, context: _Context) -> dict:
    return {
        "number": f"H{order.number:08d}",
        "user_id": context.users[order.customer],
        "status": order.status,
        "currency": context.currency,
        "subtotal": order.subtotal,
        "discount": order.discount,
        "shipping": 0,
        "payment_fee": 0,
        "tax": 0,
        "total": order.total,
        "tax_inclusive": False,
        "tax_label": "Tax",
        "coupon_code": COUPON[0] if order.discount else None,
        "shipping_method": "standard",
        "shipping_method_name": "Standard delivery",
        "payment_method": "card",
        "shipping_address": {"full_name": f"History Customer {order.customer}", "country": "US"},
        "contact_email": EMAIL.format(order.customer),
        "idempotency_key": f"history-{order.number}",
        "delivered_at": order.at + DELIVERY_DAYS * DAY if _delivered(order) else None,
        "created_at": order.at,
        "updated_at": order.at + (DELIVERY_DAYS * DAY if _delivered(order) else 2 * MINUTE),
    }


PATHS = {
    "cancelled": ("placed", "cancelled"),
    "paid": ("awaiting_payment", "paid"),
    "delivered": ("awaiting_payment", "paid", "shipped", "delivered"),
    "refunded": ("awaiting_payment", "paid", "shipped", "delivered", "refunded"),
    "partly_refunded": (
        "awaiting_payment",
        "paid",
        "shipped",
        "delivered",
        "return_requested",
        "returned",
        "partly_refunded",
    ),
}


# When each status of an order's path is reached, after the order.
WHEN = {
    "placed": timedelta(0),
    "awaiting_payment": timedelta(0),
    "paid": 2 * MINUTE,
    "cancelled": 2 * MINUTE,
    "shipped": DAY,
    "delivered": DELIVERY_DAYS * DAY,
    "return_requested": DELIVERY_DAYS * DAY + timedelta(hours=1),
    "returned": RETURN_DAYS * DAY - timedelta(hours=1),
    "refunded": RETURN_DAYS * DAY,
    "partly_refunded": RETURN_DAYS * DAY,
}


def _delivered(order: PlannedOrder) -> bool:
    return order.status not in ("cancelled", "paid")


def _status_rows(order: PlannedOrder, order_id: int) -> list[dict]:
    path = PATHS[order.status]
    return [
        {
            "order_id": order_id,
            "from_status": path[n - 1] if n else None,
            "to_status": status,
            "actor": "system",
            "note": "",
            "created_at": order.at + WHEN[status],
        }
        for n, status in enumerate(path)
    ]


def _payment_row(order: PlannedOrder, order_id: int, context: _Context) -> dict:
    refunded = order.total if order.status == "refunded" else _part(order)
    return {
        "order_id": order_id,
        "user_id": context.users[order.customer],
        "purpose": "order",
        "method": "card",
        "provider": "qkart",
        "amount": order.total,
        "refunded_amount": refunded,
        "currency": context.currency,
        "status": "refunded" if order.status == "refunded" else "succeeded",
        "reference": f"history-{order.number}",
        "idempotency_key": f"history-{order.number}",
        "created_at": order.at + 2 * MINUTE,
        "updated_at": order.at + 2 * MINUTE,
    }


def _part(order: PlannedOrder) -> int:
    """What a partly refunded order gave back: one unit of its first line."""
    return order.lines[0][2] if order.status == "partly_refunded" else 0


def _money_back(
    orders: list[PlannedOrder],
    ids: Sequence[int],
    payments: list[dict],
    first_line: dict[int, tuple[int, int]],
) -> None:
    """Payments, the refunds of refunded orders, the returns of partly refunded ones."""
    if not payments:
        return
    payment_ids = db.session.scalars(
        insert(Payment).returning(Payment.id, sort_by_parameter_order=True), payments
    ).all()
    by_order = dict(zip([p["order_id"] for p in payments], payment_ids, strict=True))
    refunds, returns, returned = [], [], []
    for order, order_id in zip(orders, ids, strict=True):
        amount = order.total if order.status == "refunded" else _part(order)
        if not amount:
            continue
        refunds.append(
            {
                "payment_id": by_order[order_id],
                "amount": amount,
                "status": "succeeded",
                "reason": "Returned" if order.status == "partly_refunded" else "Customer request",
                "destination": "original",
                "failure_message": "",
                "actor": "system",
                "created_at": order.at + RETURN_DAYS * DAY,
            }
        )
        if order.status == "partly_refunded":
            returns.append(
                {
                    "order_id": order_id,
                    "status": "refunded",
                    "reason": "Did not fit",
                    "refund_to": "original",
                    "staff_note": "",
                    "refunded_amount": amount,
                    "created_at": order.at + DELIVERY_DAYS * DAY,
                    "updated_at": order.at + RETURN_DAYS * DAY,
                }
            )
            returned.append(first_line[order_id][0])
    if refunds:
        db.session.execute(insert(Refund), refunds)
    if returns:
        return_ids = db.session.scalars(
            insert(Return).returning(Return.id, sort_by_parameter_order=True), returns
        ).all()
        db.session.execute(
            insert(ReturnLine),
            [
                {"return_id": r, "order_line_id": line, "quantity": 1, "resellable": True}
                for r, line in zip(return_ids, returned, strict=True)
            ],
        )


def _order_events(order: PlannedOrder, order_id: int) -> list[dict]:
    rows = [
        _event(
            "order.placed",
            order.session,
            order.device,
            order.at,
            order_id=order_id,
            value=order.total,
        )
    ]
    later = order.at + 2 * MINUTE
    if order.paid:  # confirmed without a page (as a webhook does): no session
        rows.append(_event("order.paid", None, "desktop", later, order_id=order_id))
    else:
        rows.append(
            _event("order.cancelled", order.session, order.device, later, order_id=order_id)
        )
    if order.status in ("refunded", "partly_refunded"):
        amount = order.total if order.status == "refunded" else _part(order)
        rows.append(
            _event(
                "order.refunded",
                None,
                "desktop",
                order.at + RETURN_DAYS * DAY,
                order_id=order_id,
                value=amount,
            )
        )
    return rows


def _abandoned_carts(day: DayPlan, context: _Context) -> None:
    """The carts of sessions that added to cart and did not order stay, as guests' carts."""
    left = range(len(day.orders), day.carts)
    if not left:
        return
    carts = []
    for n in left:
        at = local_time(day.day, n * 17 % 840 + 2, context.zone)
        carts.append({"token": session_id(day.day, n), "created_at": at, "updated_at": at})
    cart_ids = db.session.scalars(
        insert(Cart).returning(Cart.id, sort_by_parameter_order=True), carts
    ).all()
    db.session.execute(
        insert(CartItem),
        [
            {
                "cart_id": cart_id,
                "product_id": context.products[n % len(context.products)].id,
                "quantity": 1,
                "added_at": cart["created_at"],
            }
            for n, cart_id, cart in zip(left, cart_ids, carts, strict=True)
        ],
    )
