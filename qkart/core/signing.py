"""Signed values (e-mailed links, cookies) that survive a secret-key rotation.

``SECRET_KEY_FALLBACKS`` holds the keys used before the current one. Flask 3.1
reads it for the session cookie; everything QKart signs itself goes through here,
so e-mailed links, the remember-me cookie and form (CSRF) tokens keep working across
a rotation too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import current_app
from flask_login import LoginManager
from flask_login.utils import decode_cookie, encode_cookie
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer


def signing_keys() -> list[str]:
    """Old keys first, the current key last: itsdangerous signs with the last and
    accepts any, so links and cookies made before a rotation keep working."""
    fallbacks = [key for key in current_app.config.get("SECRET_KEY_FALLBACKS") or [] if key]
    return [*fallbacks, current_app.config["SECRET_KEY"]]


class CurrentSigningKeys:
    """``signing_keys()`` of the app at the moment of use, as an iterable.

    Flask-WTF signs form tokens with ``WTF_CSRF_SECRET_KEY`` and hands it straight to
    itsdangerous, which takes a list of keys; this object stands in that setting so a
    form opened before a rotation is still accepted after it (not "expired").
    """

    def __iter__(self) -> Iterator[str]:
        return iter(signing_keys())

    def __repr__(self) -> str:  # never print a key in a config dump
        return "<SECRET_KEY and SECRET_KEY_FALLBACKS>"


def serializer(salt: str) -> URLSafeTimedSerializer:
    """A timed serializer for one purpose (``salt``), under every valid key."""
    return URLSafeTimedSerializer(signing_keys(), salt=salt)


def untimed_serializer(salt: str) -> URLSafeSerializer:
    """As ``serializer``, for values that never expire by age (order access links)."""
    return URLSafeSerializer(signing_keys(), salt=salt)


class RotatingLoginManager(LoginManager):
    """Flask-Login checks remember-me cookies against ``SECRET_KEY`` only; this one
    also accepts cookies signed with a fallback key, so a rotation logs nobody out."""

    def _load_user_from_remember_cookie(self, cookie: Any) -> Any:
        for key in reversed(signing_keys()):  # the current key first
            user_id = decode_cookie(cookie, key=key)
            if user_id is not None:
                return super()._load_user_from_remember_cookie(encode_cookie(user_id))
        return None
