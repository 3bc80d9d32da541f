"""The web side of analytics: which requests count, the anonymous session cookie, and
writing a request's events once its response is built."""

from qkart.blueprints.analytics.visits import bp

__all__ = ["bp"]
