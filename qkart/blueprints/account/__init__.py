from flask import Blueprint

bp = Blueprint("account", __name__)

from qkart.blueprints.account import routes  # noqa: E402,F401
