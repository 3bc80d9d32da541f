"""``/metrics`` for a Prometheus scraper, behind a bearer token.

Off unless ``QKART_METRICS_TOKEN`` is set (404, as if there were no such page): the
numbers (orders per minute, failing payments) are business data. A missing token is
401 with a ``WWW-Authenticate`` challenge, a wrong one 403. Scrapes are GETs without
a session, so CSRF does not apply; they are exempt from rate limits (a scraper comes
every few seconds from one address) and never counted as shopper visits.
"""

from __future__ import annotations

import hmac

from flask import Response, abort, current_app, request

from qkart.blueprints.metrics import bp
from qkart.extensions import limiter
from qkart.observability.metrics import exposition


def _check_token() -> None:
    expected = current_app.config.get("QKART_METRICS_TOKEN")
    if not expected:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        abort(Response("A bearer token is needed.\n", 401, {"WWW-Authenticate": "Bearer"}))
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        abort(Response("That token is not the metrics token.\n", 403))


@bp.get("/metrics")
@limiter.exempt
def scrape() -> Response:
    """Every metric in Prometheus' text format."""
    _check_token()
    response = exposition(current_app)
    response.headers["Cache-Control"] = "no-store"
    return response
