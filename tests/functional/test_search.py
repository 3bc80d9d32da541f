"""Full-text search with one contract: the same tests on SQLite (FTS5) and PostgreSQL
(tsvector + GIN), in both test passes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from qkart.catalog.models import Category, Product
from qkart.extensions import db
from qkart.search.services import did_you_mean, edit_distance, fts_expression
from tests.conftest import count_queries, htmx


def _names(client, q: str, **extra: str) -> list[str]:
    response = client.get("/products", query_string={"q": q, **extra})
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    return re.findall(r'class="card-title"[^>]*>\s*<a[^>]*>([^<]+)</a>', page) or re.findall(
        r'<h3 class="card-title">([^<]+)</h3>', page
    )


def _found(client, q: str) -> set[str]:
    page = client.get("/products", query_string={"q": q}).get_data(as_text=True)
    return {name for name in NAMES if name in page}


NAMES = ("Desk Lamp", "Floor Lamp", "Oak Chair", "Reading Light", "Glass Vase", "Tea Kettle")


@pytest.fixture
def shelf(app, factory):
    lighting = factory.category("Lighting")
    seating = factory.category("Seating")
    kitchen = factory.category("Kitchen")
    made = {
        "Desk Lamp": factory.product("Desk Lamp", category=lighting),
        "Floor Lamp": factory.product("Floor Lamp", category=lighting),
        "Oak Chair": factory.product("Oak Chair", category=seating),
        "Reading Light": factory.product("Reading Light", category=lighting),
        "Glass Vase": factory.product("Glass Vase", category=kitchen),
        "Tea Kettle": factory.product("Tea Kettle", category=kitchen),
    }
    with app.app_context():
        db.session.execute(
            update(Product)
            .where(Product.id == made["Glass Vase"].id)
            .values(description="Hand-blown by a glassmaker in Murano.", brand="Vetro")
        )
        db.session.execute(
            update(Product)
            .where(Product.id == made["Tea Kettle"].id)
            .values(brand="Hearthstone", description="Whistles when the water boils.")
        )
        db.session.commit()
    return made


def test_description_brand_and_category_are_searched(client, shelf):
    assert _found(client, "murano") == {"Glass Vase"}  # description
    assert _found(client, "hearthstone") == {"Tea Kettle"}  # brand
    assert _found(client, "lighting") == {"Desk Lamp", "Floor Lamp", "Reading Light"}


def test_words_are_stemmed_and_all_must_match(client, shelf):
    assert _found(client, "lamps") == {"Desk Lamp", "Floor Lamp"}
    assert _found(client, "boiling water") == {"Tea Kettle"}
    assert _found(client, "desk lamp") == {"Desk Lamp"}


def test_what_people_type_in_search_boxes(client, shelf):
    assert _found(client, "lamp -desk") == {"Floor Lamp"}
    assert _found(client, '"floor lamp"') == {"Floor Lamp"}
    assert _found(client, "kettle or chair") == {"Tea Kettle", "Oak Chair"}


def test_names_rank_before_descriptions(app, client, shelf, factory):
    other = factory.product("Candle Holder", category=factory.category("Decor"))
    with app.app_context():
        db.session.execute(
            update(Product).where(Product.id == other.id).values(description="Goes with any lamp.")
        )
        db.session.commit()
    page = client.get("/products?q=lamp").get_data(as_text=True)
    assert page.index("Desk Lamp") < page.index("Candle Holder")
    assert page.index("Floor Lamp") < page.index("Candle Holder")


def test_a_typo_is_fixed_and_said_so(client, shelf):
    page = client.get("/products?q=lmap").get_data(as_text=True)
    assert "Showing results for “<strong>lamp</strong>”" in page
    assert "Desk Lamp" in page and "Floor Lamp" in page
    page = client.get("/products?q=ketle").get_data(as_text=True)
    assert "Tea Kettle" in page
    page = client.get("/products?q=zzzzqqq").get_data(as_text=True)
    assert "No products found" in page and "Showing results for" not in page


def test_renaming_a_category_reindexes_its_products(app, client, shelf):
    with app.app_context():
        db.session.execute(
            update(Category).where(Category.name == "Seating").values(name="Armchairs and stools")
        )
        db.session.commit()
    assert _found(client, "stools") == {"Oak Chair"}


def test_a_changed_name_is_found_and_the_old_one_is_not(app, client, shelf):
    with app.app_context():
        db.session.execute(
            update(Product)
            .where(Product.id == shelf["Oak Chair"].id)
            .values(name="Walnut Stool", description="Three legs.")
        )
        db.session.commit()
    page = client.get("/products?q=walnut").get_data(as_text=True)
    assert "Walnut Stool" in page
    assert "Walnut Stool" not in client.get("/products?q=oak").get_data(as_text=True)


@pytest.mark.parametrize(
    "q",
    ['"', "NEAR(", "*", "a'b", "lamp AND", "-", "OR", '"unclosed lamp', "ü", "(", "::", "\\"],
)
def test_odd_searches_never_break(client, shelf, q):
    response = client.get("/products", query_string={"q": q})
    assert response.status_code == 200


def test_the_query_count_of_a_search_is_fixed(app, client, shelf, factory):
    for n in range(12):
        factory.product(f"Bedside Lamp {n}")
    client.get("/")  # the shop's categories are read once, then kept (see test_render_cache)
    with count_queries(app) as small:
        client.get("/products?q=lamp&per_page=12")
    with count_queries(app) as large:
        client.get("/products?q=lamp&per_page=48")
    with count_queries(app) as typo:
        client.get("/products?q=lmap&per_page=48")
    assert len(small) == len(large)
    assert len(typo) <= len(large) + 5  # no result, the vocabulary, the fixed search


def test_suggestions_as_you_type(client, shelf):
    response = client.get("/search/suggestions?q=lam", headers=htmx("site-q-list"))
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    options = re.findall(r'<li role="option" id="(site-q-opt-\d+)"', fragment)
    assert len(options) == 2
    assert "Desk Lamp" in fragment and 'data-href="/products/' in fragment
    category = client.get("/search/suggestions?q=light").get_data(as_text=True)
    assert 'data-href="/categories/lighting"' in category and "Reading Light" in category
    assert client.get("/search/suggestions?q=%25%25").get_data(as_text=True).strip() == ""
    assert client.get("/search/suggestions").status_code == 200


def test_the_header_box_is_a_combobox_with_a_plain_form_behind_it(client):
    page = client.get("/").get_data(as_text=True)
    box = re.search(r'<input id="site-q"[^>]+>', page).group(0)
    for attribute in (
        'role="combobox"',
        'aria-controls="site-q-list"',
        'aria-expanded="false"',
        'aria-autocomplete="list"',
        'data-hx-get="/search/suggestions"',
    ):
        assert attribute in box
    assert '<form class="site-search" role="search" action="/products" method="get">' in page


def test_the_fts_expression_only_holds_quoted_words():
    assert fts_expression("desk lamp") == '"desk"* AND "lamp"*'
    assert fts_expression('"floor lamp" -desk') == '("floor lamp") NOT "desk"*'
    assert fts_expression("a OR b") == '("a"* OR "b"*)'
    assert fts_expression('NEAR( " * ') is None or '"near"*' in fts_expression('NEAR( " * ')
    assert fts_expression("---") is None


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("lmap", "lamp", 1), ("ketle", "kettle", 1), ("lamp", "lamp", 0), ("chair", "stool", 5)],
)
def test_edit_distance_counts_a_swap_as_one(a, b, distance):
    assert edit_distance(a, b, limit=5) == distance


def test_did_you_mean_leaves_known_words(app, shelf):
    with app.app_context():
        assert did_you_mean("lamp") is None
        assert did_you_mean("desk lmap") == "desk lamp"


def test_suggestions_are_rate_limited_per_address(make_app, factory):
    from qkart.extensions import limiter

    factory.product("Desk Lamp")
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    try:
        client = app.test_client()
        one = {"REMOTE_ADDR": "203.0.113.9"}
        codes = [
            client.get("/search/suggestions?q=la", environ_base=one).status_code for _ in range(121)
        ]
        assert codes[:120] == [200] * 120 and codes[120] == 429
        other = client.get("/search/suggestions?q=la", environ_base={"REMOTE_ADDR": "203.0.113.10"})
        assert other.status_code == 200
    finally:
        limiter.reset()
