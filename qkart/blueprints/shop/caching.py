"""Conditional GET for the shop's public pages, for visitors who are not signed in.

What such a page shows for one visitor, beyond the catalogue, is part of its validator:
the cart badge, the comparison, the grid or list view, the recently viewed products,
the CSRF token in its forms (by the session's secret it is made from: a 304 lets the
browser keep a token that the session still accepts), and the request headers the
layout reads (htmx's, the user agent, "do not track"). Flashed messages are shown once,
so a page with one gets no validator; nor does a signed-in shopper's page (wallet,
wishlist, name, alerts: those pages are never stored). A visitor without a session
gets the page, and a validator with the session it starts.

``Vary`` names the htmx headers, which choose between a page and its fragments. The
user agent and "do not track" go into the validator instead: these pages are private
and always revalidated, and ``Vary: User-Agent`` would only split caches per browser.
There is no ``Last-Modified``: a cart badge or a CSRF secret has no date to compare.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, current_app, g, request, session
from flask_login import current_user

from qkart.blueprints.common import cart_owner
from qkart.blueprints.shop import bp
from qkart.blueprints.wishlist.context import compare_ids
from qkart.cart.services import item_count
from qkart.core import http_cache
from qkart.core.shop import shop_today
from qkart.settings.services import current as current_settings
from qkart.shipping.services import delivery_estimates, free_shipping_threshold

HEADERS = (
    "HX-Request",
    "HX-Target",
    "HX-Trigger",
    "HX-History-Restore-Request",
    "User-Agent",
    "DNT",
    "Sec-GPC",
)
VARY = ("HX-Request", "HX-Target", "HX-History-Restore-Request")
CONDITIONAL = frozenset(
    {"shop.index", "shop.products", "shop.categories", "shop.category", "shop.product"}
)


@bp.before_request
def read_catalogue_version() -> None:
    """Read before the view loads anything: a change committed while the page renders
    then leaves it with the older version, so its validator cannot outlive it."""
    asks = request.endpoint in CONDITIONAL and request.method in ("GET", "HEAD")
    if asks and not current_user.is_authenticated:
        g.catalogue_version = http_cache.catalogue_version()


def revalidate(*page_parts: object, vary: Iterable[str] = ()) -> Response | None:
    """A 304 if the visitor's copy of this page is current; else None (render it).

    Call it before loading what the page shows (the catalogue version is read first, so
    a change committed meanwhile gives the new page a new validator, never the old one).
    ``page_parts`` is what else the page shows for this visitor.
    """
    vary = (*VARY, *vary)
    if request.method not in ("GET", "HEAD") or current_user.is_authenticated:
        return None
    if session.get("_flashes"):
        return None
    version = g.get("catalogue_version")
    if version is None:
        return None
    count = g.cart_count = item_count(cart_owner())  # the badge reuses it
    today = shop_today()  # delivery estimates and dates count from today
    parts = (
        # The kept listings follow this version in every process (see catalog.cache), so
        # it covers them too; a per-process counter here would differ between workers.
        version,
        tuple(sorted(current_settings().items())),
        free_shipping_threshold(),
        delivery_estimates(today),
        today.isoformat(),
        request.url,
        tuple(request.headers.get(name, "") for name in HEADERS),
        request.cookies.get("qkart_view", ""),
        count,
        tuple(compare_ids()),
        *page_parts,
    )
    g.page_validator = (parts, vary)
    etag = _etag(parts)
    if etag is not None and http_cache.matches(etag):
        return http_cache.not_modified(etag, vary)
    return None


def _etag(parts: tuple[object, ...]) -> str | None:
    """None before the session has a CSRF secret: the page about to be rendered makes one,
    so an earlier copy's forms would carry a token of a session the visitor lost."""
    # Flask-WTF keeps the secret its tokens are signed with under the field's name.
    seed = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if not isinstance(seed, str):
        return None
    return http_cache.page_digest(*parts, seed)


@bp.after_request
def give_validator(response: Response) -> Response:
    """The rendered page's validator, with the session's CSRF secret as it now stands."""
    found = g.pop("page_validator", None)
    if found is None or response.status_code != 200 or request.method not in ("GET", "HEAD"):
        return response
    parts, vary = found
    etag = _etag(parts)
    if etag is not None:
        response.set_etag(etag, weak=True)
        for header in vary:
            response.vary.add(header)
    return response
