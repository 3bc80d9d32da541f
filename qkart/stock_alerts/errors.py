"""Errors of back-in-stock alerts; their messages are safe to show the shopper."""

from __future__ import annotations

from qkart.core.errors import DomainError, NotFoundError


class AlertEmailError(DomainError):
    """The address given is not one we can write to."""

    field = "email"


class NotSoldOutError(DomainError):
    """The product is in stock (order it now) or no longer sold (nothing to wait for)."""


class AlertNotFoundError(NotFoundError):
    """No such alert, not the asker's, or a cancel link that is not ours."""
