"""One request to be told, by e-mail, when a sold-out product is back in stock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qkart.catalog.models import Product
from qkart.core.db import TimestampMixin, UTCDateTime
from qkart.extensions import Model

ALERT_STATUSES = ("pending", "sent", "cancelled")
PENDING = text("status = 'pending'")


class StockAlert(TimestampMixin, Model):
    """``pending`` until the product is back (then ``sent``, once) or the shopper cancels.

    A signed-in shopper's alert names the account (the message goes to its address at
    sending time); a visitor's names only the address they gave. Sent and cancelled
    alerts stay as history, so only pending ones are unique per product and address.
    """

    __tablename__ = "stock_alerts"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'cancelled')", name="status_known"),
        # One pending alert per product and address: asking twice finds the first one.
        # Also the index of "who waits for this product" (product_id comes first).
        Index(
            "uq_stock_alerts_pending_product_email",
            "product_id",
            "email",
            unique=True,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        ),
        Index("ix_stock_alerts_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    # Lower-cased and checked by email-validator (the account's address for a shopper).
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    product: Mapped[Product] = relationship(lazy="raise_on_sql")

    @property
    def pending(self) -> bool:
        return self.status == "pending"
