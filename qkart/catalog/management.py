"""What staff do to the catalogue: products, categories and stock (pictures: ``uploads``).

Every write validates first and raises a ``DomainError`` naming the field, so the
staff form shows the refusal beside it and nothing is written. Stock only changes
through ``adjust_stock`` (a conditional UPDATE that never goes below zero) and each
change is a ``StockMovement`` with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slugify import slugify
from sqlalchemy import Select, func, or_, select, update

from qkart.catalog.models import Category, Product, StockMovement
from qkart.catalog.services import record_movements
from qkart.core.db import rows_changed, utcnow
from qkart.core.errors import DomainError, NotFoundError
from qkart.core.pagination import Page, paginate
from qkart.extensions import db

STOCK_REASONS = {
    "received": "Received from a supplier",
    "damaged": "Damaged or lost",
    "correction": "Count correction",
    "return": "Customer return",
}
MOVEMENT_LABELS = {**STOCK_REASONS, "order": "Sold", "cancelled": "Order cancelled"}
SORTS = {
    "name": (Product.name, Product.id),
    "newest": (Product.created_at.desc(), Product.id.desc()),
    "price": (Product.price, Product.id),
    "stock": (Product.stock, Product.id),
}


class CatalogueError(DomainError):
    """A product, category or image that cannot be saved as asked; says which field."""


@dataclass(frozen=True)
class ProductFilter:
    q: str = ""
    category_id: int | None = None
    status: str = ""  # published, draft, retired; "" = all but retired
    stock: str = ""  # out, low
    sort: str = "name"
    page: int = 1


def product_list(query: ProductFilter, low_default: int) -> Page[Product]:
    return paginate(product_query(query, low_default), query.page, 25)


def product_query(query: ProductFilter, low_default: int) -> Select[Product]:
    """The products a staff filter selects, in its order (the list and the CSV export)."""
    stmt: Select[Product] = select(Product)
    if query.q:
        stmt = stmt.where(
            or_(
                Product.name.icontains(query.q, autoescape=True),
                Product.sku.istartswith(query.q, autoescape=True),
            )
        )
    if query.category_id:
        stmt = stmt.where(Product.category_id == query.category_id)
    if query.status == "retired":
        stmt = stmt.where(Product.retired_at.is_not(None))
    else:
        stmt = stmt.where(Product.retired_at.is_(None))
        if query.status == "published":
            stmt = stmt.where(Product.is_active.is_(True))
        elif query.status == "draft":
            stmt = stmt.where(Product.is_active.is_(False))
    if query.stock == "out":
        stmt = stmt.where(Product.stock == 0)
    elif query.stock == "low":
        threshold = func.coalesce(Product.low_stock_threshold, low_default)
        stmt = stmt.where(Product.stock > 0, Product.stock <= threshold)
    return stmt.order_by(*SORTS.get(query.sort, SORTS["name"]))


def get_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFoundError("We could not find that product.")
    return product


PRODUCT_FIELDS = (
    "name",
    "slug",
    "sku",
    "description",
    "price",
    "compare_at_price",
    "category_id",
    "brand",
    "tax_class",
    "weight_grams",
    "seo_title",
    "seo_description",
    "low_stock_threshold",
    "is_active",
    "attributes",
)


def save_product(product: Product | None, fields: dict[str, object]) -> Product:
    """Create or change a product; the slug (made from the name if left empty) and the
    SKU must be unused by another product."""
    slug = slugify(str(fields.get("slug") or fields["name"]))[:160]
    if not slug:
        raise CatalogueError("Give the product a name with letters or digits.", field="name")
    fields = {**fields, "slug": slug, "sku": str(fields["sku"]).strip().upper()}
    mine = product.id if product is not None else None
    for column, label in (("slug", "web address"), ("sku", "SKU")):
        clash = db.session.scalar(
            select(Product.id).where(getattr(Product, column) == fields[column])
        )
        if clash is not None and clash != mine:
            raise CatalogueError(f"Another product already has this {label}.", field=column)
    compare = fields.get("compare_at_price")
    if compare is not None and compare <= fields["price"]:  # type: ignore[operator]
        raise CatalogueError(
            "The compare-at price must be above the price (it shows the saving).",
            field="compare_at_price",
        )
    if db.session.get(Category, fields["category_id"]) is None:
        raise CatalogueError("Choose a category from the list.", field="category_id")
    if product is None:
        product = Product(stock=0, image="img/categories/generic.svg")
        db.session.add(product)
    for name in PRODUCT_FIELDS:
        setattr(product, name, fields[name])
    db.session.flush()
    return product


def bulk(product_ids: Sequence[int], action: str, category_id: int | None = None) -> int:
    """Publish, unpublish, move or retire many products at once; returns how many."""
    ids = list(product_ids)
    if not ids:
        raise CatalogueError("Tick the products to change first.", field="ids")
    values: dict[str, object]
    if action == "publish":
        values = {"is_active": True}
    elif action == "unpublish":
        values = {"is_active": False}
    elif action == "retire":
        values = {"is_active": False, "retired_at": utcnow()}
    elif action == "category":
        if category_id is None or db.session.get(Category, category_id) is None:
            raise CatalogueError("Choose the category to move them to.", field="category_id")
        values = {"category_id": category_id}
    else:
        raise CatalogueError("Choose what to do with them.", field="action")
    stmt = update(Product).where(Product.id.in_(ids))
    if action == "publish":
        stmt = stmt.where(Product.retired_at.is_(None))  # a retired product stays retired
    result = db.session.execute(
        stmt.values(**values).execution_options(synchronize_session="fetch")
    )
    return rows_changed(result) or 0


def adjust_stock(
    product: Product, delta: int, *, reason: str, note: str = "", actor_id: int | None = None
) -> StockMovement:
    """Add (or take away) units with a reason; never below zero, whatever runs at once."""
    if reason not in STOCK_REASONS:
        raise CatalogueError("Choose why the stock changes.", field="reason")
    if delta == 0:
        raise CatalogueError(
            "Enter how many units come in (or go out, with a minus).", field="delta"
        )
    after = db.session.execute(
        update(Product)
        .where(Product.id == product.id, Product.stock + delta >= 0)
        .values(stock=Product.stock + delta)
        .returning(Product.stock)
        .execution_options(synchronize_session="fetch")
    ).scalar_one_or_none()
    if after is None:
        raise CatalogueError(
            f"Only {product.stock} in stock: you cannot take away {-delta}.", field="delta"
        )
    movement = StockMovement(
        product_id=product.id,
        delta=delta,
        stock_after=after,
        reason=reason,
        note=note[:200],
        actor_id=actor_id,
        created_at=utcnow(),
    )
    record_movements([movement])
    return movement


def set_stock(product: Product, count: int, *, actor_id: int | None) -> StockMovement | None:
    """Stock counted on the shelf: a correction by the difference (quick edits)."""
    if count < 0:
        raise CatalogueError("Stock cannot be below 0.", field="stock")
    delta = count - product.stock
    if delta == 0:
        return None
    return adjust_stock(product, delta, reason="correction", note="Quick edit", actor_id=actor_id)


def movements(product_id: int, limit: int = 50) -> Sequence[StockMovement]:
    return db.session.scalars(
        select(StockMovement)
        .where(StockMovement.product_id == product_id)
        .order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
        .limit(limit)
    ).all()


def low_stock(low_default: int, limit: int = 200) -> Sequence[Product]:
    """Published products at or below their threshold, emptiest first."""
    threshold = func.coalesce(Product.low_stock_threshold, low_default)
    return db.session.scalars(
        select(Product)
        .where(Product.is_active.is_(True), Product.stock <= threshold)
        .order_by(Product.stock, Product.name)
        .limit(limit)
    ).all()


def low_stock_count(low_default: int) -> int:
    """How many published products are at or below their threshold (the home's figure)."""
    threshold = func.coalesce(Product.low_stock_threshold, low_default)
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Product)
            .where(Product.is_active.is_(True), Product.stock <= threshold)
        )
        or 0
    )


# -- categories ---------------------------------------------------------------------


def category_tree() -> list[tuple[Category, int, int]]:
    """Every category as (category, depth, products in it), parents before children."""
    categories = db.session.scalars(
        select(Category).order_by(Category.position, Category.name)
    ).all()
    counts = dict(
        db.session.execute(
            select(Product.category_id, func.count())
            .where(Product.retired_at.is_(None))
            .group_by(Product.category_id)
        ).all()
    )
    children: dict[int | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    known = {c.id for c in categories}
    out: list[tuple[Category, int, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for category in children.get(parent, []):
            out.append((category, depth, counts.get(category.id, 0)))
            walk(category.id, depth + 1)

    walk(None, 0)
    for category in categories:  # a parent that vanished: show them at the top
        if category.parent_id is not None and category.parent_id not in known:
            out.append((category, 0, counts.get(category.id, 0)))
    return out


def save_category(category: Category | None, fields: dict[str, object]) -> Category:
    name = str(fields["name"]).strip()
    slug = slugify(str(fields.get("slug") or name))[:100]
    mine = category.id if category is not None else None
    for column, value, label in (("name", name, "name"), ("slug", slug, "web address")):
        clash = db.session.scalar(select(Category.id).where(getattr(Category, column) == value))
        if clash is not None and clash != mine:
            raise CatalogueError(f"Another category already has this {label}.", field=column)
    parent_id = fields.get("parent_id")
    if parent_id is not None:
        ancestor = db.session.get(Category, parent_id)
        while ancestor is not None:
            if mine is not None and ancestor.id == mine:
                raise CatalogueError(
                    "A category cannot sit inside itself or its own subcategories.",
                    field="parent_id",
                )
            ancestor = db.session.get(Category, ancestor.parent_id) if ancestor.parent_id else None
    if category is None:
        last = db.session.scalar(select(func.max(Category.position))) or 0
        category = Category(position=last + 1)
        db.session.add(category)
    category.name, category.slug = name, slug
    category.parent_id = parent_id  # type: ignore[assignment]
    category.description = str(fields.get("description") or "")
    category.attribute_names = str(fields.get("attribute_names") or "")
    db.session.flush()
    return category


def move_category(category: Category, direction: str) -> None:
    """Swap places with the sibling above or below (the order shoppers see)."""
    siblings = db.session.scalars(
        select(Category)
        .where(
            Category.parent_id.is_(None)
            if category.parent_id is None
            else Category.parent_id == category.parent_id
        )
        .order_by(Category.position, Category.name)
    ).all()
    index = siblings.index(category)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        for position, sibling in enumerate(siblings):
            sibling.position = position
        siblings[index].position, siblings[other].position = other, index
        db.session.flush()
