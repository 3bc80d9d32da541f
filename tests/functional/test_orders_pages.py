"""The shopper's order pages and account overview over HTTP."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from qkart.extensions import db
from qkart.orders.models import Order
from tests.conftest import count_queries, login

NUMBER = re.compile(r"QK-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")


# -- helpers ------------------------------------------------------------------------


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def numbers_on(response: Any) -> list[str]:
    """Order numbers in the order they appear on the page, each once."""
    return numbers_on_text(response.get_data(as_text=True))


def numbers_on_text(body: str) -> list[str]:
    seen: list[str] = []
    for number in NUMBER.findall(body):
        if number not in seen:
            seen.append(number)
    return seen


def assert_login_redirect(response: Any, path: str) -> None:
    assert response.status_code in (302, 303)
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [path]


def place_order(
    client: FlaskClient, factory: Any, user: Any, address: Any, *items: tuple[Any, int]
) -> str:
    """Fill the cart and check out from the wallet like a browser; returns the order number."""
    for product, quantity in items:
        factory.cart_item(user, product, quantity)
    response = client.post(
        "/checkout",
        data={
            "address_id": str(address.id),
            "payment_method": "wallet",
            "checkout_key": uuid4().hex,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    location = urlsplit(response.headers["Location"])
    assert location.path.startswith("/orders/")
    assert parse_qs(location.query).get("placed") == ["1"]
    return location.path.rsplit("/", 1)[1]


@pytest.fixture
def shopper(client: FlaskClient, factory: Any) -> Any:
    """A logged-in shopper (``.user``) with $1,000.00 of credit and a default ``.address``."""
    user = factory.user(name="Olive Orderer", wallet=100_000)
    address = factory.address(
        user,
        full_name="Olive Orderer",
        line1="5 Original Road",
        city="Oldtown",
        region="Ohio",
        postal_code="43004",
        phone="+1 555 000 1111",
    )
    login(client, user)
    return SimpleNamespace(user=user, address=address)


@pytest.fixture
def other_client(app: Flask) -> FlaskClient:
    return app.test_client()


def stored_address(app: Flask, number: str) -> dict[str, Any]:
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        assert order is not None
        return dict(order.shipping_address)


# -- who may see what ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/orders", "/orders/QK-2345-6789", "/account"])
def test_visitor_is_sent_to_login(client: FlaskClient, path: str) -> None:
    assert_login_redirect(client.get(path), path)


def test_visitor_cannot_open_a_real_order(
    client: FlaskClient, factory: Any, shopper: Any, app: Flask
) -> None:
    number = place_order(client, factory, shopper.user, shopper.address, (factory.product(), 1))
    visitor = app.test_client()

    response = visitor.get(f"/orders/{number}")

    assert_login_redirect(response, f"/orders/{number}")
    assert "5 Original Road" not in text_of(response)


# -- the list -----------------------------------------------------------------------


def test_no_orders_yet(client: FlaskClient, logged_in: Any) -> None:
    logged_in()

    response = client.get("/orders")

    assert response.status_code == 200
    page = text_of(response)
    assert "No orders yet" in page
    assert "Start shopping" in page
    assert numbers_on(response) == []


def test_list_shows_only_my_orders_newest_first(
    client: FlaskClient, other_client: FlaskClient, factory: Any, shopper: Any
) -> None:
    stranger = factory.user(name="Stella Stranger", wallet=100_000)
    stranger_address = factory.address(stranger, line1="9 Private Lane")
    login(other_client, stranger)
    product = factory.product("Teapot", price=1250, stock=50)

    first = place_order(client, factory, shopper.user, shopper.address, (product, 1))
    theirs = place_order(other_client, factory, stranger, stranger_address, (product, 3))
    second = place_order(client, factory, shopper.user, shopper.address, (product, 2))

    response = client.get("/orders")

    assert response.status_code == 200
    assert numbers_on(response) == [second, first]
    assert theirs not in response.get_data(as_text=True)
    page = text_of(response)
    assert "No orders yet" not in page
    assert "$30.00" in page  # 2 x $12.50 + $5.00 shipping
    assert "$17.50" in page  # 1 x $12.50 + $5.00 shipping
    assert "Paid" in page
    assert f'href="/orders/{second}"' in response.get_data(as_text=True)
    # And the stranger sees only theirs.
    assert numbers_on(other_client.get("/orders")) == [theirs]


def test_list_shows_the_item_count(client: FlaskClient, factory: Any, shopper: Any) -> None:
    place_order(
        client,
        factory,
        shopper.user,
        shopper.address,
        (factory.product(price=500), 2),
        (factory.product(price=700), 3),
    )

    body = client.get("/orders").get_data(as_text=True)

    assert "<td>5</td>" in body


# -- pagination ---------------------------------------------------------------------


@pytest.fixture
def twelve_orders(client: FlaskClient, factory: Any, shopper: Any) -> list[str]:
    """Twelve orders, oldest first."""
    product = factory.product(price=1000, stock=100)
    return [
        place_order(client, factory, shopper.user, shopper.address, (product, 1)) for _ in range(12)
    ]


def test_first_page_has_the_ten_newest(client: FlaskClient, twelve_orders: list[str]) -> None:
    response = client.get("/orders")

    assert response.status_code == 200
    assert numbers_on(response) == twelve_orders[::-1][:10]
    page = text_of(response)
    assert "Page 1 of 2" in page
    assert 'href="/orders?page=2"' in response.get_data(as_text=True)
    assert "Older →" in page
    assert "← Newer" not in page


def test_second_page_has_the_older_orders(client: FlaskClient, twelve_orders: list[str]) -> None:
    response = client.get("/orders?page=2")

    assert response.status_code == 200
    assert numbers_on(response) == [twelve_orders[1], twelve_orders[0]]
    page = text_of(response)
    assert "Page 2 of 2" in page
    assert "← Newer" in page
    assert 'href="/orders?page=1"' in response.get_data(as_text=True)
    assert "Older →" not in page


@pytest.mark.parametrize("raw", ["abc", "", "0", "-1", "1.5", "%00", "9" * 40])
def test_an_odd_page_number_shows_the_first_page(
    client: FlaskClient, twelve_orders: list[str], raw: str
) -> None:
    response = client.get(f"/orders?page={raw}")

    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        assert numbers_on(response) == twelve_orders[::-1][:10]
        assert "Page 1 of 2" in text_of(response)


def test_a_page_past_the_end_shows_the_last_page(
    client: FlaskClient, twelve_orders: list[str]
) -> None:
    response = client.get("/orders?page=99")

    assert response.status_code == 200
    assert numbers_on(response) == [twelve_orders[1], twelve_orders[0]]
    assert "Page 2 of 2" in text_of(response)


def test_ten_orders_need_no_pager(client: FlaskClient, factory: Any, shopper: Any) -> None:
    product = factory.product(stock=100)
    for _ in range(10):
        place_order(client, factory, shopper.user, shopper.address, (product, 1))

    response = client.get("/orders")

    assert len(numbers_on(response)) == 10
    assert "Page 1 of" not in text_of(response)


def test_the_list_does_not_query_per_order(
    app: Flask, client: FlaskClient, factory: Any, shopper: Any
) -> None:
    product = factory.product(stock=100)
    place_order(client, factory, shopper.user, shopper.address, (product, 1))
    with count_queries(app) as few:
        assert client.get("/orders").status_code == 200
    for _ in range(5):
        place_order(
            client, factory, shopper.user, shopper.address, (product, 1), (factory.product(), 1)
        )
    with count_queries(app) as many:
        assert client.get("/orders").status_code == 200

    assert len(many) == len(few)


# -- one order ----------------------------------------------------------------------


def test_order_page_shows_lines_totals_address_and_history(
    client: FlaskClient, factory: Any, shopper: Any
) -> None:
    teapot = factory.product("Blue Teapot", price=1250)
    mug = factory.product("Tall Mug", price=999)
    number = place_order(client, factory, shopper.user, shopper.address, (teapot, 2), (mug, 1))

    response = client.get(f"/orders/{number}")

    assert response.status_code == 200
    page = text_of(response)
    assert f"Order {number}" in page
    # Lines: name, SKU, unit price, quantity, line total.
    assert re.search(rf">Blue Teapot</a> <span[^>]*>\({teapot.sku}\)</span>", page)  # linked
    assert re.search(rf"Tall Mug(</a>)? <span[^>]*>\({mug.sku}\)</span>", page)
    assert re.search(r"\$12\.50</td><td class=\"num\">2</td><td class=\"num\">\$25\.00", page)
    assert re.search(r"\$9\.99</td><td class=\"num\">1</td><td class=\"num\">\$9\.99", page)
    # Totals: the breakdown as placed (no tax rates are set in this shop).
    assert 'id="order-subtotal">$34.99<' in page
    assert re.search(r"Standard delivery.*id=\"order-shipping\">\$5\.00<", page, re.S)
    assert 'id="order-tax">$0.00<' in page
    assert 'id="order-total">$39.99<' in page
    assert re.search(r"QKart wallet: \$39\.99 <span[^>]*>Paid<", page)
    # The shipping address copy.
    assert "Olive Orderer" in page
    assert "5 Original Road" in page
    assert "Oldtown, Ohio 43004" in page
    assert "United States" in page
    assert "+1 555 000 1111" in page
    # The status history, in the order it happened.
    assert "Order placed" in page and "Paid from wallet" in page
    history = page[page.index("History") :]
    assert history.index("Placed") < history.index("Paid")
    assert 'class="status status-paid">Paid<' in page


def test_order_page_after_checkout_thanks_the_shopper(
    client: FlaskClient, factory: Any, shopper: Any
) -> None:
    number = place_order(client, factory, shopper.user, shopper.address, (factory.product(), 1))

    placed = text_of(client.get(f"/orders/{number}?placed=1"))
    later = text_of(client.get(f"/orders/{number}"))

    assert "Thank you for your order!" in placed
    assert "$985.00" in placed  # $1,000.00 - ($10.00 + $5.00 shipping)
    assert "Thank you for your order!" not in later


def test_order_number_is_not_case_sensitive(
    client: FlaskClient, factory: Any, shopper: Any
) -> None:
    number = place_order(client, factory, shopper.user, shopper.address, (factory.product(), 1))

    response = client.get(f"/orders/{number.lower()}")

    assert response.status_code == 200
    assert f"Order {number}" in text_of(response)


def test_another_persons_order_is_not_found(
    client: FlaskClient, other_client: FlaskClient, factory: Any, shopper: Any
) -> None:
    number = place_order(client, factory, shopper.user, shopper.address, (factory.product(), 1))
    login(other_client, factory.user(name="Nosy Neighbour"))

    response = other_client.get(f"/orders/{number}")

    assert response.status_code == 404
    page = text_of(response)
    assert "5 Original Road" not in page
    assert "Olive Orderer" not in page
    assert "We could not find that order in your account." in page


@pytest.mark.parametrize(
    "number",
    [
        "QK-2345-6789",
        "QK-ZZZZ-ZZZZ",
        "nothing",
        "X" * 300,
        "QK-%E2%98%83",
        "%20",
        "QK-%00-0000",
        "1%27%20OR%20%271%27=%271",
    ],
)
def test_an_unknown_order_number_is_not_found(
    client: FlaskClient, factory: Any, shopper: Any, number: str
) -> None:
    place_order(client, factory, shopper.user, shopper.address, (factory.product(), 1))

    response = client.get(f"/orders/{number}")

    # A NUL byte may be refused as bad input; anything else is simply not found.
    assert response.status_code in ((400, 404) if "%00" in number else (404,))
    assert "5 Original Road" not in text_of(response)


# -- the order keeps its own copy of the address ------------------------------------


def test_order_keeps_its_address_after_the_address_is_edited(
    app: Flask, client: FlaskClient, factory: Any, shopper: Any
) -> None:
    number = place_order(client, factory, shopper.user, shopper.address, (factory.product(), 1))
    copy = stored_address(app, number)

    edited = client.post(
        f"/account/addresses/{shopper.address.id}/edit",
        data={
            "full_name": "Olive Moved",
            "line1": "77 Brand New Avenue",
            "line2": "",
            "city": "Newcity",
            "region": "",
            "postal_code": "10001",
            "country": "CA",
            "phone": "",
        },
    )
    assert edited.status_code == 303

    page = text_of(client.get(f"/orders/{number}"))
    assert "5 Original Road" in page and "Oldtown, Ohio 43004" in page
    assert "77 Brand New Avenue" not in page and "Newcity" not in page
    assert "Canada" not in page
    assert stored_address(app, number) == copy
    # While the address book shows the new one.
    assert "77 Brand New Avenue" in text_of(client.get("/account/addresses"))


def test_order_keeps_its_address_after_the_address_is_deleted(
    app: Flask, client: FlaskClient, factory: Any, shopper: Any
) -> None:
    number = place_order(client, factory, shopper.user, shopper.address, (factory.product(), 1))
    copy = stored_address(app, number)

    deleted = client.post(f"/account/addresses/{shopper.address.id}/delete")
    assert deleted.status_code == 303
    assert "5 Original Road" not in text_of(client.get("/account/addresses"))

    response = client.get(f"/orders/{number}")
    assert response.status_code == 200
    page = text_of(response)
    assert "5 Original Road" in page and "Oldtown, Ohio 43004" in page
    assert stored_address(app, number) == copy
    assert number in numbers_on(client.get("/orders"))


# -- account overview ---------------------------------------------------------------


def test_account_shows_the_wallet_balance_and_no_orders(
    client: FlaskClient, logged_in: Any
) -> None:
    logged_in(name="Wanda Wallet", wallet=100_000)

    response = client.get("/account")

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert re.search(r'id="wallet-balance">\s*\$1,000\.00\s*<', body)
    page = text_of(response)
    assert "Hello, Wanda" in page
    assert "Test credit" in page
    assert "No orders yet." in page


def test_account_shows_a_large_balance_with_grouping(client: FlaskClient, logged_in: Any) -> None:
    logged_in(wallet=123_456_789)

    body = client.get("/account").get_data(as_text=True)

    assert re.search(r'id="wallet-balance">\s*\$1,234,567\.89\s*<', body)


def test_account_shows_recent_orders_and_the_new_balance(
    client: FlaskClient, factory: Any, shopper: Any
) -> None:
    product = factory.product(price=1000, stock=100)
    numbers = [
        place_order(client, factory, shopper.user, shopper.address, (product, 1)) for _ in range(4)
    ]

    response = client.get("/account")

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    # Four orders of $10.00 + $5.00 shipping each.
    assert re.search(r'id="wallet-balance">\s*\$940\.00\s*<', body)
    recent = body[body.index('id="recent-title"') :]
    assert numbers_on_text(recent) == numbers[::-1][:3]
    assert numbers[0] not in recent
    page = text_of(response)
    assert "$15.00" in page
    assert "Paid" in page
    assert 'href="/orders"' in body and "All orders" in page
    assert "No orders yet." not in page
