"""Payment records: creation, the one status-changing function, success, cancel, refund.

Every status change is a conditional UPDATE (``... WHERE status = <expected>``):
a webhook, a scheduled expiry and a staff click that race cannot all win; the
loser gets ``PaymentTransitionError``. Each change is recorded with its actor.
What a method does with the money (debit the wallet, ask Stripe) lives in
``payments.methods``; this module keeps the books.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from qkart.core.db import move_status, rows_changed, utcnow
from qkart.core.events import emit
from qkart.core.money import Money
from qkart.extensions import db
from qkart.payments.errors import PaymentTransitionError, RefundError
from qkart.payments.models import (
    PAID_STATUSES,
    PAYMENT_STATUS_LABELS,
    PAYMENT_TRANSITIONS,
    Payment,
    PaymentEvent,
    Refund,
)


def can_transition(current: str | None, target: str) -> bool:
    return target in PAYMENT_TRANSITIONS.get(current, frozenset())


def create_payment(
    *,
    method: str,
    amount: Money,
    provider: str = "qkart",
    order_id: int | None = None,
    user_id: int | None = None,
    purpose: str = "order",
    actor: str = "shopper",
    note: str = "",
) -> Payment:
    """A pending payment attempt, recorded with its first event."""
    if amount.amount <= 0:
        raise ValueError("a payment must be for a positive amount")
    payment = Payment(
        method=method,
        provider=provider,
        amount=amount.amount,
        currency=amount.currency,
        order_id=order_id,
        user_id=user_id,
        purpose=purpose,
        status="pending",
        idempotency_key=f"qkart-{secrets.token_hex(12)}",
    )
    db.session.add(payment)
    db.session.flush()
    _record(payment, None, "pending", actor, user_id if actor == "shopper" else None, note)
    return payment


def transition_payment(
    payment: Payment,
    target: str,
    *,
    actor: str,
    actor_id: int | None = None,
    note: str = "",
    **values: object,
) -> PaymentEvent:
    """Move ``payment`` to ``target`` if allowed and if nobody moved it first.

    ``values`` are other columns written in the same UPDATE (a provider reference).
    """
    current = payment.status
    if not can_transition(current, target):
        raise PaymentTransitionError(
            f"A payment that is {PAYMENT_STATUS_LABELS.get(current or '', current)} "
            f"cannot become {PAYMENT_STATUS_LABELS.get(target, target)}."
        )
    if not move_status(Payment, payment.id, current, target, updated_at=utcnow(), **values):
        db.session.refresh(payment)
        raise PaymentTransitionError(
            f"This payment changed while we worked on it (it is now {payment.status_label})."
        )
    db.session.refresh(payment)
    return _record(payment, current, target, actor, actor_id, note)


def _record(
    payment: Payment,
    current: str | None,
    target: str,
    actor: str,
    actor_id: int | None,
    note: str,
) -> PaymentEvent:
    event = PaymentEvent(
        payment_id=payment.id,
        from_status=current,
        to_status=target,
        actor=actor,
        actor_id=actor_id,
        note=note[:200],
    )
    db.session.add(event)
    db.session.flush()
    return event


def succeed_payment(
    payment: Payment, *, actor: str, note: str = "", provider_payment_id: str | None = None
) -> None:
    """Mark the money as received and tell the domains that care (orders, the wallet)."""
    values: dict[str, Any] = {"shopper_message": ""}
    if provider_payment_id:
        values["provider_payment_id"] = provider_payment_id
    transition_payment(payment, "succeeded", actor=actor, note=note, **values)
    if payment.purpose == "topup" and payment.user_id is not None:
        from qkart.payments.wallet import credit_wallet

        credit_wallet(
            payment.user_id,
            payment.amount_money,
            kind="topup",
            description="Top-up by card",
        )
    emit("payment.succeeded", payment_id=payment.id, order_id=payment.order_id)


def cancel_open_payment(
    payment: Payment, *, actor: str, actor_id: int | None = None, note: str = ""
) -> None:
    """An attempt that will never be paid; its order (if any) hears of it."""
    transition_payment(payment, "cancelled", actor=actor, actor_id=actor_id, note=note)
    emit("payment.cancelled", payment_id=payment.id, order_id=payment.order_id)


def payments_of_order(order_id: int) -> Sequence[Payment]:
    return db.session.scalars(
        select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)
    ).all()


def order_is_paid(order_id: int) -> bool:
    """Every live payment of the order succeeded (failed attempts do not count)."""
    payments = [p for p in payments_of_order(order_id) if p.status not in ("failed",)]
    return bool(payments) and all(p.status in PAID_STATUSES for p in payments)


def refunds_of_order(order_id: int) -> Sequence[Refund]:
    return db.session.scalars(
        select(Refund).join(Payment).where(Payment.order_id == order_id).order_by(Refund.id)
    ).all()


def find_payment(payment_id: int) -> Payment | None:
    return db.session.get(Payment, payment_id)


def find_by_reference(provider: str, reference: str) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(Payment.provider == provider, Payment.reference == reference)
    )


def reserve_refund(payment: Payment, amount: Money) -> None:
    """Count ``amount`` as refunded, only if that stays within what was paid (race-safe)."""
    if amount.amount <= 0:
        raise RefundError("Enter an amount to refund.")
    if payment.status not in ("succeeded", "partly_refunded"):
        raise RefundError(f"This payment is {payment.status_label.lower()}: nothing to refund.")
    result = db.session.execute(
        update(Payment)
        .where(
            Payment.id == payment.id,
            Payment.status.in_(("succeeded", "partly_refunded")),
            Payment.refunded_amount + amount.amount <= Payment.amount,
        )
        .values(refunded_amount=Payment.refunded_amount + amount.amount)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        db.session.refresh(payment)
        raise RefundError(
            f"At most {payment.refundable.format()} of this payment can still be refunded."
        )
    db.session.refresh(payment)


def new_refund(
    payment: Payment,
    amount: Money,
    *,
    reason: str,
    actor: str,
    actor_id: int | None,
    destination: str,
) -> Refund:
    refund = Refund(
        payment_id=payment.id,
        amount=amount.amount,
        reason=reason[:200],
        actor=actor,
        actor_id=actor_id,
        destination=destination,
        status="pending",
    )
    db.session.add(refund)
    db.session.flush()
    return refund


def settle_refund(payment: Payment, *, actor: str, actor_id: int | None, note: str) -> None:
    """After money went back: the payment is partly or fully refunded."""
    target = "refunded" if payment.refunded_amount >= payment.amount else "partly_refunded"
    transition_payment(payment, target, actor=actor, actor_id=actor_id, note=note)


def idempotency_key(payment: Payment, kind: str) -> str:
    """The key of one call for this attempt: the same call retried is the same key."""
    return f"{payment.idempotency_key}-{kind}"
