"""Errors of the questions domain; their messages are for whoever caused them."""

from __future__ import annotations

from qkart.core.errors import DomainError, NotFoundError


class QuestionNotFoundError(NotFoundError):
    """No such question, or not one this shopper may see."""


class MayNotAnswerError(DomainError):
    """Answers come from staff and from shoppers who received the product."""

    status_code = 403
