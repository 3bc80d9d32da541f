"""QKart: a server-rendered web shop. ``create_app`` only wires the parts together."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from qkart.config import load_config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the app from the environment plus ``config`` overrides (tests pass these).

    ``instance_path`` (else ``QKART_INSTANCE_PATH``, else ``instance/`` beside the code)
    holds what the processes of one shop share on a machine without Redis (the version
    files of its caches); test sessions each take their own, so that two running side by
    side do not meet there.
    """
    instance_path = instance_path or os.environ.get("QKART_INSTANCE_PATH") or None
    if instance_path is not None:
        instance_path = os.path.abspath(instance_path)  # Flask asks for an absolute one
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.update(load_config(app.instance_path, config))
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    from qkart import (
        models,  # noqa: F401  (every table known to SQLAlchemy and Alembic)
        subscribers,  # noqa: F401  (every domain's event handlers)
    )
    from qkart.core.assets import init_assets
    from qkart.core.db import enforce_sqlite_foreign_keys
    from qkart.core.filters import register_filters
    from qkart.core.http_cache import init_http_cache
    from qkart.core.web import init_web
    from qkart.extensions import compress, csrf, db, limiter, login_manager, migrate, queue
    from qkart.observability import init_observability

    init_observability(app)  # first: request ids and timing wrap every other hook
    db.init_app(app)
    with app.app_context():  # binds no connection: only registers a listener
        enforce_sqlite_foreign_keys(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    queue.init_app(app)
    compress.init_app(app)
    register_filters(app)
    init_assets(app)
    init_http_cache(app)
    init_web(app)


def register_blueprints(app: Flask) -> None:
    from qkart.blueprints.account import bp as account_bp
    from qkart.blueprints.admin import bp as admin_bp
    from qkart.blueprints.analytics import bp as analytics_bp
    from qkart.blueprints.auth import bp as auth_bp
    from qkart.blueprints.cart import bp as cart_bp
    from qkart.blueprints.checkout import bp as checkout_bp
    from qkart.blueprints.emails import bp as emails_bp
    from qkart.blueprints.health import bp as health_bp
    from qkart.blueprints.media import bp as media_bp
    from qkart.blueprints.metrics import bp as metrics_bp
    from qkart.blueprints.orders import bp as orders_bp
    from qkart.blueprints.settings import bp as settings_bp
    from qkart.blueprints.shop import bp as shop_bp
    from qkart.blueprints.stock_alerts import bp as stock_alerts_bp
    from qkart.blueprints.wallet import bp as wallet_bp
    from qkart.blueprints.webhooks import bp as webhooks_bp
    from qkart.blueprints.wishlist import bp as wishlist_bp

    # Lists, not tuples: other blueprints join them in the lines below.
    shopper = [shop_bp, cart_bp, checkout_bp, orders_bp, account_bp, wallet_bp, settings_bp]
    shopper += [wishlist_bp, stock_alerts_bp]
    others = [emails_bp, auth_bp, admin_bp, webhooks_bp, media_bp, health_bp, analytics_bp]
    others += [metrics_bp]
    for bp in (*shopper, *others):
        app.register_blueprint(bp)


def register_errorhandlers(app: Flask) -> None:
    from qkart.core.web import register_error_pages

    register_error_pages(app)


def register_cli(app: Flask) -> None:
    from qkart.cli import register_commands

    register_commands(app)
