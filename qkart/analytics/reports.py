"""The numbers staff read: KPIs against the previous period, the funnel, searches.

Every report covers a range of whole days ``[start, end]`` of the shop's calendar
(``qkart.core.shop.shop_timezone``, DST included) and is built from grouped SQL
counts, the same on PostgreSQL and SQLite: revenue and orders come from the orders
tables (what was sold), sessions and the funnel from the events. Rates are
``Decimal`` fractions rounded once, to four places (a tenth of a percent).

Grouping by the shop's day happens in SQL (:func:`local_day`), not by re-bucketing
hourly counts in Python: the funnel counts *distinct* sessions per day, which cannot
be added up from hourly counts, and some zones are 30 or 45 minutes off an hour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, distinct, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from qkart.analytics.models import AnalyticsEvent
from qkart.core.db import UTCDateTime
from qkart.core.shop import shop_timezone
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
        zone = shop_timezone()
        return _midnight(self.start, zone), _midnight(self.end + timedelta(days=1), zone)

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    # Where midnight does not exist (clocks jump at 00:00) zoneinfo reads it with the
    # offset before the jump: the day then begins at the jump itself, as it should.
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def local_day(column: Any, begin: datetime, end: datetime) -> ColumnElement[Any]:
    """The shop's calendar day of a UTC timestamp column, for rows in ``[begin, end)``.

    PostgreSQL converts with the zone database itself (``timezone(zone, ts)``). SQLite
    has no zones: the expression shifts each row by the UTC offset in effect at its
    instant, one ``CASE`` branch per offset change in the range (found with zoneinfo).
    """
    zone = shop_timezone()
    if db.session.get_bind().dialect.name == "postgresql":
        # The zone is written into the SQL (not a parameter) so that the same expression
        # in SELECT and GROUP BY is one expression to PostgreSQL.
        return func.date(func.timezone(bindparam("zone", zone.key, literal_execute=True), column))
    segments = _offsets(zone, begin, end)
    shifted = [func.date(column, f"{offset:+d} seconds") for _, offset in segments]
    if len(shifted) == 1:
        return shifted[0]
    whens = [
        (column < literal(until, UTCDateTime()), day)
        for (until, _), day in zip(segments[1:], shifted, strict=False)
    ]
    return case(*whens, else_=shifted[-1])


def _offsets(zone: ZoneInfo, begin: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """(from when, UTC offset in seconds) for each stretch of one offset in [begin, end)."""

    def offset(at: datetime) -> int:
        return int(at.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]

    segments = [(begin, offset(begin))]
    step, at = timedelta(hours=1), begin
    while at < end:
        later = min(at + step, end)
        if offset(later) != segments[-1][1]:
            low, high = at, later  # the change lies in (low, high]: find its second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == segments[-1][1] else (low, middle)
            segments.append((high.replace(microsecond=0), offset(later)))
        at = later
    return segments


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


def kpis(period: Period, counts: dict[str, int] | None = None) -> Kpis:
    """Revenue, orders and AOV of what sold; sessions, conversion and cart abandonment
    (``counts``: the period's :func:`funnel_counts`, when the caller has them already)."""
    begin, end = period.bounds()
    orders, revenue = db.session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total), 0)).where(
            Order.created_at >= begin, Order.created_at < end, Order.status.in_(SOLD_STATUSES)
        )
    ).one()
    steps = counts if counts is not None else funnel_counts(period)
    carts, placed = steps["cart.added"], _sessions_with_cart_and_order(begin, end)
    return Kpis(
        revenue=int(revenue),
        orders=int(orders),
        average_order=int(revenue) // orders if orders else 0,
        sessions=steps["session.started"],
        conversion=rate(steps["order.placed"], steps["session.started"]),
        abandonment=rate(carts - placed, carts),
    )


def _in(begin: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    return (AnalyticsEvent.occurred_at >= begin, AnalyticsEvent.occurred_at < end)


def _sessions_of(kind: str, begin: datetime, end: datetime):  # noqa: ANN202 (a subquery)
    return select(AnalyticsEvent.session).where(
        AnalyticsEvent.kind == kind, *_in(begin, end), AnalyticsEvent.session.is_not(None)
    )


def _sessions_with_cart_and_order(begin: datetime, end: datetime) -> int:
    return db.session.scalar(
        select(func.count(distinct(AnalyticsEvent.session))).where(
            AnalyticsEvent.kind == "cart.added",
            *_in(begin, end),
            AnalyticsEvent.session.in_(_sessions_of("order.placed", begin, end)),
        )
    )


def _paid_orders(begin: datetime):  # noqa: ANN202 (a subquery)
    # A payment never comes before its order: paid events before the range cannot match.
    return select(AnalyticsEvent.order_id).where(
        AnalyticsEvent.kind == "order.paid", AnalyticsEvent.occurred_at >= begin
    )


def _steps(period: Period, *groups: Any, device: str | None = None) -> tuple[list[Any], list[Any]]:
    """Distinct sessions per funnel step, and placed-and-paid sessions, grouped by
    ``groups`` (columns or expressions): two queries whatever the grouping."""
    begin, end = period.bounds()
    where = [*_in(begin, end), AnalyticsEvent.session.is_not(None)]
    if device:
        where.append(AnalyticsEvent.device == device)
    sessions = func.count(distinct(AnalyticsEvent.session))
    steps = db.session.execute(
        select(*groups, AnalyticsEvent.kind, sessions)
        .where(*where, AnalyticsEvent.kind.in_([k for k, _ in FUNNEL[:-1]]))
        .group_by(*groups, AnalyticsEvent.kind)
    ).all()
    paid = db.session.execute(
        select(*groups, sessions)
        .where(
            *where,
            AnalyticsEvent.kind == "order.placed",
            AnalyticsEvent.order_id.in_(_paid_orders(begin)),
        )
        .group_by(*groups)
    ).all()
    return steps, paid


def _empty_counts() -> dict[str, int]:
    return {kind: 0 for kind, _ in FUNNEL}


def funnel_counts(period: Period, device: str | None = None) -> dict[str, int]:
    """Distinct sessions that reached each step; "paid" counts the sessions whose placed
    order was paid (a payment may be confirmed later, by a webhook with no session)."""
    steps, paid = _steps(period, device=device)
    counts = _empty_counts() | {kind: int(n) for kind, n in steps}
    counts["order.paid"] = int(paid[0][0]) if paid else 0
    return counts


def funnel_counts_by_device(period: Period) -> dict[str, dict[str, int]]:
    """:func:`funnel_counts` of every device class at once (two queries, not six)."""
    steps, paid = _steps(period, AnalyticsEvent.device)
    counts = {device: _empty_counts() for device in devices()}
    for device, kind, n in steps:
        counts.setdefault(device, _empty_counts())[kind] = int(n)
    for device, n in paid:
        counts.setdefault(device, _empty_counts())["order.paid"] = int(n)
    return counts


def funnel_counts_by_day(period: Period) -> dict[date, dict[str, int]]:
    """:func:`funnel_counts` of each day of the period (zeros kept), in two queries."""
    day = local_day(AnalyticsEvent.occurred_at, *period.bounds())
    steps, paid = _steps(period, day)
    counts = {d: _empty_counts() for d in period.each_day()}
    for when, kind, n in steps:
        counts[_day(when)][kind] = int(n)
    for when, n in paid:
        counts[_day(when)]["order.paid"] = int(n)
    return counts


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


def by_day(period: Period) -> list[Day]:
    """Revenue and orders (sold) and sessions for every day of the period, zeros kept."""
    begin, end = period.bounds()
    ordered = local_day(Order.created_at, begin, end)
    sold = db.session.execute(
        select(ordered, func.count(Order.id), func.sum(Order.total))
        .where(Order.created_at >= begin, Order.created_at < end, Order.status.in_(SOLD_STATUSES))
        .group_by(ordered)
    ).all()
    started = local_day(AnalyticsEvent.occurred_at, begin, end)
    visits = db.session.execute(
        select(started, func.count())
        .where(AnalyticsEvent.kind == "session.started", *_in(begin, end))
        .group_by(started)
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
    """The most frequent searches, and the most frequent that found nothing (each
    search counted when it found nothing), grouped and ranked in SQL."""
    begin, end = period.bounds()
    q = AnalyticsEvent.data[_key("q")].as_string()
    found = AnalyticsEvent.data[_key("results")].as_integer()
    where = (AnalyticsEvent.kind == "search", *_in(begin, end), q != "")
    times = func.count().label("times")

    def ranked(*extra: ColumnElement[bool]) -> list[Any]:
        return db.session.execute(
            select(q, times, func.min(found))
            .where(*where, *extra)
            .group_by(q)
            .order_by(times.desc(), q)
            .limit(limit)
        ).all()

    top = [Search(text, int(n), int(least or 0)) for text, n, least in ranked()]
    empty = [Search(text, int(n), 0) for text, n, _ in ranked(found == 0)]
    return top, empty


def _key(name: str) -> Any:
    """A JSON key written into PostgreSQL's SQL, so that it sees one expression in SELECT
    and GROUP BY; SQLite needs SQLAlchemy's own JSON path for a plain key."""
    if db.session.get_bind().dialect.name != "postgresql":
        return name
    return bindparam(f"key_{name}", name, literal_execute=True)


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
    """Everything the overview page shows, each count taken once (about 15 queries)."""
    tick = progress or (lambda done, total: None)
    counts = funnel_counts(period)
    tick(1, 6)
    now = kpis(period, counts)
    tick(2, 6)
    before = kpis(period.previous)
    tick(3, 6)
    by_device = funnel_counts_by_device(period)
    tick(4, 6)
    days = by_day(period)
    tick(5, 6)
    top, empty = searches(period)
    tick(6, 6)
    return Overview(
        now=now,
        before=before,
        funnel=steps_of(counts),
        device_funnels={d: steps_of(by_device[d]) for d in devices()},
        days=days,
        top_searches=top,
        empty_searches=empty,
    )
