"""Static files: hashed URLs, precompressed bodies by Accept-Encoding, year-long caching,
and the byte budgets of a shopper page's scripts and styles."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from qkart.core.assets import hashed_name, load
from tests.conftest import login

STATIC = Path(__file__).resolve().parents[2] / "qkart" / "static"
HTMX = "vendor/htmx-2.0.11.min.js"
YEAR = "public, max-age=31536000, immutable"
# Issue 12's 20 KB for every script of a shopper page, the web-vitals measurement
# included: htmx 2 alone is 16 KB, so the measurement is QKart's own small js/vitals.js
# (the web-vitals library was 3.4 KB).
JS_BUDGET = 20 * 1024
VITALS = "/js/vitals."
CSS_BUDGET = 8 * 1024


def hashed_url(client: FlaskClient, filename: str) -> str:
    page = client.get("/").get_data(as_text=True)
    stem, ext = filename.rsplit(".", 1)
    found = re.search(rf'"(/static/{re.escape(stem)}\.[0-9a-f]{{10}}\.{ext})"', page)
    assert found, f"{filename} is not on the home page"
    return found.group(1)


def fetch(client: FlaskClient, url: str, accept: str | None) -> object:
    headers = {} if accept is None else {"Accept-Encoding": accept}
    response = client.get(url, headers=headers)
    response.close()
    return response


def test_a_gzip_only_client_gets_htmx_gzipped(client):
    url = hashed_url(client, HTMX)
    response = fetch(client, url, "gzip, deflate")
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.data) == (STATIC / HTMX).read_bytes()
    assert int(response.headers["Content-Length"]) == len(response.data) < 17_000  # not 52 KB


def test_a_brotli_client_gets_brotli(client):
    url = hashed_url(client, HTMX)
    response = fetch(client, url, "gzip, deflate, br, zstd")
    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(response.data) == (STATIC / HTMX).read_bytes()
    assert len(response.data) < len(fetch(client, url, "gzip").data)


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        (None, None),
        ("identity", None),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.5, br", "br"),
        ("gzip, br;q=0.2", "gzip"),
        ("*", "br"),
        ("gzip;q=0, br;q=0", None),
    ],
)
def test_the_encoding_follows_the_clients_preferences(client, accept, encoding):
    response = fetch(client, hashed_url(client, HTMX), accept)
    assert response.headers.get("Content-Encoding") == encoding
    if encoding is None:
        assert response.data == (STATIC / HTMX).read_bytes()


def test_a_hashed_url_is_cached_a_year_and_revalidates_cheaply(client):
    url = hashed_url(client, "css/qkart.css")
    response = fetch(client, url, "br")
    assert response.headers["Cache-Control"] == YEAR
    assert response.headers["ETag"].endswith('-br"') and "Last-Modified" in response.headers
    unchanged = client.get(
        url, headers={"Accept-Encoding": "br", "If-None-Match": response.headers["ETag"]}
    )
    assert unchanged.status_code == 304 and unchanged.data == b""
    # Each encoding is other bytes: its own strong validator.
    assert fetch(client, url, "gzip").headers["ETag"] != response.headers["ETag"]


def test_static_files_set_no_cookie_and_do_not_vary_by_cookie(client):
    client.get("/")  # a session exists
    response = fetch(client, hashed_url(client, HTMX), "br")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"


def test_an_old_hash_still_gets_the_file_but_only_revalidated(client):
    url = hashed_url(client, "css/qkart.css")
    old = re.sub(r"\.[0-9a-f]{10}\.css$", ".0123456789.css", url)
    response = fetch(client, old, "gzip")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert gzip.decompress(response.data) == fetch(client, url, None).data


def test_a_plain_name_is_cached_an_hour(client):
    response = fetch(client, "/static/css/qkart.css", "gzip")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize(
    "path",
    [
        "/static/css/nope.css",
        "/static/css/nope.0123456789.css",
        "/static/../wsgi.py",
        "/static/%2e%2e/wsgi.py",
        "/static/css",
    ],
)
def test_unknown_files_are_404(client, path):
    assert fetch(client, path, "gzip").status_code == 404


def test_the_stylesheet_is_minified_and_own_scripts_too(client):
    css = fetch(client, hashed_url(client, "css/qkart.css"), None)
    source = (STATIC / "css/qkart.css").read_text()
    text = css.data.decode()
    assert len(css.data) < 0.85 * len(source.encode())
    assert "/*" not in text and "\n  " not in text
    assert ".skip-link" in text and text.count("{") == text.count("}")
    shop = fetch(client, hashed_url(client, "js/shop.js"), None)
    assert len(shop.data) < 0.7 * len((STATIC / "js/shop.js").read_bytes())
    assert b"NEWS_SECONDS" in shop.data and b"/* QKart" not in shop.data


@pytest.mark.parametrize(
    ("filename", "mimetype", "compressed"),
    [
        ("css/qkart.css", "text/css; charset=utf-8", True),
        ("img/favicon.svg", "image/svg+xml; charset=utf-8", True),
        ("img/favicon.ico", "image/x-icon", True),
        ("img/icon-192.png", "image/png", False),
    ],
)
def test_images_and_styles_have_their_types_and_a_years_cache(
    app: Flask, client, filename, mimetype, compressed
):
    with app.app_context():
        built = load(app.static_folder, filename)
    assert built is not None
    response = fetch(client, "/static/" + hashed_name(filename, built.digest), "gzip, br")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == mimetype
    assert response.headers["Cache-Control"] == YEAR
    assert ("Content-Encoding" in response.headers) is compressed


def test_a_head_request_gets_the_headers_only(client):
    url = hashed_url(client, HTMX)
    response = client.head(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.data == b""
    assert response.headers["Content-Encoding"] == "gzip"
    assert int(response.headers["Content-Length"]) == len(fetch(client, url, "gzip").data)


def test_every_script_and_stylesheet_of_a_page_has_a_hashed_url(client, factory):
    product = factory.product("Lamp")
    page = client.get(f"/products/{product.slug}").get_data(as_text=True)
    refs = re.findall(
        r'<(?:script src|link rel="stylesheet" href|link rel="icon" href)="([^"]+)"', page
    )
    assert len(refs) >= 5
    for ref in refs:
        assert re.fullmatch(r"/static/[\w/.-]+\.[0-9a-f]{10}\.\w+", ref), ref


# -- budgets ----------------------------------------------------------------------------


def shipped(client: FlaskClient, path: str) -> dict[str, int]:
    """The gzip bytes of each script and stylesheet ``path`` loads, as a gzip-only
    browser receives them."""
    page = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200, path
    html = (
        gzip.decompress(page.data).decode()
        if page.headers.get("Content-Encoding")
        else page.get_data(as_text=True)
    )
    sizes = {}
    for ref in re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', html):
        response = fetch(client, ref, "gzip")
        assert response.headers["Content-Encoding"] == "gzip", ref
        sizes[ref] = len(response.data)
    return sizes


def shopper_pages(client: FlaskClient, factory) -> list[str]:
    lamps = factory.category("Lamps")
    product = factory.product("Walnut Lamp", stock=4, category=lamps)
    client.post("/cart/items", data={"product_id": product.id, "quantity": 1})
    return [
        "/",
        "/products",
        "/categories/lamps",
        f"/products/{product.slug}",
        "/cart",
        "/login",
    ]


def test_a_shopper_page_ships_at_most_20_kb_of_gzipped_javascript(client, factory):
    for path in shopper_pages(client, factory):
        scripts = {ref: n for ref, n in shipped(client, path).items() if ref.endswith(".js")}
        assert any("htmx" in ref for ref in scripts), path
        assert sum(VITALS in ref for ref in scripts) == 1, (path, scripts)  # and no other
        assert sum(scripts.values()) <= JS_BUDGET, (path, scripts)


def test_a_product_page_with_its_gallery_script_keeps_the_budget(app, client, factory):
    from tests.functional.test_product_pictures import upload

    product = factory.product("Walnut Lamp")
    upload(app, product, (900, 900, "Front"), (900, 600, "Side"))
    scripts = {
        ref: n
        for ref, n in shipped(client, f"/products/{product.slug}").items()
        if ref.endswith(".js")
    }
    assert any("/js/gallery." in ref for ref in scripts) and any(VITALS in r for r in scripts)
    assert sum(scripts.values()) <= JS_BUDGET, scripts


def test_a_signed_in_shoppers_pages_keep_the_budget(client, factory):
    login(client, factory.user())
    for path in shopper_pages(client, factory)[:-1]:  # signed in, /login sends them on
        scripts = {ref: n for ref, n in shipped(client, path).items() if ref.endswith(".js")}
        assert any(VITALS in ref for ref in scripts), path
        assert sum(scripts.values()) <= JS_BUDGET, (path, scripts)


def test_the_stylesheet_keeps_its_budget(client, factory):
    for path in shopper_pages(client, factory):
        styles = {ref: n for ref, n in shipped(client, path).items() if ref.endswith(".css")}
        assert len(styles) == 1, path  # one stylesheet, cached once for every page
        assert sum(styles.values()) <= CSS_BUDGET, (path, styles)
