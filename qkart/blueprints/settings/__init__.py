from flask import Blueprint

bp = Blueprint("settings", __name__, url_prefix="/account")

from qkart.blueprints.settings import routes  # noqa: E402,F401
