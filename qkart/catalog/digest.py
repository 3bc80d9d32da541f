"""The daily low-stock e-mail to the staff who run stock.

A chore of the every-minute tick: from ``QKART_LOW_STOCK_DIGEST_HOUR`` (UTC) on,
the first tick of the day claims the day (a row keyed by the date, so two ticks
at once cannot both claim it) and queues one message per stock-keeping member of
staff; each message is sent once even if its job is retried. A day with nothing
running low sends nothing.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qkart.accounts.models import ROLE_PERMISSIONS, User
from qkart.catalog.management import low_stock
from qkart.catalog.models import Product
from qkart.core.db import utcnow
from qkart.extensions import db, queue
from qkart.notifications.models import SentEmail
from qkart.settings.services import setting


def stock_keepers() -> list[User]:
    roles = [role for role, allowed in ROLE_PERMISSIONS.items() if "stock" in allowed]
    return list(
        db.session.scalars(
            select(User).where(User.role.in_(roles), User.blocked_at.is_(None)).order_by(User.id)
        )
    )


def products_running_low() -> list[Product]:
    return list(low_stock(int(setting("QKART_LOW_STOCK_DEFAULT") or 5)))


def queue_low_stock_digest(now: datetime | None = None) -> int:
    """The chore: the day's digest jobs, once a day; returns how many were queued."""
    now = now or utcnow()
    if now.hour < int(current_app.config.get("QKART_LOW_STOCK_DIGEST_HOUR", 7)):
        return 0
    day = now.date().isoformat()
    try:
        with db.session.begin_nested():
            db.session.add(SentEmail(key=f"low-stock:{day}"))
    except IntegrityError:
        return 0  # today's digest is claimed already
    if not products_running_low():
        db.session.commit()
        return 0
    keepers = stock_keepers()
    for user in keepers:
        queue.after_commit(db.session(), "mail.send_low_stock_digest", user.id, day)
    db.session.commit()
    return len(keepers)
