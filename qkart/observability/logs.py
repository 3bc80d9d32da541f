"""Log lines: readable text while developing, one JSON object per line in production.

A log aggregator (the PaaS's, Loki, CloudWatch) can search JSON fields such as
``request_id`` or ``status`` without a parsing rule. Whatever reaches a JSON line is
scrubbed first: e-mail addresses, card-like numbers and ``password=``/``token=``
values are masked, and tokens in URLs (password resets, e-mail links) never leave the
process, because log storage is read by more people, for longer, than the database.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

log = logging.getLogger("qkart")
access_log = logging.getLogger("qkart.request")

# A request id from a proxy or a client is used only if it is short and plain, so it
# can neither forge log lines nor carry markup onto the error page.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
SECRET_VALUE = re.compile(r"(?i)\b(password|passwd|token|secret|api_key|authorization)=\S+")
# URL parts that stand for a secret (a reset link's token) are named like this.
SECRET_ARGS = frozenset({"token"})
# What a request (or a job) adds to every record logged while it runs.
FIELDS = ("method", "path", "endpoint", "status", "duration_ms", "user_id", "job_id", "job")

job_context: ContextVar[dict[str, Any] | None] = ContextVar("qkart_log_job", default=None)


def new_request_id(incoming: str | None) -> str:
    """The id this request is logged under: a safe incoming one, or a fresh random one."""
    if incoming and REQUEST_ID.fullmatch(incoming):
        return incoming
    return secrets.token_hex(8)


def scrub(text: str) -> str:
    """``text`` without e-mail addresses, card numbers or secret values."""
    text = EMAIL.sub("[email]", text)
    text = CARD.sub("[card]", text)
    return SECRET_VALUE.sub(lambda m: f"{m.group(1)}=[redacted]", text)


def safe_path() -> str:
    """This request's path with secret URL parts (``/reset-password/<token>``) masked."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_ARGS and value:
            path = path.replace(str(value), "[redacted]")
    return path


def _user_id() -> int | None:
    # Only a user this request already loaded: logging must never run a query.
    user = g.get("_login_user")
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


class ContextFilter(logging.Filter):
    """Adds the request id (``-`` outside requests), the user and any job to records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id", "-")
            record.__dict__.setdefault("user_id", _user_id())
        else:
            record.request_id = getattr(record, "request_id", "-")
        for key, value in (job_context.get() or {}).items():
            record.__dict__.setdefault(key, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id and context."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if has_request_context() and request.path in message:
            message = message.replace(request.path, safe_path())
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(message),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = scrub(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def _formatter(app: Flask) -> logging.Formatter:
    if app.config["QKART_LOG_FORMAT"] == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)


class QKartHandler(logging.StreamHandler):
    """The one handler on the ``qkart`` logger (to stderr, where the PaaS collects it)."""


def handler() -> QKartHandler | None:
    """The handler QKart put on its logger (tests redirect its stream)."""
    return next((h for h in log.handlers if isinstance(h, QKartHandler)), None)


def configure_logging(app: Flask) -> None:
    """One handler on the ``qkart`` logger, in the format the app's settings ask for."""
    level = getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO)
    log.setLevel(level)
    ours = handler()
    if ours is None:
        ours = QKartHandler()
        ours.addFilter(ContextFilter())
        log.addHandler(ours)
        log.propagate = False
    ours.setFormatter(_formatter(app))


def configure_worker_logging(app: Flask) -> None:
    """RQ's own lines (job started, job failed) in the same format as the app's."""
    if app.config["QKART_LOG_FORMAT"] != "json":
        return
    for name in ("rq.worker", "rq.scheduler"):
        for rq_handler in logging.getLogger(name).handlers:
            rq_handler.setFormatter(JsonFormatter())
            if not any(isinstance(f, ContextFilter) for f in rq_handler.filters):
                rq_handler.addFilter(ContextFilter())


def init_request_logging(app: Flask) -> None:
    """Give each request its id and, in JSON mode, log one access line when it ends.

    The access line replaces the server's own (gunicorn's is plain text and cannot
    carry the request id); ``make run`` keeps Werkzeug's readable one instead.
    """

    @app.before_request
    def assign_request_id() -> None:
        g.request_id = new_request_id(request.headers.get("X-Request-ID"))
        g.started = time.perf_counter()

    if app.config["QKART_LOG_FORMAT"] != "json":
        return

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        path = safe_path()
        access_log.info(
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "method": request.method,
                "path": path,
                "endpoint": request.endpoint,
                "status": response.status_code,
                "duration_ms": duration,
            },
        )
        return response
