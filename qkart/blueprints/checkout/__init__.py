from flask import Blueprint

bp = Blueprint("checkout", __name__)

from qkart.blueprints.checkout import routes  # noqa: E402,F401
