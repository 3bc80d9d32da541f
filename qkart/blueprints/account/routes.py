"""The shopper's own pages: account overview and address book."""

from __future__ import annotations

from flask import Response, flash, url_for
from flask_login import current_user, login_required

from qkart.accounts import addresses as address_book
from qkart.blueprints.account import bp
from qkart.blueprints.account.forms import AddressForm
from qkart.core.htmx import redirect_303, render
from qkart.extensions import db
from qkart.orders import services as orders
from qkart.payments.wallet import balance, wallet_entries


@bp.get("/account")
@login_required
def overview() -> Response:
    return render(
        "account/overview.html",
        recent_orders=orders.list_orders(current_user.id, per_page=3).items,
        ledger=wallet_entries(current_user.id, limit=10),
        balance=balance(current_user.id),
    )


def _address_book(form: AddressForm, status: int = 200) -> Response:
    return render(
        "account/addresses.html",
        status=status,
        form=form,
        addresses=address_book.list_addresses(current_user.id),
    )


@bp.route("/account/addresses", methods=["GET", "POST"])
@login_required
def addresses() -> Response:
    form = AddressForm()
    if not form.validate_on_submit():
        return _address_book(form, 422 if form.is_submitted() else 200)
    address_book.add_address(current_user.id, form.fields_dict(), make_default=form.is_default.data)
    db.session.commit()
    flash("Address saved.", "success")
    return redirect_303(url_for(".addresses"))


@bp.route("/account/addresses/<int:address_id>/edit", methods=["GET", "POST"])
@login_required
def edit_address(address_id: int) -> Response:
    address = address_book.get_address(current_user.id, address_id)
    form = AddressForm(obj=address)
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("account/address_edit.html", status=status, form=form, address=address)
    address_book.update_address(current_user.id, address_id, form.fields_dict())
    if form.is_default.data:
        address_book.set_default_address(current_user.id, address_id)
    db.session.commit()
    flash("Address updated.", "success")
    return redirect_303(url_for(".addresses"))


@bp.post("/account/addresses/<int:address_id>/default")
@login_required
def default_address(address_id: int) -> Response:
    address_book.set_default_address(current_user.id, address_id)
    db.session.commit()
    flash("Default shipping address changed.", "success")
    return redirect_303(url_for(".addresses"))


@bp.post("/account/addresses/<int:address_id>/delete")
@login_required
def delete_address(address_id: int) -> Response:
    address_book.delete_address(current_user.id, address_id)
    db.session.commit()
    flash("Address removed.", "success")
    return redirect_303(url_for(".addresses"))
