"""The demo shop's promo codes."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from qkart.catalog.models import Category
from qkart.coupons.models import Coupon
from qkart.extensions import db


def load_demo_coupons() -> int:
    """WELCOME10, SAVE5 and BOOKS20 (idempotent)."""
    books = db.session.scalar(select(Category).where(Category.slug == "books"))
    demo = [
        Coupon(
            code="WELCOME10",
            description="10% off your first order",
            kind="percent",
            percent=Decimal("10"),
            first_order_only=True,
        ),
        Coupon(
            code="SAVE5",
            description="5.00 off orders of 50.00 or more",
            kind="fixed",
            amount=500,
            min_order=5_000,
            per_customer_limit=None,
        ),
        Coupon(
            code="BOOKS20",
            description="20% off books",
            kind="percent",
            percent=Decimal("20"),
            categories=[books] if books else [],
        ),
    ]
    added = 0
    for coupon in demo:
        if db.session.scalar(select(Coupon.id).where(Coupon.code == coupon.code)) is None:
            db.session.add(coupon)
            added += 1
    db.session.flush()
    return added
