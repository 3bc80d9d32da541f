"""Customer reports: retention (cohorts, repeat purchases, time between orders) and
insights (new vs returning, lifetime value, top customers, customers at risk).

A customer is an e-mail address. An account's orders count under the account's current
address; a guest's order under the address typed at checkout, trimmed and lower-cased
(accounts store theirs lower-cased), so a guest who later orders with an account, or
again as a guest, under the same address is one customer, not two. Only sold orders
count (``SOLD_STATUSES``, as in the revenue figures), and money is their totals.

Months are the shop's calendar months, cut with ``Period.bounds()`` like every report's
days; SQL puts a timestamp into its month with a CASE over those boundaries, which reads
the same on PostgreSQL and SQLite (``to_char``/``strftime`` would use the database's
zone and differ by dialect). Each report returns plain dataclasses, fit for a cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Subquery, and_, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from qkart.accounts.models import User
from qkart.analytics.reports import Period, Progress, rate
from qkart.core.db import UTCDateTime
from qkart.core.money import minor_digits
from qkart.core.shop import currency
from qkart.extensions import db
from qkart.orders.models import SOLD_STATUSES, Order

# Days between two orders of a customer: (first day, last day or None for "and more").
GAP_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 7),
    (8, 30),
    (31, 90),
    (91, 180),
    (181, 365),
    (366, None),
)
# Lifetime value in major units of the shop's currency: (from, below or None).
VALUE_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 25),
    (25, 50),
    (50, 100),
    (100, 250),
    (250, 500),
    (500, 1000),
    (1000, None),
)
RISK_DAYS = 90


# -- what every report reads -------------------------------------------------------------


def _sold(until: datetime) -> Subquery:
    """Sold orders placed before ``until``: id, time, total and the customer's address."""
    customer = func.coalesce(User.email, func.lower(func.trim(Order.contact_email)))
    return (
        select(
            Order.id.label("id"),
            Order.created_at.label("at"),
            Order.total.label("total"),
            customer.label("customer"),
        )
        .outerjoin(User, User.id == Order.user_id)
        .where(Order.status.in_(SOLD_STATUSES), Order.created_at < until)
        .subquery("sold")
    )


def _firsts(sold: Subquery) -> Subquery:
    """Each customer's first order, order count, money spent and last order."""
    return (
        select(
            sold.c.customer,
            func.min(sold.c.at).label("first_at"),
            func.max(sold.c.at).label("last_at"),
            func.count().label("orders"),
            func.sum(sold.c.total).label("spent"),
        )
        .group_by(sold.c.customer)
        .subquery("firsts")
    )


def months_of(period: Period) -> list[Period]:
    """The whole calendar months the period touches, first to last."""
    months, first = [], period.start.replace(day=1)
    while first <= period.end:
        following = (first + timedelta(days=32)).replace(day=1)
        months.append(Period(first, following - timedelta(days=1)))
        first = following
    return months


def _month_index(column: ColumnElement[Any], edges: Sequence[datetime]) -> ColumnElement[Any]:
    """Which month (0, 1, ...) a time falls in, given the months' ``edges``: -1 before the
    first, NULL after the last."""
    whens = [(column < edge, n) for n, edge in enumerate(edges, start=-1)]
    return case(*whens, else_=None)


def _edges(months: Sequence[Period]) -> list[datetime]:
    return [m.bounds()[0] for m in months] + [months[-1].bounds()[1]]


# -- retention ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cohort:
    month: date  # the first day of the month of the customers' first order
    customers: int
    active: list[int]  # of them, how many ordered in month 0 (their first), 1, 2, ...
    shares: list[Decimal | None]


def cohorts(period: Period) -> list[Cohort]:
    """Customers grouped by the month of their first order ever, for every whole month the
    period touches, and the share of each group that ordered in each later month (up to
    the period's last month). Month 0 is always everyone: their first order is in it."""
    months = months_of(period)
    edges = _edges(months)
    sold = _sold(edges[-1])
    firsts = _firsts(sold)
    active = (
        select(
            sold.c.customer,
            _month_index(firsts.c.first_at, edges).label("cohort"),
            _month_index(sold.c.at, edges).label("month"),
        )
        .join(firsts, firsts.c.customer == sold.c.customer)
        .where(firsts.c.first_at >= edges[0], sold.c.at >= edges[0])
        .distinct()
        .subquery("active")
    )
    rows = db.session.execute(
        select(active.c.cohort, active.c.month, func.count()).group_by(
            active.c.cohort, active.c.month
        )
    ).all()
    counts = {(int(c), int(m)): int(n) for c, m, n in rows}
    out = []
    for index, month in enumerate(months):
        size = counts.get((index, index), 0)
        seen = [counts.get((index, later), 0) for later in range(index, len(months))]
        out.append(Cohort(month.start, size, seen, [rate(n, size) for n in seen]))
    return out


@dataclass(frozen=True)
class Repeats:
    customers: int  # who bought in the period
    repeaters: int  # of them, who bought twice or more in it
    rate: Decimal | None


def repeat_purchases(period: Period) -> Repeats:
    """Of the customers who bought in the period, the share with two or more orders in it."""
    begin, end = period.bounds()
    sold = _sold(end)
    per_customer = (
        select(sold.c.customer, func.count().label("orders"))
        .where(sold.c.at >= begin)
        .group_by(sold.c.customer)
        .subquery("per_customer")
    )
    customers, repeaters = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((per_customer.c.orders >= 2, 1), else_=0)), 0),
        )
    ).one()
    return Repeats(int(customers), int(repeaters), rate(int(repeaters), int(customers)))


@dataclass(frozen=True)
class Bucket:
    low: int  # days, or minor units for money buckets
    high: int | None  # inclusive for days, exclusive for money; None: no upper bound
    count: int
    share: Decimal | None


@dataclass(frozen=True)
class Gaps:
    orders: int  # repeat orders in the period (orders with an earlier one to measure from)
    median_days: Decimal | None
    buckets: list[Bucket]


def order_gaps(period: Period) -> Gaps:
    """Whole days (24 hours) between each repeat order placed in the period and the same
    customer's order before it, which may be older than the period."""
    begin, end = period.bounds()
    sold = _sold(end)
    previous = func.lag(sold.c.at, type_=UTCDateTime()).over(
        partition_by=sold.c.customer, order_by=(sold.c.at, sold.c.id)
    )
    paired = select(sold.c.at, previous.label("before")).subquery("paired")
    rows = db.session.execute(
        select(paired.c.at, paired.c.before).where(
            paired.c.at >= begin, paired.c.before.is_not(None)
        )
    ).all()
    days = sorted((at - before) // timedelta(days=1) for at, before in rows)
    buckets = []
    for low, high in GAP_BUCKETS:
        n = sum(1 for d in days if low <= d and (high is None or d <= high))
        buckets.append(Bucket(low, high, n, rate(n, len(days))))
    return Gaps(len(days), _median(days), buckets)


def _median(values: Sequence[int]) -> Decimal | None:
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return Decimal(values[middle])
    return (Decimal(values[middle - 1]) + Decimal(values[middle])) / 2


# -- new and returning -------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    customers: int  # who bought in the period
    new: int  # of them, whose first order ever is in the period
    returning: int  # who had bought before it
    returning_share: Decimal | None


def new_and_returning(period: Period) -> Split:
    """Customers of the period: new (first order in it) or returning (ordered before it).

    The staff home asks this for every visit, so it reads the period's orders and, per
    buyer, looks up one earlier order by index, rather than every customer's first
    order over the shop's whole history. Buyers are told apart as everywhere here (the
    account's address, else the order's).
    """
    begin, end = period.bounds()
    account = select(User.email).where(User.id == Order.user_id).scalar_subquery()
    buyers = (
        select(func.coalesce(account, func.lower(func.trim(Order.contact_email))).label("key"))
        .where(Order.status.in_(SOLD_STATUSES), Order.created_at >= begin)
        .where(Order.created_at < end)
        .distinct()
        .subquery("buyers")
    )
    earlier = aliased(Order)
    by_account = (
        select(earlier.id)
        .join(User, User.id == earlier.user_id)
        .where(User.email == buyers.c.key)
        .where(earlier.status.in_(SOLD_STATUSES), earlier.created_at < begin)
    )
    as_guest = select(earlier.id).where(
        earlier.user_id.is_(None),
        func.lower(func.trim(earlier.contact_email)) == buyers.c.key,
        earlier.status.in_(SOLD_STATUSES),
        earlier.created_at < begin,
    )
    returned = or_(by_account.exists(), as_guest.exists())
    customers, returning = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((returned, 1), else_=0)), 0)).select_from(
            buyers
        )
    ).one()
    customers, returning = int(customers), int(returning)
    return Split(customers, customers - returning, returning, rate(returning, customers))


@dataclass(frozen=True)
class MonthSplit:
    month: date  # its first day; the period may cover only part of it
    new: int
    returning: int


def new_and_returning_by_month(period: Period) -> list[MonthSplit]:
    """For each month of the period (cut to the period), its customers, new or returning:
    a customer is new in the month of their first order and returning in any later one."""
    months = [Period(max(m.start, period.start), min(m.end, period.end)) for m in months_of(period)]
    edges = _edges(months)
    sold = _sold(edges[-1])
    firsts = _firsts(sold)
    monthly = (
        select(
            sold.c.customer,
            _month_index(sold.c.at, edges).label("month"),
            _month_index(firsts.c.first_at, edges).label("first_month"),
        )
        .join(firsts, firsts.c.customer == sold.c.customer)
        .where(sold.c.at >= edges[0])
        .distinct()
        .subquery("monthly")
    )
    is_new = case((monthly.c.first_month == monthly.c.month, 1), else_=0)
    rows = db.session.execute(
        select(monthly.c.month, func.count(), func.sum(is_new)).group_by(monthly.c.month)
    ).all()
    found = {int(m): (int(n), int(new)) for m, n, new in rows}
    splits = []
    for index, month in enumerate(months):
        customers, new = found.get(index, (0, 0))
        splits.append(MonthSplit(month.start, new, customers - new))
    return splits


# -- lifetime value and who they are -----------------------------------------------------


def lifetime_values(period: Period, currency: str) -> list[Bucket]:
    """How many of the period's customers have spent how much in all (up to its end), in
    ``VALUE_BUCKETS`` of the shop's currency; bucket bounds are in minor units."""
    begin, end = period.bounds()
    firsts = _firsts(_sold(end))
    scale = 10 ** minor_digits(currency)
    bounds = [(low * scale, None if high is None else high * scale) for low, high in VALUE_BUCKETS]
    bucket = case(
        *[(firsts.c.spent < high, n) for n, (_, high) in enumerate(bounds) if high is not None],
        else_=len(bounds) - 1,
    )
    per = select(bucket.label("bucket")).where(firsts.c.last_at >= begin).subquery("per")
    rows = db.session.execute(select(per.c.bucket, func.count()).group_by(per.c.bucket)).all()
    counts = {int(b): int(n) for b, n in rows}
    total = sum(counts.values())
    return [
        Bucket(low, high, counts.get(n, 0), rate(counts.get(n, 0), total))
        for n, (low, high) in enumerate(bounds)
    ]


@dataclass(frozen=True)
class Customer:
    email: str
    name: str | None  # the account's name; None for a guest
    user_id: int | None  # the account, for a link to the staff customer page
    orders: int  # in the period (for customers at risk: all their orders)
    revenue: int  # minor units, in the period (likewise)
    lifetime: int  # minor units spent up to the period's end
    last_order: datetime


def top_customers(period: Period, limit: int | None = 10) -> list[Customer]:
    """The customers who spent most in the period, with what they spent before it too."""
    begin, end = period.bounds()
    sold = _sold(end)
    in_period = sold.c.at >= begin
    revenue = func.sum(case((in_period, sold.c.total), else_=0))
    query = (
        select(
            sold.c.customer,
            func.sum(case((in_period, 1), else_=0)),
            revenue,
            func.sum(sold.c.total),
            func.max(sold.c.at),
        )
        .group_by(sold.c.customer)
        .having(func.max(sold.c.at) >= begin)
        .order_by(revenue.desc(), sold.c.customer)
    )
    if limit is not None:
        query = query.limit(limit)
    return _with_accounts(db.session.execute(query).all())


@dataclass(frozen=True)
class AtRisk:
    days: int
    since: date  # none of them ordered on this day or after it
    total: int  # how many customers are at risk
    customers: list[Customer]  # the most valuable of them first


def at_risk(period: Period, days: int = RISK_DAYS, limit: int | None = 20) -> AtRisk:
    """Customers who ordered before but not in the ``days`` days up to the period's last
    day, most valuable first; closed (deleted) accounts are left out, nobody to win back."""
    since = period.end - timedelta(days=days - 1)
    cutoff = Period(since, period.end).bounds()[0]
    firsts = _firsts(_sold(period.bounds()[1]))
    closed = select(User.email).where(User.deleted_at.is_not(None))
    where = and_(firsts.c.last_at < cutoff, firsts.c.customer.not_in(closed))
    total = db.session.scalar(select(func.count()).where(where)) or 0
    query = (
        select(firsts.c.customer, firsts.c.orders, firsts.c.spent, firsts.c.spent, firsts.c.last_at)
        .where(where)
        .order_by(firsts.c.spent.desc(), firsts.c.last_at.desc(), firsts.c.customer)
    )
    if limit is not None:
        query = query.limit(limit)
    return AtRisk(days, since, int(total), _with_accounts(db.session.execute(query).all()))


def _with_accounts(rows: Sequence[Any]) -> list[Customer]:
    """Rows of (customer, orders, revenue, lifetime, last order) with their accounts'
    names and ids, looked up in one query."""
    emails = [row[0] for row in rows]
    accounts: dict[str, tuple[int, str]] = {}
    if emails:
        found = db.session.execute(
            select(User.email, User.id, User.name).where(User.email.in_(emails))
        )
        accounts = {email: (user_id, name) for email, user_id, name in found}
    return [
        Customer(
            email=email,
            name=accounts[email][1] if email in accounts else None,
            user_id=accounts[email][0] if email in accounts else None,
            orders=int(orders),
            revenue=int(revenue or 0),
            lifetime=int(lifetime or 0),
            last_order=last,
        )
        for email, orders, revenue, lifetime, last in rows
    ]


# -- the page --------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomersReport:
    """What the customers page shows for a range, but the customers at risk (which
    depend on the days staff choose, and are one query)."""

    split: Split
    repeats: Repeats
    gaps: Gaps
    months: list[MonthSplit]
    cohorts: list[Cohort]
    values: list[Bucket]
    top: list[Customer]


def customers_report(period: Period, progress: Progress | None = None) -> CustomersReport:
    """Everything of the customers page for ``period`` (its default is a year, so a
    worker's job where one runs: ``progress(done, total)`` between the queries)."""
    tick = progress or (lambda done, total: None)
    steps: list[Any] = []
    makers = (
        lambda: new_and_returning(period),
        lambda: repeat_purchases(period),
        lambda: order_gaps(period),
        lambda: new_and_returning_by_month(period),
        lambda: cohorts(period),
        lambda: lifetime_values(period, currency()),
        lambda: top_customers(period),
    )
    for done, make in enumerate(makers, start=1):
        steps.append(make())
        tick(done, len(makers))
    return CustomersReport(*steps)
