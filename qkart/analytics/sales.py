"""The sales report: revenue, orders and AOV over time, what sold, coupons, refunds.

Sales are orders placed in the range whose status is one of ``SOLD_STATUSES`` (the same
figures as the overview's KPIs). Product and category revenue is the sum of their order
lines (before an order's discount, shipping and tax), by the category a product is in
today. Refunds and returns follow the orders placed in the range, whenever the money
went back: of what those orders took, how much was refunded, and how many of them had
a return. Every figure comes from grouped SQL over the whole range, a handful of
queries however long it is; the results are plain values, safe to pickle and cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import distinct, func, select

from qkart.analytics.grouping import as_date, bucket_of, buckets, day_of, grain_of
from qkart.analytics.reports import Period, Progress, rate
from qkart.catalog.models import Category, Product
from qkart.extensions import db
from qkart.orders.models import SOLD_STATUSES, Order, OrderLine
from qkart.payments.models import Payment, Refund
from qkart.returns.models import Return

# Orders that took money at some point: sold ones and those refunded in full since.
TOOK_MONEY = (*SOLD_STATUSES, "refunded")
TOP = 10


@dataclass(frozen=True)
class SalesPoint:
    start: date
    end: date
    label: str
    revenue: int  # minor units
    orders: int
    average_order: int


@dataclass(frozen=True)
class Seller:
    """A product or a category with what it sold; ``id`` is None for a deleted product."""

    id: int | None
    name: str
    units: int
    revenue: int


@dataclass(frozen=True)
class CouponUse:
    code: str
    uses: int
    discount: int
    revenue: int
    average_order: int


@dataclass(frozen=True)
class CouponSummary:
    codes: list[CouponUse]
    with_coupon: int  # orders
    with_revenue: int
    without_coupon: int
    without_revenue: int

    @property
    def average_with(self) -> int:
        return _average(self.with_revenue, self.with_coupon)

    @property
    def average_without(self) -> int:
        return _average(self.without_revenue, self.without_coupon)


@dataclass(frozen=True)
class Refunds:
    orders: int  # orders of the range that took money
    taken: int  # what they took
    refunded: int
    refund_rate: Decimal | None  # refunded / taken
    returned_orders: int  # of them, how many had a return (not rejected)
    return_rate: Decimal | None


@dataclass(frozen=True)
class SalesReport:
    period: Period
    grain: str  # "day", "week" or "month"
    revenue: int
    orders: int
    average_order: int
    units: int
    series: list[SalesPoint]
    products: list[Seller]
    categories: list[Seller]
    coupons: CouponSummary
    refunds: Refunds


def _average(total: int, count: int) -> int:
    return total // count if count else 0


def _sold(period: Period) -> tuple[Any, ...]:
    begin, end = period.bounds()
    return (Order.created_at >= begin, Order.created_at < end, Order.status.in_(SOLD_STATUSES))


def sales_report(
    period: Period, progress: Progress | None = None, *, top: int = TOP
) -> SalesReport:
    """Everything the sales page shows, for ``period`` (a worker's job for long ranges:
    ``progress(done, total)`` between the queries)."""
    tick = progress or (lambda done, total: None)
    series = sales_series(period)
    tick(1, 5)
    revenue = sum(p.revenue for p in series)
    orders = sum(p.orders for p in series)
    products = top_products(period)
    tick(2, 5)
    categories = top_categories(period)[:top]
    tick(3, 5)
    coupons = coupon_summary(period)
    tick(4, 5)
    refunds = refunds_and_returns(period)
    tick(5, 5)
    return SalesReport(
        period=period,
        grain=grain_of(period),
        revenue=revenue,
        orders=orders,
        average_order=_average(revenue, orders),
        units=sum(p.units for p in products),
        series=series,
        products=products[:top],
        categories=categories,
        coupons=coupons,
        refunds=refunds,
    )


def sales_series(period: Period) -> list[SalesPoint]:
    """Revenue, orders and AOV per day (per week or month for long ranges), zeros kept."""
    day = day_of(Order.created_at, period)
    rows = db.session.execute(
        select(day, func.count(Order.id), func.coalesce(func.sum(Order.total), 0))
        .where(*_sold(period))
        .group_by(day)
    ).all()
    grain = grain_of(period)
    sums: dict[date, list[int]] = {}
    for value, count, total in rows:
        entry = sums.setdefault(bucket_of(as_date(value), grain), [0, 0])
        entry[0] += int(count)
        entry[1] += int(total)
    points = []
    for bucket in buckets(period, grain):
        count, total = sums.get(bucket_of(bucket.start, grain), [0, 0])
        points.append(
            SalesPoint(bucket.start, bucket.end, bucket.label, total, count, _average(total, count))
        )
    return points


def top_products(period: Period) -> list[Seller]:
    """Every product sold in the range, by revenue then units (the name as last sold)."""
    revenue = func.sum(OrderLine.line_total)
    units = func.sum(OrderLine.quantity)
    rows = db.session.execute(
        select(OrderLine.product_id, func.max(OrderLine.product_name), units, revenue)
        .join(Order, Order.id == OrderLine.order_id)
        .where(*_sold(period))
        .group_by(OrderLine.product_id)
        .order_by(revenue.desc(), units.desc(), OrderLine.product_id)
    ).all()
    return [Seller(pid, str(name), int(n), int(total)) for pid, name, n, total in rows]


def top_categories(period: Period) -> list[Seller]:
    """Categories by the revenue of their products' lines."""
    revenue = func.sum(OrderLine.line_total)
    units = func.sum(OrderLine.quantity)
    rows = db.session.execute(
        select(Category.id, Category.name, units, revenue)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .join(Category, Category.id == Product.category_id)
        .where(*_sold(period))
        .group_by(Category.id, Category.name)
        .order_by(revenue.desc(), units.desc(), Category.id)
    ).all()
    return [Seller(cid, str(name), int(n), int(total)) for cid, name, n, total in rows]


def coupon_summary(period: Period) -> CouponSummary:
    """Each code's uses, discount and revenue; orders (and AOV) with and without a code."""
    code = Order.coupon_code
    rows = db.session.execute(
        select(
            code,
            func.count(Order.id),
            func.coalesce(func.sum(Order.discount), 0),
            func.coalesce(func.sum(Order.total), 0),
        )
        .where(*_sold(period))
        .group_by(code)
    ).all()
    codes = sorted(
        (
            CouponUse(str(c), int(n), int(off), int(total), _average(int(total), int(n)))
            for c, n, off, total in rows
            if c
        ),
        key=lambda use: (-use.uses, -use.revenue, use.code),
    )
    without = next(((int(n), int(total)) for c, n, _, total in rows if not c), (0, 0))
    return CouponSummary(
        codes=codes,
        with_coupon=sum(use.uses for use in codes),
        with_revenue=sum(use.revenue for use in codes),
        without_coupon=without[0],
        without_revenue=without[1],
    )


def refunds_and_returns(period: Period) -> Refunds:
    """Of the orders placed in the range that took money: refunded share, returns."""
    begin, end = period.bounds()
    took = select(Order.id).where(
        Order.created_at >= begin, Order.created_at < end, Order.status.in_(TOOK_MONEY)
    )
    refunded = (
        select(func.coalesce(func.sum(Refund.amount), 0))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.status == "succeeded", Payment.order_id.in_(took))
        .scalar_subquery()
    )
    returned = (
        select(func.count(distinct(Return.order_id)))
        .where(Return.status != "rejected", Return.order_id.in_(took))
        .scalar_subquery()
    )
    orders, taken, money_back, with_return = db.session.execute(
        select(
            func.count(Order.id),
            func.coalesce(func.sum(Order.total), 0),
            refunded,
            returned,
        ).where(Order.id.in_(took))
    ).one()
    orders, taken, money_back, with_return = (
        int(orders),
        int(taken),
        int(money_back),
        int(with_return),
    )
    return Refunds(
        orders=orders,
        taken=taken,
        refunded=money_back,
        refund_rate=rate(money_back, taken),
        returned_orders=with_return,
        return_rate=rate(with_return, orders),
    )
