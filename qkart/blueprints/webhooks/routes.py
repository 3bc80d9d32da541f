"""``POST /webhooks/stripe``: Stripe's events, signature checked on the raw body."""

from __future__ import annotations

from flask import Response, abort, jsonify, request

from qkart.blueprints.webhooks import bp
from qkart.core.web import RAW_BODY_ENDPOINTS
from qkart.extensions import csrf, db, limiter
from qkart.payments.gateway import card_payments_enabled
from qkart.payments.webhooks import WebhookError, receive

# Stripe's events are bigger than forms but never this big.
MAX_EVENT_BYTES = 512 * 1024


@bp.post("/stripe")
@csrf.exempt
@limiter.exempt
def stripe_event() -> tuple[Response, int]:
    if not card_payments_enabled():
        abort(404)
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        abort(413)
    try:
        outcome = receive(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
        db.session.commit()
    except WebhookError as error:
        db.session.rollback()
        return jsonify(error=str(error)), 400
    return jsonify(received=True, outcome=outcome), 200


RAW_BODY_ENDPOINTS.add("webhooks.stripe_event")
