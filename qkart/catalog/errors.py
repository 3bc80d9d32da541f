"""Errors of the catalogue domain."""

from __future__ import annotations

from qkart.core.errors import DomainError, NotFoundError


class ProductNotFoundError(NotFoundError):
    """No such product (or it is no longer sold)."""


class CategoryNotFoundError(NotFoundError):
    """No such category."""


class OutOfStockError(DomainError):
    """Fewer units are left than were asked for; the message names the product."""

    status_code = 409

    def __init__(self, product_name: str, available: int, product_id: int | None = None) -> None:
        if available <= 0:
            message = f"Sorry, {product_name} is out of stock."
        else:
            message = f"Sorry, only {available} of {product_name} left in stock."
        super().__init__(message)
        self.product_name = product_name
        self.available = max(available, 0)
        self.product_id = product_id
