"""Facet counts beside a catalogue listing: how many products each choice would show.

Each facet counts under every filter but its own (choosing a second brand adds to
the first, so brand counts ignore the brand filter), which is what a shopper reading
"Lamps (12)" expects. Three grouped queries per listing, whatever the page size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slugify import slugify
from sqlalchemy import ColumnElement, and_, case, func, select, true

from qkart.catalog.models import Category, Product
from qkart.catalog.services import Filters, ProductQuery, where
from qkart.extensions import db

MAX_BRANDS = 15
RATING_STEPS = (4, 3, 2)


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    chosen: bool
    depth: int = 0
    key: str = ""  # a stable id for the checkbox, so focus survives a live update


@dataclass(frozen=True)
class Facets:
    categories: tuple[FacetValue, ...]
    brands: tuple[FacetValue, ...]
    ratings: dict[int, int]  # minimum stars (0 = any) -> products
    in_stock: int


def listing_facets(query: ProductQuery, filters: Filters, categories: Sequence[Category]) -> Facets:
    ratings, in_stock = _rating_and_stock(query, filters)
    return Facets(
        categories=tuple(_category_values(query, filters, categories)),
        brands=tuple(_brand_values(query, filters)),
        ratings=ratings,
        in_stock=in_stock,
    )


def _category_values(
    query: ProductQuery, filters: Filters, categories: Sequence[Category]
) -> list[FacetValue]:
    """Top categories, and the subcategories of chosen ones (and of their parents), as
    an indented list; counts include subcategories. Empty ones are left out unless
    chosen."""
    direct = dict(
        db.session.execute(
            select(Product.category_id, func.count())
            .where(*where(filters, "category"))
            .group_by(Product.category_id)
        ).all()
    )
    known = {c.id: c for c in categories}
    below: dict[int | None, list[Category]] = {}
    for category in categories:
        parent = category.parent_id if category.parent_id in known else None
        below.setdefault(parent, []).append(category)

    def total(category: Category) -> int:
        return direct.get(category.id, 0) + sum(total(c) for c in below.get(category.id, []))

    chosen = set(query.categories)
    opened = set()  # chosen categories and their ancestors show their children
    for category in categories:
        if category.slug in chosen:
            node: Category | None = category
            while node is not None and node.id not in opened:
                opened.add(node.id)
                node = known.get(node.parent_id) if node.parent_id else None

    values: list[FacetValue] = []

    def walk(parent: int | None, depth: int) -> None:
        for category in below.get(parent, []):
            count = total(category)
            if count or category.slug in chosen:
                values.append(
                    FacetValue(
                        category.slug,
                        category.name,
                        count,
                        category.slug in chosen,
                        depth,
                        category.slug,
                    )
                )
            if category.id in opened:
                walk(category.id, depth + 1)

    walk(None, 0)
    return values


def _brand_values(query: ProductQuery, filters: Filters) -> list[FacetValue]:
    """The most common brands under the other filters, plus any chosen brand."""
    rows = db.session.execute(
        select(Product.brand, func.count())
        .where(*where(filters, "brand"), Product.brand != "")
        .group_by(Product.brand)
        .order_by(func.count().desc(), Product.brand)
        .limit(MAX_BRANDS)
    ).all()
    counts = {brand: count for brand, count in rows}
    names = sorted(set(counts) | set(query.brands), key=str.casefold)
    return [
        FacetValue(b, b, counts.get(b, 0), b in query.brands, key=slugify(b) or str(i))
        for i, b in enumerate(names)
    ]


def _rating_and_stock(query: ProductQuery, filters: Filters) -> tuple[dict[int, int], int]:
    """Counts for each minimum rating and for "in stock only", in one query: each
    counts under the other's filter but not its own. Only columns that
    ``ix_products_facets`` holds are read, so PostgreSQL counts from the index alone."""
    in_stock = Product.stock > 0
    rated = Product.rating >= query.rating if query.rating else None

    def counted(*conditions: ColumnElement[bool] | None) -> ColumnElement[Any]:
        live = [c for c in conditions if c is not None]
        return func.coalesce(func.sum(case((and_(*live), 1), else_=0)), 0)

    stock_rule = in_stock if query.in_stock else None
    columns = [counted(stock_rule, Product.rating >= step) for step in RATING_STEPS]
    columns.append(counted(stock_rule, true()))
    columns.append(counted(rated, in_stock))
    row = db.session.execute(select(*columns).where(*where(filters, "rating", "in_stock"))).one()
    ratings = dict(zip(RATING_STEPS, (int(n) for n in row[:-2]), strict=True))
    ratings[0] = int(row[-2])
    return ratings, int(row[-1])
