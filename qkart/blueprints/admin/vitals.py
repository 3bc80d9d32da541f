"""Staff report: the web vitals shoppers' browsers measured, as the 75th percentile per page
type, per device class and per day, each against Google's "good" and "poor" thresholds.

The 75th percentile is the figure Google's own field data rates a page by: three page
views in four were at least this fast. Charts are pygal SVG images with the same numbers
in the tables beside them; the CSV has the finest grain (day, page type, device).
"""

from __future__ import annotations

from datetime import date

import pygal
from flask import Response, abort, url_for

from qkart.analytics import vitals
from qkart.analytics.reports import Period
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
from qkart.core.htmx import render

# pygal draws a value's own colour: AA-contrast green, amber and red for the three ratings.
RATING_COLOURS = {vitals.GOOD: "#146c2e", vitals.IMPROVE: "#8a4b00", vitals.POOR: "#b3261e"}


@bp.get("/analytics/vitals")
@requires("reports")
@report_page("Web vitals", order=60)
def vitals_report() -> Response:
    form, period, valid = asked_period()
    answer = computed(vitals.vitals_report, period)
    report: vitals.VitalsReport | None = answer.result
    pages = [page for page in vitals.PAGE_TYPES if report and (page,) in report.by_page]
    response = render(
        "admin/vitals.html",
        {"analytics-report": "report"},
        status=200 if valid else 422,
        form=form,
        period=period,
        ready=answer.ready,
        run=answer.run,
        self_url=url_for(".vitals_report", **period_args(period)),
        metrics=vitals.METRICS,
        page_types=vitals.PAGE_TYPES,
        devices=vitals.DEVICES,
        pages=pages,
        report=report,
        trend={day: _day_row(report.by_day, day, pages) for day in period.each_day()}
        if report
        else {},
        presets=presets(),
        chart_url=lambda name: url_for(".vitals_chart", name=name, **period_args(period)),
        csv_url=url_for(".vitals_csv", **period_args(period)),
    )
    return report_response(answer, response)


def _day_row(
    by_day: dict[vitals.Key, dict[str, vitals.Quantile]], day: date, pages: list[str]
) -> dict[str, dict[str, vitals.Quantile]]:
    return {page: by_day.get((day, page), {}) for page in pages}


@bp.get("/analytics/vitals.csv")
@requires("reports")
def vitals_csv() -> Response:
    """Each day, page type, device class and metric with data: views, p75 and its rating."""
    _, period, _ = asked_period()
    cells = vitals.p75_by(period, "day", "page", "device")
    rows = [
        [*map(str, key), name, q.samples, q.metric.plain(q.value), q.rating]
        # str() of a day is its ISO form, which sorts as the days do.
        for key, metrics in sorted(cells.items(), key=lambda cell: tuple(map(str, cell[0])))
        for name, q in sorted(metrics.items())
    ]
    header = [
        "day",
        "page type",
        "device",
        "metric",
        "page views",
        "p75 (ms; CLS: score)",
        "rating",
    ]
    return csv_response(
        f"web-vitals-{period.start.isoformat()}-{period.end.isoformat()}", header, rows
    )


@bp.get("/analytics/vitals/<name>.svg")
@requires("reports")
def vitals_chart(name: str) -> Response:
    """``<metric>-days`` (the shop's p75 by day) or ``<metric>-pages`` (p75 by page type)."""
    metric_name, _, kind = name.partition("-")
    metric = vitals.METRICS.get(metric_name.upper())
    if metric is None or kind not in ("days", "pages"):
        abort(404)
    _, period, _ = asked_period()
    if kind == "days":
        return svg_response(_days_chart(metric, period))
    return svg_response(_pages_chart(metric, period))


def _unit(metric: vitals.Metric, stored: int) -> float:
    """A stored figure in the unit the chart's axis shows (seconds, ms, or a score)."""
    return float(metric.read(stored))


def _days_chart(metric: vitals.Metric, period: Period) -> pygal.Graph:
    found: vitals.VitalsReport | None = kept(vitals.vitals_report, period)
    daily = found.daily if found else vitals.p75_by(period, "day")
    days = period.each_day()
    chart = pygal.Line(
        **chart_config(
            x_label_rotation=45,
            show_minor_x_labels=False,
            show_legend=True,
            legend_at_bottom=True,
            allow_interruptions=True,
        ),
        title=f"{metric.label}, 75th percentile per day",
    )
    chart.x_labels = [d.strftime("%b %-d") for d in days]
    chart.x_labels_major = chart.x_labels[:: max(1, len(days) // 10)]
    values = [daily.get((d,), {}).get(metric.name) for d in days]
    chart.add("75th percentile", [_unit(metric, q.value) if q else None for q in values])
    for label, edge in (("Good up to", metric.good), ("Poor above", metric.poor)):
        chart.add(
            f"{label} {metric.show(edge)}",
            [_unit(metric, edge)] * len(days),
            show_dots=False,
            stroke_style={"width": 3},
        )
    return chart


def _pages_chart(metric: vitals.Metric, period: Period) -> pygal.Graph:
    report: vitals.VitalsReport | None = kept(vitals.vitals_report, period)
    by_page = report.by_page if report else vitals.p75_by(period, "page")
    chart = pygal.HorizontalBar(
        **chart_config(),
        title=f"{metric.label}, 75th percentile by page type "
        f"(good up to {metric.show(metric.good)}, poor above {metric.show(metric.poor)})",
    )
    found = [
        (label, by_page.get((page,), {}).get(metric.name))
        for page, label in vitals.PAGE_TYPES.items()
    ]
    rows = [(label, q) for label, q in found if q is not None][::-1]
    chart.x_labels = [label for label, _ in rows]
    chart.add(
        "75th percentile",
        [{"value": _unit(metric, q.value), "color": RATING_COLOURS[q.rating]} for _, q in rows],
    )
    return chart
