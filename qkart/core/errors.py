"""The root of QKart's domain errors.

A domain error's message is written for the shopper or the member of staff who
caused it, so views may show it as it is. Errors that must not reach a visitor
(a payment gateway's internals, say) set ``safe = False``; views log those and
show a general apology instead.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the shop refused an action; ``str(error)`` says what to do next."""

    safe: bool = True
    status_code: int = 422
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field

    @property
    def message(self) -> str:
        return str(self)


class NotFoundError(DomainError):
    """The thing asked for does not exist, or does not belong to whoever asks."""

    status_code = 404
