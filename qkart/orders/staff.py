"""Orders as staff look for them: a filter (status, dates, payment method, customer) that
the list pages through and the CSV export streams in full."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, func, or_, select

from qkart.accounts.models import User
from qkart.core.money import Money
from qkart.extensions import db
from qkart.orders.models import STATUS_LABELS, Order, OrderLine
from qkart.payments.models import METHOD_LABELS

CSV_COLUMNS = (
    "number",
    "placed_at",
    "status",
    "customer",
    "email",
    "guest",
    "payment_method",
    "items",
    "subtotal",
    "discount",
    "shipping",
    "tax",
    "total",
    "currency",
    "coupon",
    "country",
    "delivery",
    "carrier",
    "tracking_number",
)


@dataclass(frozen=True)
class OrderFilter:
    status: str = ""
    since: date | None = None
    until: date | None = None
    method: str = ""
    customer: str = ""  # part of the e-mail address or of the customer's name


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def order_query(query: OrderFilter) -> Select[Order]:
    """The orders the filter selects, newest first (dates are whole UTC days).

    A customer is looked up first (one small query on the trigram index of names): with
    their ids as a list, PostgreSQL ORs two index scans of orders (e-mail trigrams and
    customer), where a subquery in the OR made it read every order.
    """
    stmt = select(Order)
    if query.status in STATUS_LABELS:
        stmt = stmt.where(Order.status == query.status)
    if query.since:
        stmt = stmt.where(Order.created_at >= _midnight(query.since))
    if query.until:
        stmt = stmt.where(Order.created_at < _midnight(query.until) + timedelta(days=1))
    if query.method in METHOD_LABELS:
        stmt = stmt.where(Order.payment_method == query.method)
    if query.customer:
        names = select(User.id).where(User.name.icontains(query.customer, autoescape=True))
        stmt = stmt.where(
            or_(
                Order.contact_email.icontains(query.customer, autoescape=True),
                Order.user_id.in_(db.session.scalars(names).all()),
            )
        )
    return stmt.order_by(Order.created_at.desc(), Order.id.desc())


def _major(amount: int, currency: str) -> str:
    return str(Money(amount, currency).major)


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def export_rows(stmt: Select[Order]) -> Iterator[str]:
    """The CSV text of the orders ``stmt`` selects, streamed a few hundred at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    ids = stmt.with_only_columns(Order.id).order_by(None).scalar_subquery()
    items = dict(
        db.session.execute(
            select(OrderLine.order_id, func.sum(OrderLine.quantity))
            .where(OrderLine.order_id.in_(ids))
            .group_by(OrderLine.order_id)
        ).all()
    )
    user_ids = stmt.with_only_columns(Order.user_id).order_by(None).scalar_subquery()
    found = db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()
    names: dict[int | None, str] = dict(found)
    for order in db.session.scalars(stmt.execution_options(yield_per=500)):
        address = order.shipping_address or {}
        writer.writerow(
            [
                order.number,
                order.created_at.astimezone(UTC).isoformat(timespec="seconds"),
                order.status,
                _safe(names.get(order.user_id) or address.get("full_name", "")),
                _safe(order.contact_email),
                "yes" if order.user_id is None else "no",
                order.payment_method,
                items.get(order.id, 0),
                _major(order.subtotal, order.currency),
                _major(order.discount, order.currency),
                _major(order.shipping, order.currency),
                _major(order.tax, order.currency),
                _major(order.total, order.currency),
                order.currency,
                order.coupon_code or "",
                address.get("country", ""),
                order.shipping_method_name,
                order.carrier or "",
                order.tracking_number or "",
            ]
        )
        if buffer.tell() > 32_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
