"""``paginate`` with the total carried by the rows gives the pages the two-query way gives."""

from __future__ import annotations

from sqlalchemy import select

from qkart.catalog.models import Product
from qkart.core.pagination import paginate


def test_one_query_pages_match_the_counted_ones(app, factory):
    for n in range(7):
        factory.product(f"Paged {n}")
    with app.app_context():
        stmt = select(Product).order_by(Product.id)
        for page in (1, 2, 3, 4, 99):  # 99: past the end, so the last page
            counted = paginate(stmt, page, 3)
            windowed = paginate(stmt, page, 3, one_query=True)
            assert [p.id for p in windowed.items] == [p.id for p in counted.items]
            assert (windowed.total, windowed.page, windowed.pages) == (
                counted.total,
                counted.page,
                counted.pages,
            )
        empty = paginate(stmt.where(Product.id < 0), 1, 3, one_query=True)
        assert (empty.items, empty.total, empty.page) == ([], 0, 1)
