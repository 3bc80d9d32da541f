"""Reconciliation: ask Stripe about card payments nobody has heard of for a while.

Webhooks can be late, lost, or refused by a misconfigured endpoint. Every tick,
each card payment still open after ``STALE_AFTER`` is looked up at Stripe and
settled as Stripe reports it (paid, or its page expired), exactly as its webhook
would have done.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from qkart.core.db import utcnow
from qkart.core.errors import GatewayError
from qkart.extensions import db
from qkart.payments.gateway import card_payments_enabled, gateway
from qkart.payments.methods import settle_session
from qkart.payments.models import OPEN_STATUSES, Payment

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)
BATCH = 100


def reconcile_card_payments() -> int:
    """Settle open card payments older than ``STALE_AFTER``; returns how many changed."""
    if not card_payments_enabled():
        return 0
    ids = db.session.scalars(
        select(Payment.id)
        .where(
            Payment.provider == "stripe",
            Payment.status.in_(OPEN_STATUSES),
            Payment.reference.is_not(None),
            Payment.created_at < utcnow() - STALE_AFTER,
        )
        .order_by(Payment.id)
        .limit(BATCH)
    ).all()
    changed = 0
    for payment_id in ids:
        payment = db.session.get(Payment, payment_id)
        if payment is None or not payment.is_open or not payment.reference:
            continue
        try:
            outcome = settle_session(
                payment, gateway().retrieve_session(payment.reference), actor="system"
            )
            db.session.commit()
        except GatewayError:
            db.session.rollback()
            log.warning("could not ask Stripe about payment %s; will retry", payment_id)
            continue
        if outcome in ("succeeded", "cancelled"):
            log.info("reconciled payment %s: %s", payment_id, outcome)
            changed += 1
    return changed
