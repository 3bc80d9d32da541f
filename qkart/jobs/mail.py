"""E-mail jobs. Each takes ids, loads fresh data, and sends one message.

Links are signed here, when the message is built, so they reflect the account
as it is at sending time (a reset link made before a password change is dead).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from qkart.accounts import tokens
from qkart.accounts.models import User
from qkart.extensions import db
from qkart.notifications.services import send_email
from qkart.orders.access import access_token
from qkart.orders.models import Order


def _link(path: str) -> str:
    return current_app.config["QKART_BASE_URL"].rstrip("/") + path


def _send_link(to: str, user: User, purpose: str, path: str, subject: str, template: str) -> None:
    """One e-mail carrying a signed link for ``purpose`` (made now, as the account is)."""
    email = user.pending_email if purpose == tokens.CHANGE_EMAIL else None
    token = tokens.make_token(purpose, user, email=email)
    send_email(to, subject, template, user=user, link=_link(f"{path}/{token}"))


def _user(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None


def order_link(order: Order) -> str:
    """The order page; a guest's link is signed, so it opens the order on any device."""
    path = f"/orders/{order.number}"
    if order.user_id is None:
        path += f"?access={access_token(order)}"
    return _link(path)


def send_order_confirmation(order_id: int) -> None:
    order = db.session.get(Order, order_id)
    if order is None:
        return
    send_email(
        order.contact_email,
        f"Your {current_app.config['QKART_SHOP_NAME']} order {order.number}",
        "order_confirmation",
        order=order,
        breakdown=order.breakdown,
        link=order_link(order),
    )


def send_verification_email(user_id: int) -> None:
    user = _user(user_id)
    if user is None or user.is_verified:
        return
    _send_link(
        user.email,
        user,
        tokens.VERIFY_EMAIL,
        "/verify-email",
        "Confirm your e-mail address",
        "verify_email",
    )


def send_password_reset(email: str) -> None:
    """Send a reset link if an active account has this address; otherwise do nothing."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.is_active:
        return
    _send_link(
        user.email,
        user,
        tokens.RESET_PASSWORD,
        "/reset-password",
        "Reset your password",
        "reset_password",
    )


def send_password_changed(user_id: int) -> None:
    user = _user(user_id)
    if user is None:
        return
    send_email(
        user.email,
        "Your password was changed",
        "password_changed",
        user=user,
        link=_link("/forgot-password"),
    )


def send_email_change(user_id: int) -> None:
    """Ask the new address to confirm itself; the change waits for that click."""
    user = _user(user_id)
    if user is None or not user.pending_email:
        return
    _send_link(
        user.pending_email,
        user,
        tokens.CHANGE_EMAIL,
        "/account/email/confirm",
        "Confirm your new e-mail address",
        "email_change_confirm",
    )


def send_email_change_notice(user_id: int, new_email: str) -> None:
    """Tell the current address, so a hijacked session cannot move the account quietly."""
    user = _user(user_id)
    if user is None:
        return
    send_email(
        user.email,
        "Your e-mail address is being changed",
        "email_change_notice",
        user=user,
        new_email=new_email,
        link=_link("/forgot-password"),
    )
