"""The planned year of shop history (``flask seed --history``): every number known before
anything is written.

:func:`plan` decides everything from the calendar alone, with integer arithmetic (no
randomness): how many sessions each day has, how many of them view a product, add to
cart, start the checkout and order, which customer each order is from (new or
returning), its lines, coupon, payment and fate (delivered, cancelled unpaid, refunded,
partly refunded after a return). The :class:`Plan` then answers what the reports must
show (funnel, abandonment, AOV, monthly cohorts) without the database;
:mod:`qkart.analytics.history` writes it.

Every session lives inside one of the shop's days (08:00 to 22:06 local time), so its
events fall on the day that planned them, whatever the time zone and its DST.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from qkart.orders.models import SOLD_STATUSES

EMAIL = "history-{:05d}@example.com"
SEARCHES = ("lamp", "desk", "chair", "mug", "headphones", "notebook")
NOT_FOUND = "unicorn sofa"
DEVICES = ("mobile", "mobile", "mobile", "desktop", "desktop", "tablet")
COUPON = ("SAVE5", 500, 5_000)  # code, discount, minimum subtotal
DELIVERY_DAYS = 3  # after the order
RETURN_DAYS = 4  # refunds and returns, after the order


@dataclass(frozen=True)
class PlannedOrder:
    number: int  # its place in the whole history, from 0
    session: str
    device: str
    at: datetime  # UTC
    customer: int
    lines: tuple[tuple[int, int, int], ...]  # (product index, quantity, unit price)
    discount: int
    status: str  # where it ends: paid, delivered, cancelled, refunded or partly_refunded

    @property
    def subtotal(self) -> int:
        return sum(quantity * price for _, quantity, price in self.lines)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount

    @property
    def paid(self) -> bool:
        return self.status != "cancelled"

    @property
    def sold(self) -> bool:
        return self.status in SOLD_STATUSES


@dataclass(frozen=True)
class DayPlan:
    day: date
    sessions: int
    viewers: int
    carts: int
    checkouts: int
    orders: tuple[PlannedOrder, ...]
    searches: int
    empty_searches: int


@dataclass
class Plan:
    days: list[DayPlan]
    zone: ZoneInfo
    first_orders: dict[int, date] = field(default_factory=dict)

    def _within(self, start: date, end: date) -> list[DayPlan]:
        return [d for d in self.days if start <= d.day <= end]

    def orders(self, start: date, end: date) -> list[PlannedOrder]:
        return [o for d in self._within(start, end) for o in d.orders]

    def funnel(self, start: date, end: date) -> list[int]:
        """Sessions at each funnel step, as ``reports.funnel`` must count them."""
        days = self._within(start, end)
        orders = self.orders(start, end)
        return [
            sum(d.sessions for d in days),
            sum(d.viewers for d in days),
            sum(d.carts for d in days),
            sum(d.checkouts for d in days),
            len(orders),
            sum(o.paid for o in orders),
        ]

    def abandoned(self, start: date, end: date) -> tuple[int, int]:
        """(carts left without an order, carts): every ordering session had a cart."""
        carts = sum(d.carts for d in self._within(start, end))
        return carts - len(self.orders(start, end)), carts

    def sales(self, start: date, end: date) -> tuple[int, int]:
        """(orders sold, revenue) in minor units."""
        sold = [o for o in self.orders(start, end) if o.sold]
        return len(sold), sum(o.total for o in sold)

    def cohorts(self) -> dict[date, dict[int, int]]:
        """First-order month -> {months later: customers of that cohort ordering then}."""
        table: dict[date, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        for order in self.orders(date.min, date.max):
            first = self.first_orders[order.customer].replace(day=1)
            local = order.at.astimezone(self.zone).date()
            later = (local.year - first.year) * 12 + local.month - first.month
            table[first][later].add(order.customer)
        return {m: {n: len(c) for n, c in sorted(row.items())} for m, row in sorted(table.items())}

    def sold_cohorts(self) -> dict[date, list[int]]:
        """As the customer reports count them, from sold orders only: first-sold-order
        month -> how many of its customers bought in that month, the next, and so on."""
        months: dict[int, set[date]] = defaultdict(set)
        for order in self.orders(date.min, date.max):
            if order.sold:
                months[order.customer].add(order.at.astimezone(self.zone).date().replace(day=1))
        table: dict[date, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        for bought in months.values():
            first = min(bought)
            for month in bought:
                table[first][month] += 1
        last = max(m for row in table.values() for m in row) if table else date.min
        return {
            first: [row.get(month, 0) for month in _months(first, last)]
            for first, row in sorted(table.items())
        }

    @property
    def customers(self) -> int:
        return len(self.first_orders)


def _months(first: date, last: date) -> list[date]:
    out = [first]
    while out[-1] < last:
        out.append((out[-1] + timedelta(days=32)).replace(day=1))
    return out


def local_time(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """``minutes`` after 08:00 of the shop's ``day``, in UTC."""
    return datetime.combine(day, time(8), tzinfo=zone).astimezone(UTC) + timedelta(minutes=minutes)


def plan(end: date, days: int, prices: list[int], zone: ZoneInfo) -> Plan:
    """The history of the ``days`` days up to ``end`` (the shop's days), for a catalogue
    whose products cost ``prices`` (minor units, in product order)."""
    result = Plan([], zone)
    number = 0
    for index in range(days):
        day = end - timedelta(days=days - 1 - index)
        weekend = day.weekday() >= 5
        sessions = 40 + (12 if weekend else 0) + (day.toordinal() * 7) % 13
        viewers = sessions * 3 // 5
        carts = viewers * 2 // 5
        checkouts = carts * 3 // 5
        placed = checkouts * 2 // 3
        orders = []
        for n in range(placed):
            orders.append(_order(result, day, n, number, prices, (end - day).days))
            number += 1
        result.days.append(
            DayPlan(
                day,
                sessions,
                viewers,
                carts,
                checkouts,
                tuple(orders),
                searches=len(range(0, sessions, 3)),
                empty_searches=len(range(0, len(range(0, sessions, 3)), 4)),
            )
        )
    return result


def _order(
    history: Plan, day: date, n: int, number: int, prices: list[int], age: int
) -> PlannedOrder:
    """Session ``n`` of the day places the ``number``-th order of the history, ``age``
    days before the plan's last day: nothing that follows it (delivery after 3 days, a
    refund or return after 4) happens later than that day."""
    if number % 4 == 3 and history.first_orders:
        customer = (number * 7) % len(history.first_orders)  # a returning customer
    else:
        customer = len(history.first_orders)
        history.first_orders[customer] = day
    first, second = number % len(prices), (number * 5 + 3) % len(prices)
    lines: tuple[tuple[int, int, int], ...] = ((first, 1 + number % 3, prices[first]),)
    if number % 3 == 0 and second != first:
        lines += ((second, 1, prices[second]),)
    subtotal = sum(q * p for _, q, p in lines)
    _, off, minimum = COUPON
    discount = off if number % 6 == 1 and subtotal >= minimum else 0
    if number % 10 == 9:
        fate = "cancelled"
    elif age < RETURN_DAYS + 1:
        fate = "delivered" if age >= DELIVERY_DAYS + 1 else "paid"
    elif number % 25 == 7:
        fate = "refunded"
    elif number % 20 == 3:
        fate = "partly_refunded"
    else:
        fate = "delivered"
    return PlannedOrder(
        number=number,
        session=session_id(day, n),
        device=DEVICES[n % len(DEVICES)],
        at=local_time(day, n * 17 % 840 + 5, history.zone),  # five minutes into its session
        customer=customer,
        lines=lines,
        discount=discount,
        status=fate,
    )


def session_id(day: date, n: int) -> str:
    """The ``n``th session of ``day``, as an analytics session id (32 characters)."""
    return f"h{day:%Y%m%d}{n:05d}".ljust(32, "0")
