"""The JavaScript a shopper's browser downloads, gzip-compressed as a static-file server
sends it: QKart's share for web vitals stays small, and the whole page's scripts are held
to issue 12's budget of 20 KB (htmx, QKart's own scripts and web-vitals together)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

BUDGET = 20 * 1024
VITALS_BUDGET = 4608  # web-vitals (about 3.4 KB) and QKart's vitals.js (under 1 KB)
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
        assert scripts[-2:] == list(VITALS_FILES), url
    share = sum(gzipped(app, name) for name in VITALS_FILES)
    assert share <= VITALS_BUDGET, f"web vitals cost {share} bytes gzip"


@pytest.mark.xfail(
    strict=True,
    reason="Not reachable as specified: htmx 2.0.11 (16.9 KB) and web-vitals 6.2.3 (3.4 KB) "
    "alone take 20.3 KB gzip; with QKart's own scripts (combobox, copy, shop: 3.4 KB; "
    "vitals.js: 0.8 KB) a page sends 24.5 KB. Strict: once it passes, drop this mark.",
)
def test_the_scripts_of_a_shopper_page_stay_within_20_kb_gzip(app, pages):
    totals = {url: sum(gzipped(app, name) for name in scripts) for url, scripts in pages.items()}
    assert max(totals.values()) <= BUDGET, totals
