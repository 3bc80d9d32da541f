"""Scheduled upkeep: send what the outbox still holds, then each domain's chores.

``tick`` runs every minute (``rq cron`` in the Procfile's ``clock`` process, or
``flask jobs tick`` by hand). Each chore is safe to run twice at once: they
all change rows through conditional updates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, select

from qkart.core.db import utcnow
from qkart.extensions import db
from qkart.jobs import with_app
from qkart.jobs.models import OutboxJob

log = logging.getLogger(__name__)

# Jobs younger than this are still on their way from the request that made them.
GRACE = timedelta(seconds=30)
# A job sent to Redis and not done after this is sent again (Redis may have lost it).
RESEND_AFTER = timedelta(minutes=10)
KEEP_DONE = timedelta(days=7)
SWEEP_BATCH = 500


def sweep_outbox() -> int:
    """Send outbox jobs that never reached Redis (or were lost there); returns how many."""
    now = utcnow()
    ids = db.session.scalars(
        select(OutboxJob.id)
        .where(
            OutboxJob.done_at.is_(None),
            OutboxJob.failed_at.is_(None),
            OutboxJob.created_at < now - GRACE,
            or_(OutboxJob.enqueued_at.is_(None), OutboxJob.enqueued_at < now - RESEND_AFTER),
            or_(OutboxJob.claimed_until.is_(None), OutboxJob.claimed_until < now),
        )
        .order_by(OutboxJob.id)
        .limit(SWEEP_BATCH)
    ).all()
    db.session.execute(delete(OutboxJob).where(OutboxJob.done_at < now - KEEP_DONE))
    db.session.commit()
    if ids:
        log.info("sweep: sending %d job(s) left in the outbox", len(ids))
    return len(current_app.extensions["qkart_queue"].dispatch(ids))


def chores() -> list[Callable[[], object]]:
    """What every tick does, in order. Domains add theirs here."""
    from qkart.analytics.rollups import summarise_closed_days
    from qkart.cart.reminders import send_reminders
    from qkart.catalog.digest import queue_low_stock_digest
    from qkart.orders.lifecycle import expire_overdue_orders
    from qkart.payments.maintenance import reconcile_card_payments
    from qkart.recommendations.services import refresh_recommendations
    from qkart.wishlist.services import prune_recently_viewed

    return [
        sweep_outbox,
        reconcile_card_payments,
        expire_overdue_orders,
        send_reminders,
        queue_low_stock_digest,
        prune_recently_viewed,
        refresh_recommendations,
        summarise_closed_days,
    ]


def run_chores() -> dict[str, str]:
    """Run every chore; one failing chore is logged and does not stop the others."""
    results: dict[str, str] = {}
    for chore in chores():
        try:
            results[chore.__name__] = str(chore())
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            log.exception("chore %s failed", chore.__name__)
            results[chore.__name__] = f"failed: {type(error).__name__}"
    return results


@with_app
def tick() -> dict[str, str]:
    """The scheduled entry point (every minute)."""
    return run_chores()
