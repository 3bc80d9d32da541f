"""Cart actions over HTTP: JS-off forms (303), htmx fragments, refusals (4xx)."""

from sqlalchemy import select

from qkart.cart.models import CartItem
from qkart.extensions import db
from tests.conftest import htmx, login


def _lines(app):
    with app.app_context():
        return {i.product_id: i.quantity for i in db.session.scalars(select(CartItem))}


def test_visitor_adds_to_cart_without_javascript(app, client, factory):
    product = factory.product("Watch", price=6000, stock=5)
    response = client.post(
        "/cart/items",
        data={"product_id": product.id, "quantity": 2},
        headers={"Referer": "http://localhost/products?q=watch"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/products?q=watch"
    assert "Added Watch to your cart." in client.get("/products?q=watch").get_data(as_text=True)
    page = client.get("/cart").get_data(as_text=True)
    assert "Watch" in page and "$120.00" in page
    assert _lines(app) == {product.id: 2}


def test_add_from_another_site_referer_goes_to_cart(client, factory):
    product = factory.product(stock=5)
    response = client.post(
        "/cart/items",
        data={"product_id": product.id},
        headers={"Referer": "https://evil.example/x"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/cart"


def test_add_with_htmx_swaps_the_button_and_the_badge(client, factory):
    product = factory.product("Lamp", stock=5)
    response = client.post(
        "/cart/items", data={"product_id": product.id}, headers=htmx(f"add-{product.id}")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in page
    assert f'id="add-{product.id}"' in page and "Added to cart." in page
    assert 'id="cart-count" class="badge" data-hx-swap-oob="true">1<' in page
    # Said once on screen (beside the button); screen readers hear it from a live
    # region that is not drawn, so nothing on the page moves.
    assert (
        '<div id="news" data-hx-swap-oob="innerHTML">' in page
        and "Added Lamp to your cart." in page
    )
    assert 'id="toast"' not in page and 'id="flash"' not in page


def test_a_page_shown_again_asks_for_the_cart_count(client, factory):
    product = factory.product("Lamp", stock=5)
    client.post("/cart/items", data={"product_id": product.id, "quantity": 2})
    response = client.get("/cart/badge")
    assert response.headers["Cache-Control"] == "no-store"
    assert 'id="cart-count" class="badge" data-hx-swap-oob="true">2<' in response.get_data(
        as_text=True
    )


def test_add_from_the_product_page_with_htmx_keeps_the_quantity_field(client, factory):
    product = factory.product("Lamp", stock=5)
    response = client.post(
        "/cart/items",
        data={"product_id": product.id, "quantity": 2, "with_quantity": "1"},
        headers=htmx(f"add-{product.id}"),
    )
    assert f'id="qty-{product.id}"' in response.get_data(as_text=True)


def test_quantity_above_stock_is_refused_with_a_message(app, client, factory):
    product = factory.product("Pendant", stock=3)
    response = client.post("/cart/items", data={"product_id": product.id, "quantity": 4})
    assert response.status_code == 409
    assert "only 3 of Pendant left" in response.get_data(as_text=True)
    assert _lines(app) == {}
    response = client.post(
        "/cart/items",
        data={"product_id": product.id, "quantity": 4},
        headers=htmx(f"add-{product.id}"),
    )
    assert response.status_code == 409
    assert "only 3 of Pendant left" in response.get_data(as_text=True)


def test_bad_quantities_are_422_and_write_nothing(app, client, factory):
    product = factory.product(stock=3)
    for quantity in ("abc", "-1", "0", "1e9", "", "2.5"):
        response = client.post("/cart/items", data={"product_id": product.id, "quantity": quantity})
        assert response.status_code == 422, quantity
    assert _lines(app) == {}


def test_unknown_or_bad_product_ids(client, factory):
    assert client.post("/cart/items", data={"product_id": 999999}).status_code == 404
    assert client.post("/cart/items", data={"product_id": "abc"}).status_code == 422
    assert client.post("/cart/items", data={}).status_code == 422
    assert client.post("/cart/items/999999", data={"quantity": 1}).status_code == 404
    assert client.post("/cart/items/abc", data={"quantity": 1}).status_code == 404


def test_change_quantity_and_remove_without_javascript(app, client, factory):
    product = factory.product("Book", price=1500, stock=10)
    client.post("/cart/items", data={"product_id": product.id})
    response = client.post(f"/cart/items/{product.id}", data={"quantity": 4})
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert _lines(app) == {product.id: 4}
    response = client.post(f"/cart/items/{product.id}", data={"quantity": 0})
    assert response.status_code == 303
    assert _lines(app) == {}
    assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)


def test_change_quantity_with_htmx_updates_lines_totals_and_badge(client, factory):
    product = factory.product("Book", price=1500, stock=10)
    client.post("/cart/items", data={"product_id": product.id})
    response = client.post(f"/cart/items/{product.id}", data={"quantity": 3}, headers=htmx("cart"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in page
    assert 'id="cart-subtotal">$45.00<' in page
    assert 'id="cart-total">$50.00<' in page  # $5.00 shipping under $100
    assert 'data-hx-swap-oob="true">3<' in page


def test_quantity_over_stock_in_cart_explains_beside_the_line(app, client, factory):
    product = factory.product("Racquet", stock=2)
    client.post("/cart/items", data={"product_id": product.id})
    response = client.post(f"/cart/items/{product.id}", data={"quantity": 5}, headers=htmx("cart"))
    assert response.status_code == 409
    assert "only 2 of Racquet left" in response.get_data(as_text=True)
    assert _lines(app) == {product.id: 1}
    response = client.post(f"/cart/items/{product.id}", data={"quantity": "lots"})
    assert response.status_code == 422
    assert "Enter a whole number." in response.get_data(as_text=True)


def test_visitor_cart_is_merged_on_login_and_survives_logout(app, client, factory):
    user = factory.user()
    product = factory.product(stock=10)
    client.post("/cart/items", data={"product_id": product.id, "quantity": 2})
    login(client, user)
    assert "2<span" in client.get("/cart").get_data(as_text=True)
    client.post("/logout")
    assert 'id="cart-count" class="badge">0<' in client.get("/").get_data(as_text=True)
    login(client, user)
    assert 'id="cart-count" class="badge">2<' in client.get("/").get_data(as_text=True)


def test_cart_survives_a_new_tab(app, client, factory):
    product = factory.product(stock=10)
    client.post("/cart/items", data={"product_id": product.id})
    # A new tab shares the cookie jar; the cart is on the server, not in the page.
    assert 'id="cart-count" class="badge">1<' in client.get("/products").get_data(as_text=True)


def test_one_visitors_cart_is_not_anothers(app, factory):
    product = factory.product(stock=10)
    first, second = app.test_client(), app.test_client()
    first.post("/cart/items", data={"product_id": product.id, "quantity": 3})
    assert "Your cart is empty" in second.get("/cart").get_data(as_text=True)


def test_cart_page_query_count_does_not_grow_with_lines(app, client, factory):
    from tests.conftest import count_queries

    products = [factory.product(stock=10) for _ in range(8)]
    client.post("/cart/items", data={"product_id": products[0].id})
    client.get("/cart")  # the footer's categories are read once, then kept
    with count_queries(app) as one_line:
        client.get("/cart")
    for product in products[1:]:
        client.post("/cart/items", data={"product_id": product.id})
    with count_queries(app) as eight_lines:
        client.get("/cart")
    # The cart and its lines, the checkout draft, delivery options, tax rates.
    assert len(one_line) == len(eight_lines) <= 5, eight_lines


def test_a_signed_in_cart_page_reads_the_wallet_once(app, client, factory, logged_in):
    """The checkout summary and the header both show the balance: one read for both."""
    from tests.conftest import count_queries

    logged_in(wallet=100_000)
    client.post("/cart/items", data={"product_id": factory.product(stock=10).id})
    client.get("/cart")
    with count_queries(app) as statements:
        page = client.get("/cart").get_data(as_text=True)
    assert "$1,000.00" in page
    # (The kept page's own check of the shopper's rows reads it too, in its one statement.)
    assert len([q for q in statements if q.startswith("SELECT wallets")]) == 1, statements


def test_a_retired_product_in_the_cart_can_be_removed(app, client, factory, logged_in):
    from qkart.catalog.models import Product

    user = logged_in(wallet=100_000)
    address = factory.address(user)
    keep = factory.product("Keeper", price=2000, stock=5)
    old = factory.product("Old Lamp", price=3000, stock=5)
    factory.cart_item(user, keep, 1)
    factory.cart_item(user, old, 1)
    with app.app_context():
        db.session.execute(
            Product.__table__.update().where(Product.id == old.id).values(is_active=False)
        )
        db.session.commit()
    page = client.get("/cart").get_data(as_text=True)
    assert "No longer sold" in page and 'id="cart-subtotal">$20.00<' in page
    assert 'id="cart-count" class="badge">1<' in page
    refused = client.post(
        "/checkout",
        data={"address_id": address.id, "payment_method": "wallet", "checkout_key": "r"},
    )
    assert refused.status_code == 409 and "Old Lamp is no longer sold" in refused.get_data(
        as_text=True
    )
    response = client.post(f"/cart/items/{old.id}", data={"quantity": 0}, headers=htmx("cart"))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="line-name-' + str(old.id) not in fragment
    assert "Removed Old Lamp from your cart." in fragment  # only the news names it
    placed = client.post(
        "/checkout",
        data={"address_id": address.id, "payment_method": "wallet", "checkout_key": "r2"},
    )
    assert placed.status_code == 303


def test_changing_a_line_is_announced_and_removing_says_where_focus_goes(client, factory):
    import json as _json

    lamp = factory.product("Lamp", price=1_000, stock=5)
    vase = factory.product("Vase", price=2_000, stock=5)
    rug = factory.product("Rug", price=3_000, stock=5)
    for p in (lamp, vase, rug):
        client.post("/cart/items", data={"product_id": p.id, "quantity": 1})
    more = client.post(f"/cart/items/{vase.id}", data={"quantity": 2}, headers=htmx("cart"))
    text = more.get_data(as_text=True)
    assert '<div id="news" data-hx-swap-oob="innerHTML">' in text
    assert "Vase: quantity 2. Total" in text
    assert "HX-Trigger-After-Settle" not in more.headers
    gone = client.post(f"/cart/items/{vase.id}", data={"quantity": 0}, headers=htmx("cart"))
    assert "Removed Vase from your cart. Total" in gone.get_data(as_text=True)
    focus = _json.loads(gone.headers["HX-Trigger-After-Settle"])["qkart:focus"]
    assert focus == f"#line-name-{rug.id}"  # the line that took its place
    last = client.post(f"/cart/items/{rug.id}", data={"quantity": 0}, headers=htmx("cart"))
    assert _json.loads(last.headers["HX-Trigger-After-Settle"])["qkart:focus"] == (
        f"#line-name-{lamp.id}"
    )
    empty = client.post(f"/cart/items/{lamp.id}", data={"quantity": 0}, headers=htmx("cart"))
    assert _json.loads(empty.headers["HX-Trigger-After-Settle"])["qkart:focus"] == "#cart-empty"
    assert 'id="cart-empty" tabindex="-1"' in empty.get_data(as_text=True)


def test_a_phone_keeps_the_total_and_checkout_in_reach(client, factory):
    lamp = factory.product("Lamp", price=1_000, stock=5)
    client.post("/cart/items", data={"product_id": lamp.id, "quantity": 2})
    page = client.get("/cart").get_data(as_text=True)
    bar = page.split('<div class="checkout-bar"', 1)[1].split("</div>", 1)[0]
    assert "$20.00" in bar or "Total" in bar
    assert 'href="/checkout"' in bar
