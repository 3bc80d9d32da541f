"""Staff report on customers: retention cohorts, repeat purchases, days between orders,
new vs returning, lifetime value, top customers and customers at risk.

Charts are pygal SVG images with their numbers in a table beside them; every list has a
CSV. A customer's row links to their staff page only for staff who may open it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import date
from typing import Any

import pygal
from babel.dates import format_skeleton
from flask import Response, abort, request, url_for
from flask_login import current_user
from wtforms.validators import NumberRange, Optional

from qkart.analytics import customers as report
from qkart.analytics import reports
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
from qkart.core.filters import date_text, money
from qkart.core.forms import Form, WholeNumberField
from qkart.core.htmx import render
from qkart.core.shop import currency
from qkart.settings.services import setting

CHARTS = ("new-returning", "lifetime", "gaps")
CSVS = ("cohorts", "top-customers", "at-risk")
MAX_RISK_DAYS = 730
# Cells a spreadsheet would run as a formula; a customer's own name may start with one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class RiskForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    days = WholeNumberField(
        "No order in the last (days)",
        validators=[
            Optional(),
            NumberRange(1, MAX_RISK_DAYS, f"Enter a number of days from 1 to {MAX_RISK_DAYS}."),
        ],
    )


def _asked() -> tuple[RangeForm, RiskForm, reports.Period, int, bool]:
    """The range and the at-risk days asked for, defaults where either is not valid."""
    range_form, period, range_ok = asked_period(default_days=365)
    risk_form = RiskForm(request.args, days=report.RISK_DAYS)
    risk_ok = risk_form.validate()
    days = (risk_form.days.data if risk_ok else None) or report.RISK_DAYS
    return range_form, risk_form, period, days, range_ok and risk_ok


def _refusal(*forms: Form) -> Response:
    """A download or chart asked with bad input: what to fix, as text (no page to show)."""
    errors = [f"{field.label.text}: {e}" for form in forms for field in form for e in field.errors]
    return Response("\n".join(errors) + "\n", 422, mimetype="text/plain")


@bp.get("/analytics/customers")
@requires("reports")
@report_page("Customers", order=30)
def analytics_customers() -> Response:
    range_form, risk_form, period, days, valid = _asked()
    args = {**period_args(period), "days": str(days)}
    answer = computed(report.customers_report, period)
    kept = answer.result
    response = render(
        "admin/analytics_customers.html",
        {"analytics-report": "report"},
        status=200 if valid else 422,
        form=range_form,
        risk_form=risk_form,
        period=period,
        days=days,
        ready=answer.ready,
        run=answer.run,
        self_url=url_for(".analytics_customers", **args),
        **({f.name: getattr(kept, f.name) for f in fields(kept)} if answer.ready else {}),
        risk=report.at_risk(period, days),
        presets=presets(),
        rate=reports.rate,
        month_label=month_label,
        money_range=money_range,
        days_range=days_range,
        customer_url=_customer_url(),
        chart_url=lambda name: url_for(".analytics_customers_chart", name=name, **args),
        csv_url=lambda name: url_for(".analytics_customers_csv", name=name, **args),
    )
    return report_response(answer, response)


def month_label(day: date) -> str:
    """ "Jan 2026", as the shop's locale writes a month."""
    return format_skeleton("yMMM", day, locale=setting("QKART_LOCALE"))


def _customer_url() -> Callable[[report.Customer], str | None]:
    """A customer's staff page, for staff who may open it and customers with an account."""
    allowed = current_user.can("customers")

    def url(customer: report.Customer) -> str | None:
        if not allowed or customer.user_id is None:
            return None
        return url_for(".customer_detail", user_id=customer.user_id)

    return url


# -- downloads ---------------------------------------------------------------------------


@bp.get("/analytics/customers/<name>.csv")
@requires("reports")
def analytics_customers_csv(name: str) -> Response:
    if name not in CSVS:
        abort(404)
    range_form, risk_form, period, days, valid = _asked()
    if not valid:
        return _refusal(range_form, risk_form)
    header, rows = _table(name, period, days)
    span = f"{period.start.isoformat()}-{period.end.isoformat()}"
    return csv_response(f"{name}-{span}", header, ([_cell(v) for v in row] for row in rows))


def _table(name: str, period: reports.Period, days: int) -> tuple[list[str], list[list[Any]]]:
    if name == "cohorts":
        return _cohort_table(report.cohorts(period))
    if name == "top-customers":
        header = ["e-mail", "name", "orders", "revenue", "lifetime value", "last order"]
        rows = [
            [c.email, c.name or "", c.orders, money(c.revenue), money(c.lifetime), _day(c)]
            for c in report.top_customers(period, limit=None)
        ]
        return header, rows
    header = ["e-mail", "name", "orders", "lifetime value", "last order"]
    rows = [
        [c.email, c.name or "", c.orders, money(c.lifetime), _day(c)]
        for c in report.at_risk(period, days, limit=None).customers
    ]
    return header, rows


def _cohort_table(found: list[report.Cohort]) -> tuple[list[str], list[list[Any]]]:
    width = len(found)
    header = ["first order month", "customers"]
    header += [f"month {n} customers" for n in range(width)]
    header += [f"month {n} share" for n in range(width)]
    rows = [
        [c.month.strftime("%Y-%m"), c.customers, *_padded(c.active, width)]
        + _padded([_share(s) for s in c.shares], width)
        for c in found
    ]
    return header, rows


def _day(customer: report.Customer) -> str:
    return date_text(customer.last_order, "yyyy-MM-dd")


def _padded(values: Sequence[Any], width: int) -> list[Any]:
    """A cohort's row cut at the range's end, padded so every row has ``width`` cells."""
    return [*values, *[""] * (width - len(values))]


def _share(value: Any) -> str:
    return "" if value is None else str(value)


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


# -- charts ------------------------------------------------------------------------------


@bp.get("/analytics/customers/<name>.svg")
@requires("reports")
def analytics_customers_chart(name: str) -> Response:
    if name not in CHARTS:
        abort(404)
    range_form, risk_form, period, _, valid = _asked()
    if not valid:
        return _refusal(range_form, risk_form)
    return svg_response(_chart(name, period))


def _chart(name: str, period: reports.Period) -> pygal.Graph:
    found: report.CustomersReport | None = kept(report.customers_report, period)
    if name == "new-returning":
        months = found.months if found else report.new_and_returning_by_month(period)
        chart = pygal.StackedBar(
            **chart_config(show_legend=True, legend_at_bottom=True),
            title="Customers per month, new and returning",
        )
        chart.x_labels = [month_label(m.month) for m in months]
        chart.add("New", [m.new for m in months])
        chart.add("Returning", [m.returning for m in months])
        return chart
    chart = pygal.Bar(**chart_config(x_label_rotation=20))
    if name == "lifetime":
        buckets = found.values if found else report.lifetime_values(period, currency())
        chart.title = "Customers by lifetime value"
        chart.x_labels = [money_range(b) for b in buckets]
    else:
        buckets = (found.gaps if found else report.order_gaps(period)).buckets
        chart.title = "Repeat orders by days since the one before"
        chart.x_labels = [days_range(b) for b in buckets]
    chart.add("Customers" if name == "lifetime" else "Orders", [b.count for b in buckets])
    return chart


def money_range(bucket: report.Bucket) -> str:
    if bucket.high is None:
        return f"{money(bucket.low)} or more"
    return f"{money(bucket.low)} to {money(bucket.high - 1)}"


def days_range(bucket: report.Bucket) -> str:
    if bucket.high is None:
        return f"{bucket.low} days or more"
    return f"{bucket.low} to {bucket.high} days"
