"""Stripe, through the official SDK, behind the few calls QKart makes.

Card data never reaches QKart: shoppers pay on Stripe Checkout's hosted page and
Stripe tells us the outcome by webhook. ``STRIPE_API_BASE`` points the SDK at
another server (the test suite's stand-in, or a local emulator). Every error of
the SDK becomes a ``CardGatewayError`` whose text (with Stripe's request id) is
for the log only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import stripe
from flask import Flask, current_app

from qkart.core.money import Money
from qkart.payments.errors import CardGatewayError

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.stripe.com"
# The SDK would write an id under ~/.config and report timings to Stripe: not ours to send.
stripe.enable_telemetry = False
HOSTED_CHECKOUT_ORIGIN = "https://checkout.stripe.com"


@dataclass(frozen=True)
class CheckoutSession:
    """What QKart needs of a Stripe Checkout Session."""

    id: str
    url: str | None
    status: str  # open, complete, expired
    payment_status: str  # unpaid, paid, no_payment_required
    payment_intent: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str  # pending, succeeded, failed, requires_action, canceled


def card_payments_enabled(app: Flask | None = None) -> bool:
    """Card payments are offered only when Stripe keys are configured."""
    config = (app or current_app).config
    return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET"))


def checkout_origins(app: Flask) -> list[str]:
    """Where a checkout form may send the browser (the CSP ``form-action``)."""
    origins = [HOSTED_CHECKOUT_ORIGIN]
    base = app.config.get("STRIPE_API_BASE") or DEFAULT_API_BASE
    if base.rstrip("/") != DEFAULT_API_BASE:
        parts = urlsplit(base)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def _plain(obj: Any) -> dict[str, Any]:
    """SDK objects are not dicts; webhook payloads are. Both become plain dicts."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _session(obj: Any) -> CheckoutSession:
    obj = _plain(obj)
    intent = obj.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    return CheckoutSession(
        id=obj["id"],
        url=obj.get("url"),
        status=obj.get("status") or "open",
        payment_status=obj.get("payment_status") or "unpaid",
        payment_intent=intent,
        metadata=dict(obj.get("metadata") or {}),
    )


class StripeGateway:
    """The calls QKart makes to Stripe, each one idempotent where it creates something."""

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str | None) -> None:
        self.webhook_secret = webhook_secret
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": (api_base or DEFAULT_API_BASE).rstrip("/")},
            max_network_retries=2,
        )

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except stripe.StripeError as error:
            raise _wrap(what, error) from error

    def create_checkout_session(
        self,
        *,
        amount: Money,
        description: str,
        metadata: dict[str, str],
        success_url: str,
        cancel_url: str,
        email: str | None,
        expires_at: datetime,
        idempotency_key: str,
    ) -> CheckoutSession:
        """A hosted payment page for exactly ``amount`` (the order's total, or its card part)."""
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": amount.currency.lower(),
                        "unit_amount": amount.amount,
                        "product_data": {"name": description},
                    },
                }
            ],
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata, "description": description},
            "client_reference_id": metadata.get("reference", ""),
            "success_url": success_url,
            "cancel_url": cancel_url,
            "expires_at": int(expires_at.timestamp()),
        }
        if email:
            params["customer_email"] = email
        session = self._call(
            "checkout session",
            self.client.v1.checkout.sessions.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )
        return _session(session)

    def retrieve_session(self, session_id: str) -> CheckoutSession:
        return _session(
            self._call("session lookup", self.client.v1.checkout.sessions.retrieve, session_id)
        )

    def expire_session(self, session_id: str) -> CheckoutSession:
        """Close the hosted page; if it can no longer be closed, say how it ended."""
        try:
            return _session(self.client.v1.checkout.sessions.expire(session_id))
        except stripe.InvalidRequestError:
            # Already complete or expired: Stripe refuses, and the session tells why.
            return self.retrieve_session(session_id)
        except stripe.StripeError as error:
            raise _wrap("session expiry", error) from error

    def refund(
        self, *, payment_intent: str, amount: Money, idempotency_key: str, metadata: dict[str, str]
    ) -> RefundResult:
        refund = self._call(
            "refund",
            self.client.v1.refunds.create,
            params={
                "payment_intent": payment_intent,
                "amount": amount.amount,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
        refund = _plain(refund)
        return RefundResult(id=refund["id"], status=refund.get("status") or "pending")

    def verify_event(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event, if ``signature`` proves Stripe sent exactly ``payload`` in the last 5 min.

        Raises ``stripe.SignatureVerificationError`` or ``ValueError`` (not JSON).
        """
        event = stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        return event.to_dict()


def _wrap(what: str, error: stripe.StripeError) -> CardGatewayError:
    """A log-only error carrying Stripe's message and request id."""
    request_id = getattr(error, "request_id", None) or "-"
    log.warning("stripe %s failed: %s (stripe request %s)", what, error, request_id)
    return CardGatewayError(
        f"Stripe {what} failed: {type(error).__name__}: {error.user_message or error} "
        f"(request {request_id})"
    )


def gateway() -> StripeGateway:
    """The app's Stripe gateway (one per app); only call it when card payments are on."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("qkart_stripe")
    if cached is None:
        cached = StripeGateway(
            app.config["STRIPE_SECRET_KEY"],
            app.config["STRIPE_WEBHOOK_SECRET"],
            app.config.get("STRIPE_API_BASE"),
        )
        app.extensions["qkart_stripe"] = cached
    return cached
