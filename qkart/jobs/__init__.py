"""RQ job functions, by domain. Jobs take ids, not objects, and call services.

Jobs are queued by name (``"mail.send_order_confirmation"``) through the outbox
(``qkart.jobs.queue``) and run by ``qkart.jobs.runner`` inside an app context, so
job code reads like view code. ``with_app`` gives entry points called by RQ (the
runner, the scheduled tick) one app per worker process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Flask, has_app_context

P = ParamSpec("P")
R = TypeVar("R")
_worker_app: Flask | None = None


def _app() -> Flask:
    global _worker_app
    if _worker_app is None:
        from qkart import create_app

        _worker_app = create_app()
    return _worker_app


def preload_app() -> Flask:
    """Build the worker's app now (in the RQ parent process, before jobs fork)."""
    return _app()


def with_app(func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if has_app_context():
            return _run(func, *args, **kwargs)
        with _app().app_context():
            return _run(func, *args, **kwargs)

    return wrapper


def _run(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    from qkart.extensions import db

    try:
        result = func(*args, **kwargs)
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        raise
