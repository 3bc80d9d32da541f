"""Static files and page validators as gunicorn (two workers) serves them, and as
Chromium receives them: brotli for the browser, gzip for a gzip-only client, a year's
cache on hashed names, 304s for a visitor's repeat visit, and scripts that still run
once minified (the search box, gallery and catalogue tests drive them further)."""

from __future__ import annotations

import gzip
import re
import urllib.request
from typing import Any

import brotli
from playwright.sync_api import Page, expect

HASHED = re.compile(r"/static/[\w/.-]+\.[0-9a-f]{10}\.(?:js|css)")


def get(url: str, **headers: str) -> Any:
    request = urllib.request.Request(url, headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as error:  # 304 arrives as an "error"
        return error


def test_gunicorn_serves_each_client_the_encoding_it_accepts(base_url: str):
    html = get(base_url + "/").read().decode()
    assets = sorted(set(HASHED.findall(html)))
    assert any("htmx" in a for a in assets) and any(a.endswith(".css") for a in assets)
    for path in assets:
        plain = get(base_url + path, **{"Accept-Encoding": "identity"}).read()
        zipped = get(base_url + path, **{"Accept-Encoding": "gzip, deflate"})
        assert zipped.headers["Content-Encoding"] == "gzip", path
        assert gzip.decompress(zipped.read()) == plain, path
        squeezed = get(base_url + path, **{"Accept-Encoding": "gzip, deflate, br"})
        assert squeezed.headers["Content-Encoding"] == "br", path
        assert brotli.decompress(squeezed.read()) == plain, path
        assert squeezed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert squeezed.headers["Vary"] == "Accept-Encoding"
        kind = "text/css" if path.endswith(".css") else "text/javascript"
        assert squeezed.headers["Content-Type"] == f"{kind}; charset=utf-8"


def test_chromium_gets_brotli_and_a_304_on_the_next_visit(page: Page, base_url: str):
    encodings: dict[str, str] = {}
    statuses: list[int] = []

    def seen(response: Any) -> None:
        if "/static/" in response.url:
            encodings[response.url] = response.headers.get("content-encoding", "")
        elif response.url.rstrip("/") == base_url + "/products":
            statuses.append(response.status)

    page.on("response", seen)
    page.goto(base_url + "/products")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    scripts = [u for u in encodings if u.endswith(".js")]
    assert scripts and all(encodings[u] == "br" for u in scripts), encodings
    # htmx and QKart's own (minified) scripts ran: shop.js marks the page, htmx is there.
    assert page.evaluate("document.documentElement.classList.contains('js')")
    assert page.evaluate("typeof window.htmx") == "object"
    # The same visitor's next visit: the browser revalidates, the shop answers 304, the
    # browser shows its copy (Playwright reports the 304 as the page's status).
    etag = page.evaluate("fetch('/products', {cache: 'no-store'}).then(r => r.headers.get('etag'))")
    assert etag and etag.startswith('W/"')
    status = page.evaluate(
        "etag => fetch('/products', {headers: {'If-None-Match': etag}, cache: 'no-store'})"
        ".then(r => r.status)",
        etag,
    )
    assert status == 304
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
