from flask import Blueprint

bp = Blueprint("metrics", __name__)

from qkart.blueprints.metrics import routes  # noqa: E402,F401
