"""Catalogue reads (search, filters, pages) and the one write that matters: stock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Select, case, or_, select, update
from sqlalchemy.orm import contains_eager

from qkart.catalog.errors import CategoryNotFoundError, OutOfStockError, ProductNotFoundError
from qkart.catalog.models import Category, Product
from qkart.core.pagination import Page, paginate
from qkart.extensions import db

SORTS = {
    "relevance": "Relevance",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "rating": "Customer rating",
    "newest": "Newest",
    "popular": "Best sellers",
}
PAGE_SIZES = (12, 24, 48)
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class ProductQuery:
    """What a shopper asked the catalogue for; every field already validated."""

    q: str = ""
    category: str = ""
    min_price: int | None = None
    max_price: int | None = None
    rating: int | None = None
    in_stock: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 12

    def with_page(self, page: int) -> ProductQuery:
        return replace(self, page=page)

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.q
            or self.category
            or self.min_price is not None
            or self.max_price is not None
            or self.rating
            or self.in_stock
        )


def _filtered(query: ProductQuery) -> Select[tuple[Product]]:
    stmt = (
        select(Product)
        .join(Product.category)
        .options(contains_eager(Product.category))
        .where(Product.is_active.is_(True))
    )
    if query.q:
        stmt = stmt.where(
            or_(
                Product.name.icontains(query.q, autoescape=True),
                Category.name.icontains(query.q, autoescape=True),
            )
        )
    if query.category:
        stmt = stmt.where(Category.slug == query.category)
    if query.min_price is not None:
        stmt = stmt.where(Product.price >= query.min_price)
    if query.max_price is not None:
        stmt = stmt.where(Product.price <= query.max_price)
    if query.rating:
        stmt = stmt.where(Product.rating >= query.rating)
    if query.in_stock:
        stmt = stmt.where(Product.stock > 0)
    return stmt


def _ordered(stmt: Select[tuple[Product]], query: ProductQuery) -> Select[tuple[Product]]:
    orders = {
        "price_asc": (Product.price.asc(),),
        "price_desc": (Product.price.desc(),),
        "rating": (Product.rating.desc(), Product.rating_count.desc()),
        "newest": (Product.created_at.desc(),),
        "popular": (Product.sold_count.desc(),),
    }
    if query.sort in orders:
        return stmt.order_by(*orders[query.sort], Product.id)
    if query.q:
        # Products named like the search come before those only in a matching category.
        name_hit = case((Product.name.icontains(query.q, autoescape=True), 0), else_=1)
        return stmt.order_by(name_hit, Product.sold_count.desc(), Product.id)
    return stmt.order_by(Product.featured.desc(), Product.sold_count.desc(), Product.id)


def search_products(query: ProductQuery) -> Page[Product]:
    """Products matching ``query``, one page of them; always two SQL queries."""
    return paginate(_ordered(_filtered(query), query), query.page, query.per_page)


def list_categories() -> Sequence[Category]:
    return db.session.scalars(select(Category).order_by(Category.position, Category.name)).all()


def get_category(slug: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise CategoryNotFoundError("We could not find that category.")
    return category


def featured_products(limit: int = 8) -> Sequence[Product]:
    """The home page's picks: featured first, then best sellers."""
    stmt = _ordered(_filtered(ProductQuery()), ProductQuery()).limit(limit)
    return db.session.scalars(stmt).all()


def get_product(slug: str) -> Product:
    stmt = _filtered(ProductQuery()).where(Product.slug == slug)
    product = db.session.scalar(stmt)
    if product is None:
        raise ProductNotFoundError("We could not find that product. It may no longer be sold.")
    return product


def get_active_product(product_id: int) -> Product:
    product = db.session.scalar(_filtered(ProductQuery()).where(Product.id == product_id))
    if product is None:
        raise ProductNotFoundError("We could not find that product. It may no longer be sold.")
    return product


def reserve_stock(quantities: Mapping[int, int], names: Mapping[int, str]) -> None:
    """Take ``quantities`` (product id -> units) out of stock, all or nothing.

    Each decrement is a conditional UPDATE (``stock >= wanted``), done in product-id
    order so two concurrent orders lock rows in the same order and cannot deadlock.
    The caller's transaction must roll back on ``OutOfStockError``.
    """
    for product_id in sorted(quantities):
        wanted = quantities[product_id]
        result = db.session.execute(
            update(Product)
            .where(Product.id == product_id, Product.stock >= wanted, Product.is_active.is_(True))
            .values(stock=Product.stock - wanted, sold_count=Product.sold_count + wanted)
            .execution_options(synchronize_session="fetch")
        )
        if result.rowcount != 1:
            left = db.session.scalar(select(Product.stock).where(Product.id == product_id)) or 0
            raise OutOfStockError(names.get(product_id, "this product"), left, product_id)


def low_stock_products(threshold: int = 5, limit: int = 10) -> Sequence[Product]:
    """Active products about to run out, emptiest first: what staff should restock."""
    stmt = (
        select(Product)
        .where(Product.is_active.is_(True), Product.stock <= threshold)
        .order_by(Product.stock, Product.name)
        .limit(limit)
    )
    return db.session.scalars(stmt).all()
