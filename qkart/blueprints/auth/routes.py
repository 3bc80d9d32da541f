"""Register, log in, log out."""

from __future__ import annotations

from flask import Response, current_app, flash, request, session, url_for
from flask_login import current_user, login_user, logout_user

from qkart.accounts import services as accounts
from qkart.accounts.errors import InvalidCredentialsError
from qkart.accounts.models import User
from qkart.blueprints.auth import bp
from qkart.blueprints.auth.forms import LoginForm, RegisterForm
from qkart.blueprints.common import CART_TOKEN_KEY, safe_next
from qkart.cart.services import merge_carts
from qkart.core.errors import DomainError
from qkart.core.htmx import redirect_303, render
from qkart.extensions import db, login_manager

login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to continue."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return accounts.load_session_user(session_id)


def start_session(user: User, *, remember: bool = False) -> None:
    """Log in on a fresh session (no fixation), keeping the visitor's cart."""
    visitor_cart = session.get(CART_TOKEN_KEY)
    merge_carts(visitor_cart, user.id)
    session.clear()
    login_user(user, remember=remember)
    session.permanent = remember


@bp.route("/register", methods=["GET", "POST"])
def register() -> Response:
    if current_user.is_authenticated:
        return redirect_303(url_for("account.overview"))
    form = RegisterForm()
    if not form.validate_on_submit():
        return render("auth/register.html", form=form, status=422 if form.is_submitted() else 200)
    try:
        user = accounts.register_user(form.name.data, form.email.data, form.password.data)
        accounts.grant_welcome_credit(user)
    except DomainError as error:
        db.session.rollback()
        getattr(form, error.field or "email").errors.append(str(error))
        return render("auth/register.html", form=form, status=422)
    start_session(user)
    db.session.commit()
    flash(f"Welcome to {current_app.config['QKART_SHOP_NAME']}, {user.first_name}!", "success")
    return redirect_303(safe_next(request.args.get("next"), url_for("shop.index")))


@bp.route("/login", methods=["GET", "POST"])
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
    start_session(user, remember=bool(form.remember.data))
    db.session.commit()
    flash(f"Welcome back, {user.first_name}.", "success")
    return redirect_303(safe_next(form.next.data, url_for("shop.index")))


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    session.clear()
    flash("You have been logged out.", "info")
    return redirect_303(url_for("shop.index"))
