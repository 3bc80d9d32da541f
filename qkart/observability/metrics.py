"""Prometheus metrics: request latency per endpoint, business counters, the job queue.

Counters and histograms live in this process. Under gunicorn each worker is its own
process, so set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory the workers share
(``gunicorn.conf.py`` empties it at start and tidies up after a worker exits): every
process then writes its values there and ``/metrics`` adds them up, whichever worker
answers the scrape. Without the variable, one process serves its own numbers.

Queue depth and failed jobs are read from Redis and the job outbox at scrape time,
so they are right however many web and worker processes there are.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

PENDING_KEY = "qkart_metrics_pending"
# Anything else a client sends as a method is counted as "other": labels must stay few.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Endpoint names (``shop.product``), never raw paths: one series per view, not per URL.
REQUEST_LATENCY = Histogram(
    "qkart_request_duration_seconds",
    "Time to answer a request, by endpoint",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUESTS = Counter(
    "qkart_requests", "Requests answered, by endpoint and status", ["endpoint", "method", "status"]
)
ORDERS_PLACED = Counter("qkart_orders_placed", "Orders placed (any payment method)")
PAYMENTS_FAILED = Counter(
    "qkart_payments_failed",
    "Payment attempts that failed: gateway (provider unreachable), declined, async (bank)",
    ["reason"],
)
PAYMENT_FAILURE_REASONS = ("gateway", "declined", "async")
for _reason in PAYMENT_FAILURE_REASONS:  # every series exists from the start, at 0
    PAYMENTS_FAILED.labels(_reason)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def count_after_commit(session: Session, counter: Any) -> None:
    """Count ``counter`` (a metric child) once ``session`` commits; a rollback drops it.

    Subscribers run inside the domain's transaction: an order that is rolled back
    was never placed, so it must not be counted.
    """
    session.info.setdefault(PENDING_KEY, []).append(counter)


def _count_pending(session: Session) -> None:
    for counter in session.info.pop(PENDING_KEY, []):
        counter.inc()


def _drop_pending(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


_listening = False


def init_metrics(app: Flask) -> None:
    """Time every request by endpoint and count business events after their commit."""
    global _listening
    if not _listening:
        event.listen(Session, "after_commit", _count_pending)
        event.listen(Session, "after_soft_rollback", _drop_pending)
        _listening = True

    @app.after_request
    def observe_request(response: Response) -> Response:
        started = g.get("started")
        endpoint = request.endpoint or "unmatched"  # every unknown URL shares one series
        method = request.method if request.method in METHODS else "other"
        if started is not None and endpoint != "metrics.scrape":
            REQUEST_LATENCY.labels(endpoint, method).observe(time.perf_counter() - started)
            REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
        return response


class JobCollector(Collector):
    """The job queue as it stands: RQ's waiting and failed jobs, the outbox's backlog."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._outbox()
        if self.app.config.get("REDIS_URL"):
            yield from self._rq()

    def _outbox(self) -> Iterator[GaugeMetricFamily]:
        from qkart.extensions import db
        from qkart.jobs.models import OutboxJob

        waiting = select(func.count()).where(
            OutboxJob.done_at.is_(None), OutboxJob.failed_at.is_(None)
        )
        given_up = select(func.count()).where(OutboxJob.failed_at.is_not(None))
        try:
            counts = [db.session.execute(stmt).scalar_one() for stmt in (waiting, given_up)]
        except SQLAlchemyError as error:  # the database down: answer with the rest
            db.session.rollback()
            log.warning("metrics: cannot count outbox jobs (%s)", type(error).__name__)
            return
        family = GaugeMetricFamily(
            "qkart_outbox_jobs",
            "Jobs in the outbox: waiting (not done yet) or failed (given up after retries)",
            labels=["state"],
        )
        family.add_metric(["waiting"], counts[0])
        family.add_metric(["failed"], counts[1])
        yield family

    def _rq(self) -> Iterator[GaugeMetricFamily]:
        from qkart.jobs.queue import _rq_queue

        queue = _rq_queue(self.app)
        try:
            depth, failed = queue.count, queue.failed_job_registry.count
        except Exception as error:  # Redis down: the scrape still answers, without these
            log.warning("metrics: cannot read the RQ queue (%s: %s)", type(error).__name__, error)
            return
        depth_family = GaugeMetricFamily(
            "qkart_job_queue_depth", "Jobs waiting in the RQ queue", labels=["queue"]
        )
        depth_family.add_metric([queue.name], depth)
        failed_family = GaugeMetricFamily(
            "qkart_jobs_failed", "Jobs in RQ's failed-job registry", labels=["queue"]
        )
        failed_family.add_metric([queue.name], failed)
        yield depth_family
        yield failed_family


def process_metrics() -> bytes:
    """Counters and histograms in text format: every process's, added up, in
    multiprocess mode; this process's own otherwise."""
    path = multiprocess_dir()
    if not path:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    return generate_latest(registry)


def exposition(app: Flask) -> Response:
    """Every metric in Prometheus' text format: the processes' values plus the queue."""
    jobs = CollectorRegistry()
    jobs.register(JobCollector(app))
    body = process_metrics() + generate_latest(jobs)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
