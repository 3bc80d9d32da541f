"""What was sent (so a retried job never sends it twice) and who asked to hear less."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from qkart.core.db import UTCDateTime, utcnow
from qkart.extensions import Model


class SentEmail(Model):
    """One message that went out, by a key naming what it was about ("order:12:shipped")."""

    __tablename__ = "sent_emails"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Unsubscribe(Model):
    """An address that asked for no more messages of a topic (cart reminders)."""

    __tablename__ = "unsubscribes"

    # A hash of the lower-cased address: enough to check, nothing to leak.
    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic: Mapped[str] = mapped_column(String(30), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
