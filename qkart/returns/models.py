"""A return request and the order lines (and quantities) it sends back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qkart.core.db import TimestampMixin, UTCDateTime, utcnow
from qkart.extensions import Model
from qkart.orders.models import OrderLine

# The return's life cycle as a table; every change goes through returns.services.
RETURN_TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"requested"}),
    "requested": frozenset({"approved", "rejected"}),
    "approved": frozenset({"received"}),
    "received": frozenset({"refunded"}),
    "rejected": frozenset(),
    "refunded": frozenset(),
}
RETURN_STATUSES = tuple(s for s in RETURN_TRANSITIONS if s is not None)
RETURN_LABELS = {
    "requested": "Waiting for our answer",
    "approved": "Approved: send the items back",
    "rejected": "Not accepted",
    "received": "Received: refund on its way",
    "refunded": "Refunded",
}
OPEN_RETURNS = ("requested", "approved", "received")


class Return(TimestampMixin, Model):
    __tablename__ = "returns"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in RETURN_STATUSES) + ")", name="known_status"
        ),
        CheckConstraint("refund_to IN ('original', 'wallet')", name="known_destination"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="requested", index=True)
    reason: Mapped[str] = mapped_column(String(500))
    refund_to: Mapped[str] = mapped_column(String(10), default="original")
    staff_note: Mapped[str] = mapped_column(String(500), default="")
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="return_", cascade="all, delete-orphan", order_by="ReturnLine.id"
    )

    @property
    def status_label(self) -> str:
        return RETURN_LABELS.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RETURNS


class ReturnLine(Model):
    __tablename__ = "return_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    # Decided when the parcel arrives: resellable units go back into stock.
    resellable: Mapped[bool | None] = mapped_column(Boolean, default=None)

    return_: Mapped[Return] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship(lazy="joined")
