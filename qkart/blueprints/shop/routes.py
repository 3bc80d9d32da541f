"""Shop front: home, catalogue (search, filters, pages), category and product pages."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from flask import Response, request, url_for

from qkart.blueprints.shop import bp
from qkart.blueprints.shop.context import categories_for_request
from qkart.blueprints.shop.forms import CatalogueForm
from qkart.blueprints.shop.reviews import product_page
from qkart.blueprints.wishlist import context as wishlist_context
from qkart.catalog import services as catalog
from qkart.catalog.models import Category
from qkart.core.forms import choices
from qkart.core.htmx import render
from qkart.core.shop import currency
from qkart.search import services as search

RESULTS = {"results": "results"}
FILTER_NAMES = frozenset(
    {"q", "category", "min_price", "max_price", "rating", "in_stock", "sort", "per_page"}
)
ROBOTS_DISALLOW = (
    "/cart",
    "/checkout",
    "/account",
    "/orders",
    "/admin",
    "/login",
    "/register",
    "/emails",
)


@bp.get("/")
def index() -> Response:
    response = render(
        "shop/index.html",
        categories=categories_for_request(),
        featured=catalog.featured_products(8),
        **wishlist_context.home_page(),
    )
    response.headers["Cache-Control"] = "no-store"  # recently viewed changes per visit
    return response


def _catalogue(category: Category | None = None) -> Response:
    categories = categories_for_request()
    form = CatalogueForm(request.args)
    form.category.choices = choices(
        [("", "All categories")] + [(c.slug, c.name) for c in categories]
    )
    if category is not None:
        form.category.data = category.slug
    valid = form.validate() if request.args else True
    if form.category.data and form.category.data not in {c.slug for c in categories}:
        form.category.errors = ["Choose a category from the list."]
        form.category.data = ""
        valid = False
    query = form.to_query(currency())
    results = catalog.search_products(query)
    corrected = None
    if query.q and not results.total and query.page == 1:
        corrected = search.did_you_mean(query.q)
        if corrected:
            results = catalog.search_products(replace(query, q=corrected))
            corrected = corrected if results.total else None
    return render(
        "shop/products.html",
        RESULTS,
        status=200 if valid else 422,
        form=form,
        query=query,
        results=results,
        categories=categories,
        category=category,
        corrected=corrected,
        page_url=_page_url,
    )


def _page_url(page: int) -> str:
    """This listing's URL with its filters kept (only the known ones) and another page."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k in FILTER_NAMES]
    base = url_for(request.endpoint or "shop.products", **(request.view_args or {}))
    return f"{base}?{urlencode([*args, ('page', page)])}"


@bp.get("/products")
def products() -> Response:
    return _catalogue()


@bp.get("/categories/<slug>")
def category(slug: str) -> Response:
    return _catalogue(catalog.get_category(slug))


@bp.get("/products/<slug>")
def product(slug: str) -> Response:
    item = catalog.get_product(slug)
    # Records the view and adds "customers also bought" and "recently viewed".
    response = product_page(item, **wishlist_context.product_page(item))
    response.headers["Cache-Control"] = "no-store"  # recently viewed changes per visit
    return response


@bp.get("/search/suggestions")
def suggestions() -> Response:
    """The header search box's list as the shopper types (an htmx fragment)."""
    q = request.args.get("q", "")[:100]
    response = render("shop/_suggestions.html", q=q, suggestions=search.suggest(q))
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/robots.txt")
def robots() -> Response:
    """Let search engines index the catalogue, not carts, checkouts or accounts."""
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in ROBOTS_DISALLOW]
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
