"""Errors of the payments domain."""

from __future__ import annotations

from qkart.core.errors import DomainError


class InsufficientFundsError(DomainError):
    """The wallet holds less than the amount to pay."""

    status_code = 422

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message or "You do not have enough balance in your wallet for this purchase."
        )


class UnknownPaymentMethodError(DomainError):
    """A payment method the shop does not offer (or not with this configuration)."""

    field = "payment_method"
