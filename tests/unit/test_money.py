"""Money rules: exact integer minor units, one rounding (half-up), one formatting."""

from decimal import Decimal

import pytest

from qkart.core.money import CurrencyMismatchError, Money


def test_from_major_rounds_half_up_once():
    assert Money.from_major("12.345", "USD") == Money(1235, "USD")
    assert Money.from_major("12.344", "USD") == Money(1234, "USD")
    assert Money.from_major(Decimal("0.005"), "USD") == Money(1, "USD")
    assert Money.from_major("5000.00", "USD").amount == 500_000


def test_currency_without_minor_units():
    assert Money.from_major("1200", "JPY") == Money(1200, "JPY")
    assert Money(1200, "JPY").major == Decimal("1200")


def test_arithmetic_is_exact():
    # 0.1 + 0.2 is famously not 0.3 in floats; in minor units it is.
    assert Money.from_major("0.10", "USD") + Money.from_major("0.20", "USD") == Money(30, "USD")
    assert Money(1999, "USD") * 3 == Money(5997, "USD")
    assert 3 * Money(1999, "USD") == Money(5997, "USD")
    assert Money(500, "USD") - Money(200, "USD") == Money(300, "USD")
    assert -Money(5, "USD") == Money(-5, "USD")


def test_comparisons():
    assert Money(1, "USD") < Money(2, "USD") <= Money(2, "USD")
    assert Money(3, "USD") > Money(2, "USD") >= Money(2, "USD")
    assert not Money(0, "USD")
    assert Money(1, "USD")


def test_mixing_currencies_is_refused():
    with pytest.raises(CurrencyMismatchError):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(CurrencyMismatchError):
        _ = Money(1, "USD") < Money(1, "EUR")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        Money(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(100, "USD") * 1.5  # type: ignore[operator]
    with pytest.raises(ValueError):
        Money.from_major("abc", "USD")
    with pytest.raises(ValueError):
        Money.from_major("NaN", "USD")


def test_percent_rounds_half_up():
    assert Money(1000, "USD").percent(15) == Money(150, "USD")
    assert Money(999, "USD").percent("12.5") == Money(125, "USD")  # 124.875 -> 125
    assert Money(1, "USD").percent(50) == Money(1, "USD")  # 0.5 -> 1


def test_formatting_uses_babel():
    assert Money(120000, "USD").format("en_US") == "$1,200.00"
    assert Money(500000, "USD").format("en_US") == "$5,000.00"
    assert Money(1234, "EUR").format("de_DE") == "12,34\xa0€"
    assert str(Money(5, "USD")) == "$0.05"
