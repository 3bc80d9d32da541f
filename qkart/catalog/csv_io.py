"""Products in and out as CSV: export what a filter shows, import a file all or nothing.

An import is two passes in a worker job. The first checks every row against the
same rules as the product form (and against the other rows: a SKU or web address
twice in one file is refused) and writes nothing but progress; one bad row and
the import is ``rejected`` with a report of each bad row's line number and reason.
Only a clean file reaches the second pass, which saves every row in one
transaction, so a file never lands half-imported.

Rows are matched to products by SKU: a known SKU updates the columns the file has,
a new SKU creates a product (then name, price and category are needed). Export
writes the same columns, so a file exported, edited in a spreadsheet and imported
again changes just what was edited.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from typing import Any, cast

from flask import current_app
from sqlalchemy import Select, Table, select

from qkart.catalog.csv_rows import (
    COLUMNS,
    FORMULA_START,
    ImportFileError,
    Known,
    RowError,
    check_row,
    read_header,
    rows,
)
from qkart.catalog.models import Category, Product, ProductImport, StockMovement
from qkart.catalog.services import record_movements
from qkart.core.db import utcnow
from qkart.core.money import Money
from qkart.core.shop import currency
from qkart.extensions import db

__all__ = ["COLUMNS", "ImportFileError", "export_rows", "run_import", "start_import"]

log = logging.getLogger(__name__)

MAX_ROWS = 50_000
REPORT_LIMIT = 200  # bad rows listed; the count says how many there were in all
PROGRESS_EVERY = 250


# -- export ---------------------------------------------------------------------------


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _major(amount: int | None) -> str:
    return "" if amount is None else str(Money(amount, currency()).major)


def export_rows(stmt: Select[Product]) -> Iterator[str]:
    """The CSV text of the products ``stmt`` selects, a few hundred rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield flush()
    categories = dict(db.session.execute(select(Category.id, Category.slug)).all())
    for product in db.session.scalars(stmt.execution_options(yield_per=500)):
        attributes = "; ".join(f"{k}={v}" for k, v in (product.attributes or {}).items())
        writer.writerow(
            [
                product.sku,
                _cell(product.name),
                _major(product.price),
                categories.get(product.category_id, ""),
                product.slug,
                product.stock,
                _major(product.compare_at_price),
                _cell(product.brand),
                product.tax_class,
                product.weight_grams,
                "yes" if product.is_active else "no",
                "" if product.low_stock_threshold is None else product.low_stock_threshold,
                _cell(product.seo_title),
                _cell(product.seo_description),
                _cell(attributes),
                _cell(product.description),
            ]
        )
        if buffer.tell() > 32_000:
            yield flush()
    yield flush()


# -- the job ----------------------------------------------------------------------------


def start_import(filename: str, data: bytes, *, actor_id: int | None) -> ProductImport:
    """Record the upload and queue its import (sent when the caller commits)."""
    from qkart.extensions import queue

    read_header(data)
    entry = ProductImport(filename=filename[:200] or "products.csv", data=data, created_by=actor_id)
    db.session.add(entry)
    db.session.flush()
    queue.after_commit(db.session, "catalogue.import_products", entry.id)
    return entry


class Progress:
    """Where the saving pass is. It runs in one transaction that nobody else can see
    into, so its count goes to Redis (when there is one) for the page to read."""

    def __init__(self, import_id: int) -> None:
        self.key = f"qkart:import:{import_id}:saved"
        self.redis = self._connect()

    @staticmethod
    def _connect() -> Any:
        url = current_app.config.get("REDIS_URL")
        if not url:
            return None
        from redis import Redis

        return Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def saved(self, count: int) -> None:
        if self.redis is None:
            return
        try:
            self.redis.set(self.key, count, ex=86_400)
        except Exception:  # progress is a courtesy; the import goes on without it
            log.warning("could not record import progress", exc_info=True)
            self.redis = None

    def read(self) -> int | None:
        if self.redis is None:
            return None
        try:
            value = self.redis.get(self.key)
        except Exception:
            return None
        return int(value) if value is not None else None


def saved_so_far(entry: ProductImport) -> int | None:
    return Progress(entry.id).read() if entry.status == "saving" else None


def _set(import_id: int, **values: Any) -> None:
    """Change the import's row and commit, so the page polling it sees the change."""
    db.session.execute(
        cast(Table, ProductImport.__table__)
        .update()
        .where(ProductImport.id == import_id)
        .values(**values)
    )
    db.session.commit()


def _check_all(entry: ProductImport) -> tuple[list[tuple[int, dict[str, Any]]], list[dict]]:
    known = Known.load()
    good: list[tuple[int, dict[str, Any]]] = []
    errors: list[dict[str, object]] = []
    for count, (line, cells) in enumerate(rows(entry.data), start=1):
        if count > MAX_ROWS:
            errors.append({"line": line, "column": "", "reason": f"more than {MAX_ROWS} rows"})
            break
        try:
            good.append((line, check_row(cells, known)))
        except RowError as error:
            errors.append({"line": line, "column": error.column, "reason": error.reason})
        if count % PROGRESS_EVERY == 0:
            _set(entry.id, checked_rows=count)
    return good, errors


def run_import(import_id: int) -> None:
    """The worker's job: check every row, then save them all or nothing.

    A crash is recorded as ``failed`` (nothing saved) rather than retried: a file
    that breaks the import once would break it again.
    """
    entry = db.session.get(ProductImport, import_id)
    if entry is None or not entry.running:
        return
    try:
        _import(entry)
    except Exception:
        log.exception("product import %s broke", import_id)
        db.session.rollback()
        reason = "the import stopped on an error of ours (it is logged); nothing was changed"
        _set(
            import_id,
            status="failed",
            error_count=1,
            errors=[{"line": 0, "column": "", "reason": reason}],
            finished_at=utcnow(),
        )


def _import(entry: ProductImport) -> None:
    import_id, actor_id = entry.id, entry.created_by
    total = sum(1 for _ in rows(entry.data))
    _set(import_id, status="checking", total_rows=total, checked_rows=0)
    good, errors = _check_all(entry)
    if not good and not errors:
        errors = [{"line": 2, "column": "", "reason": "the file has no product rows"}]
    if errors:
        _set(
            import_id,
            status="rejected",
            checked_rows=total,
            error_count=len(errors),
            errors=errors[:REPORT_LIMIT],
            finished_at=utcnow(),
        )
        return
    _set(import_id, status="saving", checked_rows=total)
    created, updated = save_rows([fields for _, fields in good], import_id, actor_id)
    db.session.execute(
        cast(Table, ProductImport.__table__)
        .update()
        .where(ProductImport.id == import_id)
        .values(status="done", created_count=created, updated_count=updated, finished_at=utcnow())
    )
    db.session.commit()


def save_rows(rows: list[dict[str, Any]], import_id: int, actor_id: int | None) -> tuple[int, int]:
    """Create or update each product, with a stock movement where stock changed.

    Returns (created, updated). Runs in the caller's transaction and does not commit.
    """
    progress = Progress(import_id)
    existing: dict[str, Product] = {}
    skus = [row["sku"] for row in rows]
    for start in range(0, len(skus), 500):
        stmt = select(Product).where(Product.sku.in_(skus[start : start + 500]))
        existing.update({p.sku: p for p in db.session.scalars(stmt.with_for_update())})
    moved: list[tuple[Product, int, int, str]] = []
    created = 0
    for count, row in enumerate(rows, start=1):
        fields = dict(row)
        stock = fields.pop("stock", None)
        product = existing.get(fields["sku"])
        if product is None:
            product = Product(stock=0, image="img/categories/generic.svg", is_active=True)
            db.session.add(product)
            created += 1
        before = product.stock or 0
        for name, value in fields.items():
            setattr(product, name, value)
        if stock is not None and stock != before:
            product.stock = stock
            reason = "received" if fields["sku"] not in existing else "correction"
            moved.append((product, stock - before, stock, reason))
        if count % PROGRESS_EVERY == 0:
            db.session.flush()
            progress.saved(count)
    db.session.flush()
    now, note = utcnow(), f"CSV import {import_id}"
    record_movements(
        [
            StockMovement(
                product_id=product.id,
                delta=delta,
                stock_after=after,
                reason=reason,
                note=note,
                actor_id=actor_id,
                created_at=now,
            )
            for product, delta, after, reason in moved
        ]
    )
    progress.saved(len(rows))
    return created, len(rows) - created


def recent_imports(limit: int = 10) -> list[ProductImport]:
    return list(
        db.session.scalars(
            select(ProductImport).order_by(ProductImport.id.desc()).limit(limit)
        ).all()
    )
