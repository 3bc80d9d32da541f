"""The job outbox: background work recorded in the same transaction as its cause.

A request that queues an e-mail writes an ``OutboxJob`` row beside its own rows,
so the job exists exactly when the data behind it does. Sending it to Redis
happens after the commit and may fail (Redis down): the row stays, and a sweep
sends it later. The runner marks it done, so a job sent twice runs once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qkart.core.db import TimestampMixin, UTCDateTime
from qkart.extensions import Model


class OutboxJob(TimestampMixin, Model):
    __tablename__ = "job_outbox"
    __table_args__ = (Index("ix_job_outbox_open", "done_at", "failed_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "module.function" under qkart.jobs, e.g. "mail.send_order_confirmation".
    name: Mapped[str] = mapped_column(String(100))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # A runner holds the job until then; a crashed runner's claim simply runs out.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
