from flask import Blueprint

bp = Blueprint("orders", __name__)

from qkart.blueprints.orders import routes  # noqa: E402,F401
