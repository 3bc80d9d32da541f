"""Staff area. Every view here is staff-only (one line: ``staff_required``)."""

from __future__ import annotations

from datetime import timedelta

from flask import Response

from qkart.blueprints.admin import bp
from qkart.blueprints.common import staff_required
from qkart.catalog.services import low_stock_products
from qkart.core.db import utcnow
from qkart.core.htmx import render
from qkart.core.shop import currency
from qkart.orders.services import recent_orders, sales_since


@bp.get("/")
@staff_required
def dashboard() -> Response:
    now = utcnow()
    return render(
        "admin/dashboard.html",
        today=sales_since(now - timedelta(days=1), currency()),
        week=sales_since(now - timedelta(days=7), currency()),
        orders=recent_orders(10),
        low_stock=low_stock_products(),
    )
