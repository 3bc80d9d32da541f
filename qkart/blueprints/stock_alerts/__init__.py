from flask import Blueprint

bp = Blueprint("stock_alerts", __name__)

from qkart.blueprints.stock_alerts import routes  # noqa: E402,F401
