"""Errors of the orders domain."""

from __future__ import annotations

from qkart.core.errors import DomainError, NotFoundError


class OrderNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("We could not find that order in your account.")


class InvalidTransitionError(DomainError):
    """An order cannot move from its status to the one asked for."""

    status_code = 409
