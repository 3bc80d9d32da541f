"""What search engines read: a product's structured data (schema.org ``Product`` with its
offer and rating) and the sitemap of every product and category on sale."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

from flask import Response, abort, request, stream_with_context, url_for
from sqlalchemy import func, select

from qkart.blueprints.shop import bp
from qkart.catalog.models import Category, Product
from qkart.core.assets import image_url
from qkart.core.money import Money
from qkart.core.shop import currency
from qkart.extensions import db

# A sitemap file may list 50 000 URLs; bigger catalogues get an index of files.
PER_SITEMAP = 40_000


@bp.app_template_global()
def product_json_ld(product: Product) -> dict[str, Any]:
    """schema.org Product: name, picture, SKU, brand, price and availability, rating."""
    root = request.url_root.rstrip("/")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "sku": product.sku,
        "description": product.description[:5000],
        "image": [root + image_url(product.image)],
        "url": url_for("shop.product", slug=product.slug, _external=True),
        "offers": {
            "@type": "Offer",
            "price": str(Money(product.price, currency()).major),
            "priceCurrency": currency(),
            "availability": "https://schema.org/"
            + ("InStock" if product.stock > 0 else "OutOfStock"),
            "url": url_for("shop.product", slug=product.slug, _external=True),
        },
    }
    if product.brand:
        data["brand"] = {"@type": "Brand", "name": product.brand}
    if product.rating_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": str(product.rating),
            "reviewCount": product.rating_count,
        }
    return data


def _urlset(locations: Iterator[str]) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    for location in locations:
        yield f"  <url><loc>{escape(location)}</loc></url>\n"
    yield "</urlset>\n"


def _xml(body: Iterator[str]) -> Response:
    response = Response(stream_with_context(body), mimetype="application/xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _product_urls(page: int) -> Iterator[str]:
    slugs = db.session.scalars(
        select(Product.slug)
        .where(Product.is_active.is_(True))
        .order_by(Product.id)
        .offset(page * PER_SITEMAP)
        .limit(PER_SITEMAP)
        .execution_options(yield_per=2000)
    )
    for slug in slugs:
        yield url_for("shop.product", slug=slug, _external=True)


def _pages() -> Iterator[str]:
    yield url_for("shop.index", _external=True)
    yield url_for("shop.products", _external=True)
    yield url_for("shop.categories", _external=True)
    for slug in db.session.scalars(select(Category.slug).order_by(Category.position)):
        yield url_for("shop.category", slug=slug, _external=True)


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """All pages in one file, or an index of files when the catalogue is large."""
    active = db.session.scalar(
        select(func.count()).select_from(Product).where(Product.is_active.is_(True))
    )
    if (active or 0) <= PER_SITEMAP:

        def everything() -> Iterator[str]:
            yield from _pages()
            yield from _product_urls(0)

        return _xml(_urlset(everything()))
    files = [url_for("shop.sitemap_pages", _external=True)] + [
        url_for("shop.sitemap_products", page=n + 1, _external=True)
        for n in range(-(-(active or 0) // PER_SITEMAP))
    ]
    index = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    index.append('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n')
    index += [f"  <sitemap><loc>{escape(f)}</loc></sitemap>\n" for f in files]
    index.append("</sitemapindex>\n")
    return _xml(iter(index))


@bp.get("/sitemap-pages.xml")
def sitemap_pages() -> Response:
    return _xml(_urlset(_pages()))


@bp.get("/sitemap-products-<int:page>.xml")
def sitemap_products(page: int) -> Response:
    if page < 1:
        abort(404)
    return _xml(_urlset(_product_urls(page - 1)))
