"""What search engines read: titles, descriptions, canonical URLs, Open Graph, the
product's structured data, robots.txt and the sitemap."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

from qkart.blueprints.shop import seo


def _meta(page: str, attribute: str, name: str) -> str:
    found = re.search(rf'<meta {attribute}="{name}" content="([^"]*)">', page)
    assert found, f"no {name}"
    return found.group(1)


def test_a_product_page_describes_itself(client, factory):
    lamp = factory.product("Desk Lamp", price=4_990, stock=0)
    page = client.get(f"/products/{lamp.slug}").get_data(as_text=True)
    assert "<title>Desk Lamp · QKart</title>" in page
    assert _meta(page, "name", "description") == "A fine Desk Lamp."
    assert f'<link rel="canonical" href="http://localhost/products/{lamp.slug}">' in page
    assert _meta(page, "property", "og:type") == "product"
    assert _meta(page, "property", "og:image").startswith("http://localhost/static/")
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    data = json.loads(raw)
    assert data["@type"] == "Product" and data["name"] == "Desk Lamp"
    assert data["offers"]["price"] == "49.90" and data["offers"]["priceCurrency"] == "USD"
    assert data["offers"]["availability"] == "https://schema.org/OutOfStock"
    assert data["aggregateRating"]["reviewCount"] >= 1


def test_structured_data_cannot_close_its_script(client, factory):
    product = factory.product("</script><script>alert(1)</script>")
    page = client.get(f"/products/{product.slug}").get_data(as_text=True)
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert json.loads(raw)["name"] == "</script><script>alert(1)</script>"


def test_listings_have_their_own_title_and_canonical(client, factory):
    for n in range(30):
        factory.product(f"Watch {n:02d}")
    page = client.get("/products?q=watch&page=2").get_data(as_text=True)
    assert "<title>Results for “watch” · page 2 · QKart</title>" in page
    assert '<link rel="canonical" href="http://localhost/products?q=watch&amp;page=2">' in page
    assert "Search results for “watch”" in _meta(page, "name", "description")
    home = client.get("/").get_data(as_text=True)
    assert '<link rel="canonical" href="http://localhost/">' in home


def test_robots_names_the_sitemap(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in text


def _locations(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    tree = ElementTree.fromstring(response.get_data())
    return [e.text for e in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]


def test_the_sitemap_lists_what_is_on_sale(client, factory):
    lamp = factory.product("Desk Lamp")
    draft = factory.product("Secret", is_active=False)
    urls = _locations(client, "/sitemap.xml")
    assert f"http://localhost/products/{lamp.slug}" in urls
    assert f"http://localhost/products/{draft.slug}" not in urls
    assert "http://localhost/categories/general" in urls
    assert "http://localhost/" in urls


def test_a_large_catalogue_gets_a_sitemap_index(client, factory, monkeypatch):
    monkeypatch.setattr(seo, "PER_SITEMAP", 2)
    made = [factory.product(f"Item {n}") for n in range(5)]
    files = _locations(client, "/sitemap.xml")
    assert files == [
        "http://localhost/sitemap-pages.xml",
        "http://localhost/sitemap-products-1.xml",
        "http://localhost/sitemap-products-2.xml",
        "http://localhost/sitemap-products-3.xml",
    ]
    listed = [u for f in files[1:] for u in _locations(client, f.replace("http://localhost", ""))]
    assert listed == [f"http://localhost/products/{p.slug}" for p in made]
    assert client.get("/sitemap-products-0.xml").status_code == 404
