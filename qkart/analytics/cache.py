"""Reports too heavy for a page: computed once by a worker, watched, and kept.

A report page hands its report function and the asked period to :func:`cached`:

    answer = cache.cached(reports.overview, period)  # may add a run and queue its job
    db.session.commit()                               # sends the job (inline without Redis)
    answer = cache.settled(answer)                    # an inline job has finished by now
    if answer.ready:
        ... answer.result ...                         # what the report function returned
    else:
        ... show answer.run.percent, ask again later (htmx polling, a plain link) ...

The report function is ``report(period, progress) -> result``, defined at module level
under ``qkart.analytics`` (the worker imports it by name), calling ``progress(done,
total)`` between its queries; its result is dataclasses, lists, dicts, ``Decimal`` and
dates, which :func:`encode` stores as JSON and :func:`decode` gives back as the same
types. Ranges up to ``INLINE_DAYS`` days are computed in the request, uncached: the
reports are indexed to answer a month in well under a second.

A result is kept under a key made of the report, the range and the freshness of the
data behind it: a range that includes the shop's today is recomputed every
``TODAY_SECONDS`` (new events keep arriving); a closed range is kept for
``CLOSED_TTL``, and only as long as no order changed (a late payment, a refund or a
cancellation updates the order) and the daily summaries were not redone (a new day
closed, or late events changed a closed day): either changes the key.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from qkart.analytics import rollups
from qkart.analytics.models import ReportRun
from qkart.analytics.reports import Period
from qkart.core.db import utcnow
from qkart.core.shop import shop_today
from qkart.extensions import db, queue

INLINE_DAYS = 92
TODAY_SECONDS = 300
CLOSED_TTL = timedelta(days=7)
# A run still "queued" or "running" after this was lost (a worker died): ask again.
STALE = timedelta(minutes=10)
Report = Callable[..., Any]


@dataclass(frozen=True)
class Answer:
    """A report's result when ``ready``; otherwise the run that will compute it."""

    result: Any = None
    run: ReportRun | None = None
    ready: bool = True


def report_name(report: Report) -> str:
    name = f"{report.__module__}:{report.__qualname__}"
    if not report.__module__.startswith("qkart.analytics.") or "." in report.__qualname__:
        raise ValueError(f"{name}: a cached report is a module-level function of qkart.analytics")
    return name


def _resolve(name: str) -> Report:
    module, _, function = name.partition(":")
    if not module.startswith("qkart.analytics.") or not function.isidentifier():
        raise ValueError(f"not a report: {name!r}")
    return getattr(importlib.import_module(module), function)


def freshness(period: Period) -> str:
    """What the key of a result depends on besides the report and the range: the time
    (in steps of ``TODAY_SECONDS``) for a range that includes today; for a closed range,
    the last change of an order and the version of the daily summaries."""
    if period.end >= shop_today():
        return f"t{int(utcnow().timestamp()) // TODAY_SECONDS}"
    from qkart.orders.models import Order

    changed = db.session.scalar(select(func.max(Order.updated_at)))
    return f"o{int(changed.timestamp() * 1000) if changed else 0}v{rollups.version()}"


def key_of(report: Report, period: Period) -> str:
    return f"{report_name(report)}:{period.start}:{period.end}:{freshness(period)}"


def _expiry(period: Period) -> datetime:
    if period.end >= shop_today():
        return utcnow() + timedelta(seconds=TODAY_SECONDS)
    return utcnow() + CLOSED_TTL


def lookup(report: Report, period: Period) -> Answer:
    """The result now if the range is short or a fresh result is kept; else not ready
    (with the run under way, if any). Never queues anything."""
    if period.days <= INLINE_DAYS:
        return Answer(report(period, None))
    run = db.session.scalar(select(ReportRun).where(ReportRun.key == key_of(report, period)))
    if run is not None and run.status == "done" and run.expires_at > utcnow():
        return Answer(decode(run.result), run)
    return Answer(run=run, ready=False)


def cached(report: Report, period: Period) -> Answer:
    """:func:`lookup`, and when nothing is kept or under way, a new run whose job is
    queued with the caller's commit (flushed here; the caller commits)."""
    answer = lookup(report, period)
    if answer.ready:
        return answer
    run = answer.run
    if run is not None and run.pending and run.created_at > utcnow() - STALE:
        return answer
    if run is not None:  # failed, expired or lost: start again under the same key
        db.session.delete(run)
        db.session.flush()
    db.session.execute(delete(ReportRun).where(ReportRun.expires_at < utcnow()))
    run = ReportRun(
        key=key_of(report, period),
        report=report_name(report),
        start=period.start,
        end=period.end,
        expires_at=_expiry(period),
    )
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except IntegrityError:  # another page asked the same question a moment earlier
        return lookup(report, period)
    queue.after_commit(db.session, "analytics.build_report", run.id)
    return Answer(run=run, ready=False)


def settled(answer: Answer) -> Answer:
    """The answer again after the commit, when the job ran inline (no Redis)."""
    if answer.ready or answer.run is None:
        return answer
    run = db.session.get(ReportRun, answer.run.id)
    if run is not None and run.status == "done":
        return Answer(decode(run.result), run)
    return Answer(run=run, ready=False)


def build(run_id: int) -> bool:
    """Compute a run (the worker's job): progress committed as it goes, then the result.
    False when the run is gone or done already (a job sent twice)."""
    run = db.session.get(ReportRun, run_id)
    if run is None or run.status == "done":
        return False
    report = _resolve(run.report)
    run.status, run.started_at = "running", utcnow()
    db.session.commit()

    def progress(done: int, total: int) -> None:
        run.done_steps, run.total_steps = done, total
        db.session.commit()  # so the page polling the run sees it move

    try:
        result = report(Period(run.start, run.end), progress)
    except Exception as error:
        db.session.rollback()
        run.status, run.error = "failed", f"{type(error).__name__}"[:200]
        run.finished_at = utcnow()
        db.session.commit()
        raise
    run.result, run.status, run.finished_at = encode(result), "done", utcnow()
    run.done_steps = run.total_steps
    db.session.commit()
    return True


def encode(value: Any) -> Any:
    """A report's result as JSON, its types tagged so :func:`decode` restores them."""
    if is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        return {
            "__dataclass__": f"{kind.__module__}:{kind.__qualname__}",
            "fields": {f.name: encode(getattr(value, f.name)) for f in fields(value)},
        }
    if isinstance(value, Decimal):
        return {"__decimal__": str(value)}
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return {"__pairs__": [[encode(k), encode(v)] for k, v in value.items()]}
        return {"__dict__": {k: encode(v) for k, v in value.items()}}
    if isinstance(value, tuple):  # kept apart from lists: a tuple may be a dict's key
        return {"__tuple__": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__dataclass__" in value:
        module, _, name = value["__dataclass__"].partition(":")
        if not module.startswith("qkart."):
            raise ValueError(f"not a QKart type: {value['__dataclass__']!r}")
        kind = getattr(importlib.import_module(module), name)
        return kind(**{k: decode(v) for k, v in value["fields"].items()})
    if "__decimal__" in value:
        return Decimal(value["__decimal__"])
    if "__datetime__" in value:
        return datetime.fromisoformat(value["__datetime__"])
    if "__date__" in value:
        return date.fromisoformat(value["__date__"])
    if "__tuple__" in value:
        return tuple(decode(item) for item in value["__tuple__"])
    if "__pairs__" in value:
        return {decode(k): decode(v) for k, v in value["__pairs__"]}
    return {k: decode(v) for k, v in value["__dict__"].items()}
