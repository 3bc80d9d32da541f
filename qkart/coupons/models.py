"""Coupons, the categories they are limited to, and each use of one."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qkart.catalog.models import Category
from qkart.core.db import TimestampMixin, UTCDateTime
from qkart.extensions import Model, db

coupon_categories = Table(
    "coupon_categories",
    db.metadata,
    Column("coupon_id", ForeignKey("coupons.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Coupon(TimestampMixin, Model):
    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'fixed')", name="known_kind"),
        CheckConstraint(
            "(kind = 'percent' AND percent > 0 AND percent <= 100) "
            "OR (kind = 'fixed' AND amount > 0)",
            name="value_set",
        ),
        CheckConstraint("times_used >= 0", name="uses_not_negative"),
        CheckConstraint(
            "usage_limit IS NULL OR times_used <= usage_limit", name="uses_within_limit"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored upper-case: shoppers type codes in any case.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(10))
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), default=None)
    amount: Mapped[int | None] = mapped_column(Integer, default=None)
    min_order: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    usage_limit: Mapped[int | None] = mapped_column(Integer, default=None)
    per_customer_limit: Mapped[int | None] = mapped_column(Integer, default=1)
    first_order_only: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Counted by a conditional UPDATE when an order is placed: the total limit holds
    # however many shoppers use the code at the same moment.
    times_used: Mapped[int] = mapped_column(Integer, default=0)

    categories: Mapped[list[Category]] = relationship(secondary=coupon_categories)


class CouponRedemption(TimestampMixin, Model):
    """One order that used a coupon, and how much it took off."""

    __tablename__ = "coupon_redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    discount: Mapped[int] = mapped_column(Integer)
