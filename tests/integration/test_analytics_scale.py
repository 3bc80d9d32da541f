"""Analytics in the shop's time zone (DST and half-hour zones included), daily summaries
identical to the raw counts and kept exact when late events change a closed day, and
the range picker's today being the shop's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from qkart.analytics import reports, rollups
from qkart.analytics.models import AnalyticsEvent, DailyFunnel
from qkart.core.shop import shop_today
from qkart.extensions import db
from tests.conftest import count_queries


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def add(app, *rows: tuple[str, str, datetime], **fields):
    with app.app_context():
        db.session.add_all(
            AnalyticsEvent(kind=k, session=s, occurred_at=at, data={}, **fields)
            for k, s, at in rows
        )
        db.session.commit()


@pytest.fixture
def new_york(make_app):
    return make_app(QKART_TIMEZONE="America/New_York")


def test_days_are_the_shops_across_the_clock_change(new_york):
    # 1 November 2026: New York goes from UTC-4 to UTC-5 at 06:00 UTC; the day lasts 25 h.
    add(
        new_york,
        ("session.started", "a", utc(2026, 11, 1, 3, 30)),  # 31 Oct, 23:30 EDT
        ("session.started", "b", utc(2026, 11, 1, 4, 30)),  # 1 Nov, 00:30 EDT
        ("session.started", "c", utc(2026, 11, 2, 4, 30)),  # 1 Nov, 23:30 EST
        ("session.started", "d", utc(2026, 11, 2, 5, 30)),  # 2 Nov, 00:30 EST
        ("cart.added", "c", utc(2026, 11, 2, 4, 40)),
    )
    period = reports.Period(date(2026, 10, 31), date(2026, 11, 2))
    with new_york.app_context():
        assert reports.Period(date(2026, 11, 1), date(2026, 11, 1)).bounds() == (
            utc(2026, 11, 1, 4),
            utc(2026, 11, 2, 5),
        )
        assert [d.sessions for d in reports.by_day(period)] == [1, 2, 1]
        by_day = reports.funnel_counts_by_day(period)
        assert [by_day[d]["cart.added"] for d in period.each_day()] == [0, 1, 0]
        begin, end = period.bounds()
        assert sorted(rollups.raw_counts(begin, end), key=repr) == sorted(
            rollups.counts(period.start, period.end), key=repr
        )


def test_a_half_hour_zone(make_app):
    kolkata = make_app(QKART_TIMEZONE="Asia/Kolkata")  # UTC+5:30
    add(
        kolkata,
        ("session.started", "a", utc(2026, 11, 10, 18, 15)),  # 10 Nov, 23:45 IST
        ("session.started", "b", utc(2026, 11, 10, 18, 45)),  # 11 Nov, 00:15 IST
    )
    with kolkata.app_context():
        days = reports.by_day(reports.Period(date(2026, 11, 10), date(2026, 11, 11)))
        assert [d.sessions for d in days] == [1, 1]


def test_summaries_equal_the_raw_counts_and_follow_late_changes(new_york):
    placed = utc(2026, 11, 5, 15)
    add(
        new_york,
        ("session.started", "s1", placed),
        ("cart.added", "s1", placed),
        ("session.started", "s2", placed),
        ("cart.added", "s2", placed),
        device="mobile",
    )
    with new_york.app_context():
        db.session.add(
            AnalyticsEvent(
                kind="order.placed",
                session="s1",
                device="mobile",
                occurred_at=placed,
                order_id=7,
                data={},
            )
        )
        db.session.commit()
    week = reports.Period(date(2026, 11, 2), date(2026, 11, 8))
    with new_york.app_context():
        assert reports.funnel_counts(week)["order.paid"] == 0
        assert reports.kpis(week).abandonment == reports.rate(1, 2)
        summarised = db.session.scalar(select(func.count()).select_from(DailyFunnel))
        assert summarised > 0  # the closed days were summarised, not read raw
        db.session.commit()
    # Paid today (a webhook, no session) for an order of a closed day; and a late event.
    add(new_york, ("order.paid", None, datetime.now(UTC)))
    with new_york.app_context():
        db.session.execute(
            AnalyticsEvent.__table__.update()
            .where(AnalyticsEvent.kind == "order.paid")
            .values(order_id=7)
        )
        db.session.commit()
    add(new_york, ("session.started", "late", utc(2026, 11, 6, 15)), device="tablet")
    with new_york.app_context():
        counts = reports.funnel_counts(week)
        assert (counts["order.paid"], counts["session.started"]) == (1, 3)
        assert reports.funnel_counts(week, "tablet")["session.started"] == 1
        begin, end = week.bounds()
        assert sorted(rollups.raw_counts(begin, end), key=repr) == sorted(
            rollups.counts(week.start, week.end), key=repr
        )


def test_today_is_counted_from_the_events_and_summaries_stop_at_yesterday(new_york):
    now = datetime.now(UTC)
    add(new_york, ("session.started", "today", now), ("search", "today", now))
    with new_york.app_context():
        today = shop_today()
        assert today == now.astimezone(ZoneInfo("America/New_York")).date()
        period = reports.Period(today - timedelta(days=2), today)
        assert reports.by_day(period)[-1].sessions == 1
        assert rollups.refresh() == today - timedelta(days=1)
        rows = db.session.scalars(select(DailyFunnel.day)).all()
        assert today not in rows


def test_the_range_pickers_today_is_the_shops(make_app):
    from qkart.blueprints.admin.analytics_base import asked_period, presets

    kiritimati = make_app(QKART_TIMEZONE="Pacific/Kiritimati")  # UTC+14
    with kiritimati.test_request_context("/admin/analytics"):
        today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
        _, period, _ = asked_period()
        assert period == reports.Period(today - timedelta(days=29), today)
        assert presets()[0][1] == {"start": today.isoformat(), "end": today.isoformat()}


def test_recording_adds_one_insert_and_nothing_else_to_a_page(app, client, factory):
    lamp = factory.product("Desk Lamp")
    client.get("/")
    untracked = app.test_client()
    untracked.get("/", headers={"DNT": "1"})
    with count_queries(app) as tracked_sql:
        client.get(f"/products/{lamp.slug}")
    with count_queries(app) as untracked_sql:
        untracked.get(f"/products/{lamp.slug}", headers={"DNT": "1"})
    extra = list(tracked_sql)
    for statement in untracked_sql:
        extra.remove(statement)
    assert [s.split("(")[0].strip() for s in extra] == ["INSERT INTO analytics_events"]
