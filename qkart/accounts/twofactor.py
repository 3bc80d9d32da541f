"""Two-factor authentication with TOTP (any authenticator app) and recovery codes.

Enrolment keeps the new secret on the account but only switches 2FA on once
the shopper has proved, with one code, that their app has it. Ten single-use
recovery codes are shown once and stored hashed. A code cannot be replayed:
the last accepted time step is remembered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets

import pyotp
import segno

from qkart.accounts.errors import InvalidCredentialsError
from qkart.accounts.models import User
from qkart.accounts.services import verify_password
from qkart.core.db import utcnow
from qkart.core.errors import DomainError
from qkart.settings.services import setting

RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class InvalidCodeError(DomainError):
    field = "code"

    def __init__(
        self, message: str = "That code is not right. Check your app and try again."
    ) -> None:
        super().__init__(message)


class TwoFactorOffError(DomainError):
    """Turning off what is not on: nothing to do, and the shopper should hear that."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__("Two-factor authentication is already off.")


def start_enrolment(user: User) -> str:
    """A fresh secret for the shopper's app; 2FA stays off until a code confirms it."""
    if user.totp_enabled_at is not None:
        raise DomainError("Two-factor authentication is already on.")
    user.totp_secret = pyotp.random_base32()
    user.totp_last_counter = None
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    issuer = setting("QKART_SHOP_NAME")
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code_data_uri(user: User) -> str:
    """The provisioning URI as a QR code, drawn server-side as SVG (no JavaScript)."""
    return segno.make(provisioning_uri(user), error="m").svg_data_uri(scale=5, border=2)


def _accept_totp(user: User, code: str) -> bool:
    totp = pyotp.TOTP(user.totp_secret or "")
    now = utcnow()
    for drift in (-1, 0, 1):  # allow one step of clock skew either way
        counter = totp.timecode(now) + drift
        if counter <= (user.totp_last_counter or -1):
            continue
        if hmac.compare_digest(totp.generate_otp(counter), code):
            user.totp_last_counter = counter
            return True
    return False


def was_used_already(user: User, code: str) -> bool:
    """Whether ``code`` is a current TOTP code that was spent already (it is refused, and
    the shopper should hear "wait for the next code", not "that is wrong")."""
    code = _digits(code)
    if not _is_totp(code) or user.totp_last_counter is None:
        return False
    totp = pyotp.TOTP(user.totp_secret or "")
    now = totp.timecode(utcnow())
    return any(
        counter <= user.totp_last_counter and hmac.compare_digest(totp.generate_otp(counter), code)
        for counter in (now - 1, now, now + 1)
    )


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()


def _new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def confirm_enrolment(user: User, password: str, code: str) -> list[str]:
    """Switch 2FA on after the password and one good code; returns the recovery codes.

    The password is asked so that someone holding only a stolen session cannot lock
    the owner out by turning 2FA on with their own phone.
    """
    if user.totp_secret is None or user.totp_enabled_at is not None:
        raise DomainError("Start the set-up again: open the two-factor page.")
    if not verify_password(user, password):
        raise InvalidCredentialsError("That is not your current password.", field="password")
    code = _digits(code)
    if not _is_totp(code) or not _accept_totp(user, code):
        raise InvalidCodeError()
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes()
    user.recovery_codes = json.dumps([_hash(c) for c in codes])
    return codes


def _digits(code: str) -> str:
    return "".join(code.split())


def _is_totp(code: str) -> bool:
    """Six ASCII digits (str.isdigit would also accept "١٢٣٤٥٦" or "²")."""
    return re.fullmatch(r"[0-9]{6}", code) is not None


def check_second_factor(user: User, code: str) -> bool:
    """True for a fresh TOTP code or an unused recovery code (which is then spent)."""
    code = _digits(code)
    if _is_totp(code):
        return _accept_totp(user, code)
    if not code.isascii():
        return False
    remaining = json.loads(user.recovery_codes or "[]")
    digest = _hash(code)
    for stored in remaining:
        if hmac.compare_digest(stored, digest):
            remaining.remove(stored)
            user.recovery_codes = json.dumps(remaining)
            return True
    return False


def recovery_codes_left(user: User) -> int:
    return len(json.loads(user.recovery_codes or "[]"))


def disable(user: User, password: str, code: str) -> None:
    """Turning 2FA off needs both the password and a current code.

    Raises ``TwoFactorOffError`` when there is nothing to turn off (no secret to
    check a code against).
    """
    if user.totp_secret is None:
        raise TwoFactorOffError()
    if not verify_password(user, password):
        raise InvalidCredentialsError("That is not your current password.", field="password")
    if not check_second_factor(user, code):
        raise InvalidCodeError()
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    user.recovery_codes = None
