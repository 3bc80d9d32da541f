"""The staff home (what waits: orders to ship, returns, low stock; the KPIs of a window
against the one before, for staff who read reports), search, returns queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, request, url_for
from flask_login import current_user

from qkart.analytics import reports
from qkart.analytics.home import home_kpis
from qkart.blueprints.admin import bp
from qkart.blueprints.admin.analytics_base import asked_period, period_args, presets
from qkart.blueprints.admin.guard import ANY_STAFF, requires
from qkart.catalog.management import low_stock, low_stock_count
from qkart.catalog.services import find_products
from qkart.core.db import utcnow
from qkart.core.htmx import render
from qkart.core.shop import currency
from qkart.orders.services import (
    find_orders,
    order_numbers,
    recent_orders,
    sales_since,
    work_counts,
)
from qkart.returns import services as returns
from qkart.settings.services import setting

HOME_WINDOWS = ("Today", "7 days", "30 days")


@bp.get("/")
@requires(ANY_STAFF)
def dashboard() -> Response:
    """What waits for staff; money figures only for staff who may read the reports."""
    low_default = int(setting("QKART_LOW_STOCK_DEFAULT") or 5)
    waiting: dict[str, Any] = {
        "orders": recent_orders(10),
        "low_stock": low_stock(low_default, limit=10),
        "work": work_counts(),
        "returns_waiting": returns.open_count(),
    }
    if not current_user.can("reports"):
        now = utcnow()
        return render(
            "admin/dashboard.html",
            today=sales_since(now - timedelta(days=1), currency()),
            week=sales_since(now - timedelta(days=7), currency()),
            **waiting,
        )
    form, period, valid = asked_period(default_days=7)
    return render(
        "admin/dashboard.html",
        status=200 if valid else 422,
        kpis=home_kpis(period),
        form=form,
        period=period,
        window=_window_name(period),
        presets=[p for p in presets() if p[0] in HOME_WINDOWS],
        change=reports.change,
        low_stock_count=low_stock_count(low_default),
        chart_url=lambda name: url_for(".analytics_chart", name=name, **period_args(period)),
        analytics_url=url_for(".analytics", **period_args(period)),
        **waiting,
    )


def _window_name(period: reports.Period) -> str | None:
    """ "Today" or "Last 7 days" when the period is one of the home's windows."""
    for label, args in presets():
        if label in HOME_WINDOWS and args == period_args(period):
            return label if period.days == 1 else f"Last {label}"
    return None


@bp.get("/search")
@requires(ANY_STAFF)
def search() -> Response:
    """One box for everything: orders by number or e-mail, customers, products by name/SKU."""
    from qkart.accounts.services import find_customers

    q = " ".join(request.args.get("q", "").split())[:100]
    return render(
        "admin/search.html",
        q=q,
        orders=find_orders(q) if q else [],
        customers=find_customers(q) if q else [],
        products=find_products(q) if q else [],
    )


@bp.get("/returns")
@requires("orders")
def return_queue() -> Response:
    """Returns waiting for staff, oldest first, each linked to its order."""
    queue = returns.open_returns()
    numbers = order_numbers({r.order_id for r in queue})
    return render("admin/returns.html", returns=queue, numbers=numbers)
