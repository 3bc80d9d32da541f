"""Payment methods behind one interface: start, confirm, cancel, refund.

Checkout asks a method to ``start`` a payment and follows the ``NextStep`` it
returns (done, go to a hosted page, or wait for the courier). Webhooks and the
reconciliation job ``confirm`` what the provider reports. Cancelling an order
``cancel``s each payment, and money goes back through ``refund``. Adding a
method means one class here and one line in ``METHODS``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from qkart.core.events import emit
from qkart.core.money import Money
from qkart.payments import services, wallet
from qkart.payments.errors import CardGatewayError, PaymentTransitionError
from qkart.payments.gateway import CheckoutSession, card_payments_enabled, gateway
from qkart.payments.models import METHOD_LABELS, Payment, Refund

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StartRequest:
    """What a method may need to take the money; built by checkout or the wallet page."""

    description: str
    reference: str  # the order number, or "top-up 12"
    email: str | None
    success_url: str
    cancel_url: str
    expires_at: datetime


@dataclass(frozen=True)
class NextStep:
    """What happens after ``start``: paid now, a hosted page to visit, or nothing yet."""

    paid: bool = False
    redirect_url: str | None = None


class PaymentMethod:
    code: ClassVar[str]
    provider: ClassVar[str] = "qkart"

    @property
    def label(self) -> str:
        return METHOD_LABELS[self.code]

    def start(self, payment: Payment, request: StartRequest) -> NextStep:
        raise NotImplementedError

    def confirm(self, payment: Payment, *, actor: str, note: str = "") -> None:
        """The money is in (cash collected by the courier, say)."""
        services.succeed_payment(payment, actor=actor, note=note)

    def cancel(self, payment: Payment, *, actor: str, actor_id: int | None, note: str) -> None:
        """Stop an open payment, or give back one that succeeded."""
        if payment.is_open:
            services.cancel_open_payment(payment, actor=actor, actor_id=actor_id, note=note)
        elif payment.status in ("succeeded", "partly_refunded"):
            refund(payment, payment.refundable, reason=note, actor=actor, actor_id=actor_id)

    def send_back(self, payment: Payment, refund: Refund) -> None:
        """Move ``refund.amount`` back to where the payment came from."""
        raise NotImplementedError


class WalletMethod(PaymentMethod):
    code = "wallet"

    def start(self, payment: Payment, request: StartRequest) -> NextStep:
        if payment.user_id is None:
            raise ValueError("a wallet payment needs a shopper")
        wallet.debit_wallet(
            payment.user_id,
            payment.amount_money,
            kind="order",
            description=f"Order {request.reference}",
            order_id=payment.order_id,
            order_number=request.reference,
        )
        services.succeed_payment(payment, actor="shopper", note="Paid from wallet")
        return NextStep(paid=True)

    def send_back(self, payment: Payment, refund: Refund) -> None:
        _credit_wallet(payment, refund)


def _credit_wallet(payment: Payment, refund: Refund) -> None:
    if payment.user_id is None:
        raise ValueError("only a shopper with an account has a wallet")
    wallet.credit_wallet(
        payment.user_id,
        Money(refund.amount, payment.currency),
        kind="refund",
        description=refund.reason or "Refund",
        order_id=payment.order_id,
    )
    refund.status = "succeeded"


class CashOnDeliveryMethod(PaymentMethod):
    """Paid to the courier: pending until staff confirm the cash was collected."""

    code = "cod"

    def start(self, payment: Payment, request: StartRequest) -> NextStep:
        return NextStep()

    def send_back(self, payment: Payment, refund: Refund) -> None:
        # Cash goes back by hand; staff record that it did.
        refund.status = "succeeded"


class CardMethod(PaymentMethod):
    """Stripe Checkout: the shopper pays on Stripe's page; a webhook says how it went."""

    code = "card"
    provider = "stripe"

    def start(self, payment: Payment, request: StartRequest) -> NextStep:
        metadata = {"payment_id": str(payment.id), "reference": request.reference}
        try:
            session = gateway().create_checkout_session(
                amount=payment.amount_money,
                description=request.description,
                metadata=metadata,
                success_url=request.success_url,
                cancel_url=request.cancel_url,
                email=request.email,
                expires_at=request.expires_at,
                idempotency_key=services.idempotency_key(payment, "checkout"),
            )
        except CardGatewayError as error:
            services.transition_payment(payment, "failed", actor="system", note=str(error)[:200])
            emit(
                "payment.failed", payment_id=payment.id, order_id=payment.order_id, reason="gateway"
            )
            raise
        services.transition_payment(
            payment,
            "requires_action",
            actor="system",
            note="Sent to Stripe Checkout",
            reference=session.id,
            checkout_url=session.url,
            expires_at=request.expires_at,
        )
        return NextStep(redirect_url=session.url)

    def cancel(self, payment: Payment, *, actor: str, actor_id: int | None, note: str) -> None:
        if payment.is_open and payment.reference:
            # Close Stripe's page first: once it is closed nobody can pay on it.
            session = gateway().expire_session(payment.reference)
            if settle_session(payment, session, actor=actor) == "succeeded":
                super().cancel(payment, actor=actor, actor_id=actor_id, note=note)
                return
        super().cancel(payment, actor=actor, actor_id=actor_id, note=note)

    def send_back(self, payment: Payment, refund: Refund) -> None:
        if not payment.provider_payment_id:
            raise CardGatewayError(f"payment {payment.id} has no Stripe PaymentIntent to refund")
        result = gateway().refund(
            payment_intent=payment.provider_payment_id,
            amount=Money(refund.amount, payment.currency),
            idempotency_key=services.idempotency_key(payment, f"refund-{refund.id}"),
            metadata={"payment_id": str(payment.id), "refund_id": str(refund.id)},
        )
        refund.reference = result.id
        refund.status = "failed" if result.status in ("failed", "canceled") else "succeeded"


METHODS: dict[str, PaymentMethod] = {
    m.code: m for m in (WalletMethod(), CardMethod(), CashOnDeliveryMethod())
}


def method_for(payment: Payment) -> PaymentMethod:
    return METHODS[payment.method]


def enabled_codes() -> list[str]:
    """Methods this configuration offers at all (card needs Stripe keys)."""
    return [code for code in METHODS if code != "card" or card_payments_enabled()]


def settle_session(payment: Payment, session: CheckoutSession, *, actor: str) -> str:
    """Apply what Stripe says of a Checkout Session to its payment; returns what changed.

    Safe to call again with the same news (duplicate or late webhooks): a payment
    already in the state Stripe reports is left alone.
    """
    try:
        if session.status == "complete" and session.payment_status in ("paid",):
            if payment.status in ("succeeded", "partly_refunded", "refunded"):
                return "already paid"
            services.succeed_payment(
                payment,
                actor=actor,
                note="Paid by card",
                provider_payment_id=session.payment_intent,
            )
            return "succeeded"
        if session.status == "expired" and payment.is_open:
            services.cancel_open_payment(payment, actor=actor, note="The payment page expired")
            return "cancelled"
    except PaymentTransitionError as error:
        log.info("payment %s: %s", payment.id, error)
        return "ignored"
    return "unchanged"


def refund(
    payment: Payment,
    amount: Money,
    *,
    reason: str,
    actor: str,
    actor_id: int | None = None,
    to_wallet: bool = False,
) -> Refund:
    """Give ``amount`` of ``payment`` back (to its method, or to the wallet if asked).

    Raises ``RefundError`` beyond what is left to refund; a gateway failure raises
    ``CardGatewayError`` and the caller's rollback leaves the payment as it was.
    """
    services.reserve_refund(payment, amount)
    destination = "wallet" if to_wallet and payment.user_id is not None else "original"
    record = services.new_refund(
        payment, amount, reason=reason, actor=actor, actor_id=actor_id, destination=destination
    )
    if destination == "wallet":
        _credit_wallet(payment, record)
    else:
        method_for(payment).send_back(payment, record)
    services.settle_refund(payment, actor=actor, actor_id=actor_id, note=reason or "Refund")
    return record
