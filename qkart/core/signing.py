"""Signed values (e-mailed links, device cookies) that survive a secret-key rotation."""

from __future__ import annotations

from flask import current_app
from itsdangerous import URLSafeTimedSerializer


def signing_keys() -> list[str]:
    """Old keys first, the current key last: itsdangerous signs with the last and
    accepts any, so links and cookies made before a rotation keep working."""
    fallbacks = [key for key in current_app.config.get("SECRET_KEY_FALLBACKS") or [] if key]
    return [*fallbacks, current_app.config["SECRET_KEY"]]


def serializer(salt: str) -> URLSafeTimedSerializer:
    """A timed serializer for one purpose (``salt``), under every valid key."""
    return URLSafeTimedSerializer(signing_keys(), salt=salt)
