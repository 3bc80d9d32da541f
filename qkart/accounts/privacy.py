"""A shopper's data: a copy to take away, and erasure that keeps the shop's books.

Deleting an account anonymises it rather than removing rows: orders stay for
accounting (totals, lines, country) but lose every personal detail, and the
account can never log in again.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, select

from qkart.accounts.addresses import list_addresses
from qkart.accounts.errors import InvalidCredentialsError
from qkart.accounts.models import Address, User
from qkart.accounts.services import hash_password, verify_password
from qkart.cart.models import Cart
from qkart.core.db import utcnow
from qkart.core.errors import DomainError
from qkart.extensions import db
from qkart.orders.models import Order
from qkart.payments.models import WalletEntry
from qkart.payments.wallet import balance
from qkart.questions import services as questions
from qkart.reviews import services as reviews
from qkart.stock_alerts import services as stock_alerts
from qkart.wishlist import services as wishlist

CONFIRMATION_WORD = "DELETE"
# What an anonymised order keeps of its address: enough for tax and statistics.
KEPT_ADDRESS_FIELDS = ("country",)


def export_data(user: User) -> dict[str, Any]:
    """Everything QKart holds about the shopper, as plain JSON-ready data."""
    orders = db.session.scalars(
        select(Order).where(Order.user_id == user.id).order_by(Order.created_at)
    ).all()
    ledger = db.session.scalars(
        select(WalletEntry).where(WalletEntry.user_id == user.id).order_by(WalletEntry.id)
    ).all()
    return {
        "profile": {
            "name": user.name,
            "email": user.email,
            "email_verified_at": _iso(user.email_verified_at),
            "created_at": _iso(user.created_at),
            "two_factor_enabled": user.has_2fa,
            "wallet_balance": balance(user.id).major.to_eng_string(),
            "currency": balance(user.id).currency,
        },
        "addresses": [a.as_dict() | {"default": a.is_default} for a in list_addresses(user.id)],
        "orders": [_order(o) for o in orders],
        "wallet_ledger": [
            {
                "date": _iso(e.created_at),
                "description": e.description,
                "amount": e.amount_money.major.to_eng_string(),
                "balance_after": e.balance_money.major.to_eng_string(),
                "order_id": e.order_id,
            }
            for e in ledger
        ],
        # The wishlist domain says what it keeps: "wishlist" and "recently_viewed".
        **wishlist.export_data(user.id),
        # "reviews", "helpful_votes", "questions" and "answers", from their own domains.
        **reviews.export_for(user.id),
        **questions.export_for(user.id),
        # "stock_alerts": back-in-stock alerts of the account or its address.
        **stock_alerts.export_for(user.id, user.email),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _order(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "placed_at": _iso(order.created_at),
        "status": order.status,
        "currency": order.currency,
        "subtotal": order.subtotal_money.major.to_eng_string(),
        "shipping": order.shipping_money.major.to_eng_string(),
        "total": order.total_money.major.to_eng_string(),
        "payment_method": order.payment_method,
        "shipping_address": order.shipping_address,
        "lines": [
            {
                "product": line.product_name,
                "sku": line.sku,
                "unit_price": line.unit_price_money.major.to_eng_string(),
                "quantity": line.quantity,
            }
            for line in order.lines
        ],
    }


def delete_account(user: User, password: str, confirmation: str) -> None:
    """Anonymise the account and its orders; raises if the password or word is wrong."""
    if not verify_password(user, password):
        raise InvalidCredentialsError("That is not your current password.", field="password")
    if confirmation.strip() != CONFIRMATION_WORD:
        raise DomainError(f"Type {CONFIRMATION_WORD} to confirm.", field="confirmation")
    db.session.execute(delete(Address).where(Address.user_id == user.id))
    db.session.execute(delete(Cart).where(Cart.user_id == user.id))
    wishlist.forget_user(user.id)
    stock_alerts.forget_user(user.id, user.email)
    # Reviews and answered questions stay for other shoppers, signed "A former customer".
    reviews.forget_author(user.id)
    questions.forget_author(user.id)
    for order in db.session.scalars(select(Order).where(Order.user_id == user.id)):
        order.shipping_address = {k: order.shipping_address.get(k, "") for k in KEPT_ADDRESS_FIELDS}
        order.contact_email = f"deleted-{user.id}@invalid"
    user.name = "Deleted account"
    user.email = f"deleted-{user.id}@invalid"
    user.pending_email = None
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.totp_secret = user.recovery_codes = None
    user.totp_enabled_at = None
    user.deleted_at = utcnow()
    user.session_version += 1
    db.session.flush()
