"""The cart abandonment report: how many carts are left, what is left in them, and what
the reminder e-mails win back.

A cart is a session that added something to it; it is abandoned when that session
placed no order in the same range - the overview's KPI, and per day the same thing
for each day alone. What is left in an abandoned cart is every product added and not
removed afterwards, valued at the price it was added at (``cart.added`` events carry
``quantity`` in their data and the line's value in ``value``; events recorded before
values were kept count their quantity but no value). Recoveries come from the cart
reminders: of the reminders sent in the range, how many shoppers opened the link, how
many ordered within the recovery window, and what those orders took once sold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, distinct, func, or_, select
from sqlalchemy.orm import aliased

from qkart.analytics.grouping import as_date, day_of
from qkart.analytics.models import AnalyticsEvent
from qkart.analytics.reports import Period, Progress, rate
from qkart.cart.models import CartReminder
from qkart.catalog.models import Product
from qkart.extensions import db
from qkart.orders.models import SOLD_STATUSES, Order

TOP = 10


@dataclass(frozen=True)
class AbandonmentDay:
    day: date
    carts: int  # sessions that added to the cart that day
    ordered: int  # of them, sessions that placed an order that day
    rate: Decimal | None

    @property
    def abandoned(self) -> int:
        return self.carts - self.ordered


@dataclass(frozen=True)
class LeftProduct:
    """A product left in abandoned carts; ``known`` is False once its row is gone."""

    product_id: int | None
    name: str
    carts: int
    units: int
    value: int  # minor units
    known: bool


@dataclass(frozen=True)
class Recoveries:
    sent: int  # reminders sent in the range
    opened: int  # whose link restored the cart
    recovered: int  # followed by an order of the shopper
    recovered_sold: int  # ... that counts as a sale
    revenue: int  # what the sold ones took
    recovery_rate: Decimal | None  # recovered / sent

    @property
    def opened_rate(self) -> Decimal | None:
        return rate(self.opened, self.sent)

    @property
    def sold_rate(self) -> Decimal | None:
        return rate(self.recovered_sold, self.sent)


@dataclass(frozen=True)
class AbandonmentReport:
    period: Period
    carts: int
    ordered: int
    rate: Decimal | None
    value_left: int
    units_left: int
    days: list[AbandonmentDay]
    products: list[LeftProduct]
    recoveries: Recoveries

    @property
    def abandoned(self) -> int:
        return self.carts - self.ordered

    @property
    def average_left(self) -> int:
        return self.value_left // self.abandoned if self.abandoned else 0


def abandonment_report(
    period: Period, progress: Progress | None = None, *, top: int = TOP
) -> AbandonmentReport:
    """Everything the abandonment page shows, for ``period`` (a worker's job for long
    ranges: ``progress(done, total)`` between the queries)."""
    tick = progress or (lambda done, total: None)
    carts, ordered = cart_sessions(period)
    tick(1, 4)
    left = left_products(period)
    tick(2, 4)
    days = by_day(period)
    tick(3, 4)
    recovered = recoveries(period)
    tick(4, 4)
    return AbandonmentReport(
        period=period,
        carts=carts,
        ordered=ordered,
        rate=rate(carts - ordered, carts),
        value_left=sum(p.value for p in left),
        units_left=sum(p.units for p in left),
        days=days,
        products=left[:top],
        recoveries=recovered,
    )


def _in(period: Period, column: Any = AnalyticsEvent.occurred_at) -> tuple[Any, Any]:
    begin, end = period.bounds()
    return column >= begin, column < end


def _placed_sessions(period: Period) -> Select[Any]:
    return select(AnalyticsEvent.session).where(
        AnalyticsEvent.kind == "order.placed",
        AnalyticsEvent.session.is_not(None),
        *_in(period),
    )


def _added(period: Period) -> tuple[Any, ...]:
    return (
        AnalyticsEvent.kind == "cart.added",
        AnalyticsEvent.session.is_not(None),
        *_in(period),
    )


def cart_sessions(period: Period) -> tuple[int, int]:
    """Sessions with a cart in the range, and how many of them placed an order in it."""
    ordered = case((AnalyticsEvent.session.in_(_placed_sessions(period)), AnalyticsEvent.session))
    carts, placed = db.session.execute(
        select(func.count(distinct(AnalyticsEvent.session)), func.count(distinct(ordered))).where(
            *_added(period)
        )
    ).one()
    return int(carts), int(placed)


def by_day(period: Period) -> list[AbandonmentDay]:
    """Each day's carts and how many of them ordered that same day, zeros kept."""
    placed = aliased(AnalyticsEvent)
    day = day_of(AnalyticsEvent.occurred_at, period)
    rows = db.session.execute(
        select(
            day,
            func.count(distinct(AnalyticsEvent.session)),
            func.count(distinct(placed.session)),
        )
        .outerjoin(
            placed,
            and_(
                placed.kind == "order.placed",
                placed.session == AnalyticsEvent.session,
                *_in(period, placed.occurred_at),
                day_of(placed.occurred_at, period) == day,
            ),
        )
        .where(*_added(period))
        .group_by(day)
    ).all()
    counts = {as_date(d): (int(carts), int(ordered)) for d, carts, ordered in rows}
    result = []
    for one in period.each_day():
        carts, ordered = counts.get(one, (0, 0))
        result.append(AbandonmentDay(one, carts, ordered, rate(carts - ordered, carts)))
    return result


def left_products(period: Period) -> list[LeftProduct]:
    """What abandoned carts still held: products added and not removed since, by the
    number of carts they were left in, then by value."""
    removed = (
        select(
            AnalyticsEvent.session,
            AnalyticsEvent.product_id,
            func.max(AnalyticsEvent.occurred_at).label("last"),
        )
        .where(AnalyticsEvent.kind == "cart.removed", *_in(period))
        .group_by(AnalyticsEvent.session, AnalyticsEvent.product_id)
        .subquery()
    )
    quantity = func.coalesce(AnalyticsEvent.data["quantity"].as_integer(), 1)
    carts = func.count(distinct(AnalyticsEvent.session))
    value = func.coalesce(func.sum(AnalyticsEvent.value), 0)
    rows = db.session.execute(
        select(
            AnalyticsEvent.product_id,
            Product.name,
            carts,
            func.sum(quantity),
            value,
        )
        .outerjoin(
            removed,
            and_(
                removed.c.session == AnalyticsEvent.session,
                removed.c.product_id == AnalyticsEvent.product_id,
            ),
        )
        .outerjoin(Product, Product.id == AnalyticsEvent.product_id)
        .where(
            *_added(period),
            AnalyticsEvent.session.not_in(_placed_sessions(period)),
            or_(removed.c.last.is_(None), AnalyticsEvent.occurred_at > removed.c.last),
        )
        .group_by(AnalyticsEvent.product_id, Product.name)
        .order_by(carts.desc(), value.desc(), AnalyticsEvent.product_id)
    ).all()
    return [
        LeftProduct(
            product_id=pid,
            name=str(name) if name else f"Product #{pid}",
            carts=int(n),
            units=int(units),
            value=int(total),
            known=name is not None,
        )
        for pid, name, n, units, total in rows
    ]


def recoveries(period: Period) -> Recoveries:
    """Reminders sent in the range and what came of them (whenever it came)."""
    sold = Order.status.in_(SOLD_STATUSES)
    sent, opened, recovered, recovered_sold, revenue = db.session.execute(
        select(
            func.count(CartReminder.id),
            func.count(CartReminder.restored_at),
            func.count(CartReminder.order_id),
            func.count(case((sold, Order.id))),
            func.coalesce(func.sum(case((sold, Order.total), else_=0)), 0),
        )
        .outerjoin(Order, Order.id == CartReminder.order_id)
        .where(*_in(period, CartReminder.sent_at))
    ).one()
    return Recoveries(
        sent=int(sent),
        opened=int(opened),
        recovered=int(recovered),
        recovered_sold=int(recovered_sold),
        revenue=int(revenue),
        recovery_rate=rate(int(recovered), int(sent)),
    )
