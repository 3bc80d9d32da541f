"""Staff pages for products as CSV: export the current filter, import a file through a
worker job whose progress the page follows (htmx polling, or a refresh link)."""

from __future__ import annotations

from flask import Response, abort, request, stream_with_context, url_for
from flask_login import current_user

from qkart.blueprints.admin import bp
from qkart.blueprints.admin.audit import audit
from qkart.blueprints.admin.catalogue import _filter, _low_default
from qkart.blueprints.admin.catalogue_forms import ImportForm
from qkart.blueprints.admin.guard import requires
from qkart.catalog import csv_io
from qkart.catalog import management as catalogue
from qkart.catalog.models import ProductImport
from qkart.core.db import utcnow
from qkart.core.errors import DomainError
from qkart.core.htmx import redirect_303, render
from qkart.extensions import db

MAX_CSV_BYTES = 5 * 1024 * 1024


@bp.get("/products/export.csv")
@requires("catalogue")
def product_export() -> Response:
    """The products the list's filter shows (all pages), streamed as they are read."""
    stmt = catalogue.product_query(_filter(), _low_default())
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    response = Response(
        stream_with_context(csv_io.export_rows(stmt)), mimetype="text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="products-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _import_page(form: ImportForm, status: int = 200) -> Response:
    return render(
        "admin/product_import.html",
        status=status,
        form=form,
        imports=csv_io.recent_imports(),
        columns=csv_io.COLUMNS,
    )


@bp.route("/products/import", methods=["GET", "POST"])
@requires("catalogue")
def product_import() -> Response:
    form = ImportForm()
    if request.method == "GET":
        return _import_page(form)
    if not form.validate():
        return _import_page(form, 422)
    upload = form.file.data
    data = upload.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        form.file.errors = ["This file is over 5 MB. Split it into smaller files."]
        return _import_page(form, 422)
    try:
        entry = csv_io.start_import(upload.filename or "", data, actor_id=current_user.id)
    except DomainError as error:
        db.session.rollback()
        form.file.errors = [str(error)]
        return _import_page(form, error.status_code)
    audit("product.import", entry, summary=entry.filename)
    db.session.commit()
    return redirect_303(url_for(".product_import_status", import_id=entry.id))


@bp.get("/products/import/<int:import_id>")
@requires("catalogue")
def product_import_status(import_id: int) -> Response:
    """How far the import is; htmx asks again every second while it runs."""
    entry = db.session.get(ProductImport, import_id)
    if entry is None:
        abort(404)
    response = render(
        "admin/product_import_status.html",
        {"import-progress": "progress"},
        entry=entry,
        saved=csv_io.saved_so_far(entry),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
