"""The price breakdown: subtotal, discount, shipping, payment fee, tax and total.

Cart, checkout, the order, its e-mails and its invoice all show a ``Breakdown``
computed here, once; an order stores it and never recomputes it, and the amount
charged is its total. Tax is exact ``Decimal`` arithmetic over every line (after
its share of the discount), shipping and fee, rounded once, half up. With
tax-inclusive prices the tax is the part of the total that is tax; otherwise it
is added on top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from qkart.core.money import Money
from qkart.extensions import db
from qkart.pricing.models import TaxRate

Rates = Mapping[str, tuple[Decimal, str]]
ZERO = Decimal(0)


@dataclass(frozen=True)
class PriceLine:
    """One line to price: what, how many, at what unit price, in which tax class."""

    product_id: int
    quantity: int
    unit_price: Money
    tax_class: str = "standard"

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Breakdown:
    """What an order costs, line by line and in total, as every page shows it."""

    subtotal: Money
    discount: Money
    shipping: Money
    payment_fee: Money
    tax: Money
    total: Money
    tax_inclusive: bool = False
    tax_label: str = "Tax"
    coupon_code: str | None = None
    # The delivery method's name; None while the shopper has not chosen one.
    shipping_label: str | None = None
    # The tax rate (per cent) applied to each product, copied onto the order lines.
    line_rates: Mapping[int, Decimal] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return self.total.currency


def tax_rates(country: str) -> dict[str, tuple[Decimal, str]]:
    """``{tax_class: (rate per cent, label)}`` for a destination country; one query."""
    rows = db.session.execute(
        select(TaxRate.tax_class, TaxRate.rate, TaxRate.label).where(TaxRate.country == country)
    ).all()
    return {tax_class: (Decimal(rate), label) for tax_class, rate, label in rows}


def _share(value: int, part: int, whole: int) -> Decimal:
    """``value * part / whole`` exactly enough (28 digits), unrounded."""
    return Decimal(value) * Decimal(part) / Decimal(whole) if whole else ZERO


def _tax_on(amount: Decimal, rate: Decimal, inclusive: bool) -> Decimal:
    if inclusive:
        return amount * rate / (Decimal(100) + rate)
    return amount * rate / Decimal(100)


def _label(used: set[tuple[str, Decimal]]) -> str:
    rated = sorted((label, rate) for label, rate in used if rate > 0)
    if len(rated) == 1:
        label, rate = rated[0]
        return f"{label} {rate.normalize():f}%"
    return rated[0][0] if rated else "Tax"


def compute(
    lines: Sequence[PriceLine],
    *,
    rates: Rates,
    currency: str,
    discount: Money | None = None,
    discounted_ids: frozenset[int] | None = None,
    shipping: Money | None = None,
    payment_fee: Money | None = None,
    include_tax: bool = False,
    coupon_code: str | None = None,
    shipping_label: str | None = None,
) -> Breakdown:
    """Price ``lines``; the discount is spread over ``discounted_ids`` (default: all lines)."""
    zero = Money.zero(currency)
    discount = discount or zero
    shipping = shipping or zero
    payment_fee = payment_fee or zero
    subtotal = sum((line.line_total for line in lines), zero)
    eligible = [
        line for line in lines if discounted_ids is None or line.product_id in discounted_ids
    ]
    eligible_total = sum(line.line_total.amount for line in eligible)
    standard, standard_label = rates.get("standard", (ZERO, "Tax"))
    used: set[tuple[str, Decimal]] = set()
    exact_tax = ZERO
    line_rates: dict[int, Decimal] = {}
    for line in lines:
        rate, label = rates.get(line.tax_class, (ZERO, standard_label))
        base = Decimal(line.line_total.amount)
        if line in eligible:
            base -= _share(discount.amount, line.line_total.amount, eligible_total)
        exact_tax += _tax_on(base, rate, include_tax)
        line_rates[line.product_id] = rate
        used.add((label, rate))
    extras = shipping.amount + payment_fee.amount
    if extras:
        exact_tax += _tax_on(Decimal(extras), standard, include_tax)
        used.add((standard_label, standard))
    tax = Money(int(exact_tax.quantize(Decimal(1), rounding=ROUND_HALF_UP)), currency)
    total = subtotal - discount + shipping + payment_fee
    if not include_tax:
        total = total + tax
    return Breakdown(
        subtotal=subtotal,
        discount=discount,
        shipping=shipping,
        payment_fee=payment_fee,
        tax=tax,
        total=total,
        tax_inclusive=include_tax,
        tax_label=_label(used),
        coupon_code=coupon_code,
        shipping_label=shipping_label,
        line_rates=line_rates,
    )


# -- what staff change (the admin's tax rates page) -------------------------------------


def all_rates() -> list[TaxRate]:
    return list(
        db.session.scalars(select(TaxRate).order_by(TaxRate.country, TaxRate.tax_class)).all()
    )


def find_rate(country: str, tax_class: str) -> TaxRate | None:
    return db.session.scalar(
        select(TaxRate).where(TaxRate.country == country, TaxRate.tax_class == tax_class)
    )


def set_rate(country: str, tax_class: str, rate: Decimal, label: str) -> TaxRate:
    """The rate of a class in a country: created, or changed if it exists."""
    row = find_rate(country, tax_class)
    if row is None:
        row = TaxRate(country=country, tax_class=tax_class)
        db.session.add(row)
    row.rate, row.label = rate, label
    db.session.flush()
    return row


def get_rate(rate_id: int) -> TaxRate | None:
    return db.session.get(TaxRate, rate_id)


def delete_rate(rate_id: int) -> None:
    row = db.session.get(TaxRate, rate_id)
    if row is not None:
        db.session.delete(row)
        db.session.flush()
