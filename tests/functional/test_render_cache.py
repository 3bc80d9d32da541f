"""Cards and catalogue reads drawn once and reused (qkart.blueprints.shop.cards,
qkart.catalog.cache, qkart.core.fragments): what a shopper sees never goes stale, one
visitor's or locale's or view's page never leaks into another's, and a kept card is
exactly the card the template draws."""

from __future__ import annotations

import os
import re

import pytest
from flask import render_template_string
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from qkart.blueprints.shop.cards import CSRF_HOLE, NEXT_HOLE, product_cards
from qkart.catalog.cache import catalog_cache
from qkart.catalog.models import Category, Product
from qkart.core.fragments import FragmentCache, fragments
from qkart.extensions import db
from qkart.settings import services as settings
from tests.conftest import count_queries, login

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def staff(app, factory):
    client = app.test_client()
    login(client, factory.user("cards@example.com", role="manager"))
    return client


def _card(page: str, name: str) -> str:
    """The <li class="card"> of the product called ``name``."""
    for card in re.findall(r'<li class="card">.*?</li>\n', page, re.S):
        if f">{name}</h3>" in card:
            return card
    raise AssertionError(f"no card for {name}")


def test_catalogue_reads_are_flat_in_page_size_and_kept_until_the_catalogue_changes(
    app, client, factory
):
    for n in range(50):
        factory.product(f"Gadget {n}")
    client.get("/")  # categories are read on the first page, then kept
    cold, warm = [], []
    for per_page in (12, 48):
        with count_queries(app) as first:
            assert client.get(f"/products?per_page={per_page}").status_code == 200
        with count_queries(app) as again:
            assert client.get(f"/products?per_page={per_page}").status_code == 200
        cold.append(len(first))
        warm.append(len(again))
    # First visit: the count, the page, three grouped facet counts. After that the
    # visitor's page is kept whole (caching.kept_pages) until the catalogue changes.
    assert cold == [5, 5], cold
    assert warm == [0, 0], warm
    factory.product("Gadget new")  # a commit that adds a product: a new generation
    with count_queries(app) as changed:
        page = client.get("/products?per_page=48").get_data(as_text=True)
    assert len(changed) == 6  # the categories again, then the five of a first visit
    assert "Showing 1–48 of 51 products" in page


def test_a_staff_price_stock_and_name_change_shows_on_the_next_catalogue_page(
    app, client, staff, factory
):
    lamp = factory.product("Walnut Lamp", price=4990, stock=40)
    factory.product("Oak Stool", price=2500, stock=9)
    before = _card(client.get("/products").get_data(as_text=True), "Walnut Lamp")
    assert "$49.90" in before and "In stock" in before
    quick = {f"price-{lamp.id}": "39.00", f"stock-{lamp.id}": "3"}
    assert staff.post(f"/admin/products/{lamp.id}/quick", data=quick).status_code == 303
    after = _card(client.get("/products").get_data(as_text=True), "Walnut Lamp")
    assert "$39.00" in after and "Only 3 left" in after and "$49.90" not in after
    assert staff.post(f"/admin/products/{lamp.id}/quick", data={f"stock-{lamp.id}": "0"})
    sold_out = _card(client.get("/products").get_data(as_text=True), "Walnut Lamp")
    assert "Out of stock" in sold_out and ">Notify me<" in sold_out
    with app.app_context():
        db.session.get(Product, lamp.id).name = "Walnut Table Lamp"
        db.session.commit()
    page = client.get("/products").get_data(as_text=True)
    assert ">Walnut Table Lamp</h3>" in page and ">Walnut Lamp</h3>" not in page


def test_an_unpublished_product_leaves_the_kept_listing_and_its_counts(app, client, factory):
    lamp = factory.product("Walnut Lamp")
    factory.product("Oak Stool")
    assert "Showing 1–2 of 2 products" in client.get("/products").get_data(as_text=True)
    with app.app_context():
        db.session.get(Product, lamp.id).is_active = False
        db.session.commit()
    page = client.get("/products").get_data(as_text=True)
    assert "Showing 1–1 of 1 product" in page and "Walnut Lamp" not in page


def test_a_renamed_category_shows_in_the_footer_filters_and_cards(app, client, staff, factory):
    category = factory.category("Lighting")
    factory.product("Walnut Lamp", category=category)
    page = client.get("/products").get_data(as_text=True)
    assert page.count(">Lighting<") >= 1 and "Lamps &amp; Lights" not in page
    edit = {"name": "Lamps & Lights", "slug": category.slug, "parent_id": ""}
    assert staff.post(f"/admin/categories/{category.id}", data=edit).status_code == 303
    page = client.get("/products").get_data(as_text=True)
    assert '<p class="card-category">Lamps &amp; Lights</p>' in page
    footer = page[page.index('<footer class="site-footer">') :]
    assert ">Lamps &amp; Lights</a>" in footer and ">Lighting<" not in page


def test_another_locale_gets_its_own_cards(app, client, factory):
    factory.product("Walnut Lamp", price=123456)
    assert "$1,234.56" in _card(client.get("/products").get_data(as_text=True), "Walnut Lamp")
    with app.app_context():
        settings.save({"QKART_LOCALE": "de_DE"}, actor_id=None)
        db.session.commit()
        settings.forget()
    german = _card(client.get("/products").get_data(as_text=True), "Walnut Lamp")
    assert "1.234,56\xa0$" in german and "$1,234.56" not in german


def test_grid_and_list_views_are_not_mixed_up(client, factory):
    for n in range(3):
        factory.product(f"Gadget {n}")
    grid = client.get("/products").get_data(as_text=True)
    client.set_cookie("qkart_view", "list")
    listed = client.get("/products").get_data(as_text=True)
    client.delete_cookie("qkart_view")
    grid_again = client.get("/products").get_data(as_text=True)
    assert '<ul class="grid">' in grid and 'class="grid grid-list"' not in grid
    assert '<ul class="grid grid-list">' in listed
    assert '<ul class="grid">' in grid_again and 'aria-pressed="true">Grid<' in grid_again


def test_each_visitor_gets_their_own_token_and_way_back_in_kept_cards(app, factory):
    factory.product("Walnut Lamp", stock=5)
    one, two = app.test_client(), app.test_client()
    first = one.get("/products?sort=newest").get_data(as_text=True)
    second = two.get("/products?sort=price_asc").get_data(as_text=True)
    token_one = re.search(r'name="csrf_token" value="([^"]+)"', first).group(1)
    token_two = re.search(r'name="csrf_token" value="([^"]+)"', second).group(1)
    assert token_one != token_two
    assert all(t == token_one for t in re.findall(r'name="csrf_token" value="([^"]+)"', first))
    assert '<input type="hidden" name="next" value="/products?sort=price_asc">' in second
    assert "<qk-" not in first + second


def test_a_shoppers_saved_heart_is_theirs_alone(app, client, factory, logged_in):
    lamp = factory.product("Walnut Lamp", stock=5)
    visitor = app.test_client()
    logged_in()
    client.post("/wishlist/items", data={"product_id": lamp.id, "saved": "1"})
    mine = _card(client.get("/products").get_data(as_text=True), "Walnut Lamp")
    theirs = _card(visitor.get("/products").get_data(as_text=True), "Walnut Lamp")
    assert 'aria-pressed="true"' in mine and "Remove Walnut Lamp from wishlist" in mine
    assert 'aria-pressed="false"' in theirs and "Save Walnut Lamp to wishlist" in theirs


def _with_category():
    return select(Product).join(Product.category).options(contains_eager(Product.category))


# The card as the template draws it with the page's own context, before any caching.
FRESH = (
    "{% for product in products %}{% set loading = loadings[loop.index0] %}"
    '{% include "shop/_product_card.html" %}{% endfor %}'
)


def _fresh_and_kept(app, path: str, **login_as) -> tuple[str, str, str]:
    with app.test_request_context(path, **login_as):
        products = db.session.scalars(_with_category().order_by(Product.id)).all()
        loadings = ["high", "eager", "eager", "eager", "lazy", "lazy"][: len(products)]
        fresh = render_template_string(FRESH, products=products, loadings=loadings)
        first = str(product_cards(products))
        again = str(product_cards(products))
    return fresh, first, again


@pytest.mark.parametrize("stock", [0, 3, 40])
def test_a_kept_card_is_the_card_the_template_draws(app, factory, stock):
    for n in range(6):
        factory.product(f"Gadget {n}", stock=stock, price=1999 + n)
    fragments(app).clear()
    fresh, first, again = _fresh_and_kept(app, "/products?page=1")
    assert len(fragments(app)) == 6  # drawn once, then read back
    assert first == again == fresh
    assert CSRF_HOLE not in first and NEXT_HOLE not in first


def test_a_kept_card_for_a_shopper_and_for_staff_is_the_one_the_template_draws(app, factory):
    from flask_login import login_user, logout_user

    lamp = factory.product("Walnut Lamp", stock=5)
    shopper = factory.user("saver@example.com")
    manager = factory.user("boss@example.com", role="manager")
    from qkart.wishlist import services as wishlist

    with app.app_context():
        wishlist.save_product(shopper.id, lamp.id)
        db.session.commit()
    for user in (shopper, manager):
        with app.test_request_context("/products"):
            login_user(db.session.get(type(user), user.id))
            products = db.session.scalars(_with_category()).all()
            fresh = render_template_string(FRESH, products=products, loadings=["high"])
            kept = [str(product_cards(products)) for _ in range(2)]
            logout_user()
        assert kept == [fresh, fresh]
        assert ("Remove Walnut Lamp from wishlist" in fresh) is (user is shopper)


def test_cards_are_shared_through_redis_and_survive_redis_being_down(app, factory):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    one, other = FragmentCache(REDIS_URL), FragmentCache(REDIS_URL)
    one.set_many({"card:test-1": "<li>one</li>"})
    assert other.get_many(["card:test-1", "card:test-2"]) == {"card:test-1": "<li>one</li>"}
    assert len(other) == 1  # now kept in this process too
    down = FragmentCache("redis://127.0.0.1:1/0")
    down.set_many({"card:test-3": "<li>three</li>"})  # logged, kept here, never raised
    assert down.get_many(["card:test-3", "card:test-4"]) == {"card:test-3": "<li>three</li>"}
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_with_redis_a_change_in_one_process_shows_at_once_in_another(app, make_app, factory):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    lamp = factory.product("Walnut Lamp", price=4990)
    reader, writer = make_app(REDIS_URL=REDIS_URL), make_app(REDIS_URL=REDIS_URL)
    shopper = reader.test_client()
    assert "$49.90" in _card(shopper.get("/products").get_data(as_text=True), "Walnut Lamp")
    with writer.app_context():
        db.session.get(Product, lamp.id).price = 2990
        db.session.get(Category, lamp.category_id).name = "Desk Lights"
        db.session.commit()
        assert catalog_cache(writer).generation() >= 1
    page = shopper.get("/products").get_data(as_text=True)
    assert "$29.90" in _card(page, "Walnut Lamp") and ">Desk Lights<" in page
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_without_redis_a_change_in_another_process_shows_at_once(app, make_app, factory):
    factory.product("Walnut Lamp")
    reader = make_app()  # another process (a second gunicorn worker) on the same instance
    shopper = reader.test_client()
    assert "Showing 1–1 of 1 product" in shopper.get("/products").get_data(as_text=True)
    factory.product("Oak Stool")  # written through the first app: the version file moves on
    assert "Showing 1–2 of 2 products" in shopper.get("/products").get_data(as_text=True)


def test_without_redis_two_workers_give_one_visitor_the_same_validator(app, make_app, factory):
    """Each worker counts its own changes; a visitor's ETag must not depend on which
    worker answered (else a repeat visit is a 304 only by luck)."""
    factory.product("Walnut Lamp")
    factory.product("Oak Stool")  # the first worker's own counter moves on, not the other's
    first, second = app.test_client(), make_app().test_client()
    etag = first.get("/products").headers["ETag"]
    name = app.config["SESSION_COOKIE_NAME"]
    second.set_cookie(name, first.get_cookie(name).value)
    assert second.get("/products", headers={"If-None-Match": etag}).status_code == 304


def test_without_redis_kept_listings_outlive_changes_outside_the_catalogue(app, client, factory):
    """Pages' validators follow every shown table (reviews, recommendations, settings);
    the kept listings only products, categories and pictures."""
    from qkart.core import http_cache

    factory.product("Walnut Lamp")
    client.get("/products")
    with app.app_context():
        http_cache._store(app).bump()  # say, recommendations recomputed by a job
    with count_queries(app) as statements:
        assert client.get("/products").status_code == 200
    assert not [q for q in statements if "FROM categories" in q], statements


def test_without_a_version_file_another_process_shows_within_the_ttl(
    app, make_app, factory, monkeypatch
):
    import time
    from types import SimpleNamespace

    from qkart.catalog import cache
    from qkart.core import http_cache

    factory.product("Walnut Lamp")
    reader = make_app()
    monkeypatch.setattr(http_cache.FileVersionStore, "read", lambda self: None)  # unwritable
    shopper = reader.test_client()
    assert "Showing 1–1 of 1 product" in shopper.get("/products").get_data(as_text=True)
    factory.product("Oak Stool")
    assert "Showing 1–1 of 1 product" in shopper.get("/products").get_data(as_text=True)
    later = time.monotonic() + cache.LOCAL_TTL + 1
    monkeypatch.setattr(cache, "time", SimpleNamespace(monotonic=lambda: later))
    assert "Showing 1–2 of 2 products" in shopper.get("/products").get_data(as_text=True)


def test_without_redis_a_category_added_in_another_process_opens_at_once(app, make_app, factory):
    factory.product("Walnut Lamp")
    reader = make_app()
    shopper = reader.test_client()
    assert shopper.get("/products").status_code == 200  # its categories are kept now
    garden = factory.category("Garden")
    factory.product("Rake", category=garden)
    page = shopper.get("/categories/garden")
    assert page.status_code == 200 and ">Rake</h3>" in page.get_data(as_text=True)
    filtered = shopper.get("/products?category=garden&category=general")
    assert filtered.status_code == 200 and "Rake" in filtered.get_data(as_text=True)
    assert shopper.get("/categories/no-such-thing").status_code == 404


def test_a_catalogue_commit_moves_the_generation_before_the_page_version(app, factory, monkeypatch):
    """Else a request between the two could keep an old listing under the new validator."""
    from qkart.core import http_cache

    factory.product("Walnut Lamp")
    renewed: list[str] = []
    bump = http_cache.FileVersionStore.bump

    def noting(store):
        renewed.append(store._path.name)
        bump(store)

    monkeypatch.setattr(http_cache.FileVersionStore, "bump", noting)
    factory.product("Oak Stool")
    assert renewed[:2] == ["catalog-generation", "catalogue-version"], renewed
