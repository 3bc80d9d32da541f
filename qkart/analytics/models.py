"""One table of events; reports aggregate it by kind, session and day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qkart.core.db import UTCDateTime, utcnow
from qkart.extensions import Model

# BIGINT on PostgreSQL (events pile up); SQLite needs INTEGER for its rowid key.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class AnalyticsEvent(Model):
    """Something a shopper did. No foreign keys: history outlives products and orders."""

    __tablename__ = "analytics_events"
    __table_args__ = (
        Index("ix_analytics_events_kind_time", "kind", "occurred_at"),
        Index("ix_analytics_events_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    session: Mapped[str | None] = mapped_column(String(32), default=None)
    device: Mapped[str] = mapped_column(String(8), default="desktop")
    product_id: Mapped[int | None] = mapped_column(Integer, default=None)
    order_id: Mapped[int | None] = mapped_column(Integer, default=None)
    value: Mapped[int | None] = mapped_column(Integer, default=None)  # minor units
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
