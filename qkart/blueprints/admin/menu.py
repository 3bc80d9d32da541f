"""The staff area's sidebar: each section with the permission it needs.

Only the sections a member of staff may open are listed; the guard refuses the rest
anyway. A section is "current" when the page's endpoint is one of its own.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user

from qkart.blueprints.admin import bp
from qkart.blueprints.admin.guard import ANY_STAFF

# (label, endpoint, permission, endpoints that belong to the section)
SECTIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Home", "admin.dashboard", ANY_STAFF, ("admin.dashboard", "admin.search")),
    (
        "Orders",
        "admin.order_list",
        "orders",
        (
            "admin.order_list",
            "admin.order_detail",
            "admin.move_order",
            "admin.ship",
            "admin.refund",
            "admin.packing_slip",
            "admin.orders_csv",
        ),
    ),
    ("Returns", "admin.return_queue", "orders", ("admin.return_queue", "admin.return_action")),
    (
        "Products",
        "admin.product_list",
        "catalogue",
        (
            "admin.product_list",
            "admin.product_new",
            "admin.product_edit",
            "admin.product_quick",
            "admin.product_bulk",
            "admin.product_stock",
            "admin.product_image_add",
            "admin.product_image_change",
        ),
    ),
    (
        "Categories",
        "admin.category_list",
        "catalogue",
        ("admin.category_list", "admin.category_edit", "admin.category_move"),
    ),
    (
        "Reviews",
        "admin.review_list",
        "catalogue",
        ("admin.review_list", "admin.review_hide", "admin.review_unhide"),
    ),
    (
        "Questions",
        "admin.question_list",
        "catalogue",
        ("admin.question_list", "admin.question_detail", "admin.question_answer"),
    ),
    ("Inventory", "admin.inventory", "stock", ("admin.inventory",)),
    (
        "Customers",
        "admin.customer_list",
        "customers",
        (
            "admin.customer_list",
            "admin.customer_detail",
            "admin.customer_wallet",
            "admin.customer_block",
            "admin.customer_verify",
        ),
    ),
    ("Promo codes", "admin.coupon_list", "coupons", ("admin.coupon_list", "admin.coupon_edit")),
    (
        "Delivery",
        "admin.shipping_methods",
        "settings",
        (
            "admin.shipping_methods",
            "admin.shipping_method",
            "admin.add_shipping_rate",
            "admin.delete_shipping_rate",
        ),
    ),
    ("Tax rates", "admin.tax_rates", "settings", ("admin.tax_rates", "admin.delete_tax_rate")),
    (
        "Staff",
        "admin.staff_list",
        "staff",
        ("admin.staff_list", "admin.staff_invite", "admin.staff_role"),
    ),
    (
        "Analytics",
        "admin.analytics",
        "reports",
        ("admin.analytics*",),  # every report page
    ),
    ("Settings", "admin.shop_settings", "settings", ("admin.shop_settings",)),
    ("Audit log", "admin.audit_page", "settings", ("admin.audit_page",)),
)


def _owns(owned: tuple[str, ...], endpoint: str) -> bool:
    """An entry owns its endpoints, and every endpoint starting with a ``*`` prefix."""
    return any(
        endpoint == name or (name.endswith("*") and endpoint.startswith(name[:-1]))
        for name in owned
    )


def _visible(permission: str) -> bool:
    return permission == ANY_STAFF or current_user.can(permission)


@bp.app_context_processor
def admin_menu() -> dict[str, Any]:
    """The sidebar of the staff layout (only computed when a staff page renders it)."""

    def menu() -> list[dict[str, Any]]:
        from flask import current_app, url_for

        here = request.endpoint or ""
        return [
            {"label": label, "url": url_for(endpoint), "current": _owns(owned, here)}
            for label, endpoint, permission, owned in SECTIONS
            if endpoint in current_app.view_functions and _visible(permission)
        ]

    return {"admin_menu": menu}
