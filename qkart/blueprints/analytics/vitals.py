"""The web-vitals beacon: which pages carry the script, and the endpoint it reports to.

The page type is decided here, from the endpoint that rendered the page, and written
into the script tag, so the browser only measures and never classifies. The script is
left out for staff, for the staff area, and for visitors who send ``DNT: 1`` or
``Sec-GPC: 1`` (the script checks the same in the browser, and the endpoint again).

``POST /analytics/vitals`` is exempt from the CSRF token: ``navigator.sendBeacon`` can
set no header, pages may be served from a cache with a stale token, and the beacon
changes nothing of the visitor's (it only adds one anonymous count to a histogram). What
the token would guard against, another site making browsers post fake figures, is
refused by requiring a same-origin ``Origin`` / ``Sec-Fetch-Site`` instead. The endpoint
is rate-limited per address like the search suggestions, and answers 204 whether or not
the figures were kept, since the page that sent them is gone.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Response, current_app, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from qkart.analytics import services as analytics
from qkart.analytics import vitals
from qkart.blueprints.analytics.visits import bp
from qkart.core.db import utcnow
from qkart.extensions import csrf, db, limiter

log = logging.getLogger(__name__)

MAX_BYTES = 512  # QKart's script sends about 80
BY_ENDPOINT = {
    "shop.index": "home",
    "shop.products": "catalogue",
    "shop.categories": "catalogue",
    "shop.category": "category",
    "shop.product": "product",
}
BY_BLUEPRINT = {
    "cart": "cart",
    "checkout": "checkout",
    "account": "account",
    "orders": "account",
    "wallet": "account",
    "settings": "account",
    "auth": "account",
}


def asks_not_to_track() -> bool:
    return request.headers.get("DNT") == "1" or request.headers.get("Sec-GPC") == "1"


def _is_staff() -> bool:
    return bool(current_user.is_authenticated and current_user.is_staff)


def page_type() -> str:
    """What kind of shopper page the current request renders (a search is the catalogue
    with a query)."""
    endpoint = request.endpoint or ""
    kind = BY_ENDPOINT.get(endpoint) or BY_BLUEPRINT.get(request.blueprint or "", "other")
    if kind == "catalogue" and endpoint == "shop.products" and request.args.get("q", "").strip():
        return "search"
    return kind


@bp.app_context_processor
def vitals_context() -> dict[str, object]:
    def vitals_beacon() -> dict[str, str] | None:
        """The script tag's data, or None where no vitals are measured."""
        if request.blueprint == "admin" or _is_staff() or asks_not_to_track():
            return None
        return {
            "url": url_for("analytics.record_vitals"),
            "page": page_type(),
            "device": analytics.device_class(request.user_agent.string),
        }

    return {"vitals_beacon": vitals_beacon}


def _same_origin() -> bool:
    """A browser names the page that sent a beacon; at least one sign must be present and
    every sign present must say this site."""
    site, origin = request.headers.get("Sec-Fetch-Site"), request.headers.get("Origin")
    if site is None and origin is None:
        return False
    if site is not None and site != "same-origin":
        return False
    if origin is not None:
        try:
            return urlsplit(origin).netloc == request.host
        except ValueError:  # "http://[::1" and the like
            return False
    return True


def _refuse(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.post("/analytics/vitals")
# One beacon per page view: the default is far above browsing (a setting, for test rigs
# whose every browser shares one address).
@limiter.limit(lambda: current_app.config["QKART_VITALS_LIMIT"], scope="vitals")
@csrf.exempt
def record_vitals() -> Response:
    """Count one page view's LCP, INP and CLS. Bad input: 400/403/413/415, nothing kept."""
    if not _same_origin():
        return _refuse(403, "Only this shop's pages may send web vitals.")
    if request.mimetype != "application/x-www-form-urlencoded":
        return _refuse(415, "Send the figures as application/x-www-form-urlencoded.")
    if (request.content_length or 0) > MAX_BYTES:
        return _refuse(413, f"A beacon is at most {MAX_BYTES} bytes.")
    try:
        beacon = vitals.parse_beacon(request.form.to_dict(flat=False))
    except vitals.BadBeaconError as error:
        return _refuse(400, str(error))
    if asks_not_to_track() or _is_staff() or analytics.is_bot(request.user_agent.string):
        return Response(status=204)
    try:
        vitals.record_beacon(beacon, utcnow().date())
        db.session.commit()
    except SQLAlchemyError:  # the page is gone; a lost count must not become an error
        db.session.rollback()
        log.warning("could not record web vitals", exc_info=True)
    return Response(status=204)
