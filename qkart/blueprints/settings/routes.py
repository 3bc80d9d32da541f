"""Account settings: name, e-mail, password, two-factor, "Download my data", deletion."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, flash, request, url_for
from flask_login import current_user, login_required, login_user
from flask_login.config import COOKIE_NAME

from qkart.accounts import privacy, twofactor
from qkart.accounts import services as accounts
from qkart.accounts.tokens import InvalidTokenError
from qkart.blueprints.common import end_session
from qkart.blueprints.settings import bp
from qkart.blueprints.settings.forms import (
    ConfirmTwoFactorForm,
    DeleteAccountForm,
    DisableTwoFactorForm,
    EmailChangeForm,
    NameForm,
    PasswordChangeForm,
)
from qkart.core.db import utcnow
from qkart.core.errors import DomainError
from qkart.core.htmx import redirect_303, render
from qkart.extensions import db, limiter

# Every action that checks the current password shares one failed-attempt budget,
# so a hijacked session cannot guess the password through any of them.
password_checks = limiter.shared_limit(
    "5 per 15 minutes",
    scope="password-check",
    key_func=lambda: f"password-check:{current_user.id}",
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 422,
)


def _settings(status: int = 200, **forms: Any) -> Response:
    return render(
        "settings/settings.html",
        status=status,
        name_form=forms.get("name_form") or NameForm(formdata=None, name=current_user.name),
        email_form=forms.get("email_form") or EmailChangeForm(formdata=None),
        delete_form=forms.get("delete_form") or DeleteAccountForm(formdata=None),
    )


def _attach(form: Any, error: DomainError) -> None:
    """Undo the attempt and show the refusal beside the field it concerns."""
    db.session.rollback()
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))


@bp.get("/settings")
@login_required
def view() -> Response:
    return _settings()


@bp.post("/profile")
@login_required
def change_name() -> Response:
    form = NameForm()
    if not form.validate():
        return _settings(422, name_form=form)
    accounts.change_name(current_user, form.name.data)
    db.session.commit()
    flash("Your name is updated.", "success")
    return redirect_303(url_for(".view"))


@bp.post("/email")
@login_required
@password_checks
def change_email() -> Response:
    form = EmailChangeForm()
    if not form.validate():
        return _settings(422, email_form=form)
    try:
        accounts.request_email_change(current_user, form.new_email.data, form.password.data)
    except DomainError as error:
        if error.field == "email":
            error.field = "new_email"
        _attach(form, error)
        return _settings(error.status_code, email_form=form)
    db.session.commit()
    flash(
        f"Almost done: click the link we sent to {form.new_email.data} to switch to it. "
        f"Until then we keep using {current_user.email}.",
        "success",
    )
    return redirect_303(url_for(".view"))


@bp.get("/email/confirm/<token>")
def confirm_email(token: str) -> Response:
    try:
        user = accounts.confirm_email_change(token)
    except InvalidTokenError as error:
        db.session.rollback()
        return render(
            "auth/link_problem.html", status=400, message=str(error), expired=False, resend=""
        )
    except DomainError as error:
        db.session.rollback()
        return render(
            "auth/link_problem.html", status=409, message=str(error), expired=False, resend=""
        )
    db.session.commit()
    return render("auth/verified.html", user=user, newly=False, changed=True)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@password_checks
def change_password() -> Response:
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("settings/password.html", form=form, status=status)
    try:
        accounts.change_password(current_user, form.current_password.data, form.password.data)
    except DomainError as error:
        _attach(form, error)
        return render("settings/password.html", form=form, status=error.status_code)
    db.session.commit()
    # The session version moved on: keep this browser signed in, every other one is out.
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies
    login_user(current_user._get_current_object(), remember=remembered)
    flash("Your password is changed. Other devices have been logged out.", "success")
    return redirect_303(url_for(".view"))


# -- two-factor authentication -----------------------------------------------------


def _two_factor_page(form: Any = None, status: int = 200) -> Response:
    user = current_user
    enrolling = user.totp_secret is not None and not user.has_2fa
    return render(
        "settings/two_factor.html",
        status=status,
        enrolling=enrolling,
        qr=twofactor.qr_code_data_uri(user) if enrolling else None,
        secret=user.totp_secret if enrolling else None,
        otpauth=twofactor.provisioning_uri(user) if enrolling else None,
        confirm_form=form if enrolling and form else ConfirmTwoFactorForm(formdata=None),
        disable_form=form if user.has_2fa and form else DisableTwoFactorForm(formdata=None),
        codes_left=twofactor.recovery_codes_left(user) if user.has_2fa else 0,
    )


@bp.get("/two-factor")
@login_required
def two_factor() -> Response:
    return _two_factor_page()


@bp.post("/two-factor/setup")
@login_required
def start_two_factor() -> Response:
    try:
        twofactor.start_enrolment(current_user)
    except DomainError as error:
        flash(str(error), "info")
        return redirect_303(url_for(".two_factor"))
    db.session.commit()
    return redirect_303(url_for(".two_factor"))


@bp.post("/two-factor/confirm")
@login_required
@password_checks
def confirm_two_factor() -> Response:
    """Switch 2FA on (password and a first code) and show the recovery codes, once.

    The codes are answered to this POST directly, marked no-store, rather than
    carried to another page in the (readable) session cookie.
    """
    form = ConfirmTwoFactorForm()
    if not form.validate():
        return _two_factor_page(form, 422)
    try:
        codes = twofactor.confirm_enrolment(current_user, form.password.data, form.code.data)
    except DomainError as error:
        _attach(form, error)
        return _two_factor_page(form, 422)
    db.session.commit()
    response = render("settings/recovery_codes.html", codes=codes)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/two-factor/disable")
@login_required
@password_checks
def disable_two_factor() -> Response:
    form = DisableTwoFactorForm()
    if not form.validate():
        return _two_factor_page(form, 422)
    try:
        twofactor.disable(current_user, form.password.data, form.code.data)
    except twofactor.TwoFactorOffError:
        raise  # the error page says so (409); there is no form to show it beside
    except DomainError as error:
        _attach(form, error)
        return _two_factor_page(form, 422)
    db.session.commit()
    flash("Two-factor authentication is off.", "success")
    return redirect_303(url_for(".two_factor"))


# -- privacy -------------------------------------------------------------------


@bp.get("/export")
@login_required
def export() -> Response:
    """ "Download my data": a JSON file of everything the shop holds about the shopper."""
    data = privacy.export_data(current_user)
    body = json.dumps(data, indent=2, ensure_ascii=False)
    response = Response(body, mimetype="application/json")
    stamp = utcnow().strftime("%Y-%m-%d")
    response.headers["Content-Disposition"] = f'attachment; filename="qkart-my-data-{stamp}.json"'
    return response


@bp.post("/delete")
@login_required
@password_checks
def delete_account() -> Response:
    form = DeleteAccountForm()
    if not form.validate():
        return _settings(422, delete_form=form)
    try:
        privacy.delete_account(current_user, form.password.data, form.confirmation.data)
    except DomainError as error:
        _attach(form, error)
        return _settings(error.status_code, delete_form=form)
    db.session.commit()
    end_session()
    flash("Your account is deleted. Thank you for shopping with us.", "info")
    return redirect_303(url_for("shop.index"))
