"""Heavy report ranges through real parts: the overview of four months queues a report
job on Redis, a real RQ worker computes it while the page shows its progress (the same
fragment htmx polls), and the result is kept for whoever asks next."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from qkart.analytics import cache, reports
from qkart.analytics.models import AnalyticsEvent, ReportRun
from qkart.core.shop import shop_today
from qkart.extensions import db
from qkart.jobs.models import OutboxJob
from tests.conftest import htmx, login

FUNNEL_ROW = '<th scope="row">{}</th><td class="num">{}</td>'


def _history(app) -> str:
    """Three sessions (two add to cart) 10 days ago; the URL of the last 120 closed days."""
    with app.app_context():
        today = shop_today()
        day = datetime.combine(today - timedelta(days=10), time(12), tzinfo=UTC)
        db.session.add_all(
            [
                AnalyticsEvent(kind="session.started", session=f"s{n}", occurred_at=day, data={})
                for n in range(3)
            ]
            + [
                AnalyticsEvent(kind="cart.added", session=f"s{n}", occurred_at=day, data={})
                for n in range(2)
            ]
        )
        db.session.commit()
    start, end = today - timedelta(days=120), today - timedelta(days=1)
    return f"/admin/analytics?start={start}&end={end}"


def _jobs(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(OutboxJob.id)).where(OutboxJob.name == "analytics.build_report")
        )


@pytest.mark.services
def test_a_long_range_is_computed_by_a_worker_with_progress_and_kept(worker_app, factory):
    app, run_worker, queue = worker_app
    url = _history(app)
    client = app.test_client()
    login(client, factory.user("reports-worker@example.com", role="admin"))

    waiting = client.get(url)
    page = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and waiting.headers["Cache-Control"] == "no-store"
    assert "Computing this report" in page and 'data-hx-trigger="every 2s"' in page
    assert f'<a href="{url.replace("&", "&amp;")}">refresh it</a>' in page  # without JS
    assert 'id="funnel-title"' not in page
    assert client.get(url).status_code == 200  # asked again: the same run, no new job
    assert _jobs(app) == 1 and queue.count == 1

    finished = run_worker()
    assert finished.returncode == 0, finished.stderr[-2000:]
    with app.app_context():
        runs = [(r.status, r.key) for r in db.session.scalars(select(ReportRun))]
    assert [status for status, _ in runs] == ["done"], (runs, finished.stderr[-3000:])
    fragment = client.get(url, headers=htmx("analytics-report")).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="analytics-report">')
    assert FUNNEL_ROW.format("Sessions", 3) in fragment
    assert FUNNEL_ROW.format("Added to cart", 2) in fragment
    with app.app_context():
        run = db.session.scalars(select(ReportRun)).one()
        assert (run.status, run.done_steps, run.total_steps, run.percent) == ("done", 5, 5, 100)
    full = client.get(url).get_data(as_text=True)  # a plain reload: the kept result
    assert FUNNEL_ROW.format("Sessions", 3) in full and _jobs(app) == 1


def test_without_redis_the_job_runs_inline_and_the_page_shows_the_report(app, factory):
    url = _history(app)
    client = app.test_client()
    login(client, factory.user("reports-inline@example.com", role="admin"))
    page = client.get(url).get_data(as_text=True)
    assert FUNNEL_ROW.format("Sessions", 3) in page and _jobs(app) == 1


def test_a_result_is_kept_only_while_its_data_is_unchanged(app, factory):
    _history(app)
    with app.app_context():
        today = shop_today()
        long_ago = reports.Period(today - timedelta(days=120), today - timedelta(days=1))
        with_today = reports.Period(today - timedelta(days=100), today)
        before = cache.key_of(reports.overview, long_ago)
        assert cache.key_of(reports.overview, with_today).split(":")[-1].startswith("t")
        db.session.commit()  # the summaries made on the way
        user = factory.user("reports-key@example.com")
        from tests.support.orders import order_of

        order_of(app, user, factory.product(price=1_000), status="paid")
        after_order = cache.key_of(reports.overview, long_ago)
        db.session.commit()
        assert after_order != before  # an order changed
        late = datetime.combine(today - timedelta(days=50), time(9), tzinfo=UTC)
        db.session.add(AnalyticsEvent(kind="session.started", session="late", occurred_at=late))
        db.session.commit()
        assert cache.key_of(reports.overview, long_ago) != after_order  # a closed day changed
        assert reports.by_day(long_ago)[70].sessions == 1  # and is summarised again
        with pytest.raises(ValueError):
            cache.report_name(lambda period, progress: None)


def test_results_round_trip_through_json():
    value = reports.Overview(
        now=reports.Kpis(100, 1, 100, 3, reports.rate(1, 3), None),
        before=reports.Kpis(0, 0, 0, 0, None, None),
        funnel=[reports.Step("Sessions", 3, None, reports.rate(3, 3))],
        device_funnels={"mobile": []},
        days=[reports.Day(shop_day := datetime(2026, 11, 1).date(), 100, 1, 3)],
        top_searches=[reports.Search("lamp", 2)],
        empty_searches=[],
    )
    assert cache.decode(cache.encode(value)) == value and shop_day.year == 2026


# The other report pages take long ranges the same way: (page, what only its report shows).
PAGES = [
    ("/admin/analytics/sales", "Units sold"),
    ("/admin/analytics/abandonment", "Abandonment rate"),
    ("/admin/analytics/customers", "Repeat purchases"),
    ("/admin/analytics/vitals", "The whole shop"),
]


@pytest.mark.services
@pytest.mark.parametrize("path, marker", PAGES)
def test_every_report_page_hands_a_long_range_to_the_worker(worker_app, factory, path, marker):
    app, run_worker, queue = worker_app
    url = path + "?" + _history(app).partition("?")[2]
    client = app.test_client()
    login(client, factory.user("reports-pages@example.com", role="admin"))

    waiting = client.get(url)
    page = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and waiting.headers["Cache-Control"] == "no-store"
    assert "Computing this report" in page and marker not in page
    assert queue.count == 1

    finished = run_worker()
    assert finished.returncode == 0, finished.stderr[-2000:]
    fragment = client.get(url, headers=htmx("analytics-report")).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="analytics-report">') and marker in fragment
    charts = [src.replace("&amp;", "&") for src in _chart_urls(fragment)]
    assert charts and all(client.get(src).status_code == 200 for src in charts)
    assert _jobs(app) == 1  # the charts drew from the kept result


def _chart_urls(html: str) -> list[str]:
    import re

    return re.findall(r'<img class="chart" src="([^"]+)"', html)


def test_every_page_report_round_trips_through_json(app, factory):
    """What the worker keeps comes back as the page's own types (tuples, dict keys)."""
    from qkart.analytics import abandonment, customers, sales, vitals
    from tests.support.orders import order_of

    _history(app)
    user = factory.user("reports-json@example.com")
    order_of(app, user, factory.product(price=1_000), status="paid")
    with app.app_context():
        beacon = vitals.Beacon(
            "product", "mobile", {"LCP": Decimal("1800"), "CLS": Decimal("0.02")}
        )
        vitals.record_beacon(beacon, shop_today())
        db.session.commit()
        today = shop_today()
        period = reports.Period(today - timedelta(days=120), today)
        for report in (
            sales.sales_report,
            abandonment.abandonment_report,
            customers.customers_report,
            vitals.vitals_report,
            reports.overview,
        ):
            value = report(period, None)
            assert cache.decode(cache.encode(value)) == value, report.__name__
