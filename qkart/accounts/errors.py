"""Errors of the accounts domain."""

from __future__ import annotations

from qkart.core.errors import DomainError, NotFoundError


class EmailTakenError(DomainError):
    field = "email"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "An account with this e-mail already exists. Log in instead?")


class InvalidCredentialsError(DomainError):
    """Wrong e-mail or password; deliberately does not say which."""

    status_code = 422

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(
            message or "That e-mail and password do not match an account. Check and try again.",
            field=field,
        )


class WeakPasswordError(DomainError):
    field = "password"


class AddressNotFoundError(NotFoundError):
    """No such address in this shopper's address book."""

    def __init__(self) -> None:
        super().__init__("We could not find that address in your address book.")
