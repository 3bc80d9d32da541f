from flask import Blueprint

bp = Blueprint("cart", __name__)

from qkart.blueprints.cart import routes  # noqa: E402,F401
