"""What every staff report page shares: the date-range form, the page list, CSV and SVG.

Each report page registers itself with :func:`report_page` so the analytics pages
link to one another without a central list to edit; charts are pygal SVG served as
images and CSVs are downloads, both built here so they look and behave the same.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import pygal
from flask import Response, current_app, request, url_for
from pygal.style import Style
from wtforms.validators import Optional

from qkart.analytics import cache, reports
from qkart.blueprints.admin import bp
from qkart.core.forms import DayField, Form
from qkart.core.shop import shop_today
from qkart.extensions import db

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
CHART_SIZE = {"height": 320, "width": 760}

# (order, label, endpoint) of every report page, in the order staff read them.
PAGES: list[tuple[int, str, str]] = []
View = TypeVar("View", bound=Callable[..., Any])


def report_page(label: str, order: int) -> Callable[[View], View]:
    """Add a view to the analytics pages' own navigation (put it under ``@bp.get``)."""

    def register(view: View) -> View:
        PAGES.append((order, label, f"{bp.name}.{view.__name__}"))
        PAGES.sort()
        return view

    return register


@bp.app_context_processor
def analytics_pages() -> dict[str, Any]:
    def pages() -> list[dict[str, Any]]:
        here = request.endpoint or ""
        return [
            {"label": label, "url": url_for(endpoint, **range_args()), "current": here == endpoint}
            for _, label, endpoint in PAGES
            if endpoint in current_app.view_functions
        ]

    return {"analytics_pages": pages}


class RangeForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    start = DayField("From", validators=[Optional()])
    end = DayField("To", validators=[Optional()])

    def validate(self, extra_validators: object = None) -> bool:
        ok = super().validate()
        if ok and self.start.data and self.end.data:
            if self.end.data < self.start.data:
                self.end.errors.append("The last day cannot come before the first.")
                ok = False
            elif (self.end.data - self.start.data).days >= MAX_DAYS:
                self.end.errors.append("Choose at most a year at a time.")
                ok = False
        return ok


def asked_period(default_days: int = 30) -> tuple[RangeForm, reports.Period, bool]:
    """The asked range (default: the last 30 days up to the shop's today), and whether it
    was valid."""
    form = RangeForm(request.args)
    valid = form.validate() if request.args else True
    today = shop_today()
    end = (form.end.data if valid else None) or today
    start = (form.start.data if valid else None) or end - timedelta(days=default_days - 1)
    return form, reports.Period(start, end), valid


def period_args(period: reports.Period) -> dict[str, Any]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def range_args() -> dict[str, Any]:
    """The range in the current query string, kept when moving between report pages."""
    return {key: request.args[key] for key in ("start", "end") if request.args.get(key)}


def presets() -> list[tuple[str, dict[str, str]]]:
    today = shop_today()
    return [
        (label, {"start": (today - timedelta(days=n - 1)).isoformat(), "end": today.isoformat()})
        for label, n in PRESETS
    ]


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A CSV download named ``qkart-<name>.csv``, never cached by a shared cache."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="qkart-{name}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def chart_config(**extra: Any) -> dict[str, Any]:
    return {"style": CHART_STYLE, "js": [], "show_legend": False, **CHART_SIZE, **extra}


def svg_response(chart: pygal.graph.graph.Graph) -> Response:
    # pygal always writes its tooltip settings as an inline script; an image never runs
    # scripts, so it is only dead weight (and the CSP below would refuse it anyway).
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    response = Response(svg, mimetype="image/svg+xml")
    # The drawing carries its own styles; nothing else may run or load inside it.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def computed(report: cache.Report, period: reports.Period) -> cache.Answer:
    """A report page's report: now (short ranges), kept, or being computed by a worker
    (see ``qkart.analytics.cache``). Commits: that sends a new run's job, or, without
    Redis, runs it at once."""
    answer = cache.cached(report, period)
    if answer.ready:
        return answer  # nothing to send (and the staff member stays loaded)
    db.session.commit()
    return cache.settled(answer)


def kept(report: cache.Report, period: reports.Period) -> Any | None:
    """For a chart of a long range: the page's kept result, if there is one; None (a short
    range, or the result expired): the chart reads just what it draws."""
    if period.days <= cache.INLINE_DAYS:
        return None
    answer = cache.lookup(report, period)
    return answer.result if answer.ready else None


def report_response(answer: cache.Answer, response: Response) -> Response:
    """A page still computing must be asked afresh, never shown from a cache."""
    if not answer.ready:
        response.headers["Cache-Control"] = "no-store"
    return response
