"""Grouping timestamps by the report's days, and days into weeks or months.

A report asks the database for one row per day of its range (one grouped query, never
a query per day) and, for long ranges, adds the days up into weeks or months here.
The day of a timestamp is the shop's calendar day (``qkart.analytics.calendar``, the
same as ``Period.bounds()``, daylight-saving changes included), so a day's row holds
exactly what a one-day report would count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from qkart.analytics.calendar import local_day
from qkart.analytics.reports import Period

# Up to two months a row per day, up to half a year a row per week, beyond a month.
DAILY_UP_TO = 62
WEEKLY_UP_TO = 184


def day_of(column: Any, period: Period) -> ColumnElement[Any]:
    """The report day of a UTC timestamp column, as SQL (a date, or ISO text on SQLite):
    the shop's calendar day, daylight-saving changes included (``calendar.local_day``)."""
    return local_day(column, *period.bounds())


def as_date(value: date | str) -> date:
    """SQLite's date() gives text, PostgreSQL a date."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def grain_of(period: Period) -> str:
    """``day``, ``week`` or ``month``: short enough rows for a chart and a table."""
    if period.days <= DAILY_UP_TO:
        return "day"
    return "week" if period.days <= WEEKLY_UP_TO else "month"


def bucket_of(day: date, grain: str) -> date:
    """The first day of the bucket ``day`` falls in (weeks start on Monday)."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


@dataclass(frozen=True)
class Bucket:
    start: date  # the first day of the bucket that is inside the period
    end: date  # its last day inside the period (inclusive)
    label: str


def buckets(period: Period, grain: str) -> list[Bucket]:
    """Every bucket of the period in order, cut to the period at both ends."""
    starts: dict[date, list[date]] = {}
    for day in period.each_day():
        starts.setdefault(bucket_of(day, grain), []).append(day)
    return [
        Bucket(days[0], days[-1], _label(first, days[0], grain)) for first, days in starts.items()
    ]


def _label(first: date, inside: date, grain: str) -> str:
    if grain == "month":
        return first.strftime("%b %Y")
    if grain == "week":
        return f"Week of {inside.strftime('%b %-d')}"
    return inside.strftime("%b %-d")
