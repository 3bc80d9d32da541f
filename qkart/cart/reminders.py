"""Abandoned carts: one reminder to a signed-in shopper whose cart sits untouched.

A scheduled chore finds carts of known shoppers left alone for
``QKART_CART_REMINDER_MINUTES`` with something still in stock, records one
``CartReminder`` per time a cart is left (a cart changed since gets a new one
later) and queues the e-mail. Its signed link restores the cart on any device;
an order placed after a reminder counts as a recovery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import exists, select

from qkart.accounts.models import User
from qkart.cart.models import Cart, CartItem, CartReminder
from qkart.cart.services import MAX_LINE_QUANTITY, CartOwner, get_or_create_cart
from qkart.catalog.models import Product
from qkart.core.db import utcnow
from qkart.core.errors import NotFoundError
from qkart.core.signing import serializer
from qkart.extensions import db, queue
from qkart.notifications.models import Unsubscribe

TOPIC = "cart_reminders"
RESTORE_SALT = "qkart.cart-restore"
RESTORE_LIFETIME = timedelta(days=14)
RECOVERY_WINDOW = timedelta(days=7)
BATCH = 200


def email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _serializer() -> URLSafeTimedSerializer:
    return serializer(RESTORE_SALT)


def restore_token(reminder: CartReminder) -> str:
    return str(_serializer().dumps({"r": reminder.id, "c": reminder.cart_id}))


def due_carts() -> Sequence[Cart]:
    """Carts of active, verified shoppers, untouched long enough, not reminded since."""
    cutoff = utcnow() - timedelta(minutes=current_app.config["QKART_CART_REMINDER_MINUTES"])
    in_stock = exists().where(
        CartItem.cart_id == Cart.id,
        Product.id == CartItem.product_id,
        Product.is_active.is_(True),
        Product.stock > 0,
    )
    reminded = exists().where(
        CartReminder.cart_id == Cart.id, CartReminder.cart_updated_at >= Cart.updated_at
    )
    return db.session.scalars(
        select(Cart)
        .join(User, User.id == Cart.user_id)
        .where(
            Cart.updated_at < cutoff,
            in_stock,
            ~reminded,
            User.deleted_at.is_(None),
            User.email_verified_at.is_not(None),
        )
        .order_by(Cart.id)
        .limit(BATCH)
    ).all()


def unsubscribed(email: str) -> bool:
    return db.session.get(Unsubscribe, (email_digest(email), TOPIC)) is not None


def send_reminders() -> int:
    """The chore: one reminder per abandoned cart, queued after this commit."""
    sent = 0
    for cart in due_carts():
        user = db.session.get(User, cart.user_id)
        if user is None or unsubscribed(user.email):
            continue
        reminder = CartReminder(cart_id=cart.id, user_id=user.id, cart_updated_at=cart.updated_at)
        db.session.add(reminder)
        db.session.flush()
        queue.after_commit(db.session(), "mail.send_cart_reminder", reminder.id)
        sent += 1
    db.session.commit()
    return sent


def restore(token: str, owner: CartOwner) -> int:
    """Put the reminded cart's items in ``owner``'s cart (another device, say); returns lines."""
    try:
        claims = _serializer().loads(token, max_age=int(RESTORE_LIFETIME.total_seconds()))
    except SignatureExpired:
        raise NotFoundError(
            "This link has expired. Your cart is still kept in your account."
        ) from None
    except BadSignature:
        raise NotFoundError("This link is not valid.") from None
    reminder = db.session.get(CartReminder, claims.get("r")) if isinstance(claims, dict) else None
    if reminder is None or reminder.cart_id != claims.get("c"):
        raise NotFoundError("This link is no longer valid.")
    reminder.restored_at = reminder.restored_at or utcnow()
    source = db.session.get(Cart, reminder.cart_id)
    if source is None:
        return 0
    if owner.user_id == source.user_id:
        return len(source.items)  # it is this shopper's own cart already
    target = get_or_create_cart(owner)
    have = {line.product_id: line for line in target.items}
    copied = 0
    for line in source.items:
        cap = min(line.product.stock, MAX_LINE_QUANTITY)
        if not line.product.is_active or cap <= 0:
            continue
        if line.product_id in have:
            have[line.product_id].quantity = max(
                have[line.product_id].quantity, min(line.quantity, cap)
            )
        else:
            target.items.append(
                CartItem(product_id=line.product_id, quantity=min(line.quantity, cap))
            )
        copied += 1
    target.updated_at = utcnow()
    db.session.flush()
    return copied


def count_recovery(order_id: int, user_id: int | None) -> None:
    """An order after a reminder (within a week) is a recovered cart."""
    if user_id is None:
        return
    reminder = db.session.scalar(
        select(CartReminder)
        .where(
            CartReminder.user_id == user_id,
            CartReminder.recovered_at.is_(None),
            CartReminder.sent_at > utcnow() - RECOVERY_WINDOW,
        )
        .order_by(CartReminder.sent_at.desc())
        .limit(1)
    )
    if reminder is not None:
        reminder.recovered_at, reminder.order_id = utcnow(), order_id
        db.session.flush()


def unsubscribe_token(email: str) -> str:
    return str(serializer("qkart.unsubscribe").dumps({"e": email_digest(email), "t": TOPIC}))


def unsubscribe(token: str) -> None:
    """Stop cart reminders for the address the link was sent to (no login needed)."""
    try:
        claims = serializer("qkart.unsubscribe").loads(token)
    except BadSignature:
        raise NotFoundError("This unsubscribe link is not valid.") from None
    if not isinstance(claims, dict) or not isinstance(claims.get("e"), str):
        raise NotFoundError("This unsubscribe link is not valid.")
    key = (claims["e"], str(claims.get("t", TOPIC)))
    if db.session.get(Unsubscribe, key) is None:
        db.session.add(Unsubscribe(email_digest=key[0], topic=key[1]))
        db.session.flush()
