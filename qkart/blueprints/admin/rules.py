"""Staff pages for the rules checkout follows: delivery options, tax rates, promo codes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import Response, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select

from qkart.audit.services import snapshot
from qkart.blueprints.admin import bp
from qkart.blueprints.admin.audit import audit
from qkart.blueprints.admin.forms import (
    CouponForm,
    ShippingMethodForm,
    ShippingRateForm,
    TaxRateForm,
)
from qkart.blueprints.admin.guard import requires
from qkart.catalog.models import Category
from qkart.catalog.services import list_categories
from qkart.core.errors import DomainError
from qkart.core.forms import choices
from qkart.core.htmx import redirect_303, render
from qkart.core.money import Money
from qkart.core.shop import currency
from qkart.coupons import services as coupons
from qkart.extensions import db
from qkart.pricing import services as pricing
from qkart.shipping import services as shipping


def _minor(value: Decimal | None) -> int | None:
    return Money.from_major(value, currency()).amount if value is not None else None


def _refuse(form: Any, error: DomainError) -> None:
    db.session.rollback()
    field = getattr(form, error.field or "", None)
    (field.errors if field is not None else form.form_errors).append(str(error))


# -- delivery options ---------------------------------------------------------------


def _shipping_page(form: ShippingMethodForm | None = None, status: int = 200) -> Response:
    return render(
        "admin/shipping.html",
        status=status,
        methods=shipping.all_methods(),
        form=form or ShippingMethodForm(formdata=None),
    )


def _method_fields(form: ShippingMethodForm) -> dict[str, object]:
    return {
        "code": form.code.data,
        "name": form.name.data,
        "description": form.description.data or "",
        "kind": form.kind.data,
        "basis": form.basis.data,
        "min_days": form.min_days.data,
        "max_days": form.max_days.data,
        "free_over": _minor(form.free_over.data),
        "position": form.position.data,
        "is_active": bool(form.is_active.data),
    }


@bp.route("/shipping", methods=["GET", "POST"])
@requires("settings")
def shipping_methods() -> Response:
    form = ShippingMethodForm()
    if not form.validate_on_submit():
        return _shipping_page(form, 422 if form.is_submitted() else 200)
    try:
        method = shipping.save_method(None, _method_fields(form))
    except DomainError as error:
        _refuse(form, error)
        return _shipping_page(form, 422)
    audit("shipping.method.create", method, after=snapshot(method, shipping.METHOD_FIELDS))
    db.session.commit()
    flash(f"{method.name} added. Give it a rate so shoppers can choose it.", "success")
    return redirect_303(url_for(".shipping_method", method_id=method.id))


def _method_page(
    method: Any, form: Any = None, rate_form: Any = None, status: int = 200
) -> Response:
    if form is None:
        form = ShippingMethodForm(formdata=None, obj=method)
        form.free_over.data = (
            Money(method.free_over, currency()).major if method.free_over else None
        )
    return render(
        "admin/shipping_method.html",
        status=status,
        method=method,
        form=form,
        rate_form=rate_form or ShippingRateForm(formdata=None),
    )


@bp.route("/shipping/<int:method_id>", methods=["GET", "POST"])
@requires("settings")
def shipping_method(method_id: int) -> Response:
    method = shipping.get_method(method_id)
    form = ShippingMethodForm()
    if not form.validate_on_submit():
        return _method_page(
            method,
            form if form.is_submitted() else None,
            status=422 if form.is_submitted() else 200,
        )
    before = snapshot(method, shipping.METHOD_FIELDS)
    try:
        shipping.save_method(method, _method_fields(form))
        after = snapshot(method, shipping.METHOD_FIELDS)
        audit("shipping.method.update", method, before=before, after=after)
    except DomainError as error:
        _refuse(form, error)
        return _method_page(shipping.get_method(method_id), form, status=422)
    db.session.commit()
    flash("Delivery option saved.", "success")
    return redirect_303(url_for(".shipping_method", method_id=method_id))


@bp.post("/shipping/<int:method_id>/rates")
@requires("settings")
def add_shipping_rate(method_id: int) -> Response:
    method = shipping.get_method(method_id)
    form = ShippingRateForm()
    if not form.validate():
        return _method_page(method, rate_form=form, status=422)
    start = form.from_amount.data
    if method.basis == "weight" and start != start.to_integral_value():
        form.from_amount.errors.append("Weights are whole grams.")
        return _method_page(method, rate_form=form, status=422)
    from_amount = int(start) if method.basis == "weight" else _minor(start)
    try:
        audit(
            "shipping.rate.create",
            method,
            after={"country": form.country.data, "from": from_amount, "price": form.price.data},
        )
        shipping.add_rate(
            method,
            country=form.country.data,
            from_amount=from_amount or 0,
            price=_minor(form.price.data) or 0,
        )
    except DomainError as error:
        _refuse(form, error)
        return _method_page(shipping.get_method(method_id), rate_form=form, status=422)
    db.session.commit()
    flash("Rate added.", "success")
    return redirect_303(url_for(".shipping_method", method_id=method_id))


@bp.post("/shipping/<int:method_id>/rates/<int:rate_id>/delete")
@requires("settings")
def delete_shipping_rate(method_id: int, rate_id: int) -> Response:
    method = shipping.get_method(method_id)
    gone = [r for r in method.rates if r.id == rate_id]
    shipping.delete_rate(method, rate_id)
    if gone:
        audit(
            "shipping.rate.delete",
            method,
            before=snapshot(gone[0], ("country", "from_amount", "price")),
            after={},
        )
    db.session.commit()
    flash("Rate removed.", "success")
    return redirect_303(url_for(".shipping_method", method_id=method_id))


# -- tax rates ----------------------------------------------------------------------


def _taxes_page(form: TaxRateForm | None = None, status: int = 200) -> Response:
    return render(
        "admin/taxes.html",
        status=status,
        rates=pricing.all_rates(),
        form=form or TaxRateForm(formdata=None),
    )


@bp.route("/taxes", methods=["GET", "POST"])
@requires("settings")
def tax_rates() -> Response:
    form = TaxRateForm()
    if not form.validate_on_submit():
        return _taxes_page(form, 422 if form.is_submitted() else 200)
    fields = ("country", "tax_class", "rate", "label")
    existing = pricing.find_rate(form.country.data, form.tax_class.data)
    before = snapshot(existing, fields) if existing is not None else None
    row = pricing.set_rate(form.country.data, form.tax_class.data, form.rate.data, form.label.data)
    audit("tax.rate.set", row, before=before, after=snapshot(row, fields))
    db.session.commit()
    flash("Tax rate saved.", "success")
    return redirect_303(url_for(".tax_rates"))


@bp.post("/taxes/<int:rate_id>/delete")
@requires("settings")
def delete_tax_rate(rate_id: int) -> Response:
    row = pricing.get_rate(rate_id)
    if row is not None:
        audit(
            "tax.rate.delete", row, before=snapshot(row, ("country", "tax_class", "rate")), after={}
        )
        pricing.delete_rate(rate_id)
    db.session.commit()
    flash("Tax rate removed.", "success")
    return redirect_303(url_for(".tax_rates"))


# -- promo codes ----------------------------------------------------------------------


def _coupon_form(**kwargs: Any) -> CouponForm:
    form = CouponForm(**kwargs)
    form.categories.choices = choices([(str(c.id), c.name) for c in list_categories()])
    return form


def _coupons_page(form: CouponForm | None = None, status: int = 200) -> Response:
    return render(
        "admin/coupons.html",
        status=status,
        coupons=coupons.all_coupons(),
        usage=coupons.revenue_by_coupon(),
        form=form or _coupon_form(formdata=None),
    )


def _midnight(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def _coupon_fields(form: CouponForm) -> dict[str, object] | None:
    percent = form.kind.data == "percent"
    if percent and form.value.data > 100:
        form.value.errors.append("A percentage is at most 100.")
        return None
    return {
        "description": form.description.data or "",
        "kind": form.kind.data,
        "percent": form.value.data if percent else None,
        "amount": None if percent else _minor(form.value.data),
        "min_order": _minor(form.min_order.data) or 0,
        "starts_at": _midnight(form.starts_at.data),
        "ends_at": _midnight(form.ends_at.data),
        "usage_limit": form.usage_limit.data,
        "per_customer_limit": form.per_customer_limit.data,
        "first_order_only": bool(form.first_order_only.data),
        "is_active": bool(form.is_active.data),
    }


def _save_coupon(form: CouponForm, coupon: Any) -> Any:
    fields = _coupon_fields(form)
    if fields is None:
        return None
    picked = db.session.scalars(
        select(Category).where(Category.id.in_(form.categories.data or []))
    ).all()
    try:
        return coupons.save_coupon(coupon, form.code.data, fields, picked)
    except DomainError as error:
        _refuse(form, error)
        return None


@bp.route("/coupons", methods=["GET", "POST"])
@requires("coupons")
def coupon_list() -> Response:
    form = _coupon_form()
    if not form.validate_on_submit():
        return _coupons_page(form, 422 if form.is_submitted() else 200)
    saved = _save_coupon(form, None)
    if saved is None:
        return _coupons_page(form, 422)
    audit("coupon.create", saved, after=snapshot(saved, ("code", *coupons.COUPON_FIELDS)))
    db.session.commit()
    flash(f"Promo code {saved.code} created.", "success")
    return redirect_303(url_for(".coupon_list"))


def _form_for(coupon: Any) -> CouponForm:
    form = _coupon_form(formdata=None, obj=coupon)
    form.value.data = (
        coupon.percent if coupon.kind == "percent" else Money(coupon.amount or 0, currency()).major
    )
    form.min_order.data = Money(coupon.min_order, currency()).major if coupon.min_order else None
    form.starts_at.data = coupon.starts_at.date() if coupon.starts_at else None
    form.ends_at.data = coupon.ends_at.date() if coupon.ends_at else None
    form.categories.data = [c.id for c in coupon.categories]
    return form


@bp.route("/coupons/<int:coupon_id>", methods=["GET", "POST"])
@requires("coupons")
def coupon_edit(coupon_id: int) -> Response:
    coupon = coupons.get_coupon(coupon_id)
    form = _coupon_form()
    if not form.is_submitted():
        form = _form_for(coupon)
    elif form.validate():
        before = snapshot(coupon, ("code", *coupons.COUPON_FIELDS))
        if _save_coupon(form, coupon) is None:
            return render("admin/coupon.html", status=422, coupon=coupon, form=form)
        after = snapshot(coupon, ("code", *coupons.COUPON_FIELDS))
        audit("coupon.update", coupon, before=before, after=after)
        db.session.commit()
        flash("Promo code saved.", "success")
        return redirect_303(url_for(".coupon_list"))
    status = 422 if form.is_submitted() else 200
    return render("admin/coupon.html", status=status, coupon=coupon, form=form)


# -- shop settings --------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@requires("settings")
def shop_settings() -> Response:
    """The settings staff own (stored in the database; every change audited)."""
    from qkart.accounts.services import check_email
    from qkart.blueprints.admin.forms import SettingsForm
    from qkart.settings import services as settings

    if request.method == "GET":
        form = SettingsForm(formdata=None, data=settings.current())
        return render("admin/settings.html", form=form)
    form = SettingsForm()
    valid = form.validate()
    if valid:
        try:
            form.QKART_CONTACT_EMAIL.data = check_email(form.QKART_CONTACT_EMAIL.data)
        except ValueError:
            form.QKART_CONTACT_EMAIL.errors = ["Enter an e-mail address like shop@example.com."]
            valid = False
    if not valid:
        return render("admin/settings.html", status=422, form=form)
    values = {name: getattr(form, name).data for name in settings.EDITABLE}
    values["QKART_PRICES_INCLUDE_TAX"] = bool(values["QKART_PRICES_INCLUDE_TAX"])
    changed = settings.save(values, actor_id=current_user.id)
    if changed:
        audit(
            "settings.update",
            None,
            before={k: b for k, (b, _) in changed.items()},
            after={k: a for k, (_, a) in changed.items()},
        )
    db.session.commit()
    flash("Settings saved." if changed else "Nothing changed.", "success")
    return redirect_303(url_for(".shop_settings"))
