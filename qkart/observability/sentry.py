"""Error reports to Sentry, only when ``SENTRY_DSN`` is set.

``sentry-sdk`` is an optional extra (``pip install 'qkart[sentry]'``) and is imported
only then, so a shop without Sentry neither needs it nor pays for it. Reports carry no
personal data: no cookies, IP addresses or user names (the SDK's default; 2.x deprecates
spelling it ``send_default_pii=False``), and e-mail addresses, card numbers and tokens
in messages and URLs are masked as in the logs; stack frames go without their variables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, has_request_context, request

from qkart.observability.logs import safe_path, scrub

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint


def _clean(text: object) -> object:
    """``text`` masked as in the logs, with this request's secret URL parts hidden."""
    if not isinstance(text, str):
        return text
    if has_request_context():
        text = text.replace(request.path, safe_path())
    return scrub(text)


def _scrub_event(event: Event, hint: Hint) -> Event:
    """Mask what the SDK's own scrubber cannot know: the shop's words in messages."""
    for value in (event.get("exception") or {}).get("values") or []:
        value["value"] = _clean(value.get("value"))
    logentry = event.get("logentry")
    if logentry:
        params = logentry.get("params")
        event["logentry"] = {
            **{key: _clean(text) for key, text in logentry.items()},
            "params": [_clean(p) for p in params] if isinstance(params, list) else params,
        }
    crumbs = event.get("breadcrumbs")
    if isinstance(crumbs, dict):  # earlier log lines of the same request
        for crumb in crumbs.get("values") or []:
            crumb["message"] = _clean(crumb.get("message"))
    details = event.get("request")
    if details:
        # A reset or unsubscribe link's token is as good as a password.
        details["url"] = _clean(details.get("url"))
    return event


def init_sentry(app: Flask) -> bool:
    """Start reporting errors of the app and its RQ jobs; False when no DSN is set."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["QKART_ENV"],
        integrations=[FlaskIntegration(), RqIntegration()],
        traces_sample_rate=app.config["SENTRY_TRACES_SAMPLE_RATE"],
        # A frame's variables hold what the shopper typed (addresses, e-mail): never sent.
        include_local_variables=False,
        before_send=_scrub_event,
    )
    return True
