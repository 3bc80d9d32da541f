"""Login throttling that stops guessing without letting strangers lock the owner out.

Failed attempts count per (account, address) pair, per address, and per account.
The account-wide budget is what a distributed attack would exhaust, so a browser
that has logged in to the account before (it carries a signed "known device"
cookie) is exempt from it: the owner on their own device still gets in, while the
pair budget keeps that device itself from being used to guess.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Response, current_app, request
from itsdangerous import BadSignature

from qkart.accounts.services import normalise_email
from qkart.core.signing import serializer

PAIR_LIMIT = "5 per 15 minutes"
ADDRESS_LIMIT = "20 per 15 minutes"
ACCOUNT_LIMIT = "20 per hour"
DEVICE_COOKIE = "qkart_device"
DEVICE_LIFETIME = timedelta(days=180)
_SALT = "qkart.known-device"


def failed(response: Response) -> bool:
    """Only refused attempts (a 422 answer) count; a success costs nothing."""
    return response.status_code == 422


def _account(email: str) -> str:
    """A short digest of the address, so the cookie does not show it."""
    return hashlib.sha256(normalise_email(email)[:254].encode()).hexdigest()[:24]


def _form_email() -> str:
    value = request.form.get("email", "")
    return value if isinstance(value, str) else ""


def account_key() -> str:
    return "account:" + _account(_form_email())


def pair_key() -> str:
    return f"pair:{_account(_form_email())}:{request.remote_addr or '-'}"


def known_device() -> bool:
    """Whether this browser has logged in to the account it now tries (signed cookie)."""
    raw = request.cookies.get(DEVICE_COOKIE, "")
    if not raw:
        return False
    try:
        accounts = serializer(_SALT).loads(raw, max_age=int(DEVICE_LIFETIME.total_seconds()))
    except BadSignature:
        return False
    return isinstance(accounts, list) and _account(_form_email()) in accounts


def remember_device(response: Response, email: str) -> Response:
    """Mark this browser as one the account's owner uses (kept for 180 days)."""
    try:
        known = serializer(_SALT).loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        known = []
    known = [a for a in known if isinstance(a, str)] if isinstance(known, list) else []
    accounts = [_account(email), *(a for a in known if a != _account(email))][:5]
    response.set_cookie(
        DEVICE_COOKIE,
        serializer(_SALT).dumps(accounts),
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response
