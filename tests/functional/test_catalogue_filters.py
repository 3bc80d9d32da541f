"""Catalogue filters a shopper can combine: several categories, brands, rating and
stock, each with the number of products it would show; active filters as removable
chips; the next page loaded as the shopper scrolls."""

from __future__ import annotations

import re

import pytest

from tests.conftest import htmx
from tests.functional.test_category_pages import _nest


@pytest.fixture
def shelf(app, factory):
    home = factory.category("Home")
    lamps = factory.category("Lamps")
    _nest(app, lamps, home)
    books = factory.category("Books")
    factory.product("Desk Lamp", price=2_000, category=lamps, brand="Lumo", rating="4.5")
    factory.product("Floor Lamp", price=9_000, category=lamps, brand="Lumo", stock=0)
    factory.product("Wall Lamp", price=3_000, category=lamps, brand="Brite", rating="3.2")
    factory.product("Cookbook", price=1_500, category=books, brand="Penguin", rating="4.8")
    factory.product("Atlas", price=4_000, category=books, brand="Penguin", rating="2.5")
    factory.product("Rug", price=5_000, category=home, rating="4.1")
    return {"home": home, "lamps": lamps, "books": books}


def names(page: str) -> set[str]:
    return set(re.findall(r'class="card-name"[^>]*>([^<]+)<', page))


def facet(page: str, kind: str, key: str) -> tuple[bool, int]:
    """Whether the facet checkbox is ticked, and the count beside it."""
    found = re.search(
        rf'id="{kind}-{key}" name="{kind}" value="[^"]*"( checked)?> '
        rf'<label for="{kind}-{key}">[^<]*<span class="facet-count">\((\d+)\)',
        page,
    )
    assert found, f"no {kind} facet {key}"
    return bool(found.group(1)), int(found.group(2))


def test_several_categories_and_brands_combine(client, shelf):
    page = client.get("/products?category=lamps&category=books").get_data(as_text=True)
    assert names(page) == {"Desk Lamp", "Floor Lamp", "Wall Lamp", "Cookbook", "Atlas"}
    page = client.get("/products?brand=Lumo&brand=Penguin").get_data(as_text=True)
    assert names(page) == {"Desk Lamp", "Floor Lamp", "Cookbook", "Atlas"}
    page = client.get("/products?category=lamps&brand=Lumo&in_stock=1").get_data(as_text=True)
    assert names(page) == {"Desk Lamp"}


def test_each_facet_counts_under_the_other_filters_but_not_its_own(client, shelf):
    page = client.get("/products?brand=Lumo").get_data(as_text=True)
    # Brands ignore the brand filter: choosing a second brand adds to the first.
    assert facet(page, "brand", "lumo") == (True, 2)
    assert facet(page, "brand", "penguin") == (False, 2)
    assert facet(page, "brand", "brite") == (False, 1)
    # Categories count only Lumo products (Home includes its subcategory Lamps).
    assert facet(page, "category", "home") == (False, 2)
    assert "category-books" not in page  # no Lumo books: left out
    assert "In stock only (1)" in page
    assert ">4 stars &amp; up (2)<" in page and ">Any rating (2)<" in page


def test_subcategories_of_a_chosen_category_are_offered(client, shelf):
    page = client.get("/categories/home").get_data(as_text=True)
    assert facet(page, "category", "home") == (True, 4)
    assert 'class="facet-depth-1"><input type="checkbox" id="category-lamps"' in page
    assert facet(page, "category", "lamps") == (False, 3)
    assert "category-lamps" not in client.get("/products").get_data(as_text=True)


def test_category_pages_follow_the_ticked_boxes(client, shelf):
    # The form always sends an empty category first; one box is that category's page.
    one = client.get("/categories/home?category=&category=lamps")
    assert one.headers["Location"] == "/categories/lamps"
    two = client.get("/categories/home?category=&category=lamps&category=books")
    assert two.headers["Location"] == "/products?category=lamps&category=books"
    none = client.get("/categories/home?category=&sort=newest")
    assert none.headers["Location"] == "/products?sort=newest"
    live = client.get(
        "/categories/home?category=&category=books&category=lamps",
        headers=htmx("results", **{"HX-Trigger": "filters"}),
    )
    assert live.headers["HX-Push-Url"] == "/products?category=books&category=lamps"


def test_active_filters_are_chips_that_remove_themselves(client, shelf):
    page = client.get(
        "/products?q=lamp&brand=Lumo&brand=Brite&min_price=10&rating=3&in_stock=1"
    ).get_data(as_text=True)
    chips = dict(
        (label, url.replace("&amp;", "&"))
        for url, label in re.findall(
            r'<a class="chip" href="([^"]+)" aria-label="Remove filter: ([^"]+)"', page
        )
    )
    base = "q=lamp&brand=Lumo&brand=Brite&min_price=10&rating=3&in_stock=1"
    assert chips["“lamp”"] == "/products?" + base.replace("q=lamp&", "")
    assert chips["Lumo"] == "/products?" + base.replace("brand=Lumo&", "")
    assert chips["From $10.00"] == "/products?" + base.replace("min_price=10&", "")
    assert chips["3 stars &amp; up"] == "/products?" + base.replace("rating=3&", "")
    assert chips["In stock"] == "/products?" + base.replace("&in_stock=1", "")
    assert ">Clear all</a>" in page
    assert '<summary class="btn">Filter &amp; sort <span class="chip-count">6' in page


def test_a_category_page_chip_leads_to_the_whole_catalogue(client, shelf):
    page = client.get("/categories/lamps?brand=Lumo").get_data(as_text=True)
    assert 'href="/products?brand=Lumo" aria-label="Remove filter: Lamps"' in page
    assert 'href="/categories/lamps" aria-label="Remove filter: Lumo"' in page


def test_live_updates_refresh_the_counts_but_not_the_search_box(client, shelf):
    response = client.get("/products?brand=Penguin", headers=htmx("results"))
    fragment = response.get_data(as_text=True)
    assert '<div id="facets" data-hx-swap-oob="innerHTML">' in fragment
    assert facet(fragment, "brand", "penguin") == (True, 2)
    assert 'name="q"' not in fragment  # the box being typed in is left alone


def test_too_many_brands_or_an_unknown_category_is_explained(client, shelf):
    many = "&".join(f"brand=B{n}" for n in range(11))
    response = client.get(f"/products?{many}")
    assert response.status_code == 422
    assert "Choose at most 10 brands" in response.get_data(as_text=True)
    response = client.get("/products?category=lamps&category=nope")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="category-error">Choose a category from the list.' in page
    assert "Desk Lamp" in page  # the known category still applies


def test_the_filter_drawer_is_closed_unless_something_needs_fixing(client, shelf):
    page = client.get("/products").get_data(as_text=True)
    assert '<details class="filter-drawer" id="filter-drawer">' in page
    bad = client.get("/products?min_price=abc").get_data(as_text=True)
    assert '<details class="filter-drawer" id="filter-drawer" open>' in bad


def test_scrolling_loads_the_next_page_of_cards(client, factory):
    for n in range(30):
        factory.product(f"Widget {n:02d}")
    page = client.get("/products").get_data(as_text=True)
    assert re.search(
        r'<li class="load-more" id="more-results"><a class="btn" href="/products\?page=2" '
        r'data-hx-get="/products\?page=2" data-hx-trigger="revealed"',
        page,
    )
    more = client.get("/products?page=2", headers=htmx("more-results"))
    fragment = more.get_data(as_text=True)
    assert fragment.count('<li class="card">') == 12
    assert 'href="/products?page=3"' in fragment and "data-hx-swap-oob" not in fragment
    last = client.get("/products?page=3", headers=htmx("more-results")).get_data(as_text=True)
    assert last.count('<li class="card">') == 6 and "more-results" not in last


def test_grid_or_list_is_remembered(client, shelf):
    page = client.get("/products?brand=Lumo").get_data(as_text=True)
    assert '<ul class="grid">' in page
    assert (
        'value="grid" class="btn btn-small" aria-describedby="view-label" aria-pressed="true"'
        in page
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/products/view", data={"csrf_token": token, "view": "list", "next": "/products?brand=Lumo"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/products?brand=Lumo"
    assert "qkart_view=list" in response.headers["Set-Cookie"]
    assert '<ul class="grid grid-list">' in client.get("/products").get_data(as_text=True)
    bad = client.post("/products/view", data={"csrf_token": token, "view": "table"})
    assert bad.status_code == 400
    away = client.post(
        "/products/view",
        data={"csrf_token": token, "view": "grid", "next": "https://evil.example/"},
    )
    assert away.headers["Location"] == "/products"


def test_the_view_choice_needs_a_csrf_token(make_app):
    strict = make_app(WTF_CSRF_ENABLED=True).test_client()
    assert strict.post("/products/view", data={"view": "list"}).status_code == 400


def test_quick_view_is_a_fragment_for_htmx_and_the_page_for_others(client, shelf):
    page = client.get("/products").get_data(as_text=True)
    assert re.search(
        r'<a class="quick-view-link" href="/products/desk-lamp-\d+" '
        r'data-quick-view="/products/desk-lamp-\d+/quick" '
        r'aria-label="Quick view: Desk Lamp" hidden>',
        page,
    )
    slug = re.search(r'data-quick-view="/products/(desk-lamp-\d+)/quick"', page).group(1)
    plain = client.get(f"/products/{slug}/quick")
    assert plain.status_code == 302 and plain.headers["Location"] == f"/products/{slug}"
    fragment = client.get(f"/products/{slug}/quick", headers=htmx("quick-view-body"))
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and '<h2 id="quick-view-name" tabindex="-1">Desk Lamp</h2>' in text
    # Its Add to cart form has ids of its own beside the card's.
    assert re.search(r'<form id="add-\d+-qv"', text) and 'name="where" value="qv"' in text
    assert client.get("/products/nope/quick", headers=htmx("quick-view-body")).status_code == 404


def test_quick_view_add_to_cart_keeps_its_ids(client, shelf):
    page = client.get("/products").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    pid = re.search(r'<form id="add-(\d+)" class="add-to-cart"', page).group(1)
    response = client.post(
        "/cart/items",
        data={
            "csrf_token": token,
            "product_id": pid,
            "quantity": 1,
            "with_quantity": 1,
            "where": "qv",
        },
        headers=htmx(f"add-{pid}-qv"),
    )
    assert f'id="add-{pid}-qv"' in response.get_data(as_text=True)


def test_cards_name_each_product_once_as_a_heading(client, shelf):
    page = client.get("/products").get_data(as_text=True)
    card = re.search(r'<li class="card">.*?</li>', page, re.S).group(0)
    link = re.search(r'<a class="card-link"[^>]*>(.*?)</a>', card, re.S).group(1)
    assert 'alt=""' in link  # the picture does not repeat the name
    assert re.search(r'<h3 class="card-name" id="name-\d+">[^<]+</h3>', link)
