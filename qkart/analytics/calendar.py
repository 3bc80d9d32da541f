"""The shop's calendar in SQL: which of the shop's days a UTC timestamp falls on.

Grouping by the shop's day happens in SQL (:func:`local_day`), not by re-bucketing
hourly counts in Python: the funnel counts *distinct* sessions per day, which cannot
be added up from hourly counts, and some zones are 30 or 45 minutes off an hour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, func, literal
from sqlalchemy.sql.elements import ColumnElement

from qkart.core.db import UTCDateTime
from qkart.core.shop import shop_timezone
from qkart.extensions import db


def midnight(day: date, zone: ZoneInfo | None = None) -> datetime:
    """The UTC instant where the shop's ``day`` begins."""
    # Where midnight does not exist (clocks jump at 00:00) zoneinfo reads it with the
    # offset before the jump: the day then begins at the jump itself, as it should.
    return datetime.combine(day, time.min, tzinfo=zone or shop_timezone()).astimezone(UTC)


def day_of(at: datetime, zone: ZoneInfo | None = None) -> date:
    return at.astimezone(zone or shop_timezone()).date()


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def local_day(column: Any, begin: datetime, end: datetime) -> ColumnElement[Any]:
    """The shop's calendar day of a UTC timestamp column, for rows in ``[begin, end)``.

    PostgreSQL converts with the zone database itself (``timezone(zone, ts)``). SQLite
    has no zones: the expression shifts each row by the UTC offset in effect at its
    instant, one ``CASE`` branch per offset change in the range (found with zoneinfo).
    """
    zone = shop_timezone()
    if is_postgres():
        # The zone is written into the SQL (not a parameter) so that the same expression
        # in SELECT and GROUP BY is one expression to PostgreSQL.
        name: Any = bindparam("zone", zone.key, literal_execute=True)
        return func.date(func.timezone(name, column))
    segments = offsets(zone, begin, end)
    shifted = [func.date(column, f"{offset:+d} seconds") for _, offset in segments]
    if len(shifted) == 1:
        return shifted[0]
    whens = [
        (column < literal(until, UTCDateTime()), day)
        for (until, _), day in zip(segments[1:], shifted, strict=False)
    ]
    return case(*whens, else_=shifted[-1])


def offsets(zone: ZoneInfo, begin: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """(from when, UTC offset in seconds) for each stretch of one offset in [begin, end)."""

    def offset(at: datetime) -> int:
        return int(at.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]

    segments = [(begin, offset(begin))]
    step, at = timedelta(hours=1), begin
    while at < end:
        later = min(at + step, end)
        if offset(later) != segments[-1][1]:
            low, high = at, later  # the change lies in (low, high]: find its second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == segments[-1][1] else (low, middle)
            segments.append((high.replace(microsecond=0), offset(later)))
        at = later
    return segments


def as_date(value: date | str) -> date:
    """SQLite's date() gives text, PostgreSQL's a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def json_key(name: str) -> Any:
    """A JSON key written into PostgreSQL's SQL, so that it sees one expression in SELECT
    and GROUP BY; SQLite needs SQLAlchemy's own JSON path for a plain key."""
    if not is_postgres():
        return name
    return bindparam(f"key_{name}", name, literal_execute=True)
