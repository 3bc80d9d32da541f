"""Product cards drawn once and reused: the catalogue, its categories and searches, the
home page and "customers also bought" all show the same cards.

A card is rendered from an explicit context (never the page's), and its cache key is
made of every value in that context: the product's fields the card shows, its
category's name, its picture's variants (or its drawing's versioned URL), the locale
and currency of its price, where it sits (which decides how its image loads), the
grid or list view, whether the viewer is staff and whether the product is in their
wishlist, plus a digest of every template. A staff edit, a sale that changes the stock
shown, a new review or a deploy that changes a template therefore gives a new key;
there is nothing to invalidate by hand.

What differs per visitor and is not in the key is left as a hole and filled per page:
the CSRF token of the card's forms and the wishlist heart's way back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import Template
from markupsafe import Markup, escape

from qkart.blueprints.media.pictures import picture_of
from qkart.blueprints.shop import bp
from qkart.blueprints.wishlist.context import is_shopper, saved_ids
from qkart.catalog.cache import catalog_cache
from qkart.catalog.images import Picture
from qkart.catalog.models import Product
from qkart.core.assets import image_url
from qkart.core.fragments import fragments
from qkart.settings.services import setting

CARD_TEMPLATE = "shop/_product_card.html"
# Raw "<" never comes out of an escaped value, so these cannot clash with content.
CSRF_HOLE = Markup("<qk-csrf>")
NEXT_HOLE = Markup("<qk-next>")
EAGER_CARDS = 4  # the first row of the grid on a wide screen loads at once
VIEWS = ("grid", "list")


@dataclass(frozen=True)
class Viewer:
    """Who the card is drawn for, as far as a card may tell: staff get no shopper buttons."""

    is_staff: bool


def loading_for(position: int) -> str:
    """How a card's picture loads: the first is the page's largest paint, the rest of
    the first row at once, the others when scrolled to."""
    if position == 1:
        return "high"
    return "eager" if position <= EAGER_CARDS else "lazy"


def _picture_key(picture: Picture | None) -> tuple[Any, ...] | None:
    if picture is None:
        return None
    sources = tuple((fmt, tuple(entries)) for fmt, entries in sorted(picture.sources.items()))
    return (picture.path, picture.width, picture.height, sources)


def _stock_key(product: Product) -> str:
    """The stock as a card shows it: out, in, or a low count ("Only 3 left")."""
    if not product.in_stock:
        return "out"
    return f"low{product.stock}" if product.low_stock else "in"


@dataclass(frozen=True)
class CardContext:
    """Everything one card is drawn from; its key is a digest of all of it."""

    product: Product
    picture: Picture | None
    loading: str
    view: str
    viewer: Viewer
    saved: bool
    locale: str
    currency: str

    def key(self, templates: str) -> str:
        p = self.product
        parts = (
            templates,
            p.id,
            p.slug,
            p.name,
            image_url(p.image) if self.picture is None else p.image,  # a drawing's URL
            p.category.name,
            p.price,
            str(p.rating),
            _stock_key(p),
            _picture_key(self.picture),
            self.loading,
            self.view,
            self.viewer.is_staff,
            self.saved,
            self.locale,
            self.currency,
        )
        return "card:" + hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()

    def render(self, template: Template) -> str:
        saved = {self.product.id} if self.saved else set()
        return template.render(
            product=self.product,
            loading=self.loading,
            view=self.view,
            current_user=self.viewer,
            wishlist_saved=lambda: saved,
            wish_next=NEXT_HOLE,
            csrf_token=lambda: CSRF_HOLE,
        )


def _contexts(products: Sequence[Product], first: int, view: str) -> list[CardContext]:
    viewer = Viewer(is_staff=bool(current_user.is_authenticated and current_user.is_staff))
    saved = saved_ids() if is_shopper() else set()
    locale, currency = setting("QKART_LOCALE"), current_app.config["QKART_CURRENCY"]
    return [
        CardContext(
            product=product,
            picture=picture_of(product.image),
            loading=loading_for(first + n),
            view=view if view in VIEWS else VIEWS[0],
            viewer=viewer,
            saved=product.id in saved,
            locale=locale,
            currency=currency,
        )
        for n, product in enumerate(products)
    ]


def card_html(contexts: Sequence[CardContext]) -> list[str]:
    """Each card's HTML with its holes, from the cache or freshly drawn (then kept)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    templates = templates_digest(app)
    keys = [c.key(templates) for c in contexts]
    cache = fragments(app)
    found = cache.get_many(keys)
    fresh: dict[str, str] = {}
    if len(found) < len(keys):
        template = app.jinja_env.get_template(CARD_TEMPLATE)
        for key, context in zip(keys, contexts, strict=True):
            if key not in found and key not in fresh:
                fresh[key] = context.render(template)
        cache.set_many(fresh)
    return [found.get(key) or fresh[key] for key in keys]


def fill_holes(html: str) -> Markup:
    """Put this visitor's CSRF token and way back into cached cards."""
    if CSRF_HOLE in html:
        html = html.replace(CSRF_HOLE, generate_csrf())
    if NEXT_HOLE in html:
        back = request.full_path.rstrip("?") if request.method == "GET" else ""
        html = html.replace(NEXT_HOLE, str(escape(back)))
    return Markup(html)  # nosec B704: autoescaped template output; the holes are escaped


@bp.app_template_global()
def product_cards(products: Sequence[Product], first: int = 1, view: str = "grid") -> Markup:
    """The cards of ``products`` (``first`` is the first one's position on the page)."""
    if not products:
        return Markup("")
    return fill_holes("".join(card_html(_contexts(products, first, view))))


def templates_digest(app: Flask) -> str:
    """A digest of every template's source: a deploy that changes any starts afresh."""
    cached = app.extensions.get("qkart_templates_digest")
    if cached is None or app.debug:
        env = app.jinja_env
        digest = hashlib.blake2b(digest_size=8)
        for name in sorted(env.list_templates()):
            source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
            digest.update(name.encode("utf-8") + b"\0" + source.encode("utf-8"))
        cached = app.extensions["qkart_templates_digest"] = digest.hexdigest()
    return cached


@bp.app_template_global()
def cached_block(name: str, *depends: Any, caller: Callable[[], str], cache: bool = True) -> Markup:
    """A template block drawn once per catalogue generation and per ``depends``::

        {% call cached_block("footer", shop_name, year) %}...{% endcall %}

    ``depends`` must name everything the block shows beyond the catalogue (which the
    generation covers); a block that carries a visitor's CSRF token is refused, since
    it would be served to others. ``cache=False`` just draws it (a form in error).
    """
    if not cache:
        return Markup(caller())  # nosec B704: the caller is an autoescaped template block
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    parts = (name, templates_digest(app), catalog_cache(app).generation(), depends)
    key = "block:" + hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()
    store = fragments(app)
    html = store.get_many([key]).get(key)
    if html is None:
        html = str(caller())
        if "csrf_token" in html:
            raise RuntimeError(f"block {name!r} holds a CSRF token and cannot be shared")
        if not g.get("render_degraded"):  # drawn without the database: not for others
            store.set_many({key: html})
    return Markup(html)  # nosec B704: an autoescaped template block, as drawn above
