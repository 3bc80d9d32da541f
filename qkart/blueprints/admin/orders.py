"""Staff pages for orders: the list, one order, its next steps, refunds and returns.

Every action is one service call on the order's life cycle (``orders.lifecycle``,
``returns.services``); a race lost to the shopper or a webhook comes back as a
clear message, and a refund Stripe refuses leaves everything as it was.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, request, stream_with_context, url_for
from flask_login import current_user
from wtforms import SelectField, StringField, ValidationError
from wtforms.validators import Length, Optional

from qkart.audit.services import snapshot
from qkart.blueprints.admin import bp
from qkart.blueprints.admin.audit import audit
from qkart.blueprints.admin.forms import NoteForm, RefundForm, ShipForm
from qkart.blueprints.admin.guard import requires
from qkart.blueprints.common import page_number
from qkart.core.db import utcnow
from qkart.core.errors import DomainError
from qkart.core.forms import DayField, Form, choices
from qkart.core.htmx import redirect_303, render
from qkart.core.money import Money
from qkart.core.pagination import paginate
from qkart.core.shop import currency
from qkart.extensions import db
from qkart.invoices.services import documents_of
from qkart.orders import lifecycle
from qkart.orders import services as orders
from qkart.orders import staff as staff_orders
from qkart.orders.models import STATUS_LABELS, Order
from qkart.payments.models import METHOD_LABELS
from qkart.payments.services import payments_of_order, refunds_of_order
from qkart.returns import services as returns

# The buttons a status offers staff (target status -> label); "ship" has its own form.
NEXT_STEPS = {
    "placed": {"processing": "Start packing"},
    "paid": {"processing": "Start packing"},
    "processing": {},
    "shipped": {"out_for_delivery": "Out for delivery", "delivered": "Mark delivered"},
    "out_for_delivery": {"delivered": "Mark delivered"},
}
SHIPPABLE = ("paid", "processing")


class OrderFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(
        "Status", default="", choices=choices([("", "All"), *STATUS_LABELS.items()])
    )
    since = DayField("Placed from", validators=[Optional()])
    until = DayField("Placed until", validators=[Optional()])
    method = SelectField(
        "Paid with", default="", choices=choices([("", "Any way"), *METHOD_LABELS.items()])
    )
    customer = StringField(
        "Customer (name or e-mail contains)", validators=[Optional(), Length(max=100)]
    )

    def validate_until(self, field: DayField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("Choose a day on or after the first one.")


def _order_filter() -> tuple[OrderFilterForm, staff_orders.OrderFilter | None, dict[str, Any]]:
    """The filter form, the filter it asks for (None when invalid), and its URL args."""
    form = OrderFilterForm(request.args)
    if request.args and not form.validate():
        return form, None, {}
    query = staff_orders.OrderFilter(
        status=form.status.data or "",
        since=form.since.data,
        until=form.until.data,
        method=form.method.data or "",
        customer=" ".join((form.customer.data or "").split()),
    )
    keep: dict[str, Any] = {k: v for k, v in request.args.items() if k in form.data and v}
    return form, query, keep


@bp.get("/orders")
@requires("orders")
def order_list() -> Response:
    form, query, keep = _order_filter()
    stmt = staff_orders.order_query(query or staff_orders.OrderFilter())
    page = paginate(stmt, page_number(request.args.get("page")), 25)
    return render(
        "admin/orders.html",
        status=200 if query is not None else 422,
        form=form,
        orders=page,
        filtered=bool(keep),
        page_url=lambda n: url_for(".order_list", page=n, **keep),
        export_url=url_for(".order_export", **keep),
    )


@bp.get("/orders/export.csv")
@requires("orders")
def order_export() -> Response:
    """Every order the list's filter selects (all pages), streamed as CSV."""
    form, query, _ = _order_filter()
    if query is None:
        return render("admin/orders.html", status=422, form=form, orders=None, filtered=True)
    stmt = staff_orders.order_query(query)
    response = Response(
        stream_with_context(staff_orders.export_rows(stmt)), mimetype="text/csv; charset=utf-8"
    )
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/orders/<number>/packing-slip")
@requires("orders")
def packing_slip(number: str) -> Response:
    """A page to print and put in the parcel: what is in it and where it goes, no prices."""
    order = _order(number)
    return render("admin/packing_slip.html", order=order)


@bp.get("/orders/<number>/documents/<int:document_id>.pdf")
@requires("orders")
def order_document(number: str, document_id: int) -> Response:
    """The invoice or a credit note of the order, the PDF it was issued as."""
    from qkart.invoices.services import get_document

    found = get_document(_order(number).id, document_id)
    if found is None:
        abort(404)
    response = Response(found.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _page(order: Order, status: int = 200, error: str | None = None, **forms: Any) -> Response:
    return render(
        "admin/order.html",
        status=status,
        order=order,
        error=error,
        payments=payments_of_order(order.id),
        refunds=refunds_of_order(order.id),
        returns=returns.returns_of(order.id),
        documents=documents_of(order.id),
        next_steps=NEXT_STEPS.get(order.status, {}),
        shippable=order.status in SHIPPABLE,
        ship_form=forms.get("ship_form") or ShipForm(formdata=None),
        refund_form=forms.get("refund_form") or RefundForm(formdata=None),
        note_form=forms.get("note_form") or NoteForm(formdata=None),
    )


def _order(number: str) -> Order:
    return orders.get_order(number[:20])


WATCHED = ("status", "carrier", "tracking_number")


def _act(order: Order, action: Any, done: str, what: str, **forms: Any) -> Response:
    """Run one staff action, record it, commit, and come back (or say why not)."""
    before = snapshot(order, WATCHED)
    try:
        action()
        db.session.refresh(order)
        audit(what, order, summary=done, before=before, after=snapshot(order, WATCHED))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        # Staff may read a gateway's reason: it is theirs to act on.
        return _page(_order(order.number), error.status_code, error=str(error), **forms)
    flash(done, "success")
    return redirect_303(url_for(".order_detail", number=order.number))


@bp.get("/orders/<number>")
@requires("orders")
def order_detail(number: str) -> Response:
    return _page(_order(number))


@bp.post("/orders/<number>/status")
@requires("orders")
def move_order(number: str) -> Response:
    order = _order(number)
    target = request.form.get("status", "")
    if target not in NEXT_STEPS.get(order.status, {}) and target != "cancelled":
        return _page(order, 409, error="That step is not open to this order now. Reload the page.")
    actions = {
        "processing": lambda: lifecycle.start_packing(order, actor_id=current_user.id),
        "out_for_delivery": lambda: lifecycle.out_for_delivery(order, actor_id=current_user.id),
        "delivered": lambda: lifecycle.mark_delivered(order, actor_id=current_user.id),
        "cancelled": lambda: lifecycle.cancel_order(
            order, actor="staff", actor_id=current_user.id, note="Cancelled by the shop"
        ),
    }
    return _act(
        order, actions[target], f"Order {order.number}: {STATUS_LABELS[target]}.", "order.status"
    )


@bp.post("/orders/<number>/ship")
@requires("orders")
def ship(number: str) -> Response:
    order = _order(number)
    form = ShipForm()
    if not form.validate():
        return _page(order, 422, ship_form=form)
    return _act(
        order,
        lambda: lifecycle.ship_order(
            order,
            carrier=form.carrier.data,
            tracking_number=form.tracking_number.data,
            actor_id=current_user.id,
        ),
        f"Order {order.number} shipped; the shopper has the tracking number.",
        "order.ship",
        ship_form=form,
    )


@bp.post("/orders/<number>/refund")
@requires("refunds")
def refund(number: str) -> Response:
    order = _order(number)
    form = RefundForm()
    if not form.validate():
        return _page(order, 422, refund_form=form)
    amount = Money.from_major(form.amount.data, currency())
    return _act(
        order,
        lambda: lifecycle.refund_order(
            order,
            amount,
            reason=form.reason.data,
            actor="staff",
            actor_id=current_user.id,
            to_wallet=bool(form.to_wallet.data),
        ),
        f"Refunded {amount.format()}: {form.reason.data}",
        "order.refund",
        refund_form=form,
    )


@bp.post("/orders/<number>/returns/<int:return_id>/<action>")
@requires("orders")
def return_action(number: str, return_id: int, action: str) -> Response:
    order = _order(number)
    ret = returns.get_return(order.id, return_id)
    form = NoteForm()
    if not form.validate():
        return _page(order, 422, note_form=form)
    note = form.note.data or ""
    staff = current_user.id
    resellable = {line.id: f"resellable-{line.id}" in request.form for line in ret.lines}
    actions = {
        "approve": (lambda: returns.approve(ret, actor_id=staff, note=note), "Return approved."),
        "reject": (lambda: returns.reject(ret, actor_id=staff, note=note), "Return rejected."),
        "receive": (
            lambda: returns.receive(ret, resellable=resellable, actor_id=staff),
            "Return received; resellable items are back in stock.",
        ),
        "refund": (lambda: returns.refund(ret, actor_id=staff), "Return refunded."),
    }
    if action not in actions:
        abort(404)
    if action == "refund" and not current_user.can("refunds"):
        abort(403)  # deciding returns is order work; giving money back is refunds work
    run, done = actions[action]
    return _act(order, run, done, f"return.{action}", note_form=form)
