from flask import Blueprint

bp = Blueprint("security", __name__, url_prefix="/account")

from qkart.blueprints.security import routes  # noqa: E402,F401
