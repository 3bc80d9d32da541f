"""Shop front: home, catalogue (search, filters, pages), category and product pages."""

from __future__ import annotations

from flask import Response, abort, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from qkart.blueprints.common import safe_next
from qkart.blueprints.shop import bp
from qkart.blueprints.shop.caching import kept_answer, note_page, revalidate
from qkart.blueprints.shop.context import categories_for_request, categories_naming
from qkart.blueprints.shop.forms import ViewForm
from qkart.blueprints.shop.listing import catalogue
from qkart.blueprints.shop.reviews import product_page
from qkart.blueprints.wishlist import context as wishlist_context
from qkart.catalog import services as catalog
from qkart.core.events import emit
from qkart.core.htmx import htmx_target, redirect_303, render
from qkart.extensions import limiter
from qkart.search import services as search

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
    # Recently viewed changes per visit: the visitor's list is part of the validator.
    unchanged = revalidate(tuple(p.id for p in extras["recent"]))
    if unchanged is not None:
        return unchanged
    return render(
        "shop/index.html",
        categories=catalog.top_categories(categories_for_request(), 12),
        featured=catalog.featured_products(8),
        **extras,
    )


@bp.get("/products")
def products() -> BaseResponse:
    return catalogue()


@bp.get("/categories")
def categories() -> Response:
    """Every category, as a tree with how many products each holds."""
    unchanged = revalidate()
    if unchanged is not None:
        return unchanged
    nodes = catalog.category_nodes(categories_for_request())
    return render("shop/categories.html", nodes=nodes)


@bp.get("/categories/<slug>")
def category(slug: str) -> BaseResponse:
    found = next((c for c in categories_naming([slug]) if c.slug == slug), None)
    if found is None:
        abort(404, "We could not find that category.")
    return catalogue(found)


@bp.get("/products/<slug>")
def product(slug: str) -> Response:
    early = _kept_product_page()
    if early is not None:
        return early
    item = catalog.get_product(slug)
    emit("shop.product_viewed", product_id=item.id)
    # The view is recorded (and counted) even when the visitor's copy is still current.
    recent = wishlist_context.record_product_view(item)
    note_page(product_id=item.id)
    # The URL names the product; what else the page shows is the viewer's other products.
    unchanged = revalidate(tuple(p.id for p in recent or ()))
    if unchanged is not None:
        return unchanged
    return product_page(item, **wishlist_context.product_page(item, recent))


def _kept_product_page() -> Response | None:
    """A first look for a visitor who has seen no other product (most visits from a
    search engine or a link): the kept page, with the view counted and noted, and no
    query at all. Anyone else has other products on the page and goes the usual way."""
    if htmx_target() or not wishlist_context.sees_no_other_product():
        return None
    early = kept_answer(
        (),  # no other products: the parts ``product`` gives such a page
        accept=lambda notes: (
            "product_id" in notes and wishlist_context.sees_no_other_product(notes["product_id"])
        ),
    )
    if early is None:
        return None
    page, notes = early
    emit("shop.product_viewed", product_id=notes["product_id"])
    wishlist_context.note_first_view(notes["product_id"])
    return page


VIEW_COOKIE = "qkart_view"


@bp.post("/products/view")
def set_view() -> Response:
    """Remember grid or list for this browser (a year), and go back to the listing."""
    form = ViewForm()
    if not form.validate():
        abort(400, "Choose the grid or the list view.")
    response = redirect_303(safe_next(form.next.data, url_for(".products")))
    response.set_cookie(
        VIEW_COOKIE,
        form.view.data,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure,
    )
    return response


@bp.get("/products/<slug>/quick")
def quick_view(slug: str) -> BaseResponse:
    """A product's essentials for the catalogue's quick-view dialog (an htmx fragment);
    anyone else asking gets the product page."""
    if not htmx_target():
        return redirect(url_for(".product", slug=slug))
    response = render("shop/_quick_view.html", product=catalog.get_product(slug))
    response.headers["Cache-Control"] = "no-store"  # its form carries this visitor's token
    return response


@bp.get("/search/suggestions")
@limiter.limit("120 per minute", scope="suggestions")  # a keystroke each; far above typing
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
