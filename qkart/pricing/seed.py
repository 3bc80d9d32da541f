"""The demo shop's tax rates, per destination country and product tax class."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from qkart.extensions import db
from qkart.pricing.models import TaxRate

# country: (label, standard, reduced, zero)
DEMO_RATES = {
    "US": ("Sales tax", "7", "7", "0"),
    "CA": ("GST", "5", "5", "0"),
    "GB": ("VAT", "20", "5", "0"),
    "DE": ("MwSt.", "19", "7", "0"),
    "FR": ("TVA", "20", "5.5", "0"),
}


def load_demo_rates() -> int:
    """Add the demo rates that are missing (idempotent)."""
    have = {(c, k) for c, k in db.session.execute(select(TaxRate.country, TaxRate.tax_class))}
    added = 0
    for country, (label, *rates) in DEMO_RATES.items():
        for tax_class, rate in zip(("standard", "reduced", "zero"), rates, strict=True):
            if (country, tax_class) in have:
                continue
            db.session.add(
                TaxRate(country=country, tax_class=tax_class, rate=Decimal(rate), label=label)
            )
            added += 1
    db.session.flush()
    return added
