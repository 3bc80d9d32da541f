"""Errors of the returns domain: each says what the shopper or staff can do instead."""

from __future__ import annotations

from qkart.core.errors import DomainError


class ReturnError(DomainError):
    """A return that cannot be made or moved on (window closed, too many units...)."""
