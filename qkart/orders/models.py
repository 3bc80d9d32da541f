"""Orders, their lines (copies of what was bought) and their status history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qkart.core.db import TimestampMixin
from qkart.core.money import Money
from qkart.extensions import db

# The order life cycle as a table: from-status -> statuses it may move to.
# ``None`` is "not yet created". Every change goes through orders.services.transition.
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"pending"}),
    "pending": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"processing", "cancelled", "refunded"}),
    "processing": frozenset({"shipped", "cancelled"}),
    "shipped": frozenset({"delivered"}),
    "delivered": frozenset({"refunded"}),
    "cancelled": frozenset(),
    "refunded": frozenset(),
}
STATUSES = tuple(s for s in TRANSITIONS if s is not None)
STATUS_LABELS = {
    "pending": "Awaiting payment",
    "paid": "Paid",
    "processing": "Being packed",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
}


class Order(TimestampMixin, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        # A resubmitted checkout form carries the same key: one order, not two.
        UniqueConstraint("user_id", "idempotency_key", name="uq_orders_user_idempotency"),
        Index("ix_orders_user_created", "user_id", "created_at"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(Integer)
    shipping: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    payment_method: Mapped[str] = mapped_column(String(20))
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    contact_email: Mapped[str] = mapped_column(String(254))
    idempotency_key: Mapped[str] = mapped_column(String(64))

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )

    @property
    def subtotal_money(self) -> Money:
        return Money(self.subtotal, self.currency)

    @property
    def shipping_money(self) -> Money:
        return Money(self.shipping, self.currency)

    @property
    def total_money(self) -> Money:
        return Money(self.total, self.currency)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status.title())

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


class OrderLine(db.Model):
    """A copy of what was bought: later price or name changes never alter it."""

    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    product_name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(40))
    unit_price: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total: Mapped[int] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def unit_price_money(self) -> Money:
        return Money(self.unit_price, self.order.currency)

    @property
    def line_total_money(self) -> Money:
        return Money(self.line_total, self.order.currency)


class OrderEvent(TimestampMixin, db.Model):
    """One status change: from, to, when, and who did it (None for the system)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    note: Mapped[str] = mapped_column(String(200), default="")

    order: Mapped[Order] = relationship(back_populates="events")

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.to_status, self.to_status.title())
