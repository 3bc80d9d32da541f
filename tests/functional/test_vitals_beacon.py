"""The web-vitals beacon: the script tag on shopper pages only, and POST /analytics/vitals
keeping good figures, refusing bad or cross-site ones and keeping nothing for DNT/GPC."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from qkart.analytics.models import AnalyticsEvent, WebVitalCount
from qkart.extensions import db
from tests.conftest import count_queries, login

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
)
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
SAME_SITE = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin", "User-Agent": DESKTOP}
GOOD = {"page": "product", "device": "mobile", "LCP": "1834", "INP": "96", "CLS": "0.0500"}


def send(client, data=GOOD, **headers):
    return client.post("/analytics/vitals", data=data, headers={**SAME_SITE, **headers})


def counts(app):
    with app.app_context():
        rows = db.session.scalars(select(WebVitalCount)).all()
        return sorted((r.day, r.page, r.device, r.metric, r.upper, r.count) for r in rows)


def test_a_good_beacon_adds_one_to_each_metric_bucket(app, client):
    today = datetime.now(UTC).date()
    assert send(client).status_code == 204
    other = {**GOOD, "LCP": "1801", "CLS": "0.3"}
    response = send(client, other)
    assert response.status_code == 204 and response.get_data() == b""
    assert counts(app) == [
        (today, "product", "mobile", "CLS", 50, 1),
        (today, "product", "mobile", "CLS", 300, 1),
        (today, "product", "mobile", "INP", 100, 2),
        (today, "product", "mobile", "LCP", 1900, 2),
    ]


def test_a_beacon_costs_one_statement_and_starts_no_visit(app, client):
    with count_queries(app) as statements:
        response = send(client, {"page": "home", "device": "desktop", "LCP": "900"})
    assert response.status_code == 204
    assert len(statements) == 1 and statements[0].startswith("INSERT INTO web_vital_counts")
    assert "qk_s" not in response.headers.get("Set-Cookie", "")
    with app.app_context():
        assert db.session.scalar(select(func.count(AnalyticsEvent.id))) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**GOOD, "page": "admin"}, "Unknown page type."),
        ({**GOOD, "device": "watch"}, "Unknown device class."),
        ({**GOOD, "TTFB": "80"}, "Unknown field 'TTFB'."),
        ({**GOOD, "LCP": "-5"}, "LCP must be a plain number."),
        ({**GOOD, "INP": "Infinity"}, "INP must be a plain number."),
        ({**GOOD, "CLS": "11"}, "CLS is out of range."),
        ({"page": "home", "device": "mobile"}, "Send at least one of LCP, INP and CLS."),
        ({**GOOD, "LCP": ["1200", "1300"]}, "Send each field once."),
    ],
)
def test_bad_figures_are_refused_and_nothing_is_kept(app, client, data, message):
    response = send(client, data)
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == message + "\n"
    assert counts(app) == []


def test_other_bodies_and_large_ones_are_refused(app, client):
    as_json = client.post("/analytics/vitals", json=GOOD, headers=SAME_SITE)
    assert as_json.status_code == 415
    multipart = client.post(
        "/analytics/vitals", data=GOOD, content_type="multipart/form-data", headers=SAME_SITE
    )
    assert multipart.status_code == 415
    assert "application/x-www-form-urlencoded" in multipart.get_data(as_text=True)
    large = send(client, {**GOOD, "LCP": "1" + "0" * 600})
    assert large.status_code == 413
    assert large.get_data(as_text=True) == "A beacon is at most 512 bytes.\n"
    assert counts(app) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": None},
        {"Origin": None, "Sec-Fetch-Site": "same-site"},
        {"Origin": "http://[::1", "Sec-Fetch-Site": None},
        {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"},
        {"Origin": None, "Sec-Fetch-Site": None},  # a browser always names the sender
    ],
)
def test_cross_site_beacons_are_refused(app, client, headers):
    sent = {key: value for key, value in {**SAME_SITE, **headers}.items() if value is not None}
    response = client.post("/analytics/vitals", data=GOOD, headers=sent)
    assert response.status_code == 403
    assert response.get_data(as_text=True) == "Only this shop's pages may send web vitals.\n"
    assert counts(app) == []


def test_dnt_gpc_staff_and_bots_are_answered_but_not_counted(app, factory, client):
    assert send(client, DNT="1").status_code == 204
    assert send(client, **{"Sec-GPC": "1"}).status_code == 204
    assert send(client, **{"User-Agent": "Googlebot/2.1"}).status_code == 204
    staff = app.test_client()
    login(staff, factory.user("vitals-staff@example.com", role="manager"))
    assert send(staff).status_code == 204
    assert counts(app) == []


def test_the_beacon_needs_no_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert send(client).status_code == 204
    assert len(counts(app)) == 3
    assert client.post("/cart/items", data={"product_id": 1, "quantity": 1}).status_code == 400


def test_beacons_are_rate_limited_per_address(make_app):
    from qkart.extensions import limiter

    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    try:
        client = app.test_client()
        one = {"REMOTE_ADDR": "203.0.113.9"}
        data = {"page": "home", "device": "desktop", "LCP": "900"}
        codes = [
            client.post(
                "/analytics/vitals", data=data, headers=SAME_SITE, environ_base=one
            ).status_code
            for _ in range(31)
        ]
        assert codes[:30] == [204] * 30 and codes[30] == 429
        assert [row[-1] for row in counts(app)] == [30]
        other = client.post(
            "/analytics/vitals",
            data=data,
            headers=SAME_SITE,
            environ_base={"REMOTE_ADDR": "203.0.113.10"},
        )
        assert other.status_code == 204
    finally:
        limiter.reset()


# -- the script tag ------------------------------------------------------------------------


def vitals_tag(page: str) -> dict[str, str] | None:
    match = re.search(r'<script src="/static/js/vitals\.[0-9a-f]+\.js" defer ([^>]*)>', page)
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', match.group(1))) if match else None


def test_shopper_pages_carry_the_script_with_their_page_type(factory, client):
    lamp = factory.product("Desk Lamp")
    pages = {
        "/": "home",
        "/products": "catalogue",
        "/products?q=lamp": "search",
        f"/categories/{factory.made['category'].slug}": "category",
        f"/products/{lamp.slug}": "product",
        "/cart": "cart",
        "/login": "account",
        "/wishlist/compare": "other",
    }
    for url, kind in pages.items():
        page = client.get(url, headers={"User-Agent": PHONE}).get_data(as_text=True)
        assert vitals_tag(page) == {"url": "/analytics/vitals", "page": kind, "device": "mobile"}
        measuring = re.findall(r'<script src="(/static/[^"]*vitals[^"]*)"', page)
        assert len(measuring) == 1 and measuring[0].startswith("/static/js/vitals.")  # no library
    page = client.get("/", headers={"User-Agent": DESKTOP}).get_data(as_text=True)
    assert vitals_tag(page)["device"] == "desktop"


def test_no_script_for_dnt_gpc_staff_or_the_staff_area(app, factory, client):
    for headers in ({"DNT": "1"}, {"Sec-GPC": "1"}):
        page = client.get("/", headers=headers).get_data(as_text=True)
        assert "vitals" not in page
    staff = app.test_client()
    login(staff, factory.user("vitals-admin@example.com", role="admin"))
    assert "vitals.js" not in staff.get("/").get_data(as_text=True)
    assert "vitals.js" not in staff.get("/admin/analytics").get_data(as_text=True)
