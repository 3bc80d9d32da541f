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
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.page * self.per_page, self.total)


def paginate(
    stmt: Select[tuple[T]], page: int, per_page: int, *, count: Select[tuple[int]] | None = None
) -> Page[T]:
    """Run ``stmt`` for one page: a count, then the rows; past the end means the last page.

    ``count`` may be a cheaper statement that counts the same rows (without joins).
    """
    from qkart.extensions import db

    counted = (
        count
        if count is not None
        else select(func.count()).select_from(stmt.order_by(None).subquery())
    )
    total = db.session.scalar(counted) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=items, total=total, page=page, per_page=per_page)
