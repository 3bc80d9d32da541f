"""The staff analytics page: who may read it, the range, charts and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from qkart.analytics.models import AnalyticsEvent
from qkart.extensions import db
from tests.conftest import login


def staff(app, factory, role="admin"):
    client = app.test_client()
    login(client, factory.user(f"{role}-reports@example.com", role=role))
    return client


def test_admins_read_analytics_and_managers_and_customers_do_not(app, factory):
    assert staff(app, factory).get("/admin/analytics").status_code == 200
    assert staff(app, factory, "manager").get("/admin/analytics").status_code == 403
    shopper = app.test_client()
    login(shopper, factory.user("shopper-reports@example.com"))
    assert shopper.get("/admin/analytics").status_code in (403, 404)
    visitor = app.test_client().get("/admin/analytics")
    assert visitor.status_code in (302, 303) and "/login" in visitor.headers["Location"]


def test_the_page_shows_kpis_the_funnel_and_its_menu_entry(app, factory, client):
    lamp = factory.product("Desk Lamp", stock=5)
    client.get(f"/products/{lamp.slug}")
    client.get("/products?q=nothing-like-it")
    client.post("/cart/items", data={"product_id": lamp.id, "quantity": 1})
    page = staff(app, factory).get("/admin/analytics").get_data(as_text=True)
    assert '<a href="/admin/analytics" aria-current="page">Analytics</a>' in page
    for text in ("Revenue", "Average order", "Conversion", "Cart abandonment"):
        assert f"<h2>{text}</h2>" in page
    assert '<th scope="row">Added to cart</th><td class="num">1</td>' in page
    assert "“nothing-like-it” · 1 time" in page  # a search that found nothing
    assert 'src="/admin/analytics/funnel.svg?start=' in page


def test_a_bad_range_is_explained(app, factory):
    client = staff(app, factory)
    backwards = client.get("/admin/analytics?start=2026-11-10&end=2026-11-01")
    assert backwards.status_code == 422
    assert "The last day cannot come before the first." in backwards.get_data(as_text=True)
    assert client.get("/admin/analytics?start=2025-01-01&end=2026-11-01").status_code == 422
    assert client.get("/admin/analytics?start=31-12-2026").status_code == 422


def test_charts_are_svg_images_that_run_nothing(app, factory):
    client = staff(app, factory)
    for name in ("revenue", "orders", "funnel"):
        response = client.get(f"/admin/analytics/{name}.svg?start=2026-11-01&end=2026-11-07")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "<script" not in response.get_data(as_text=True)
    assert client.get("/admin/analytics/other.svg").status_code == 404


def test_the_funnel_by_day_as_csv(app, factory):
    today = date.today()
    client = staff(app, factory)  # its log-in page was a visitor's session: the 4th
    with app.app_context():
        db.session.add_all(
            [AnalyticsEvent(kind="session.started", session=f"s{n}", data={}) for n in range(3)]
            + [AnalyticsEvent(kind="cart.added", session="s1", data={})]
        )
        db.session.commit()
    start = (today - timedelta(days=1)).isoformat()
    response = client.get(f"/admin/analytics/funnel.csv?start={start}")
    assert (
        response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["day", "sessions", "Viewed a product", "Added to cart"]
    assert rows[-1][:4] == [today.isoformat(), "4", "0", "1"] and len(rows) == 3


def test_the_overview_costs_the_same_queries_for_a_week_or_a_quarter(app, factory):
    from tests.conftest import count_queries

    client = staff(app, factory)
    today = date.today()
    with app.app_context():
        db.session.add_all(
            AnalyticsEvent(kind="session.started", session=f"q{n}", data={}) for n in range(3)
        )
        db.session.commit()
    client.get("/admin/analytics")  # summarises the closed days once
    counts = []
    for days in (7, 30, 92):
        start = (today - timedelta(days=days - 1)).isoformat()
        with count_queries(app) as statements:
            assert client.get(f"/admin/analytics?start={start}").status_code == 200
        counts.append(len(statements))
    # No query per day: a fixed handful (summaries, today's events, orders, searches).
    assert counts[0] == counts[1] == counts[2] <= 25, counts


def test_a_long_range_is_shown_with_its_csv_grouped_in_a_few_queries(app, factory):
    from tests.conftest import count_queries

    client = staff(app, factory)
    start = (date.today() - timedelta(days=300)).isoformat()
    client.get(f"/admin/analytics/funnel.csv?start={start}")
    with count_queries(app) as statements:
        response = client.get(f"/admin/analytics/funnel.csv?start={start}")
    assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) == 302
    assert len(statements) <= 15, statements
