"""Web vitals measured in shoppers' browsers: what a beacon may say, how it is counted,
and the 75th percentile staff read.

A value is counted in a histogram bucket (``WebVitalCount``) named by its upper edge.
Google's "good" and "poor" thresholds (LCP 2.5 s / 4 s, INP 200 ms / 500 ms, CLS 0.1 /
0.25) are bucket edges, so a percentile read from the buckets is rated exactly as the raw
values would be. The percentile is the nearest-rank one: the smallest edge with at least
75 % of the values at or below it, computed in Python from grouped SQL sums, so SQLite and
PostgreSQL give the same figure. Values are parsed as ``Decimal`` so that "0.1" lands in
the 0.1 bucket, not in the next one through a binary rounding error.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from qkart.analytics.models import WebVitalCount
from qkart.analytics.reports import Period, Progress
from qkart.core.errors import DomainError
from qkart.extensions import db

PAGE_TYPES = {
    "home": "Home",
    "catalogue": "Catalogue",
    "category": "Category",
    "search": "Search",
    "product": "Product",
    "cart": "Cart",
    "checkout": "Checkout",
    "account": "Account",
    "other": "Other",
}
DEVICES = {"desktop": "Desktop", "mobile": "Mobile", "tablet": "Tablet"}
GOOD, IMPROVE, POOR = "good", "needs improvement", "poor"
# ASCII digits and at most one point: no signs, exponents, spaces, NaN or Infinity.
NUMBER = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9})?")


def _steps(*runs: tuple[int, int, int]) -> tuple[int, ...]:
    """Bucket edges: 0 (a perfect score is common and worth its own bucket), then runs."""
    edges = [0]
    for start, stop, step in runs:
        edges.extend(range(start, stop + 1, step))
    return tuple(edges)


@dataclass(frozen=True)
class Metric:
    """One web vital: Google's thresholds and the histogram's bucket edges, in the stored
    unit (``scale`` stored units per reported unit), and how staff read a figure
    (``stored / divisor``, to ``places`` decimals, in ``unit``)."""

    name: str
    label: str
    scale: int
    good: int
    poor: int
    edges: tuple[int, ...]
    divisor: int
    places: int
    unit: str

    @property
    def maximum(self) -> int:
        return self.edges[-1]

    def bucket(self, value: Decimal) -> int:
        """The upper edge of the bucket that holds ``value`` (in the reported unit)."""
        return self.edges[bisect_left(self.edges, value * self.scale)]

    def rating(self, stored: int) -> str:
        return GOOD if stored <= self.good else POOR if stored > self.poor else IMPROVE

    def plain(self, stored: int) -> str:
        """The figure for a spreadsheet: milliseconds, or the layout-shift score."""
        return f"{Decimal(stored) / self.scale:.3f}" if self.scale != 1 else str(stored)

    def read(self, stored: int) -> Decimal:
        """The figure in the unit staff read (seconds, milliseconds or a score)."""
        return Decimal(stored) / self.divisor

    def show(self, stored: int) -> str:
        figure = f"{self.read(stored):.{self.places}f}"
        return f"{figure} {self.unit}" if self.unit else figure


METRICS = {
    # Milliseconds: 100 ms steps up to 10 s, then seconds, then a long tail up to 2 min.
    "LCP": Metric(
        "LCP",
        "Largest Contentful Paint",
        scale=1,
        good=2500,
        poor=4000,
        edges=_steps((100, 10_000, 100), (11_000, 30_000, 1000), (60_000, 120_000, 60_000)),
        divisor=1000,
        places=2,
        unit="s",
    ),
    # Milliseconds: 10 ms steps up to 1 s, then 100 ms steps up to 5 s, up to a minute.
    "INP": Metric(
        "INP",
        "Interaction to Next Paint",
        scale=1,
        good=200,
        poor=500,
        edges=_steps((10, 1000, 10), (1100, 5000, 100), (10_000, 60_000, 50_000)),
        divisor=1,
        places=0,
        unit="ms",
    ),
    # Thousandths of a layout-shift score: 0.01 steps up to 1, then coarser up to 10.
    "CLS": Metric(
        "CLS",
        "Cumulative Layout Shift",
        scale=1000,
        good=100,
        poor=250,
        edges=_steps((10, 1000, 10), (1500, 3000, 500), (5000, 10_000, 5000)),
        divisor=1000,
        places=3,
        unit="",
    ),
}


class BadBeaconError(DomainError):
    """A beacon QKart's own script would never send; its message says what is wrong."""

    status_code = 400


@dataclass(frozen=True)
class Beacon:
    page: str
    device: str
    values: dict[str, Decimal]


def parse_beacon(fields: Mapping[str, Sequence[str]]) -> Beacon:
    """Check every field of a beacon (each given once): a known page type and device, and
    one to three known metrics, each a plain decimal within its range.

    Raises ``BadBeaconError`` naming the first problem."""
    unknown = sorted(set(fields) - {"page", "device", *METRICS})
    if unknown:
        raise BadBeaconError(f"Unknown field {unknown[0]!r}.")
    if any(len(values) != 1 for values in fields.values()):
        raise BadBeaconError("Send each field once.")
    page, device = fields.get("page", [""])[0], fields.get("device", [""])[0]
    if page not in PAGE_TYPES:
        raise BadBeaconError("Unknown page type.")
    if device not in DEVICES:
        raise BadBeaconError("Unknown device class.")
    values = {name: _value(METRICS[name], fields[name][0]) for name in METRICS if name in fields}
    if not values:
        raise BadBeaconError("Send at least one of LCP, INP and CLS.")
    return Beacon(page, device, values)


def _value(metric: Metric, raw: str) -> Decimal:
    if not NUMBER.fullmatch(raw):
        raise BadBeaconError(f"{metric.name} must be a plain number.")
    value = Decimal(raw)
    if value * metric.scale > metric.maximum:
        raise BadBeaconError(f"{metric.name} is out of range.")
    return value


def record_beacon(beacon: Beacon, day: date) -> None:
    """Add one page view's values to that day's histograms: one INSERT .. ON CONFLICT,
    which counts concurrent beacons without a lost update. The caller commits."""
    rows = [
        {
            "day": day,
            "page": beacon.page,
            "device": beacon.device,
            "metric": name,
            "upper": METRICS[name].bucket(value),
            "count": 1,
        }
        for name, value in beacon.values.items()
    ]
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(WebVitalCount).values(rows)
    db.session.execute(
        insert.on_conflict_do_update(
            index_elements=["day", "page", "device", "metric", "upper"],
            set_={"count": WebVitalCount.count + insert.excluded["count"]},
        )
    )


# -- the percentile ---------------------------------------------------------------------


@dataclass(frozen=True)
class Quantile:
    """A metric's 75th percentile over some page views (``value`` in the stored unit)."""

    metric: Metric
    value: int
    samples: int

    @property
    def rating(self) -> str:
        return self.metric.rating(self.value)

    @property
    def shown(self) -> str:
        return self.metric.show(self.value)


def percentile(histogram: Iterable[tuple[int, int]], share: tuple[int, int] = (3, 4)) -> int:
    """The nearest-rank percentile of ``(upper edge, count)`` buckets: the smallest edge
    with at least ``share`` (a fraction, 3/4 by default) of all values at or below it.
    Integer arithmetic only, so it is exact. Raises ValueError on an empty histogram."""
    buckets = sorted((upper, count) for upper, count in histogram if count > 0)
    total = sum(count for _, count in buckets)
    if not total:
        raise ValueError("no values")
    numerator, denominator = share
    rank = -(-total * numerator // denominator)  # ceil(total * share)
    seen = 0
    for upper, count in buckets:
        seen += count
        if seen >= rank:
            return upper
    raise AssertionError("unreachable: the ranks add up to the total")


Key = tuple[object, ...]


def p75_by(period: Period, *columns: str) -> dict[Key, dict[str, Quantile]]:
    """The 75th percentile of each metric over ``period``, per value of ``columns``
    (``"day"``, ``"page"``, ``"device"``; none for the whole shop), with sample counts."""
    keys = [getattr(WebVitalCount, name) for name in columns]
    total = func.sum(WebVitalCount.count)
    rows = db.session.execute(
        select(*keys, WebVitalCount.metric, WebVitalCount.upper, total)
        .where(WebVitalCount.day >= period.start, WebVitalCount.day <= period.end)
        .group_by(*keys, WebVitalCount.metric, WebVitalCount.upper)
    ).all()
    histograms: dict[tuple[Key, str], list[tuple[int, int]]] = defaultdict(list)
    for *parts, metric, upper, count in rows:
        histograms[(tuple(parts), metric)].append((upper, int(count)))
    result: dict[Key, dict[str, Quantile]] = defaultdict(dict)
    for (key, name), histogram in histograms.items():
        metric = METRICS[name]
        samples = sum(count for _, count in histogram)
        result[key][name] = Quantile(metric, percentile(histogram), samples)
    return dict(result)


@dataclass(frozen=True)
class VitalsReport:
    """What the web vitals page shows for a range, by the groupings it reads."""

    overall: dict[str, Quantile]
    by_page: dict[Key, dict[str, Quantile]]
    by_device: dict[Key, dict[str, Quantile]]
    by_day: dict[Key, dict[str, Quantile]]  # (day, page type)
    daily: dict[Key, dict[str, Quantile]]  # (day,): the whole shop


def vitals_report(period: Period, progress: Progress | None = None) -> VitalsReport:
    """Every grouping of the page, one query each (a worker's job for long ranges:
    a year holds a histogram per day, page type, device and metric)."""
    tick = progress or (lambda done, total: None)
    groupings: tuple[tuple[str, ...], ...] = ((), ("page",), ("device",), ("day", "page"), ("day",))
    found = []
    for done, columns in enumerate(groupings, start=1):
        found.append(p75_by(period, *columns))
        tick(done, len(groupings))
    overall, by_page, by_device, by_day, daily = found
    return VitalsReport(overall.get((), {}), by_page, by_device, by_day, daily)
