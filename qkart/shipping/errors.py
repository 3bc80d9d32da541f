"""Errors of the shipping domain."""

from __future__ import annotations

from qkart.core.errors import DomainError


class ShippingUnavailableError(DomainError):
    """The chosen method does not deliver there (or no longer exists), or staff asked
    for a delivery option that cannot be (a duplicate code or rate)."""

    field = "shipping_method"
