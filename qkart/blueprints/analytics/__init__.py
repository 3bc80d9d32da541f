"""The web side of analytics: which requests count, the anonymous session cookie, and
writing a request's events once its response is built; the web-vitals beacon."""

from qkart.blueprints.analytics import vitals  # noqa: F401  (its routes join bp)
from qkart.blueprints.analytics.visits import bp

__all__ = ["bp"]
