"""Cart page and cart actions. htmx swaps the cart (or the add button) and the badge;
without JavaScript every action is a POST answered by a 303 back to the page."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, make_response, render_template, request, url_for

from qkart.blueprints.cart import bp, kept
from qkart.blueprints.cart.forms import AddToCartForm, CouponForm, QuantityForm
from qkart.blueprints.common import (
    cart_owner,
    checkout_shopper,
    checkout_state,
    commit_or_retry,
    current_cart,
    referrer_path,
    safe_next,
)
from qkart.cart import reminders
from qkart.cart import services as carts
from qkart.cart.models import CartItem
from qkart.catalog import services as catalog
from qkart.catalog.errors import ProductNotFoundError
from qkart.checkout import steps
from qkart.core.errors import DomainError
from qkart.core.events import emit
from qkart.core.filters import money
from qkart.core.htmx import htmx_target, redirect_303, render
from qkart.extensions import db

CART_BLOCKS = {"cart": "cart"}
BADGE = ("_cart_badge.html",)
BADGE_AND_NEWS = ("_cart_badge.html", "_flash_oob.html")


def _form_error(form: AddToCartForm | QuantityForm) -> str:
    for errors in form.errors.values():
        if errors:
            return errors[0]
    return "Please check the quantity."


def _cart_page(
    status: int = 200,
    errors: dict[int, str] | None = None,
    coupon_form: CouponForm | None = None,
    news: str = "",
) -> Response:
    """The cart page, or (htmx) its #cart block with the badge; ``news`` is what a
    change did, said to screen readers with the new total."""
    summary = current_cart()
    # Priced exactly as checkout will price it (the same delivery, coupon and tax).
    state = None if summary.is_empty else checkout_state(summary)
    if news and state is not None:
        news = f"{news} Total {money(state.breakdown.total)}."
    response = render(
        "cart/cart.html",
        CART_BLOCKS,
        status=status,
        oob=BADGE + (("_flash_oob.html",) if news and htmx_target() else ()),
        flash_message=news,
        flash_quiet=True,
        cart=summary,
        state=state,
        errors=errors or {},
        coupon_form=coupon_form or CouponForm(formdata=None),
    )
    # Back and forward must never show a cart as it was before a change.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cart")
def view() -> Response:
    parts = kept.page_parts()
    page = kept.kept_cart(parts)
    if page is not None:
        return page
    page = _cart_page()
    kept.keep_cart(parts, page)
    return page


@bp.get("/cart/badge")
def badge() -> Response:
    """The header's item count, for a page shown again by Back or Forward (the browser
    kept it as it was, perhaps before the cart changed): it asks for the count anew."""
    response = make_response(render_template("_cart_badge.html", oob=True))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/cart/items")
def add_item() -> Response:
    form = AddToCartForm()
    if not form.validate():
        if form.product_id.errors:  # missing, not a number, or beyond any real id
            return render("errors/error.html", status=422, **_bad_product())
        return _add_failed(form.product_id.data, _form_error(form))
    owner = cart_owner(create=True)
    try:
        line = commit_or_retry(
            lambda: carts.add_item(owner, form.product_id.data, form.quantity.data)
        )
    except ProductNotFoundError:
        db.session.rollback()
        raise
    except DomainError as error:
        db.session.rollback()
        return _add_failed(form.product_id.data, str(error), error.status_code)
    name = line.product.name
    emit(
        "cart.item_added",
        product_id=form.product_id.data,
        quantity=form.quantity.data,
        unit_price=line.product.price,
    )
    if (htmx_target() or "").startswith("add-"):
        product = catalog.get_active_product(form.product_id.data)
        return render(
            "shop/_add_to_cart.html",
            oob=BADGE_AND_NEWS,
            flash_message=f"Added {name} to your cart.",
            flash_quiet=True,  # the page shows it beside the button; screen readers hear it
            product=product,
            added=True,
            with_quantity=bool(request.form.get("with_quantity")),
            where=request.form.get("where", "")[:5],
        )
    flash(f"Added {name} to your cart.", "success")
    return redirect_303(safe_next(form.next.data or referrer_path(), url_for(".view")))


def _bad_product() -> dict[str, Any]:
    return {
        "code": 422,
        "title": "We could not add that to your cart",
        "hint": "Go back to the product and use its Add to cart button.",
        "message": "That product could not be found.",
    }


def _add_failed(product_id: int, message: str, status: int = 422) -> Response:
    """Say why nothing was added: beside the button (htmx) or on the product page."""
    product = catalog.get_active_product(product_id)
    if (htmx_target() or "").startswith("add-"):
        return render(
            "shop/_add_to_cart.html",
            status=status,
            oob=("_flash_oob.html",),
            flash_message=message,
            flash_category="error",
            flash_quiet=True,
            product=product,
            error=message,
            with_quantity=bool(request.form.get("with_quantity")),
            where=request.form.get("where", "")[:5],
        )
    from qkart.blueprints.shop.reviews import product_page

    return product_page(product, status=status, error=message)


def _update_line(owner: carts.CartOwner, product_id: int, form: QuantityForm) -> CartItem | None:
    """A change (the + and minus buttons) or a new quantity (the number box, Remove)."""
    if form.change.data is not None:
        return carts.change_quantity(owner, product_id, form.change.data)
    return carts.set_quantity(owner, product_id, form.quantity.data)


@bp.post("/cart/items/<int:product_id>")
def set_quantity(product_id: int) -> Response:
    form = QuantityForm()
    if not catalog.product_exists(product_id):
        raise ProductNotFoundError("We could not find that product.")
    if not form.validate():
        return _cart_page(422, {product_id: _form_error(form)})
    owner = cart_owner(create=True)
    # The lines as they were, so focus can go where a removed line was ("-" may remove too).
    order = [line.product.id for line in current_cart().items] if htmx_target() == "cart" else []
    try:
        line = commit_or_retry(lambda: _update_line(owner, product_id, form))
    except ProductNotFoundError:
        db.session.rollback()
        raise
    except DomainError as error:
        db.session.rollback()
        return _cart_page(error.status_code, {product_id: str(error)})
    if line is None:
        emit("cart.item_removed", product_id=product_id)
    if htmx_target() == "cart":
        return _after_line_change(product_id, line.quantity if line else 0, order)
    flash("Your cart was updated." if line else "Removed from your cart.", "success")
    return redirect_303(url_for(".view"))


def _after_line_change(product_id: int, quantity: int, order: list[int]) -> Response:
    """The updated cart for htmx: screen readers hear what changed, and after a Remove
    focus moves to the line that took its place (or the one before it, or the empty
    cart's heading) instead of being lost with the button that went."""
    name = catalog.products_by_id([product_id])[product_id].name
    if quantity:
        return _cart_page(news=f"{name}: quantity {quantity}.")
    response = _cart_page(news=f"Removed {name} from your cart.")
    response.headers["HX-Trigger-After-Settle"] = json.dumps(
        {"qkart:focus": _focus_after_removal(order, product_id)}
    )
    return response


def _focus_after_removal(order: list[int], removed: int) -> str:
    left = [i for i in order if i != removed]
    if not left:
        return "#cart-empty"
    at = order.index(removed) if removed in order else len(left)
    return f"#line-name-{left[min(at, len(left) - 1)]}"


def _after_coupon_change(message: str) -> Response:
    if htmx_target() == "cart":
        return _cart_page()
    flash(message, "success")
    return redirect_303(url_for(".view"))


@bp.post("/cart/coupon")
def apply_coupon() -> Response:
    """Apply a promo code; a refusal says why beside the field ("This code has expired.")."""
    form = CouponForm()
    if not form.validate():
        return _cart_page(422, coupon_form=form)
    try:
        applied = steps.apply_coupon(checkout_shopper(), form.code.data)
    except DomainError as error:
        db.session.rollback()
        form.code.errors = [*form.code.errors, str(error)]
        return _cart_page(error.status_code, coupon_form=form)
    db.session.commit()
    return _after_coupon_change(f"Code {applied.code} applied.")


@bp.post("/cart/coupon/remove")
def remove_coupon() -> Response:
    steps.remove_coupon(checkout_shopper())
    db.session.commit()
    return _after_coupon_change("Promo code removed.")


@bp.get("/cart/restore/<token>")
def restore(token: str) -> Response:
    """The link of a reminder e-mail: the cart it was about, in this browser."""
    copied = reminders.restore(token[:500], cart_owner(create=True))
    db.session.commit()
    flash(
        "Here is your cart again." if copied else "Those items are no longer available.",
        "success" if copied else "info",
    )
    return redirect_303(url_for(".view"))
