"""Tax rates per country and product tax class."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qkart.extensions import Model

TAX_CLASSES = {"standard": "Standard rate", "reduced": "Reduced rate", "zero": "Zero rate"}


class TaxRate(Model):
    """``rate`` per cent on goods of ``tax_class`` shipped to ``country``."""

    __tablename__ = "tax_rates"
    __table_args__ = (
        UniqueConstraint("country", "tax_class", name="uq_tax_rates_country_class"),
        CheckConstraint("rate >= 0 AND rate < 100", name="rate_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    tax_class: Mapped[str] = mapped_column(String(20), default="standard")
    rate: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    # What receipts call it: "VAT", "Sales tax", "GST".
    label: Mapped[str] = mapped_column(String(40), default="Tax")
