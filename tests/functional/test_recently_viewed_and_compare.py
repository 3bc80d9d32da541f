"""Recently viewed products (accounts and visitors) and the compare table, over HTTP."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from tests.conftest import count_queries, htmx, login


def recent_names(page: str) -> list[str]:
    """The product names of the "Recently viewed" strip, in the order shown."""
    if 'id="recent-title"' not in page:
        return []
    strip = page[page.index('id="recent-title"') :]
    strip = strip[: strip.index("</section>")]
    return re.findall(r'<span class="recent-name">([^<]+)</span>', strip)


def view(client: FlaskClient, *products: Any) -> None:
    for product in products:
        assert client.get(f"/products/{product.slug}").status_code == 200


@pytest.fixture
def things(factory: Any) -> list[Any]:
    return [factory.product(f"Thing {n:02d}") for n in range(14)]


# -- recently viewed -------------------------------------------------------------------


def test_recently_viewed_newest_first_without_the_current_product(client, logged_in, things):
    logged_in()
    a, b, c = things[:3]
    view(client, a, b, c)
    assert recent_names(client.get("/").get_data(as_text=True)) == [c.name, b.name, a.name]
    page = client.get(f"/products/{c.slug}").get_data(as_text=True)
    assert recent_names(page) == [b.name, a.name]
    view(client, a)  # seen again: first, and not twice
    assert recent_names(client.get("/").get_data(as_text=True)) == [a.name, c.name, b.name]


def test_recently_viewed_keeps_the_last_twelve(client, logged_in, things):
    logged_in()
    view(client, *things)
    home = recent_names(client.get("/").get_data(as_text=True))
    assert home == [t.name for t in reversed(things[2:])]
    page = client.get(f"/products/{things[-1].slug}").get_data(as_text=True)
    assert recent_names(page) == [t.name for t in reversed(things[2:-1])]


def test_visitors_and_accounts_each_have_their_own(app, factory, things):
    visitor, other_visitor, shopper = app.test_client(), app.test_client(), app.test_client()
    login(shopper, factory.user())
    view(visitor, things[0])
    view(other_visitor, things[1])
    view(shopper, things[2])
    assert recent_names(visitor.get("/").get_data(as_text=True)) == [things[0].name]
    assert recent_names(other_visitor.get("/").get_data(as_text=True)) == [things[1].name]
    assert recent_names(shopper.get("/").get_data(as_text=True)) == [things[2].name]


def test_a_first_visit_shows_no_strip(client, things):
    assert recent_names(client.get("/").get_data(as_text=True)) == []
    page = client.get(f"/products/{things[0].slug}").get_data(as_text=True)
    assert recent_names(page) == []


def test_products_no_longer_sold_drop_out(app, client, things):
    from qkart.catalog.models import Product
    from qkart.extensions import db

    view(client, things[0], things[1])
    with app.app_context():
        db.session.get(Product, things[0].id).is_active = False
        db.session.commit()
    assert recent_names(client.get("/").get_data(as_text=True)) == [things[1].name]


def test_a_failed_recording_never_fails_the_page(client, things, monkeypatch, caplog):
    from qkart.wishlist import services

    def broken(*args: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(services, "record_view", broken)
    view(client, things[1])  # a first view is only noted in the session
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/products/{things[0].slug}")  # both are written now
    assert response.status_code == 200 and things[0].name in response.get_data(as_text=True)
    assert "could not record a view" in caplog.text


def test_pages_that_change_per_visit_are_revalidated_or_not_stored(client, things):
    first = client.get(f"/products/{things[0].slug}")
    assert first.headers["Cache-Control"] == "private, no-cache"
    home = client.get("/")  # it shows that view now
    assert home.headers["Cache-Control"] == "private, no-cache"
    view(client, things[1])
    # Each page's validator holds the visitor's list: a new view makes them new.
    again = client.get(
        f"/products/{things[0].slug}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 200 and recent_names(again.get_data(as_text=True)) == [
        things[1].name
    ]
    assert client.get("/", headers={"If-None-Match": home.headers["ETag"]}).status_code == 200
    assert client.get("/compare").headers["Cache-Control"] == "no-store"


def test_product_page_query_count_does_not_grow(app, client, logged_in, factory):
    logged_in()
    category = factory.category("Lamps")
    shown = factory.product("Shown Lamp", category=category)
    others = [factory.product(f"Lamp {n}", category=category) for n in range(8)]
    view(client, others[0], shown)
    with count_queries(app) as few:
        view(client, shown)
    view(client, *others, shown)
    with count_queries(app) as many:
        view(client, shown)
    assert len(few) == len(many), many


# -- compare ---------------------------------------------------------------------------


def add(client: FlaskClient, product: Any, **headers: str) -> Any:
    return client.post("/compare/items", data={"product_id": product.id}, headers=headers)


@pytest.fixture
def lamps(factory: Any) -> list[Any]:
    from qkart.catalog.models import Product
    from qkart.extensions import db

    made = [factory.product(f"Lamp {n}", price=1000 * (n + 1)) for n in range(5)]
    with factory.app.app_context():
        for n, lamp in enumerate(made):
            product = db.session.get(Product, lamp.id)
            product.brand = f"Brand {n}"
            product.attributes = {"Colour": f"Colour {n}", **({"Watts": "40"} if n == 1 else {})}
        db.session.commit()
    return made


def test_add_to_compare_and_see_the_table(client, lamps):
    page = client.get(f"/products/{lamps[0].slug}").get_data(as_text=True)
    assert ">Add to compare<" in page
    response = add(client, lamps[0])
    assert response.status_code == 303
    assert response.headers["Location"] == f"/products/{lamps[0].slug}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Added Lamp 0 to compare (1 of 4)." in page and "Compare now (1)" in page
    add(client, lamps[1])
    table = client.get("/compare").get_data(as_text=True)
    for expected in ("Lamp 0", "Lamp 1", "$10.00", "$20.00", "Brand 0", "Brand 1"):
        assert expected in table
    assert '<th scope="row">Colour</th>' in table and "Colour 1" in table
    assert '<th scope="row">Watts</th>' in table and "40" in table
    assert f"/compare?ids={lamps[0].id},{lamps[1].id}" in table


def test_a_fifth_product_is_refused(client, lamps):
    for lamp in lamps[:4]:
        assert add(client, lamp).status_code == 303
    response = add(client, lamps[4])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "You can compare up to 4 products." in page
    assert "Lamp 3" in page and "Lamp 4" not in page  # the comparison, to remove one from

    response = add(client, lamps[4], **htmx(f"compare-{lamps[4].id}"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body
    assert "You can compare up to 4 products." in body
    assert "Lamp 4" not in client.get("/compare").get_data(as_text=True)


def test_add_to_compare_with_htmx_swaps_the_button(client, lamps):
    response = add(client, lamps[0], **htmx(f"compare-{lamps[0].id}"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'id="compare-{lamps[0].id}"' in body and "Compare now (1)" in body


def test_remove_from_compare(client, lamps):
    add(client, lamps[0])
    add(client, lamps[1])
    response = client.post(f"/compare/items/{lamps[0].id}/delete")
    assert response.status_code == 303 and response.headers["Location"] == "/compare"
    page = client.get("/compare").get_data(as_text=True)
    assert f'id="uncompare-{lamps[1].id}"' in page and f'id="uncompare-{lamps[0].id}"' not in page
    response = client.post(f"/compare/items/{lamps[1].id}/delete", headers=htmx("compare"))
    assert "Nothing to compare yet" in response.get_data(as_text=True)


def test_a_shared_link_shows_the_products_in_any_browser(app, lamps):
    ids = f"{lamps[2].id},{lamps[0].id}"
    response = app.test_client().get(f"/compare?ids={ids}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.index("Lamp 2") < page.index("Lamp 0")


@pytest.mark.parametrize(
    ("ids", "status", "message"),
    [
        ("abc", 422, "it should list product numbers"),
        ("", 422, "it should list product numbers"),
        ("1,-2", 422, "it should list product numbers"),
        ("9" * 40, 422, "it should list product numbers"),
        ("1,2,3,4,5", 422, "You can compare up to 4 products."),
        ("999999", 404, "One of these products could not be found."),
    ],
)
def test_bad_compare_links_say_what_is_wrong(client, lamps, ids, status, message):
    response = client.get(f"/compare?ids={ids}")
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_bad_compare_input_is_refused(client):
    response = client.post("/compare/items", data={"product_id": "lamp"})
    assert response.status_code == 422 and "Enter a whole number." in response.get_data(
        as_text=True
    )
    assert client.post("/compare/items", data={"product_id": 999999}).status_code == 404
    assert "Nothing to compare yet" in client.get("/compare").get_data(as_text=True)


def _view_writes(app: Any, client: FlaskClient, product: Any) -> int:
    with count_queries(app) as statements:
        assert client.get(f"/products/{product.slug}").status_code == 200
    return len([s for s in statements if s.startswith("INSERT INTO recently_viewed")])


def test_a_reload_of_the_product_seen_last_writes_no_view(app, client, things, monkeypatch):
    from datetime import timedelta

    from qkart.blueprints.wishlist import context

    a, b = things[:2]
    view(client, a)  # noted in the session only
    assert _view_writes(app, client, b) == 2  # a joins the history with b
    assert _view_writes(app, client, b) == 0  # a reload: b heads the list already
    assert _view_writes(app, client, a) == 1  # back to a: it moves up again
    later = context.utcnow() + context.RECORD_AGAIN_AFTER + timedelta(seconds=1)
    monkeypatch.setattr(context, "utcnow", lambda: later)
    assert _view_writes(app, client, a) == 1  # long after: the time is kept fresh
    assert recent_names(client.get("/").get_data(as_text=True)) == [a.name, b.name]


def test_a_visitors_first_product_is_noted_in_the_session_and_written_with_the_next(
    app, client, things
):
    a, b = things[:2]
    assert _view_writes(app, client, a) == 0
    with count_queries(app) as reload:
        page = client.get(f"/products/{a.slug}").get_data(as_text=True)
    # The page kept from the first view: no query but the analytics event's.
    assert [q for q in reload if not q.startswith("INSERT INTO analytics_events")] == []
    assert a.name in page and recent_names(page) == []
    assert _view_writes(app, client, b) == 2
    assert recent_names(client.get("/").get_data(as_text=True)) == [b.name, a.name]


def test_the_home_page_writes_a_first_view_to_show_it(app, client, things):
    view(client, things[0])
    with count_queries(app) as statements:
        home = client.get("/").get_data(as_text=True)
    assert recent_names(home) == [things[0].name]
    assert len([s for s in statements if s.startswith("INSERT INTO recently_viewed")]) == 1
    assert recent_names(client.get("/").get_data(as_text=True)) == [things[0].name]


def test_a_page_kept_for_a_first_look_is_not_given_to_one_who_saw_another(app, things):
    a, b = things[:2]
    newcomer, browser = app.test_client(), app.test_client()
    view(newcomer, b)
    view(newcomer, b)  # b's page for a first look is kept now
    view(browser, a)
    page = browser.get(f"/products/{b.slug}").get_data(as_text=True)
    assert recent_names(page) == [a.name]
