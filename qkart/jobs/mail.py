"""E-mail jobs. Each takes ids, loads fresh data, and sends one message.

Links are signed here, when the message is built, so they reflect the account
as it is at sending time (a reset link made before a password change is dead).
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from qkart.accounts import tokens
from qkart.accounts.models import User
from qkart.extensions import db
from qkart.invoices.services import issue_invoice
from qkart.notifications.services import send_email, send_once
from qkart.orders.access import access_token
from qkart.orders.models import SOLD_STATUSES, Order
from qkart.payments.services import refunds_of_order
from qkart.settings.services import setting

log = logging.getLogger(__name__)


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


def _invoice_attachment(order: Order) -> list[tuple[str, bytes, str]]:
    """A paid order's invoice, made now if it is not yet; without it the mail still goes."""
    if order.status not in SOLD_STATUSES:
        return []
    try:
        with db.session.begin_nested():
            invoice = issue_invoice(order.id)
    except Exception:  # WeasyPrint missing its fonts, say: the shopper still hears from us
        log.exception("could not make the invoice of order %s", order.number)
        return []
    return [(invoice.filename, invoice.pdf, "application/pdf")] if invoice else []


def send_order_confirmation(order_id: int) -> None:
    """The order is placed (cash on delivery) or paid: lines, totals, link, invoice."""
    order = db.session.get(Order, order_id)
    if order is None:
        return
    stage = "paid" if order.status in SOLD_STATUSES else "placed"
    send_once(
        f"order:{order.id}:{stage}",
        order.contact_email,
        f"Your {setting('QKART_SHOP_NAME')} order {order.number}",
        "order_confirmation",
        order=order,
        breakdown=order.breakdown,
        link=order_link(order),
        attachments=_invoice_attachment(order),
    )


ORDER_UPDATES = {
    "shipped": "Your order {number} is on its way",
    "delivered": "Your order {number} was delivered",
    "cancelled": "Your order {number} is cancelled",
    "return_approved": "Your return for order {number} is approved",
    "return_rejected": "About your return for order {number}",
    "return_received": "We received your return for order {number}",
    "refunded": "Your refund for order {number}",
}


def send_order_update(order_id: int, kind: str) -> None:
    """One step of the order's life, told once (shipped with tracking, refunded...)."""
    order = db.session.get(Order, order_id)
    if order is None or kind not in ORDER_UPDATES:
        return
    key = f"order:{order.id}:{kind}"
    if kind == "refunded":  # each refund is news of its own
        key += f":{order.updated_at.timestamp():.0f}"
    send_once(
        key,
        order.contact_email,
        ORDER_UPDATES[kind].format(number=order.number),
        "order_update",
        order=order,
        kind=kind,
        link=order_link(order),
        refunds=refunds_of_order(order.id) if kind == "refunded" else [],
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


def send_cart_reminder(reminder_id: int) -> None:
    """The one "you left something in your cart" e-mail, with a restore and unsubscribe link."""
    from qkart.cart.models import Cart, CartReminder
    from qkart.cart.reminders import restore_token, unsubscribe_token, unsubscribed

    reminder = db.session.get(CartReminder, reminder_id)
    user = _user(reminder.user_id) if reminder is not None else None
    cart = db.session.get(Cart, reminder.cart_id) if reminder is not None else None
    if reminder is None or user is None or cart is None or unsubscribed(user.email):
        return
    lines = [line for line in cart.items if line.product.is_active and line.product.stock > 0]
    if not lines:
        return
    leave = _link(f"/emails/unsubscribe/{unsubscribe_token(user.email)}")
    send_once(
        f"cart-reminder:{reminder.id}",
        user.email,
        "You left something in your cart",
        "cart_reminder",
        user=user,
        lines=lines,
        link=_link(f"/cart/restore/{restore_token(reminder)}"),
        unsubscribe=leave,
        headers={
            "List-Unsubscribe": f"<{leave}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def send_staff_invitation(invitation_id: int) -> None:
    from qkart.accounts.models import StaffInvitation
    from qkart.accounts.staff import invitation_token

    invitation = db.session.get(StaffInvitation, invitation_id)
    if invitation is None or invitation.revoked_at or invitation.accepted_at:
        return
    send_once(
        f"staff-invitation:{invitation.id}",
        invitation.email,
        f"You are invited to run {setting('QKART_SHOP_NAME')}",
        "staff_invitation",
        invitation=invitation,
        link=_link(f"/staff/invitation/{invitation_token(invitation)}"),
    )


def send_low_stock_digest(user_id: int, day: str) -> None:
    """The day's list of published products at or below their warning level."""
    from qkart.catalog.digest import products_running_low

    user = _user(user_id)
    products = products_running_low()
    if user is None or not user.can("stock") or not products:
        return
    send_once(
        f"low-stock:{day}:{user.id}",
        user.email,
        f"{len(products)} product{'s' if len(products) != 1 else ''} running low at "
        f"{setting('QKART_SHOP_NAME')}",
        "low_stock_digest",
        user=user,
        products=products,
        default=int(setting("QKART_LOW_STOCK_DEFAULT") or 5),
        link=_link("/admin/inventory"),
    )
