"""Wallet top-ups: store credit bought by card, credited when Stripe confirms the payment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from qkart.core.db import utcnow
from qkart.core.money import Money
from qkart.extensions import db
from qkart.payments import services
from qkart.payments.methods import METHODS, NextStep, StartRequest
from qkart.payments.models import OPEN_STATUSES, Payment
from qkart.settings.services import setting


def create_topup(user_id: int, amount: Money) -> Payment:
    """A pending card payment for ``amount`` of store credit (committed before Stripe)."""
    return services.create_payment(
        method="card", provider="stripe", amount=amount, user_id=user_id, purpose="topup"
    )


def start_topup(payment: Payment, *, email: str, success_url: str, cancel_url: str) -> NextStep:
    minutes = current_app.config["QKART_PAYMENT_WINDOW_MINUTES"]
    request = StartRequest(
        description=f"{setting('QKART_SHOP_NAME')} wallet top-up",
        reference=f"topup-{payment.id}",
        email=email,
        success_url=success_url,
        cancel_url=cancel_url,
        expires_at=utcnow() + timedelta(minutes=minutes),
    )
    return METHODS["card"].start(payment, request)


def open_topups(user_id: int) -> Sequence[Payment]:
    """Top-ups the shopper started and Stripe has not confirmed yet."""
    return db.session.scalars(
        select(Payment)
        .where(
            Payment.user_id == user_id,
            Payment.purpose == "topup",
            Payment.status.in_(OPEN_STATUSES),
        )
        .order_by(Payment.id.desc())
    ).all()


def get_topup(user_id: int, payment_id: int) -> Payment | None:
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.user_id != user_id or payment.purpose != "topup":
        return None
    return payment
