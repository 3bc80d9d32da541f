"""Returns: asked for by the shopper within the window, decided, received and refunded by staff.

Each step is a conditional update of the return's status (two staff clicks that
race cannot both act) and moves the order along its own life cycle: a request
makes it "return requested", a rejection puts it back to "delivered", a received
parcel makes it "returned" (resellable units back in stock), the refund makes it
"refunded" or "partly refunded".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qkart.catalog.services import release_stock
from qkart.core.db import move_status, utcnow
from qkart.core.errors import ConflictError, NotFoundError
from qkart.core.events import emit
from qkart.core.filters import date_text
from qkart.core.money import Money
from qkart.extensions import db, queue
from qkart.orders.lifecycle import refund_order
from qkart.orders.models import Order
from qkart.orders.services import transition
from qkart.returns.errors import ReturnError
from qkart.returns.models import (
    OPEN_RETURNS,
    RETURN_LABELS,
    RETURN_TRANSITIONS,
    Return,
    ReturnLine,
)
from qkart.settings.services import setting

RETURNABLE_STATUSES = ("delivered", "partly_refunded")


def returns_of(order_id: int) -> Sequence[Return]:
    return db.session.scalars(
        select(Return)
        .where(Return.order_id == order_id)
        .options(selectinload(Return.lines))
        .order_by(Return.id)
    ).all()


def get_return(order_id: int, return_id: int) -> Return:
    found = db.session.get(Return, return_id)
    if found is None or found.order_id != order_id:
        raise NotFoundError("We could not find that return.")
    return found


def window_closes(order: Order) -> object | None:
    if order.delivered_at is None:
        return None
    return order.delivered_at + timedelta(days=setting("QKART_RETURN_WINDOW_DAYS"))


def returnable(order: Order) -> dict[int, int]:
    """Units of each order line that can still be returned (not in another return)."""
    left = {line.id: line.quantity for line in order.lines}
    for earlier in returns_of(order.id):
        if earlier.status == "rejected":
            continue
        for line in earlier.lines:
            left[line.order_line_id] = left.get(line.order_line_id, 0) - line.quantity
    return {line_id: n for line_id, n in left.items() if n > 0}


def can_return(order: Order) -> bool:
    closes = window_closes(order)
    return (
        order.status in RETURNABLE_STATUSES
        and closes is not None
        and utcnow() <= closes  # type: ignore[operator]
        and bool(returnable(order))
    )


def _check_request(order: Order, quantities: Mapping[int, int]) -> None:
    if order.status not in RETURNABLE_STATUSES:
        raise ReturnError("Only a delivered order can be returned.")
    closes = window_closes(order)
    if closes is None or utcnow() > closes:  # type: ignore[operator]
        raise ReturnError(
            f"The return window of this order closed on {date_text(closes)}."  # type: ignore[arg-type]
        )
    left = returnable(order)
    names = {line.id: line.product_name for line in order.lines}
    chosen = {line_id: n for line_id, n in quantities.items() if n}
    if not chosen:
        raise ReturnError("Choose at least one item to return.", field="lines")
    for line_id, n in chosen.items():
        if line_id not in names:
            raise ReturnError("That item is not part of this order.", field="lines")
        if n < 0 or n > left.get(line_id, 0):
            raise ReturnError(
                f"You can return at most {left.get(line_id, 0)} of {names[line_id]}.",
                field="lines",
            )


def request_return(
    order: Order,
    quantities: Mapping[int, int],
    *,
    reason: str,
    refund_to: str,
    user_id: int | None,
) -> Return:
    """The shopper sends some units back; nothing changes if any line is refused."""
    _check_request(order, quantities)
    if refund_to == "wallet" and order.user_id is None:
        raise ReturnError("A guest's refund goes back to the card or cash it was paid with.")
    ret = Return(order_id=order.id, reason=reason.strip()[:500], refund_to=refund_to)
    ret.lines = [
        ReturnLine(order_line_id=line_id, quantity=n) for line_id, n in quantities.items() if n
    ]
    db.session.add(ret)
    db.session.flush()
    transition(
        order, "return_requested", actor="shopper", actor_id=user_id, note="Return requested"
    )
    emit("return.requested", return_id=ret.id, order_id=order.id)
    return ret


def _move(ret: Return, target: str, **values: object) -> None:
    """The return's conditional status change: whoever moved it first wins."""
    current = ret.status
    if target not in RETURN_TRANSITIONS.get(current, frozenset()):
        raise ReturnError(
            f"A return that is {RETURN_LABELS.get(current, current).lower()} cannot be "
            f"{RETURN_LABELS.get(target, target).lower()}."
        )
    if not move_status(Return, ret.id, current, target, updated_at=utcnow(), **values):
        raise ConflictError("Someone else dealt with this return a moment ago. Reload the page.")
    db.session.refresh(ret)


def approve(ret: Return, *, actor_id: int | None, note: str = "") -> None:
    _move(ret, "approved", staff_note=note[:500])
    queue.after_commit(db.session(), "mail.send_order_update", ret.order_id, "return_approved")


def reject(ret: Return, *, actor_id: int | None, note: str) -> None:
    _move(ret, "rejected", staff_note=note[:500])
    order = db.session.get(Order, ret.order_id)
    if order is not None and order.status == "return_requested":
        transition(order, "delivered", actor="staff", actor_id=actor_id, note="Return not accepted")
    queue.after_commit(db.session(), "mail.send_order_update", ret.order_id, "return_rejected")


def receive(ret: Return, *, resellable: Mapping[int, bool], actor_id: int | None) -> None:
    """The parcel is back: resellable units go into stock, the order is "returned"."""
    _move(ret, "received")
    back: dict[int, int] = {}
    for line in ret.lines:
        line.resellable = bool(resellable.get(line.id))
        product_id = line.order_line.product_id
        if line.resellable and product_id is not None:
            back[product_id] = back.get(product_id, 0) + line.quantity
    release_stock(back, reason="return", note=f"Return {ret.id}")
    order = db.session.get(Order, ret.order_id)
    assert order is not None
    transition(order, "returned", actor="staff", actor_id=actor_id, note="Return received")
    queue.after_commit(db.session(), "mail.send_order_update", order.id, "return_received")


def refund_amount(ret: Return) -> Money:
    """What the returned units cost the shopper: price less their share of the discount,
    plus the tax paid on that (shipping is not refunded), exact and rounded once."""
    order = db.session.get(Order, ret.order_id)
    assert order is not None
    kept = Decimal(1) - Decimal(order.discount) / Decimal(order.subtotal or 1)
    exact = Decimal(0)
    for line in ret.lines:
        paid = Decimal(line.order_line.unit_price * line.quantity) * kept
        if not order.tax_inclusive:
            paid += paid * Decimal(line.order_line.tax_rate or "0") / Decimal(100)
        exact += paid
    return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), order.currency)


def refund(ret: Return, *, actor_id: int | None) -> Money:
    """Refund a received return, to where it was paid from or to the wallet as asked."""
    order = db.session.get(Order, ret.order_id)
    assert order is not None
    amount = refund_amount(ret)
    _move(ret, "refunded", refunded_amount=amount.amount)
    refund_order(
        order,
        amount,
        reason=f"Return of order {order.number}",
        actor="staff",
        actor_id=actor_id,
        to_wallet=ret.refund_to == "wallet",
    )
    return amount


def open_returns(limit: int = 100) -> Sequence[Return]:
    """The returns staff still have to deal with, oldest first (the queue)."""
    return db.session.scalars(
        select(Return)
        .where(Return.status.in_(OPEN_RETURNS))
        .options(selectinload(Return.lines))
        .order_by(Return.created_at, Return.id)
        .limit(limit)
    ).all()


def open_count() -> int:
    from sqlalchemy import func

    return (
        db.session.scalar(
            select(func.count()).select_from(Return).where(Return.status.in_(OPEN_RETURNS))
        )
        or 0
    )
