"""Catalogue URLs a shopper can share and go back through: tidy (no empty fields),
category pages stay category pages, live updates keep the title, heading and count
right, typing replaces the history entry, numbered pages, 404 past the end."""

from __future__ import annotations

import re

import pytest

from tests.conftest import htmx


@pytest.fixture
def shelf(factory):
    lighting = factory.category("Lighting")
    seating = factory.category("Seating")
    for n in range(3):
        factory.product(f"Desk Lamp {n}", price=2_000 + n, category=lighting)
    factory.product("Oak Chair", price=9_000, category=seating)
    return {"lighting": lighting, "seating": seating}


def test_a_plain_form_submit_loses_its_empty_fields(client, shelf):
    response = client.get("/products?q=lamp&category=&min_price=&max_price=&rating=&sort=relevance")
    assert response.status_code == 302
    assert response.headers["Location"] == "/products?q=lamp"
    assert client.get("/products?q=lamp").status_code == 200


def test_a_category_page_stays_a_category_url(client, shelf):
    page = client.get("/categories/lighting?sort=price_desc")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'action="/categories/lighting"' in text and "Oak Chair" not in text
    moved = client.get("/categories/lighting?category=seating&q=&sort=price_asc")
    assert moved.headers["Location"] == "/categories/seating?sort=price_asc"
    same = client.get("/categories/lighting?category=lighting&sort=newest")
    assert same.headers["Location"] == "/categories/lighting?sort=newest"
    everything = client.get("/categories/lighting?category=&q=oak")
    assert everything.headers["Location"] == "/products?q=oak"


def test_live_updates_say_where_they_are(client, shelf):
    response = client.get(
        "/categories/lighting?category=seating&q=&sort=price_asc",
        headers=htmx("results", **{"HX-Trigger": "filters"}),
    )
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/categories/seating?sort=price_asc"
    fragment = response.get_data(as_text=True)
    assert "<title>Seating · QKart</title>" in fragment
    assert '<h1 id="listing-title" data-hx-swap-oob="true">Seating</h1>' in fragment
    assert re.search(r'id="result-status"[^>]*>1 product found<', fragment)
    typed = client.get(
        "/products?q=lamp&min_price=", headers=htmx("results", **{"HX-Trigger": "q"})
    )
    assert typed.headers["HX-Replace-Url"] == "/products?q=lamp"
    assert "HX-Push-Url" not in typed.headers
    assert "Results for “lamp”" in typed.get_data(as_text=True)


def test_the_result_count_is_a_small_live_region(client, shelf):
    page = client.get("/products").get_data(as_text=True)
    assert '<div id="results" class="results">' in page  # the grid is not re-read
    assert re.search(r'<p id="result-status" class="visually-hidden" role="status">', page)


def test_numbered_pages_and_404_past_the_end(client, factory):
    for n in range(13 * 12):
        factory.product(f"Widget {n:03d}")
    page = client.get("/products?page=7").get_data(as_text=True)
    shown = re.findall(r'<span class="visually-hidden">Page </span>(\d+)</a>', page)
    assert shown == ["1", "5", "6", "7", "8", "9", "13"]
    assert 'aria-current="page"><span class="visually-hidden">Page </span>7<' in page
    assert page.count('class="pager-gap"') == 2
    assert 'href="/products"' in page  # page 1 has no page parameter
    assert client.get("/products?page=13").status_code == 200
    assert client.get("/products?page=14").status_code == 404
    assert client.get("/products?q=nothing-like-this&page=2").status_code == 404
    assert client.get("/products?q=nothing-like-this").status_code == 200


def test_a_lowest_price_above_the_highest_says_so(client, shelf):
    response = client.get("/products?min_price=50&max_price=10")
    assert response.status_code == 422
    assert "The highest price must be at least the lowest price." in response.get_data(as_text=True)
