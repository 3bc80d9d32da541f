"""Cart page and cart actions. htmx swaps the cart (or the add button) and the badge;
without JavaScript every action is a POST answered by a 303 back to the page."""

from __future__ import annotations

from flask import Response, flash, request, url_for

from qkart.blueprints.cart import bp
from qkart.blueprints.cart.forms import AddToCartForm, CouponForm, QuantityForm
from qkart.blueprints.common import (
    cart_owner,
    checkout_shopper,
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
) -> Response:
    summary = current_cart()
    # Priced exactly as checkout will price it (the same delivery, coupon and tax).
    state = None if summary.is_empty else steps.load_state(checkout_shopper(), summary=summary)
    response = render(
        "cart/cart.html",
        CART_BLOCKS,
        status=status,
        oob=BADGE,
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
    return _cart_page()


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
    if (htmx_target() or "").startswith("add-"):
        product = catalog.get_active_product(form.product_id.data)
        return render(
            "shop/_add_to_cart.html",
            oob=BADGE_AND_NEWS,
            flash_message=f"Added {name} to your cart.",
            product=product,
            added=True,
            with_quantity=bool(request.form.get("with_quantity")),
        )
    flash(f"Added {name} to your cart.", "success")
    return redirect_303(safe_next(form.next.data or referrer_path(), url_for(".view")))


def _bad_product() -> dict[str, object]:
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
            product=product,
            error=message,
            with_quantity=bool(request.form.get("with_quantity")),
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
    try:
        line = commit_or_retry(lambda: _update_line(owner, product_id, form))
    except ProductNotFoundError:
        db.session.rollback()
        raise
    except DomainError as error:
        db.session.rollback()
        return _cart_page(error.status_code, {product_id: str(error)})
    if htmx_target() == "cart":
        return _cart_page()
    flash("Your cart was updated." if line else "Removed from your cart.", "success")
    return redirect_303(url_for(".view"))


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
