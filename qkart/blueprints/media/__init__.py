from flask import Blueprint

bp = Blueprint("media", __name__)

from qkart.blueprints.media import pictures, routes  # noqa: E402,F401
