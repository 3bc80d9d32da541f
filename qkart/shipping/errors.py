"""Errors of the shipping domain."""

from __future__ import annotations

from qkart.core.errors import DomainError


class ShippingUnavailableError(DomainError):
    """The chosen method does not deliver there (or no longer exists)."""

    field = "shipping_method"
