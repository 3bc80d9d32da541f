"""One table of events; reports aggregate it by kind, session and day. Web vitals are
counted apart, in per-day histograms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String
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


class WebVitalCount(Model):
    """How many page views of one day, page type and device class had a web-vital value in
    one histogram bucket (see ``qkart.analytics.vitals``).

    A histogram, not a row per beacon: a beacon costs one upsert into a table whose size is
    bounded by days x page types x devices x buckets, and a percentile over any range is a
    grouped SUM followed by a walk up the buckets, the same on SQLite and PostgreSQL (which
    share no percentile function). The key starts with the day, so a range reads one slice.
    Nothing here is about a person: no session, user, address or agent string.
    """

    __tablename__ = "web_vital_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    page: Mapped[str] = mapped_column(String(12), primary_key=True)
    device: Mapped[str] = mapped_column(String(8), primary_key=True)
    metric: Mapped[str] = mapped_column(String(3), primary_key=True)
    # The bucket's upper edge in the metric's stored unit (ms, or CLS in thousandths).
    upper: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
