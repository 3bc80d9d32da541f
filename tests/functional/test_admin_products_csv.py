"""Products as CSV: export the current filter, import all or nothing with a report.

Without Redis the import job runs inline after the upload commits, so the status
page already shows the result; the worker path is in tests/integration.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from qkart.audit.models import AuditEntry
from qkart.catalog import csv_io
from qkart.catalog.models import Product, ProductImport, StockMovement
from qkart.extensions import db
from tests.conftest import htmx, login


@pytest.fixture
def staff(app, factory):
    client = app.test_client()
    login(client, factory.user("csv@example.com", role="manager"))
    return client


def _upload(staff, text: str | bytes, name: str = "products.csv"):
    data = text.encode() if isinstance(text, str) else text
    return staff.post(
        "/admin/products/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _products(app) -> dict[str, Product]:
    with app.app_context():
        found = {p.sku: p for p in db.session.scalars(select(Product))}
        db.session.expunge_all()
        return found


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_export_streams_the_products_of_the_current_filter(app, staff, factory):
    lighting = factory.category("Lighting")
    factory.product("Desk lamp", price=4_990, stock=3, category=lighting)
    factory.product("=HYPERLINK(evil)", price=100, category=lighting)
    factory.product("Armchair", category=factory.category("Seating"))
    response = staff.get(f"/admin/products/export.csv?category={lighting.id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["name"] for r in rows] == ["'=HYPERLINK(evil)", "Desk lamp"]  # sorted by name
    lamp = rows[1]
    assert (lamp["price"], lamp["stock"], lamp["category"], lamp["published"]) == (
        "49.90",
        "3",
        "lighting",
        "yes",
    )
    assert list(rows[0]) == list(csv_io.COLUMNS)
    page = staff.get(f"/admin/products?category={lighting.id}").get_data(as_text=True)
    assert f"/admin/products/export.csv?category={lighting.id}" in page


def test_an_exported_file_edited_and_imported_changes_what_was_edited(app, staff, factory):
    lighting = factory.category("Lighting")
    lamp = factory.product("Desk lamp", price=4_990, stock=3, category=lighting)
    rows = list(
        csv.DictReader(io.StringIO(staff.get("/admin/products/export.csv").get_data(as_text=True)))
    )
    rows[0]["price"] = "44.00"
    rows[0]["stock"] = "12"
    rows.append(
        {
            **{c: "" for c in csv_io.COLUMNS},
            "sku": "new-1",
            "name": "Floor lamp",
            "price": "120",
            "category": "Lighting",
            "stock": "4",
            "description": "Tall.\nWarm light, two lines.",
            "attributes": "Colour=Brass; Height=150 cm",
        }
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=csv_io.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    response = _upload(staff, out.getvalue())
    assert response.status_code == 303
    status = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 product created and 1 updated, from 2 rows." in status
    products = _products(app)
    assert (products[lamp.sku].price, products[lamp.sku].stock) == (4_400, 12)
    floor = products["NEW-1"]
    assert (floor.slug, floor.price, floor.stock) == ("floor-lamp", 12_000, 4)
    assert floor.is_active
    assert floor.attributes == {"Colour": "Brass", "Height": "150 cm"}
    assert floor.description == "Tall.\nWarm light, two lines."
    with app.app_context():
        moves = db.session.execute(
            select(StockMovement.product_id, StockMovement.delta, StockMovement.reason)
        ).all()
    assert sorted(moves) == sorted([(lamp.id, 9, "correction"), (floor.id, 4, "received")])
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "product.import" in actions


def test_a_file_of_two_columns_updates_just_those(app, staff, factory):
    lamp = factory.product("Desk lamp", price=4_990, stock=3)
    response = _upload(staff, f"SKU,Price\n{lamp.sku},39.50\n")
    assert response.status_code == 303
    product = _products(app)[lamp.sku]
    assert (product.price, product.stock, product.name) == (3_950, 3, "Desk lamp")


def test_bad_rows_are_reported_by_line_and_nothing_changes(app, staff, factory):
    factory.category("Lighting")
    lamp = factory.product("Desk lamp", price=4_990)
    text = (
        "sku,name,price,category,description\n"
        f"{lamp.sku},Desk lamp,1.00,lighting,fine\n"  # line 2: fine, but must not land
        'N-1,Spot,-3,lighting,"two\nlines"\n'  # line 3, spans 3-4
        "N-2,Spot two,3.00,Garden,\n"  # line 5
        "N-3,,3.00,lighting,\n"  # line 6
        "n-2,Again,3.00,lighting,\n"  # line 7: SKU twice (case-insensitive)
        "N-4,Odd,3.999,lighting,\n"  # line 8
        "N-5,Short\n"  # line 9
    )
    response = _upload(staff, text)
    assert response.status_code == 303
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was changed: fix these 6 rows" in page
    with app.app_context():
        entry = db.session.scalar(select(ProductImport))
        report = [(e["line"], e["column"]) for e in entry.errors]
    assert report == [
        (3, "price"),
        (5, "category"),
        (6, "name"),
        (7, "sku"),
        (8, "price"),
        (9, ""),
    ]
    assert "no category is called “Garden”" in page
    assert _products(app)[lamp.sku].price == 4_990
    assert _count(app, Product) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This file is not a CSV"),
        (b"name,price\nLamp,3\n", "“sku” among them"),
        (b"sku,colour\nA,red\n", "Unknown column “colour”"),
        (b"sku\nA\n", "nothing to change"),
        (b"sku,price,price\nA,1,2\n", "is there twice"),
        ("sku,price\nA,1\n".encode("utf-16"), "This file is not"),
        (b"", "This file is empty."),
    ],
)
def test_a_file_that_is_not_a_product_csv_is_refused_at_once(app, staff, content, message):
    response = _upload(staff, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(app, ProductImport) == 0


def test_an_import_that_breaks_is_failed_not_half_saved(app, staff, factory, monkeypatch):
    factory.category("Lighting")

    def broken(rows, import_id, actor_id):
        db.session.add(Product(sku="HALF", slug="half", name="Half", price=1, category_id=1))
        db.session.flush()
        raise RuntimeError("disk full")

    monkeypatch.setattr(csv_io, "save_rows", broken)
    response = _upload(staff, "sku,name,price,category\nA-1,Lamp,3,lighting\n")
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Stopped on an error; nothing changed" in page
    assert "disk full" not in page
    assert _count(app, Product) == 0


def test_the_status_fragment_polls_while_the_import_runs(app, staff, factory):
    with app.app_context():
        entry = ProductImport(filename="big.csv", data=b"sku,price\n", total_rows=1000)
        entry.status, entry.checked_rows = "checking", 250
        db.session.add(entry)
        db.session.commit()
        import_id = entry.id
    url = f"/admin/products/import/{import_id}"
    page = staff.get(url).get_data(as_text=True)
    assert "Checked 250 of 1000 rows." in page and 'value="250"' in page
    assert 'data-hx-trigger="every 1s"' in page and f'<a href="{url}">refresh it</a>' in page
    fragment = staff.get(url, headers=htmx("import-progress")).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="import-progress"')
    assert "<html" not in fragment
    with app.app_context():
        db.session.get(ProductImport, import_id).status = "done"
        db.session.commit()
    done = staff.get(url, headers=htmx("import-progress")).get_data(as_text=True)
    assert "hx-trigger" not in done  # polling stops
    assert staff.get("/admin/products/import/999").status_code == 404
