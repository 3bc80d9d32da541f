"""Shop front: home, catalogue (search, filters, pages), category and product pages."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from flask import Response, abort, redirect, request, url_for

from qkart.blueprints.shop import bp
from qkart.blueprints.shop.context import categories_for_request
from qkart.blueprints.shop.forms import CatalogueForm
from qkart.blueprints.shop.reviews import product_page
from qkart.blueprints.wishlist import context as wishlist_context
from qkart.catalog import services as catalog
from qkart.catalog.models import Category
from qkart.core.forms import choices
from qkart.core.htmx import htmx_target, render
from qkart.core.shop import currency
from qkart.search import services as search

RESULTS = {"results": "results"}
ROBOTS_DISALLOW = (
    "/cart",
    "/checkout",
    "/account",
    "/orders",
    "/admin",
    "/login",
    "/register",
    "/emails",
    "/stock-alerts",
)


@bp.get("/")
def index() -> Response:
    extras = wishlist_context.home_page()
    response = render(
        "shop/index.html",
        categories=catalog.top_categories(categories_for_request(), 12),
        featured=catalog.featured_products(8),
        **extras,
    )
    if extras["recent"]:  # recently viewed changes per visit; a first visit's page does not
        response.headers["Cache-Control"] = "no-store"
    return response


def _catalogue(category: Category | None = None) -> Response:
    categories = categories_for_request()
    form = CatalogueForm(request.args)
    form.category.choices = choices(
        [("", "All categories")] + [(c.slug, c.name) for c in categories]
    )
    by_slug = {c.slug: c for c in categories}
    if category is not None:
        # On a category page the category list moves to another category's page.
        chosen = request.args.get("category")
        category = None if chosen == "" else by_slug.get(chosen or "", category)
        form.category.data = category.slug if category else ""
    valid = form.validate() if request.args else True
    if form.category.data and form.category.data not in by_slug:
        form.category.errors = ["Choose a category from the list."]
        form.category.data = ""
        valid = False
    query = form.to_query(currency())
    canonical = _canonical_url(query, category)
    if valid and not htmx_target() and _untidy(category):
        return redirect(canonical)  # the empty fields of a plain GET form leave the URL
    results = catalog.search_products(query)
    if results.past_end and (results.total or query.page > 1):
        abort(404)
    corrected = None
    if query.q and not results.total and query.page == 1:
        corrected = search.did_you_mean(query.q)
        if corrected:
            results = catalog.search_products(replace(query, q=corrected))
            corrected = corrected if results.total else None
    response = render(
        "shop/products.html",
        RESULTS,
        status=200 if valid else 422,
        oob=("shop/_listing_head.html",),
        form=form,
        query=query,
        results=results,
        categories=categories,
        category=category,
        corrected=corrected,
        canonical_url=request.url_root.rstrip("/") + canonical,
        node=catalog.find_node(catalog.category_nodes(categories), category.id)
        if category is not None and not htmx_target()
        else None,
        page_url=lambda n: _canonical_url(replace(query, page=n), category),
    )
    if valid and htmx_target():
        # Typing in the search box replaces the history entry; other changes add one.
        typing = request.headers.get("HX-Trigger") == "q"
        response.headers["HX-Replace-Url" if typing else "HX-Push-Url"] = canonical
    return response


def _untidy(category: Category | None) -> bool:
    """Whether the URL carries empty fields (a plain form sends them all), or names the
    category of the category page it is on."""
    args = request.args
    if any(value == "" for value in args.values()):
        return True
    return category is not None and "category" in args


def _canonical_url(query: catalog.ProductQuery, category: Category | None) -> str:
    """The listing's URL with only the filters that narrow it (no empty or default ones);
    a category page stays a category URL."""
    from qkart.core.money import Money

    args: list[tuple[str, str | int]] = []
    if query.q:
        args.append(("q", query.q))
    if query.category and category is None:
        args.append(("category", query.category))
    for name in ("min_price", "max_price"):
        amount = getattr(query, name)
        if amount is not None:
            major = Money(amount, currency()).major
            args.append(
                (name, format(major.normalize() if major == major.to_integral() else major, "f"))
            )
    if query.rating:
        args.append(("rating", query.rating))
    if query.in_stock:
        args.append(("in_stock", 1))
    if query.sort != "relevance":
        args.append(("sort", query.sort))
    if query.per_page != catalog.PAGE_SIZES[0]:
        args.append(("per_page", query.per_page))
    if query.page > 1:
        args.append(("page", query.page))
    base = url_for("shop.category", slug=category.slug) if category else url_for("shop.products")
    return f"{base}?{urlencode(args)}" if args else base


@bp.get("/products")
def products() -> Response:
    return _catalogue()


@bp.get("/categories")
def categories() -> Response:
    """Every category, as a tree with how many products each holds."""
    nodes = catalog.category_nodes(categories_for_request())
    return render("shop/categories.html", nodes=nodes)


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
    lines.append(f"Sitemap: {url_for('shop.sitemap', _external=True)}")
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
