"""Staff cart abandonment report: the rate per day, what carts were left holding, and
what the reminder e-mails won back; charts, tables and CSVs of the same numbers."""

from __future__ import annotations

from typing import Any

import pygal
from flask import Response, abort, url_for

from qkart.analytics import abandonment
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
from qkart.blueprints.admin.analytics_sales import checked_period, ranking_chart
from qkart.blueprints.admin.guard import requires
from qkart.core.filters import money
from qkart.core.htmx import render

CSVS = {"days": "Abandonment by day (CSV)", "products": "Abandoned products (CSV)"}
CHARTS = ("rate", "products")


@bp.get("/analytics/abandonment")
@requires("reports")
@report_page("Cart abandonment", order=40)
def analytics_abandonment() -> Response:
    form, period, valid = asked_period()
    args = period_args(period)
    answer = computed(abandonment.abandonment_report, period)
    response = render(
        "admin/analytics_abandonment.html",
        {"analytics-report": "report"},
        status=200 if valid else 422,
        form=form,
        period=period,
        report=answer.result,
        ready=answer.ready,
        run=answer.run,
        presets=presets(),
        self_url=url_for(".analytics_abandonment", **args),
        chart_url=lambda name: url_for(".analytics_abandonment_chart", name=name, **args),
        downloads=[
            (label, url_for(".analytics_abandonment_csv", name=name, **args))
            for name, label in CSVS.items()
        ],
    )
    return report_response(answer, response)


def _percent(value: Any) -> str:
    return "" if value is None else f"{value * 100:.1f}"


@bp.get("/analytics/abandonment/<name>.csv")
@requires("reports")
def analytics_abandonment_csv(name: str) -> Response:
    """Every day of the range, or every product left in a cart (the page shows the top)."""
    if name not in CSVS:
        abort(404)
    period = checked_period()
    if name == "days":
        header = ["day", "carts", "ordered", "abandoned", "abandonment %"]
        rows: list[list[Any]] = [
            [d.day.isoformat(), d.carts, d.ordered, d.abandoned, _percent(d.rate)]
            for d in abandonment.by_day(period)
        ]
    else:
        header = ["product id", "product", "carts", "units", "value"]
        rows = [
            [p.product_id or "", p.name, p.carts, p.units, money(p.value)]
            for p in abandonment.left_products(period)
        ]
    stamp = f"{period.start.isoformat()}-{period.end.isoformat()}"
    return csv_response(f"abandonment-{name}-{stamp}", header, rows)


@bp.get("/analytics/abandonment/<name>.svg")
@requires("reports")
def analytics_abandonment_chart(name: str) -> Response:
    if name not in CHARTS:
        abort(404)
    return svg_response(_chart(name, checked_period()))


def _chart(name: str, period: Period) -> pygal.Graph:
    report: abandonment.AbandonmentReport | None = kept(abandonment.abandonment_report, period)
    if name == "products":
        left = report.products if report else abandonment.left_products(period)[: abandonment.TOP]
        return ranking_chart(
            "Products left in carts", [p.name for p in left], "Carts", [p.carts for p in left]
        )
    days = report.days if report else abandonment.by_day(period)
    chart = pygal.Line(
        **chart_config(x_label_rotation=45, show_minor_x_labels=False, range=(0, 100)),
        title="Abandoned carts per day (%)",
    )
    chart.x_labels = [d.day.strftime("%b %-d") for d in days]
    chart.x_labels_major = chart.x_labels[:: max(1, len(days) // 10)]
    # A day without carts has no rate: a gap in the line, not a zero.
    chart.add("Abandoned", [float(d.rate * 100) if d.rate is not None else None for d in days])
    return chart
