"""Back-in-stock alerts: ask, list, cancel, and claim them when the product returns.

A shopper (one click) or a visitor (an address) asks once per product; asking again
finds the pending alert and says so. When a product's stock comes back from none
(``product.back_in_stock``), a job claims the product's pending alerts a batch at a
time with a conditional UPDATE, so two workers never send the same alert twice, and
e-mails each address once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import contains_eager

from qkart.accounts.models import User
from qkart.accounts.services import check_email
from qkart.catalog.models import Product
from qkart.core.db import rows_changed, utcnow
from qkart.extensions import db
from qkart.stock_alerts.errors import AlertEmailError, AlertNotFoundError, NotSoldOutError
from qkart.stock_alerts.models import StockAlert

CANCEL_SALT = "qkart.stock-alert-cancel"
# Alerts e-mailed per job run; a product with more waiting queues the next batch.
BATCH = 100


@dataclass(frozen=True)
class Subscription:
    alert: StockAlert
    created: bool  # False: the same product and address were already waiting


def _check_sold_out(product: Product) -> None:
    if product.is_retired or not product.is_active:
        raise NotSoldOutError(f"{product.name} is no longer sold, so it will not come back.")
    if product.stock > 0:
        raise NotSoldOutError(f"{product.name} is in stock: you can order it now.")


def subscribe(product: Product, *, user: User | None = None, email: str = "") -> Subscription:
    """Ask to hear when ``product`` is back: as the signed-in ``user``, or for ``email``.

    Raises ``AlertEmailError`` (a visitor's address is not valid) or ``NotSoldOutError``.
    A concurrent twin request may hit the unique index: the caller retries once.
    """
    _check_sold_out(product)
    if user is not None:
        address = user.email
    else:
        try:
            address = check_email(email or "")
        except ValueError:
            raise AlertEmailError(
                "Enter your e-mail address, like name@example.com.", field="email"
            ) from None
    mine = [StockAlert.email == address]
    if user is not None:
        mine.append(StockAlert.user_id == user.id)
    existing = db.session.scalar(
        select(StockAlert).where(
            StockAlert.product_id == product.id, StockAlert.status == "pending", or_(*mine)
        )
    )
    if existing is not None:
        return Subscription(existing, created=False)
    alert = StockAlert(
        product_id=product.id,
        user_id=user.id if user is not None else None,
        email=address,
        status="pending",
        created_at=utcnow(),
    )
    db.session.add(alert)
    db.session.flush()
    return Subscription(alert, created=True)


def has_pending(user_id: int, product_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    StockAlert.user_id == user_id,
                    StockAlert.product_id == product_id,
                    StockAlert.status == "pending",
                )
            )
        )
    )


def pending_for_user(user_id: int) -> Sequence[StockAlert]:
    """The shopper's waiting alerts with their products, newest first (one query)."""
    return (
        db.session.scalars(
            select(StockAlert)
            .join(StockAlert.product)
            .options(contains_eager(StockAlert.product))
            .where(StockAlert.user_id == user_id, StockAlert.status == "pending")
            .order_by(StockAlert.created_at.desc(), StockAlert.id.desc())
        )
        .unique()
        .all()
    )


def _cancel(*conditions: Any) -> int:
    result = db.session.execute(
        update(StockAlert)
        .where(StockAlert.status == "pending", *conditions)
        .values(status="cancelled", cancelled_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return rows_changed(result) or 0


def cancel_for_user(user_id: int, alert_id: int) -> StockAlert:
    """Cancel one of the shopper's alerts; cancelling a finished one changes nothing.

    Raises ``AlertNotFoundError`` when the alert is not the shopper's.
    """
    alert = db.session.get(StockAlert, alert_id)
    if alert is None or alert.user_id != user_id:
        raise AlertNotFoundError("We could not find that alert.")
    _cancel(StockAlert.id == alert.id)
    db.session.flush()
    return alert


def waiting_count(product_id: int) -> int:
    """How many shoppers wait for the product (staff see it beside the stock)."""
    return (
        db.session.scalar(
            select(func.count()).where(
                StockAlert.product_id == product_id, StockAlert.status == "pending"
            )
        )
        or 0
    )


def has_waiting(product_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(StockAlert.product_id == product_id, StockAlert.status == "pending")
            )
        )
    )


# -- the e-mailed cancel link -------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CANCEL_SALT)


def cancel_token(alert: StockAlert) -> str:
    """The signed "stop these e-mails" link of an alert (it never expires, like any
    unsubscribe link); it names the alert and its address, so it cannot be guessed."""
    return str(_serializer().dumps({"a": alert.id, "e": alert.email}))


def alert_of_token(token: str) -> StockAlert:
    """The alert a cancel link was made for; raises ``AlertNotFoundError``."""
    try:
        claims = _serializer().loads(token)
    except BadSignature:
        raise AlertNotFoundError("This link is not valid.") from None
    if not isinstance(claims, dict) or not isinstance(claims.get("a"), int):
        raise AlertNotFoundError("This link is not valid.")
    alert = db.session.get(StockAlert, claims["a"])
    if alert is None or alert.email != claims.get("e"):
        raise AlertNotFoundError("This link is not valid.")
    return alert


def cancel_by_token(token: str) -> int:
    """Stop every pending alert to the address the link was sent to (no login needed).

    Returns how many were cancelled (0 when they were all sent or cancelled already).
    """
    alert = alert_of_token(token)
    mine = [StockAlert.email == alert.email]
    if alert.user_id is not None:
        mine.append(StockAlert.user_id == alert.user_id)
    cancelled = _cancel(or_(*mine))
    db.session.flush()
    return cancelled


# -- sending ------------------------------------------------------------------------


def sendable(product: Product | None) -> bool:
    """Only a published, unretired product with stock is news worth an e-mail."""
    return (
        product is not None and product.is_active and not product.is_retired and product.stock > 0
    )


def claim_batch(product_id: int, limit: int | None = None) -> tuple[list[StockAlert], bool]:
    """Mark up to ``limit`` (``BATCH``) pending alerts of the product as sent, and return them with
    whether more may be waiting. The caller e-mails them in the same transaction.

    The conditional UPDATE (``status = 'pending'``) is the guarantee: of two workers
    claiming at once, the second waits for the first's row locks and then finds the
    rows no longer pending, so each alert is sent once. On PostgreSQL the candidates
    are read with SKIP LOCKED, so a second worker takes the next batch instead of
    waiting for this one.
    """
    limit = limit or BATCH
    candidates = list(
        db.session.scalars(
            select(StockAlert.id)
            .where(StockAlert.product_id == product_id, StockAlert.status == "pending")
            .order_by(StockAlert.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not candidates:
        return [], False
    claimed = list(
        db.session.scalars(
            update(StockAlert)
            .where(StockAlert.id.in_(candidates), StockAlert.status == "pending")
            .values(status="sent", sent_at=utcnow())
            .returning(StockAlert.id)
            .execution_options(synchronize_session=False)
        )
    )
    alerts = list(
        db.session.scalars(
            select(StockAlert)
            .where(StockAlert.id.in_(claimed))
            .order_by(StockAlert.id)
            .execution_options(populate_existing=True)
        )
    )
    return alerts, len(candidates) == limit


def recipient(alert: StockAlert) -> str | None:
    """Where the alert goes: the account's address now, or the visitor's; None for a
    closed account."""
    if alert.user_id is None:
        return alert.email
    user = db.session.get(User, alert.user_id)
    if user is None or not user.is_active:
        return None
    return user.email


# -- privacy ------------------------------------------------------------------------


def export_for(user_id: int, email: str) -> dict[str, list[dict[str, Any]]]:
    """The shopper's alerts (the account's and any made with its address), for
    "Download my data"."""
    rows = db.session.execute(
        select(StockAlert, Product.name, Product.sku)
        .join(Product, Product.id == StockAlert.product_id)
        .where(or_(StockAlert.user_id == user_id, StockAlert.email == email))
        .order_by(StockAlert.created_at, StockAlert.id)
    ).all()
    return {
        "stock_alerts": [
            {
                "product": name,
                "sku": sku,
                "email": alert.email,
                "status": alert.status,
                "asked_at": alert.created_at.isoformat(),
                "sent_at": alert.sent_at.isoformat() if alert.sent_at else None,
            }
            for alert, name, sku in rows
        ]
    }


def forget_user(user_id: int, email: str) -> None:
    """Delete the shopper's alerts, sent or not ("Delete my account")."""
    db.session.execute(
        delete(StockAlert).where(or_(StockAlert.user_id == user_id, StockAlert.email == email))
    )
