"""Payment jobs: the work behind a webhook, done outside Stripe's request."""

from __future__ import annotations

from qkart.payments.webhooks import process


def process_stripe_event(event_id: str) -> str:
    return process(event_id)
