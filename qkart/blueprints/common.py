"""Small helpers shared by the views of several blueprints."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import g, request, session
from flask_login import current_user, logout_user
from sqlalchemy.exc import IntegrityError

from qkart.cart.services import CartOwner, CartSummary, load_summary, new_token
from qkart.checkout import steps
from qkart.checkout.state import CheckoutState
from qkart.checkout.steps import Shopper
from qkart.core.money import Money
from qkart.extensions import db
from qkart.payments import wallet

P = ParamSpec("P")
R = TypeVar("R")

CART_TOKEN_KEY = "cart_token"


def cart_owner(*, create: bool = False) -> CartOwner:
    """The cart of whoever is asking: the signed-in shopper, or this browser session.

    A visitor only gets a token (and a cookie) once they add something, so merely
    browsing never creates a session.
    """
    if current_user.is_authenticated:
        return CartOwner(user_id=current_user.id)
    token = session.get(CART_TOKEN_KEY)
    if not token and create:
        token = session[CART_TOKEN_KEY] = new_token()
    return CartOwner(token=token)


def current_cart() -> CartSummary:
    """The asker's cart with totals; the header badge reuses its count (no extra query)."""
    summary = load_summary(cart_owner())
    g.cart_count = summary.count
    return summary


def checkout_shopper() -> Shopper:
    """Who is checking out: the signed-in account, or this browser's guest cart."""
    if current_user.is_authenticated:
        return Shopper(
            CartOwner(user_id=current_user.id), user_id=current_user.id, email=current_user.email
        )
    return Shopper(cart_owner())


def checkout_state(summary: CartSummary, shopper: Shopper | None = None) -> CheckoutState:
    """The checkout as it stands for whoever asks; the wallet it read is the header's too
    (one read of the balance per page)."""
    state = steps.load_state(shopper or checkout_shopper(), summary=summary)
    if state.user_id is not None and state.wallet is not None:
        g.wallet_balance = state.wallet
    return state


def wallet_balance() -> Money:
    """The signed-in shopper's wallet, read at most once per request (the header shows it)."""
    if "wallet_balance" not in g:
        user_id = current_user.id if current_user.is_authenticated else None
        g.wallet_balance = wallet.balance(user_id)
    return g.wallet_balance


def end_session() -> None:
    """Log out: forget everything in the session, then let Flask-Login drop the
    remember-me cookie (clearing the session afterwards would cancel that)."""
    session.clear()
    logout_user()


def page_number(raw: str | None) -> int:
    """A page link is not typed by people: anything odd simply means page 1."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 6:
        return max(int(raw), 1)
    return 1


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it stays inside the shop (a path on this host), else ``default``."""
    if not target:
        return default
    target = target.strip().replace("\\", "/")
    try:
        parts = urlsplit(target)
    except ValueError:  # "http://[::1" and other broken addresses
        return default
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    return target


def referrer_path() -> str | None:
    """The page that sent this request, as a local path, when it was one of ours."""
    referrer = request.referrer
    if not referrer:
        return None
    try:
        parts = urlsplit(referrer)
    except ValueError:  # a broken Referer is no page of ours
        return None
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def commit_or_retry(action: Callable[[], R]) -> R:
    """Run ``action`` and commit; if a concurrent twin request (a double click) won a
    unique key first, roll back and run it once more, now seeing the twin's row."""
    try:
        result = action()
        db.session.commit()
        return result
    except IntegrityError:
        db.session.rollback()
    result = action()
    db.session.commit()
    return result
