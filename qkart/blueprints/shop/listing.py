"""The catalogue listing (all products, a category, a search): its filters, facet
counts, removable chips and the one tidy URL each state has."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from flask import abort, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from qkart.blueprints.shop.caching import kept_answer, note_page, revalidate
from qkart.blueprints.shop.context import categories_naming
from qkart.blueprints.shop.forms import CatalogueForm
from qkart.catalog import services as catalog
from qkart.catalog.cache import cached
from qkart.catalog.facets import Facets, listing_facets
from qkart.catalog.models import Category, Product
from qkart.core.events import emit
from qkart.core.filters import money
from qkart.core.forms import choices
from qkart.core.htmx import htmx_target, render
from qkart.core.money import Money
from qkart.core.pagination import Page
from qkart.core.shop import currency
from qkart.search import services as search

RESULTS = {"results": "results", "more-results": "more"}
VARY = ("HX-Trigger",)  # typing in the search box replaces the history entry, not pushes
RATING_LABELS = {4: "4 stars & up", 3: "3 stars & up", 2: "2 stars & up"}


@dataclass(frozen=True)
class Chip:
    """An active filter the shopper can remove with one link."""

    label: str
    url: str


def catalogue(category: Category | None = None) -> BaseResponse:
    """A listing page, or its results fragment (htmx) with the heading, title, count
    and facet counts swapped out of band."""
    early = kept_answer(vary=VARY)  # a kept copy: no form, no query, no drawing
    if early is not None:
        page, notes = early
        if "searched" in notes:
            emit("shop.searched", q=notes["searched"], results=notes["results"])
        return page
    categories = categories_naming(request.args.getlist("category")[:50])
    form = CatalogueForm(request.args)
    valid = form.validate() if request.args else True
    category, valid = _chosen_categories(form, category, categories, valid)
    query = form.to_query(currency())
    canonical = canonical_url(query, category)
    if valid and not htmx_target() and _untidy(category):
        return redirect(canonical)  # the empty fields of a plain GET form leave the URL
    # A search is counted (analytics) when it runs, so it revalidates only after that.
    unchanged = revalidate(vary=VARY) if valid and not query.q else None
    if unchanged is not None:
        return unchanged
    listing = Listing(query, categories)
    results = listing.results()
    if results.past_end and (results.total or query.page > 1):
        abort(404)
    corrected = None
    if query.q and not results.total and query.page == 1:
        corrected = search.did_you_mean(query.q)
        if corrected:
            listing = Listing(replace(query, q=corrected), categories)
            results = listing.results()
            corrected = corrected if results.total else None
            listing = listing if corrected else Listing(query, categories)
            query = listing.query if corrected else replace(query, q=form.q.data)
    if htmx_target() == "more-results":  # the next page's cards, as the shopper scrolls
        return render(
            "shop/products.html",
            RESULTS,
            results=results,
            page_url=_pages(query, category),
            view=_view(),
        )
    if query.q and query.page == 1 and request.headers.get("HX-Trigger") != "q":
        searched = form.q.data or query.q
        emit("shop.searched", q=searched, results=results.total)
        note_page(searched=searched, results=results.total)  # counted again if kept
    # "Did you mean" comes from a vocabulary each process keeps for minutes: a search
    # that found nothing (or was corrected) is always answered afresh.
    fresh = not results.total or corrected is not None
    unchanged = revalidate(vary=VARY) if valid and query.q and not fresh else None
    if unchanged is not None:
        return unchanged
    facets = listing.facets()
    _label_counts(form, facets)
    response = render(
        "shop/products.html",
        RESULTS,
        status=200 if valid else 422,
        oob=("shop/_listing_head.html", "shop/_facets.html"),
        form=form,
        query=query,
        results=results,
        facets=facets,
        chips=chips(query, category, categories),
        rating_labels=RATING_LABELS,
        categories=categories,
        category=category,
        corrected=corrected,
        canonical_url=request.url_root.rstrip("/") + canonical,
        canonical_path=canonical,
        view=_view(),  # the toggle is plain HTML: a form object costs more than it says
        node=catalog.find_node(catalog.category_nodes(categories), category.id)
        if category is not None and not htmx_target()
        else None,
        page_url=_pages(query, category),
    )
    if valid and htmx_target():
        # Typing in the search box replaces the history entry; other changes add one.
        typing = request.headers.get("HX-Trigger") == "q"
        response.headers["HX-Replace-Url" if typing else "HX-Push-Url"] = canonical
    return response


class Listing:
    """One listing's page of products and facet counts, kept until the catalogue
    changes (``qkart.catalog.cache``); only the page's products are read each time."""

    def __init__(self, query: catalog.ProductQuery, categories: Sequence[Category]) -> None:
        self.query = query
        self._categories = categories
        self._filters: catalog.Filters | None = None
        self._found: Page[Product] | None = None

    def filters(self) -> catalog.Filters:
        if self._filters is None:
            self._filters = catalog.listing_filters(self.query)
        return self._filters

    def results(self) -> Page[Product]:
        kept = cached(("listing", self.query), self._listed)
        if self._found is not None:  # just read: its products are loaded already
            return self._found
        return Page(catalog.products_by_ids(kept.ids), kept.total, kept.page, kept.per_page)

    def facets(self) -> Facets:
        return cached(("facets", self.query), self._facets)

    def _listed(self) -> Listed:
        found = self._found = catalog.search_products(self.query, self.filters())
        return Listed(tuple(p.id for p in found.items), found.total, found.page, found.per_page)

    def _facets(self) -> Facets:
        return listing_facets(self.query, self.filters(), self._categories)


@dataclass(frozen=True)
class Listed:
    """A listing's page as kept: its products' ids, in order, and its pager's numbers."""

    ids: tuple[int, ...]
    total: int
    page: int
    per_page: int


def _view() -> str:
    """Grid or list, as the shopper chose (see ``shop.set_view``)."""
    return "list" if request.cookies.get("qkart_view") == "list" else "grid"


def _pages(query: catalog.ProductQuery, category: Category | None) -> Callable[[int], str]:
    return lambda n: canonical_url(replace(query, page=n), category)


def _label_counts(form: CatalogueForm, facets: Facets) -> None:
    """Rating choices and "In stock only" say how many products each would show."""
    form.rating.choices = choices(
        [("", f"Any rating ({facets.ratings[0]})")]
        + [(str(n), f"{label} ({facets.ratings[n]})") for n, label in RATING_LABELS.items()]
    )
    form.in_stock.label.text = f"In stock only ({facets.in_stock})"


def _chosen_categories(
    form: CatalogueForm,
    category: Category | None,
    categories: Sequence[Category],
    valid: bool,
) -> tuple[Category | None, bool]:
    """Which categories the listing shows, and the category page it belongs on.

    A category page shows its category unless the query names others (the form always
    sends an empty ``category`` first, so unticking every box means all categories).
    One category chosen is that category's page; several are a filtered catalogue.
    """
    by_slug = {c.slug: c for c in categories}
    named = "category" in request.args
    chosen = [c for c in form.category.data or [] if c]
    if category is not None and not named:
        chosen = [category.slug]
    unknown = [c for c in chosen if c not in by_slug]
    if unknown:
        form.category.errors = ["Choose a category from the list."]
        chosen = [c for c in chosen if c in by_slug]
        valid = False
    form.category.data = list(dict.fromkeys(chosen))
    if category is not None:
        category = by_slug[chosen[0]] if len(form.category.data) == 1 else None
    return category, valid


def _untidy(category: Category | None) -> bool:
    """Whether the URL carries empty fields (a plain form sends them all), or names the
    category of the category page it is on."""
    args = request.args
    if any(value == "" for value in args.values()):
        return True
    return category is not None and "category" in args


def _price(amount: int) -> str:
    major = Money(amount, currency()).major
    return format(major.normalize() if major == major.to_integral() else major, "f")


def canonical_url(query: catalog.ProductQuery, category: Category | None) -> str:
    """The listing's URL with only the filters that narrow it (no empty or default ones);
    a category page stays a category URL."""
    args: list[tuple[str, str | int]] = []
    if query.q:
        args.append(("q", query.q))
    if category is None:
        args += [("category", slug) for slug in query.categories]
    args += [("brand", brand) for brand in query.brands]
    for name in ("min_price", "max_price"):
        amount = getattr(query, name)
        if amount is not None:
            args.append((name, _price(amount)))
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


def chips(
    query: catalog.ProductQuery,
    category: Category | None,
    categories: Sequence[Category],
) -> list[Chip]:
    """Each active filter with the URL of the listing without it (back to page 1)."""
    query = replace(query, page=1)
    names = {c.slug: c.name for c in categories}
    found: list[Chip] = []

    def add(label: str, without: catalog.ProductQuery, on: Category | None = category) -> None:
        found.append(Chip(label, canonical_url(without, on)))

    if query.q:
        add(f"“{query.q}”", replace(query, q=""))
    for slug in query.categories:
        rest = tuple(c for c in query.categories if c != slug)
        add(names.get(slug, slug), replace(query, categories=rest), None)
    for brand in query.brands:
        add(brand, replace(query, brands=tuple(b for b in query.brands if b != brand)))
    if query.min_price is not None or query.max_price is not None:
        add(_price_label(query), replace(query, min_price=None, max_price=None))
    if query.rating:
        add(RATING_LABELS.get(query.rating, f"{query.rating}+ stars"), replace(query, rating=None))
    if query.in_stock:
        add("In stock", replace(query, in_stock=False))
    return found


def _price_label(query: catalog.ProductQuery) -> str:
    low, high = query.min_price, query.max_price
    if low is not None and high is not None:
        return f"{money(low)} to {money(high)}"
    if low is not None:
        return f"From {money(low)}"
    return f"Up to {money(high or 0)}"
