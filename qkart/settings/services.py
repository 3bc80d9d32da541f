"""Reading and changing the settings staff own, with a short per-process cache.

``setting(name)`` is read on hot paths (every price formatted reads the locale), so
the stored values are loaded in one query and kept for ``TTL`` seconds per process;
a change made here is seen at once by this process and within ``TTL`` by the others.
Names are those of the environment variables, whose values apply until staff
change them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select

from qkart.extensions import db
from qkart.settings.models import ShopSetting

TTL = 30.0
CACHE_KEY = "qkart_settings"
LOCALES = {
    "en_US": "English (United States): $1,234.56, 12/31/26",
    "en_GB": "English (United Kingdom): US$1,234.56, 31/12/2026",
    "de_DE": "Deutsch: 1.234,56 $, 31.12.26",
    "fr_FR": "Français : 1 234,56 $US, 31/12/2026",
}

# The zones staff pick from (the environment may name any other IANA zone).
TIMEZONES = (
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)


@dataclass(frozen=True)
class Editable:
    label: str
    kind: str  # text, email, locale, timezone, bool, int, money


EDITABLE: dict[str, Editable] = {
    "QKART_SHOP_NAME": Editable("Shop name", "text"),
    "QKART_CONTACT_EMAIL": Editable("Contact e-mail (shown to shoppers)", "email"),
    "QKART_LOCALE": Editable("Language of prices and dates", "locale"),
    "QKART_TIMEZONE": Editable("Time zone of the dates shown", "timezone"),
    "QKART_PRICES_INCLUDE_TAX": Editable("Prices include tax", "bool"),
    "QKART_RETURN_WINDOW_DAYS": Editable("Return window, in days after delivery", "int"),
    "QKART_WELCOME_CREDIT": Editable("Welcome credit for a new account", "money"),
    "QKART_LOW_STOCK_DEFAULT": Editable("Warn about stock at or below", "int"),
}


def _stored() -> dict[str, Any]:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.setdefault(CACHE_KEY, {})
    now = time.monotonic()
    if cache.get("until", 0.0) < now:
        rows = db.session.execute(select(ShopSetting.key, ShopSetting.value)).all()
        cache.update(values=dict(rows), until=now + TTL)
    return cache["values"]


def forget() -> None:
    """Drop this process's cached values (after a change, or when tests empty tables)."""
    current_app.extensions.pop(CACHE_KEY, None)


def _typed(name: str, value: Any) -> Any:
    kind = EDITABLE[name].kind
    if kind == "money":
        return Decimal(str(value))
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    return value


def setting(name: str) -> Any:
    """The value staff set, else the environment's (``load_config``'s) value."""
    stored = _stored() if name in EDITABLE else {}
    if name in stored:
        return _typed(name, stored[name])
    return current_app.config.get(name)


def current() -> dict[str, Any]:
    return {name: setting(name) for name in EDITABLE}


def save(values: dict[str, Any], *, actor_id: int | None) -> dict[str, tuple[Any, Any]]:
    """Store the values that changed; returns {name: (before, after)} for the audit log."""
    changed: dict[str, tuple[Any, Any]] = {}
    for name, value in values.items():
        if name not in EDITABLE:
            raise KeyError(name)
        before = setting(name)
        if before == value:
            continue
        stored = str(value) if isinstance(value, Decimal) else value
        row = db.session.get(ShopSetting, name)
        if row is None:
            db.session.add(ShopSetting(key=name, value=stored, updated_by=actor_id))
        else:
            row.value, row.updated_by = stored, actor_id
        changed[name] = (before, value)
    db.session.flush()
    forget()
    return changed
