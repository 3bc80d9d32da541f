"""Liveness and readiness for load balancers and PaaS health checks."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import text

from qkart.blueprints.health import bp
from qkart.extensions import db, limiter


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[dict[str, Any], int]:
    """The process answers: nothing else is checked, so a slow database cannot kill it."""
    return {"status": "ok"}, 200


@bp.get("/readyz")
@limiter.exempt
def readyz() -> tuple[dict[str, Any], int]:
    """Ready for traffic: the database answers and, when configured, Redis too."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # any failure means "not ready", never a 500
        db.session.rollback()
        checks["database"] = f"error: {type(error).__name__}"
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        try:
            from redis import Redis

            Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"error: {type(error).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
