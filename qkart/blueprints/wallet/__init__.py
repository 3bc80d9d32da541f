from flask import Blueprint

bp = Blueprint("wallet", __name__, url_prefix="/account")

from qkart.blueprints.wallet import routes  # noqa: E402,F401
