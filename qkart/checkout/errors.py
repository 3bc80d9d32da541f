"""Errors of the checkout."""

from __future__ import annotations

from qkart.core.errors import DomainError


class AddressRequiredError(DomainError):
    field = "address_id"

    def __init__(self) -> None:
        super().__init__("Choose a shipping address, or add one.")


class ProductUnavailableError(DomainError):
    status_code = 409

    def __init__(self, product_name: str) -> None:
        super().__init__(
            f"Sorry, {product_name} is no longer sold. Remove it from your cart to continue."
        )
