"""The staff home (what waits: orders to ship, returns, low stock), search, returns queue."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, request

from qkart.blueprints.admin import bp
from qkart.blueprints.admin.guard import ANY_STAFF, requires
from qkart.catalog.management import low_stock
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


@bp.get("/")
@requires(ANY_STAFF)
def dashboard() -> Response:
    now = utcnow()
    return render(
        "admin/dashboard.html",
        today=sales_since(now - timedelta(days=1), currency()),
        week=sales_since(now - timedelta(days=7), currency()),
        orders=recent_orders(10),
        low_stock=low_stock(int(setting("QKART_LOW_STOCK_DEFAULT") or 5), limit=10),
        work=work_counts(),
        returns_waiting=returns.open_count(),
    )


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
