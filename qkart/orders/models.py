"""Orders, their lines (copies of what was bought) and their status history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qkart.core.db import TimestampMixin, UTCDateTime, utcnow
from qkart.core.money import Money
from qkart.extensions import Model
from qkart.pricing.services import Breakdown

# The order life cycle as a table: from-status -> statuses it may move to.
# ``None`` is "not yet created". Every change goes through orders.services.transition.
TRANSITIONS: dict[str | None, frozenset[str]] = {
    # Card orders wait for the money; wallet and cash-on-delivery orders are placed.
    None: frozenset({"placed", "awaiting_payment"}),
    "placed": frozenset({"paid", "processing", "cancelled"}),
    "awaiting_payment": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"processing", "shipped", "cancelled"}),
    "processing": frozenset({"shipped", "cancelled"}),
    "shipped": frozenset({"out_for_delivery", "delivered"}),
    "out_for_delivery": frozenset({"delivered"}),
    "delivered": frozenset({"return_requested", "partly_refunded", "refunded"}),
    "return_requested": frozenset({"returned", "delivered"}),
    "returned": frozenset({"partly_refunded", "refunded"}),
    "partly_refunded": frozenset({"return_requested", "partly_refunded", "refunded"}),
    "cancelled": frozenset(),
    "refunded": frozenset(),
}
STATUSES = tuple(s for s in TRANSITIONS if s is not None)
STATUS_LABELS = {
    "placed": "Placed",
    "awaiting_payment": "Awaiting payment",
    "paid": "Paid",
    "processing": "Being packed",
    "shipped": "Shipped",
    "out_for_delivery": "Out for delivery",
    "delivered": "Delivered",
    "cancelled": "Cancelled",
    "return_requested": "Return requested",
    "returned": "Returned",
    "refunded": "Refunded",
    "partly_refunded": "Partly refunded",
}
# Statuses from which the shopper may still cancel (nothing has shipped yet).
CANCELLABLE = ("placed", "awaiting_payment", "paid", "processing")
# Carriers with their tracking page ({} is the tracking number).
CARRIERS: dict[str, tuple[str, str | None]] = {
    "ups": ("UPS", "https://www.ups.com/track?tracknum={}"),
    "usps": ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={}"),
    "fedex": ("FedEx", "https://www.fedex.com/fedextrack/?trknbr={}"),
    "dhl": ("DHL", "https://www.dhl.com/global-en/home/tracking.html?tracking-id={}"),
    "royal-mail": ("Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/{}"),
    "other": ("Other courier", None),
}
# Orders whose money counts as the shop's (sales figures).
SOLD_STATUSES = (
    "paid",
    "processing",
    "shipped",
    "out_for_delivery",
    "delivered",
    "return_requested",
    "returned",
    "partly_refunded",
)
# Orders whose goods reached the shopper: who may review a product or answer questions on it.
RECEIVED_STATUSES = ("delivered", "return_requested", "returned", "partly_refunded")


class Order(TimestampMixin, Model):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_user_created", "user_id", "created_at"),
        # The staff list and dashboard: every order, newest first.
        Index("ix_orders_created", "created_at", "id"),
        Index("ix_orders_due", "status", "payment_due_at"),
        # Staff find orders by part of the e-mail address ("contains"): trigrams.
        Index(
            "ix_orders_contact_email_trgm",
            "contact_email",
            postgresql_using="gin",
            postgresql_ops={"contact_email": "gin_trgm_ops"},
        ),
        # A buyer's earlier guest orders, by the address as the reports compare it.
        Index(
            "ix_orders_guest_email",
            text("lower(trim(contact_email))"),
            "created_at",
            sqlite_where=text("user_id IS NULL"),
            postgresql_where=text("user_id IS NULL"),
        ),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in STATUSES) + ")", name="known_status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    # None for a guest's order (until the guest registers with that e-mail).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    status: Mapped[str] = mapped_column(String(20), default="placed", index=True)
    currency: Mapped[str] = mapped_column(String(3))
    # The price breakdown as the shopper saw it (qkart.pricing computed it once).
    subtotal: Mapped[int] = mapped_column(Integer)
    discount: Mapped[int] = mapped_column(Integer, default=0)
    shipping: Mapped[int] = mapped_column(Integer)
    payment_fee: Mapped[int] = mapped_column(Integer, default=0)
    tax: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)
    tax_inclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    tax_label: Mapped[str] = mapped_column(String(60), default="Tax")
    coupon_code: Mapped[str | None] = mapped_column(String(40), default=None)
    shipping_method: Mapped[str] = mapped_column(String(40), default="standard")
    shipping_method_name: Mapped[str] = mapped_column(String(80), default="Standard delivery")
    delivery_from: Mapped[date | None] = mapped_column(Date, default=None)
    delivery_to: Mapped[date | None] = mapped_column(Date, default=None)
    payment_method: Mapped[str] = mapped_column(String(20))
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    contact_email: Mapped[str] = mapped_column(String(254), index=True)
    # A resubmitted checkout form carries the same key: one order, not two.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    # Card orders not paid by then are cancelled and their stock released.
    payment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Set when staff ship it: who carries it and the number to follow it by.
    carrier: Mapped[str | None] = mapped_column(String(20), default=None)
    tracking_number: Mapped[str | None] = mapped_column(String(40), default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The return window counts from here.
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )

    def _money(self, amount: int) -> Money:
        return Money(amount, self.currency)

    @property
    def subtotal_money(self) -> Money:
        return self._money(self.subtotal)

    @property
    def discount_money(self) -> Money:
        return self._money(self.discount)

    @property
    def shipping_money(self) -> Money:
        return self._money(self.shipping)

    @property
    def payment_fee_money(self) -> Money:
        return self._money(self.payment_fee)

    @property
    def tax_money(self) -> Money:
        return self._money(self.tax)

    @property
    def total_money(self) -> Money:
        return self._money(self.total)

    @property
    def shipping_label(self) -> str:
        return self.shipping_method_name

    @property
    def breakdown(self) -> Breakdown:
        """The price breakdown as placed, for the same totals macro as cart and checkout."""
        return Breakdown(
            subtotal=self.subtotal_money,
            discount=self.discount_money,
            shipping=self.shipping_money,
            payment_fee=self.payment_fee_money,
            tax=self.tax_money,
            total=self.total_money,
            tax_inclusive=self.tax_inclusive,
            tax_label=self.tax_label,
            coupon_code=self.coupon_code,
            shipping_label=self.shipping_method_name,
        )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status.title())

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def awaiting_payment(self) -> bool:
        return self.status == "awaiting_payment"

    @property
    def can_be_cancelled(self) -> bool:
        """Before it leaves the warehouse, the shopper may cancel it."""
        return self.status in CANCELLABLE

    @property
    def carrier_name(self) -> str | None:
        return CARRIERS[self.carrier][0] if self.carrier in CARRIERS else self.carrier

    @property
    def tracking_url(self) -> str | None:
        """The carrier's tracking page for this parcel, when the carrier has one."""
        if not self.carrier or not self.tracking_number or self.carrier not in CARRIERS:
            return None
        template = CARRIERS[self.carrier][1]
        return template.format(quote(self.tracking_number, safe="")) if template else None


class OrderLine(Model):
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
    tax_rate: Mapped[str] = mapped_column(String(12), default="0")

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def unit_price_money(self) -> Money:
        return Money(self.unit_price, self.order.currency)

    @property
    def line_total_money(self) -> Money:
        return Money(self.line_total, self.order.currency)


class OrderEvent(TimestampMixin, Model):
    """One status change: from, to, when, who (shopper, staff, system, webhook) and why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(10), default="system")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    note: Mapped[str] = mapped_column(String(200), default="")

    order: Mapped[Order] = relationship(back_populates="events")

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.to_status, self.to_status.title())
