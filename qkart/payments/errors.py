"""Errors of the payments domain."""

from __future__ import annotations

from qkart.core.errors import ConflictError, DomainError, GatewayError


class InsufficientFundsError(DomainError):
    """The wallet holds less than the amount to pay."""

    status_code = 422
    field = "payment_method"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message or "You do not have enough balance in your wallet for this purchase."
        )


class UnknownPaymentMethodError(DomainError):
    """A payment method the shop does not offer (or not with this configuration)."""

    field = "payment_method"


class PaymentTransitionError(ConflictError):
    """A payment cannot move from its status to the one asked for (or lost a race)."""


class RefundError(DomainError):
    """A refund the shop cannot make (more than was paid, nothing left to refund)."""

    field = "amount"


class CardGatewayError(GatewayError):
    """Stripe failed or refused in a way the shopper cannot fix (logged, not shown)."""
