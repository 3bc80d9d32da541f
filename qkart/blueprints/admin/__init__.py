from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from qkart.blueprints.admin import orders, routes, rules  # noqa: E402,F401
