"""Staff pages for customers (list, page, wallet, block, verification) and staff members
(invitations and roles, owner only)."""

from __future__ import annotations

from flask import Response, flash, request, url_for
from flask_login import current_user

from qkart.accounts import addresses as address_book
from qkart.accounts import services as accounts
from qkart.accounts import staff
from qkart.audit.services import snapshot
from qkart.blueprints.admin import bp
from qkart.blueprints.admin.audit import audit
from qkart.blueprints.admin.forms import InviteForm, RoleForm, WalletAdjustForm
from qkart.blueprints.admin.guard import requires
from qkart.blueprints.common import page_number
from qkart.core.errors import DomainError
from qkart.core.htmx import redirect_303, render
from qkart.core.money import Money
from qkart.core.shop import currency
from qkart.extensions import db
from qkart.orders import services as orders
from qkart.payments import wallet


@bp.get("/customers")
@requires("customers")
def customer_list() -> Response:
    q = " ".join(request.args.get("q", "").split())[:100]
    found = staff.customers_page(q, page_number(request.args.get("page")))
    return render(
        "admin/customers.html",
        q=q,
        customers=found,
        page_url=lambda n: url_for(".customer_list", q=q or None, page=n),
    )


def _customer_page(
    user_id: int, status: int = 200, form: WalletAdjustForm | None = None
) -> Response:
    user = staff.get_user(user_id)
    return render(
        "admin/customer.html",
        status=status,
        customer=user,
        orders=orders.list_orders(user.id, per_page=20).items,
        lifetime=orders.lifetime_value(user.id, currency()),
        addresses=address_book.list_addresses(user.id),
        balance=wallet.balance(user.id),
        ledger=wallet.wallet_entries(user.id, limit=20),
        wallet_form=form or WalletAdjustForm(formdata=None),
    )


@bp.get("/customers/<int:user_id>")
@requires("customers")
def customer_detail(user_id: int) -> Response:
    return _customer_page(user_id)


@bp.post("/customers/<int:user_id>/wallet")
@requires("customers")
def customer_wallet(user_id: int) -> Response:
    """Credit or debit a customer's store credit, with a reason in their ledger."""
    user = staff.get_user(user_id)
    form = WalletAdjustForm()
    if not form.validate():
        return _customer_page(user_id, 422, form)
    amount = Money.from_major(form.amount.data, currency())
    before = wallet.balance(user.id).amount
    try:
        change = wallet.credit_wallet if form.direction.data == "credit" else wallet.debit_wallet
        change(user.id, amount, kind="adjustment", description=form.reason.data)
        audit(
            f"customer.wallet.{form.direction.data}",
            user,
            summary=form.reason.data,
            before={"balance": before},
            after={"balance": wallet.balance(user.id).amount},
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        form.amount.errors = [*form.amount.errors, str(error)]
        return _customer_page(user_id, error.status_code, form)
    flash("The wallet is updated.", "success")
    return redirect_303(url_for(".customer_detail", user_id=user_id))


@bp.post("/customers/<int:user_id>/block")
@requires("customers")
def customer_block(user_id: int) -> Response:
    user = staff.get_user(user_id)
    block = request.form.get("block") == "1"
    try:
        staff.set_blocked(user, block)
        audit("customer.block" if block else "customer.unblock", user, after={"blocked": block})
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect_303(url_for(".customer_detail", user_id=user_id))
    flash(
        "Account blocked: it is logged out and cannot order." if block else "Account unblocked.",
        "success",
    )
    return redirect_303(url_for(".customer_detail", user_id=user_id))


@bp.post("/customers/<int:user_id>/verify")
@requires("customers")
def customer_verify(user_id: int) -> Response:
    user = staff.get_user(user_id)
    if user.is_verified:
        flash("This address is already confirmed.", "info")
    else:
        accounts.send_verification(user)
        audit("customer.verification.resend", user)
        db.session.commit()
        flash(f"A new confirmation link is on its way to {user.email}.", "success")
    return redirect_303(url_for(".customer_detail", user_id=user_id))


# -- staff members: owner only -------------------------------------------------------


def _staff_page(status: int = 200, form: InviteForm | None = None) -> Response:
    return render(
        "admin/staff.html",
        status=status,
        members=staff.staff_members(),
        invitations=staff.open_invitations(),
        form=form or InviteForm(formdata=None),
        role_form=RoleForm(formdata=None),
    )


@bp.get("/staff")
@requires("staff")
def staff_list() -> Response:
    return _staff_page()


@bp.post("/staff/invite")
@requires("staff")
def staff_invite() -> Response:
    form = InviteForm()
    if not form.validate():
        return _staff_page(422, form)
    try:
        address = accounts.check_email(form.email.data)
        invitation = staff.invite(address, form.role.data, by=current_user)
        audit("staff.invite", invitation, after={"email": address, "role": form.role.data})
        db.session.commit()
    except ValueError:
        form.email.errors = [*form.email.errors, "Enter an e-mail address like name@example.com."]
        return _staff_page(422, form)
    except DomainError as error:
        db.session.rollback()
        form.email.errors = [*form.email.errors, str(error)]
        return _staff_page(error.status_code, form)
    flash(f"Invitation sent to {address}.", "success")
    return redirect_303(url_for(".staff_list"))


@bp.post("/staff/<int:user_id>/role")
@requires("staff")
def staff_role(user_id: int) -> Response:
    user = staff.get_user(user_id)
    form = RoleForm()
    if not form.validate():
        return _staff_page(422)
    before = snapshot(user, ("role",))
    try:
        staff.set_role(user, form.role.data, by=current_user)
        audit("staff.role", user, before=before, after=snapshot(user, ("role",)))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect_303(url_for(".staff_list"))
    flash(f"{user.name} is now {form.role.data}.", "success")
    return redirect_303(url_for(".staff_list"))


@bp.post("/staff/invitations/<int:invitation_id>/revoke")
@requires("staff")
def staff_revoke(invitation_id: int) -> Response:
    staff.revoke(invitation_id)
    audit("staff.invitation.revoke", None, summary=f"invitation {invitation_id}")
    db.session.commit()
    flash("Invitation withdrawn.", "success")
    return redirect_303(url_for(".staff_list"))
