"""The wishlist over HTTP: the heart (htmx and plain posts), the page, move to cart."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import PASSWORD, count_queries, htmx, login


def saved_count(app: Flask, user: Any) -> int:
    from qkart.extensions import db
    from qkart.wishlist.models import WishlistItem

    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(WishlistItem).where(WishlistItem.user_id == user.id)
        )


def heart(page: str, product: Any) -> str:
    """The heart form of ``product`` as the page shows it."""
    match = re.search(rf'<form id="wish-{product.id}".*?</form>', page, re.S)
    assert match, f"no heart for {product.name}"
    return match.group(0)


def save(
    client: FlaskClient,
    product: Any,
    saved: str = "1",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Any:
    data = {"product_id": product.id, "saved": saved, **extra}
    return client.post("/wishlist/items", data=data, headers=headers or {})


@pytest.fixture
def lamp(factory: Any) -> Any:
    return factory.product("Desk Lamp", price=2500, stock=3)


def test_the_heart_swaps_itself_with_htmx(app, client, logged_in, lamp):
    user = logged_in()
    page = client.get(f"/products/{lamp.slug}").get_data(as_text=True)
    button = heart(page, lamp)
    assert 'aria-pressed="false"' in button and "Save Desk Lamp to wishlist" in button
    assert 'data-hx-post="/wishlist/items"' in button

    response = save(client, lamp, headers=htmx(f"wish-{lamp.id}"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'aria-pressed="true"' in heart(body, lamp)
    assert "Remove Desk Lamp from wishlist" in body
    assert re.search(r'id="wishlist-count"[^>]*data-hx-swap-oob="true">1<', body)
    assert "Saved Desk Lamp to your wishlist." in body  # the live region, out of band
    assert "HX-Target" in response.headers["Vary"]
    assert saved_count(app, user) == 1

    response = save(client, lamp, "0", headers=htmx(f"wish-{lamp.id}"))
    body = response.get_data(as_text=True)
    assert 'aria-pressed="false"' in heart(body, lamp) and ">0<" in body
    assert saved_count(app, user) == 0


def test_the_heart_works_without_javascript(app, client, logged_in, lamp):
    user = logged_in()
    response = save(client, lamp, next=f"/products/{lamp.slug}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/products/{lamp.slug}"
    page = client.get(f"/products/{lamp.slug}").get_data(as_text=True)
    assert 'aria-pressed="true"' in heart(page, lamp)
    assert "Saved Desk Lamp to your wishlist." in page
    # The header counts it, and a second press of an old page's button keeps one.
    assert re.search(r'id="wishlist-count" class="badge">1<', page)
    save(client, lamp)
    assert saved_count(app, user) == 1


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "javascript:x"])
def test_only_same_site_pages_are_gone_back_to(client, logged_in, lamp, target):
    logged_in()
    response = save(client, lamp, next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/wishlist"


def test_cards_in_the_catalogue_have_a_heart(client, logged_in, lamp):
    logged_in()
    save(client, lamp)
    page = client.get("/products").get_data(as_text=True)
    button = heart(page, lamp)
    assert 'aria-pressed="true"' in button and 'name="next" value="/products"' in button


def test_a_visitor_is_sent_to_log_in_and_back_to_the_product(app, client, factory, lamp):
    user = factory.user()
    page = client.get(f"/products/{lamp.slug}").get_data(as_text=True)
    assert "Save Desk Lamp to wishlist" in heart(page, lamp)
    assert 'id="wishlist-count"' not in page  # no header link for visitors

    response = save(client, lamp)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/login?next=/products/{lamp.slug}"
    assert saved_count(app, user) == 0
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Log in to save Desk Lamp to your wishlist." in login_page

    # htmx: the login page replaces the whole page, not the button.
    response = save(client, lamp, headers=htmx(f"wish-{lamp.id}"))
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == f"/login?next=/products/{lamp.slug}"

    # Logging in from there comes back to the product, where the heart now saves it.
    back = login(client, user, next=f"/products/{lamp.slug}")
    assert back.headers["Location"] == f"/products/{lamp.slug}"
    assert save(client, lamp, next=back.headers["Location"]).status_code == 303
    assert saved_count(app, user) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"product_id": "abc", "saved": "1"}, "Enter a whole number."),
        ({"saved": "1"}, "Choose a product."),
        ({"product_id": "1", "saved": "maybe"}, "Say whether to save or remove the product."),
        ({"product_id": "1"}, "Say whether to save or remove the product."),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(app, client, logged_in, data, message):
    user = logged_in()
    response = client.post("/wishlist/items", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert saved_count(app, user) == 0


def test_unknown_and_retired_products_cannot_be_saved(app, client, logged_in, factory):
    user = logged_in()
    retired = factory.product("Old Lamp", is_active=False)
    assert (
        client.post("/wishlist/items", data={"product_id": 999999, "saved": "1"}).status_code == 404
    )
    assert save(client, retired).status_code == 404
    assert saved_count(app, user) == 0


def test_the_wishlist_page_lists_price_and_stock(client, logged_in, factory, lamp):
    logged_in()
    sold_out = factory.product("Sold Out Chair", price=9900, stock=0)
    save(client, lamp)
    save(client, sold_out)
    response = client.get("/wishlist")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Desk Lamp" in page and "$25.00" in page and "Only 3 left" in page
    assert "Sold Out Chair" in page and "$99.00" in page and "Out of stock" in page
    assert f'id="move-{lamp.id}"' in page and f'id="move-{sold_out.id}"' not in page
    assert ">Move to cart<" in page and "Remove<span" in page


def test_an_empty_wishlist_says_how_to_fill_it(client, logged_in):
    logged_in()
    page = client.get("/wishlist").get_data(as_text=True)
    assert "Your wishlist is empty" in page


def test_move_to_cart_adds_one_and_removes_it_from_the_wishlist(app, client, logged_in, lamp):
    user = logged_in()
    save(client, lamp)
    response = client.post(f"/wishlist/items/{lamp.id}/move")
    assert response.status_code == 303 and response.headers["Location"] == "/wishlist"
    assert saved_count(app, user) == 0
    assert "Moved Desk Lamp to your cart." in client.get("/wishlist").get_data(as_text=True)
    cart = client.get("/cart").get_data(as_text=True)
    assert "Desk Lamp" in cart and 'value="1"' in cart


def test_move_to_cart_with_htmx_swaps_the_list_and_the_badges(app, client, logged_in, lamp):
    logged_in()
    save(client, lamp)
    response = client.post(f"/wishlist/items/{lamp.id}/move", headers=htmx("wishlist"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "Your wishlist is empty" in body
    assert 'id="cart-count" class="badge" data-hx-swap-oob="true">1<' in body
    assert 'id="wishlist-count" class="badge" data-hx-swap-oob="true">0<' in body


def test_move_to_cart_respects_stock(app, client, logged_in, factory, lamp):
    user = logged_in()
    sold_out = factory.product("Sold Out Chair", stock=0)
    save(client, lamp)
    save(client, sold_out)
    factory.cart_item(user, lamp, 3)  # every lamp left is in the cart already

    response = client.post(f"/wishlist/items/{lamp.id}/move")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Sorry, only 3 of Desk Lamp left in stock." in page
    response = client.post(f"/wishlist/items/{sold_out.id}/move", headers=htmx("wishlist"))
    assert response.status_code == 409
    assert "Sorry, Sold Out Chair is out of stock." in response.get_data(as_text=True)
    assert saved_count(app, user) == 2  # both stay saved
    assert 'value="3"' in client.get("/cart").get_data(as_text=True)


def test_remove_from_the_wishlist_page(app, client, logged_in, lamp):
    user = logged_in()
    save(client, lamp)
    response = save(client, lamp, "0", headers=htmx("wishlist"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your wishlist is empty" in body
    assert saved_count(app, user) == 0


def test_a_retired_product_stays_listed_so_it_can_be_removed(app, client, logged_in, lamp):
    from qkart.catalog.models import Product
    from qkart.extensions import db

    user = logged_in()
    save(client, lamp)
    with app.app_context():
        db.session.get(Product, lamp.id).is_active = False
        db.session.commit()
    page = client.get("/wishlist").get_data(as_text=True)
    assert "No longer sold." in page and f'id="move-{lamp.id}"' not in page
    assert ">0<" in page  # the header counts only what is sold
    assert save(client, lamp, "0").status_code == 303
    assert saved_count(app, user) == 0


def test_one_shopper_cannot_see_anothers_wishlist(app, factory, lamp):
    first, second = app.test_client(), app.test_client()
    login(first, factory.user())
    login(second, factory.user())
    save(first, lamp)
    assert "Your wishlist is empty" in second.get("/wishlist").get_data(as_text=True)
    page = second.get(f"/products/{lamp.slug}").get_data(as_text=True)
    assert 'aria-pressed="false"' in heart(page, lamp)
    assert "Desk Lamp" in first.get("/wishlist").get_data(as_text=True)


def test_visitors_are_asked_to_log_in_for_the_wishlist_page(client):
    response = client.get("/wishlist")
    assert response.status_code == 302
    assert unquote(response.headers["Location"]).startswith("/login?next=/wishlist")


def test_staff_get_no_wishlist_controls(client, factory, lamp):
    login(client, factory.user(role="manager"))
    page = client.get(f"/products/{lamp.slug}").get_data(as_text=True)
    assert 'id="wishlist-count"' not in page and f'id="wish-{lamp.id}"' not in page


def test_the_heart_needs_a_csrf_token(make_app, factory, lamp):
    user = factory.user()
    strict = make_app(WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=form).status_code == 303
    response = client.post("/wishlist/items", data={"product_id": lamp.id, "saved": "1"})
    assert response.status_code == 400
    assert saved_count(strict, user) == 0


def test_wishlist_page_query_count_does_not_grow(app, client, logged_in, factory):
    logged_in()
    products = [factory.product(stock=5) for _ in range(6)]
    save(client, products[0])
    client.get("/wishlist")  # the footer's categories are read once, then kept
    with count_queries(app) as one:
        client.get("/wishlist")
    for product in products[1:]:
        save(client, product)
    with count_queries(app) as six:
        client.get("/wishlist")
    assert len(one) == len(six), six


def test_my_data_has_the_wishlist_and_deleting_the_account_removes_it(app, client, logged_in, lamp):
    from qkart.extensions import db
    from qkart.wishlist.models import RecentlyViewed

    user = logged_in()
    save(client, lamp)
    client.get(f"/products/{lamp.slug}")
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    assert [item["product"] for item in data["wishlist"]] == ["Desk Lamp"]
    assert [view["sku"] for view in data["recently_viewed"]] == [lamp.sku]

    response = client.post("/account/delete", data={"password": PASSWORD, "confirmation": "DELETE"})
    assert response.status_code == 303
    assert saved_count(app, user) == 0
    with app.app_context():
        views = select(func.count()).where(RecentlyViewed.user_id == user.id)
        assert db.session.scalar(views) == 0
