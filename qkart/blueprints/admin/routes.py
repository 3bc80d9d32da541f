"""The staff home page: today's figures, latest orders, low stock (any member of staff)."""

from __future__ import annotations

from datetime import timedelta

from flask import Response

from qkart.blueprints.admin import bp
from qkart.blueprints.admin.guard import ANY_STAFF, requires
from qkart.catalog.services import low_stock_products
from qkart.core.db import utcnow
from qkart.core.htmx import render
from qkart.core.shop import currency
from qkart.orders.services import recent_orders, sales_since


@bp.get("/")
@requires(ANY_STAFF)
def dashboard() -> Response:
    now = utcnow()
    return render(
        "admin/dashboard.html",
        today=sales_since(now - timedelta(days=1), currency()),
        week=sales_since(now - timedelta(days=7), currency()),
        orders=recent_orders(10),
        low_stock=low_stock_products(),
    )
