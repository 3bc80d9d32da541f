"""Every POST draws on one budget per address (``QKART_POST_LIMIT``): a script hammering
forms is stopped with a 429 page that says when to come back, while browsing, other
addresses and Stripe's webhooks go on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qkart.cart.models import CartItem
from qkart.extensions import db


@pytest.fixture
def limited(make_app):
    from qkart.extensions import limiter

    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", QKART_POST_LIMIT="3 per minute"
    )
    yield app
    limiter.reset()


def _add(client, product_id: int, address: str = "203.0.113.7"):
    return client.post(
        "/cart/items",
        data={"product_id": product_id, "quantity": 1},
        environ_base={"REMOTE_ADDR": address},
    )


def test_posts_past_the_budget_get_a_429_page_with_retry_after(limited, factory):
    product = factory.product("Watch", price=6000, stock=50)
    client = limited.test_client()
    assert [_add(client, product.id).status_code for _ in range(3)] == [303, 303, 303]
    refused = _add(client, product.id)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    page = refused.get_data(as_text=True)
    assert "try again in 1 minute" in page
    with limited.app_context():  # refused means refused: the fourth add wrote nothing
        assert [i.quantity for i in db.session.scalars(select(CartItem))] == [3]


def test_the_budget_spans_every_form_and_spares_reading(limited, factory):
    product = factory.product("Watch", price=6000, stock=50)
    client = limited.test_client()
    one = {"REMOTE_ADDR": "203.0.113.7"}
    for _ in range(3):
        assert _add(client, product.id).status_code == 303
    login = client.post(
        "/login", data={"email": "a@example.com", "password": "x"}, environ_base=one
    )
    assert login.status_code == 429  # another form, the same budget
    for path in ("/", "/products", f"/products/{product.slug}", "/cart"):
        assert client.get(path, environ_base=one).status_code == 200
    other = limited.test_client()
    assert _add(other, product.id, "203.0.113.8").status_code == 303


def test_webhooks_are_not_counted(limited):
    client = limited.test_client()
    one = {"REMOTE_ADDR": "203.0.113.7"}
    codes = {
        client.post("/webhooks/stripe", data="{}", environ_base=one).status_code for _ in range(5)
    }
    assert 429 not in codes


def test_the_browsing_pages_the_limiter_skips_have_no_limit_of_their_own(app):
    """``extensions.BROWSING`` are not even shown to the limiter: a route limit put on one
    of them later would silently not count, so none may have one."""
    from flask_limiter.util import get_qualified_name

    from qkart.extensions import BROWSING, limiter

    limited = limiter._marked_for_limiting  # the qualified names of views with a limit
    names = {endpoint: get_qualified_name(app.view_functions[endpoint]) for endpoint in BROWSING}
    assert {endpoint for endpoint, name in names.items() if name in limited} == set()
    suggestions = get_qualified_name(app.view_functions["shop.suggestions"])
    assert suggestions in limited  # the check does see a route's limit
