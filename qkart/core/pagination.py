"""One page of a longer list, with what a pager needs to draw itself."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of results plus what a pager needs to draw itself."""

    items: Sequence[T]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def past_end(self) -> bool:
        return self.page > self.pages

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers for a pager: first, last and a few around this one; None is a gap."""
        shown = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        numbers = sorted(n for n in shown if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in numbers:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.page * self.per_page, self.total)


def paginate(
    stmt: Select[T],
    page: int,
    per_page: int,
    *,
    count: Select[int] | None = None,
    clamp: bool = True,
    one_query: bool = False,
) -> Page[T]:
    """Run ``stmt`` for one page: a count, then the rows.

    Past the end means the last page, unless ``clamp`` is off: then the page keeps its
    number and has no items (``Page.past_end``), for listings that answer it with 404.
    ``count`` may be a cheaper statement that counts the same rows (without joins).
    ``one_query``: the rows carry the total (a window count), one statement instead of
    two; every matching row is counted, so only for short lists of one parent (a
    product's reviews or questions), never for the big listings.
    """
    from qkart.extensions import db

    if one_query:
        found = _windowed(stmt, max(page, 1), per_page)
        if found is not None:
            return found

    counted = (
        count
        if count is not None
        else select(func.count()).select_from(stmt.order_by(None).subquery())
    )
    total = db.session.scalar(counted) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages) if clamp else max(page, 1)
    if page > pages:
        return Page(items=[], total=total, page=page, per_page=per_page)
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=items, total=total, page=page, per_page=per_page)


def _windowed(stmt: Select[T], page: int, per_page: int) -> Page[T] | None:
    """The page with its total in one statement; None past the end (then the caller's
    count finds the last page)."""
    from qkart.extensions import db

    rows = db.session.execute(
        stmt.add_columns(func.count().over()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    if not rows:
        return Page(items=[], total=0, page=1, per_page=per_page) if page == 1 else None
    return Page(items=[row[0] for row in rows], total=int(rows[0][1]), page=page, per_page=per_page)
