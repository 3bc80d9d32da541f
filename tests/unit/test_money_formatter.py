"""The cached money formatter gives exactly Babel's ``format_currency`` text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency

from qkart.core.money import Money, currency_formatter


@pytest.mark.parametrize("locale", ["en_US", "en_GB", "de_DE", "fr_FR"])
@pytest.mark.parametrize("currency", ["USD", "EUR", "JPY", "GBP"])
@pytest.mark.parametrize("amount", [0, 5, 1999, 123456, 100000000, -4250])
def test_cached_formatting_is_babels(locale, currency, amount):
    money = Money(amount, currency)
    assert money.format(locale) == format_currency(money.major, currency, locale=locale)


def test_known_texts():
    assert Money(123456, "USD").format("en_US") == "$1,234.56"
    assert Money(123456, "USD").format("de_DE") == "1.234,56\xa0$"
    assert Money(1234, "JPY").format("en_US") == "¥1,234"
    assert currency_formatter("fr_FR", "EUR")(Decimal("1234.5")) == "1\u202f234,50\xa0€"
