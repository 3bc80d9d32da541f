"""Errors of the wishlist, recently viewed and compare features."""

from __future__ import annotations

from qkart.core.errors import DomainError


class CompareLimitError(DomainError):
    """A comparison holds at most ``MAX_COMPARE`` products; the message says so."""


class BadCompareListError(DomainError):
    """A compare link that does not name products (``ids=abc``); nothing to look up."""
