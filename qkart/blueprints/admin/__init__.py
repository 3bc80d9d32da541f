from flask import Blueprint

from qkart.blueprints.admin.guard import check_permission

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(check_permission)

from qkart.blueprints.admin import (  # noqa: E402,F401
    analytics,
    analytics_abandonment,
    analytics_base,
    analytics_customers,
    analytics_sales,
    audit,
    catalogue,
    catalogue_csv,
    customers,
    menu,
    orders,
    reviews,
    routes,
    rules,
    vitals,
)
