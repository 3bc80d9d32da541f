"""The wishlist of a signed-in shopper, and the products anyone viewed last.

A wishlist needs an account (it outlives devices); recently viewed products are kept
for an account or for a visitor's session token, the same token the visitor's cart
uses, so ``CartOwner`` names the viewer here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import contains_eager

from qkart.cart import services as carts
from qkart.cart.models import CartItem
from qkart.cart.services import CartOwner
from qkart.catalog.models import Product
from qkart.catalog.services import get_active_product
from qkart.core.db import rows_changed, utcnow
from qkart.extensions import db
from qkart.wishlist.models import RecentlyViewed, WishlistItem

RECENT_LIMIT = 12
# A visitor's views are forgotten after this; an account keeps its last 12.
VISITOR_VIEWS_KEPT = timedelta(days=30)
# The prune chore looks at viewers active this recently (the tick runs every minute).
PRUNE_LOOKBACK = timedelta(hours=1)


# -- wishlist ------------------------------------------------------------------------


def saved_product_ids(user_id: int) -> set[int]:
    """Ids of the products on the shopper's wishlist still sold: hearts and the badge."""
    rows = db.session.scalars(
        select(WishlistItem.product_id)
        .join(Product, Product.id == WishlistItem.product_id)
        .where(WishlistItem.user_id == user_id, Product.is_active.is_(True))
    )
    return set(rows)


def list_wishlist(user_id: int) -> Sequence[WishlistItem]:
    """The saved products, newest first, with product and category in the same query.

    Products no longer sold stay listed (so they can be removed) and say so.
    """
    return db.session.scalars(
        select(WishlistItem)
        .join(WishlistItem.product)
        .join(Product.category)
        .options(contains_eager(WishlistItem.product).contains_eager(Product.category))
        .where(WishlistItem.user_id == user_id)
        .order_by(WishlistItem.created_at.desc(), WishlistItem.id.desc())
    ).all()


def _item(user_id: int, product_id: int) -> WishlistItem | None:
    return db.session.scalar(
        select(WishlistItem).where(
            WishlistItem.user_id == user_id, WishlistItem.product_id == product_id
        )
    )


def save_product(user_id: int, product_id: int) -> Product:
    """Put a product on the wishlist (saving it twice keeps one); raises if not sold."""
    product = get_active_product(product_id)
    if _item(user_id, product_id) is None:
        db.session.add(WishlistItem(user_id=user_id, product_id=product_id, created_at=utcnow()))
        db.session.flush()
    return product


def remove_product(user_id: int, product_id: int) -> bool:
    """Take a product off the wishlist; works for retired products too."""
    result = db.session.execute(
        delete(WishlistItem).where(
            WishlistItem.user_id == user_id, WishlistItem.product_id == product_id
        )
    )
    return bool(rows_changed(result))


def move_to_cart(user_id: int, product_id: int) -> CartItem:
    """Add one unit to the shopper's cart, then drop it from the wishlist.

    Raises ``OutOfStockError`` (cart rules) and leaves the wishlist as it was then.
    """
    line = carts.add_item(CartOwner(user_id=user_id), product_id, 1)
    remove_product(user_id, product_id)
    return line


# -- recently viewed ----------------------------------------------------------------


def _viewer(owner: CartOwner) -> Any:
    if owner.user_id is not None:
        return RecentlyViewed.user_id == owner.user_id
    return RecentlyViewed.visitor_token == owner.token


def _insert() -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both engines QKart runs on)."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def record_view(owner: CartOwner, product_id: int, viewed_at: datetime | None = None) -> None:
    """Note that ``owner`` opened a product page (now, or at ``viewed_at``): one upsert,
    whatever the history.

    Concurrent views of the same page (two tabs) meet on the unique key and simply
    move ``viewed_at``; the history is trimmed to ``RECENT_LIMIT`` by a chore.
    """
    if owner.user_id is None and not owner.token:
        return
    by_user = owner.user_id is not None
    key = ["user_id" if by_user else "visitor_token", "product_id"]
    now = viewed_at or utcnow()
    stmt = _insert()(RecentlyViewed).values(
        user_id=owner.user_id,
        visitor_token=None if by_user else owner.token,
        product_id=product_id,
        viewed_at=now,
    )
    db.session.execute(stmt.on_conflict_do_update(index_elements=key, set_={"viewed_at": now}))


def recently_viewed(owner: CartOwner, *, exclude: int | None = None) -> list[Product]:
    """The last ``RECENT_LIMIT`` products ``owner`` viewed and that are still sold, newest
    first; ``exclude`` (the page being shown) is left out of them. One query."""
    return [p for p, _ in recent_views(owner) if p.id != exclude]


def recent_views(owner: CartOwner) -> list[tuple[Product, datetime]]:
    """:func:`recently_viewed` with when each was last seen (one query)."""
    if owner.user_id is None and not owner.token:
        return []
    rows = db.session.execute(
        select(Product, RecentlyViewed.viewed_at)
        .join(RecentlyViewed, RecentlyViewed.product_id == Product.id)
        .join(Product.category)
        .options(contains_eager(Product.category))
        .where(_viewer(owner), Product.is_active.is_(True))
        .order_by(RecentlyViewed.viewed_at.desc(), RecentlyViewed.id.desc())
        .limit(RECENT_LIMIT)
    ).all()
    return [(product, viewed_at) for product, viewed_at in rows]


def prune_recently_viewed() -> int:
    """The chore: keep each recent viewer's last ``RECENT_LIMIT`` views, forget old visitors.

    Only viewers active within ``PRUNE_LOOKBACK`` are ranked, so each tick reads a
    small, indexed slice of the table however large it grows.
    """
    now = utcnow()
    since = now - PRUNE_LOOKBACK
    active = RecentlyViewed.viewed_at >= since
    users = select(RecentlyViewed.user_id).where(active, RecentlyViewed.user_id.is_not(None))
    visitors = select(RecentlyViewed.visitor_token).where(
        active, RecentlyViewed.visitor_token.is_not(None)
    )
    rank = func.row_number().over(
        partition_by=(RecentlyViewed.user_id, RecentlyViewed.visitor_token),
        order_by=(RecentlyViewed.viewed_at.desc(), RecentlyViewed.id.desc()),
    )
    ranked = (
        select(RecentlyViewed.id, rank.label("rank"))
        .where(or_(RecentlyViewed.user_id.in_(users), RecentlyViewed.visitor_token.in_(visitors)))
        .subquery()
    )
    beyond = select(ranked.c.id).where(ranked.c.rank > RECENT_LIMIT)
    expired = and_(
        RecentlyViewed.visitor_token.is_not(None),
        RecentlyViewed.viewed_at < now - VISITOR_VIEWS_KEPT,
    )
    result = db.session.execute(
        delete(RecentlyViewed)
        .where(or_(RecentlyViewed.id.in_(beyond), expired))
        .execution_options(synchronize_session=False)
    )
    return int(rows_changed(result) or 0)


# -- the shopper's data ---------------------------------------------------------------


def export_data(user_id: int) -> dict[str, list[dict[str, Any]]]:
    """The wishlist and recently viewed products, for "Download my data"."""
    saved = [
        {
            "product": item.product.name,
            "sku": item.product.sku,
            "saved_at": item.created_at.isoformat(),
        }
        for item in list_wishlist(user_id)
    ]
    views = db.session.execute(
        select(Product.name, Product.sku, RecentlyViewed.viewed_at)
        .join(Product, Product.id == RecentlyViewed.product_id)
        .where(RecentlyViewed.user_id == user_id)
        .order_by(RecentlyViewed.viewed_at.desc())
    ).all()
    viewed = [{"product": n, "sku": s, "viewed_at": at.isoformat()} for n, s, at in views]
    return {"wishlist": saved, "recently_viewed": viewed}


def forget_user(user_id: int) -> None:
    """Delete the shopper's wishlist and viewing history ("Delete my account")."""
    db.session.execute(delete(WishlistItem).where(WishlistItem.user_id == user_id))
    db.session.execute(delete(RecentlyViewed).where(RecentlyViewed.user_id == user_id))
