"""Register, log in (with the second factor when on), log out, verify, reset."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, login_url, login_user
from werkzeug.wrappers import Response as BaseResponse

from qkart.accounts import services as accounts
from qkart.accounts import twofactor
from qkart.accounts.errors import InvalidCredentialsError
from qkart.accounts.models import User
from qkart.accounts.tokens import ExpiredTokenError, InvalidTokenError
from qkart.audit import services as audit_log
from qkart.blueprints.auth import bp, throttle
from qkart.blueprints.auth.forms import (
    AcceptForm,
    AcceptInvitationForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    SecondFactorForm,
)
from qkart.blueprints.common import (
    CART_TOKEN_KEY,
    commit_or_retry,
    end_session,
    referrer_path,
    safe_next,
)
from qkart.cart.services import merge_carts
from qkart.core.db import utcnow
from qkart.core.errors import DomainError
from qkart.core.htmx import is_htmx, redirect_303, render
from qkart.core.mailbox import mailbox
from qkart.extensions import db, limiter, login_manager
from qkart.settings.services import setting

login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to continue."
login_manager.login_message_category = "info"

PENDING_2FA = "pending_2fa"
PENDING_2FA_LIFETIME = timedelta(minutes=5)
# Only failed attempts count towards the limits (a 422 answer); success costs nothing.
FAILED_ATTEMPTS = "5 per 15 minutes"
_failed = throttle.failed


def _pending_key() -> str:
    return f"2fa:{session.get(PENDING_2FA, {}).get('uid', request.remote_addr)}"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return accounts.load_session_user(session_id)


@login_manager.unauthorized_handler
def ask_to_log_in() -> BaseResponse:
    """Send a visitor to log in, and back here afterwards.

    After a GET they come back to the page itself; after a POST (say a session that
    ran out mid-form) to the page the form was on. htmx gets an ``HX-Redirect`` so
    the login page replaces the whole page instead of landing inside a fragment.
    """
    back = request.full_path.rstrip("?") if request.method == "GET" else referrer_path()
    target = login_url("auth.login", next_url=back) if back else url_for("auth.login")
    if is_htmx():
        response = Response("", status=401)
        response.headers["HX-Redirect"] = target
        return response
    flash(login_manager.login_message, "info")
    return redirect(target)


def start_session(user: User, *, remember: bool = False) -> None:
    """Log in on a fresh session (no fixation), keeping the visitor's cart.

    A member of staff's login goes into the audit log, with where it came from.
    """
    visitor_cart = session.get(CART_TOKEN_KEY)
    merge_carts(visitor_cart, user.id)
    session.clear()
    login_user(user, remember=remember)
    if user.is_staff:
        audit_log.record(
            "staff.login",
            actor_id=user.id,
            actor_email=user.email,
            ip=request.remote_addr or "",
            summary=f"Logged in ({user.role})",
        )


def _create_account(form: RegisterForm) -> User:
    user = accounts.register_user(form.name.data, form.email.data, form.password.data)
    accounts.send_verification(user)
    start_session(user)
    return user


def _registered(response: Response) -> bool:
    return response.status_code == 303


@bp.route("/register", methods=["GET", "POST"])
# New accounts per address: enough for a family behind one router, too few to farm.
@limiter.limit("5 per hour", methods=["POST"], deduct_when=_registered, scope="register")
@limiter.limit("30 per hour", methods=["POST"], scope="register-tries")
def register() -> Response:
    if current_user.is_authenticated:
        return redirect_303(url_for("account.overview"))
    form = RegisterForm()
    if not form.validate_on_submit():
        return render("auth/register.html", form=form, status=422 if form.is_submitted() else 200)
    try:
        user = commit_or_retry(lambda: _create_account(form))
    except DomainError as error:
        db.session.rollback()
        getattr(form, error.field or "email").errors.append(str(error))
        return render("auth/register.html", form=form, status=422)
    # The banner on every page asks to confirm the address; the welcome says hello only.
    flash(f"Welcome to {setting('QKART_SHOP_NAME')}, {user.first_name}!", "success")
    return redirect_303(safe_next(request.args.get("next"), url_for("shop.index")))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    throttle.PAIR_LIMIT,
    methods=["POST"],
    deduct_when=_failed,
    key_func=throttle.pair_key,
    scope="login-pair",
)
@limiter.limit(throttle.ADDRESS_LIMIT, methods=["POST"], deduct_when=_failed, scope="login-ip")
@limiter.limit(
    throttle.ACCOUNT_LIMIT,
    methods=["POST"],
    deduct_when=_failed,
    key_func=throttle.account_key,
    exempt_when=throttle.known_device,
    scope="login",
)
def login() -> Response:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect_303(safe_next(form.next.data, url_for("shop.index")))
    if not form.validate_on_submit():
        return render("auth/login.html", form=form, status=422 if form.is_submitted() else 200)
    try:
        user = accounts.authenticate(form.email.data, form.password.data)
    except InvalidCredentialsError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return render("auth/login.html", form=form, status=422)
    target = safe_next(form.next.data, url_for("shop.index"))
    if user.has_2fa:
        db.session.commit()  # a rehashed password is kept either way
        session[PENDING_2FA] = {
            "uid": user.id,
            "remember": bool(form.remember.data),
            "next": target,
            "at": utcnow().timestamp(),
        }
        return redirect_303(url_for(".second_factor"))
    start_session(user, remember=bool(form.remember.data))
    db.session.commit()
    flash(f"Welcome back, {user.first_name}.", "success")
    return throttle.remember_device(redirect_303(target), user.email)


def _pending_user() -> tuple[User, dict] | None:
    pending = session.get(PENDING_2FA)
    if not isinstance(pending, dict):
        return None
    age = utcnow().timestamp() - float(pending.get("at", 0))
    user = db.session.get(User, pending.get("uid")) if isinstance(pending.get("uid"), int) else None
    if age > PENDING_2FA_LIFETIME.total_seconds() or user is None or not user.has_2fa:
        session.pop(PENDING_2FA, None)
        return None
    return user, pending


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(
    FAILED_ATTEMPTS, methods=["POST"], deduct_when=_failed, key_func=_pending_key, scope="2fa"
)
def second_factor() -> Response:
    """The second step of a login for accounts with two-factor authentication on."""
    found = _pending_user()
    if found is None:
        flash("Please log in again.", "info")
        return redirect_303(url_for(".login"))
    user, pending = found
    form = SecondFactorForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("auth/second_factor.html", form=form, status=status)
    if not twofactor.check_second_factor(user, form.code.data):
        db.session.rollback()
        form.code.errors.append(
            "That code was used already. Wait for the next one in your app (it changes "
            "every 30 seconds)."
            if twofactor.was_used_already(user, form.code.data)
            else "That code is not right. Check your app and try again."
        )
        return render("auth/second_factor.html", form=form, status=422)
    start_session(user, remember=bool(pending.get("remember")))
    db.session.commit()
    flash(f"Welcome back, {user.first_name}.", "success")
    left = twofactor.recovery_codes_left(user)
    if left <= 3:
        flash(
            f"You have {left} recovery codes left. Turn 2FA off and on to get new ones.", "warning"
        )
    target = safe_next(pending.get("next"), url_for("shop.index"))
    return throttle.remember_device(redirect_303(target), user.email)


@bp.post("/logout")
def logout() -> Response:
    """End this session on the server too: a copied session or remember-me cookie
    carries the old session version, so it stops opening the account (every device
    is logged out, as the shopper would expect from a shared computer)."""
    if current_user.is_authenticated:
        accounts.bump_session_version(current_user)
        db.session.commit()
    end_session()
    flash("You have been logged out.", "info")
    return redirect_303(url_for("shop.index"))


def _link_problem(error: InvalidTokenError, *, resend: str) -> Response:
    return render(
        "auth/link_problem.html",
        status=error.status_code,
        message=str(error),
        expired=isinstance(error, ExpiredTokenError),
        resend=resend,
    )


@bp.get("/verify-email/<token>")
def verify_email(token: str) -> Response:
    try:
        user, newly = accounts.verify_email(token)
    except InvalidTokenError as error:
        db.session.rollback()
        return _link_problem(error, resend="verify")
    db.session.commit()
    return render("auth/verified.html", user=user, newly=newly)


@bp.post("/verify-email/resend")
@login_required
@limiter.limit("3 per hour", key_func=lambda: f"resend:{current_user.id}")
def resend_verification() -> Response:
    if current_user.is_verified:
        flash("Your e-mail address is already confirmed.", "info")
    else:
        accounts.send_verification(current_user)
        db.session.commit()
        flash(f"We sent a new confirmation link to {current_user.email}.", "success")
    return redirect_303(url_for("account.overview"))


def _email_key() -> str:
    """One inbox, however the address is spelled (``me+1@``, ``me+2@``...)."""
    return "forgot:" + mailbox(request.form.get("email", ""))[:254]


@bp.route("/forgot-password", methods=["GET", "POST"])
# Each request queues an e-mail: a few per inbox, a few more per address, no flood.
@limiter.limit("3 per hour", methods=["POST"], key_func=_email_key, scope="forgot")
@limiter.limit("10 per hour", methods=["POST"], scope="forgot-ip")
def forgot_password() -> Response:
    """Always the same answer, whether or not the account exists (no account discovery)."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("auth/forgot_password.html", form=form, status=status)
    accounts.request_password_reset(form.email.data)
    db.session.commit()
    return render("auth/forgot_password_sent.html", email=form.email.data)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response:
    form = ResetPasswordForm()
    try:
        accounts.read_token(accounts.tokens.RESET_PASSWORD, token)
    except InvalidTokenError as error:
        return _link_problem(error, resend="reset")
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("auth/reset_password.html", form=form, token=token, status=status)
    accounts.reset_password(token, form.password.data)
    db.session.commit()
    end_session()
    flash(
        "Your password is changed and you are logged out everywhere. Log in with it now.", "success"
    )
    return redirect_303(url_for(".login"))


@bp.route("/staff/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response:
    """Join the staff from an invitation: a new account, or the one with that address."""
    from qkart.accounts import staff

    token = token[:500]
    try:
        invitation = staff.read_invitation(token)
    except InvalidTokenError as error:
        return _link_problem(error, resend="")
    has_account = accounts.find_user_by_email(invitation.email) is not None
    form = AcceptForm() if has_account else AcceptInvitationForm()
    me = current_user if current_user.is_authenticated else None
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render(
            "auth/invitation.html",
            status=status,
            form=form,
            invitation=invitation,
            has_account=has_account,
            token=token,
        )
    try:
        user = staff.accept(
            token,
            name=getattr(form, "name", None) and form.name.data,
            password=getattr(form, "password", None) and form.password.data,
            current=me,
        )
        if me is None:
            start_session(user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect_303(url_for(".login", next=request.path))
    flash(f"Welcome to the staff. You are {user.role}.", "success")
    return redirect_303(url_for("admin.dashboard"))
