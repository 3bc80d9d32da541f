"""Jinja filters: the one place money and dates become text."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date, format_datetime
from flask import Flask, current_app

from qkart.core.money import Money
from qkart.settings.services import setting


def money(value: Money | int | None) -> str:
    """Format a ``Money`` (or minor units of the store currency) for the shop's locale."""
    if value is None:
        return ""
    if not isinstance(value, Money):
        value = Money(int(value), current_app.config["QKART_CURRENCY"])
    return value.format(setting("QKART_LOCALE"))


def datetime_text(value: datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, format=style, locale=setting("QKART_LOCALE"))


def date_text(value: datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, format=style, locale=setting("QKART_LOCALE"))


def register_filters(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(datetime_text, "datetime")
    app.add_template_filter(date_text, "date")
    app.add_template_global(setting, "setting")
