"""Checkout: choose or add an address, pay from the wallet, place the order."""

from __future__ import annotations

from flask import Response, flash, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from qkart.accounts import addresses as address_book
from qkart.blueprints.account.forms import AddressForm
from qkart.blueprints.checkout import bp
from qkart.blueprints.checkout.forms import PlaceOrderForm
from qkart.blueprints.common import current_cart
from qkart.checkout import services as checkout
from qkart.core.errors import DomainError
from qkart.core.htmx import htmx_target, redirect_303, render
from qkart.extensions import db
from qkart.orders.services import find_by_idempotency_key

BLOCKS = {"addresses": "addresses"}


def _page(
    form: PlaceOrderForm,
    address_form: AddressForm,
    *,
    status: int = 200,
    error: str | None = None,
    show_new_address: bool = False,
) -> Response:
    addresses = address_book.list_addresses(current_user.id)
    if form.address_id.data is None and addresses and not form.is_submitted():
        form.address_id.data = addresses[0].id  # the default address sorts first
    if not form.checkout_key.data:
        form.checkout_key.data = checkout.new_checkout_key()
    return render(
        "checkout/checkout.html",
        BLOCKS,
        status=status,
        form=form,
        address_form=address_form,
        addresses=addresses,
        cart=current_cart(),
        error=error,
        show_new_address=show_new_address or not addresses,
    )


@bp.get("/checkout")
@login_required
def view() -> Response:
    form = PlaceOrderForm(formdata=None)
    selected = request.args.get("address_id", "")
    if selected.isascii() and selected.isdigit() and len(selected) < 10:
        form.address_id.data = int(selected)
    return _page(form, AddressForm(formdata=None))


@bp.post("/checkout")
@login_required
def place_order() -> Response:
    form = PlaceOrderForm()
    if not form.validate():
        return _page(form, AddressForm(formdata=None), status=422)
    key = form.checkout_key.data or checkout.new_checkout_key()
    try:
        placed = checkout.place_order(
            current_user,
            address_id=form.address_id.data,
            payment_method=form.payment_method.data,
            idempotency_key=key,
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _page(form, AddressForm(formdata=None), status=error.status_code, error=str(error))
    except IntegrityError:
        # A double click: the first request won the unique key and placed the order.
        db.session.rollback()
        earlier = find_by_idempotency_key(current_user.id, key)
        if earlier is None:
            raise
        return redirect_303(url_for("account.order_detail", number=earlier.number))
    if not placed.duplicate:
        flash("Thank you! Your order is placed.", "success")
    return redirect_303(url_for("account.order_detail", number=placed.order.number, placed=1))


@bp.post("/checkout/address")
@login_required
def add_address() -> Response:
    """Add an address without leaving checkout; htmx swaps in the refreshed picker."""
    address_form = AddressForm()
    form = PlaceOrderForm(formdata=None)
    form.checkout_key.data = request.form.get("checkout_key", "")[:64]
    if not address_form.validate():
        return _page(form, address_form, status=422, show_new_address=True)
    address = address_book.add_address(
        current_user.id, address_form.fields_dict(), make_default=address_form.is_default.data
    )
    db.session.commit()
    if htmx_target() == "addresses":
        form.address_id.data = address.id
        return _page(form, AddressForm(formdata=None))
    flash("Address saved. It is selected below.", "success")
    return redirect_303(url_for(".view", address_id=address.id))
