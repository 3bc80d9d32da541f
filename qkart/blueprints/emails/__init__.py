from flask import Blueprint

bp = Blueprint("emails", __name__, url_prefix="/emails")

from qkart.blueprints.emails import routes  # noqa: E402,F401
