"""Queue background work so that it only leaves once the data behind it is committed.

Services call ``queue.after_commit(session, "mail.send_order_confirmation", order.id)``:
a job named by ``module.function`` under ``qkart.jobs``, so a service never imports
job code (jobs import services, not the other way round). The call writes a row to
the job outbox in the caller's transaction: a rollback drops it, a commit keeps it.

After the commit the job is sent to RQ when ``REDIS_URL`` is set, or run inline
(in a fresh application context) when it is not. Sending can fail (Redis down):
that is logged, never raised, because the shopper's request has already
succeeded; the row stays in the outbox and ``sweep`` sends it later.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session, scoped_session

log = logging.getLogger(__name__)

PENDING_KEY = "qkart_pending_jobs"
RUNNER = "qkart.jobs.runner.run"
# How long Redis may take to answer before the job is left for the sweep.
REDIS_TIMEOUT = 2.0


def resolve(name: str) -> Callable[..., Any]:
    """The job function ``qkart.jobs.<module>.<function>`` that ``name`` stands for."""
    module, _, func = name.rpartition(".")
    if not module or not func.isidentifier():
        raise ValueError(f"job names look like 'mail.send_order_confirmation', not {name!r}")
    target = getattr(importlib.import_module(f"qkart.jobs.{module}"), func, None)
    if not callable(target):
        raise ValueError(f"no job function {name!r}")
    return target


class JobQueue:
    """Outbox rows in the caller's transaction; RQ (or inline) once it commits."""

    def __init__(self) -> None:
        self._listening = False

    def init_app(self, app: Flask) -> None:
        app.extensions["qkart_queue"] = self
        if not self._listening:
            event.listen(Session, "after_commit", _flush_pending)
            event.listen(Session, "after_soft_rollback", _drop_pending)
            self._listening = True

    def after_commit(self, session: Session | scoped_session[Any], name: str, *args: Any) -> Any:
        """Record job ``name(*args)`` in ``session``; it is sent once the session commits."""
        from qkart.jobs.models import OutboxJob

        resolve(name)  # a typo fails here, in the request that made it, not in a worker
        job = OutboxJob(name=name, args=list(args))
        session.add(job)
        session.info.setdefault(PENDING_KEY, []).append(job)
        return job

    def dispatch(self, job_ids: Iterable[int]) -> list[int]:
        """Send outbox jobs now: to RQ, or inline without Redis. Returns the ids sent."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        ids = list(job_ids)
        if not ids:
            return []
        if not app.config.get("REDIS_URL"):
            for job_id in ids:
                _run_inline(app, job_id)
            return ids
        sent: list[int] = []
        try:
            queue = _rq_queue(app)
            for job_id in ids:
                queue.enqueue(
                    RUNNER,
                    job_id,
                    job_id=f"qkart-outbox-{job_id}",
                    retry=_retry(app.config["QKART_JOB_RETRY_INTERVALS"]),
                    description=f"outbox job {job_id}",
                )
                sent.append(job_id)
        except Exception as error:  # Redis down or refusing: the outbox keeps the rest
            log.warning(
                "could not queue %d job(s) (%s: %s); they stay in the outbox for the sweep",
                len(ids) - len(sent),
                type(error).__name__,
                error,
            )
        _mark_enqueued(sent)
        return sent


def _run_inline(app: Flask, job_id: int) -> None:
    from qkart.jobs.runner import execute

    with app.app_context():
        try:
            execute(job_id)
        except Exception:
            # The request that queued this has committed; a failed e-mail must not undo it.
            log.exception("inline job %s failed; it stays in the outbox", job_id)


def _mark_enqueued(job_ids: list[int]) -> None:
    """Note when jobs went to Redis, so the sweep leaves them alone for a while."""
    if not job_ids:
        return
    from qkart.core.db import utcnow
    from qkart.extensions import db
    from qkart.jobs.models import OutboxJob

    try:
        with db.engine.begin() as conn:
            conn.execute(
                update(OutboxJob).where(OutboxJob.id.in_(job_ids)).values(enqueued_at=utcnow())
            )
    except Exception:  # the runner's claim keeps a job that is sent twice from running twice
        log.warning("could not mark jobs %s as queued", job_ids, exc_info=True)


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

        connection = Redis.from_url(
            app.config["REDIS_URL"],
            socket_connect_timeout=REDIS_TIMEOUT,
            socket_timeout=REDIS_TIMEOUT,
        )
        cached = Queue(app.config["QKART_QUEUE"], connection=connection)
        app.extensions["qkart_rq_queue"] = cached
    return cached


def _flush_pending(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, [])
    if not pending or not has_app_context():
        return
    # The rows are expired by the commit, but their identity (the id) is still known
    # without a query, which this hook may not run on its own session.
    ids = [inspect(job).identity[0] for job in pending if inspect(job).identity]
    queue: JobQueue = current_app.extensions["qkart_queue"]
    queue.dispatch(ids)


def _drop_pending(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
