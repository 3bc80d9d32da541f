"""Cross-cutting web concerns: request ids, logging, security headers, error pages."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, abort, g, has_request_context, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response as BaseResponse

from qkart.core.errors import DomainError, NotFoundError

log = logging.getLogger("qkart")

# Only our own files: htmx and the stylesheet are vendored, nothing inline runs.
# Checkout forms may send the browser on to Stripe's hosted payment page.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self' {checkout}; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)

# No page needs these browser features (Stripe Checkout is a redirect, not an embed).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

FORM_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Endpoints that read a raw body themselves (signed webhooks) are listed here.
RAW_BODY_ENDPOINTS: set[str] = set()

ERROR_TEXT = {
    400: (
        "Something in that request was not right",
        "Go back, check what you entered and try again.",
    ),
    403: (
        "You are not allowed to see this page",
        "If you think you should be, sign in with another account.",
    ),
    404: (
        "We could not find that page",
        "The link may be old or mistyped. Try the search, or start from the home page.",
    ),
    405: ("That action is not available here", "Go back and use the buttons on the page."),
    409: (
        "That changed in the meantime",
        "Reload the page to see how things stand now, then try again.",
    ),
    413: ("That upload is too large", "Try a smaller file."),
    415: ("We could not read that request", "Use the forms on the page to send it."),
    422: ("We could not do that", "Check the message below, then try again."),
    429: ("Too many attempts", "Please wait a little and try again."),
    500: (
        "Something went wrong on our side",
        "We have been told about it. Please try again in a moment.",
    ),
    502: (
        "A service we rely on did not answer",
        "Nothing was charged. Please try again in a moment.",
    ),
}


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in URLs: only ids a 32-bit database column can hold, else 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def public_message(error: DomainError) -> str:
    """What a visitor may read of ``error``: its own words if safe, else an apology.

    An unsafe error (a gateway's internals, request ids, card details) goes to the
    log with this request's id, and the visitor gets that id to quote to support.
    """
    if error.safe:
        return str(error)
    log.error("%s: %s", type(error).__name__, error)
    text = getattr(error, "public_message", None) or ERROR_TEXT[500][1]
    request_id = g.get("request_id") if has_request_context() else None
    return f"{text} (Reference: {request_id}.)" if request_id else text


def init_web(app: Flask) -> None:
    from qkart.payments.gateway import checkout_origins

    csp = CSP.format(checkout=" ".join(checkout_origins(app)))
    app.url_map.converters["int"] = DatabaseIdConverter
    hops = app.config["QKART_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @app.before_request
    def refuse_non_form_bodies() -> None:
        # Every action is an HTML form; a JSON or other body would reach the forms
        # in shapes they were never meant to read (and dodge per-field checks).
        sends_body = request.method in FORM_METHODS and bool(request.content_length)
        raw_allowed = request.endpoint in RAW_BODY_ENDPOINTS
        if sends_body and request.mimetype not in FORM_TYPES and not raw_allowed:
            abort(415, "Send this as a form (application/x-www-form-urlencoded).")

    @app.before_request
    def refuse_control_characters() -> None:
        # NUL cannot be stored (PostgreSQL refuses it) and no person types it.
        values = [request.path, *request.args.values()]
        values += request.form.values() if request.form else []
        if any("\x00" in value for value in values):
            abort(400, "Your request contained a character we cannot accept.")

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Request-ID", g.get("request_id", ""))
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # Pages opened from the shop (or opening it) get no handle on its window.
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if (
            request.endpoint not in ("static", "media.image")
            and "Cache-Control" not in response.headers
        ):
            # Pages carry the cart badge and the shopper's name: never share them in caches.
            response.headers["Cache-Control"] = "private, no-cache"
        return response


def error_page(code: int, message: str | None = None) -> tuple[str, int]:
    title, hint = ERROR_TEXT.get(code, ERROR_TEXT[500])
    html = render_template("errors/error.html", code=code, title=title, hint=hint, message=message)
    return html, code


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return error_page(
            400, "This form has expired or was sent from elsewhere. Reload the page and try again."
        )

    @app.errorhandler(NotFoundError)
    def not_found(error: NotFoundError) -> tuple[str, int]:
        return error_page(404, str(error))

    @app.errorhandler(DomainError)
    def refused(error: DomainError) -> tuple[str, int]:
        """A rule refused what a view did not handle itself: say why, never a 500."""
        from qkart.extensions import db

        db.session.rollback()
        code = error.status_code if error.status_code in ERROR_TEXT else 400
        html, _ = error_page(code, public_message(error))
        return html, error.status_code

    @app.errorhandler(429)
    def too_many(error: HTTPException) -> tuple[str, int]:
        from qkart.extensions import limiter

        limit = limiter.current_limit
        wait = max(int(limit.reset_at - time.time()), 1) if limit else 900
        minutes = -(-wait // 60)
        html, _ = error_page(
            429,
            f"Too many attempts. For your security, try again in {minutes} minute"
            f"{'' if minutes == 1 else 's'}.",
        )
        return html, 429

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> BaseResponse | tuple[str, int]:
        if error.code is None or error.code < 400:
            return error.get_response()
        code = error.code if error.code in ERROR_TEXT else (500 if error.code >= 500 else 400)
        html, _ = error_page(code, error.description if code in (400, 415) else None)
        response = Response(html, status=error.code)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int]:
        from qkart.extensions import db

        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_page(500)
