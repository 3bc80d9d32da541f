"""Conditional GET on the shop's public pages, and the pages no cache may keep."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from tests.conftest import count_queries, htmx, login

PAGES = ("/", "/products", "/categories", "/categories/lamps", "/products/{slug}")


@pytest.fixture
def lamp(factory: Any) -> Any:
    lamps = factory.category("Lamps")
    return factory.product("Brass Lamp", price=4_500, stock=9, category=lamps)


def url(page: str, product: Any) -> str:
    return page.format(slug=product.slug)


def etag_of(client: FlaskClient, path: str, **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == "private, no-cache", path
    etag = response.headers["ETag"]
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', etag), etag
    return etag


def again(client: FlaskClient, path: str, etag: str, **headers: str) -> Any:
    return client.get(path, headers={"If-None-Match": etag, **headers})


def set_product(app: Flask, product: Any, **values: Any) -> None:
    """Change a product as staff would, through the ORM (a flush) and commit."""
    from qkart.catalog.models import Product
    from qkart.extensions import db

    with app.app_context():
        row = db.session.get(Product, product.id)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


@pytest.mark.parametrize("page", PAGES)
def test_each_public_page_answers_304_while_nothing_changed(client, lamp, page):
    path = url(page, lamp)
    etag = etag_of(client, path)
    assert etag_of(client, path) == etag  # the same page twice: the same validator
    response = again(client, path, etag)
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "private, no-cache"
    vary = {v.strip() for v in response.headers["Vary"].split(",")}
    assert {"HX-Request", "HX-Target", "HX-History-Restore-Request", "Accept-Encoding"} <= vary


def test_the_catalogue_also_varies_by_the_htmx_trigger(client, lamp):
    response = client.get("/products")
    assert "HX-Trigger" in response.headers["Vary"]


@pytest.mark.parametrize("page", PAGES)
def test_a_price_change_gives_every_page_a_new_validator(app, client, lamp, page):
    path = url(page, lamp)
    etag = etag_of(client, path)
    set_product(app, lamp, price=3_900, featured=True)
    response = again(client, path, etag)
    assert response.status_code == 200
    assert response.headers["ETag"] != etag


def test_the_product_page_shows_the_new_price_and_stock_after_a_change(app, client, lamp):
    path = f"/products/{lamp.slug}"
    etag = etag_of(client, path)
    set_product(app, lamp, price=3_900)
    changed = again(client, path, etag)
    assert changed.status_code == 200 and "$39.00" in changed.get_data(as_text=True)
    etag = changed.headers["ETag"]
    # Checkout takes stock with a bulk UPDATE, not through the ORM's flush.
    from qkart.catalog.models import Product
    from qkart.extensions import db

    with app.app_context():
        db.session.execute(update(Product).where(Product.id == lamp.id).values(stock=2))
        db.session.commit()
    changed = again(client, path, etag)
    assert changed.status_code == 200 and "Only 2 left" in changed.get_data(as_text=True)


def test_a_new_category_changes_the_category_list(client, factory, lamp):
    etag = etag_of(client, "/categories")
    factory.category("Rugs")
    response = again(client, "/categories", etag)
    assert response.status_code == 200 and "Rugs" in response.get_data(as_text=True)


def test_a_staff_setting_changes_the_pages(app, client, lamp):
    from qkart.extensions import db
    from qkart.settings import services as settings

    etag = etag_of(client, "/products")
    with app.app_context():
        settings.save({"QKART_SHOP_NAME": "Lamp Corner"}, actor_id=None)
        db.session.commit()
    response = again(client, "/products", etag)
    assert response.status_code == 200 and "Lamp Corner" in response.get_data(as_text=True)


def test_another_process_with_older_settings_never_matches(app, client, lamp):
    """A process still holding the old settings for its minute gives its own validator."""
    from qkart.extensions import db
    from qkart.settings import services as settings

    etag = etag_of(client, "/products")
    with app.app_context():
        settings.save({"QKART_SHOP_NAME": "Lamp Corner"}, actor_id=None)
        db.session.commit()
    fresh = etag_of(client, "/products")
    cache = app.extensions["qkart_settings"]
    stale = {**cache, "values": {**cache["values"], "QKART_SHOP_NAME": "QKart"}}
    app.extensions["qkart_settings"] = stale
    assert again(client, "/products", fresh).status_code == 200
    assert again(client, "/products", etag).status_code == 200  # new catalogue version


def test_the_cart_badge_is_part_of_the_validator(client, factory, lamp):
    path = f"/products/{lamp.slug}"
    etag = etag_of(client, path)
    added = client.post("/cart/items", data={"product_id": lamp.id, "quantity": 2})
    assert added.status_code == 303
    flashed = again(client, path, etag)  # shows the flashed "Added ..." once, unvalidated
    assert flashed.status_code == 200 and "ETag" not in flashed.headers
    assert "Added Brass Lamp to your cart." in flashed.get_data(as_text=True)
    response = again(client, path, etag)
    assert response.status_code == 200
    assert re.search(r'id="cart-count" class="badge">2<', response.get_data(as_text=True))
    assert again(client, path, response.headers["ETag"]).status_code == 304


def test_one_visitors_cart_leaves_others_pages_current(app, client, lamp):
    path = f"/products/{lamp.slug}"
    etag = etag_of(client, path)
    other = app.test_client()
    assert other.post("/cart/items", data={"product_id": lamp.id, "quantity": 1}).status_code == 303
    assert again(client, path, etag).status_code == 304


def test_a_validator_never_crosses_to_another_visitor(app, client, lamp):
    for page in PAGES:
        path = url(page, lamp)
        etag = etag_of(client, path)
        other = app.test_client()
        assert etag_of(other, path) != etag  # another session: other CSRF tokens
        assert again(other, path, etag).status_code == 200


def test_a_browser_without_its_session_gets_the_page(app, client, lamp):
    etag = etag_of(client, "/products")
    response = again(app.test_client(), "/products", etag)  # cookies lost, cache kept
    assert response.status_code == 200 and 'name="csrf_token"' in response.get_data(as_text=True)


def test_the_htmx_fragment_has_its_own_validator(client, factory, lamp):
    page_etag = etag_of(client, "/products")
    fragment = client.get("/products", headers=htmx("results"))
    assert fragment.status_code == 200
    assert "<html" not in fragment.get_data(as_text=True)
    assert fragment.headers["ETag"] != page_etag
    # The full page's validator never answers a fragment request, nor the other way.
    assert again(client, "/products", page_etag, **htmx("results")).status_code == 200
    assert again(client, "/products", fragment.headers["ETag"]).status_code == 200
    assert (
        again(client, "/products", fragment.headers["ETag"], **htmx("results")).status_code == 304
    )
    typed = again(
        client, "/products", fragment.headers["ETag"], **htmx("results", **{"HX-Trigger": "q"})
    )
    assert typed.status_code == 200 and "HX-Replace-Url" in typed.headers


def test_reviews_fragment_is_keyed_apart_from_the_product_page(client, lamp):
    path = f"/products/{lamp.slug}"
    etag = etag_of(client, path)
    fragment = client.get(path + "?sort=newest", headers=htmx("reviews-list"))
    assert fragment.status_code == 200 and fragment.headers["ETag"] != etag
    assert again(client, path, etag, **htmx("reviews-list")).status_code == 200


def test_a_flashed_message_is_shown_and_never_revalidated(client, lamp):
    etag = etag_of(client, "/products")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Your review is updated.")]
    response = again(client, "/products", etag)
    assert response.status_code == 200 and "ETag" not in response.headers
    assert "Your review is updated." in response.get_data(as_text=True)
    assert again(client, "/products", etag).status_code == 304  # shown once, then as before


def test_the_grid_or_list_choice_changes_the_catalogue(client, lamp):
    etag = etag_of(client, "/products")
    assert (
        client.post("/products/view", data={"view": "list", "next": "/products"}).status_code == 303
    )
    assert again(client, "/products", etag).status_code == 200


def test_a_search_revalidates_and_is_still_counted(app, client, lamp):
    from sqlalchemy import func, select

    from qkart.analytics.models import AnalyticsEvent
    from qkart.extensions import db

    etag = etag_of(client, "/products?q=brass")
    assert again(client, "/products?q=brass", etag).status_code == 304
    with app.app_context():
        searches = db.session.scalar(select(func.count()).where(AnalyticsEvent.kind == "search"))
    assert searches == 2


def test_a_search_that_found_nothing_is_always_answered_afresh(client, lamp):
    response = client.get("/products?q=zzzz")
    assert response.status_code == 200 and "ETag" not in response.headers


def test_a_304_still_records_the_product_view(client, factory, lamp):
    other = factory.product("Oak Shelf", category=factory.category("Shelves"))
    for product in (lamp, other):
        assert client.get(f"/products/{product.slug}").status_code == 200
    etag = etag_of(client, f"/products/{lamp.slug}")  # "recently viewed": the shelf
    assert client.get(f"/products/{other.slug}").status_code == 200
    assert again(client, f"/products/{lamp.slug}", etag).status_code == 304
    home = client.get("/").get_data(as_text=True)
    strip = home[home.index('id="recent-title"') :]
    assert strip.index("Brass Lamp") < strip.index("Oak Shelf")  # the lamp, seen last


def test_a_304_is_cheap(app, client, factory, lamp):
    path = f"/products/{lamp.slug}"
    etag = etag_of(client, path)
    with count_queries(app) as product_queries:
        assert again(client, path, etag).status_code == 304
    etag = etag_of(client, "/products")
    with count_queries(app) as catalogue_queries:
        assert again(client, "/products", etag).status_code == 304
    # A visitor who has seen only this product: its kept page knows the product, so only
    # the analytics event is written. The catalogue reads nothing: its categories are
    # kept, the cart badge of a visitor without a cart needs no query. No rendering.
    assert len(product_queries) == 1, product_queries
    assert product_queries[0].startswith("INSERT INTO analytics_events")
    assert len(catalogue_queries) == 0, catalogue_queries
    # One who has seen another product too: the product, the recently viewed list (it
    # heads it already: the view is not written again) and the event.
    client.get(f"/products/{factory.product('Desk Fan').slug}")
    etag = etag_of(client, path)
    with count_queries(app) as seen_more:
        assert again(client, path, etag).status_code == 304
    assert len(seen_more) == 3, seen_more


def test_signed_in_pages_are_never_stored_or_revalidated(client, factory, lamp):
    anonymous = {url(page, lamp): etag_of(client, url(page, lamp)) for page in PAGES}
    login(client, factory.user())
    for path, etag in anonymous.items():
        response = again(client, path, etag)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        assert "ETag" not in response.headers, path


def test_logging_out_gives_visitors_validators_again(client, factory, lamp):
    login(client, factory.user())
    assert client.post("/logout").status_code == 303
    farewell = client.get("/products")  # the flashed goodbye, once
    assert (
        farewell.headers["Cache-Control"] == "private, no-cache" and "ETag" not in farewell.headers
    )
    etag = etag_of(client, "/products")
    assert again(client, "/products", etag).status_code == 304


# -- no-store: a URL-map test ----------------------------------------------------------

PRIVATE_BLUEPRINTS = (
    "account",
    "admin",
    "auth",
    "cart",
    "checkout",
    "orders",
    "settings",
    "stock_alerts",
    "wallet",
    "wishlist",
)


def private_get_urls(app: Flask) -> list[str]:
    """Every GET URL of the private areas, with made-up values for its parts."""
    samples = {"int": "1", "default": "x", "path": "x"}
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in PRIVATE_BLUEPRINTS or "GET" not in rule.methods:
            continue
        path = rule.rule
        for name, converter in rule._converters.items():
            kind = type(converter).__name__.lower().replace("converter", "")
            value = samples["int"] if "int" in kind or "id" in kind else samples["default"]
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
        urls.append(path)
    return urls


def test_the_url_map_has_private_pages_to_check(app):
    urls = private_get_urls(app)
    for expected in ("/cart", "/checkout", "/account", "/orders", "/login", "/admin/"):
        assert expected in urls
    assert len(urls) > 40


@pytest.mark.parametrize("who", ["visitor", "shopper", "staff"])
def test_every_private_page_says_no_store(app, factory, who):
    client = app.test_client()
    if who != "visitor":
        login(client, factory.user(role="admin" if who == "staff" else "customer"))
    for path in private_get_urls(app):
        response = client.get(path)
        assert response.status_code < 500, path
        assert response.headers["Cache-Control"] == "no-store", (path, response.status_code)
        assert "ETag" not in response.headers, path


def test_signed_in_shop_pages_say_no_store_too(client, factory, lamp):
    login(client, factory.user())
    for page in (*PAGES, "/products?q=brass", "/compare"):
        assert client.get(url(page, lamp)).headers["Cache-Control"] == "no-store", page


# -- several processes share the version ----------------------------------------------


def test_processes_without_redis_share_the_version_through_the_instance_folder(app, make_app, lamp):
    """gunicorn's workers on one machine, beside their SQLite database: a change made by
    one worker is seen by the other, as nothing is shared in memory."""
    other_worker = make_app()
    assert other_worker.instance_path == app.instance_path
    assert app.config["REDIS_URL"] is None
    browser = app.test_client()
    etag = etag_of(browser, f"/products/{lamp.slug}")
    set_product(other_worker, lamp, price=100)
    assert again(browser, f"/products/{lamp.slug}", etag).status_code == 200


def test_no_instance_folder_to_write_means_full_pages(make_app, tmp_path, lamp):
    blocked = tmp_path / "file"
    blocked.write_text("")  # a file where the instance folder should be
    worker = make_app()
    worker.instance_path = str(blocked / "instance")
    worker.extensions.pop("qkart_catalogue_version", None)
    response = worker.test_client().get("/products")
    assert response.status_code == 200 and "ETag" not in response.headers


@pytest.mark.services
def test_processes_sharing_redis_agree_on_the_version(make_app, factory, lamp):
    from redis import Redis

    from qkart.core.http_cache import REDIS_KEY

    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    Redis.from_url(redis_url).delete(REDIS_KEY)
    first, second = make_app(REDIS_URL=redis_url), make_app(REDIS_URL=redis_url)
    browser = first.test_client()
    etag = etag_of(browser, f"/products/{lamp.slug}")
    # The same browser's next request lands on the other process (same session cookie).
    other_process = second.test_client()
    other_process.set_cookie("session", browser.get_cookie("session").value)
    assert again(other_process, f"/products/{lamp.slug}", etag).status_code == 304
    set_product(second, lamp, price=100)  # a change made in the other process
    assert again(browser, f"/products/{lamp.slug}", etag).status_code == 200
    Redis.from_url(redis_url).delete(REDIS_KEY)


@pytest.mark.services
def test_redis_down_means_full_pages_not_errors(make_app, lamp):
    down = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    client = down.test_client()
    response = client.get("/products")
    assert response.status_code == 200 and "ETag" not in response.headers


def test_when_the_database_cannot_say_who_is_signed_in_nothing_is_stored(
    client, factory, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    from qkart.extensions import login_manager

    login(client, factory.user())

    def database_down(user_id: str) -> None:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(login_manager, "_user_callback", database_down)
    response = client.get("/healthz")  # the liveness check reads nothing else
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
