"""Money as integer minor units plus a currency, never a float.

Rounding happens once, half-up, when a percentage or a typed amount is turned
into minor units; every sum after that is exact integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import get_currency_precision


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies were combined; that is a programming error."""


@lru_cache(maxsize=32)
def minor_digits(currency: str) -> int:
    """How many minor-unit digits a currency has (USD 2, JPY 0), from Babel's data."""
    return get_currency_precision(currency)


@dataclass(frozen=True, order=False, slots=True)
class Money:
    """An exact amount: ``amount`` minor units of ``currency`` (ISO 4217)."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"Money amount must be an int of minor units, not {self.amount!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_major(cls, value: Decimal | int | str, currency: str) -> Money:
        """Convert a major-unit amount ("12.345") to minor units, rounding half-up once."""
        try:
            major = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not an amount") from None
        if not major.is_finite():
            raise ValueError(f"{value!r} is not an amount")
        scale = Decimal(10) ** minor_digits(currency)
        minor = (major * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return cls(int(minor), currency)

    @property
    def major(self) -> Decimal:
        """The amount in major units, exact (for display and for Stripe-like APIs)."""
        return Decimal(self.amount).scaleb(-minor_digits(self.currency))

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"{self.currency} and {other.currency} cannot be mixed")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise TypeError("Money can only be multiplied by a whole quantity")
        return Money(self.amount * quantity, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def percent(self, rate: Decimal | int | str) -> Money:
        """``rate`` per cent of this amount, rounded half-up to the minor unit."""
        exact = Decimal(self.amount) * Decimal(str(rate)) / Decimal(100)
        return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), self.currency)

    def format(self, locale: str = "en_US") -> str:
        """Human text such as ``$1,200.00``; the one place money becomes a string."""
        return _formatted(self.amount, self.currency, locale)

    def __str__(self) -> str:
        return self.format()


@lru_cache(maxsize=64)
def currency_formatter(locale: str, currency: str) -> Callable[[Decimal], str]:
    """Babel's ``format_currency`` for one locale and currency, with the locale's data
    and pattern looked up once instead of on every price a page shows."""
    parsed = Locale.parse(locale)
    pattern = parsed.currency_formats["standard"]

    def apply(major: Decimal) -> str:
        return pattern.apply(
            major,
            parsed,
            currency=currency,
            currency_digits=True,
            decimal_quantization=True,
            group_separator=True,
            numbering_system="latn",
        )

    return apply


@lru_cache(maxsize=8192)
def _formatted(amount: int, currency: str, locale: str) -> str:
    """Prices repeat (the same product on many pages): each text is made once."""
    return currency_formatter(locale, currency)(Decimal(amount).scaleb(-minor_digits(currency)))
