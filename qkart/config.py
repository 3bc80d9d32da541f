"""Every setting QKart reads, from the environment, in one place.

No configuration at all gives a working development shop (SQLite under
``instance/``, a generated secret key, inline jobs, e-mails to an outbox folder).
In production a missing secret, database or Redis stops the boot, because a
fallback there would silently lose sessions, data or e-mails.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from qkart.core.signing import CurrentSigningKeys


class ConfigError(RuntimeError):
    """The environment cannot run QKart; the message says which variable to set."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _flag(name: str, default: bool = False) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _decimal(name: str, default: str) -> Decimal:
    """A money amount in major units ("5000.00"); nonsense stops the boot, not a checkout."""
    raw = _env(name, default) or default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConfigError(f"{name}={raw!r} is not an amount; use a number like 5000.00") from None
    if value < 0 or not value.is_finite():
        raise ConfigError(f"{name}={raw!r} must be zero or more")
    return value


def _intervals(raw: str | None) -> list[int]:
    try:
        values = [int(part) for part in (raw or "").split(",") if part.strip()]
    except ValueError:
        raise ConfigError(
            f"QKART_JOB_RETRY_INTERVALS={raw!r}: use seconds separated by commas, like 10,60,300"
        ) from None
    if any(v < 0 for v in values):
        raise ConfigError("QKART_JOB_RETRY_INTERVALS cannot be negative")
    return values


def _minutes(name: str, default: int) -> int:
    raw = _env(name, str(default)) or str(default)
    if not raw.isdigit() or not 30 <= int(raw) <= 1440:
        raise ConfigError(f"{name}={raw!r}: use a number of minutes from 30 to 1440")
    return int(raw)


def _log_format(production: bool) -> str:
    value = (_env("QKART_LOG_FORMAT", "json" if production else "text") or "").lower()
    if value not in ("json", "text"):
        raise ConfigError(f"QKART_LOG_FORMAT={value!r}: use json or text")
    return value


def _rate(name: str) -> float:
    raw = _env(name, "0") or "0"
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name}={raw!r}: use a fraction from 0 to 1, like 0.1")
    return value


MIN_SECRET_KEY_LENGTH = 32
# Keys seen in examples, tutorials and our own tests: anyone could forge cookies with them.
PLACEHOLDER_KEYS = frozenset(
    {"dev", "development", "secret", "secret-key", "changeme", "change-me", "test-secret-key"}
)


def check_secret_key(key: str) -> None:
    """Production signs sessions and e-mailed links with this key: a guessable one lets
    anyone log in as anyone. Raises ``ConfigError`` for a short or placeholder key."""
    if key.strip().lower() in PLACEHOLDER_KEYS or "change" in key.lower():
        raise ConfigError("SECRET_KEY is a placeholder. " + _KEY_HINT)
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 10:
        raise ConfigError(
            f"SECRET_KEY is too short or too simple (at least {MIN_SECRET_KEY_LENGTH} "
            "random characters). " + _KEY_HINT
        )


_KEY_HINT = (
    "Make one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`; when "
    "replacing a key, put the old one in SECRET_KEY_FALLBACKS so nobody is logged out."
)


def _keys(raw: str | None) -> list[str]:
    """``SECRET_KEY_FALLBACKS``: earlier keys, separated by commas, oldest first."""
    return [key.strip() for key in (raw or "").split(",") if key.strip()]


def normalise_database_url(url: str) -> str:
    """PaaS providers hand out ``postgres://`` URLs; SQLAlchemy needs the driver named."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _count(name: str, default: int, low: int, high: int) -> int:
    raw = _env(name, str(default)) or str(default)
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise ConfigError(f"{name}={raw!r}: use a whole number from {low} to {high}")
    return int(raw)


def engine_options(database_url: str) -> dict[str, Any]:
    """SQLAlchemy's connection pool, per process, from ``DATABASE_POOL_*``.

    A gunicorn sync worker serves one request at a time and needs one connection; the
    defaults (2 kept, 3 more at a peak) leave room for the odd second one (a thread, a
    health check) and keep ``(web + worker processes) x 5`` inside the small
    connection limits of PaaS databases. Connections are checked before use and replaced every
    30 minutes, because PaaS routers and poolers drop idle ones silently. SQLite, a
    file in the process, gets only the check.
    """
    options: dict[str, Any] = {"pool_pre_ping": _flag("DATABASE_POOL_PRE_PING", True)}
    if database_url.startswith("sqlite"):
        return options
    return options | {
        "pool_size": _count("DATABASE_POOL_SIZE", 2, 1, 100),
        "max_overflow": _count("DATABASE_MAX_OVERFLOW", 3, 0, 100),
        "pool_recycle": _count("DATABASE_POOL_RECYCLE", 1800, 0, 86_400) or -1,
        "pool_timeout": _count("DATABASE_POOL_TIMEOUT", 10, 1, 300),
    }


def _dev_secret_key(instance: Path) -> str:
    """A random key kept in ``instance/`` so development sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_config(instance_path: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment plus explicit overrides."""
    overrides = dict(overrides or {})
    instance = Path(instance_path)
    env = overrides.get("QKART_ENV") or _env("QKART_ENV", "development")
    production = env == "production"

    if production:
        required = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "QKART_BASE_URL")
        missing = [n for n in required if not _env(n)]
        missing = [n for n in missing if n not in overrides]
        if missing:
            raise ConfigError(
                "QKART_ENV=production needs these environment variables: "
                + ", ".join(missing)
                + ". Set them in your PaaS dashboard and restart."
            )

    database_url = _env("DATABASE_URL")
    if database_url is None:
        instance.mkdir(parents=True, exist_ok=True)  # the embedded default lives here
        database_url = f"sqlite:///{instance / 'qkart.db'}"
    config: dict[str, Any] = {
        "QKART_ENV": env,
        "SECRET_KEY": _env("SECRET_KEY") or overrides.get("SECRET_KEY") or "",
        # Keys signed with before a rotation: still accepted, never used to sign.
        "SECRET_KEY_FALLBACKS": _keys(_env("SECRET_KEY_FALLBACKS")),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "REDIS_URL": _env("REDIS_URL"),
        "QKART_QUEUE": _env("QKART_QUEUE", "qkart"),
        "QKART_JOB_RETRY_INTERVALS": _intervals(_env("QKART_JOB_RETRY_INTERVALS", "10,60,300")),
        "QKART_CURRENCY": _env("QKART_CURRENCY", "USD"),
        "QKART_LOCALE": _env("QKART_LOCALE", "en_US"),
        # Dates shoppers and staff read (orders, delivery estimates) are in this zone.
        "QKART_TIMEZONE": _env("QKART_TIMEZONE", "UTC"),
        "QKART_SHOP_NAME": _env("QKART_SHOP_NAME", "QKart"),
        "QKART_CONTACT_EMAIL": _env("QKART_CONTACT_EMAIL", "help@qkart.example"),
        # The seller's address printed on invoices and credit notes.
        "QKART_SHOP_ADDRESS": _env(
            "QKART_SHOP_ADDRESS", "12 Market Street, Springfield, IL 62701, United States"
        ),
        "QKART_LOW_STOCK_DEFAULT": int(_env("QKART_LOW_STOCK_DEFAULT", "5") or 5),
        # The daily low-stock e-mail goes out from this hour (UTC) on.
        "QKART_LOW_STOCK_DIGEST_HOUR": int(_env("QKART_LOW_STOCK_DIGEST_HOUR", "7") or 7),
        "QKART_RETURN_WINDOW_DAYS": int(_env("QKART_RETURN_WINDOW_DAYS", "14") or 14),
        # Signed-in shoppers whose cart sits untouched this long get one reminder.
        "QKART_CART_REMINDER_MINUTES": int(_env("QKART_CART_REMINDER_MINUTES", "60") or 60),
        "QKART_WELCOME_CREDIT": _decimal("QKART_WELCOME_CREDIT", "5000.00"),
        # Where the shop is: the country new addresses start with, and whose tax
        # rates the cart shows before the shopper gives an address.
        "QKART_COUNTRY": (_env("QKART_COUNTRY", "US") or "US").upper(),
        "QKART_PRICES_INCLUDE_TAX": _flag("QKART_PRICES_INCLUDE_TAX"),
        "QKART_COD_ENABLED": _flag("QKART_COD_ENABLED", True),
        "QKART_COD_FEE": _decimal("QKART_COD_FEE", "0.00"),
        "QKART_COD_MAX": _decimal("QKART_COD_MAX", "500.00"),
        # Card orders not paid within this many minutes are cancelled, stock released.
        "QKART_PAYMENT_WINDOW_MINUTES": _minutes("QKART_PAYMENT_WINDOW_MINUTES", 60),
        "QKART_TOPUP_MIN": _decimal("QKART_TOPUP_MIN", "5.00"),
        "QKART_TOPUP_MAX": _decimal("QKART_TOPUP_MAX", "1000.00"),
        "QKART_OUTBOX": _env("QKART_OUTBOX", str(instance / "outbox")),
        "QKART_BASE_URL": _env("QKART_BASE_URL", "http://127.0.0.1:5000"),
        "MAIL_SERVER": _env("MAIL_SERVER"),
        "MAIL_PORT": int(_env("MAIL_PORT", "25") or 25),
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_FROM": _env("MAIL_FROM", "QKart <shop@qkart.local>"),
        "STRIPE_SECRET_KEY": _env("STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": _env("STRIPE_WEBHOOK_SECRET"),
        # Another address for Stripe's API: a local emulator, or the tests' stand-in.
        "STRIPE_API_BASE": _env("STRIPE_API_BASE"),
        "RATELIMIT_STORAGE_URI": _env("REDIS_URL", "memory://"),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        # A Redis hiccup must neither lock everyone out nor switch the limits off:
        # counting goes on in process memory (with a logged warning) until Redis is back.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "QKART_POST_LIMIT": _env("QKART_POST_LIMIT", "120 per minute;1500 per hour"),
        "QKART_VITALS_LIMIT": _env("QKART_VITALS_LIMIT", "30 per minute"),
        # Shoppers' analytics events are gathered per process and written this often
        # (seconds), so a page costs no write of its own; 0 writes each request's at once.
        "QKART_ANALYTICS_FLUSH_SECONDS": _count("QKART_ANALYTICS_FLUSH_SECONDS", 2, 0, 60),
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "LOG_LEVEL": _env("LOG_LEVEL", "INFO"),
        # One JSON object per line for a log aggregator; readable text while developing.
        "QKART_LOG_FORMAT": _log_format(production),
        # The bearer token a Prometheus scraper sends to /metrics; unset, /metrics is off.
        "QKART_METRICS_TOKEN": _env("QKART_METRICS_TOKEN"),
        # Error reports to Sentry (the optional ``sentry`` extra); unset, nothing is sent.
        "SENTRY_DSN": _env("SENTRY_DSN"),
        "SENTRY_TRACES_SAMPLE_RATE": _rate("SENTRY_TRACES_SAMPLE_RATE"),
        # Proxies (PaaS router, load balancer) in front of the app: their X-Forwarded-*
        # headers are trusted, so rate limits see the shopper's address, not the router's.
        "QKART_PROXY_HOPS": int(_env("QKART_PROXY_HOPS", "0") or 0),
        "WTF_CSRF_TIME_LIMIT": None,
        # Form tokens are signed with the current key and checked against the fallbacks too.
        "WTF_CSRF_SECRET_KEY": CurrentSigningKeys(),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "SEND_FILE_MAX_AGE_DEFAULT": timedelta(days=7),
        # Staff upload product pictures of up to 5 MB; everything else is small.
        "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,
        # Compress pages, CSS and htmx (br/zstd/gzip): PaaS routers pass responses as they are.
        "COMPRESS_MIN_SIZE": 1024,
        # Registered by ``qkart.core.assets`` for pages only: static files come precompressed.
        "COMPRESS_REGISTER": False,
    }
    if config["QKART_CURRENCY"] is not None:
        config["QKART_CURRENCY"] = config["QKART_CURRENCY"].upper()
    config.update(overrides)
    if production:
        check_secret_key(config["SECRET_KEY"])
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _dev_secret_key(instance)
    return config
