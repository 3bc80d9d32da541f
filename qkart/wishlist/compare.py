"""Compare up to four products side by side: price, rating, stock, brand, attributes.

A comparison is a list of product ids, so it fits in a shareable URL
(``/compare?ids=1,2,3``) as well as in the shopper's session.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from qkart.catalog.errors import ProductNotFoundError
from qkart.catalog.models import Product
from qkart.extensions import db
from qkart.wishlist.errors import BadCompareListError, CompareLimitError

MAX_COMPARE = 4
LIMIT_MESSAGE = f"You can compare up to {MAX_COMPARE} products. Remove one to add another."


def parse_ids(raw: str) -> list[int]:
    """``"1,2,3"`` as ids in that order, duplicates dropped.

    Raises ``BadCompareListError`` for anything but ids and ``CompareLimitError`` for
    more than ``MAX_COMPARE`` of them.
    """
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts or not all(p.isascii() and p.isdigit() and len(p) <= 9 for p in parts):
        raise BadCompareListError(
            "That compare link is not right: it should list product numbers, like ids=1,2,3."
        )
    ids = list(dict.fromkeys(int(p) for p in parts))
    if len(ids) > MAX_COMPARE:
        raise CompareLimitError(LIMIT_MESSAGE)
    return ids


def add(ids: Sequence[int], product_id: int) -> list[int]:
    """The comparison with ``product_id`` added last; raises ``CompareLimitError`` when full."""
    if product_id in ids:
        return list(ids)
    if len(ids) >= MAX_COMPARE:
        raise CompareLimitError(LIMIT_MESSAGE)
    return [*ids, product_id]


def remove(ids: Sequence[int], product_id: int) -> list[int]:
    return [i for i in ids if i != product_id]


def load_products(ids: Sequence[int], *, strict: bool = True) -> list[Product]:
    """The products sold under ``ids``, in that order, with categories: one query.

    With ``strict``, an id that names no product on sale raises ``ProductNotFoundError``
    (a shared link gone stale says so); otherwise such ids are simply dropped.
    """
    if not ids:
        return []
    found = db.session.scalars(
        select(Product)
        .join(Product.category)
        .options(contains_eager(Product.category))
        .where(Product.id.in_(ids), Product.is_active.is_(True))
    ).all()
    by_id = {p.id: p for p in found}
    if strict and len(by_id) < len(set(ids)):
        raise ProductNotFoundError(
            "One of these products could not be found. It may no longer be sold."
        )
    return [by_id[i] for i in ids if i in by_id]


def attribute_names(products: Sequence[Product]) -> list[str]:
    """Every attribute any of the products has, in the order they first appear."""
    names: dict[str, None] = {}
    for product in products:
        for name in product.attributes or {}:
            names.setdefault(str(name), None)
    return list(names)
