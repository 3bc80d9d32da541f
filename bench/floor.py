"""The floor: the least a Flask page on gunicorn and PostgreSQL can cost on this machine.

One route renders one small Jinja template from one primary-key query on the bench
database. ``bench/run.sh`` serves it (as ``floor:create_app()``) with the same gunicorn
settings as QKart and loads it in the same run, so every QKart page is read as a
multiple of this floor rather than as an absolute number that depends on the machine.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, abort, render_template
from sqlalchemy import Engine, create_engine, text

PRODUCT = text("SELECT id, name, slug, price, stock FROM products WHERE id = :id")


def _engine() -> Engine:
    # Same driver and pool settings as QKart (pre-ping included), so the floor
    # differs from the shop only by the shop's own work.
    return create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)


def create_app() -> Flask:
    """The floor app; the database comes from ``DATABASE_URL``, as for QKart."""
    app = Flask(__name__)
    engine = _engine()

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    @app.get("/product/<int:product_id>")
    def product(product_id: int) -> str:
        with engine.connect() as conn:
            row: Any = conn.execute(PRODUCT, {"id": product_id}).mappings().first()
        if row is None:
            abort(404)
        return render_template("floor.html", product=row)

    return app
