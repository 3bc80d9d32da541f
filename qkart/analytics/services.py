"""Recording events cheaply: buffered per request, written in one insert, never failing.

The web layer opens a ``Visit`` for each page request a shopper makes (see
``qkart.blueprints.analytics``); ``record`` then adds to that visit's buffer, and
``flush`` hands the buffer on once the response is built. With
``QKART_ANALYTICS_FLUSH_SECONDS`` above 0 (the default: 2 s) the events of all the
process's requests are gathered and written together in one INSERT when that many
seconds have passed (a timer thread) or ``BATCH_ROWS`` are waiting, and when the process
exits: a page then costs no write of its own, and a crash loses seconds of counts,
never a page. At 0 each request writes its own events (the tests). Anything that goes
wrong while recording is logged and dropped: analytics must never cost a shopper a page.
Events outside a visit (a webhook marking an order paid) are written with the caller's
transaction, since nobody waits on them.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import Table, insert
from sqlalchemy.exc import SQLAlchemyError

from qkart.analytics.models import AnalyticsEvent
from qkart.core.db import utcnow
from qkart.extensions import db

log = logging.getLogger(__name__)

KINDS = {
    "session.started": "a new anonymous session",
    "product.viewed": "a product page",
    "search": "a catalogue search (data: q, results)",
    "cart.added": "added to cart (quantity in data; value: price x quantity)",
    "cart.removed": "a cart line removed",
    "checkout.started": "the checkout page opened",
    "checkout.step": "a checkout step answered (data: step)",
    "order.placed": "an order placed (value: its total)",
    "order.paid": "an order paid in full",
    "order.cancelled": "an order cancelled",
    "order.refunded": "money returned (value: the amount)",
    "review.posted": "a review posted (data: rating)",
}
MOBILE = re.compile(r"Mobi|Android.+Mobile|iPhone|iPod", re.I)
TABLET = re.compile(r"iPad|Tablet|Android(?!.*Mobile)", re.I)
BOT = re.compile(r"bot|crawl|spider|slurp|preview|monitor", re.I)
BATCH_ROWS = 500  # a busy process writes at once rather than wait for its timer


@dataclass
class Visit:
    """The anonymous session a request belongs to, and what it did so far."""

    session: str
    device: str
    events: list[dict[str, Any]] = field(default_factory=list)


_visit: ContextVar[Visit | None] = ContextVar("qkart_analytics_visit", default=None)


def device_class(user_agent: str) -> str:
    if TABLET.search(user_agent or ""):
        return "tablet"
    if MOBILE.search(user_agent or ""):
        return "mobile"
    return "desktop"


def is_bot(user_agent: str) -> bool:
    return not user_agent or bool(BOT.search(user_agent))


def begin(visit: Visit | None) -> None:
    """Start (or, with None, stop) recording for the current request."""
    _visit.set(visit)


def current() -> Visit | None:
    return _visit.get()


def record(
    kind: str,
    *,
    product_id: int | None = None,
    order_id: int | None = None,
    value: int | None = None,
    **data: Any,
) -> None:
    """Note an event of the current visit (nothing outside a visit: a DNT request, a bot,
    staff, a job). Written by ``flush`` after the response is built."""
    if kind not in KINDS:
        raise ValueError(f"unknown analytics event {kind!r}")
    visit = _visit.get()
    if visit is None:
        return
    visit.events.append(
        {
            "kind": kind,
            "occurred_at": utcnow(),
            "session": visit.session,
            "device": visit.device,
            "product_id": product_id,
            "order_id": order_id,
            "value": value,
            "data": data,
        }
    )


def record_now(kind: str, *, order_id: int | None = None, value: int | None = None) -> None:
    """An event that happens without a shopper's page (a payment confirmed by a webhook),
    added to the caller's transaction."""
    db.session.add(AnalyticsEvent(kind=kind, order_id=order_id, value=value, data={}))


def flush() -> int:
    """Hand the current visit's events on; how many. Written at once, or gathered with
    other requests' (``QKART_ANALYTICS_FLUSH_SECONDS``). A failure is logged and
    swallowed (the shopper's page is already built)."""
    visit = _visit.get()
    if visit is None or not visit.events:
        return 0
    rows, visit.events = visit.events, []
    delay = float(current_app.config.get("QKART_ANALYTICS_FLUSH_SECONDS") or 0)
    if delay <= 0:
        return _write(rows)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if _pending.add(app, rows, delay) >= BATCH_ROWS:
        _write(_pending.take())
    return len(rows)


def _write(rows: list[dict[str, Any]]) -> int:
    """Every row in one INSERT (an executemany), in its own short transaction."""
    if not rows:
        return 0
    try:
        db.session.execute(insert(cast(Table, AnalyticsEvent.__table__)), rows)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not record %d analytics event(s)", len(rows), exc_info=True)
        return 0
    return len(rows)


class _Pending:
    """The process's events not yet written, and the one timer that will write them."""

    def __init__(self) -> None:
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._apps: set[Flask] = set()

    def add(self, app: Flask, rows: list[dict[str, Any]], delay: float) -> int:
        """Gather ``rows``; how many are waiting now. The first rows start the timer."""
        with self._lock:
            self._rows.extend(rows)
            if app not in self._apps:
                self._apps.add(app)
                atexit.register(self.drain, app)  # a stopping worker writes what it has
            if self._timer is None:
                self._timer = threading.Timer(delay, self.drain, (app,))
                self._timer.daemon = True
                self._timer.start()
            return len(self._rows)

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            rows, self._rows = self._rows, []
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            return rows

    def drain(self, app: Flask) -> int:
        """Write what is waiting (the timer's thread, or the process exiting)."""
        rows = self.take()
        if not rows:
            return 0
        with app.app_context():
            try:
                return _write(rows)
            finally:
                db.session.remove()


_pending = _Pending()


def write_pending(app: Flask) -> int:
    """Write the gathered events now (tests, and a CLI command that wants them counted)."""
    return _pending.drain(app)
