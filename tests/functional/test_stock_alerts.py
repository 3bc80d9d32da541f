"""Back-in-stock alerts over HTTP: the product page's form without JavaScript (303 and a
flash) and with htmx (the fragment), 422 on a bad address, CSRF, the account page, the
e-mail and its stop link, the staff count, "Download my data" and "Delete my account"."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
from sqlalchemy import select

from qkart.extensions import db
from qkart.stock_alerts.models import StockAlert
from tests.conftest import PASSWORD, find_link, htmx, login


@pytest.fixture
def lamp(factory):
    return factory.product("Desk Lamp", stock=0, price=4_000)


def _alerts(app):
    with app.app_context():
        rows = db.session.scalars(select(StockAlert).order_by(StockAlert.id)).all()
        return [(r.product_id, r.email, r.user_id, r.status) for r in rows]


def _ask(client, product, **data):
    return client.post("/stock-alerts", data={"product_id": product.id, **data}, **{})


def _restock(app, product, delta=4):
    from qkart.catalog import management
    from qkart.catalog.models import Product

    with app.app_context():
        management.adjust_stock(db.session.get(Product, product.id), delta, reason="received")
        db.session.commit()


# -- the product page and cards -----------------------------------------------------


def test_a_sold_out_page_offers_the_form_and_an_in_stock_one_does_not(client, factory, lamp):
    page = client.get(f"/products/{lamp.slug}").get_data(as_text=True)
    assert f'id="notify-{lamp.id}"' in page
    assert "Email me when it&#39;s back" in page or "Email me when it's back" in page
    assert 'name="email"' in page and 'for="alert-email"' in page
    assert ">Add to cart<" not in page and "disabled" not in page
    chair = factory.product("Chair", stock=3)
    page = client.get(f"/products/{chair.slug}").get_data(as_text=True)
    assert "notify-" not in page and ">Add to cart<" in page


def test_a_sold_out_card_links_to_the_form_instead_of_a_dead_button(client, factory, lamp):
    factory.product("Chair", stock=3)
    page = client.get("/products").get_data(as_text=True)
    assert page.count(">Add to cart<") == 1
    assert f'href="/products/{lamp.slug}#notify-{lamp.id}"' in page
    assert "Notify me" in page
    assert "disabled" not in page


# -- a visitor ----------------------------------------------------------------------


def test_without_javascript_a_visitor_posts_and_is_redirected_with_the_news(app, client, lamp):
    response = _ask(client, lamp, email="Vera@Example.com")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/products/{lamp.slug}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "we will e-mail vera@example.com when Desk Lamp is back in stock" in page
    assert _alerts(app) == [(lamp.id, "vera@example.com", None, "pending")]
    again = _ask(client, lamp, email="vera@example.com")
    assert again.status_code == 303
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "You are already on the list" in page
    assert len(_alerts(app)) == 1


def test_with_htmx_the_form_is_swapped_for_the_confirmation(app, client, lamp):
    response = client.post(
        "/stock-alerts",
        data={"product_id": lamp.id, "email": "vera@example.com"},
        headers=htmx(f"notify-{lamp.id}"),
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and f'id="notify-{lamp.id}"' in body
    assert "we will e-mail vera@example.com" in body
    assert 'id="news" data-hx-swap-oob' in body  # screen readers hear it too
    assert "<form" not in body
    assert "HX-Target" in response.headers.get("Vary", "")


@pytest.mark.parametrize("address", ["", "vera", "vera@", "two@@example.com"])
def test_a_bad_address_is_a_422_beside_the_field_and_writes_nothing(app, client, lamp, address):
    response = _ask(client, lamp, email=address)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<p class="error" id="alert-email-error">' in page
    assert "e-mail address" in page and "<html" in page  # the whole product page again
    fragment = client.post(
        "/stock-alerts",
        data={"product_id": lamp.id, "email": address},
        headers=htmx(f"notify-{lamp.id}"),
    )
    assert fragment.status_code == 422
    assert 'aria-invalid="true"' in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert _alerts(app) == []


@pytest.mark.parametrize("product_id", ["", "abc", "999999", "-1", "1" * 30])
def test_a_bad_product_is_a_422_not_a_500(app, client, lamp, product_id):
    response = client.post("/stock-alerts", data={"product_id": product_id, "email": "v@x.com"})
    assert response.status_code == 422
    assert "That product could not be found" in response.get_data(as_text=True)
    assert _alerts(app) == []


def test_an_in_stock_product_needs_no_alert(app, client, factory):
    chair = factory.product("Chair", stock=2)
    response = _ask(client, chair, email="vera@example.com")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Chair is in stock: you can order it now." in page
    fragment = client.post(
        "/stock-alerts",
        data={"product_id": chair.id, "email": "vera@example.com"},
        headers=htmx(f"notify-{chair.id}"),
    )
    assert fragment.status_code == 409  # swapped by the page's htmx config
    body = fragment.get_data(as_text=True)
    assert f'id="notify-{chair.id}"' in body and "you can order it now" in body
    assert _alerts(app) == []


def test_without_a_csrf_token_nothing_is_written(make_app, lamp):
    guarded = make_app(WTF_CSRF_ENABLED=True)
    response = guarded.test_client().post(
        "/stock-alerts", data={"product_id": lamp.id, "email": "vera@example.com"}
    )
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert _alerts(guarded) == []


def test_a_visitor_is_rate_limited_and_a_shopper_is_not(make_app, factory, lamp):
    throttled = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    visitor = throttled.test_client()
    for n in range(10):
        assert _ask(visitor, lamp, email=f"v{n}@example.com").status_code == 303
    blocked = _ask(visitor, lamp, email="v99@example.com")
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert len(_alerts(throttled)) == 10
    shopper = throttled.test_client()
    login(shopper, factory.user())
    for n in range(12):
        product = factory.product(f"Sold out {n}", stock=0)
        assert _ask(shopper, product).status_code == 303


# -- a signed-in shopper ------------------------------------------------------------


def test_a_shopper_asks_in_one_click_and_sees_it_in_the_account(app, client, logged_in, lamp):
    user = logged_in(email="sam@example.com")
    page = client.get(f"/products/{lamp.slug}").get_data(as_text=True)
    assert 'name="email"' not in page and "Email me when it" in page
    assert _ask(client, lamp).status_code == 303
    assert _alerts(app) == [(lamp.id, "sam@example.com", user.id, "pending")]
    page = client.get(f"/products/{lamp.slug}").get_data(as_text=True)
    assert "You are on the list" in page and 'action="/stock-alerts"' not in page
    account = client.get("/account/stock-alerts").get_data(as_text=True)
    assert "Desk Lamp" in account and "Cancel alert" in account
    assert 'aria-current="page">Alerts<' in account


def test_a_shopper_cancels_from_the_account_page(app, client, logged_in, factory, lamp):
    logged_in()
    _ask(client, lamp)
    [alert_id] = [a.id for a in _alert_rows(app)]
    response = client.post(f"/account/stock-alerts/{alert_id}/cancel")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/account/stock-alerts"
    )
    page = client.get("/account/stock-alerts").get_data(as_text=True)
    assert "We will not e-mail you about Desk Lamp." in page and "No alerts waiting" in page
    assert [a[3] for a in _alerts(app)] == ["cancelled"]
    # With htmx: the list is swapped in place.
    other = factory.product("Stool", stock=0)
    _ask(client, other)
    second = _alert_rows(app)[-1].id
    fragment = client.post(f"/account/stock-alerts/{second}/cancel", headers=htmx("stock-alerts"))
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and "No alerts waiting" in body


def test_nobody_cancels_another_shoppers_alert(app, client, factory, lamp):
    owner = app.test_client()
    login(owner, factory.user())
    _ask(owner, lamp)
    [alert] = _alert_rows(app)
    login(client, factory.user())
    assert client.post(f"/account/stock-alerts/{alert.id}/cancel").status_code == 404
    assert [a[3] for a in _alerts(app)] == ["pending"]
    visitor = app.test_client()
    response = visitor.post(f"/account/stock-alerts/{alert.id}/cancel")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def _alert_rows(app):
    with app.app_context():
        rows = db.session.scalars(select(StockAlert).order_by(StockAlert.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


# -- the e-mail and its stop link ---------------------------------------------------


def test_the_email_links_to_the_product_and_stops_by_one_link(app, client, factory, outbox):
    lamp = factory.product("Desk Lamp", stock=0, price=4_000)
    stool = factory.product("Stool", stock=0)
    _ask(client, lamp, email="vera@example.com")
    _ask(client, stool, email="vera@example.com")
    _restock(app, lamp)
    [message] = outbox.messages("vera@example.com")
    assert message["Subject"] == "Desk Lamp is back in stock at QKart"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"http://127.0.0.1:5000/products/{lamp.slug}" in text
    assert f'href="http://127.0.0.1:5000/products/{lamp.slug}"' in html
    assert "$40.00" in text and "Desk Lamp" in html
    stop = find_link(message, "/stock-alerts/cancel/")
    assert message["List-Unsubscribe"] == f"<http://127.0.0.1:5000{stop}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page = app.test_client().get(stop).get_data(as_text=True)
    assert "Stop the e-mails" in page  # it asks first: a link scanner cancels nothing
    assert [a[3] for a in _alerts(app)] == ["sent", "pending"]
    assert "Done" in app.test_client().post(stop).get_data(as_text=True)
    assert [a[3] for a in _alerts(app)] == ["sent", "cancelled"]
    _restock(app, stool)
    assert len(outbox.messages("vera@example.com")) == 1


def test_one_click_stop_works_without_the_page_and_a_forged_link_is_404(make_app, factory, outbox):
    app = make_app(WTF_CSRF_ENABLED=True)
    lamp = factory.product("Desk Lamp", stock=0)
    stool = factory.product("Stool", stock=0)
    with app.app_context():
        from qkart.catalog.models import Product
        from qkart.stock_alerts import services

        for product in (lamp, stool):
            services.subscribe(db.session.get(Product, product.id), email="vera@example.com")
        db.session.commit()
    _restock(app, lamp)
    stop = find_link(outbox.messages("vera@example.com")[0], "/stock-alerts/cancel/")
    assert app.test_client().post(stop, data={}).status_code == 400  # a plain post needs CSRF
    response = app.test_client().post(stop, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert [a[3] for a in _alerts(app)] == ["sent", "cancelled"]
    assert app.test_client().get("/stock-alerts/cancel/forged-token").status_code == 404
    assert app.test_client().post("/stock-alerts/cancel/forged", data={}).status_code in (400, 404)


# -- staff --------------------------------------------------------------------------


def test_the_staff_product_page_counts_who_waits_and_a_restock_there_sends(
    app, client, factory, lamp, outbox
):
    _ask(client, lamp, email="a@example.com")
    _ask(client, lamp, email="b@example.com")
    staff = app.test_client()
    login(staff, factory.user("cat@example.com", role="manager"))
    page = staff.get(f"/admin/products/{lamp.id}").get_data(as_text=True)
    assert "2 shoppers waiting to hear it is back in stock." in page
    response = staff.post(
        f"/admin/products/{lamp.id}/stock", data={"delta": "5", "reason": "received", "note": ""}
    )
    assert response.status_code == 303
    assert sorted(m["To"] for m in outbox.messages()) == ["a@example.com", "b@example.com"]
    page = staff.get(f"/admin/products/{lamp.id}").get_data(as_text=True)
    assert "No shoppers waiting" in page


# -- privacy ------------------------------------------------------------------------


def test_my_data_has_the_alerts_and_deleting_the_account_removes_them(app, client, logged_in, lamp):
    user = logged_in(email="sam@example.com")
    _ask(client, lamp)
    _ask(app.test_client(), lamp, email="other@example.com")  # someone else's: kept
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    assert [(a["product"], a["status"], a["email"]) for a in data["stock_alerts"]] == [
        ("Desk Lamp", "pending", "sam@example.com")
    ]
    response = client.post("/account/delete", data={"password": PASSWORD, "confirmation": "DELETE"})
    assert response.status_code == 303
    assert [(a[1], a[2]) for a in _alerts(app)] == [("other@example.com", None)]
    assert user.id  # the account row stays (anonymised), its alerts do not


# -- valid HTML ---------------------------------------------------------------------


def test_the_alert_pages_are_valid_html(app, client, factory, lamp, tmp_path):
    from tests.functional.test_html_valid import VNU, _java

    java = _java()
    pages = {
        "visitor-product": client.get(f"/products/{lamp.slug}").get_data(as_text=True),
        "visitor-422": _ask(client, lamp, email="nope").get_data(as_text=True),
        "visitor-cards": client.get("/products").get_data(as_text=True),
    }
    shopper = app.test_client()
    login(shopper, factory.user())
    pages["shopper-product"] = shopper.get(f"/products/{lamp.slug}").get_data(as_text=True)
    _ask(shopper, lamp)
    pages["shopper-waiting"] = shopper.get(f"/products/{lamp.slug}").get_data(as_text=True)
    pages["shopper-alerts"] = shopper.get("/account/stock-alerts").get_data(as_text=True)
    with app.app_context():
        from qkart.stock_alerts.services import cancel_token

        token = cancel_token(db.session.scalars(select(StockAlert)).first())
    pages["stop-ask"] = client.get(f"/stock-alerts/cancel/{token}").get_data(as_text=True)
    pages["stop-done"] = client.post(f"/stock-alerts/cancel/{token}").get_data(as_text=True)
    staff = app.test_client()
    login(staff, factory.user(role="owner"))
    pages["staff-product"] = staff.get(f"/admin/products/{lamp.id}").get_data(as_text=True)
    for name, html in pages.items():
        assert "<html" in html, name
        (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", "--exit-zero-always"]
        + sorted(str(tmp_path / p) for p in os.listdir(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    problems = [f"{m.get('url', '').rsplit('/', 1)[-1]}: {m['message']}" for m in messages]
    assert not problems, "\n".join(problems)
    assert not re.search(r"\shx-", "".join(pages.values()))  # data-hx-* only
