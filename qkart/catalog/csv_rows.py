"""Reading a product CSV and checking its rows against the product form's rules.

``read_header`` refuses a file that is not a product CSV at all; ``check_row`` turns
one row into product fields or raises ``RowError`` naming the column and the reason,
also against the rows before it (a SKU or web address twice in one file).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from slugify import slugify
from sqlalchemy import select

from qkart.catalog.models import Category, Product
from qkart.core.errors import DomainError
from qkart.core.money import Money
from qkart.core.shop import currency
from qkart.extensions import db
from qkart.pricing.models import TAX_CLASSES

COLUMNS = (
    "sku",
    "name",
    "price",
    "category",
    "slug",
    "stock",
    "compare_at_price",
    "brand",
    "tax_class",
    "weight_grams",
    "published",
    "low_stock_threshold",
    "seo_title",
    "seo_description",
    "attributes",
    "description",
)
NEEDED_FOR_NEW = ("name", "price", "category")
SKU_RE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
SLUG_RE = re.compile(r"^[a-z0-9-]{1,160}$")
YES = {"yes", "y", "true", "1", "published"}
NO = {"no", "n", "false", "0", "draft"}
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ImportFileError(DomainError):
    """The upload is not a product CSV at all (not text, no header, unknown columns)."""


class RowError(ValueError):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason


def _text(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise ImportFileError(
            "This file is not a CSV (it looks like a spreadsheet or a picture). "
            "Save it as “CSV UTF-8” and upload that.",
            field="file",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "This file is not UTF-8 text. Save it as “CSV UTF-8” and upload that.", field="file"
        ) from None


def read_header(data: bytes) -> list[str]:
    """The file's columns, or ``ImportFileError`` saying what is wrong with it."""
    if not data.strip():
        raise ImportFileError("This file is empty.", field="file")
    text = _text(data)
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        header = []
    names = [name.strip().lower() for name in header]
    if not names or "sku" not in names:
        raise ImportFileError(
            "The first line must name the columns, “sku” among them (for example: "
            "sku,name,price,category). Export the products to get a file to start from.",
            field="file",
        )
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise ImportFileError(
            f"Unknown column “{unknown[0][:40]}”. The columns are: {', '.join(COLUMNS)}.",
            field="file",
        )
    twice = [name for name in names if names.count(name) > 1]
    if twice:
        raise ImportFileError(f"The column “{twice[0]}” is there twice.", field="file")
    if len(names) == 1:
        raise ImportFileError(
            "The file names only the SKU column: nothing to change.", field="file"
        )
    return names


def rows(data: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number where the row starts, {column: cell}) for each non-empty row."""
    text = _text(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    names = [name.strip().lower() for name in next(reader)]
    start = reader.line_num + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            yield line, {"__width__": str(len(cells))}
            continue
        yield line, dict(zip(names, cells, strict=True))


# -- checking a row -----------------------------------------------------------------


def _plain(raw: str, column: str, limit: int) -> str:
    value = raw.strip()
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        value = value[1:]  # our own export's guard against spreadsheet formulas
    if len(value) > limit:
        raise RowError(column, f"is longer than {limit} characters")
    return value


def _money(raw: str, column: str) -> int:
    try:
        value = Decimal(raw.strip().replace(",", ""))
    except InvalidOperation:
        raise RowError(column, f"“{raw[:20]}” is not an amount like 12.50") from None
    if not value.is_finite() or value < 0:
        raise RowError(column, "must be 0 or more")
    if value > 10**7:
        raise RowError(column, "is too large")
    money = Money.from_major(value, currency())
    if money.major != value:
        raise RowError(column, "has more decimals than the currency")
    return money.amount


def _whole(raw: str, column: str, top: int) -> int:
    value = raw.strip()
    if not (value.isascii() and value.isdigit()) or int(value) > top:
        raise RowError(column, f"must be a whole number from 0 to {top}")
    return int(value)


def _attributes(raw: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in _plain(raw, "attributes", 2000).split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise RowError("attributes", "write them as Name=value; Name=value")
        pairs[name.strip()[:40]] = value.strip()[:120]
    return pairs


@dataclass
class Known:
    """What the database holds that rows are checked against (read once per import)."""

    products: dict[str, tuple[int, str]]  # SKU -> (id, slug)
    slugs: dict[str, str]  # slug -> SKU
    categories: dict[str, int]  # slug and lower-case name -> id
    seen_skus: set[str] = field(default_factory=set)
    seen_slugs: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Known:
        rows = db.session.execute(select(Product.sku, Product.id, Product.slug)).all()
        categories: dict[str, int] = {}
        for cid, slug, name in db.session.execute(
            select(Category.id, Category.slug, Category.name)
        ):
            categories[slug] = cid
            categories[name.lower()] = cid
        return cls(
            products={sku: (pid, slug) for sku, pid, slug in rows},
            slugs={slug: sku for sku, _, slug in rows},
            categories=categories,
        )


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "name": lambda raw: _plain(raw, "name", 200),
    "price": lambda raw: _money(raw, "price"),
    "compare_at_price": lambda raw: _money(raw, "compare_at_price") if raw.strip() else None,
    "brand": lambda raw: _plain(raw, "brand", 80),
    "weight_grams": lambda raw: _whole(raw, "weight_grams", 10**6) if raw.strip() else 0,
    "stock": lambda raw: _whole(raw, "stock", 10**6),
    "low_stock_threshold": lambda raw: (
        _whole(raw, "low_stock_threshold", 10_000) if raw.strip() else None
    ),
    "seo_title": lambda raw: _plain(raw, "seo_title", 70),
    "seo_description": lambda raw: _plain(raw, "seo_description", 160),
    "description": lambda raw: _plain(raw, "description", 10_000),
    "attributes": _attributes,
}


def _published(raw: str) -> bool:
    value = raw.strip().lower()
    if value in YES or value == "":
        return True
    if value in NO:
        return False
    raise RowError("published", "write yes or no")


def check_row(cells: dict[str, str], known: Known) -> dict[str, Any]:
    """The product fields of one row, or ``RowError`` naming the column and reason."""
    if "__width__" in cells:
        raise RowError("", f"has {cells['__width__']} cells; the header has a different number")
    sku = cells["sku"].strip().upper()
    if not SKU_RE.match(sku):
        raise RowError("sku", "use 1 to 40 letters, digits, dots, dashes or underscores")
    if sku in known.seen_skus:
        raise RowError("sku", f"{sku} is on an earlier line of this file too")
    known.seen_skus.add(sku)
    existing = known.products.get(sku)
    fields: dict[str, Any] = {"sku": sku}
    for column, raw in cells.items():
        if column in _CONVERTERS:
            if column == "name" and not raw.strip():
                raise RowError("name", "is empty")
            fields[column] = _CONVERTERS[column](raw)
        elif column == "published":
            fields["is_active"] = _published(raw)
        elif column == "tax_class":
            value = raw.strip().lower() or "standard"
            if value not in TAX_CLASSES:
                raise RowError("tax_class", f"use one of {', '.join(TAX_CLASSES)}")
            fields["tax_class"] = value
        elif column == "category":
            category = known.categories.get(raw.strip()) or known.categories.get(
                raw.strip().lower()
            )
            if category is None:
                raise RowError("category", f"no category is called “{raw.strip()[:60]}”")
            fields["category_id"] = category
    if existing is None:
        missing = [c for c in NEEDED_FOR_NEW if not cells.get(c, "").strip()]
        if missing:
            raise RowError(missing[0], f"is needed for a new product ({sku} is not in the shop)")
    _check_slug(cells, fields, existing, known)
    compare = fields.get("compare_at_price")
    if compare is not None and "price" in fields and compare <= fields["price"]:
        raise RowError("compare_at_price", "must be above the price")
    return fields


def _check_slug(
    cells: dict[str, str], fields: dict[str, Any], existing: tuple[int, str] | None, known: Known
) -> None:
    raw = cells.get("slug", "").strip()
    if raw:
        if not SLUG_RE.match(raw):
            raise RowError("slug", "use lower-case letters, digits and dashes")
        slug = raw
    elif existing is None:
        slug = slugify(fields["name"])[:160]
        if not slug:
            raise RowError("name", "needs letters or digits (the web address is made from it)")
    else:
        return
    owner = known.slugs.get(slug)
    if owner is not None and owner != fields["sku"]:
        raise RowError("slug", f"another product ({owner}) already has the web address {slug}")
    if slug in known.seen_slugs and known.seen_slugs[slug] != fields["sku"]:
        raise RowError("slug", f"the web address {slug} is on an earlier line of this file too")
    known.seen_slugs[slug] = fields["sku"]
    fields["slug"] = slug
