"""The Web vitals report: exact 75th percentiles per page type, device and day, the CSV,
the charts, bad ranges and who may read it."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from qkart.analytics.models import WebVitalCount
from qkart.extensions import db
from tests.conftest import login

D1, D2 = date(2026, 11, 2), date(2026, 11, 3)
RANGE = "start=2026-11-02&end=2026-11-03"
ESCAPED = RANGE.replace("&", "&amp;")  # as written in an HTML attribute
# (day, page, device, metric, bucket upper edge, page views)
HISTORY = [
    (D1, "product", "mobile", "LCP", 2000, 2),
    (D1, "product", "mobile", "LCP", 3000, 1),
    (D1, "product", "mobile", "LCP", 5000, 1),
    (D1, "product", "desktop", "LCP", 1000, 4),
    (D2, "product", "mobile", "LCP", 2600, 4),
    (D2, "product", "mobile", "INP", 600, 1),
    (D1, "home", "desktop", "LCP", 1500, 3),
    (D1, "home", "desktop", "INP", 100, 3),
    (D1, "home", "desktop", "CLS", 0, 3),
    (D2, "home", "desktop", "CLS", 300, 1),
    (date(2026, 11, 4), "cart", "desktop", "LCP", 9000, 5),  # the day after the range
]


@pytest.fixture
def history(app):
    with app.app_context():
        db.session.add_all(
            WebVitalCount(day=d, page=p, device=v, metric=m, upper=u, count=n)
            for d, p, v, m, u, n in HISTORY
        )
        db.session.commit()


def staff(app, factory, role="admin"):
    client = app.test_client()
    login(client, factory.user(f"{role}-vitals@example.com", role=role))
    return client


def test_the_75th_percentiles_over_the_range(app, factory, history):
    page = staff(app, factory).get(f"/admin/analytics/vitals?{RANGE}").get_data(as_text=True)
    assert (
        '<a href="/admin/analytics/vitals?' in page and 'aria-current="page">Web vitals</a>' in page
    )
    # The whole shop. LCP: 15 views, the 12th smallest is in the 2.6 s bucket.
    assert (
        '<th scope="row">Largest Contentful Paint (LCP)</th><td class="num">2.60 s</td>'
        '<td>needs improvement</td><td class="num">15</td><td class="num">2.50 s</td>'
        '<td class="num">4.00 s</td>'
    ) in page
    assert (
        '<th scope="row">Interaction to Next Paint (INP)</th><td class="num">100 ms</td>'
        '<td>good</td><td class="num">4</td><td class="num">200 ms</td><td class="num">500 ms</td>'
    ) in page
    assert (
        '<th scope="row">Cumulative Layout Shift (CLS)</th><td class="num">0.000</td>'
        '<td>good</td><td class="num">4</td><td class="num">0.100</td><td class="num">0.250</td>'
    ) in page
    # Per page type: the product pages' LCP of 12 views has its 9th in the 2.6 s bucket.
    assert (
        '<th scope="row">Product</th>'
        '<td class="num">2.60 s<br><span class="small">needs improvement · 12 views</span></td>'
        '<td class="num">600 ms<br><span class="small">poor · 1 view</span></td>'
        '<td class="num">–</td></tr>'
    ) in page
    assert (
        '<th scope="row">Home</th>'
        '<td class="num">1.50 s<br><span class="small">good · 3 views</span></td>'
        '<td class="num">100 ms<br><span class="small">good · 3 views</span></td>'
        '<td class="num">0.000<br><span class="small">good · 4 views</span></td></tr>'
    ) in page
    assert '<th scope="row">Cart</th>' not in page  # its views fall outside the range
    # Per device: mobile LCP 2.6 s of 8 views, desktop 1.5 s of 7.
    assert (
        '<th scope="row">Mobile</th>'
        '<td class="num">2.60 s<br><span class="small">needs improvement · 8 views</span></td>'
    ) in page
    assert (
        '<th scope="row">Desktop</th>'
        '<td class="num">1.50 s<br><span class="small">good · 7 views</span></td>'
    ) in page


def test_the_trend_per_day_and_page_type(app, factory, history):
    page = staff(app, factory).get(f"/admin/analytics/vitals?{RANGE}").get_data(as_text=True)
    lcp = page[page.index('id="lcp-title"') : page.index('id="inp-title"')]
    # Nov 2: all pages 11 views (9th: 2 s), home 1.5 s, product 8 views (6th: 2 s).
    assert (
        '<th scope="row" class="nowrap">Nov 2, 2026</th>'
        '<td class="num">2.00 s<br><span class="small">good · 11 views</span></td>'
        '<td class="num">1.50 s<br><span class="small">good · 3 views</span></td>'
        '<td class="num">2.00 s<br><span class="small">good · 8 views</span></td></tr>'
    ) in lcp
    assert (
        '<th scope="row" class="nowrap">Nov 3, 2026</th>'
        '<td class="num">2.60 s<br><span class="small">needs improvement · 4 views</span></td>'
        '<td class="num">–</td>'
        '<td class="num">2.60 s<br><span class="small">needs improvement · 4 views</span></td></tr>'
    ) in lcp
    for name in ("lcp", "inp", "cls"):
        for kind in ("days", "pages"):
            assert f'src="/admin/analytics/vitals/{name}-{kind}.svg?{ESCAPED}"' in page


def test_the_csv_has_each_day_page_type_and_device(app, factory, history):
    response = staff(app, factory).get(f"/admin/analytics/vitals.csv?{RANGE}")
    assert response.mimetype == "text/csv"
    assert (
        'filename="qkart-web-vitals-2026-11-02-2026-11-03.csv"'
        in (response.headers["Content-Disposition"])
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [
        ["day", "page type", "device", "metric", "page views", "p75 (ms; CLS: score)", "rating"],
        ["2026-11-02", "home", "desktop", "CLS", "3", "0.000", "good"],
        ["2026-11-02", "home", "desktop", "INP", "3", "100", "good"],
        ["2026-11-02", "home", "desktop", "LCP", "3", "1500", "good"],
        ["2026-11-02", "product", "desktop", "LCP", "4", "1000", "good"],
        ["2026-11-02", "product", "mobile", "LCP", "4", "3000", "needs improvement"],
        ["2026-11-03", "home", "desktop", "CLS", "1", "0.300", "poor"],
        ["2026-11-03", "product", "mobile", "INP", "1", "600", "poor"],
        ["2026-11-03", "product", "mobile", "LCP", "4", "2600", "needs improvement"],
    ]


def test_charts_are_svg_images_that_run_nothing(app, factory, history):
    client = staff(app, factory)
    for name in ("lcp-days", "inp-days", "cls-days", "lcp-pages", "inp-pages", "cls-pages"):
        response = client.get(f"/admin/analytics/vitals/{name}.svg?{RANGE}")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        svg = response.get_data(as_text=True)
        assert "<script" not in svg and "75th percentile" in svg
    days = client.get(f"/admin/analytics/vitals/lcp-days.svg?{RANGE}").get_data(as_text=True)
    assert "Good up to 2.50 s" in days and "Poor above 4.00 s" in days
    assert client.get("/admin/analytics/vitals/fid-days.svg").status_code == 404
    assert client.get("/admin/analytics/vitals/lcp-weeks.svg").status_code == 404


def test_an_empty_range_and_bad_ranges(app, factory):
    client = staff(app, factory)
    empty = client.get(f"/admin/analytics/vitals?{RANGE}").get_data(as_text=True)
    assert empty.count("No page views measured in this range.") == 2
    assert '<td class="num">–</td><td>no data</td><td class="num">0</td>' in empty
    backwards = client.get("/admin/analytics/vitals?start=2026-11-10&end=2026-11-01")
    assert backwards.status_code == 422
    assert "The last day cannot come before the first." in backwards.get_data(as_text=True)
    assert client.get("/admin/analytics/vitals?start=2025-01-01&end=2026-11-01").status_code == 422
    assert client.get("/admin/analytics/vitals?end=yesterday").status_code == 422


def test_only_staff_with_reports_read_it(app, factory, history):
    manager = staff(app, factory, "manager")
    for url in ("/admin/analytics/vitals", "/admin/analytics/vitals.csv"):
        assert manager.get(url).status_code == 403
    assert manager.get("/admin/analytics/vitals/lcp-days.svg").status_code == 403
    shopper = app.test_client()
    login(shopper, factory.user("shopper-vitals@example.com"))
    assert shopper.get("/admin/analytics/vitals").status_code == 403
    visitor = app.test_client().get("/admin/analytics/vitals")
    assert visitor.status_code in (302, 303) and "/login" in visitor.headers["Location"]
