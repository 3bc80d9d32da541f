"""Back-in-stock alerts: ask on a sold-out product's page, see and cancel them in the
account, stop them from the e-mailed link.

htmx swaps the product page's form for the answer; without JavaScript each POST is
answered by a 303 and a flash message.
"""

from __future__ import annotations

from flask import Response, abort, flash, has_request_context, request, url_for
from flask_login import current_user, login_required

from qkart.blueprints.common import commit_or_retry
from qkart.blueprints.stock_alerts import bp
from qkart.blueprints.stock_alerts.forms import ActionForm, AlertForm, VisitorAlertForm
from qkart.catalog import services as catalog
from qkart.catalog.errors import ProductNotFoundError
from qkart.catalog.models import Product
from qkart.core.errors import DomainError
from qkart.core.htmx import htmx_target, redirect_303, render
from qkart.extensions import csrf, db, limiter
from qkart.stock_alerts import services as stock_alerts
from qkart.stock_alerts.errors import NotSoldOutError

NOTIFY = "stock_alerts/_notify.html"
LIST_BLOCKS = {"stock-alerts": "alerts"}
# A visitor types any address: keep one browser from filling others' inboxes.
VISITOR_LIMIT = "10 per hour"


def _shopper() -> bool:
    return bool(current_user.is_authenticated)


def _form() -> AlertForm:
    return AlertForm() if _shopper() else VisitorAlertForm()


def _first_error(form: AlertForm) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "Please try again from the product page."


def _bad_request(message: str) -> Response:
    return render(
        "errors/error.html",
        status=422,
        code=422,
        title="We could not set that alert",
        hint="Go back to the product and use its form.",
        message=message,
    )


def _answer(product: Product, form: AlertForm, status: int, message: str = "") -> Response:
    """The form again (with errors) or the confirmation: a fragment for htmx, else the
    product page (422) or a 303 back to it with the news."""
    if htmx_target() == f"notify-{product.id}":
        return render(
            NOTIFY,
            status=status,
            oob=("_flash_oob.html",) if message else (),
            product=product,
            notify_form=form,
            notify_message=message,
            flash_message=message,
            flash_quiet=True,  # the block shows it; screen readers hear it once
        )
    if status >= 400:
        from qkart.blueprints.shop.reviews import product_page

        return product_page(product, status=status, notify_form=form)
    flash(message, "success")
    return redirect_303(url_for("shop.product", slug=product.slug))


@bp.post("/stock-alerts")
@limiter.limit(VISITOR_LIMIT, methods=["POST"], exempt_when=_shopper, scope="stock-alert")
def subscribe() -> Response:
    form = _form()
    product_id = form.product_id.data if form.product_id.validate(form) else None
    try:
        product = catalog.get_active_product(product_id) if product_id else None
    except ProductNotFoundError:
        product = None
    if product is None or product.is_retired:
        return _bad_request("That product could not be found.")
    if not form.validate():
        return _answer(product, form, 422)
    user = current_user if _shopper() else None
    email = getattr(form, "email", None)
    try:
        done = commit_or_retry(
            lambda: stock_alerts.subscribe(
                product, user=user, email=email.data if email is not None else ""
            )
        )
    except NotSoldOutError as error:
        db.session.rollback()
        if htmx_target() == f"notify-{product.id}":
            return render(NOTIFY, status=409, product=product, notify_error=str(error))
        flash(str(error), "info")
        return redirect_303(url_for("shop.product", slug=product.slug))
    except DomainError as error:
        db.session.rollback()
        if error.field == "email" and email is not None:
            email.errors = [*email.errors, str(error)]
            return _answer(product, form, error.status_code)
        return _bad_request(str(error))
    address = done.alert.email
    if done.created:
        message = f"Done: we will e-mail {address} when {product.name} is back in stock."
    else:
        message = f"You are already on the list: we will e-mail {address} when it is back."
    return _answer(product, form, 200, message)


# -- the shopper's alerts -----------------------------------------------------------


def _alerts_page() -> Response:
    response = render(
        "stock_alerts/alerts.html",
        LIST_BLOCKS,
        alerts=stock_alerts.pending_for_user(current_user.id),
        form=ActionForm(formdata=None),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/account/stock-alerts")
@login_required
def alerts() -> Response:
    return _alerts_page()


@bp.post("/account/stock-alerts/<int:alert_id>/cancel")
@login_required
def cancel(alert_id: int) -> Response:
    if not ActionForm().validate():
        abort(400, "This form has expired. Reload the page and try again.")
    alert = stock_alerts.cancel_for_user(current_user.id, alert_id)
    name = db.session.get(Product, alert.product_id)
    db.session.commit()
    message = f"We will not e-mail you about {name.name if name else 'that product'}."
    if htmx_target() == "stock-alerts":
        return render(
            "stock_alerts/alerts.html",
            LIST_BLOCKS,
            oob=("_flash_oob.html",),
            alerts=stock_alerts.pending_for_user(current_user.id),
            form=ActionForm(formdata=None),
            flash_message=message,
        )
    flash(message, "success")
    return redirect_303(url_for(".alerts"))


# -- the e-mailed link --------------------------------------------------------------


@bp.route("/stock-alerts/cancel/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> Response:
    """Asks before it acts (a link scanner must not cancel anything); mail programs'
    one-click unsubscribe (RFC 8058) posts ``List-Unsubscribe=One-Click`` without the
    page's CSRF token, and is honoured too."""
    token = token[:500]
    form = ActionForm()
    alert = stock_alerts.alert_of_token(token)
    done = False
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        if not one_click and not form.validate():
            abort(400, "This form has expired. Reload the page and try again.")
        stock_alerts.cancel_by_token(token)
        db.session.commit()
        done = True
    return render(
        "stock_alerts/unsubscribe.html", done=done, form=form, token=token, email=alert.email
    )


@bp.app_context_processor
def alert_context() -> dict[str, object]:
    """What the product page's form needs: an empty form, and whether the signed-in
    shopper already waits (one query, only on a sold-out product's page)."""
    if not has_request_context():  # e-mails rendered by jobs
        return {}

    def empty_form() -> AlertForm:
        return AlertForm(formdata=None) if _shopper() else VisitorAlertForm(formdata=None)

    def pending(product_id: int) -> bool:
        return _shopper() and stock_alerts.has_pending(current_user.id, product_id)

    return {"stock_alert_form": empty_form, "stock_alert_pending": pending}
