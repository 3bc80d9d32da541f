"""The demo shop's delivery options: standard (by value), express (by weight), pickup."""

from __future__ import annotations

from sqlalchemy import select

from qkart.extensions import db
from qkart.shipping.models import ShippingMethod, ShippingRate

# (code, name, description, kind, basis, min_days, max_days, free_over, rates)
# with rates as (country, from, price): "" is every other country.
DEMO_METHODS = [
    (
        "standard",
        "Standard delivery",
        "Tracked parcel.",
        "delivery",
        "value",
        3,
        5,
        10_000,
        [("US", 0, 500), ("", 0, 1_500)],
    ),
    (
        "express",
        "Express delivery",
        "Next working day when ordered by 2 pm.",
        "delivery",
        "weight",
        1,
        2,
        None,
        [("US", 0, 1_500), ("US", 5_000, 2_500), ("", 0, 3_500), ("", 5_000, 5_500)],
    ),
    (
        "pickup",
        "Store pickup",
        "Collect it at 12 Market Street, Springfield.",
        "pickup",
        "value",
        0,
        1,
        None,
        [("US", 0, 0)],
    ),
]


def load_demo_methods() -> int:
    """Add the demo methods that are missing (idempotent); the standard one is updated."""
    added = 0
    for position, row in enumerate(DEMO_METHODS, start=1):
        code, name, description, kind, basis, low, high, free_over, rates = row
        method = db.session.scalar(select(ShippingMethod).where(ShippingMethod.code == code))
        if method is None:
            method = ShippingMethod(code=code)
            db.session.add(method)
            added += 1
        elif method.rates and code != "standard":
            continue
        method.name, method.description, method.kind, method.basis = name, description, kind, basis
        method.min_days, method.max_days, method.free_over = low, high, free_over
        method.position, method.is_active = position, True
        method.rates.clear()
        db.session.flush()  # old steps go before the new ones (same unique keys)
        method.rates.extend(ShippingRate(country=c, from_amount=f, price=p) for c, f, p in rates)
        db.session.flush()
    return added
