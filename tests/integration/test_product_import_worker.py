"""A 10 000-row product CSV through real parts: the upload queues an outbox job on Redis,
a real RQ worker process checks and saves it, and the staff page shows the progress
while it runs (the same fragment htmx polls)."""

from __future__ import annotations

import io
import re
import threading
import time

import pytest
from sqlalchemy import func, select

from qkart.catalog.models import Product, ProductImport
from qkart.extensions import db
from tests.conftest import htmx, login

pytestmark = pytest.mark.services

ROWS = 10_000


def _csv(bad_line: int | None = None) -> bytes:
    lines = ["sku,name,price,category,stock"]
    for n in range(ROWS):
        price = "-1" if bad_line is not None and n + 2 == bad_line else f"{n % 90 + 10}.50"
        lines.append(f"BULK-{n:05d},Bulk item {n},{price},general,{n % 7}")
    return ("\n".join(lines) + "\n").encode()


def _upload(client, data: bytes):
    return client.post(
        "/admin/products/import",
        data={"file": (io.BytesIO(data), "bulk.csv")},
        content_type="multipart/form-data",
    )


def _follow(client, url: str, worker: threading.Thread) -> list[tuple[str, int]]:
    """Poll the progress fragment until the import ends: [(state text, bar value)]."""
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + 240
    looks_after_worker = 0
    while time.monotonic() < deadline:
        fragment = client.get(url, headers=htmx("import-progress")).get_data(as_text=True)
        heading = re.search(r'<h2 id="import-state">(.*?)</h2>', fragment, re.S).group(1)
        bar = re.search(r'<progress max="\d+" value="(\d+)"', fragment)
        seen.append((heading.strip(), int(bar.group(1)) if bar else -1))
        if "hx-trigger" not in fragment:
            return seen
        if not worker.is_alive():
            looks_after_worker += 1
            if looks_after_worker > 3:
                pytest.fail(f"the worker ended with the import still running: {seen[-3:]}")
        time.sleep(0.05)
    pytest.fail(f"the import did not finish: {seen[-3:]}")


def _start(run_worker) -> tuple[threading.Thread, dict]:
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(done=run_worker()), daemon=True)
    worker.start()
    return worker, result


def test_ten_thousand_rows_import_through_a_worker_with_progress_on_the_page(worker_app, factory):
    app, run_worker, queue = worker_app
    factory.category("General")
    staff = app.test_client()
    login(staff, factory.user("bulk@example.com", role="manager"))
    response = _upload(staff, _csv())
    assert response.status_code == 303
    url = response.headers["Location"]
    assert "Waiting for a worker" in staff.get(url).get_data(as_text=True)
    assert queue.count == 1

    worker, result = _start(run_worker)
    seen = _follow(staff, url, worker)
    worker.join(timeout=120)
    assert result["done"].returncode == 0, result["done"].stderr

    states = [state for state, _ in seen]
    assert states[-1] == f"{ROWS} created, 0 updated"
    assert any(s in ("Checking rows", "Saving") for s in states), states  # seen while running
    values = [value for state, value in seen if state == "Checking rows"]
    assert values == sorted(values)  # the bar only moves forward
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == ROWS
        assert db.session.scalar(select(func.sum(Product.stock))) == sum(n % 7 for n in range(ROWS))


def test_a_big_file_with_one_bad_row_changes_nothing(worker_app, factory):
    app, run_worker, _ = worker_app
    factory.category("General")
    staff = app.test_client()
    login(staff, factory.user("bulk2@example.com", role="manager"))
    response = _upload(staff, _csv(bad_line=9_001))
    worker, result = _start(run_worker)
    seen = _follow(staff, response.headers["Location"], worker)
    worker.join(timeout=120)
    assert result["done"].returncode == 0, result["done"].stderr
    assert seen[-1][0] == "Nothing changed: 1 row to fix"
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert '<td class="num">9001</td><td>price</td>' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 0
        assert db.session.scalar(select(ProductImport.status)) == "rejected"
