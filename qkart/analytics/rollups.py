"""Daily summaries: closed days counted once, today counted from the events, both exact.

The reports' unit is a *session-day on a device*: distinct sessions per day of the
shop's calendar (a session still open at midnight counts on both days, as web
analytics tools count them) and per device class (a session lives in one browser,
so it has one). Counts of that unit add up across days and devices, which is what
lets a closed day be summarised once, in ``analytics_daily``, and a month of a
million events be read as thirty small rows per step instead of a scan.

:func:`counts` gives the same rows whichever way they come: :func:`refresh` first
summarises the closed days not summarised yet, and the closed days that events
written since the last refresh change (an order placed last week and paid today
changes last week's "paid" step; an event written late lands on its own day).
Today, which is never closed, comes from the events table at every read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, distinct, func, insert, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qkart.analytics.calendar import as_date, day_of, json_key, local_day, midnight
from qkart.analytics.models import AnalyticsEvent, DailyFunnel, DailySearch, RollupState
from qkart.core.shop import shop_timezone, shop_today
from qkart.extensions import db

E = AnalyticsEvent
STEPS = ("session.started", "product.viewed", "cart.added", "checkout.started", "order.placed")
PAID = "order.paid"  # sessions whose placed order was paid (then or later)


@dataclass(frozen=True)
class Count:
    day: date
    kind: str
    device: str
    sessions: int


def _paid_orders(begin: datetime) -> Any:
    # A payment never comes before its order: paid events before the range cannot match.
    return select(E.order_id).where(E.kind == "order.paid", E.occurred_at >= begin)


def raw_counts(begin: datetime, end: datetime, session: Session | None = None) -> list[Count]:
    """Session-days per day, step and device of the events in ``[begin, end)``."""
    run = session or db.session
    day = local_day(E.occurred_at, begin, end)
    sessions = func.count(distinct(E.session))
    where = (E.occurred_at >= begin, E.occurred_at < end, E.session.is_not(None))
    steps = run.execute(
        select(day, E.kind, E.device, sessions)
        .where(*where, E.kind.in_(STEPS))
        .group_by(day, E.kind, E.device)
    ).all()
    paid = run.execute(
        select(day, literal(PAID), E.device, sessions)
        .where(*where, E.kind == "order.placed", E.order_id.in_(_paid_orders(begin)))
        .group_by(day, E.device)
    ).all()
    return [Count(as_date(d), k, device, int(n)) for d, k, device, n in [*steps, *paid]]


def raw_searches(begin: datetime, end: datetime) -> Any:
    """(day, q, searches, searches that found nothing) of the events in [begin, end)."""
    day = local_day(E.occurred_at, begin, end)
    q = E.data[json_key("q")].as_string()
    empty = func.sum(case((E.data[json_key("results")].as_integer() == 0, 1), else_=0))
    return (
        select(day.label("day"), q.label("q"), func.count().label("searches"), empty.label("empty"))
        .where(E.kind == "search", E.occurred_at >= begin, E.occurred_at < end, q != "")
        .group_by(day, q)
    )


def refresh() -> date:
    """Summarise what is missing or changed; returns the last closed day (yesterday).

    The summaries are written in a short transaction of their own, like the events: a
    report page needs no commit to keep them, and the next page finds them done."""
    zone = shop_timezone()
    yesterday = shop_today() - timedelta(days=1)
    top = db.session.scalar(select(func.max(E.id))) or 0
    state = db.session.execute(
        select(RollupState.through, RollupState.event_id).where(RollupState.zone == zone.key)
    ).first()
    if state is not None and tuple(state) == (yesterday, top):
        return yesterday  # the usual case: nothing to do, and no lock taken
    with Session(db.engine) as session, session.begin():
        _refresh(session, zone.key, yesterday, top)
    return yesterday


def _refresh(session: Session, zone: str, yesterday: date, top: int) -> None:
    today_begins = midnight(yesterday + timedelta(days=1))
    # Two pages refreshing at once: the second waits here, then finds less to do.
    state = session.get(RollupState, zone, with_for_update=True)
    first_time = state is None
    if state is None:
        state = _new_state(session, zone)
    dirty: set[date] = set()
    if state.through is None or state.through < yesterday:
        first = state.through + timedelta(days=1) if state.through else _first_day(session)
        dirty |= set(_days(first, yesterday)) if first else set()
    if not first_time and top > state.event_id:
        dirty |= _changed_days(session, state.event_id, today_begins)
    if dirty:
        summarise(session, dirty)
        state.version += 1
    state.through, state.event_id = yesterday, top


def _new_state(session: Session, zone: str) -> RollupState:
    """The zone's state row, made once even when two pages ask at the same moment."""
    try:
        with session.begin_nested():
            state = RollupState(zone=zone, through=None, event_id=0, version=0)
            session.add(state)
        return state
    except IntegrityError:
        theirs = session.get(RollupState, zone, with_for_update=True, populate_existing=True)
        assert theirs is not None  # the other page's row, which made this insert fail
        return theirs


def version() -> int:
    """Bumped whenever closed days are (re)summarised: results computed from the
    summaries of an earlier version may be stale."""
    refresh()
    found = db.session.scalar(
        select(RollupState.version).where(RollupState.zone == shop_timezone().key)
    )
    return found or 0


def summarise_closed_days() -> str:
    """The scheduled chore: summaries kept current every minute, so pages seldom wait."""
    return refresh().isoformat()


def _first_day(session: Session) -> date | None:
    first = session.scalar(select(func.min(E.occurred_at)))
    return day_of(first) if first else None


def _days(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=n) for n in range((last - first).days + 1))


def _changed_days(session: Session, since: int, today_begins: datetime) -> set[date]:
    """Closed days that events after id ``since`` change: their own day when written
    late, and the day an order was placed when it was paid since."""
    late = session.execute(
        select(func.min(E.occurred_at), func.max(E.occurred_at)).where(
            E.id > since, E.occurred_at < today_begins
        )
    ).one()
    days = set(_days(day_of(late[0]), day_of(late[1]))) if late[0] else set()
    newly_paid = select(E.order_id).where(E.id > since, E.kind == "order.paid")
    placed = session.scalars(
        select(E.occurred_at).where(
            E.kind == "order.placed",
            E.occurred_at < today_begins,
            E.order_id.in_(newly_paid),
        )
    )
    return days | {day_of(at) for at in placed}


def summarise(session: Session, days: set[date]) -> None:
    """(Re)write the summaries of ``days`` from the events."""
    zone = shop_timezone().key
    begin, end = midnight(min(days)), midnight(max(days) + timedelta(days=1))
    session.execute(delete(DailyFunnel).where(DailyFunnel.zone == zone, DailyFunnel.day.in_(days)))
    session.execute(delete(DailySearch).where(DailySearch.zone == zone, DailySearch.day.in_(days)))
    rows = [
        {"zone": zone, "day": c.day, "kind": c.kind, "device": c.device, "sessions": c.sessions}
        for c in raw_counts(begin, end, session)
        if c.day in days
    ]
    searched = [
        {"zone": zone, "day": as_date(d), "q": q[:100], "searches": int(n), "empty": int(e or 0)}
        for d, q, n, e in session.execute(raw_searches(begin, end))
        if as_date(d) in days
    ]
    if rows:
        session.execute(insert(DailyFunnel), rows)
    if searched:
        session.execute(insert(DailySearch), searched)


def counts(start: date, end: date) -> list[Count]:
    """Session-days per day, step and device from ``start`` to ``end`` (inclusive):
    summaries for the closed days, the events for today."""
    through = refresh()
    zone = shop_timezone().key
    rows: list[Count] = []
    if start <= min(end, through):
        summaries = select(
            DailyFunnel.day, DailyFunnel.kind, DailyFunnel.device, DailyFunnel.sessions
        ).where(
            DailyFunnel.zone == zone,
            DailyFunnel.day >= start,
            DailyFunnel.day <= min(end, through),
        )
        rows += [Count(*row) for row in db.session.execute(summaries)]
    first_open = max(start, through + timedelta(days=1))
    if first_open <= end:
        rows += raw_counts(midnight(first_open), midnight(end + timedelta(days=1)))
    return rows


def searches(start: date, end: date) -> Any:
    """A subquery of (q, searches, empty) rows, summaries and today's events together,
    for the caller to group and rank in SQL."""
    through = refresh()
    zone = shop_timezone().key
    parts = []
    if start <= min(end, through):
        parts.append(
            select(DailySearch.q, DailySearch.searches, DailySearch.empty).where(
                DailySearch.zone == zone,
                DailySearch.day >= start,
                DailySearch.day <= min(end, through),
            )
        )
    first_open = max(start, through + timedelta(days=1))
    if first_open <= end:
        raw = raw_searches(midnight(first_open), midnight(end + timedelta(days=1))).subquery()
        parts.append(select(raw.c.q, raw.c.searches, raw.c.empty))
    if not parts:
        return None
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
