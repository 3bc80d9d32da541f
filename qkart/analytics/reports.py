"""The numbers staff read: KPIs against the previous period, the funnel, searches.

Every report covers a range of whole days ``[start, end]`` (UTC dates) and is built
from grouped SQL counts, the same on PostgreSQL and SQLite: revenue and orders come
from the orders tables (what was sold), sessions and the funnel from the events.
Rates are ``Decimal`` fractions rounded once, to four places (a tenth of a percent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import distinct, func, select

from qkart.analytics.models import AnalyticsEvent
from qkart.extensions import db
from qkart.orders.models import SOLD_STATUSES, Order

FUNNEL = (
    ("session.started", "Sessions"),
    ("product.viewed", "Viewed a product"),
    ("cart.added", "Added to cart"),
    ("checkout.started", "Started checkout"),
    ("order.placed", "Placed an order"),
    ("order.paid", "Paid"),
)
PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        begin = datetime.combine(self.start, time.min, tzinfo=UTC)
        return begin, datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]


def rate(part: int, whole: int) -> Decimal | None:
    """``part / whole`` rounded once; None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Kpis:
    revenue: int  # minor units
    orders: int
    average_order: int
    sessions: int
    conversion: Decimal | None
    abandonment: Decimal | None


def kpis(period: Period) -> Kpis:
    """Revenue, orders and AOV of what sold; sessions, conversion and cart abandonment."""
    begin, end = period.bounds()
    orders, revenue = db.session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total), 0)).where(
            Order.created_at >= begin, Order.created_at < end, Order.status.in_(SOLD_STATUSES)
        )
    ).one()
    steps = funnel_counts(period)
    carts, placed = steps["cart.added"], _sessions_with_cart_and_order(begin, end)
    return Kpis(
        revenue=int(revenue),
        orders=int(orders),
        average_order=int(revenue) // orders if orders else 0,
        sessions=steps["session.started"],
        conversion=rate(steps["order.placed"], steps["session.started"]),
        abandonment=rate(carts - placed, carts),
    )


def _sessions_of(kind: str, begin: datetime, end: datetime):  # noqa: ANN202 (a subquery)
    return select(AnalyticsEvent.session).where(
        AnalyticsEvent.kind == kind,
        AnalyticsEvent.occurred_at >= begin,
        AnalyticsEvent.occurred_at < end,
        AnalyticsEvent.session.is_not(None),
    )


def _sessions_with_cart_and_order(begin: datetime, end: datetime) -> int:
    return db.session.execute(
        select(func.count(distinct(AnalyticsEvent.session))).where(
            AnalyticsEvent.kind == "cart.added",
            AnalyticsEvent.occurred_at >= begin,
            AnalyticsEvent.occurred_at < end,
            AnalyticsEvent.session.in_(_sessions_of("order.placed", begin, end)),
        )
    ).scalar_one()


def funnel_counts(period: Period, device: str | None = None) -> dict[str, int]:
    """Distinct sessions that reached each step; "paid" counts the sessions whose placed
    order was paid (a payment may be confirmed later, by a webhook with no session)."""
    begin, end = period.bounds()
    in_range = (AnalyticsEvent.occurred_at >= begin, AnalyticsEvent.occurred_at < end)
    where = [*in_range, AnalyticsEvent.session.is_not(None)]
    if device:
        where.append(AnalyticsEvent.device == device)
    rows = db.session.execute(
        select(AnalyticsEvent.kind, func.count(distinct(AnalyticsEvent.session)))
        .where(*where, AnalyticsEvent.kind.in_([k for k, _ in FUNNEL]))
        .group_by(AnalyticsEvent.kind)
    ).all()
    counts = {kind: 0 for kind, _ in FUNNEL} | {kind: int(n) for kind, n in rows}
    paid_orders = select(AnalyticsEvent.order_id).where(AnalyticsEvent.kind == "order.paid")
    counts["order.paid"] = db.session.execute(
        select(func.count(distinct(AnalyticsEvent.session))).where(
            *where, AnalyticsEvent.kind == "order.placed", AnalyticsEvent.order_id.in_(paid_orders)
        )
    ).scalar_one()
    return counts


@dataclass(frozen=True)
class Step:
    label: str
    sessions: int
    of_previous: Decimal | None  # the share of the step before that got this far
    of_first: Decimal | None


def funnel(period: Period, device: str | None = None) -> list[Step]:
    counts = funnel_counts(period, device)
    first = counts[FUNNEL[0][0]]
    steps, before = [], None
    for kind, label in FUNNEL:
        n = counts[kind]
        steps.append(
            Step(label, n, rate(n, before) if before is not None else None, rate(n, first))
        )
        before = n
    return steps


@dataclass(frozen=True)
class Day:
    day: date
    revenue: int
    orders: int
    sessions: int


def by_day(period: Period) -> list[Day]:
    """Revenue and orders (sold) and sessions for every day of the period, zeros kept."""
    begin, end = period.bounds()
    sold = db.session.execute(
        select(func.date(Order.created_at), func.count(Order.id), func.sum(Order.total))
        .where(Order.created_at >= begin, Order.created_at < end, Order.status.in_(SOLD_STATUSES))
        .group_by(func.date(Order.created_at))
    ).all()
    visits = db.session.execute(
        select(func.date(AnalyticsEvent.occurred_at), func.count())
        .where(
            AnalyticsEvent.kind == "session.started",
            AnalyticsEvent.occurred_at >= begin,
            AnalyticsEvent.occurred_at < end,
        )
        .group_by(func.date(AnalyticsEvent.occurred_at))
    ).all()
    orders = {_day(d): (int(n), int(total or 0)) for d, n, total in sold}
    sessions = {_day(d): int(n) for d, n in visits}
    return [
        Day(day, orders.get(day, (0, 0))[1], orders.get(day, (0, 0))[0], sessions.get(day, 0))
        for day in period.each_day()
    ]


def _day(value: date | str) -> date:
    """SQLite's date() gives text, PostgreSQL's a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Search:
    q: str
    count: int
    results: int | None = None


def searches(period: Period, limit: int = 10) -> tuple[list[Search], list[Search]]:
    """The most frequent searches, and the most frequent that found nothing."""
    begin, end = period.bounds()
    rows = db.session.execute(
        select(AnalyticsEvent.data).where(
            AnalyticsEvent.kind == "search",
            AnalyticsEvent.occurred_at >= begin,
            AnalyticsEvent.occurred_at < end,
        )
    ).scalars()
    counts: dict[str, list[int]] = {}
    for data in rows:
        q = str((data or {}).get("q", "")).strip()
        if q:
            entry = counts.setdefault(q, [0, 0])
            entry[0] += 1
            entry[1] = int((data or {}).get("results") or 0)
    ranked = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    top = [Search(q, n, results) for q, (n, results) in ranked[:limit]]
    empty = [Search(q, n, 0) for q, (n, results) in ranked if results == 0][:limit]
    return top, empty


def change(now: int | Decimal | None, before: int | Decimal | None) -> Decimal | None:
    """How ``now`` compares with ``before``, as a fraction (+0.25 is a quarter more)."""
    if now is None or before is None or not before:
        return None
    return ((Decimal(now) - Decimal(before)) / Decimal(before)).quantize(
        PLACES, rounding=ROUND_HALF_UP
    )


def devices() -> Sequence[str]:
    return ("mobile", "tablet", "desktop")
