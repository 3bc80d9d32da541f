"""Error reports to Sentry, only when ``SENTRY_DSN`` is set.

``sentry-sdk`` is an optional extra (``pip install 'qkart[sentry]'``) and is imported
only then, so a shop without Sentry neither needs it nor pays for it. Reports carry no
personal data: no cookies, IP addresses or user names (the SDK's default; 2.x deprecates
spelling it ``send_default_pii=False``), and e-mail addresses, card numbers and tokens
in messages are masked as in the logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from qkart.observability.logs import scrub

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint


def _scrub_event(event: Event, hint: Hint) -> Event:
    for value in (event.get("exception") or {}).get("values") or []:
        if isinstance(value.get("value"), str):
            value["value"] = scrub(value["value"])
    logentry = event.get("logentry")
    if logentry:
        event["logentry"] = {
            key: scrub(text) if isinstance(text, str) else text for key, text in logentry.items()
        }
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
        before_send=_scrub_event,
    )
    return True
