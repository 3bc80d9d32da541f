"""Customers also bought: pairs of products bought in the same orders.

A chore recomputes the pairs at most every ``RECOMPUTE_EVERY`` (order history changes
slowly, and the self-join of order lines is the costly part) and stores each
product's best ``KEEP_PER_PRODUCT``. The product page reads them in one indexed query
and, when a product has fewer than it shows, fills up with best sellers of its category.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager

from qkart.catalog.models import Product
from qkart.core.db import rows_changed, utcnow
from qkart.extensions import db
from qkart.orders.models import SOLD_STATUSES, Order, OrderLine
from qkart.recommendations.models import ProductRecommendation, RecommendationRun

KIND = "also_bought"
RECOMPUTE_EVERY = timedelta(hours=6)
# Orders older than this no longer say what goes together.
HISTORY = timedelta(days=365)
KEEP_PER_PRODUCT = 12
SHOWN = 4
INSERT_BATCH = 1000
# Orders that were bought (placed cash-on-delivery ones too), not cancelled or unpaid.
COUNTED_STATUSES = ("placed", *SOLD_STATUSES)


@dataclass(frozen=True)
class Suggestions:
    """What the product page shows, and whether any of it came from orders."""

    products: list[Product]
    from_orders: bool


def _pairs(since: datetime) -> Select[int | None, int | None, int]:
    """(product, other product, orders with both), best pairs of each product first."""
    mine, theirs = aliased(OrderLine), aliased(OrderLine)
    score = func.count(func.distinct(mine.order_id)).label("score")
    return (
        select(mine.product_id, theirs.product_id, score)
        .join(theirs, and_(theirs.order_id == mine.order_id, theirs.product_id != mine.product_id))
        .join(Order, Order.id == mine.order_id)
        .where(
            Order.status.in_(COUNTED_STATUSES),
            Order.created_at >= since,
            mine.product_id.is_not(None),
            theirs.product_id.is_not(None),
        )
        .group_by(mine.product_id, theirs.product_id)
        .order_by(mine.product_id, score.desc(), theirs.product_id)
    )


def _best(rows: Iterable[tuple[int, int, int]]) -> Iterator[dict[str, int]]:
    """The first ``KEEP_PER_PRODUCT`` rows of each product (rows come sorted)."""
    current, kept = None, 0
    for product_id, other_id, score in rows:
        if product_id != current:
            current, kept = product_id, 0
        if kept < KEEP_PER_PRODUCT:
            kept += 1
            yield {"product_id": product_id, "other_product_id": other_id, "score": score}


def compute_also_bought(now: datetime | None = None) -> int:
    """Replace every stored pair with a fresh count from the orders; returns how many.

    Done in the caller's transaction, so readers see the old pairs until it commits.
    """
    now = now or utcnow()
    db.session.execute(delete(ProductRecommendation))
    # The query leaves out lines of deleted products; the check tells the type checker.
    pairs = db.session.execute(_pairs(now - HISTORY))
    rows = [(a, b, n) for a, b, n in pairs if a is not None and b is not None]
    batch: list[dict[str, int]] = []
    stored = 0
    for row in _best(rows):
        batch.append(row)
        if len(batch) >= INSERT_BATCH:
            db.session.execute(insert(ProductRecommendation), batch)
            stored, batch = stored + len(batch), []
    if batch:
        db.session.execute(insert(ProductRecommendation), batch)
        stored += len(batch)
    return stored


def _claim(now: datetime) -> bool:
    """Take this run's turn: True for exactly one of several ticks once it is due.

    A conditional UPDATE of the timestamp; the very first run inserts the row instead
    (two first runs meet on its primary key). A failed run rolls its claim back.
    """
    moved = db.session.execute(
        update(RecommendationRun)
        .where(
            RecommendationRun.kind == KIND,
            RecommendationRun.computed_at <= now - RECOMPUTE_EVERY,
        )
        .values(computed_at=now)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(moved):
        return True
    if db.session.scalar(select(RecommendationRun.kind).where(RecommendationRun.kind == KIND)):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(RecommendationRun(kind=KIND, computed_at=now, pairs=0))
    except IntegrityError:
        return False
    return True


def refresh_recommendations(now: datetime | None = None) -> int | None:
    """The chore: recompute when the last run is ``RECOMPUTE_EVERY`` old; else None."""
    now = now or utcnow()
    if not _claim(now):
        return None
    stored = compute_also_bought(now)
    db.session.execute(
        update(RecommendationRun)
        .where(RecommendationRun.kind == KIND)
        .values(pairs=stored)
        .execution_options(synchronize_session=False)
    )
    return stored


def _on_sale(*conditions: ColumnElement[bool]) -> Select[Product]:
    return (
        select(Product)
        .join(Product.category)
        .options(contains_eager(Product.category))
        .where(Product.is_active.is_(True), Product.stock > 0, *conditions)
    )


def also_bought(product: Product, limit: int = SHOWN) -> Suggestions:
    """Up to ``limit`` products on sale bought with ``product``, then its category's best
    sellers: at most two queries, however many pairs are stored."""
    paired = _on_sale().join(
        ProductRecommendation,
        and_(
            ProductRecommendation.other_product_id == Product.id,
            ProductRecommendation.product_id == product.id,
        ),
    )
    found = list(
        db.session.scalars(
            paired.order_by(
                ProductRecommendation.score.desc(), Product.sold_count.desc(), Product.id
            ).limit(limit)
        )
    )
    from_orders = bool(found)
    if len(found) < limit:
        shown = [product.id, *(p.id for p in found)]
        found += db.session.scalars(
            _on_sale(Product.category_id == product.category_id, Product.id.not_in(shown))
            .order_by(Product.sold_count.desc(), Product.id.desc())
            .limit(limit - len(found))
        )
    return Suggestions(products=found, from_orders=from_orders)
