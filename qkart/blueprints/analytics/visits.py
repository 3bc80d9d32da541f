"""Which requests are shopper visits, and the anonymous session they belong to.

A session is a random id in a first-party cookie that lapses after 30 idle minutes, so
it follows one sitting, not a person. Nothing is recorded for staff, bots, requests
that ask not to be tracked (``DNT: 1``, ``Sec-GPC: 1``), htmx fragments' own loads of
static files, or the health, media and webhook endpoints.
"""

from __future__ import annotations

import secrets
import time

from flask import Blueprint, Response, g, request
from flask_login import current_user

from qkart.analytics import services as analytics

bp = Blueprint("analytics", __name__)

COOKIE = "qk_s"
IDLE_SECONDS = 30 * 60
REFRESH_SECONDS = 5 * 60  # the cookie's expiry moves on at most this often
# "/analytics" is the web-vitals beacon: sent as a page closes, it is no visit of its own.
SKIP_PREFIXES = (
    "/static",
    "/media",
    "/healthz",
    "/readyz",
    "/webhooks",
    "/admin",
    "/emails",
    "/analytics",
    "/metrics",
)


def _counted() -> bool:
    if request.path.startswith(SKIP_PREFIXES) or request.method not in ("GET", "POST"):
        return False
    if request.headers.get("DNT") == "1" or request.headers.get("Sec-GPC") == "1":
        return False
    if analytics.is_bot(request.user_agent.string):
        return False
    return not (current_user.is_authenticated and current_user.is_staff)


def _session_from_cookie(now: int) -> tuple[str | None, int]:
    raw = request.cookies.get(COOKIE, "")
    sid, _, seen = raw.partition(".")
    if len(sid) == 32 and sid.isalnum() and seen.isdigit() and now - int(seen) < IDLE_SECONDS:
        return sid, int(seen)
    return None, 0


@bp.before_app_request
def open_visit() -> None:
    analytics.begin(None)
    if not _counted():
        return
    now = int(time.time())
    sid, seen = _session_from_cookie(now)
    visit = analytics.Visit(
        sid or secrets.token_hex(16), analytics.device_class(request.user_agent.string)
    )
    analytics.begin(visit)
    if sid is None:
        analytics.record("session.started")
    if sid is None or now - seen >= REFRESH_SECONDS:
        g.analytics_cookie = f"{visit.session}.{now}"


@bp.after_app_request
def close_visit(response: Response) -> Response:
    cookie = g.pop("analytics_cookie", None)
    if cookie and response.status_code < 400:
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=IDLE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    if response.status_code < 500:
        analytics.flush()
    analytics.begin(None)
    return response
