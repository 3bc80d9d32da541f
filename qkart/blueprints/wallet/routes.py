"""The wallet page: balance, ledger, and a top-up by card (when Stripe is configured)."""

from __future__ import annotations

from flask import Response, flash, request, url_for
from flask_login import current_user, login_required

from qkart.blueprints.common import page_number
from qkart.blueprints.wallet import bp
from qkart.blueprints.wallet.forms import TopUpForm
from qkart.core.errors import DomainError
from qkart.core.htmx import htmx_target, redirect_303, render
from qkart.core.money import Money
from qkart.core.shop import currency, setting_money
from qkart.core.web import public_message
from qkart.extensions import db
from qkart.payments import topups
from qkart.payments.gateway import card_payments_enabled
from qkart.payments.wallet import balance, wallet_page

BLOCKS = {"topup-status": "topup_status"}


def _page(form: TopUpForm | None = None, status: int = 200) -> Response:
    pending = topups.open_topups(current_user.id)
    if htmx_target() == "topup-status" and not pending:
        response = Response("", 200)
        response.headers["HX-Refresh"] = "true"  # the top-up landed: show the new balance
        return response
    response = render(
        "wallet/wallet.html",
        BLOCKS,
        status=status,
        entries=wallet_page(current_user.id, page_number(request.args.get("page"))),
        wallet_page_url=lambda n: url_for(".view", page=n),
        balance=balance(current_user.id),
        form=form or TopUpForm(formdata=None),
        card_enabled=card_payments_enabled(),
        pending=pending,
        limits=(setting_money("QKART_TOPUP_MIN"), setting_money("QKART_TOPUP_MAX")),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/wallet")
@login_required
def view() -> Response:
    return _page()


@bp.post("/wallet/top-up")
@login_required
def top_up() -> Response:
    """Buy store credit by card: Stripe's page now, the credit once Stripe confirms."""
    if not card_payments_enabled():
        flash("Top-ups by card are not available in this shop.", "info")
        return redirect_303(url_for(".view"))
    form = TopUpForm()
    if not form.validate():
        return _page(form, 422)
    payment = topups.create_topup(current_user.id, Money.from_major(form.amount.data, currency()))
    db.session.commit()
    back = url_for(".view", _external=True, topup=payment.id)
    try:
        step = topups.start_topup(
            payment, email=current_user.email, success_url=back, cancel_url=back
        )
        db.session.commit()
    except DomainError as error:
        db.session.commit()
        flash(public_message(error), "error")
        return redirect_303(url_for(".view"))
    return redirect_303(step.redirect_url or url_for(".view"))
