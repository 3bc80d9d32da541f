"""Wishlist (page, heart, move to cart) and compare (table, add, remove).

htmx swaps the button (or the list) and the header badge; without JavaScript each
action is a POST answered by a 303 back to the page it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response, flash, g, request, session, url_for
from flask_login import current_user, login_required

from qkart.blueprints.common import commit_or_retry, referrer_path, safe_next
from qkart.blueprints.wishlist import bp
from qkart.blueprints.wishlist.context import COMPARE_KEY, compare_ids
from qkart.blueprints.wishlist.forms import CompareForm, WishlistForm
from qkart.catalog import services as catalog
from qkart.catalog.errors import ProductNotFoundError
from qkart.catalog.models import Product
from qkart.core.errors import DomainError
from qkart.core.forms import Form
from qkart.core.htmx import htmx_target, is_htmx, redirect_303, render
from qkart.extensions import db
from qkart.wishlist import compare
from qkart.wishlist import services as wishlist
from qkart.wishlist.errors import CompareLimitError

WISHLIST_BLOCKS = {"wishlist": "wishlist"}
COMPARE_BLOCKS = {"compare": "compare"}
BADGE = "wishlist/_badge.html"
NEWS = "_flash_oob.html"


def _no_store(response: Response) -> Response:
    """Back and forward must never show a list as it was before a change."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _first_error(form: Form) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "Please try again from the product page."


def _bad_request(form: Form, title: str) -> Response:
    return render(
        "errors/error.html",
        status=422,
        code=422,
        title=title,
        hint="Go back to the product and use its buttons.",
        message=_first_error(form),
    )


# -- wishlist -----------------------------------------------------------------------


def _wishlist_page(
    status: int = 200, errors: dict[int, str] | None = None, oob: Sequence[str] = (), **news: Any
) -> Response:
    items = wishlist.list_wishlist(current_user.id)
    g.wishlist_ids = {item.product_id for item in items if item.product.is_active}
    response = render(
        "wishlist/wishlist.html",
        WISHLIST_BLOCKS,
        status=status,
        oob=(BADGE, *oob),
        items=items,
        errors=errors or {},
        **news,
    )
    return _no_store(response)


@bp.get("/wishlist")
@login_required
def view() -> Response:
    return _wishlist_page()


def _ask_to_log_in(product_id: int) -> Response:
    """A visitor's heart: log in, then come back to the product page to save it."""
    product = catalog.get_active_product(product_id)
    target = url_for("auth.login", next=url_for("shop.product", slug=product.slug))
    flash(f"Log in to save {product.name} to your wishlist.", "info")
    if is_htmx():  # the login page replaces the whole page, not the button
        response = Response("", status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect_303(target)


def _set_saved(user_id: int, product_id: int, saved: bool) -> str:
    if saved:
        product = wishlist.save_product(user_id, product_id)
        return f"Saved {product.name} to your wishlist."
    wishlist.remove_product(user_id, product_id)
    return "Removed from your wishlist."


@bp.post("/wishlist/items")
def toggle() -> Response:
    """Save a product (``saved=1``) or take it off (``saved=0``): the heart's form."""
    form = WishlistForm()
    if not form.validate():
        return _bad_request(form, "We could not change your wishlist")
    product_id, saved = form.product_id.data, form.saved.data == "1"
    if not current_user.is_authenticated:
        return _ask_to_log_in(product_id)
    user_id = current_user.id
    try:
        message = commit_or_retry(lambda: _set_saved(user_id, product_id, saved))
    except ProductNotFoundError:
        db.session.rollback()
        raise
    target = htmx_target() or ""
    if target.startswith("wish-"):
        return _no_store(
            render(
                "wishlist/_heart.html",
                oob=(BADGE, NEWS),
                product=catalog.get_active_product(product_id),
                wish_next=form.next.data,
                flash_message=message,
            )
        )
    if target == "wishlist":
        return _wishlist_page(oob=(NEWS,), flash_message=message)
    flash(message, "success")
    return redirect_303(safe_next(form.next.data or referrer_path(), url_for(".view")))


@bp.post("/wishlist/items/<int:product_id>/move")
@login_required
def move_to_cart(product_id: int) -> Response:
    """One unit into the cart and off the wishlist; refused (and kept) beyond stock."""
    user_id = current_user.id
    try:
        name = commit_or_retry(lambda: wishlist.move_to_cart(user_id, product_id).product.name)
    except ProductNotFoundError:
        db.session.rollback()
        raise
    except DomainError as error:
        db.session.rollback()
        return _wishlist_page(error.status_code, {product_id: str(error)})
    message = f"Moved {name} to your cart."
    if htmx_target() == "wishlist":
        return _wishlist_page(oob=("_cart_badge.html", NEWS), flash_message=message)
    flash(message, "success")
    return redirect_303(url_for(".view"))


# -- compare ------------------------------------------------------------------------


def _compare_page(
    products: Sequence[Product], *, shared: bool, status: int = 200, error: str | None = None
) -> Response:
    response = render(
        "wishlist/compare.html",
        COMPARE_BLOCKS,
        status=status,
        products=products,
        attribute_names=compare.attribute_names(products),
        shared=shared,
        error=error,
        share_ids=",".join(str(p.id) for p in products),
        max_compare=compare.MAX_COMPARE,
    )
    return _no_store(response)


@bp.get("/compare")
def compare_page() -> Response:
    """``?ids=1,2,3`` shows those products (a shareable link); no ids, the session's."""
    raw = request.args.get("ids")
    if raw is None:
        return _compare_page(compare.load_products(compare_ids(), strict=False), shared=False)
    try:
        ids = compare.parse_ids(raw[:200])
    except DomainError as error:
        return _compare_page([], shared=True, status=error.status_code, error=str(error))
    return _compare_page(compare.load_products(ids), shared=True)


def _session_products() -> list[Product]:
    return compare.load_products(compare_ids(), strict=False)


@bp.post("/compare/items")
def add_to_compare() -> Response:
    form = CompareForm()
    if not form.validate():
        return _bad_request(form, "We could not add that to your comparison")
    product = catalog.get_active_product(form.product_id.data)
    kept = [p.id for p in _session_products()]  # products no longer sold free their place
    try:
        ids = compare.add(kept, product.id)
    except CompareLimitError as error:
        return _compare_refused(product, form, str(error))
    session[COMPARE_KEY] = ids
    message = f"Added {product.name} to compare ({len(ids)} of {compare.MAX_COMPARE})."
    if (htmx_target() or "").startswith("compare-"):
        return render(
            "wishlist/_compare_button.html",
            oob=(NEWS,),
            product=product,
            added=True,
            wish_next=form.next.data,
            flash_message=message,
        )
    flash(message, "success")
    back = url_for("shop.product", slug=product.slug)
    return redirect_303(safe_next(form.next.data or referrer_path(), back))


def _compare_refused(product: Product, form: CompareForm, message: str) -> Response:
    """Full: say so beside the button, or on the comparison (where one can be removed)."""
    if (htmx_target() or "").startswith("compare-"):
        return render(
            "wishlist/_compare_button.html",
            status=422,
            oob=(NEWS,),
            product=product,
            error=message,
            wish_next=form.next.data,
            flash_message=message,
            flash_category="error",
        )
    return _compare_page(_session_products(), shared=False, status=422, error=message)


@bp.post("/compare/items/<int:product_id>/delete")
def remove_from_compare(product_id: int) -> Response:
    session[COMPARE_KEY] = compare.remove(compare_ids(), product_id)
    if htmx_target() == "compare":
        return _compare_page(_session_products(), shared=False)
    flash("Removed from your comparison.", "success")
    return redirect_303(url_for(".compare_page"))


@bp.post("/compare/clear")
def clear_compare() -> Response:
    session.pop(COMPARE_KEY, None)
    flash("Your comparison is empty now.", "success")
    return redirect_303(url_for(".compare_page"))
