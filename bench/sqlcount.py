"""Count and time the SQL each page runs, through the app's own test client.

wrk cannot see queries, so each page is requested in-process against the bench
database with ``before/after_cursor_execute`` listeners (as ``tests/conftest.py``
counts them). The first request of a page is not counted, the next ones are: that is
the steady state the load test measures. Their median wall time and median time in
SQL split a page's cost into database and Python (views, templates, compression).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from shop_client import BROWSER_ENCODING, parse_cookie_header
from sqlalchemy import Engine, event

from qkart import create_app
from qkart.extensions import db


@dataclass
class Recorder:
    """Statements and seconds spent in the database during one request."""

    statements: list[str] = field(default_factory=list)
    seconds: float = 0.0
    _started: float = 0.0

    def before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(" ".join(statement.split()))
        self._started = time.perf_counter()

    def after(self, *args: Any) -> None:
        self.seconds += time.perf_counter() - self._started


@contextmanager
def recording(engine: Engine) -> Iterator[Recorder]:
    recorder = Recorder()
    event.listen(engine, "before_cursor_execute", recorder.before)
    event.listen(engine, "after_cursor_execute", recorder.after)
    try:
        yield recorder
    finally:
        event.remove(engine, "before_cursor_execute", recorder.before)
        event.remove(engine, "after_cursor_execute", recorder.after)


def _measure(client: FlaskClient, engine: Engine, path: str, samples: int) -> dict[str, Any]:
    client.get(path)
    runs: list[tuple[int, float, Recorder]] = []
    for _ in range(samples):
        with recording(engine) as recorder:
            started = time.perf_counter()
            status = client.get(path, headers={"Accept-Encoding": BROWSER_ENCODING}).status_code
            runs.append((status, time.perf_counter() - started, recorder))
    statuses = {status for status, _, _ in runs}
    return {
        "status": statuses.pop() if len(statuses) == 1 else sorted(statuses),
        "queries": len(runs[0][2].statements),
        "request_ms": round(statistics.median(wall for _, wall, _ in runs) * 1000, 2),
        "sql_ms": round(statistics.median(r.seconds for _, _, r in runs) * 1000, 2),
        "sql": runs[0][2].statements,
    }


def count_queries(
    paths: dict[str, str], cookies: dict[str, str], samples: int = 5
) -> dict[str, dict[str, Any]]:
    """For each named path: status, statements and in-process timings of a request.

    ``cookies`` maps a page name to the Cookie header to send (the logged-in cart).
    The app reads ``DATABASE_URL`` and ``SECRET_KEY`` from the environment, as gunicorn
    does, so the shopper's session cookie is valid here too.
    """
    app: Flask = create_app()
    with app.app_context():
        engine = db.engine
    results: dict[str, dict[str, Any]] = {}
    for name, path in paths.items():
        client = app.test_client()
        for key, value in parse_cookie_header(cookies.get(name, "")).items():
            client.set_cookie(key, value)
        results[name] = _measure(client, engine, path, samples)
    engine.dispose()
    return results
