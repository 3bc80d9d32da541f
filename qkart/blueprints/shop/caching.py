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

The same parts that make a validator also name the page itself, so a page rendered
for one visitor is kept (``kept_pages``) and given to the next visitor whose parts
are the same, with that visitor's CSRF token put in: rendering is most of a listing's
cost, and most visitors see the same pages. A page is kept only when nothing else
could be in it: a 200 for a visitor, drawn with the database, with no flashed message.
A view may look for its kept page before it reads anything (``kept_answer``): the URL
and the visitor's parts name it, and what the view would have loaded only to count the
visit (a product's id, a search's result count) is kept beside it (``note_page``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from qkart.blueprints.common import cart_owner
from qkart.blueprints.shop import bp
from qkart.blueprints.shop.cards import CSRF_HOLE
from qkart.blueprints.wishlist.context import compare_ids
from qkart.cart.services import item_count
from qkart.core import http_cache
from qkart.core.fragments import FragmentCache
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
PAGES = "qkart_kept_pages"
PAGE_ENTRIES = 300  # whole pages of about 50 kB: some 15 MB per process at most
PAGE_TTL = 3600  # in Redis; a catalogue change gives every page a new key anyway
# Named by the kept pages' shape: a release that stores them otherwise reads none of the
# entries an older one left in Redis (they expire within PAGE_TTL).
PAGE_PREFIX = "qkart:page:2:"
UNKEPT_HEADERS = frozenset({"content-length", "set-cookie", "etag"})


@bp.before_request
def read_catalogue_version() -> None:
    """Read before the view loads anything: a change committed while the page renders
    then leaves it with the older version, so its validator cannot outlive it."""
    asks = request.endpoint in CONDITIONAL and request.method in ("GET", "HEAD")
    if asks and not current_user.is_authenticated:
        g.catalogue_version = http_cache.catalogue_version()


def revalidate(*page_parts: object, vary: Iterable[str] = ()) -> Response | None:
    """A 304 if the visitor's copy of this page is current, or the page kept for these
    parts; else None (render it).

    Call it before loading what the page shows (the catalogue version is read first, so
    a change committed meanwhile gives the new page a new validator, never the old one).
    ``page_parts`` is what else the page shows for this visitor.
    """
    parts = _visitor_parts(page_parts, vary)
    if parts is None:
        return None
    not_modified = _not_modified(parts)
    if not_modified is not None:
        return not_modified
    kept = find_kept(parts)
    return None if kept is None else answer_kept(kept)


def kept_answer(
    *page_parts: object,
    vary: Iterable[str] = (),
    accept: Callable[[dict[str, Any]], bool] = lambda meta: True,
) -> tuple[Response, dict[str, Any]] | None:
    """Before the view reads anything: the 304 or the kept page for these parts, with what
    the view noted when it drew the page (``note_page``), when such a page is kept and
    ``accept`` takes its notes. Else None, and nothing is set: the view goes on as usual.

    A page is kept only as a 200 (an invalid or untidy URL answers otherwise and never
    is), so finding one also says the URL is valid, and the notes carry what the view
    would have loaded to count the visit (a product's id, a search's result count).
    """
    parts = _visitor_parts(page_parts, vary)
    kept = None if parts is None else find_kept(parts)
    if parts is None or kept is None or not accept(kept.meta):
        g.pop("page_validator", None)
        return None
    not_modified = _not_modified(parts)
    return (answer_kept(kept) if not_modified is None else not_modified), kept.meta


def note_page(**meta: Any) -> None:
    """What an early answer from this page's kept copy needs of the view (JSON values)."""
    g.page_meta = meta


def _visitor_parts(page_parts: tuple[object, ...], vary: Iterable[str]) -> tuple | None:
    """Everything this page shows for this visitor, or None when it is not a visitor's
    kept page (signed in, a flashed message, not a GET)."""
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
    return parts


def _not_modified(parts: tuple[object, ...]) -> Response | None:
    etag = _etag(parts)
    if etag is not None and http_cache.matches(etag):
        return http_cache.not_modified(etag, g.page_validator[1])
    return None


def kept_pages(app: Flask | None = None) -> FragmentCache:
    """Pages kept for visitors, by their parts: in process, and in Redis when configured."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get(PAGES)
    if store is None:
        store = app.extensions[PAGES] = FragmentCache(
            app.config.get("REDIS_URL"), PAGE_ENTRIES, prefix=PAGE_PREFIX, ttl=PAGE_TTL
        )
    return store


def _page_key(parts: tuple[object, ...]) -> str:
    return "page:" + http_cache.page_digest(*parts)


@dataclass(frozen=True)
class KeptPage:
    body: str
    headers: list[tuple[str, str]]
    meta: dict[str, Any]


def find_kept(parts: tuple[object, ...]) -> KeptPage | None:
    """The page as drawn for an earlier visitor with the same parts.

    Kept as one line of JSON (headers and notes) and then the body as it is: a whole
    page need not go through the JSON decoder on every answer."""
    key = _page_key(parts)
    found = kept_pages().get_many([key]).get(key)
    if found is None:
        return None
    head, newline, body = found.partition("\n")
    if not newline:
        return None  # not a kept page (PAGE_PREFIX keeps older shapes apart)
    try:
        about = json.loads(head)
        return KeptPage(body, [tuple(h) for h in about["headers"]], dict(about.get("meta", {})))
    except (ValueError, KeyError, TypeError):
        return None  # not a kept page (PAGE_PREFIX keeps older shapes apart)


def answer_kept(kept: KeptPage) -> Response:
    """The kept page with this visitor's CSRF token in its forms (which also gives the
    session its secret, as rendering would)."""
    g.page_kept = True
    body = kept.body.replace(CSRF_HOLE, generate_csrf())
    return Response(body, status=200, headers=kept.headers)


def keep_page(parts: tuple[object, ...], response: Response) -> None:
    """Keep a freshly drawn page for the next visitor with the same parts, its token
    (the one value in it that is this visitor's own) left as a hole."""
    if g.get("page_kept") or g.get("render_degraded") or request_ctx.flashes:
        return
    if response.direct_passthrough or not response.is_sequence:
        return
    body = response.get_data(as_text=True)
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if token:
        body = body.replace(token, CSRF_HOLE)
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in UNKEPT_HEADERS]
    about = json.dumps({"headers": headers, "meta": g.get("page_meta", {})})
    kept_pages().set_many({_page_key(parts): about + "\n" + body})


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
    keep_page(parts, response)
    etag = _etag(parts)
    if etag is not None:
        response.set_etag(etag, weak=True)
        for header in vary:
            response.vary.add(header)
    return response
