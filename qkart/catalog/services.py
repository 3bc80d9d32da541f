"""Catalogue reads (search, filters, pages) and the one write that matters: stock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, false, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, contains_eager, make_transient_to_detached

from qkart.catalog.cache import cached
from qkart.catalog.errors import CategoryNotFoundError, OutOfStockError, ProductNotFoundError
from qkart.catalog.models import Category, Product, StockMovement
from qkart.core.db import utcnow
from qkart.core.events import emit
from qkart.core.pagination import Page
from qkart.extensions import db
from qkart.search import services as search

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
    categories: tuple[str, ...] = ()  # slugs; a category includes its subcategories
    brands: tuple[str, ...] = ()
    min_price: int | None = None
    max_price: int | None = None
    rating: int | None = None
    in_stock: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 12


def name_matches(column: InstrumentedAttribute[str], q: str) -> ColumnElement[bool]:
    """Case-insensitive match of a search in a name.

    Three characters or more match anywhere ("amp" finds "Lamp"); one or two match
    the start of a word ("ip" finds "iPad"), which is what such short searches mean
    and what a trigram index can answer quickly.
    """
    if not any(ch.isalnum() for ch in q):
        return false()  # punctuation alone names nothing (and no index can answer it)
    if len(q) >= 3:
        return column.icontains(q, autoescape=True)
    return or_(column.istartswith(q, autoescape=True), column.icontains(f" {q}", autoescape=True))


Filters = dict[str, ColumnElement[bool]]


def listing_filters(query: ProductQuery) -> Filters:
    """The WHERE clause of a listing by filter name, on ``products`` alone so counting
    needs no join; built once per listing, shared by the page and its facet counts.

    A search finds a product by full text (name, brand, category, description: see
    ``qkart.search``), by part of its name ("amp" while "lamp" is being typed), or by
    part of its category's name. Category matches go through ``category_id IN (ids)``
    rather than a join: PostgreSQL can then OR three index scans (the tsvector and
    the trigram indexes, and the category). A search costs one small extra query.
    """
    filters: Filters = {"active": Product.is_active.is_(True)}
    if query.q:
        named = db.session.scalars(select(Category.id).where(name_matches(Category.name, query.q)))
        in_category = Product.category_id.in_(named.all())
        filters["q"] = or_(
            name_matches(Product.name, query.q), in_category, search.match(query.q).condition
        )
    if query.categories:
        filters["category"] = Product.category_id.in_(_with_subcategories(query.categories))
    if query.brands:
        filters["brand"] = Product.brand.in_(query.brands)
    if query.min_price is not None:
        filters["min_price"] = Product.price >= query.min_price
    if query.max_price is not None:
        filters["max_price"] = Product.price <= query.max_price
    if query.rating:
        filters["rating"] = Product.rating >= query.rating
    if query.in_stock:
        filters["in_stock"] = Product.stock > 0
    return filters


def where(filters: Filters, *skip: str) -> list[ColumnElement[bool]]:
    """The listing's conditions but those named in ``skip``: a facet counts what
    choosing each of its values would show, so it counts under every filter but its own."""
    return [condition for name, condition in filters.items() if name not in skip]


def _with_category(*conditions: ColumnElement[bool]) -> Select[Product]:
    """Products with their category loaded in the same query (cards show its name)."""
    return (
        select(Product)
        .join(Product.category)
        .options(contains_eager(Product.category))
        .where(*conditions)
    )


# Every order ends in a unique key, and runs one way (all descending, or all ascending
# after the first key) so a b-tree index on (is_active, ...) can serve it.
ORDERS = {
    "price_asc": (Product.price.asc(), Product.id.asc()),
    "price_desc": (Product.price.desc(), Product.id.desc()),
    "rating": (Product.rating.desc(), Product.rating_count.desc(), Product.id.desc()),
    "newest": (Product.created_at.desc(), Product.id.desc()),
    "popular": (Product.sold_count.desc(), Product.id.desc()),
}
DEFAULT_ORDER = (Product.featured.desc(), Product.sold_count.desc(), Product.id.desc())


def _order(query: ProductQuery) -> tuple[ColumnElement[Any], ...]:
    if query.sort in ORDERS:
        return ORDERS[query.sort]
    if query.q:
        # Products named like the search first, then by full-text rank, then best sellers.
        name_hit = case((name_matches(Product.name, query.q), 0), else_=1)
        rank = search.match(query.q).rank
        ranks = (name_hit,) if rank is None else (name_hit, rank.desc())
        return (*ranks, Product.sold_count.desc(), Product.id.desc())
    return DEFAULT_ORDER


def search_products(query: ProductQuery, filters: Filters | None = None) -> Page[Product]:
    """Products matching ``query``, one page of them; always two SQL queries (and one
    more for a search, unless ``filters`` were built already).

    The page's ids are found first and only its own rows are then read: a deep page
    (page 8 000 of 100 000 products) skips the products before it inside the order's
    index, without fetching their rows, so it costs about what page 1 does. Past the
    last page the page keeps its number and has no items (the listing answers 404).
    """
    conditions = where(listing_filters(query) if filters is None else filters)
    total = db.session.scalar(select(func.count()).select_from(Product).where(*conditions))
    page: Page[Product] = Page(
        items=[], total=total or 0, page=max(query.page, 1), per_page=query.per_page
    )
    if page.past_end:
        return page
    order = _order(query)
    ids = (
        select(Product.id)
        .where(*conditions)
        .order_by(*order)
        .limit(page.per_page)
        .offset((page.page - 1) * page.per_page)
        .subquery()
    )
    stmt = _with_category().join(ids, ids.c.id == Product.id).order_by(*order)
    page.items = db.session.scalars(stmt).all()
    return page


def _with_subcategories(slugs: Iterable[str]) -> list[int]:
    """The categories named by ``slugs`` and every category below them (one small query)."""
    wanted = set(slugs)
    rows = db.session.execute(select(Category.id, Category.parent_id, Category.slug)).all()
    children: dict[int | None, list[int]] = {}
    roots = []
    for cid, parent, cslug in rows:
        children.setdefault(parent, []).append(cid)
        if cslug in wanted:
            roots.append(cid)
    found: list[int] = []
    todo = roots
    while todo:
        cid = todo.pop()
        if cid not in found:
            found.append(cid)
            todo.extend(children.get(cid, []))
    return found


@dataclass(frozen=True)
class CategoryNode:
    category: Category
    depth: int
    count: int  # active products in it and below it
    children: tuple[CategoryNode, ...]


def category_nodes(categories: Sequence[Category]) -> list[CategoryNode]:
    """The shop's categories as a tree with product counts that include subcategories
    (one grouped count query, kept until the catalogue changes); top-level categories
    first, in staff's order."""
    direct = cached("category_counts", _active_per_category)
    below: dict[int | None, list[Category]] = {}
    known = {c.id for c in categories}
    for category in categories:
        parent = category.parent_id if category.parent_id in known else None
        below.setdefault(parent, []).append(category)

    def build(category: Category, depth: int) -> CategoryNode:
        kids = tuple(build(child, depth + 1) for child in below.get(category.id, []))
        total = direct.get(category.id, 0) + sum(k.count for k in kids)
        return CategoryNode(category, depth, total, kids)

    return [build(c, 0) for c in below.get(None, [])]


def _active_per_category() -> dict[int, int]:
    return dict(
        db.session.execute(
            select(Product.category_id, func.count())
            .where(Product.is_active.is_(True))
            .group_by(Product.category_id)
        ).all()
    )


def find_node(nodes: Sequence[CategoryNode], category_id: int) -> CategoryNode | None:
    for node in nodes:
        if node.category.id == category_id:
            return node
        found = find_node(node.children, category_id)
        if found is not None:
            return found
    return None


def top_categories(categories: Sequence[Category], limit: int = 8) -> list[Category]:
    """The first top-level categories, for the footer and the home page."""
    return [c for c in categories if c.parent_id is None][:limit]


def list_categories() -> Sequence[Category]:
    return db.session.scalars(select(Category).order_by(Category.position, Category.name)).all()


def shop_categories() -> Sequence[Category]:
    """Every category in staff's order, kept until the catalogue changes (no query then).

    They are detached copies, shared by requests: read them, never change or add them.
    """
    return cached("shop_categories", _detached_categories)


def category_exists(slugs: Sequence[str]) -> bool:
    """Whether any of ``slugs`` names a category (one small query)."""
    return (
        db.session.scalar(select(Category.id).where(Category.slug.in_(slugs)).limit(1)) is not None
    )


def _detached_categories() -> tuple[Category, ...]:
    table = Category.__table__
    rows = db.session.execute(select(table).order_by(table.c.position, table.c.name)).mappings()
    copies = []
    for row in rows:
        category = Category(**row)
        make_transient_to_detached(category)  # as if loaded, in no session
        copies.append(category)
    return tuple(copies)


def products_by_ids(ids: Sequence[int]) -> list[Product]:
    """The active products of a kept listing, in its order, with their categories."""
    if not ids:
        return []
    rows = db.session.scalars(_with_category(Product.is_active.is_(True), Product.id.in_(ids)))
    found = {product.id: product for product in rows}
    return [found[i] for i in ids if i in found]


def get_category(slug: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise CategoryNotFoundError("We could not find that category.")
    return category


def featured_products(limit: int = 8) -> Sequence[Product]:
    """The home page's picks: featured first, then best sellers."""
    stmt = _with_category(Product.is_active.is_(True)).order_by(*DEFAULT_ORDER).limit(limit)
    return db.session.scalars(stmt).all()


def get_product(slug: str) -> Product:
    product = db.session.scalar(_with_category(Product.is_active.is_(True), Product.slug == slug))
    if product is None:
        raise ProductNotFoundError("We could not find that product. It may no longer be sold.")
    return product


def get_active_product(product_id: int) -> Product:
    product = db.session.scalar(
        _with_category(Product.is_active.is_(True), Product.id == product_id)
    )
    if product is None:
        raise ProductNotFoundError("We could not find that product. It may no longer be sold.")
    return product


def products_by_id(ids: Iterable[int | None]) -> dict[int, Product]:
    """Products (sold or retired) by id, in one query; unknown ids are left out."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(wanted)))}


def product_exists(product_id: int) -> bool:
    """Whether the id names a product at all, sold or retired (old carts may hold one)."""
    return db.session.scalar(select(Product.id).where(Product.id == product_id)) is not None


def _moved(product_id: int, delta: int, stock_after: int, reason: str, note: str = "") -> None:
    record_movements(
        [
            StockMovement(
                product_id=product_id,
                delta=delta,
                stock_after=stock_after,
                reason=reason,
                note=note[:200],
                created_at=utcnow(),
            )
        ]
    )


def record_movements(movements: Sequence[StockMovement]) -> None:
    """Keep stock movements and announce each product whose stock came back from none.

    Every change of stock (staff, CSV import, cancelled order, return) is recorded
    here, so other domains (back-in-stock alerts) hear of every restock from one
    place, in the caller's transaction, without the catalogue knowing them.
    """
    db.session.add_all(movements)
    db.session.flush()
    restocked = {m.product_id for m in movements if m.stock_after > 0 >= m.stock_after - m.delta}
    for product_id in sorted(restocked):
        emit("product.back_in_stock", product_id=product_id)


def reserve_stock(
    quantities: Mapping[int, int], names: Mapping[int, str], *, note: str = ""
) -> None:
    """Take ``quantities`` (product id -> units) out of stock, all or nothing.

    Each decrement is a conditional UPDATE (``stock >= wanted``), done in product-id
    order so two concurrent orders lock rows in the same order and cannot deadlock.
    The caller's transaction must roll back on ``OutOfStockError``. Each is a
    movement in the product's stock history.
    """
    for product_id in sorted(quantities):
        wanted = quantities[product_id]
        left = db.session.execute(
            update(Product)
            .where(Product.id == product_id, Product.stock >= wanted, Product.is_active.is_(True))
            .values(stock=Product.stock - wanted, sold_count=Product.sold_count + wanted)
            .returning(Product.stock)
            .execution_options(synchronize_session="fetch")
        ).scalar_one_or_none()
        if left is None:
            have = db.session.scalar(select(Product.stock).where(Product.id == product_id)) or 0
            raise OutOfStockError(names.get(product_id, "this product"), have, product_id)
        _moved(product_id, -wanted, left, "order", note)


def release_stock(
    quantities: Mapping[int, int], *, reason: str = "cancelled", note: str = ""
) -> None:
    """Put units back (a cancelled order, a resellable return): the reverse of reserving.

    Increments need no condition; product-id order keeps the lock order the same.
    """
    for product_id in sorted(quantities):
        wanted = quantities[product_id]
        now = db.session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(
                stock=Product.stock + wanted,
                sold_count=case(
                    (Product.sold_count >= wanted, Product.sold_count - wanted), else_=0
                ),
            )
            .returning(Product.stock)
            .execution_options(synchronize_session="fetch")
        ).scalar_one_or_none()
        if now is not None:
            _moved(product_id, wanted, now, reason, note)


def find_products(text: str, limit: int = 10) -> Sequence[Product]:
    """Products (sold or retired) by name or SKU, for the staff search."""
    text = text.strip()
    if not text:
        return []
    return db.session.scalars(
        select(Product)
        .where(
            or_(
                Product.name.icontains(text, autoescape=True),
                Product.sku.istartswith(text, autoescape=True),
            )
        )
        .order_by(Product.name)
        .limit(limit)
    ).all()
