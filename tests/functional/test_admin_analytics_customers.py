"""The staff customer report (/admin/analytics/customers) and the staff home's KPIs:
who may read them, the numbers they show, charts, CSVs and bad input."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from qkart.accounts.models import ROLE_PERMISSIONS
from qkart.analytics.models import AnalyticsEvent
from qkart.extensions import db
from tests.conftest import count_queries, login
from tests.support.orders import order_row

PAGE = "/admin/analytics/customers"
RANGE = "start=2026-01-01&end=2026-04-30"


def at(month: int, day: int, year: int = 2026, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def staff(app, factory, role="admin"):
    client = app.test_client()
    login(client, factory.user(f"{role}-customers@example.com", role=role))
    return client


@pytest.fixture
def history(app, factory):
    """ann: Jan, Feb, Apr; bob: Jan as a guest, Mar with his account; cara: Dec 2025 and
    Feb; "=Fay": June 2025 only (at risk, and a name a spreadsheet would run)."""
    ann = factory.user("ann@example.com", name="Ann Archer")
    bob = factory.user("bob@example.com", name="Bob Baker")
    cara = factory.user("cara@example.com", name="Cara Cole")
    fay = factory.user("fay@example.com", name="=Fay")
    with app.app_context():
        db.session.add_all(
            [
                order_row("ann@example.com", at(1, 5), 3_000, ann),
                order_row("ann@example.com", at(2, 10), 4_000, ann),
                order_row("ann@example.com", at(4, 2), 5_000, ann),
                order_row("Bob@example.com", at(1, 20), 2_000),
                order_row("bob@example.com", at(3, 15), 8_000, bob),
                order_row("cara@example.com", at(12, 10, 2025), 10_000, cara),
                order_row("cara@example.com", at(2, 1), 6_000, cara),
                order_row("fay@example.com", at(6, 1, 2025), 50_000, fay),
                order_row("ann@example.com", at(3, 1), 90_000, ann, status="cancelled"),
            ]
        )
        db.session.commit()
    return {"ann": ann, "bob": bob, "cara": cara, "fay": fay}


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html)


# -- who may read it ------------------------------------------------------------------


def test_only_staff_who_read_reports_open_it(app, factory):
    assert staff(app, factory).get(PAGE).status_code == 200
    manager = staff(app, factory, "manager")
    for path in (PAGE, f"{PAGE}/cohorts.csv", f"{PAGE}/lifetime.svg"):
        assert manager.get(path).status_code == 403
    shopper = app.test_client()
    login(shopper, factory.user("shopper-customers@example.com"))
    assert shopper.get(PAGE).status_code == 403
    visitor = app.test_client().get(PAGE)
    assert visitor.status_code in (302, 303) and "/login" in visitor.headers["Location"]


def test_it_is_in_the_reports_navigation(app, factory):
    client = staff(app, factory)
    page = client.get(f"/admin/analytics?{RANGE}").get_data(as_text=True)
    assert f'<a href="{PAGE}?start=2026-01-01&amp;end=2026-04-30">Customers</a>' in page
    page = client.get(PAGE).get_data(as_text=True)
    assert '<a href="/admin/analytics/customers" aria-current="page">Customers</a>' in page


# -- what it shows ----------------------------------------------------------------------


def test_the_page_shows_the_range_numbers(app, factory, history):
    page = squeeze(staff(app, factory).get(f"{PAGE}?{RANGE}").get_data(as_text=True))
    # ann, bob, cara bought; cara had bought before; ann and bob twice or more.
    assert '<h2>Customers</h2><p class="big-number">3</p>' in page
    assert '<h2>New customers</h2><p class="big-number">2</p>' in page
    assert '<h2>Returning customers</h2><p class="big-number">33.3 %</p>' in page
    assert '<h2>Repeat purchases</h2><p class="big-number">66.7 %</p>' in page
    assert "2 of 3 bought twice or more in the range" in page
    # Gaps: ann 36 and 51 days, bob 54, cara 53 (from December): median 52.
    assert '<h2>Days between orders</h2><p class="big-number">52</p>' in page
    assert (
        '<tr><th scope="row">31 to 90 days</th><td class="num">4</td>'
        '<td class="num">100.0 %</td></tr>' in page
    )
    assert (
        '<tr><th scope="row">$100.00 to $249.99</th><td class="num">3</td>'
        '<td class="num">100.0 %</td></tr>' in page
    )
    assert (
        '<tr><th scope="row" class="nowrap">Feb 2026</th><td class="num">0</td>'
        '<td class="num">2</td><td class="num">100.0 %</td></tr>' in page
    )


def test_the_cohort_table(app, factory, history):
    page = squeeze(staff(app, factory).get(f"{PAGE}?{RANGE}").get_data(as_text=True))
    assert "<caption>Share of each first-order month" in page
    header = '<th scope="col">First order</th><th scope="col" class="num">Customers</th>' + "".join(
        f'<th scope="col" class="num">Month {n}</th>' for n in range(4)
    )
    assert header in page
    # January: ann and bob; ann ordered in February and April, bob in March.
    assert (
        '<tr><th scope="row" class="nowrap">Jan 2026</th><td class="num">2</td>'
        '<td class="num">100.0 %</td><td class="num">50.0 %</td><td class="num">50.0 %</td>'
        '<td class="num">50.0 %</td></tr>' in page
    )
    assert (
        '<tr><th scope="row" class="nowrap">Apr 2026</th><td class="num">0</td>'
        '<td class="num">–</td><td></td><td></td><td></td></tr>' in page
    )


def test_customers_link_to_their_page_only_for_staff_who_may_open_it(
    app, factory, history, monkeypatch
):
    ann = history["ann"]
    link = f'<a href="/admin/customers/{ann.id}">Ann Archer</a>'
    assert link in staff(app, factory).get(f"{PAGE}?{RANGE}").get_data(as_text=True)
    monkeypatch.setitem(ROLE_PERMISSIONS, "manager", frozenset({"reports"}))
    page = staff(app, factory, "manager").get(f"{PAGE}?{RANGE}").get_data(as_text=True)
    assert link not in page and "Ann Archer" in page
    assert "/admin/customers/" not in page


def test_top_customers_and_customers_at_risk(app, factory, history):
    client = staff(app, factory)
    page = squeeze(client.get(f"{PAGE}?{RANGE}").get_data(as_text=True))
    top = page[page.index('id="top-title"') : page.index('id="risk-title"')]
    names = re.findall(r'<th scope="row"><a href="/admin/customers/\d+">([^<]+)</a>', top)
    assert names == ["Ann Archer", "Bob Baker", "Cara Cole"]  # $120, $100, $60
    risk = page[page.index('id="risk-title"') :]
    assert "1 customer ordered before Jan 31, 2026 and not since" in risk
    assert f'<a href="/admin/customers/{history["fay"].id}">=Fay</a>' in risk
    assert 'max="730" min="1" name="days" type="number" value="90"' in risk
    longer = squeeze(client.get(f"{PAGE}?{RANGE}&days=60").get_data(as_text=True))
    assert "2 customers ordered before Mar 2, 2026 and not since" in longer  # fay, cara


# -- downloads and charts ---------------------------------------------------------------


def test_the_cohorts_csv(app, factory, history):
    rows = rows_of(staff(app, factory).get(f"{PAGE}/cohorts.csv?{RANGE}"))
    assert rows[0][:6] == [
        "first order month",
        "customers",
        "month 0 customers",
        "month 1 customers",
        "month 2 customers",
        "month 3 customers",
    ]
    assert rows[1] == ["2026-01", "2", "2", "1", "1", "1", "1.0000", "0.5000", "0.5000", "0.5000"]
    assert rows[4] == ["2026-04", "0", "0", "", "", "", "", "", "", ""]


def test_the_customer_lists_as_csv(app, factory, history):
    client = staff(app, factory)
    top = rows_of(client.get(f"{PAGE}/top-customers.csv?{RANGE}"))
    assert top[0] == ["e-mail", "name", "orders", "revenue", "lifetime value", "last order"]
    assert top[1:] == [
        ["ann@example.com", "Ann Archer", "3", "$120.00", "$120.00", "2026-04-02"],
        ["bob@example.com", "Bob Baker", "2", "$100.00", "$100.00", "2026-03-15"],
        ["cara@example.com", "Cara Cole", "1", "$60.00", "$160.00", "2026-02-01"],
    ]
    risk = rows_of(client.get(f"{PAGE}/at-risk.csv?{RANGE}&days=60"))
    assert risk[1:] == [
        # A name starting with "=" is kept as text, never run as a formula.
        ["fay@example.com", "'=Fay", "1", "$500.00", "2025-06-01"],
        ["cara@example.com", "Cara Cole", "2", "$160.00", "2026-02-01"],
    ]
    assert client.get(f"{PAGE}/other.csv").status_code == 404


def test_charts_are_svg_images_that_run_nothing(app, factory, history):
    client = staff(app, factory)
    for name in ("new-returning", "lifetime", "gaps"):
        response = client.get(f"{PAGE}/{name}.svg?{RANGE}")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        svg = response.get_data(as_text=True)
        assert "<script" not in svg
    assert "Feb 2026" in client.get(f"{PAGE}/new-returning.svg?{RANGE}").get_data(as_text=True)
    assert client.get(f"{PAGE}/other.svg").status_code == 404
    page = client.get(f"{PAGE}?{RANGE}").get_data(as_text=True)
    assert f'src="{PAGE}/lifetime.svg?start=2026-01-01&amp;end=2026-04-30&amp;days=90"' in page


# -- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-04-30&end=2026-01-01", "The last day cannot come before the first."),
        ("start=30-04-2026", "Enter a day like 2026-12-31."),
        ("start=2024-01-01&end=2026-01-01", "Choose at most a year at a time."),
        ("days=soon", "Enter a whole number."),
        ("days=0", "Enter a number of days from 1 to 730."),
        ("days=731", "Enter a number of days from 1 to 730."),
        ("days=-5", "Enter a number of days from 1 to 730."),
        ("days=99999999999999999999999", "Enter a number of days from 1 to 730."),
    ],
)
def test_bad_input_is_explained_never_a_500(app, factory, query, message):
    client = staff(app, factory)
    page = client.get(f"{PAGE}?{query}")
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    for download in ("cohorts.csv", "at-risk.csv", "gaps.svg"):
        refused = client.get(f"{PAGE}/{download}?{query}")
        assert refused.status_code == 422 and message in refused.get_data(as_text=True)


def test_the_page_costs_the_same_queries_for_more_customers(app, factory, history):
    """Each counted visit computes the report afresh (new orders outdate a kept one),
    after the same kind of change."""
    client = staff(app, factory)
    client.get(f"{PAGE}?{RANGE}")  # warm: the settings, the kept categories, the summaries

    def add_customers(*emails: str) -> None:
        buyers = [factory.user(email) for email in emails]
        with app.app_context():
            rows = [order_row(u.email, at(2, 2 + n), 1_000, u) for n, u in enumerate(buyers)]
            db.session.add_all(rows)
            db.session.commit()

    add_customers("one@example.com")
    with count_queries(app) as few:
        client.get(f"{PAGE}?{RANGE}")
    add_customers(*(f"more{n}@example.com" for n in range(4)))
    with count_queries(app) as many:
        page = client.get(f"{PAGE}?{RANGE}").get_data(as_text=True)
    assert "more3@example.com" in page
    assert len(many) == len(few)


# -- the staff home ---------------------------------------------------------------------


@pytest.fixture
def this_week(app, factory):
    """Two sold orders in the last 7 days (one a returning customer's), one the week before,
    a low-stock product, and sessions: 4 this week (2 with a cart, 1 of them ordered)."""
    now = datetime.now(UTC).replace(microsecond=0)
    old = factory.user("old@example.com", name="Olive Old")
    factory.product("Nearly Gone", stock=1)
    factory.product("Plenty", stock=50)
    with app.app_context():
        db.session.add_all(
            [
                order_row("old@example.com", now - timedelta(days=60), 4_000, old),
                order_row("old@example.com", now - timedelta(days=10), 2_000, old),
                order_row("old@example.com", now, 6_000, old),
                order_row("new@example.com", now - timedelta(days=3), 3_000),
                *[
                    AnalyticsEvent(kind="session.started", session=f"s{n}", data={})
                    for n in range(4)
                ],
                AnalyticsEvent(kind="cart.added", session="s1", data={}),
                AnalyticsEvent(kind="cart.added", session="s2", data={}),
                AnalyticsEvent(kind="order.placed", session="s2", data={}),
            ]
        )
        db.session.commit()


def test_the_home_shows_the_week_against_the_week_before(app, factory, this_week):
    page = squeeze(staff(app, factory).get("/admin/").get_data(as_text=True))
    assert '<h2 id="kpi-title">Last 7 days</h2>' in page
    # $90 in 2 orders against $20 in 1; AOV $45 against $20.
    assert '<h3>Revenue</h3><p class="big-number">$90.00</p>' in page
    assert "+350.0 % on the previous 7 days" in page
    assert '<h3>Orders</h3><p class="big-number">2</p>' in page
    assert '<h3>Average order</h3><p class="big-number">$45.00</p>' in page
    # 1 order of the 5 sessions (the admin's log-in page was one), 1 of 2 carts left.
    assert '<h3>Conversion</h3><p class="big-number">20.0 %</p>' in page
    assert '<h3>Cart abandonment</h3><p class="big-number">50.0 %</p>' in page
    # old@ had bought before; new@ had not. The week before: old@ only, returning.
    assert '<h3>Returning customers</h3><p class="big-number">50.0 %</p>' in page
    assert "−50.0 % on the previous 7 days" in page
    assert '<h2>Low stock</h2><p class="big-number">1</p><p><a href="/admin/inventory">' in page
    assert '<h2>Returns waiting</h2><p class="big-number">0</p><p><a href="/admin/returns">' in page
    assert 'src="/admin/analytics/revenue.svg?start=' in page
    assert 'src="/admin/analytics/orders.svg?start=' in page


def test_the_home_windows_and_a_chosen_range(app, factory, this_week):
    client = staff(app, factory)
    today = date.today()
    home = client.get("/admin/").get_data(as_text=True)
    for label, days in (("Today", 1), ("7 days", 7), ("30 days", 30)):
        start = (today - timedelta(days=days - 1)).isoformat()
        assert f'<a href="/admin/?start={start}&amp;end={today.isoformat()}">{label}</a>' in home
    page = squeeze(client.get(f"/admin/?start={today}&end={today}").get_data(as_text=True))
    assert '<h2 id="kpi-title">Today</h2>' in page
    assert '<h3>Orders</h3><p class="big-number">1</p>' in page
    month = today - timedelta(days=29)
    page = squeeze(client.get(f"/admin/?start={month}&end={today}").get_data(as_text=True))
    assert '<h2 id="kpi-title">Last 30 days</h2>' in page
    assert '<h3>Revenue</h3><p class="big-number">$110.00</p>' in page
    chosen = today - timedelta(days=12)
    page = squeeze(client.get(f"/admin/?start={chosen}&end={today}").get_data(as_text=True))
    assert "13 days before" in page and '<h3>Orders</h3><p class="big-number">3</p>' in page
    bad = client.get("/admin/?start=2026-05-02&end=2026-05-01")
    assert bad.status_code == 422
    assert "The last day cannot come before the first." in bad.get_data(as_text=True)


def test_staff_without_reports_keep_their_home_without_kpis(app, factory, this_week):
    page = squeeze(staff(app, factory, "manager").get("/admin/").get_data(as_text=True))
    assert "Last 7 days" in page and "<h2>To ship</h2>" in page
    for kpi in ("Revenue", "Conversion", "Cart abandonment", "Returning customers"):
        assert f"<h3>{kpi}</h3>" not in page
    assert "/admin/analytics/" not in page


def test_the_home_runs_a_fixed_number_of_queries(app, factory, this_week):
    client = staff(app, factory)
    client.get("/admin/")
    with count_queries(app) as before:
        client.get("/admin/")
    with app.app_context():
        db.session.add_all(
            [order_row(f"c{n}@example.com", datetime.now(UTC), 1_000) for n in range(5)]
        )
        db.session.commit()
    for n in range(5):
        factory.product(f"Low {n}", stock=0)
    client.get("/admin/")  # the kept category list is read again once after a change
    with count_queries(app) as after:
        page = client.get("/admin/").get_data(as_text=True)
    assert '<h3>Orders</h3><p class="big-number">7</p>' in squeeze(page)
    # The KPIs read the daily summaries: a check that they are current, the closed days,
    # and today's events (qkart.analytics.rollups), the same count whatever the data.
    assert len(after) == len(before) <= 22, before
