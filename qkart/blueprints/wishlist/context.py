"""What pages need from the wishlist domain: the saved ids (hearts, header badge),
recording a product view, and the product page's extra sections."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, after_this_request, g, has_request_context, session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from qkart.blueprints.wishlist import bp
from qkart.cart.services import CartOwner, new_token
from qkart.catalog.models import Product
from qkart.core.db import utcnow
from qkart.core.htmx import htmx_target
from qkart.extensions import db
from qkart.recommendations import services as recommendations
from qkart.wishlist import services as wishlist

log = logging.getLogger(__name__)

COMPARE_KEY = "compare_ids"
VIEWER_KEY = "viewer_token"
FIRST_VIEW_KEY = "first_view"  # [product id, seconds since the epoch]
# How long a repeat view of the product seen last goes unrecorded (its place is the same).
RECORD_AGAIN_AFTER = timedelta(minutes=10)


def is_shopper() -> bool:
    """A signed-in customer: staff run the shop and get no wishlist controls."""
    return bool(current_user.is_authenticated and not current_user.is_staff)


def saved_ids() -> set[int]:
    """The shopper's saved product ids, read at most once per request (one query)."""
    if "wishlist_ids" not in g:
        g.wishlist_ids = wishlist.saved_product_ids(current_user.id) if is_shopper() else set()
    return g.wishlist_ids


def _saved_ids_or_none() -> set[int]:
    try:
        return saved_ids()
    except SQLAlchemyError:
        db.session.rollback()  # the error page of a failed database must still render
        return set()


def compare_ids() -> list[int]:
    """The products in this session's comparison (ids only, checked when shown)."""
    raw = session.get(COMPARE_KEY)
    if not isinstance(raw, list):
        return []
    return [i for i in raw if isinstance(i, int)]


@bp.app_context_processor
def wishlist_context() -> dict[str, Any]:
    if not has_request_context():  # e-mails rendered by jobs
        return {}
    return {
        "wishlist_saved": _saved_ids_or_none,
        "wishlist_shopper": is_shopper,
        "compare_ids": compare_ids,
    }


def viewer(*, create: bool = False) -> CartOwner:
    """Whoever views pages: the account, or this browser by a token in its session.

    The token is not the cart's: a visitor who only browses keeps an empty cart, so
    the header's cart badge still costs no query.
    """
    if current_user.is_authenticated:
        return CartOwner(user_id=current_user.id)
    token = session.get(VIEWER_KEY)
    if not token and create:
        token = session[VIEWER_KEY] = new_token()
    return CartOwner(token=token if isinstance(token, str) else None)


def _record_view(owner: CartOwner, product_id: int, viewed_at: datetime | None = None) -> None:
    """Note the view in a savepoint; a failure is logged and never breaks the page.

    The commit waits until the page is rendered: committing earlier would expire the
    product the template is about to show.
    """
    try:
        with db.session.begin_nested():
            wishlist.record_view(owner, product_id, viewed_at)
    except SQLAlchemyError:
        log.exception("could not record a view of product %s", product_id)
        return
    after_this_request(_commit_view)


def _first_view() -> tuple[int, datetime] | None:
    """The one product a visitor has looked at so far, noted in their session only."""
    raw = session.get(FIRST_VIEW_KEY)
    if not (isinstance(raw, list) and len(raw) == 2 and all(type(v) is int for v in raw)):
        return None
    try:
        return raw[0], datetime.fromtimestamp(raw[1], UTC)
    except (OverflowError, OSError, ValueError):
        return None


def sees_no_other_product(product_id: int | None = None) -> bool:
    """A visitor who has looked at no product, or only at ``product_id``: their product
    page shows no "recently viewed". (Without ``product_id``: no product but perhaps one.)"""
    if current_user.is_authenticated or session.get(VIEWER_KEY):
        return False
    first = _first_view()
    return first is None or product_id is None or first[0] == product_id


def note_first_view(product_id: int) -> None:
    """A visitor's first product view stays in their session, not in the database: most
    visits see one product and leave, and a write for each of them would be the most
    costly part of their page. It joins the history when a second product is viewed or
    the home page shows the history (``_write_first_view``)."""
    first = _first_view()
    if first and first[0] == product_id and first[1] >= utcnow() - RECORD_AGAIN_AFTER:
        return  # a reload: nothing the shopper sees would change
    session[FIRST_VIEW_KEY] = [product_id, int(utcnow().timestamp())]


def _write_first_view() -> None:
    """Move a visitor's noted first view into the history, before it is read."""
    first = _first_view()
    if first is None or current_user.is_authenticated:
        return
    session.pop(FIRST_VIEW_KEY, None)
    _record_view(viewer(create=True), *first)


def _commit_view(response: Response) -> Response:
    try:
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not save a product view")
    return response


def record_product_view(product: Product) -> list[Product] | None:
    """Note that the product page was seen; returns the other products this viewer saw
    before (newest first), or None for a fragment of the page (htmx sorting its reviews),
    which is no new view and shows neither list."""
    if htmx_target():
        return None
    if sees_no_other_product(product.id):
        note_first_view(product.id)
        return []
    _write_first_view()
    owner = viewer(create=True)
    seen = wishlist.recent_views(owner)
    # A reload, or a second look soon after: the product already heads the list, and
    # writing the time again would change nothing the shopper sees.
    fresh = utcnow() - RECORD_AGAIN_AFTER
    if not (seen and seen[0][0].id == product.id and seen[0][1] >= fresh):
        _record_view(owner, product.id)
    # As if written first: this product takes the list's first place, so one fewer other.
    others = [p for p, _ in seen if p.id != product.id]
    return others[: wishlist.RECENT_LIMIT - 1]


def product_page(product: Product, recent: list[Product] | None) -> dict[str, Any]:
    """The product page's extras: what this viewer saw before, and what others bought."""
    if recent is None:
        return {}
    return {"recent": recent, "suggestions": recommendations.also_bought(product)}


def home_page() -> dict[str, Any]:
    _write_first_view()
    return {"recent": wishlist.recently_viewed(viewer())}
