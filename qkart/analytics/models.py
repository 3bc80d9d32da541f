"""One table of events, which reports aggregate by kind, session and day, with its daily
summaries; the runs of reports too heavy for a page, computed by a worker and kept as a
cache. Web vitals are counted apart, in per-day histograms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qkart.core.db import TimestampMixin, UTCDateTime, utcnow
from qkart.extensions import Model

# BIGINT on PostgreSQL (events pile up); SQLite needs INTEGER for its rowid key.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class AnalyticsEvent(Model):
    """Something a shopper did. No foreign keys: history outlives products and orders."""

    __tablename__ = "analytics_events"
    __table_args__ = (
        # Covering on PostgreSQL: the funnel of a month is read from the index alone.
        Index(
            "ix_analytics_events_kind_time",
            "kind",
            "occurred_at",
            postgresql_include=["session", "device", "order_id"],
        ),
        Index("ix_analytics_events_order", "order_id"),
        Index("ix_analytics_events_time", "occurred_at"),  # where the summaries start
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


class ReportRun(TimestampMixin, Model):
    """A report computed by a worker for one range, with its progress and its result.

    ``key`` names the report, the range and the data it was computed from (see
    ``qkart.analytics.cache``), so a run is found again by whoever asks the same
    question of the same data, and an answer to stale data is never found at all.
    """

    __tablename__ = "analytics_report_runs"
    __table_args__ = (Index("ix_analytics_report_runs_expires", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    report: Mapped[str] = mapped_column(String(120))  # "module:function" under qkart.analytics
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    done_steps: Mapped[int] = mapped_column(Integer, default=0)
    total_steps: Mapped[int] = mapped_column(Integer, default=1)
    result: Mapped[Any | None] = mapped_column(JSON, default=None)
    error: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def pending(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def percent(self) -> int:
        return self.done_steps * 100 // max(self.total_steps, 1)


class DailyFunnel(Model):
    """Closed days of the shop's calendar, summarised: distinct sessions per step.

    ``kind`` is a funnel step; for ``order.paid``, the sessions whose placed order is
    paid. Rows belong
    to the time zone they were counted in, so a change of zone never mixes calendars.
    """

    __tablename__ = "analytics_daily"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    device: Mapped[str] = mapped_column(String(8), primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer)


class DailySearch(Model):
    """Closed days' searches: how often each text was searched, and found nothing."""

    __tablename__ = "analytics_daily_searches"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    q: Mapped[str] = mapped_column(String(100), primary_key=True)
    searches: Mapped[int] = mapped_column(Integer)
    empty: Mapped[int] = mapped_column(Integer)


class RollupState(Model):
    """How far the daily summaries of a zone go: every closed day up to ``through``,
    from the events up to ``event_id`` (later events may change a closed day)."""

    __tablename__ = "analytics_rollup_state"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    through: Mapped[date | None] = mapped_column(Date, default=None)
    event_id: Mapped[int] = mapped_column(EventId, default=0)
    # Bumped whenever closed days are (re)summarised (report caches key on it).
    version: Mapped[int] = mapped_column(Integer, default=0)
