"""Whole shop pages kept for visitors (qkart.blueprints.shop.caching.kept_pages): the next
visitor with the same parts gets the page without it being drawn again, yet with a
CSRF token of their own that works, and nothing of one visitor's reaches another."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import redis
from flask import Flask

from qkart.blueprints.shop.caching import kept_pages
from tests.conftest import count_queries, drawn, htmx

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def shelf(factory: Any) -> list[Any]:
    lamps = factory.category("Lamps")
    return [factory.product(f"Lamp {n}", stock=5, category=lamps) for n in range(3)]


def without_tokens(page: str) -> str:
    page = TOKEN.sub('name="csrf_token" value=""', page)
    return re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', page)


def test_the_next_visitor_gets_the_kept_page_with_a_token_of_their_own(make_app, shelf):
    app = make_app(WTF_CSRF_ENABLED=True)
    first, second = app.test_client(), app.test_client()
    page = first.get("/products").get_data(as_text=True)
    with drawn(app) as templates, count_queries(app) as queries:
        kept = second.get("/products")
    # Nothing drawn, nothing read (the one write is analytics' "session started").
    assert kept.status_code == 200 and templates == []
    assert [q for q in queries if not q.startswith("INSERT INTO analytics_events")] == []
    text = kept.get_data(as_text=True)
    assert "<qk-csrf>" not in text
    assert without_tokens(text) == without_tokens(page)
    mine, theirs = TOKEN.search(text).group(1), TOKEN.search(page).group(1)
    assert mine != theirs
    assert f'"X-CSRFToken": "{mine}"' in text  # htmx's header carries the same token
    added = second.post(
        "/cart/items", data={"csrf_token": mine, "product_id": shelf[0].id, "quantity": 1}
    )
    assert added.status_code == 303
    # The second visitor's badge now counts one: their page is another page.
    with drawn(app) as templates:
        assert '>1<span class="visually-hidden"> item</span>' in second.get("/products").text
    assert templates  # drawn for them, not taken from the first visitor's copy
    refused = second.post(
        "/cart/items", data={"csrf_token": theirs, "product_id": shelf[0].id, "quantity": 1}
    )
    assert refused.status_code == 400  # the first visitor's token is not the second's


def test_a_page_showing_a_flashed_message_is_never_kept(app, client, shelf):
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "A message for this visitor only")]
    assert "for this visitor only" in client.get("/products").get_data(as_text=True)
    other = app.test_client()
    with drawn(app) as templates:
        assert "for this visitor only" not in other.get("/products").get_data(as_text=True)
    assert templates  # nothing was kept from the page with the message
    assert "for this visitor only" not in client.get("/products").get_data(as_text=True)


def test_pages_asked_differently_are_kept_apart(app, client, shelf):
    full = client.get("/products").get_data(as_text=True)
    fragment = client.get("/products", headers=htmx("results")).get_data(as_text=True)
    assert full.startswith("<!doctype html>") and "<html" not in fragment
    assert client.get("/products").get_data(as_text=True).startswith("<!doctype html>")
    client.set_cookie("qkart_view", "list")
    assert "grid-list" in client.get("/products").get_data(as_text=True)
    client.delete_cookie("qkart_view")
    assert "grid-list" not in client.get("/products").get_data(as_text=True)


def test_a_staff_change_gives_the_next_visitor_a_fresh_page(app, client, factory, shelf):
    client.get("/products")
    factory.product("Lamp new")
    assert "Lamp new" in app.test_client().get("/products").get_data(as_text=True)


def test_kept_pages_are_shared_between_processes_through_redis(make_app, shelf):
    redis.Redis.from_url(REDIS_URL).flushdb()
    one, other = make_app(REDIS_URL=REDIS_URL), make_app(REDIS_URL=REDIS_URL)
    page = one.test_client().get("/products").get_data(as_text=True)
    other.test_client().get("/")  # settings and the category tree, read once per process
    with drawn(other) as templates:
        text = other.test_client().get("/products").get_data(as_text=True)
    assert templates == [] and without_tokens(text) == without_tokens(page)
    assert len(kept_pages(other)) >= 1


def _events(app: Flask) -> list[tuple[str, Any]]:
    from sqlalchemy import select

    from qkart.analytics.models import AnalyticsEvent
    from qkart.extensions import db

    with app.app_context():
        rows = db.session.scalars(select(AnalyticsEvent).order_by(AnalyticsEvent.id)).all()
        return [(r.kind, r.product_id or r.data) for r in rows if r.kind != "session.started"]


def test_a_kept_search_or_product_page_still_counts_the_visit(app, shelf):
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        assert "Lamp 1" in client.get("/products?q=lamp").get_data(as_text=True)
        assert client.get(f"/products/{shelf[1].slug}").status_code == 200
    with drawn(app) as templates, count_queries(app) as queries:
        app.test_client().get("/products?q=lamp")
        app.test_client().get(f"/products/{shelf[1].slug}")
    assert templates == []  # both kept: nothing drawn, nothing loaded but the events
    assert [q for q in queries if not q.startswith("INSERT INTO analytics_events")] == []
    events = _events(app)
    assert len(events) == 6 and events[:2] == events[2:4] == events[4:]
    searched, viewed = events[0], events[1]
    assert searched[0] == "search" and searched[1]["q"] == "lamp" and searched[1]["results"] == 3
    assert viewed == ("product.viewed", shelf[1].id)


def test_a_search_that_found_nothing_is_never_kept(app, shelf):
    app.test_client().get("/products?q=zebra")
    with drawn(app) as templates:
        app.test_client().get("/products?q=zebra")
    assert templates  # "did you mean" is answered afresh


def test_an_entry_of_another_shape_is_no_kept_page(app, client, shelf):
    """Whatever sits under a page's key and is not a kept page (a release that stored
    them otherwise) is drawn over, never answered as an empty page."""
    from qkart.blueprints.shop import caching

    client.get("/products")
    store = kept_pages(app)
    with store._lock:
        for key in list(store._local):
            store._local[key] = '{"body": "<p>old</p>", "headers": []}'
    with drawn(app) as templates:
        page = app.test_client().get("/products").get_data(as_text=True)
    assert templates and "Lamp 1" in page
    assert caching.PAGE_PREFIX.endswith(":2:")
