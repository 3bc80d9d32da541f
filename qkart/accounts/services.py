"""Accounts: registration, passwords (argon2id), login checks, roles, e-mail changes."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select, update

from qkart.accounts import tokens
from qkart.accounts.errors import EmailTakenError, InvalidCredentialsError, WeakPasswordError
from qkart.accounts.models import ROLES, User
from qkart.accounts.tokens import read_token
from qkart.core.db import utcnow
from qkart.core.events import emit
from qkart.extensions import db, queue

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()
# Checked against when the e-mail is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = _hasher.hash("qkart-timing-equaliser")


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None. The same rule everywhere."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return "Use at least one letter and one digit."
    if len(password) > 256:
        return "Use at most 256 characters."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed address: the key that makes e-mails unique regardless of case."""
    return email.strip().lower()


class NonAsciiEmailError(ValueError):
    """An address with accents or other scripts: our mail cannot reach it (no SMTPUTF8)."""

    def __init__(self) -> None:
        super().__init__(
            "We can only send e-mail to addresses in plain Latin letters (a-z), digits "
            "and . _ + -. Please use an address without accents or other scripts."
        )


def check_email(email: str) -> str:
    """A syntactically valid address (no DNS lookups), normalised, or ``ValueError``.

    Raises ``NonAsciiEmailError`` for addresses outside ASCII: they need SMTPUTF8,
    which neither our sending nor many mail servers speak, so the mail would be lost.
    """
    if not email.strip().isascii():
        raise NonAsciiEmailError()
    try:
        result = validate_email(email.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None
    return normalise_email(result.normalized)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(name: str, email: str, password: str, *, role: str = "customer") -> User:
    """Create an account; raises ``EmailTakenError`` or ``WeakPasswordError``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    problem = password_problem(password)
    if problem:
        raise WeakPasswordError(problem)
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise EmailTakenError()
    user = User(name=name.strip(), email=email, password_hash=hash_password(password), role=role)
    db.session.add(user)
    db.session.flush()
    return user


def mark_verified(user: User) -> None:
    """The address is proven: other domains react (welcome credit, guest orders claimed)."""
    user.email_verified_at = utcnow()
    db.session.flush()
    emit("account.email_verified", user_id=user.id, email=user.email)


def authenticate(email: str, password: str) -> User:
    """The active user with these credentials, or ``InvalidCredentialsError``.

    The hash is upgraded in place when the argon2 parameters have changed.
    """
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        _verify(_DUMMY_HASH, password)
        raise InvalidCredentialsError()
    if not _verify(user.password_hash, password):
        raise InvalidCredentialsError()
    if user.is_blocked:
        raise InvalidCredentialsError(
            "This account is blocked. Write to us if you think this is a mistake."
        )
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(user: User, password: str) -> bool:
    return _verify(user.password_hash, password)


def set_password(user: User, password: str) -> None:
    """Change the password and end every other session (they carry the old version)."""
    problem = password_problem(password)
    if problem:
        raise WeakPasswordError(problem)
    user.password_hash = hash_password(password)
    bump_session_version(user)


def bump_session_version(user: User) -> None:
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session="fetch")
    )


def load_session_user(session_id: str) -> User | None:
    """The user for Flask-Login's ``"<id>:<version>"`` key, if the version still matches."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.is_blocked:
        return None
    if user.session_version != int(version):
        return None
    return user


# -- e-mail verification, password reset, profile changes ----------------------------
# Each function flushes; the view commits; e-mails leave after the commit.


def send_verification(user: User) -> None:
    """Queue the "confirm your e-mail" message (sent after the commit)."""
    queue.after_commit(db.session(), "mail.send_verification_email", user.id)


def verify_email(token: str) -> tuple[User, bool]:
    """Confirm the address a verification link was sent to; grants the welcome credit.

    Returns the user and whether this click did the verifying (False: already done).
    """
    claims = read_token(tokens.VERIFY_EMAIL, token)
    user = claims.user
    if claims.email != user.email:
        raise tokens.InvalidTokenError(
            "This link was for an earlier e-mail address. Use the newest link we sent."
        )
    if user.is_verified:
        return user, False
    mark_verified(user)
    return user, True


def request_password_reset(email: str) -> None:
    """Queue a reset link for whichever account has this address, if any.

    The lookup happens in the job, so the request does the same work (and takes
    the same time) whether or not the account exists: nothing can be discovered.
    """
    queue.after_commit(db.session(), "mail.send_password_reset", normalise_email(email))


def reset_password(token: str, password: str) -> User:
    """Set a new password from an e-mailed link; the link and every session die with it."""
    user = read_token(tokens.RESET_PASSWORD, token).user
    set_password(user, password)
    if not user.is_verified:
        mark_verified(user)  # the link proved the address works
    queue.after_commit(db.session(), "mail.send_password_changed", user.id)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change a password knowing the current one; other sessions are logged out."""
    if not verify_password(user, current):
        raise InvalidCredentialsError(
            "That is not your current password.", field="current_password"
        )
    set_password(user, new)
    queue.after_commit(db.session(), "mail.send_password_changed", user.id)


def change_name(user: User, name: str) -> None:
    user.name = name.strip()


def request_email_change(user: User, new_email: str, password: str) -> None:
    """Start moving to a new address: it takes effect once the new address is confirmed."""
    if not verify_password(user, password):
        raise InvalidCredentialsError("That is not your current password.", field="password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise EmailTakenError("This is already your e-mail address.")
    if find_user_by_email(new_email) is not None:
        raise EmailTakenError()
    user.pending_email = new_email
    queue.after_commit(db.session(), "mail.send_email_change", user.id)
    queue.after_commit(db.session(), "mail.send_email_change_notice", user.id, new_email)


def confirm_email_change(token: str) -> User:
    claims = read_token(tokens.CHANGE_EMAIL, token)
    user = claims.user
    if not user.pending_email or claims.email != user.pending_email:
        raise tokens.InvalidTokenError(
            "This link has already been used or was replaced by a newer one."
        )
    if find_user_by_email(claims.email) is not None:
        raise EmailTakenError()
    user.email = claims.email
    user.pending_email = None
    db.session.flush()
    if user.email_verified_at is None:
        mark_verified(user)
    return user


def find_customers(text: str, limit: int = 10) -> list[User]:
    """Accounts by e-mail or name (contains), for the staff search and customer list."""
    text = text.strip()
    if not text:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.deleted_at.is_(None),
                or_(
                    User.email.icontains(text, autoescape=True),
                    User.name.icontains(text, autoescape=True),
                ),
            )
            .order_by(User.name)
            .limit(limit)
        ).all()
    )
