"""What every page's layout needs: the cart badge, the shop's settings, helpers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask import g, has_request_context
from sqlalchemy.exc import SQLAlchemyError

from qkart.accounts.addresses import shop_countries
from qkart.blueprints.common import cart_owner, wallet_balance
from qkart.blueprints.shop import bp
from qkart.cart.services import item_count
from qkart.catalog.cache import catalog_cache
from qkart.catalog.models import Category
from qkart.catalog.services import category_exists, shop_categories
from qkart.core.db import utcnow
from qkart.core.money import Money
from qkart.core.shop import setting_money
from qkart.extensions import db
from qkart.payments.models import METHOD_LABELS
from qkart.returns.services import returns_of
from qkart.settings.services import setting
from qkart.shipping.services import free_shipping_threshold


def categories_for_request() -> Sequence[Category]:
    """Categories, kept until the catalogue changes (the footer and filters share them)."""
    if "categories" not in g:
        g.categories = shop_categories()
    return g.categories


def categories_naming(slugs: Iterable[str]) -> Sequence[Category]:
    """The categories, sure to hold each of ``slugs`` that exists.

    Without Redis another process's kept list may be older than a category staff just
    added; a slug it does not know is looked up once, and if it exists the list is read
    again. Unknown slugs (bad input) cost that one small query and nothing else.
    """
    categories = categories_for_request()
    known = {c.slug for c in categories}
    missing = [slug for slug in slugs if slug and slug not in known]
    if missing and category_exists(missing):
        catalog_cache().bump()
        g.pop("categories", None)
        categories = categories_for_request()
    return categories


def _cart_count() -> int:
    if "cart_count" in g:  # a view that loaded the cart already knows
        return g.cart_count
    try:
        return item_count(cart_owner())
    except SQLAlchemyError:
        # The error page of a failed database must still render.
        db.session.rollback()
        return 0


def country_name(code: str) -> str:
    return dict(shop_countries()).get(code, code)


@bp.app_context_processor
def layout_context() -> dict[str, Any]:
    shared = {
        "shop_name": setting("QKART_SHOP_NAME"),
        "contact_email": setting("QKART_CONTACT_EMAIL"),
        "country_name": country_name,
        "payment_label": lambda method: METHOD_LABELS.get(method, method.title()),
        "order_returns": lambda order: returns_of(order.id),
    }
    if not has_request_context():  # e-mails rendered by jobs
        return shared
    return shared | {
        "cart_count": _cart_count(),
        "wallet_balance": wallet_balance,
        "free_shipping_over": _free_shipping_over(),
        "welcome_credit": setting_money("QKART_WELCOME_CREDIT"),
        "nav_categories": _LazyCategories(),
        "year": utcnow().year,
        "request_id": g.get("request_id"),
    }


def _free_shipping_over() -> Money | None:
    try:
        return free_shipping_threshold()
    except SQLAlchemyError:
        db.session.rollback()  # the error page of a failed database must still render
        g.render_degraded = True  # and what it draws is not kept (cards.cached_block)
        return None


class _LazyCategories:
    """The footer's top categories: queried only if the template iterates it, and then
    only once per request."""

    def __iter__(self) -> Iterator[Category]:
        from qkart.catalog.services import top_categories

        try:
            return iter(top_categories(categories_for_request(), 8))
        except SQLAlchemyError:
            db.session.rollback()
            g.render_degraded = True
            return iter(())
