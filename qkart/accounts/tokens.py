"""Signed, expiring tokens for e-mailed links, one purpose (salt) each.

A token made for one purpose never validates for another. A password-reset
token also carries a fingerprint of the current password hash, so it dies the
moment the password changes (it works once). A verification token carries the
address it verifies, so a link for an old address cannot confirm a new one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from qkart.accounts.models import User
from qkart.core.errors import DomainError
from qkart.core.signing import serializer
from qkart.extensions import db

VERIFY_EMAIL = "qkart.verify-email"
CHANGE_EMAIL = "qkart.change-email"
RESET_PASSWORD = "qkart.reset-password"

LIFETIMES = {
    VERIFY_EMAIL: timedelta(hours=24),
    CHANGE_EMAIL: timedelta(hours=24),
    RESET_PASSWORD: timedelta(hours=1),
}


class InvalidTokenError(DomainError):
    """The link is unknown, tampered with, used, or for something else."""

    status_code = 400


class ExpiredTokenError(InvalidTokenError):
    """The link was genuine but is too old."""


@dataclass(frozen=True)
class TokenClaims:
    user: User
    email: str


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return serializer(purpose)


def password_fingerprint(user: User) -> str:
    """Changes whenever the password does; never reveals the hash itself."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_token(purpose: str, user: User, email: str | None = None) -> str:
    payload: dict[str, Any] = {"uid": user.id, "email": email or user.email}
    if purpose == RESET_PASSWORD:
        payload["pw"] = password_fingerprint(user)
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str) -> TokenClaims:
    """The user and address a token vouches for, or ``InvalidTokenError``."""
    try:
        payload = _serializer(purpose).loads(token, max_age=int(LIFETIMES[purpose].total_seconds()))
    except SignatureExpired:
        raise ExpiredTokenError("This link has expired.") from None
    except BadSignature:
        raise InvalidTokenError(
            "This link is not valid. It may have been copied incompletely."
        ) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("uid"), int):
        raise InvalidTokenError("This link is not valid.")
    user = db.session.get(User, payload["uid"])
    if user is None or not user.is_active:
        raise InvalidTokenError("This link is no longer valid.")
    if purpose == RESET_PASSWORD and payload.get("pw") != password_fingerprint(user):
        raise InvalidTokenError(
            "This link has already been used. Ask for a new one if you need it."
        )
    return TokenClaims(user=user, email=str(payload.get("email", "")))
