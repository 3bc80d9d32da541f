"""The signed-in shopper's cart page, kept whole while nothing on it has changed.

A cart page reads a dozen things (the lines and their products, the checkout draft, the
address book, the last order's choices, delivery methods, tax rates, the wallet, the
wishlist for the header) and is drawn again on every visit: most of the visits see
exactly what the last one did. What this shopper's rows hold is read in one statement
(``shopper_state``); with the catalogue version (every public table: products, stock,
delivery methods, tax rates, settings, coupons) and what the layout shows, it names the
page, kept like a visitor's shop page (``shop.caching``) with the CSRF token as a hole.

A cart with a coupon is always drawn: whether a coupon still applies depends on the
clock and on other shoppers' orders (its limits), which no part here follows.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Response, request, session
from flask_login import current_user
from sqlalchemy import Integer, Select, String, bindparam, cast, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from qkart.accounts.models import Address
from qkart.blueprints.shop.caching import HEADERS, answer_kept, find_kept, keep_page
from qkart.blueprints.wishlist.context import compare_ids
from qkart.cart.models import Cart, CartItem
from qkart.catalog.models import Product
from qkart.checkout.models import CheckoutDraft
from qkart.core import http_cache
from qkart.core.shop import shop_today
from qkart.extensions import db
from qkart.orders.models import Order
from qkart.payments.models import Wallet
from qkart.settings.services import current as current_settings
from qkart.wishlist.models import WishlistItem


def _text(*columns: Any) -> ColumnElement[str]:
    """Columns joined into one string (NULL as empty), the same on both databases."""
    joined: ColumnElement[str] = literal("")
    for column in columns:
        joined = joined + "|" + func.coalesce(cast(column, String), "")
    return joined


def shopper_state(user_id: int) -> tuple[Any, ...] | None:
    """Everything of this shopper's own that the cart page shows, in one statement;
    None without a cart (an empty cart page is cheap to draw)."""
    row = db.session.execute(_state_statement(), {"user_id": user_id}).first()
    return None if row is None else tuple(row)


@cache
def _state_statement() -> Select[Any]:
    """Built once: composing its columns costs more than running it."""
    user_id = bindparam("user_id", type_=Integer)
    line = _text(CartItem.id, CartItem.product_id, CartItem.quantity)
    lines = (
        select(func.aggregate_strings(line, ","))
        .where(CartItem.cart_id == Cart.id)
        .scalar_subquery()
    )
    addresses = (
        select(
            func.aggregate_strings(
                _text(
                    Address.id,
                    Address.is_default,
                    Address.country,
                    Address.region,
                    Address.postal_code,
                    Address.city,
                    Address.line1,
                    Address.line2,
                    Address.full_name,
                    Address.phone,
                ),
                ",",
            )
        )
        .where(Address.user_id == user_id)
        .scalar_subquery()
    )
    last_order = (
        select(_text(Order.id, Order.shipping_method, Order.payment_method))
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    balance = select(Wallet.balance).where(Wallet.user_id == user_id).scalar_subquery()
    saved = (
        select(func.aggregate_strings(cast(WishlistItem.product_id, String), ","))
        .join(Product, Product.id == WishlistItem.product_id)
        .where(WishlistItem.user_id == user_id, Product.is_active.is_(True))
        .scalar_subquery()
    )
    draft = _text(
        CheckoutDraft.email,
        CheckoutDraft.address_id,
        CheckoutDraft.address,
        CheckoutDraft.shipping_method,
        CheckoutDraft.payment_method,
        CheckoutDraft.use_wallet,
    )
    return (
        select(Cart.id, Cart.coupon_code, draft, lines, addresses, last_order, balance, saved)
        .outerjoin(CheckoutDraft, CheckoutDraft.cart_id == Cart.id)
        .where(Cart.user_id == user_id)
    )


def page_parts() -> tuple[Any, ...] | None:
    """What names this shopper's cart page now, or None when it is not to be kept: not a
    shopper's plain GET, a message to show, no cart, or a coupon on it."""
    if request.method != "GET" or not current_user.is_authenticated or current_user.is_staff:
        return None
    if session.get("_flashes") or request.headers.get("HX-Request"):
        return None
    version = http_cache.catalogue_version()
    state = shopper_state(current_user.id) if version else None
    if state is None or state[1]:
        return None
    user = current_user
    return (
        "cart",
        version,
        tuple(sorted(current_settings().items())),
        shop_today().isoformat(),
        request.url,
        tuple(request.headers.get(name, "") for name in HEADERS),
        (user.id, user.name, user.email, user.role, user.is_verified, user.pending_email),
        tuple(compare_ids()),
        state,
    )


def kept_cart(parts: tuple[Any, ...] | None) -> Response | None:
    """The page kept for these parts, with this visitor's CSRF token, or None."""
    kept = None if parts is None else find_kept(parts)
    if kept is None:
        return None
    response = answer_kept(kept)
    response.headers["Cache-Control"] = "no-store"
    return response


def keep_cart(parts: tuple[Any, ...] | None, response: Response) -> None:
    """Keep the page just drawn, when it was drawn for ``parts`` as a plain 200."""
    if parts is not None and response.status_code == 200:
        keep_page(parts, response)
