"""Staff sales report: revenue, orders and AOV over time, top products and categories,
coupon performance, refunds and returns; charts, tables and CSVs of the same numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pygal
from flask import Response, abort, url_for

from qkart.analytics import sales
from qkart.analytics.grouping import grain_of
from qkart.analytics.reports import Period
from qkart.blueprints.admin import bp
from qkart.blueprints.admin.analytics_base import (
    RangeForm,
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


def checked_period() -> Period:
    """The asked range for a download or a chart; a bad one is a 422 saying what to fix."""
    form, period, valid = asked_period()
    if not valid:
        abort(Response(range_errors(form), status=422, mimetype="text/plain"))
    return period


def range_errors(form: RangeForm) -> str:
    messages = [f"{field.label.text}: {error}" for field in form for error in field.errors]
    return "\n".join(messages) or "Choose a valid range of days."


def bar_chart(title: str, labels: list[str], series: str, values: list[Any]) -> pygal.Graph:
    """A chart over time; labels thinned out so that at most ten show."""
    chart = pygal.Bar(**chart_config(x_label_rotation=45, show_minor_x_labels=False), title=title)
    chart.x_labels = labels
    chart.x_labels_major = labels[:: max(1, len(labels) // 10)]
    chart.add(series, values)
    return chart


def ranking_chart(title: str, labels: list[str], series: str, values: list[Any]) -> pygal.Graph:
    """A horizontal bar per item, the first at the top (as in the table)."""
    chart = pygal.HorizontalBar(**chart_config(), title=title)
    chart.x_labels = [label[:40] for label in labels][::-1]
    chart.add(series, values[::-1])
    return chart


@bp.get("/analytics/sales")
@requires("reports")
@report_page("Sales", order=20)
def analytics_sales() -> Response:
    form, period, valid = asked_period()
    answer = computed(sales.sales_report, period)
    args = period_args(period)
    response = render(
        "admin/analytics_sales.html",
        {"analytics-report": "report"},
        status=200 if valid else 422,
        form=form,
        period=period,
        report=answer.result,
        ready=answer.ready,
        run=answer.run,
        grain=grain_of(period),
        presets=presets(),
        self_url=url_for(".analytics_sales", **args),
        chart_url=lambda name: url_for(".analytics_sales_chart", name=name, **args),
        downloads=[
            (label, url_for(".analytics_sales_csv", name=name, **args))
            for name, (label, _) in CSVS.items()
        ],
    )
    return report_response(answer, response)


def _series_rows(period: Period) -> tuple[list[str], list[list[Any]]]:
    header = ["from", "to", "revenue", "orders", "average order"]
    rows = [
        [p.start.isoformat(), p.end.isoformat(), money(p.revenue), p.orders, money(p.average_order)]
        for p in sales.sales_series(period)
    ]
    return header, rows


def _sellers(sellers: list[sales.Seller], what: str) -> tuple[list[str], list[list[Any]]]:
    rows = [[s.id or "", s.name, s.units, money(s.revenue)] for s in sellers]
    return [f"{what} id", what, "units", "revenue"], rows


def _coupon_rows(period: Period) -> tuple[list[str], list[list[Any]]]:
    summary = sales.coupon_summary(period)
    rows: list[list[Any]] = [
        [c.code, c.uses, money(c.discount), money(c.revenue), money(c.average_order)]
        for c in summary.codes
    ]
    rows += [
        ["(any code)", summary.with_coupon, "", money(summary.with_revenue)],
        ["(no code)", summary.without_coupon, "", money(summary.without_revenue)],
    ]
    rows[-2].append(money(summary.average_with))
    rows[-1].append(money(summary.average_without))
    return ["code", "orders", "discount given", "revenue", "average order"], rows


CSVS: dict[str, tuple[str, Callable[[Period], tuple[list[str], list[list[Any]]]]]] = {
    "over-time": ("Sales over time (CSV)", _series_rows),
    "products": ("Products (CSV)", lambda p: _sellers(sales.top_products(p), "product")),
    "categories": ("Categories (CSV)", lambda p: _sellers(sales.top_categories(p), "category")),
    "coupons": ("Coupons (CSV)", _coupon_rows),
}


@bp.get("/analytics/sales/<name>.csv")
@requires("reports")
def analytics_sales_csv(name: str) -> Response:
    """One table of the sales report, every row of it (the page shows the top ones)."""
    if name not in CSVS:
        abort(404)
    period = checked_period()
    header, rows = CSVS[name][1](period)
    stamp = f"{period.start.isoformat()}-{period.end.isoformat()}"
    return csv_response(f"sales-{name}-{stamp}", header, rows)


# The charts over time: what each shows, and its value for one point (major units).
SERIES: dict[str, tuple[str, Callable[[sales.SalesPoint], float]]] = {
    "revenue": ("Revenue", lambda p: p.revenue / 100),
    "orders": ("Orders", lambda p: p.orders),
    "average": ("Average order", lambda p: p.average_order / 100),
}
CHARTS = (*SERIES, "products", "categories")


@bp.get("/analytics/sales/<name>.svg")
@requires("reports")
def analytics_sales_chart(name: str) -> Response:
    if name not in CHARTS:
        abort(404)
    return svg_response(_chart(name, checked_period()))


def _chart(name: str, period: Period) -> pygal.Graph:
    report: sales.SalesReport | None = kept(sales.sales_report, period)
    if name in SERIES:
        label, value = SERIES[name]
        points = report.series if report else sales.sales_series(period)
        return bar_chart(
            f"{label} per {grain_of(period)}",
            [p.label for p in points],
            label,
            [value(p) for p in points],
        )
    if report:
        ranked = report.products if name == "products" else report.categories
    else:
        ranked = (sales.top_products if name == "products" else sales.top_categories)(period)
        ranked = ranked[: sales.TOP]
    return ranking_chart(
        f"Top {name} by revenue",
        [s.name for s in ranked],
        "Revenue",
        [s.revenue / 100 for s in ranked],
    )
