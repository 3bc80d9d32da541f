"""Errors of the cart domain."""

from __future__ import annotations

from qkart.core.errors import DomainError


class InvalidQuantityError(DomainError):
    field = "quantity"


class EmptyCartError(DomainError):
    def __init__(self) -> None:
        super().__init__("Your cart is empty. Add something you like first.")
