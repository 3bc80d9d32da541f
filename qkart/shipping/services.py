"""Shipping quotes: which methods reach a country, what each costs, when it arrives.

A method's price for an order is the rate for the destination country (or the
"everywhere else" rate) with the highest threshold the order reaches, by value
or by weight; it is free from the method's ``free_over`` value. Delivery dates
count business days (Monday to Friday) from the day of the order.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from qkart.core.money import Money
from qkart.extensions import db
from qkart.shipping.errors import ShippingUnavailableError
from qkart.shipping.models import ShippingMethod, ShippingRate


@dataclass(frozen=True)
class ShippingQuote:
    """One method as offered for one order: its price and delivery window."""

    method_id: int
    code: str
    name: str
    description: str
    kind: str
    price: Money
    delivery_from: date
    delivery_to: date
    # How far the order is from free shipping with this method (None: not applicable).
    short_of_free: Money | None = None

    @property
    def is_free(self) -> bool:
        return self.price.amount == 0

    @property
    def is_pickup(self) -> bool:
        return self.kind == "pickup"


def add_business_days(start: date, days: int) -> date:
    """``days`` working days after ``start`` (a Saturday order counts from Monday)."""
    current = start
    while current.weekday() >= 5:
        current += timedelta(days=1)
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def _rate_for(rates: Sequence[ShippingRate], country: str, measure: int) -> ShippingRate | None:
    """The country's own rates if it has any, else the "everywhere else" ones."""
    own = [r for r in rates if r.country == country]
    pool = own or [r for r in rates if r.country == ""]
    reached = [r for r in pool if r.from_amount <= measure]
    return max(reached, key=lambda r: r.from_amount) if reached else None


def quote(
    method: ShippingMethod, *, country: str, subtotal: Money, weight_grams: int, today: date
) -> ShippingQuote | None:
    """What ``method`` costs for this order, or None when it does not go to ``country``."""
    measure = subtotal.amount if method.basis == "value" else weight_grams
    rate = _rate_for(method.rates, country, measure)
    if rate is None:
        return None
    price = Money(rate.price, subtotal.currency)
    short: Money | None = None
    if method.free_over is not None and price.amount:
        if subtotal.amount >= method.free_over:
            price = Money(0, subtotal.currency)
        else:
            short = Money(method.free_over - subtotal.amount, subtotal.currency)
    return ShippingQuote(
        method_id=method.id,
        code=method.code,
        name=method.name,
        description=method.description,
        kind=method.kind,
        price=price,
        delivery_from=add_business_days(today, method.min_days),
        delivery_to=add_business_days(today, method.max_days),
        short_of_free=short,
    )


def active_methods() -> Sequence[ShippingMethod]:
    # One query: a handful of methods with a few rates each.
    return (
        db.session.scalars(
            select(ShippingMethod)
            .where(ShippingMethod.is_active.is_(True))
            .options(joinedload(ShippingMethod.rates))
            .order_by(ShippingMethod.position, ShippingMethod.id)
        )
        .unique()
        .all()
    )


def options(
    *, country: str, subtotal: Money, weight_grams: int, today: date
) -> list[ShippingQuote]:
    """Every active method that delivers to ``country``, cheapest offer first by position."""
    quotes = (
        quote(m, country=country, subtotal=subtotal, weight_grams=weight_grams, today=today)
        for m in active_methods()
    )
    return [q for q in quotes if q is not None]


def choose(quotes: Sequence[ShippingQuote], wanted: str | None) -> ShippingQuote:
    """The quote for method code ``wanted``; refuses a method that is not on offer."""
    if not quotes:
        raise ShippingUnavailableError(
            "We do not deliver to this country yet. Choose another address."
        )
    if wanted is None:
        return quotes[0]
    for offered in quotes:
        if offered.code == wanted:
            return offered
    raise ShippingUnavailableError("That delivery option is not available for this address.")


_THRESHOLD_TTL = 60.0


def free_shipping_threshold() -> Money | None:
    """The order value from which some delivery method is free (the shop's headline offer).

    Every page's footer shows it, so it is kept for a minute per process instead of
    costing a query per page; a change by staff shows within that minute.
    """
    from flask import current_app

    from qkart.core.shop import money

    cache = current_app.extensions.setdefault("qkart_free_shipping", {})
    now = time.monotonic()
    if cache.get("until", 0.0) < now:
        value = db.session.scalar(
            select(func.min(ShippingMethod.free_over)).where(
                ShippingMethod.is_active.is_(True),
                ShippingMethod.kind == "delivery",
                ShippingMethod.free_over.is_not(None),
            )
        )
        cache.update(value=value, until=now + _THRESHOLD_TTL)
    value = cache.get("value")
    return money(value) if value is not None else None


@dataclass(frozen=True)
class DeliveryEstimate:
    """When an order placed today would arrive, by the shop's delivery methods."""

    name: str
    delivery_from: date
    delivery_to: date


def delivery_estimates(today: date, limit: int = 2) -> list[DeliveryEstimate]:
    """The first delivery methods (staff's order, usually standard then express) and
    their windows from ``today``, for the product page. Kept a minute per process,
    like the free-shipping threshold, so a product page costs no query for it."""
    from flask import current_app

    cache = current_app.extensions.setdefault("qkart_delivery_days", {})
    now = time.monotonic()
    if cache.get("until", 0.0) < now:
        rows = db.session.execute(
            select(ShippingMethod.name, ShippingMethod.min_days, ShippingMethod.max_days)
            .where(ShippingMethod.is_active.is_(True), ShippingMethod.kind == "delivery")
            .order_by(ShippingMethod.position, ShippingMethod.id)
            .limit(limit)
        ).all()
        cache.update(value=[tuple(r) for r in rows], until=now + _THRESHOLD_TTL)
    return [
        DeliveryEstimate(name, add_business_days(today, low), add_business_days(today, high))
        for name, low, high in cache["value"]
    ]


# -- what staff change (the admin's delivery options page) ------------------------------


def all_methods() -> Sequence[ShippingMethod]:
    return (
        db.session.scalars(
            select(ShippingMethod)
            .options(joinedload(ShippingMethod.rates))
            .order_by(ShippingMethod.position, ShippingMethod.id)
        )
        .unique()
        .all()
    )


def get_method(method_id: int) -> ShippingMethod:
    method = db.session.get(ShippingMethod, method_id)
    if method is None:
        from qkart.core.errors import NotFoundError

        raise NotFoundError("We could not find that delivery option.")
    return method


METHOD_FIELDS = (
    "code",
    "name",
    "description",
    "kind",
    "basis",
    "min_days",
    "max_days",
    "free_over",
    "position",
    "is_active",
)


def save_method(method: ShippingMethod | None, fields: dict[str, object]) -> ShippingMethod:
    """Create or change a delivery option; its code must be unused by another one."""
    code = str(fields["code"])
    clash = db.session.scalar(select(ShippingMethod.id).where(ShippingMethod.code == code))
    if clash is not None and (method is None or clash != method.id):
        raise ShippingUnavailableError("Another delivery option has this code.", field="code")
    if int(fields["max_days"]) < int(fields["min_days"]):  # type: ignore[call-overload]
        raise ShippingUnavailableError(
            "The latest day cannot come before the earliest.", field="max_days"
        )
    if method is None:
        method = ShippingMethod()
        db.session.add(method)
    for name in METHOD_FIELDS:
        setattr(method, name, fields[name])
    db.session.flush()
    _forget_threshold()
    return method


def add_rate(method: ShippingMethod, *, country: str, from_amount: int, price: int) -> None:
    if any(r.country == country and r.from_amount == from_amount for r in method.rates):
        raise ShippingUnavailableError(
            "This option already has a rate for that country from that amount: "
            "delete it first to change it.",
            field="from_amount",
        )
    method.rates.append(ShippingRate(country=country, from_amount=from_amount, price=price))
    db.session.flush()


def delete_rate(method: ShippingMethod, rate_id: int) -> None:
    for rate in list(method.rates):
        if rate.id == rate_id:
            method.rates.remove(rate)
    db.session.flush()


def _forget_threshold() -> None:
    from flask import current_app

    current_app.extensions.pop("qkart_free_shipping", None)
    current_app.extensions.pop("qkart_delivery_days", None)
