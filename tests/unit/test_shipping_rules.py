"""Shipping quotes as tables: by value or weight, by country, free thresholds, dates."""

from __future__ import annotations

from datetime import date

import pytest

from qkart.core.money import Money
from qkart.shipping.errors import ShippingUnavailableError
from qkart.shipping.models import ShippingMethod, ShippingRate
from qkart.shipping.services import add_business_days, choose, quote

MONDAY = date(2026, 12, 7)


def method(basis="value", free_over=None, rates=(), **kw):
    return ShippingMethod(
        id=1,
        code=kw.get("code", "standard"),
        name="Standard",
        description="",
        kind=kw.get("kind", "delivery"),
        basis=basis,
        min_days=kw.get("min_days", 3),
        max_days=kw.get("max_days", 5),
        free_over=free_over,
        rates=[ShippingRate(country=c, from_amount=f, price=p) for c, f, p in rates],
    )


def usd(amount):
    return Money(amount, "USD")


@pytest.mark.parametrize(
    ("m", "country", "subtotal", "grams", "price"),
    [
        # Everywhere rate.
        (method(rates=[("", 0, 500)]), "US", 1000, 0, 500),
        # The country's own rates win over "everywhere else".
        (method(rates=[("", 0, 1500), ("US", 0, 500)]), "US", 1000, 0, 500),
        (method(rates=[("", 0, 1500), ("US", 0, 500)]), "FR", 1000, 0, 1500),
        # Steps by value: the highest threshold reached.
        (method(rates=[("", 0, 800), ("", 5000, 400)]), "US", 4999, 0, 800),
        (method(rates=[("", 0, 800), ("", 5000, 400)]), "US", 5000, 0, 400),
        # Steps by weight (grams), whatever the value.
        (method("weight", rates=[("", 0, 1500), ("", 5000, 2500)]), "US", 99_999, 4_999, 1500),
        (method("weight", rates=[("", 0, 1500), ("", 5000, 2500)]), "US", 100, 5_000, 2500),
        # Free from the threshold on.
        (method(free_over=10_000, rates=[("", 0, 500)]), "US", 9_999, 0, 500),
        (method(free_over=10_000, rates=[("", 0, 500)]), "US", 10_000, 0, 0),
    ],
)
def test_prices(m, country, subtotal, grams, price):
    q = quote(m, country=country, subtotal=usd(subtotal), weight_grams=grams, today=MONDAY)
    assert q is not None and q.price == usd(price)


def test_a_method_without_a_rate_for_the_country_is_not_offered():
    m = method(rates=[("US", 0, 0)], kind="pickup")
    assert quote(m, country="DE", subtotal=usd(100), weight_grams=0, today=MONDAY) is None


def test_how_far_from_free_shipping():
    m = method(free_over=10_000, rates=[("", 0, 500)])
    q = quote(m, country="US", subtotal=usd(7_000), weight_grams=0, today=MONDAY)
    assert q.short_of_free == usd(3_000)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 12, 7), 0, date(2026, 12, 7)),  # Monday, same day
        (date(2026, 12, 7), 3, date(2026, 12, 10)),  # Thursday
        (date(2026, 12, 10), 3, date(2026, 12, 15)),  # Thursday + 3 skips the weekend
        (date(2026, 12, 12), 1, date(2026, 12, 15)),  # a Saturday order counts from Monday
    ],
)
def test_business_days(start, days, expected):
    assert add_business_days(start, days) == expected


def test_choosing_a_method_that_is_not_offered_is_refused():
    q = quote(
        method(rates=[("", 0, 500)]), country="US", subtotal=usd(1), weight_grams=0, today=MONDAY
    )
    assert choose([q], None) is q and choose([q], "standard") is q
    with pytest.raises(ShippingUnavailableError):
        choose([q], "teleport")
    with pytest.raises(ShippingUnavailableError, match="do not deliver"):
        choose([], None)
