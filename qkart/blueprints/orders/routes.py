"""Order pages: the shopper's list, one order (also for guests, by a signed link) with its
tracking, payment status while a card payment is pending, "Pay now", cancel, returns and
the invoice and credit notes."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, request, session, url_for
from flask_login import current_user, login_required

from qkart.blueprints.common import page_number
from qkart.blueprints.orders import bp
from qkart.blueprints.orders.forms import CancelForm, ReturnForm
from qkart.catalog.services import products_by_id
from qkart.checkout import services as checkout
from qkart.core.errors import DomainError
from qkart.core.htmx import htmx_target, redirect_303, render
from qkart.core.web import public_message
from qkart.extensions import db, login_manager
from qkart.invoices.services import documents_of, get_document
from qkart.orders import services as orders
from qkart.orders.access import access_token, order_from_token
from qkart.orders.errors import OrderNotFoundError
from qkart.orders.lifecycle import cancel_by_shopper
from qkart.orders.models import Order
from qkart.payments.gateway import card_payments_enabled
from qkart.payments.services import payments_of_order
from qkart.returns import services as returns

GUEST_ORDERS = "guest_orders"
BLOCKS = {"payment-status": "payment_status"}


def remember_guest_order(order: Order) -> None:
    """This browser placed the order as a guest: it may open it without the link."""
    kept = [n for n in session.get(GUEST_ORDERS, []) if n != order.number]
    session[GUEST_ORDERS] = [*kept[-9:], order.number]


def order_url(order: Order, **args: Any) -> str:
    """The order's page; a guest's carries the signed token that opens it."""
    if order.user_id is None:
        args["access"] = access_token(order)
    return url_for("orders.detail", number=order.number, **args)


def _find(number: str) -> Order | None:
    number = number[:20]
    token = request.args.get("access", "")
    if token:
        return order_from_token(number, token[:200])
    if current_user.is_authenticated:
        try:
            return orders.get_order_for_user(number, current_user.id)
        except OrderNotFoundError:
            pass
    if number.strip().upper() in session.get(GUEST_ORDERS, []):
        order = orders.get_order(number)
        if order.user_id is None:
            return order
    if current_user.is_authenticated:
        raise OrderNotFoundError()
    return None


@bp.get("/orders", endpoint="list")
@login_required
def order_list() -> Response:
    page = page_number(request.args.get("page"))
    return render("orders/list.html", orders=orders.list_orders(current_user.id, page=page))


@bp.get("/orders/<number>")
def detail(number: str) -> Response:
    order = _find(number)
    if order is None:
        return login_manager.unauthorized()
    if htmx_target() == "payment-status" and not order.awaiting_payment:
        # The payment settled while the page waited: show the whole page afresh.
        response = Response("", 200)
        response.headers["HX-Refresh"] = "true"
        return response
    return _detail_page(order)


def _order_or_login(number: str) -> Order:
    order = _find(number)
    if order is None:
        abort(login_manager.unauthorized())
    return order


def _detail_page(order: Order, status: int = 200, **extra: Any) -> Response:
    response = render(
        "orders/detail.html",
        BLOCKS,
        status=status,
        order=order,
        payments=payments_of_order(order.id),
        returns=returns.returns_of(order.id),
        documents=documents_of(order.id),
        can_return=returns.can_return(order),
        returnable=returns.returnable(order) if order.status in returns.RETURNABLE_STATUSES else {},
        return_closes=returns.window_closes(order),
        return_form=extra.pop("return_form", None) or ReturnForm(formdata=None),
        placed=request.args.get("placed") == "1",
        returned_from_card=request.args.get("paid") == "1",
        card_cancelled=request.args.get("card") == "cancelled",
        card_enabled=card_payments_enabled(),
        self_url=order_url(order),
        # The products as they are now, for pictures and links (one query).
        order_products=products_by_id(line.product_id for line in order.lines),
        **extra,
    )
    if order.awaiting_payment:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/orders/<number>/cancel")
def cancel(number: str) -> Response:
    """The shopper cancels before it ships: stock and money back in the same transaction."""
    order = _order_or_login(number)
    if not CancelForm().validate():
        abort(400)
    try:
        cancel_by_shopper(order, user_id=current_user.id if current_user.is_authenticated else None)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _detail_page(
            orders.get_order(order.number), error.status_code, error=public_message(error)
        )
    flash("Your order is cancelled. Any money you paid is on its way back.", "success")
    return redirect_303(order_url(order))


@bp.post("/orders/<number>/returns")
def request_return(number: str) -> Response:
    order = _order_or_login(number)
    form = ReturnForm()
    quantities = form.quantities(request.form, [line.id for line in order.lines])
    if not form.validate() or quantities is None:
        if quantities is None:
            form.form_errors.append("Enter how many of each item you return, as a whole number.")
        return _detail_page(order, 422, return_form=form)
    try:
        returns.request_return(
            order,
            quantities,
            reason=form.reason.data,
            refund_to=form.refund_to.data,
            user_id=current_user.id if current_user.is_authenticated else None,
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _detail_page(
            orders.get_order(order.number),
            error.status_code,
            return_form=form,
            error=public_message(error),
        )
    flash("Your return is requested. We will e-mail you when it is approved.", "success")
    return redirect_303(order_url(order) + "#returns")


@bp.get("/orders/<number>/documents/<int:document_id>.pdf")
def document(number: str, document_id: int) -> Response:
    """An invoice or credit note of the shopper's order, as the PDF it was issued as."""
    order = _order_or_login(number)
    found = get_document(order.id, document_id)
    if found is None:
        abort(404)
    response = Response(found.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/orders/<number>/pay")
def pay(number: str) -> Response:
    """Pay an order still awaiting payment: the open Stripe page, or a new attempt."""
    from qkart.blueprints.checkout.routes import card_return_urls

    order = _find(number)
    if order is None:
        return login_manager.unauthorized()
    if not order.awaiting_payment or not card_payments_enabled():
        flash("This order does not need paying.", "info")
        return redirect_303(order_url(order))
    try:
        payment_id = checkout.retry_card_payment(order)
        db.session.commit()
        step = checkout.start_card_payment(order, payment_id, **card_return_urls(order))
        db.session.commit()
    except DomainError as error:
        db.session.commit()  # a failed attempt is kept, with its reason, for staff
        flash(public_message(error), "error")
        return redirect_303(order_url(order))
    return redirect_303(step.redirect_url or order_url(order))
