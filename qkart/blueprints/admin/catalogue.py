"""Staff pages for the catalogue: the product list (filters, bulk actions, quick price and
stock edits), a product's form with its pictures and stock history, and categories."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, request, url_for
from flask_login import current_user

from qkart.audit.services import snapshot
from qkart.blueprints.admin import bp
from qkart.blueprints.admin.audit import audit
from qkart.blueprints.admin.catalogue_forms import (
    AltForm,
    CategoryForm,
    ImageForm,
    ProductForm,
    StockForm,
    category_choices,
)
from qkart.blueprints.admin.guard import requires
from qkart.blueprints.common import page_number, safe_next
from qkart.catalog import management as catalogue
from qkart.catalog import uploads
from qkart.catalog.models import Category, Product
from qkart.core.errors import DomainError
from qkart.core.htmx import htmx_target, redirect_303, render
from qkart.core.money import Money
from qkart.core.shop import currency
from qkart.extensions import db
from qkart.settings.services import setting
from qkart.stock_alerts import services as stock_alerts

STATUSES = {
    "": "Published and drafts",
    "published": "Published",
    "draft": "Drafts",
    "retired": "Retired",
}
STOCK_FILTERS = {"": "Any stock", "low": "Running low", "out": "Out of stock"}
SORT_LABELS = {"name": "Name", "newest": "Newest", "price": "Price", "stock": "Stock"}


def _low_default() -> int:
    return int(setting("QKART_LOW_STOCK_DEFAULT") or 5)


def _filter() -> catalogue.ProductFilter:
    args = request.args
    raw_category = args.get("category", "")
    return catalogue.ProductFilter(
        q=" ".join(args.get("q", "").split())[:100],
        category_id=int(raw_category)
        if raw_category.isascii() and raw_category.isdigit() and len(raw_category) < 10
        else None,
        status=args.get("status", "") if args.get("status", "") in STATUSES else "",
        stock=args.get("stock", "") if args.get("stock", "") in STOCK_FILTERS else "",
        sort=args.get("sort", "name") if args.get("sort", "name") in SORT_LABELS else "name",
        page=page_number(args.get("page")),
    )


def _list_page(status: int = 200, error: str | None = None) -> Response:
    query = _filter()
    keep: dict[str, Any] = {
        k: v
        for k, v in request.args.items()
        if k in ("q", "category", "status", "stock", "sort") and v
    }
    return render(
        "admin/products.html",
        status=status,
        error=error,
        query=query,
        products=catalogue.product_list(query, _low_default()),
        categories=category_choices(),
        statuses=STATUSES,
        stock_filters=STOCK_FILTERS,
        sorts=SORT_LABELS,
        page_url=lambda n: url_for(".product_list", page=n, **keep),
        export_url=url_for(".product_export", **keep),
        back=request.full_path.rstrip("?"),
    )


@bp.get("/products")
@requires("catalogue")
def product_list() -> Response:
    return _list_page()


def _money_field(raw: str | None) -> int | None:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal((raw or "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value > 10**7:
        return None
    return Money.from_major(value, currency()).amount


def _quick_save(product: Product) -> str | None:
    """The row's price and stock inputs (``price-<id>``, ``stock-<id>``), if changed."""
    price_raw, stock_raw = (
        request.form.get(f"price-{product.id}"),
        request.form.get(f"stock-{product.id}"),
    )
    if price_raw is not None and price_raw.strip():
        price = _money_field(price_raw)
        if price is None:
            return f"{product.name}: enter a price like 19.99."
        if price != product.price:
            audit("product.price", product, before={"price": product.price}, after={"price": price})
            product.price = price
    if stock_raw is not None and stock_raw.strip():
        if not (
            stock_raw.strip().isascii()
            and stock_raw.strip().isdigit()
            and len(stock_raw.strip()) < 7
        ):
            return f"{product.name}: enter the stock as a whole number of 0 or more."
        before = product.stock
        if catalogue.set_stock(product, int(stock_raw), actor_id=current_user.id):
            audit(
                "product.stock", product, before={"stock": before}, after={"stock": int(stock_raw)}
            )
    return None


@bp.post("/products/<int:product_id>/quick")
@requires("catalogue")
def product_quick(product_id: int) -> Response:
    """One row's price or stock, saved as it is typed (htmx) or with the row's button."""
    product = catalogue.get_product(product_id)
    problem = _quick_save(product)
    if problem:
        db.session.rollback()
    else:
        db.session.commit()
    if htmx_target() == f"row-{product_id}":
        product = catalogue.get_product(product_id)
        return render(
            "admin/_product_row.html", status=422 if problem else 200, p=product, problem=problem
        )
    flash(problem or f"{product.name} saved.", "error" if problem else "success")
    # "back" comes from the form: only a path inside the shop, never another site.
    return redirect_303(safe_next(request.form.get("back"), url_for(".product_list")))


@bp.post("/products/bulk")
@requires("catalogue")
def product_bulk() -> Response:
    """The list's form: save typed prices and stock, or apply an action to ticked rows."""
    action = request.form.get("action", "")
    back = request.form.get("back", "")
    safe_back = back if back.startswith("/admin/products") else url_for(".product_list")
    if request.form.get("save"):
        ids = [
            int(k.split("-", 1)[1])
            for k in request.form
            if k.startswith("price-") and k[6:].isdigit() and len(k) < 16
        ]
        for product_id in ids:
            product = db.session.get(Product, product_id)
            problem = _quick_save(product) if product is not None else None
            if problem:
                db.session.rollback()
                return _list_page(422, problem)
        db.session.commit()
        flash("Prices and stock saved.", "success")
        return redirect_303(safe_back)
    raw_ids = request.form.getlist("ids")
    ids = [int(i) for i in raw_ids if i.isascii() and i.isdigit() and len(i) < 10]
    raw_category = request.form.get("category_id", "")
    category_id = (
        int(raw_category)
        if raw_category.isascii() and raw_category.isdigit() and len(raw_category) < 10
        else None
    )
    try:
        count = catalogue.bulk(ids, action, category_id)
        audit(f"product.bulk.{action}", None, summary=f"{count} product(s)", after={"ids": ids})
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _list_page(error.status_code, str(error))
    flash(f"{count} product{'s' if count != 1 else ''} changed.", "success")
    return redirect_303(safe_back)


def _fields(form: ProductForm, category: Category | None) -> dict[str, object]:
    attributes = {}
    for name in category.attributes if category else []:
        value = request.form.get(f"attr-{name}", "").strip()[:200]
        if value:
            attributes[name] = value
    return {
        "name": form.name.data.strip(),
        "slug": form.slug.data or "",
        "sku": form.sku.data,
        "description": form.description.data or "",
        "price": Money.from_major(form.price.data, currency()).amount,
        "compare_at_price": Money.from_major(form.compare_at_price.data, currency()).amount
        if form.compare_at_price.data is not None
        else None,
        "category_id": form.category_id.data,
        "brand": (form.brand.data or "").strip(),
        "tax_class": form.tax_class.data,
        "weight_grams": form.weight_grams.data or 0,
        "seo_title": form.seo_title.data or "",
        "seo_description": form.seo_description.data or "",
        "low_stock_threshold": form.low_stock_threshold.data,
        "is_active": bool(form.is_active.data),
        "attributes": attributes,
    }


def _product_page(
    product: Product | None, form: ProductForm, status: int = 200, **forms: Any
) -> Response:
    category = db.session.get(Category, form.category_id.data) if form.category_id.data else None
    if category is None and product is not None:
        category = db.session.get(Category, product.category_id)
    return render(
        "admin/product.html",
        status=status,
        product=product,
        form=form,
        category=category,
        attributes=request.form
        if request.method == "POST"
        else (product.attributes if product else {}),
        images=uploads.images_of(product.id) if product else [],
        movements=catalogue.movements(product.id) if product else [],
        waiting=stock_alerts.waiting_count(product.id) if product else 0,
        labels=catalogue.MOVEMENT_LABELS,
        image_form=forms.get("image_form") or ImageForm(formdata=None),
        stock_form=forms.get("stock_form") or StockForm(formdata=None),
        alt_form=AltForm(formdata=None),
    )


def _form_for(product: Product) -> ProductForm:
    form = ProductForm(formdata=None, obj=product)
    form.price.data = Money(product.price, currency()).major
    if product.compare_at_price is not None:
        form.compare_at_price.data = Money(product.compare_at_price, currency()).major
    return form


@bp.route("/products/new", methods=["GET", "POST"])
@requires("catalogue")
def product_new() -> Response:
    form = ProductForm()
    if not form.validate_on_submit():
        return _product_page(None, form, 422 if form.is_submitted() else 200)
    try:
        product = catalogue.save_product(
            None, _fields(form, db.session.get(Category, form.category_id.data))
        )
        audit("product.create", product, after=snapshot(product, catalogue.PRODUCT_FIELDS))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        getattr(form, error.field or "name").errors.append(str(error))
        return _product_page(None, form, error.status_code)
    flash(f"{product.name} created. Add its pictures and stock below.", "success")
    return redirect_303(url_for(".product_edit", product_id=product.id))


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@requires("catalogue")
def product_edit(product_id: int) -> Response:
    product = catalogue.get_product(product_id)
    if request.method == "GET":
        return _product_page(product, _form_for(product))
    form = ProductForm()
    if not form.validate():
        return _product_page(product, form, 422)
    before = snapshot(product, catalogue.PRODUCT_FIELDS)
    try:
        catalogue.save_product(
            product, _fields(form, db.session.get(Category, form.category_id.data))
        )
        audit(
            "product.update",
            product,
            before=before,
            after=snapshot(product, catalogue.PRODUCT_FIELDS),
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        getattr(form, error.field or "name").errors.append(str(error))
        return _product_page(catalogue.get_product(product_id), form, error.status_code)
    flash("Product saved.", "success")
    return redirect_303(url_for(".product_edit", product_id=product_id))


@bp.post("/products/<int:product_id>/stock")
@requires("stock")
def product_stock(product_id: int) -> Response:
    product = catalogue.get_product(product_id)
    form = StockForm()
    if not form.validate():
        return _product_page(product, _form_for(product), 422, stock_form=form)
    try:
        movement = catalogue.adjust_stock(
            product,
            form.delta.data,
            reason=form.reason.data,
            note=form.note.data or "",
            actor_id=current_user.id,
        )
        audit(
            "product.stock",
            product,
            summary=form.reason.data,
            after={"delta": movement.delta, "stock": movement.stock_after},
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        form.delta.errors = [*form.delta.errors, str(error)]
        product = catalogue.get_product(product_id)
        return _product_page(product, _form_for(product), error.status_code, stock_form=form)
    flash(f"Stock is now {movement.stock_after}.", "success")
    return redirect_303(url_for(".product_edit", product_id=product_id) + "#stock-title")


@bp.post("/products/<int:product_id>/images")
@requires("catalogue")
def product_image_add(product_id: int) -> Response:
    product = catalogue.get_product(product_id)
    form = ImageForm()
    if not form.validate():
        return _product_page(product, _form_for(product), 422, image_form=form)
    try:
        image = uploads.add_image(product, form.image.data.read(), alt=form.alt.data or "")
        audit("product.image.add", product, after={"image": image.id, "alt": image.alt})
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        form.image.errors = [*form.image.errors, str(error)]
        product = catalogue.get_product(product_id)
        return _product_page(product, _form_for(product), error.status_code, image_form=form)
    flash("Picture added.", "success")
    return redirect_303(url_for(".product_edit", product_id=product_id) + "#images-title")


@bp.post("/products/<int:product_id>/images/<int:image_id>/<action>")
@requires("catalogue")
def product_image_change(product_id: int, image_id: int, action: str) -> Response:
    product = catalogue.get_product(product_id)
    if action in ("up", "down"):
        uploads.move_image(product, image_id, action)
    elif action == "alt":
        form = AltForm()
        if not form.validate():
            abort(422)
        uploads.update_image(product, image_id, alt=form.alt.data or "")
    elif action == "delete":
        uploads.delete_image(product, image_id)
    else:
        abort(404)
    audit(f"product.image.{action}", product, after={"image": image_id})
    db.session.commit()
    flash("Pictures updated.", "success")
    return redirect_303(url_for(".product_edit", product_id=product_id) + "#images-title")


# -- categories ---------------------------------------------------------------------


def _categories_page(form: CategoryForm | None = None, status: int = 200) -> Response:
    return render(
        "admin/categories.html",
        status=status,
        tree=catalogue.category_tree(),
        form=form or CategoryForm(formdata=None),
    )


def _category_fields(form: CategoryForm) -> dict[str, object]:
    return {
        "name": form.name.data,
        "slug": form.slug.data or "",
        "parent_id": form.parent_id.data,
        "description": form.description.data or "",
        "attribute_names": form.attribute_names.data or "",
    }


@bp.route("/categories", methods=["GET", "POST"])
@requires("catalogue")
def category_list() -> Response:
    form = CategoryForm()
    if not form.validate_on_submit():
        return _categories_page(form, 422 if form.is_submitted() else 200)
    try:
        category = catalogue.save_category(None, _category_fields(form))
        audit("category.create", category, after=snapshot(category, ("name", "slug", "parent_id")))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        getattr(form, error.field or "name").errors.append(str(error))
        return _categories_page(form, error.status_code)
    flash(f"Category {category.name} added.", "success")
    return redirect_303(url_for(".category_list"))


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@requires("catalogue")
def category_edit(category_id: int) -> Response:
    category = db.session.get(Category, category_id) or abort(404)
    form = CategoryForm() if request.method == "POST" else CategoryForm(formdata=None, obj=category)
    if request.method == "POST" and form.validate():
        fields = ("name", "slug", "parent_id", "description", "attribute_names")
        before = snapshot(category, fields)
        try:
            catalogue.save_category(category, _category_fields(form))
            audit("category.update", category, before=before, after=snapshot(category, fields))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(str(error))
            return render(
                "admin/category.html",
                status=error.status_code,
                category=db.session.get(Category, category_id),
                form=form,
            )
        flash("Category saved.", "success")
        return redirect_303(url_for(".category_list"))
    status = 422 if request.method == "POST" else 200
    return render("admin/category.html", status=status, category=category, form=form)


@bp.post("/categories/<int:category_id>/move")
@requires("catalogue")
def category_move(category_id: int) -> Response:
    category = db.session.get(Category, category_id) or abort(404)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400, "Choose up or down.")
    catalogue.move_category(category, direction)
    audit("category.move", category, after={"direction": direction})
    db.session.commit()
    return redirect_303(url_for(".category_list"))


@bp.get("/inventory")
@requires("stock")
def inventory() -> Response:
    """What to restock: published products at or below their warning level."""
    return render(
        "admin/inventory.html", products=catalogue.low_stock(_low_default()), default=_low_default()
    )
