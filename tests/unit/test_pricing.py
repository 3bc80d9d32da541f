"""The one price breakdown, as tables: tax exclusive and inclusive, discounts, rounding once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qkart.core.money import Money
from qkart.pricing.services import PriceLine, compute

USD = "USD"
US_RATES = {"standard": (Decimal("7"), "Sales tax"), "reduced": (Decimal("7"), "Sales tax")}
GB_RATES = {
    "standard": (Decimal("20"), "VAT"),
    "reduced": (Decimal("5"), "VAT"),
    "zero": (Decimal("0"), "VAT"),
}


def m(amount: int) -> Money:
    return Money(amount, USD)


def line(pid: int, price: int, qty: int = 1, tax_class: str = "standard") -> PriceLine:
    return PriceLine(pid, qty, m(price), tax_class)


@pytest.mark.parametrize(
    ("lines", "rates", "kwargs", "expected"),
    [
        # No rates for the country: no tax, total is goods + shipping.
        ([line(1, 6000)], {}, {"shipping": m(500)}, (6000, 0, 500, 0, 6500, "Tax")),
        # 7 % of (60.00 + 5.00 shipping) = 4.55.
        (
            [line(1, 6000)],
            US_RATES,
            {"shipping": m(500)},
            (6000, 0, 500, 455, 6955, "Sales tax 7%"),
        ),
        # Rounded once over the whole order, not per line: 3 x 0.07 = 0.21 exactly...
        ([line(1, 1), line(2, 1), line(3, 1)], US_RATES, {}, (3, 0, 0, 0, 3, "Sales tax 7%")),
        # ... and 0.35 + 0.35 = 0.70 -> 1 cent, half up (per line it would be 0 + 0).
        ([line(1, 5), line(2, 5)], US_RATES, {}, (10, 0, 0, 1, 11, "Sales tax 7%")),
        # A discount lowers the tax base of the lines it applies to.
        (
            [line(1, 10_000)],
            US_RATES,
            {"discount": m(1_000)},
            (10_000, 1_000, 0, 630, 9_630, "Sales tax 7%"),
        ),
        # Mixed classes: 20 % on 10.00, 5 % on 10.00, 0 % on 10.00 = 2.50; label without a rate.
        (
            [line(1, 1000), line(2, 1000, tax_class="reduced"), line(3, 1000, tax_class="zero")],
            GB_RATES,
            {},
            (3000, 0, 0, 250, 3250, "VAT"),
        ),
        # The cash-on-delivery fee is taxed like shipping (standard rate).
        (
            [line(1, 1000)],
            US_RATES,
            {"payment_fee": m(200)},
            (1000, 0, 0, 84, 1284, "Sales tax 7%"),
        ),
    ],
)
def test_tax_exclusive_breakdowns(lines, rates, kwargs, expected):
    b = compute(lines, rates=rates, currency=USD, **kwargs)
    got = (b.subtotal.amount, b.discount.amount, b.shipping.amount, b.tax.amount, b.total.amount)
    assert (*got, b.tax_label) == expected


@pytest.mark.parametrize(
    ("lines", "kwargs", "tax", "total"),
    [
        # 120.00 including 20 % VAT holds 20.00 of VAT; the total is what was shown.
        ([line(1, 12_000)], {}, 2_000, 12_000),
        # Shipping inclusive too: 6.00 holds 1.00.
        ([line(1, 12_000)], {"shipping": m(600)}, 2_100, 12_600),
        # Discount 12.00 off 120.00: VAT of 108.00 = 18.00.
        ([line(1, 12_000)], {"discount": m(1_200)}, 1_800, 10_800),
        # 10.50 reduced (5 %): 0.50 exactly.
        ([line(1, 1_050, tax_class="reduced")], {}, 50, 1_050),
    ],
)
def test_tax_inclusive_breakdowns(lines, kwargs, tax, total):
    b = compute(lines, rates=GB_RATES, currency=USD, include_tax=True, **kwargs)
    assert (b.tax.amount, b.total.amount, b.tax_inclusive) == (tax, total, True)


def test_a_discount_limited_to_some_lines_only_lowers_their_tax():
    lines = [line(1, 1000), line(2, 1000, tax_class="zero")]
    # 5.00 off line 1 only: VAT 20 % of 5.00 = 1.00; the zero-rated line pays none.
    b = compute(lines, rates=GB_RATES, currency=USD, discount=m(500), discounted_ids=frozenset({1}))
    assert (b.tax.amount, b.total.amount) == (100, 1600)
    # Spread over both: 2.50 off each, 20 % of 7.50 = 1.50.
    b = compute(lines, rates=GB_RATES, currency=USD, discount=m(500))
    assert (b.tax.amount, b.total.amount) == (150, 1650)


def test_line_rates_are_kept_for_the_order_lines():
    lines = [line(1, 1000), line(2, 1000, tax_class="reduced")]
    b = compute(lines, rates=GB_RATES, currency=USD)
    assert b.line_rates == {1: Decimal("20"), 2: Decimal("5")}
