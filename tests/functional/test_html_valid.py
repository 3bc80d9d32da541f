"""Every page is valid HTML, as the Nu HTML Checker (vnu, the W3C validator) reads it.

Pages are rendered by the test client for a visitor, a shopper with an order and an
owner of the staff area: every GET route without parameters, plus the pages of one
product, category, order and customer. One vnu run checks them all.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from qkart.extensions import db
from qkart.orders.models import Order
from tests.conftest import check_out, login

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SKIP_PREFIXES = ("/static", "/webhooks", "/media", "/healthz", "/readyz", "/emails")
SKIP_SUFFIXES = (".xml", ".txt", ".csv", ".pdf", ".json")
# Fragments for htmx (checked inside the pages that hold them) and non-pages.
SKIP_PATHS = {
    "/logout",
    "/search/suggestions",
    "/cart/badge",
    "/account/export",
    "/checkout/return",
}


def _java() -> str:
    java = shutil.which("java")
    if java is None or not VNU.exists():
        if os.environ.get("QKART_REQUIRE_SERVICES"):
            pytest.fail("java and tools/node_modules/vnu-jar are needed (see .ci/run)")
        pytest.skip("java or vnu-jar missing")
    return java


def _plain_get_routes(app) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments:
            continue
        path = rule.rule
        if path.startswith(SKIP_PREFIXES) or path.endswith(SKIP_SUFFIXES) or path in SKIP_PATHS:
            continue
        paths.append(path)
    return sorted(paths)


def _upload_pictures(app, product_id: int) -> None:
    from PIL import Image

    from qkart.catalog.models import Product
    from qkart.catalog.uploads import add_image

    with app.app_context():
        product = db.session.get(Product, product_id)
        for size, color in (((800, 600), "teal"), ((300, 400), "navy")):
            buffer = io.BytesIO()
            Image.new("RGB", size, color).save(buffer, "JPEG")
            add_image(product, buffer.getvalue(), alt=f"A {color} lamp")
            db.session.commit()  # each upload's sizes are made after its commit


@pytest.fixture
def pages(app, factory):
    """(who, url) -> HTML of every page that answered 200 with HTML."""
    product = factory.product("Desk Lamp", price=4_000, stock=5)
    _upload_pictures(app, product.id)  # <picture> markup and the gallery are checked too
    buyer = factory.user("valid@example.com", wallet=100_000)
    factory.address(buyer)
    factory.cart_item(buyer, product, 1)
    shopper = app.test_client()
    login(shopper, buyer)
    assert check_out(shopper, method="wallet", email=None).status_code == 303
    factory.cart_item(buyer, product, 1)
    owner = app.test_client()
    login(owner, factory.user("owner-valid@example.com", role="owner"))
    visitor = app.test_client()
    visitor.post("/cart/items", data={"product_id": product.id})
    with app.app_context():
        number = db.session.scalar(select(Order.number))
    extra = {
        "visitor": [f"/products/{product.slug}", "/categories/general", "/products?q=lamp"],
        "shopper": [f"/orders/{number}"],
        "owner": [
            f"/admin/orders/{number}",
            f"/admin/orders/{number}/packing-slip",
            f"/admin/products/{product.id}",
            f"/admin/customers/{buyer.id}",
            "/admin/search?q=lamp",
        ],
    }
    clients = {"visitor": visitor, "shopper": shopper, "owner": owner}
    found: dict[tuple[str, str], str] = {}
    for who, client in clients.items():
        routes = _plain_get_routes(app)
        routes = [r for r in routes if r.startswith("/admin")] if who == "owner" else routes
        for url in routes + extra[who]:
            response = client.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                found[(who, url)] = response.get_data(as_text=True)
    return found


def test_every_page_is_valid_html(pages, tmp_path):
    java = _java()
    names: dict[str, tuple[str, str]] = {}
    for n, (key, html) in enumerate(sorted(pages.items())):
        path = tmp_path / f"page-{n:03d}.html"
        path.write_text(html, encoding="utf-8")
        names[path.name] = key
    assert len(names) > 40, sorted(pages)
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", "--exit-zero-always"]
        + sorted(str(tmp_path / p) for p in os.listdir(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    problems = []
    for m in messages:
        file = m.get("url", "").rsplit("/", 1)[-1]
        who, url = names.get(file, ("?", file))
        problems.append(f"{who} {url} line {m.get('lastLine')}: {m['message']}")
    assert not problems, f"{len(problems)} HTML error(s):\n" + "\n".join(sorted(set(problems)))
