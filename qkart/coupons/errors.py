"""Errors of the coupons domain: each says why a code was refused."""

from __future__ import annotations

from qkart.core.errors import DomainError


class CouponError(DomainError):
    """A code that cannot be used for this cart or shopper; the message says why."""

    field = "code"
