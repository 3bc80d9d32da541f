"""What operators see: structured logs with request ids, Prometheus metrics, Sentry.

``init_observability`` runs first in ``register_extensions``, so the request id exists
before any other hook logs and the latency includes every other hook's time.
"""

from __future__ import annotations

from flask import Flask


def init_observability(app: Flask) -> None:
    from qkart.observability.logs import configure_logging, init_request_logging
    from qkart.observability.metrics import init_metrics
    from qkart.observability.sentry import init_sentry

    configure_logging(app)
    init_request_logging(app)
    init_metrics(app)
    init_sentry(app)
