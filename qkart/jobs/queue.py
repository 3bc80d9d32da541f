"""Queue background work so that it only leaves once the data behind it is committed.

Services call ``queue.after_commit(job, *ids)``; the job is sent when the
session commits and dropped when it rolls back, so a rolled-back order never
sends a confirmation. With ``REDIS_URL`` set the job goes to RQ (retried with
back-off, e.g. when SMTP is down); without it the job runs inline, right after
the commit, in a fresh application context and therefore a fresh session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

PENDING_KEY = "qkart_pending_jobs"


class JobQueue:
    """Send jobs to RQ when Redis is configured, or run them inline after commit."""

    def __init__(self) -> None:
        self._listening = False

    def init_app(self, app: Flask) -> None:
        app.extensions["qkart_queue"] = self
        if not self._listening:
            event.listen(Session, "after_commit", _flush_pending)
            event.listen(Session, "after_soft_rollback", _drop_pending)
            self._listening = True

    def after_commit(self, session: Session, func: Callable[..., Any], *args: Any) -> None:
        """Remember ``func(*args)`` and send it once ``session`` commits."""
        session.info.setdefault(PENDING_KEY, []).append((func, args))

    def enqueue(self, func: Callable[..., Any], *args: Any) -> None:
        """Send a job now: to RQ if ``REDIS_URL`` is set, otherwise run it inline."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        redis_url = app.config.get("REDIS_URL")
        if redis_url:
            _rq_queue(app).enqueue(
                func, *args, retry=_retry(app.config["QKART_JOB_RETRY_INTERVALS"])
            )
            return
        with app.app_context():
            try:
                func(*args)
            except Exception:
                # The request that queued this has committed; a failed e-mail must not undo it.
                log.exception("inline job %s failed", getattr(func, "__name__", func))


def _retry(intervals: list[int]) -> Any:
    """RQ retries a failed job after each interval in turn (the worker's scheduler does it)."""
    from rq import Retry

    return Retry(max=len(intervals), interval=intervals) if intervals else None


def _rq_queue(app: Flask) -> Any:
    """One RQ queue per app, created lazily so the factory does no network I/O."""
    cached = app.extensions.get("qkart_rq_queue")
    if cached is None:
        from redis import Redis
        from rq import Queue

        cached = Queue(
            app.config["QKART_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"])
        )
        app.extensions["qkart_rq_queue"] = cached
    return cached


def _flush_pending(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, [])
    if not pending or not has_app_context():
        return
    queue: JobQueue = current_app.extensions["qkart_queue"]
    for func, args in pending:
        queue.enqueue(func, *args)


def _drop_pending(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
