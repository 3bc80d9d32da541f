from flask import Blueprint

bp = Blueprint("wishlist", __name__)

from qkart.blueprints.wishlist import context, routes  # noqa: E402,F401
