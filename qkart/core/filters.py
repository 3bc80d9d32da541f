"""Jinja filters: the one place money and dates become text."""

from __future__ import annotations

from datetime import UTC, date, datetime

from babel.dates import format_date, format_datetime, format_skeleton
from flask import Flask, current_app

from qkart.core.htmx import claim_error_focus
from qkart.core.money import Money
from qkart.core.shop import shop_timezone
from qkart.settings.services import setting


def money(value: Money | int | None) -> str:
    """Format a ``Money`` (or minor units of the store currency) for the shop's locale."""
    if value is None:
        return ""
    if not isinstance(value, Money):
        value = Money(int(value), current_app.config["QKART_CURRENCY"])
    return value.format(setting("QKART_LOCALE"))


def datetime_text(value: datetime | None, style: str = "medium") -> str:
    """A stored (UTC) time as the shop's clock shows it."""
    if value is None:
        return ""
    return format_datetime(
        value, format=style, tzinfo=shop_timezone(), locale=setting("QKART_LOCALE")
    )


def date_text(value: date | datetime | None, style: str = "medium") -> str:
    """A date; a stored time becomes the date it was in the shop's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        value = aware.astimezone(shop_timezone()).date()
    return format_date(value, format=style, locale=setting("QKART_LOCALE"))


def day_text(value: date | None) -> str:
    """A day as people say it in a delivery promise: "Tue, Dec 8" (by the locale)."""
    if value is None:
        return ""
    return format_skeleton("MMMEd", value, locale=setting("QKART_LOCALE"))


def register_filters(app: Flask) -> None:
    app.add_template_filter(day_text, "day")
    app.add_template_global(claim_error_focus, "claim_error_focus")
    app.add_template_filter(money, "money")
    app.add_template_filter(datetime_text, "datetime")
    app.add_template_filter(date_text, "date")
    app.add_template_global(setting, "setting")
