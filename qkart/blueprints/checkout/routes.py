"""Checkout on one page, in steps: contact, address, delivery, payment, review.

Each step is a form of its own that saves its answer and answers with a 303 back
to the page (without JavaScript) or the refreshed checkout (htmx). Placing the
order checks everything again; a card order then goes to Stripe's hosted page.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from sqlalchemy.exc import IntegrityError

from qkart.accounts import addresses as address_book
from qkart.blueprints.account.forms import AddressForm
from qkart.blueprints.checkout import bp
from qkart.blueprints.checkout.forms import (
    ContactForm,
    PaymentForm,
    PlaceOrderForm,
    SavedAddressForm,
    ShippingForm,
)
from qkart.blueprints.common import checkout_shopper, checkout_state, current_cart
from qkart.blueprints.orders.routes import order_url, remember_guest_order
from qkart.checkout import services as checkout
from qkart.checkout import steps
from qkart.checkout.state import CheckoutState
from qkart.core.errors import DomainError
from qkart.core.events import emit
from qkart.core.htmx import htmx_target, redirect_303, render
from qkart.core.web import public_message
from qkart.extensions import db
from qkart.payments.errors import PaymentTransitionError

BLOCKS = {"checkout": "checkout"}
STEPS = ("contact", "address", "shipping", "payment")


def _open_step(state: CheckoutState, asked: str | None) -> str | None:
    """The step whose form is shown: the one asked for, else the first unanswered one."""
    done = state.steps_done
    if asked in STEPS:
        return asked
    return next((step for step in STEPS if not done[step]), None)


def _page(
    *,
    status: int = 200,
    error: str | None = None,
    editing: str | None = None,
    forms: dict[str, Any] | None = None,
) -> Response:
    shopper = checkout_shopper()
    state = checkout_state(current_cart(), shopper)
    forms = forms or {}
    open_step = _open_step(state, editing)
    place = PlaceOrderForm(formdata=None)
    place.checkout_key.data = request.form.get("checkout_key") or checkout.new_checkout_key()
    response = render(
        "checkout/checkout.html",
        BLOCKS,
        status=status,
        state=state,
        open_step=open_step,
        error=error,
        contact_form=forms.get("contact") or ContactForm(formdata=None, email=state.email),
        saved_form=forms.get("saved") or SavedAddressForm(formdata=None),
        address_form=forms.get("address") or AddressForm(formdata=None),
        addresses=address_book.list_addresses(shopper.user_id) if shopper.user_id else [],
        shipping_form=forms.get("shipping") or ShippingForm(formdata=None),
        payment_form=forms.get("payment") or PaymentForm(formdata=None),
        place_form=place,
    )
    # What a checkout shows changes with every visit: never from the back-forward cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _after_step(step: str) -> Response:
    emit("checkout.step_done", step=step)
    if htmx_target() == "checkout":
        return _page()
    return redirect_303(url_for(".view") + f"#step-{step}")


def _refused(step: str, error: DomainError, forms: dict[str, Any]) -> Response:
    """A step's answer refused by a rule: its message beside the field, or above the steps."""
    db.session.rollback()
    form = next(iter(forms.values()))
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, public_message(error)]
        return _page(status=error.status_code, editing=step, forms=forms)
    return _page(status=error.status_code, editing=step, forms=forms, error=public_message(error))


@bp.get("/checkout")
def view() -> Response:
    asked = request.args.get("change")
    if not htmx_target():
        emit("checkout.started")
    return _page(editing=asked if asked in STEPS else None)


@bp.post("/checkout/contact")
def save_contact() -> Response:
    form = ContactForm()
    if not form.validate():
        return _page(status=422, editing="contact", forms={"contact": form})
    try:
        steps.save_contact(checkout_shopper(), form.email.data)
    except DomainError as error:
        return _refused("contact", error, {"contact": form})
    db.session.commit()
    return _after_step("contact")


@bp.post("/checkout/address")
def save_address() -> Response:
    """A saved address (``address_id``) or a new one (the address fields)."""
    shopper = checkout_shopper()
    if "address_id" in request.form and shopper.user_id is not None:
        saved = SavedAddressForm()
        if not saved.validate():
            return _page(status=422, editing="address", forms={"saved": saved})
        try:
            steps.save_address(shopper, address_id=saved.address_id.data)
        except DomainError as error:
            return _refused("address", error, {"saved": saved})
    else:
        form = AddressForm()
        if not form.validate():
            return _page(status=422, editing="address", forms={"address": form})
        try:
            steps.save_address(
                shopper, fields=form.fields_dict(), make_default=bool(form.is_default.data)
            )
        except DomainError as error:
            return _refused("address", error, {"address": form})
    db.session.commit()
    return _after_step("address")


@bp.post("/checkout/shipping")
def save_shipping() -> Response:
    form = ShippingForm()
    if not form.validate():
        return _page(status=422, editing="shipping", forms={"shipping": form})
    try:
        steps.save_shipping(checkout_shopper(), form.shipping_method.data)
    except DomainError as error:
        return _refused("shipping", error, {"shipping": form})
    db.session.commit()
    return _after_step("shipping")


@bp.post("/checkout/payment")
def save_payment() -> Response:
    form = PaymentForm()
    if not form.validate():
        return _page(status=422, editing="payment", forms={"payment": form})
    try:
        steps.save_payment(
            checkout_shopper(), form.payment_method.data, use_wallet=bool(form.use_wallet.data)
        )
    except DomainError as error:
        return _refused("payment", error, {"payment": form})
    db.session.commit()
    return _after_step("payment")


def _overrides(form: PlaceOrderForm) -> dict[str, Any]:
    """What the posted review says, over the saved draft (the public form contract)."""
    return {
        "address_id": form.address_id.data,
        "shipping_method": form.shipping_method.data or None,
        "payment_method": form.payment_method.data or None,
    }


@bp.post("/checkout")
def place_order() -> Response:
    form = PlaceOrderForm()
    if not form.validate():
        return _page(status=422, error="Please review your order and try again.")
    shopper = checkout_shopper()
    key = form.checkout_key.data or checkout.new_checkout_key()
    try:
        placed = checkout.place_order(
            shopper,
            idempotency_key=key,
            overrides=_overrides(form),
            expected_total=form.expected_total.data,
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _page(status=error.status_code, error=public_message(error))
    except IntegrityError:
        # A double click: the first request won the unique key and placed the order.
        db.session.rollback()
        return _duplicate(shopper, key)
    order = placed.order
    if shopper.is_guest:
        remember_guest_order(order)
    if placed.card_payment_id is not None:
        return _to_card_page(order, placed.card_payment_id)
    # The order page says thank you itself (``placed=1``), once.
    return redirect_303(order_url(order, placed=1))


def _duplicate(shopper: steps.Shopper, key: str) -> Response:
    placed = checkout.place_order(shopper, idempotency_key=key)
    if not placed.duplicate:  # pragma: no cover (the twin must exist after the conflict)
        db.session.rollback()
        raise RuntimeError("double submit without a twin order")
    if placed.card_payment_id is not None:
        return _to_card_page(placed.order, placed.card_payment_id)
    return redirect_303(order_url(placed.order))


def card_return_urls(order: Any) -> dict[str, str]:
    return {
        "success_url": order_url(order, _external=True, paid=1),
        "cancel_url": order_url(order, _external=True, card="cancelled"),
    }


def _to_card_page(order: Any, payment_id: int) -> Response:
    """Start the card payment (Stripe) now that the order is saved; go to Stripe's page."""
    try:
        step = checkout.start_card_payment(order, payment_id, **card_return_urls(order))
        db.session.commit()
    except PaymentTransitionError:
        # A twin request (double click) started this very attempt a moment earlier.
        db.session.rollback()
        step = checkout.start_card_payment(order, payment_id, **card_return_urls(order))
    except DomainError as error:
        db.session.commit()  # the failed attempt is recorded; the order stays payable
        flash(public_message(error), "error")
        return redirect_303(order_url(order))
    assert step.redirect_url
    return redirect_303(step.redirect_url)
