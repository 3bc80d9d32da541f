"""Staff analytics overview: KPIs against the previous period, the funnel, sales by day,
searches.

Charts are SVG drawn by pygal on the server, served as images (no script, so they
show with JavaScript off); every chart has the same numbers in a table beside it.
Ranges longer than ``cache.INLINE_DAYS`` are computed by a worker: the page shows its
progress (htmx asks again every two seconds; without JavaScript, a link does) and
then the result, kept for whoever asks next.
"""

from __future__ import annotations

from dataclasses import fields

import pygal
from flask import Response, abort, url_for

from qkart.analytics import reports
from qkart.blueprints.admin import bp
from qkart.blueprints.admin.analytics_base import (
    asked_period,
    chart_config,
    computed,
    csv_response,
    kept,
    period_args,
    presets,
    report_page,
    report_response,
    svg_response,
)
from qkart.blueprints.admin.guard import requires
from qkart.core.filters import money
from qkart.core.htmx import render
from qkart.core.shop import shop_timezone

CHARTS = ("revenue", "orders", "funnel")


@bp.get("/analytics")
@requires("reports")
@report_page("Overview", order=10)
def analytics() -> Response:
    form, period, valid = asked_period()
    answer = computed(reports.overview, period)
    report = answer.result
    response = render(
        "admin/analytics.html",
        {"analytics-report": "report"},
        status=200 if valid else 422,
        form=form,
        period=period,
        zone=shop_timezone().key,
        run=answer.run,
        ready=answer.ready,
        change=reports.change,
        presets=presets(),
        self_url=url_for(".analytics", **period_args(period)),
        chart_url=lambda name: url_for(".analytics_chart", name=name, **period_args(period)),
        csv_url=url_for(".analytics_csv", **period_args(period)),
        **({f.name: getattr(report, f.name) for f in fields(report)} if answer.ready else {}),
    )
    return report_response(answer, response)


@bp.get("/analytics/funnel.csv")
@requires("reports")
def analytics_csv() -> Response:
    """The funnel and sales of each day of the range, for a spreadsheet (four queries)."""
    _, period, _ = asked_period()
    sold = {d.day: d for d in reports.by_day(period)}
    steps = reports.funnel_counts_by_day(period)
    rows = [
        [
            day.isoformat(),
            *[steps[day][kind] for kind, _ in reports.FUNNEL],
            sold[day].orders,
            money(sold[day].revenue),
        ]
        for day in period.each_day()
    ]
    header = ["day", "sessions", *[label for _, label in reports.FUNNEL[1:]], "orders sold"]
    return csv_response(
        f"funnel-{period.start.isoformat()}-{period.end.isoformat()}", [*header, "revenue"], rows
    )


@bp.get("/analytics/<name>.svg")
@requires("reports")
def analytics_chart(name: str) -> Response:
    if name not in CHARTS:
        abort(404)
    _, period, _ = asked_period()
    return svg_response(_chart(name, kept(reports.overview, period) or reports.overview(period)))


def _chart(name: str, report: reports.Overview) -> pygal.Graph:
    if name == "funnel":
        steps = report.funnel
        chart = pygal.HorizontalBar(**chart_config(), title="Sessions at each step")
        chart.x_labels = [s.label for s in steps][::-1]
        chart.add("Sessions", [s.sessions for s in steps][::-1])
        return chart
    days = report.days
    chart = pygal.Bar(**chart_config(x_label_rotation=45, show_minor_x_labels=False))
    chart.x_labels = [d.day.strftime("%b %-d") for d in days]
    chart.x_labels_major = chart.x_labels[:: max(1, len(days) // 10)]
    if name == "revenue":
        chart.title = "Revenue per day"
        chart.add("Revenue", [d.revenue / 100 for d in days])
    else:
        chart.title = "Orders per day"
        chart.add("Orders", [d.orders for d in days])
    return chart
