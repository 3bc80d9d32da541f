"""Staff analytics: KPIs against the previous period, the funnel, sales by day, searches.

Charts are SVG drawn by pygal on the server, served as images (no script, so they
show with JavaScript off); every chart has the same numbers in a table beside it.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pygal
from flask import Response, abort, request, url_for
from pygal.style import Style
from wtforms.validators import Optional

from qkart.analytics import reports
from qkart.blueprints.admin import bp
from qkart.blueprints.admin.guard import requires
from qkart.core.filters import money
from qkart.core.forms import DayField, Form
from qkart.core.htmx import render

CHARTS = ("revenue", "orders", "funnel")
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
PRESETS = (("Today", 1), ("7 days", 7), ("30 days", 30), ("90 days", 90))
MAX_DAYS = 366
# AA contrast on white: QKart's brand blue, a dark green, the ink grey.
CHART_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1d2733",
    foreground_strong="#1d2733",
    foreground_subtle="#4f5b69",
    colors=("#0b5cad", "#146c2e", "#8a4b00"),
    font_family="system-ui, sans-serif",
)


class RangeForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    start = DayField("From", validators=[Optional()])
    end = DayField("To", validators=[Optional()])

    def validate(self, extra_validators: object = None) -> bool:  # type: ignore[override]
        ok = super().validate()
        if ok and self.start.data and self.end.data:
            if self.end.data < self.start.data:
                self.end.errors.append("The last day cannot come before the first.")
                ok = False
            elif (self.end.data - self.start.data).days >= MAX_DAYS:
                self.end.errors.append("Choose at most a year at a time.")
                ok = False
        return ok


def _period() -> tuple[RangeForm, reports.Period, bool]:
    """The asked range (default: the last 30 days up to today), and whether it was valid."""
    form = RangeForm(request.args)
    valid = form.validate() if request.args else True
    today = date.today()
    end = (form.end.data if valid else None) or today
    start = (form.start.data if valid else None) or end - timedelta(days=29)
    return form, reports.Period(start, end), valid


def _args(period: reports.Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


@bp.get("/analytics")
@requires("reports")
def analytics() -> Response:
    form, period, valid = _period()
    now, before = reports.kpis(period), reports.kpis(period.previous)
    top, empty = reports.searches(period)
    today = date.today()
    return render(
        "admin/analytics.html",
        status=200 if valid else 422,
        form=form,
        period=period,
        now=now,
        before=before,
        change=reports.change,
        funnel=reports.funnel(period),
        device_funnels={d: reports.funnel(period, d) for d in reports.devices()},
        days=reports.by_day(period),
        top_searches=top,
        empty_searches=empty,
        presets=[
            (
                label,
                {"start": (today - timedelta(days=n - 1)).isoformat(), "end": today.isoformat()},
            )
            for label, n in PRESETS
        ],
        chart_url=lambda name: url_for(".analytics_chart", name=name, **_args(period)),
        csv_url=url_for(".analytics_csv", **_args(period)),
    )


@bp.get("/analytics/funnel.csv")
@requires("reports")
def analytics_csv() -> Response:
    """The funnel and sales of each day of the range, for a spreadsheet."""
    _, period, _ = _period()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["day", "sessions", *[label for _, label in reports.FUNNEL[1:]], "orders sold", "revenue"]
    )
    sold = {d.day: d for d in reports.by_day(period)}
    for day in period.each_day():
        steps = reports.funnel_counts(reports.Period(day, day))
        writer.writerow(
            [
                day.isoformat(),
                *[steps[kind] for kind, _ in reports.FUNNEL],
                sold[day].orders,
                money(sold[day].revenue),
            ]
        )
    name = f"qkart-funnel-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/analytics/<name>.svg")
@requires("reports")
def analytics_chart(name: str) -> Response:
    if name not in CHARTS:
        abort(404)
    _, period, _ = _period()
    chart = _chart(name, period)
    # pygal always writes its tooltip settings as an inline script; an image never runs
    # scripts, so it is only dead weight (and the CSP below would refuse it anyway).
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    response = Response(svg, mimetype="image/svg+xml")
    # The drawing carries its own styles; nothing else may run or load inside it.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def _chart(name: str, period: reports.Period) -> pygal.Graph:
    config = {"style": CHART_STYLE, "js": [], "show_legend": False, "height": 320, "width": 760}
    if name == "funnel":
        steps = reports.funnel(period)
        chart = pygal.HorizontalBar(**config, title="Sessions at each step")
        chart.x_labels = [s.label for s in steps][::-1]
        chart.add("Sessions", [s.sessions for s in steps][::-1])
        return chart
    days = reports.by_day(period)
    chart = pygal.Bar(**config, x_label_rotation=45, show_minor_x_labels=False)
    chart.x_labels = [d.day.strftime("%b %-d") for d in days]
    chart.x_labels_major = chart.x_labels[:: max(1, len(days) // 10)]
    if name == "revenue":
        chart.title = "Revenue per day"
        chart.add("Revenue", [d.revenue / 100 for d in days])
    else:
        chart.title = "Orders per day"
        chart.add("Orders", [d.orders for d in days])
    return chart
