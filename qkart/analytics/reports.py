"""The numbers staff read: KPIs against the previous period, the funnel, searches.

Every report covers a range of whole days ``[start, end]`` of the shop's calendar
(``qkart.core.shop.shop_timezone``, DST included), the same on PostgreSQL and SQLite:
revenue and orders come from the orders tables (what was sold), sessions, the funnel
and searches from the events, through their daily summaries (``rollups``: closed days
summarised once, today counted from the events). Rates are ``Decimal`` fractions
rounded once, to four places (a tenth of a percent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import desc, func, select

from qkart.analytics import rollups
from qkart.analytics.calendar import as_date, local_day, midnight
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
# A progress callback: (steps done, steps in all). Reports call it between queries.
Progress = Callable[[int, int], None]


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
        """The UTC instants where the shop's first day begins and the day after the last
        begins (a day of 23 or 25 hours when the clocks change)."""
        return midnight(self.start), midnight(self.end + timedelta(days=1))

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


def _totals(rows: Iterable[rollups.Count], device: str | None = None) -> dict[str, int]:
    """Funnel steps summed over the rows, of one device or all."""
    counts = {kind: 0 for kind, _ in FUNNEL}
    for row in rows:
        if device is None or row.device == device:
            counts[row.kind] = counts.get(row.kind, 0) + row.sessions
    return counts


def kpis(period: Period, counts: dict[str, int] | None = None) -> Kpis:
    """Revenue, orders and AOV of what sold; sessions, conversion and cart abandonment
    (``counts``: the period's ``_totals``, when the caller has them already).

    Abandonment is the cart abandonment report's own figure (carts of the range and
    how many of them ordered in it), so the two pages never disagree."""
    from qkart.analytics.abandonment import cart_sessions  # it builds on this module

    begin, end = period.bounds()
    orders, revenue = db.session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total), 0)).where(
            Order.created_at >= begin, Order.created_at < end, Order.status.in_(SOLD_STATUSES)
        )
    ).one()
    steps = counts if counts is not None else _totals(rollups.counts(period.start, period.end))
    carts, ordered = cart_sessions(period)
    return Kpis(
        revenue=int(revenue),
        orders=int(orders),
        average_order=int(revenue) // orders if orders else 0,
        sessions=steps["session.started"],
        conversion=rate(steps["order.placed"], steps["session.started"]),
        abandonment=rate(carts - ordered, carts),
    )


def funnel_counts(period: Period, device: str | None = None) -> dict[str, int]:
    """Sessions that reached each step (session-days, see ``rollups``); "paid" counts the
    sessions whose placed order was paid (maybe later, by a webhook with no session)."""
    return _totals(rollups.counts(period.start, period.end), device)


def funnel_counts_by_device(period: Period) -> dict[str, dict[str, int]]:
    """:func:`funnel_counts` of every device class, from one read of the counts."""
    rows = rollups.counts(period.start, period.end)
    return {device: _totals(rows, device) for device in devices()}


def funnel_counts_by_day(period: Period) -> dict[date, dict[str, int]]:
    """:func:`funnel_counts` of each day of the period (zeros kept)."""
    by_day: dict[date, list[rollups.Count]] = {d: [] for d in period.each_day()}
    for row in rollups.counts(period.start, period.end):
        by_day[row.day].append(row)
    return {day: _totals(rows) for day, rows in by_day.items()}


@dataclass(frozen=True)
class Step:
    label: str
    sessions: int
    of_previous: Decimal | None  # the share of the step before that got this far
    of_first: Decimal | None


def steps_of(counts: dict[str, int]) -> list[Step]:
    """Funnel counts as steps, each with its share of the step before and of the first."""
    first = counts[FUNNEL[0][0]]
    steps, before = [], None
    for kind, label in FUNNEL:
        n = counts[kind]
        steps.append(
            Step(label, n, rate(n, before) if before is not None else None, rate(n, first))
        )
        before = n
    return steps


def funnel(period: Period, device: str | None = None) -> list[Step]:
    return steps_of(funnel_counts(period, device))


@dataclass(frozen=True)
class Day:
    day: date
    revenue: int
    orders: int
    sessions: int


def by_day(period: Period, rows: Iterable[rollups.Count] | None = None) -> list[Day]:
    """Revenue and orders (sold) and sessions for every day of the period, zeros kept
    (``rows``: the period's ``rollups.counts``, when the caller has them already)."""
    begin, end = period.bounds()
    ordered = local_day(Order.created_at, begin, end)
    sold = db.session.execute(
        select(ordered, func.count(Order.id), func.sum(Order.total))
        .where(Order.created_at >= begin, Order.created_at < end, Order.status.in_(SOLD_STATUSES))
        .group_by(ordered)
    ).all()
    orders = {as_date(d): (int(n), int(total or 0)) for d, n, total in sold}
    sessions: dict[date, int] = {}
    for row in rows if rows is not None else rollups.counts(period.start, period.end):
        if row.kind == "session.started":
            sessions[row.day] = sessions.get(row.day, 0) + row.sessions
    return [
        Day(day, orders.get(day, (0, 0))[1], orders.get(day, (0, 0))[0], sessions.get(day, 0))
        for day in period.each_day()
    ]


@dataclass(frozen=True)
class Search:
    q: str
    count: int
    results: int | None = None  # 0 for the searches that found nothing


def searches(period: Period, limit: int = 10) -> tuple[list[Search], list[Search]]:
    """The most frequent searches, and the most frequent that found nothing (each
    counted when it found nothing), grouped and ranked in SQL."""
    rows = rollups.searches(period.start, period.end)
    if rows is None:
        return [], []

    def ranked(column: Any) -> Sequence[Any]:
        total = func.sum(column).label("times")
        return db.session.execute(
            select(rows.c.q, total)
            .group_by(rows.c.q)
            .having(func.sum(column) > 0)
            .order_by(desc("times"), rows.c.q)
            .limit(limit)
        ).all()

    top = [Search(q, int(n)) for q, n in ranked(rows.c.searches)]
    empty = [Search(q, int(n), 0) for q, n in ranked(rows.c.empty)]
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


@dataclass(frozen=True)
class Overview:
    now: Kpis
    before: Kpis
    funnel: list[Step]
    device_funnels: dict[str, list[Step]]
    days: list[Day]
    top_searches: list[Search]
    empty_searches: list[Search]


def overview(period: Period, progress: Progress | None = None) -> Overview:
    """Everything the overview page shows, each count read once."""
    tick = progress or (lambda done, total: None)
    rows = rollups.counts(period.start, period.end)
    tick(1, 5)
    counts = _totals(rows)
    now = kpis(period, counts)
    tick(2, 5)
    before = kpis(period.previous)
    tick(3, 5)
    days = by_day(period, rows)
    tick(4, 5)
    top, empty = searches(period)
    tick(5, 5)
    return Overview(
        now=now,
        before=before,
        funnel=steps_of(counts),
        device_funnels={d: steps_of(_totals(rows, d)) for d in devices()},
        days=days,
        top_searches=top,
        empty_searches=empty,
    )
