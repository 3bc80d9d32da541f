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


class ConflictError(DomainError):
    """Someone else changed the thing first (a race lost); reloading shows what happened."""

    status_code = 409


class GatewayError(DomainError):
    """A service the shop depends on (a payment gateway) failed or refused.

    Its message is for the log, never for the visitor: it may carry the gateway's
    internals (request ids, card details). ``public_message`` says what to show.
    """

    safe = False
    status_code = 502
    public_message = (
        "We could not reach our payment provider. Nothing was charged. "
        "Please try again in a moment."
    )
