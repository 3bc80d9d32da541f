"""Accounts: registration, passwords (argon2id), login checks, roles and addresses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select, update

from qkart.accounts.errors import (
    AddressNotFoundError,
    EmailTakenError,
    InvalidCredentialsError,
    WeakPasswordError,
)
from qkart.accounts.models import ROLES, Address, User
from qkart.core.shop import setting_money
from qkart.extensions import db
from qkart.payments.models import WalletEntry
from qkart.payments.services import credit_wallet

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


def check_email(email: str) -> str:
    """A syntactically valid address (no DNS lookups), normalised, or ``ValueError``."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
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


def grant_welcome_credit(user: User) -> WalletEntry | None:
    """Give the welcome store credit (``QKART_WELCOME_CREDIT``) once per account."""
    amount = setting_money("QKART_WELCOME_CREDIT")
    already = db.session.scalar(
        select(WalletEntry.id).where(WalletEntry.user_id == user.id, WalletEntry.kind == "welcome")
    )
    if already is not None or amount.amount <= 0:
        return None
    return credit_wallet(user.id, amount, kind="welcome", description="Welcome to QKart")


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
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def set_role(email: str, role: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise LookupError(email)
    user.role = role
    return user


# -- address book -----------------------------------------------------------------


@lru_cache(maxsize=8)
def countries(locale: str = "en_US") -> tuple[tuple[str, str], ...]:
    """ISO 3166 alpha-2 codes with their names, sorted by name, from Babel's CLDR data."""
    names = Locale.parse(locale).territories
    pairs = [(code, name) for code, name in names.items() if len(code) == 2 and code.isalpha()]
    excluded = {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB", "XK"}
    return tuple(sorted((p for p in pairs if p[0] not in excluded), key=lambda p: p[1]))


def shop_countries() -> tuple[tuple[str, str], ...]:
    return countries(current_app.config["QKART_LOCALE"])


def list_addresses(user_id: int) -> Sequence[Address]:
    stmt = (
        select(Address)
        .where(Address.user_id == user_id)
        .order_by(Address.is_default.desc(), Address.id)
    )
    return db.session.scalars(stmt).all()


def get_address(user_id: int, address_id: int) -> Address:
    """The shopper's own address; another person's id is treated as unknown."""
    address = db.session.get(Address, address_id)
    if address is None or address.user_id != user_id:
        raise AddressNotFoundError()
    return address


def add_address(user_id: int, fields: dict[str, str], *, make_default: bool = False) -> Address:
    """Save an address; the first one becomes the default shipping address."""
    has_any = db.session.scalar(
        select(func.count()).select_from(Address).where(Address.user_id == user_id)
    )
    clean = {k: (fields.get(k) or "").strip() for k in Address.FIELDS}
    clean["country"] = clean["country"].upper()
    address = Address(user_id=user_id, **clean)
    db.session.add(address)
    db.session.flush()
    if make_default or not has_any:
        set_default_address(user_id, address.id)
    return address


def update_address(user_id: int, address_id: int, fields: dict[str, str]) -> Address:
    address = get_address(user_id, address_id)
    for key in Address.FIELDS:
        setattr(address, key, (fields.get(key) or "").strip())
    address.country = address.country.upper()
    return address


def set_default_address(user_id: int, address_id: int) -> Address:
    address = get_address(user_id, address_id)
    db.session.execute(
        update(Address)
        .where(Address.user_id == user_id, Address.id != address_id)
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    address.is_default = True
    return address


def delete_address(user_id: int, address_id: int) -> None:
    """Remove an address; orders keep their own copy, so history is untouched."""
    address = get_address(user_id, address_id)
    was_default = address.is_default
    db.session.delete(address)
    db.session.flush()
    if was_default:
        remaining = list_addresses(user_id)
        if remaining:
            set_default_address(user_id, remaining[0].id)
