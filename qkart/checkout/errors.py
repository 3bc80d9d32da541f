"""Errors of the checkout."""

from __future__ import annotations

from qkart.core.errors import ConflictError, DomainError
from qkart.core.filters import money as money_text
from qkart.core.money import Money


class AddressRequiredError(DomainError):
    field = "address_id"

    def __init__(self) -> None:
        super().__init__("Choose a shipping address, or add one.")


class ContactRequiredError(DomainError):
    field = "email"

    def __init__(self) -> None:
        super().__init__("Enter your e-mail address so we can send your receipt.")


class ProductUnavailableError(DomainError):
    status_code = 409

    def __init__(self, product_name: str) -> None:
        super().__init__(
            f"Sorry, {product_name} is no longer sold. Remove it from your cart to continue."
        )


class TotalChangedError(ConflictError):
    """The total the shopper reviewed is not the total now (a price or rate changed)."""

    def __init__(self, total: Money) -> None:
        super().__init__(
            f"Your order total is now {money_text(total)}. Check the summary and place "
            "the order again."
        )
