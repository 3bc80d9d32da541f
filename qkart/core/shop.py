"""Shop-wide settings that models and services need, read from the app config."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from qkart.core.money import Money


def currency() -> str:
    """The store currency (``QKART_CURRENCY``); every price in the shop is in it."""
    return current_app.config["QKART_CURRENCY"]


def money(amount: int) -> Money:
    """Minor units of the store currency as a ``Money``."""
    return Money(amount, currency())


def shop_timezone() -> ZoneInfo:
    """The zone shoppers and staff read dates in (``QKART_TIMEZONE``; UTC if unknown)."""
    from qkart.settings.services import setting

    try:
        return ZoneInfo(setting("QKART_TIMEZONE") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def shop_today() -> date:
    """Today's date where the shop is (a delivery estimate counts from it)."""
    return datetime.now(shop_timezone()).date()


def setting_money(name: str) -> Money:
    """A money setting in major units (``QKART_COD_FEE``...): staff's value, else the config's."""
    from qkart.settings.services import setting

    value: Decimal = setting(name)
    return Money.from_major(value, currency())
