"""Shipping methods and their rates, by country and by order value or weight."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qkart.extensions import Model


class ShippingMethod(Model):
    """A way to get an order to the shopper: delivery (standard, express) or pickup."""

    __tablename__ = "shipping_methods"
    __table_args__ = (
        CheckConstraint("kind IN ('delivery', 'pickup')", name="known_kind"),
        CheckConstraint("basis IN ('value', 'weight')", name="known_basis"),
        CheckConstraint("min_days >= 0 AND max_days >= min_days", name="days_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(10), default="delivery")
    # Rates step by the order's value (minor units) or its weight (grams).
    basis: Mapped[str] = mapped_column(String(10), default="value")
    # Business days from order to door (or to "ready for pickup").
    min_days: Mapped[int] = mapped_column(Integer, default=3)
    max_days: Mapped[int] = mapped_column(Integer, default=5)
    # Free from this order value on (minor units); None: never free.
    free_over: Mapped[int | None] = mapped_column(Integer, default=None)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    rates: Mapped[list[ShippingRate]] = relationship(
        back_populates="method",
        cascade="all, delete-orphan",
        order_by="(ShippingRate.country, ShippingRate.from_amount)",
    )


class ShippingRate(Model):
    """The price of a method for one country (or "" for everywhere else) from a threshold."""

    __tablename__ = "shipping_rates"
    __table_args__ = (
        UniqueConstraint("method_id", "country", "from_amount", name="uq_shipping_rates_step"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("from_amount >= 0", name="from_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    method_id: Mapped[int] = mapped_column(
        ForeignKey("shipping_methods.id", ondelete="CASCADE"), index=True
    )
    country: Mapped[str] = mapped_column(String(2), default="")
    # The rate applies from this order value (minor units) or weight (grams) upwards.
    from_amount: Mapped[int] = mapped_column(Integer, default=0)
    price: Mapped[int] = mapped_column(Integer)

    method: Mapped[ShippingMethod] = relationship(back_populates="rates")
