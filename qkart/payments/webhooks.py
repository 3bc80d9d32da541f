"""Stripe webhooks: verified, recorded once, processed by a job.

``receive`` checks the signature on the raw body, records the event under its id
(a duplicate delivery finds the row and stops there) and queues its processing,
all in the request's transaction, so Stripe gets its answer fast. ``process``
applies the event to its payment through the same settling code as the
reconciliation job; news that is stale (a late "expired" for a paid payment)
is recorded and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from qkart.core.db import utcnow
from qkart.core.errors import DomainError
from qkart.core.events import emit
from qkart.extensions import db, queue
from qkart.payments import services
from qkart.payments.gateway import _session, gateway
from qkart.payments.methods import settle_session
from qkart.payments.models import Payment, StripeEvent

log = logging.getLogger(__name__)

SESSION_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
    }
)
HANDLED = SESSION_EVENTS | {"payment_intent.payment_failed"}


class WebhookError(DomainError):
    """A request to the webhook endpoint that is not a genuine, well-formed Stripe event."""

    status_code = 400


def receive(payload: bytes, signature: str | None) -> str:
    """Verify and record one delivery; returns "queued", "duplicate" or "ignored"."""
    if not signature:
        raise WebhookError("Missing Stripe-Signature header.")
    try:
        event = gateway().verify_event(payload, signature)
    except ValueError:
        raise WebhookError("The body is not a JSON event.") from None
    except Exception as error:  # stripe.SignatureVerificationError and malformed headers
        log.warning("webhook refused: %s", error)
        raise WebhookError("The signature does not match this body.") from None
    event_id, kind = event.get("id"), event.get("type")
    data = event.get("data")
    if not isinstance(event_id, str) or not isinstance(kind, str) or not isinstance(data, dict):
        raise WebhookError("This is not a Stripe event.")
    if kind not in HANDLED:
        log.info("webhook %s (%s) is not one QKart acts on", event_id, kind)
        return "ignored"
    try:
        with db.session.begin_nested():
            db.session.add(StripeEvent(id=event_id[:255], type=kind, payload=event))
    except IntegrityError:
        log.info("webhook %s delivered again; already recorded", event_id)
        return "duplicate"
    queue.after_commit(db.session(), "payments.process_stripe_event", event_id)
    return "queued"


def _payment_for(obj: dict[str, Any]) -> Payment | None:
    metadata = obj.get("metadata") or {}
    raw = str(metadata.get("payment_id", ""))
    payment = services.find_payment(int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if payment is None and obj.get("object") == "checkout.session" and obj.get("id"):
        payment = services.find_by_reference("stripe", str(obj["id"]))
    return payment


def _apply(kind: str, obj: dict[str, Any]) -> str:
    payment = _payment_for(obj)
    if payment is None:
        return "no such payment"
    if kind == "payment_intent.payment_failed":
        error = obj.get("last_payment_error") or {}
        if payment.is_open and error.get("type") == "card_error":
            # Stripe writes card errors for the cardholder ("Your card was declined.").
            payment.shopper_message = str(error.get("message") or "Your card was declined.")[:200]
            emit(
                "payment.failed",
                payment_id=payment.id,
                order_id=payment.order_id,
                reason="declined",
            )
            return "declined"
        return "unchanged"
    if kind == "checkout.session.async_payment_failed":
        if payment.is_open:
            services.cancel_open_payment(payment, actor="webhook", note="The payment failed")
            emit("payment.failed", payment_id=payment.id, order_id=payment.order_id, reason="async")
            return "failed"
        return "unchanged"
    return settle_session(payment, _session(obj), actor="webhook")


def process(event_id: str) -> str:
    """Apply a recorded event once; a second run finds it processed and stops."""
    event = db.session.get(StripeEvent, event_id)
    if event is None or event.processed_at is not None:
        return "already processed"
    obj = (event.payload.get("data") or {}).get("object") or {}
    outcome = _apply(event.type, obj) if isinstance(obj, dict) else "not an object"
    event.processed_at = utcnow()
    event.outcome = outcome[:200]
    db.session.flush()
    log.info("webhook %s (%s): %s", event_id, event.type, outcome)
    return outcome
