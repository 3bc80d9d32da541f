"""The staff home's figures: a window's KPIs and the same for the window before it.

One function so the home stays a fixed number of queries whatever the shop holds: the
sales and funnel KPIs of ``reports.kpis`` plus the returning-customer share, twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from qkart.analytics import customers, reports


@dataclass(frozen=True)
class HomeKpis:
    now: reports.Kpis
    before: reports.Kpis  # the period of the same length just before
    returning: Decimal | None  # share of the period's customers who had bought before it
    returning_before: Decimal | None


def home_kpis(period: reports.Period) -> HomeKpis:
    """The period's KPIs and returning-customer share, and the same for the one before."""
    return HomeKpis(
        now=reports.kpis(period),
        before=reports.kpis(period.previous),
        returning=customers.new_and_returning(period).returning_share,
        returning_before=customers.new_and_returning(period.previous).returning_share,
    )
