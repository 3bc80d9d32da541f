"""Errors of the reviews domain; their messages are for the shopper who caused them."""

from __future__ import annotations

from qkart.core.errors import ConflictError, DomainError, NotFoundError


class ReviewNotFoundError(NotFoundError):
    """No such review, or it is hidden from shoppers."""


class NotABuyerError(DomainError):
    """Only shoppers who received the product may review it."""

    status_code = 403


class OwnReviewError(DomainError):
    """A shopper cannot find their own review helpful."""


class AlreadyVotedError(ConflictError):
    """The shopper already found this review helpful (a second vote, or a double click)."""
