"""Recording events cheaply: buffered per request, written in one insert, never failing.

The web layer opens a ``Visit`` for each page request a shopper makes (see
``qkart.blueprints.analytics``); ``record`` then adds to that visit's buffer, and
``flush`` writes the buffer in one INSERT in its own short transaction. Anything
that goes wrong while recording is logged and dropped: analytics must never cost a
shopper a page. Events outside a visit (a webhook marking an order paid) are written
with the caller's transaction, since nobody waits on them.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, cast

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
    """Write the current visit's events in one INSERT; how many were written. A failure
    is logged and swallowed (the shopper's page is already built)."""
    visit = _visit.get()
    if visit is None or not visit.events:
        return 0
    rows, visit.events = visit.events, []
    try:
        # A Core INSERT with many parameter sets: one executemany, however many events.
        db.session.execute(insert(cast(Table, AnalyticsEvent.__table__)), rows)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not record %d analytics event(s)", len(rows), exc_info=True)
        return 0
    return len(rows)
