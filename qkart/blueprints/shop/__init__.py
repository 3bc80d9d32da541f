from flask import Blueprint

bp = Blueprint("shop", __name__)

from qkart.blueprints.shop import cards, context, reviews, routes, seo  # noqa: E402,F401
