"""Catalogue pages are found by id inside the order's index, then loaded: walked page by
page, every order still shows each product once, in order, ties broken by id."""

import pytest

from qkart.catalog.services import ProductQuery, search_products

PRICES = [500, 700, 500, 900, 700, 500, 1100, 900, 500, 700, 1300, 500, 900, 700, 500]
RATINGS = ["4.0", "3.5", "4.0", "5.0", "3.5", "4.0", "2.0", "5.0", "4.0", "3.5", "1.0", "4.0"]
RATINGS += ["5.0", "3.5", "4.0"]


@pytest.fixture
def products(factory):
    made = [
        factory.product(f"Lamp {n:02d}", price=price, rating=rating, featured=n in (3, 9))
        for n, (price, rating) in enumerate(zip(PRICES, RATINGS, strict=True))
    ]
    factory.product("Hidden lamp", price=100, is_active=False)
    return made


def _walk(sort, q=""):
    """Every page of a listing in turn (four products a page), as the pager links them."""
    seen = []
    page = search_products(ProductQuery(q=q, sort=sort, page=1, per_page=4))
    while True:
        seen += [p.id for p in page.items]
        assert all(p.category.name == "General" for p in page.items)  # loaded with the page
        if not page.has_next:
            return seen, page
        page = search_products(ProductQuery(q=q, sort=sort, page=page.page + 1, per_page=4))


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("price_asc", lambda p: (p.price, p.id)),
        ("price_desc", lambda p: (-p.price, -p.id)),
        ("rating", lambda p: (-p.rating, -p.id)),
        ("newest", lambda p: (-p.created_at.timestamp(), -p.id)),
        ("relevance", lambda p: (not p.featured, -p.id)),
    ],
)
def test_each_order_pages_through_every_product_once(ctx, products, sort, key):
    seen, last = _walk(sort)
    assert seen == [p.id for p in sorted(products, key=key)]
    assert (last.page, last.pages, last.total) == (4, 4, 15)
    assert len(last.items) == 3


def test_a_search_pages_by_relevance_too(ctx, products):
    seen, last = _walk("relevance", q="lamp")
    assert sorted(seen) == sorted(p.id for p in products)  # the draft is not sold
    assert len(seen) == len(set(seen)) == last.total == 15


def test_past_the_last_page_keeps_its_number_and_has_nothing(ctx, products):
    page = search_products(ProductQuery(sort="price_asc", page=9, per_page=4))
    assert (page.page, page.pages, page.total, list(page.items)) == (9, 4, 15, [])
    assert page.past_end
