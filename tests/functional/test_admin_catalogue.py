"""Staff run the catalogue: products (with attributes, pictures, stock), the list's filters,
bulk actions and quick edits, categories as a tree, and what to restock."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from qkart.catalog.models import Category, Product, ProductImage, StockMovement
from qkart.extensions import db
from tests.conftest import htmx, login


@pytest.fixture
def staff(app, factory):
    client = app.test_client()
    login(client, factory.user("cat@example.com", role="manager"))
    return client


def _png(width: int = 300, height: int = 200, color: str = "red", kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, kind)
    return buffer.getvalue()


def _product(app, **where):
    with app.app_context():
        product = db.session.scalar(select(Product).filter_by(**where))
        db.session.expunge_all()
        return product


BASE = {
    "name": "Walnut Desk Lamp",
    "sku": "lamp-001",
    "price": "49.90",
    "tax_class": "standard",
    "weight_grams": "1200",
    "is_active": "y",
}


def test_create_a_product_publish_it_and_see_it_in_the_shop(app, staff, factory):
    category = factory.category("Lighting")
    response = staff.post("/admin/products/new", data={**BASE, "category_id": category.id})
    assert response.status_code == 303
    product = _product(app, sku="LAMP-001")
    assert product.slug == "walnut-desk-lamp" and product.price == 4990 and product.is_active
    assert response.headers["Location"] == f"/admin/products/{product.id}"
    shop = app.test_client().get(f"/products/{product.slug}")
    assert shop.status_code == 200 and "Walnut Desk Lamp" in shop.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"price": "-1"}, "Enter a price of 0 or more."),
        ({"price": "abc"}, "Enter an amount like 25 or 19.99."),
        ({"name": ""}, "Give it a name."),
        ({"sku": "has space"}, "Use letters, digits, dots, dashes or underscores."),
        ({"compare_at_price": "10"}, "The compare-at price must be above the price"),
        ({"slug": "Not OK"}, "Use lower-case letters, digits and dashes."),
    ],
)
def test_bad_products_are_refused_beside_the_field(app, staff, factory, data, field_message):
    category = factory.category("Lighting")
    response = staff.post("/admin/products/new", data={**BASE, "category_id": category.id, **data})
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True)
    assert _product(app, name="Walnut Desk Lamp") is None


def test_duplicate_slug_and_sku_are_refused(app, staff, factory):
    existing = factory.product("Walnut Desk Lamp")
    category = factory.category("Lighting")
    taken_sku = {**BASE, "sku": existing.sku, "slug": "another", "category_id": category.id}
    response = staff.post("/admin/products/new", data=taken_sku)
    assert (
        response.status_code == 422
        and "Another product already has this SKU." in response.get_data(as_text=True)
    )
    taken_slug = {**BASE, "slug": existing.slug, "category_id": category.id}
    response = staff.post("/admin/products/new", data=taken_slug)
    assert "Another product already has this web address." in response.get_data(as_text=True)


def test_category_attributes_are_filled_per_product(app, staff, factory):
    staff.post("/admin/categories", data={"name": "Shoes", "attribute_names": "Size\nColour"})
    with app.app_context():
        shoes = db.session.scalar(select(Category).where(Category.slug == "shoes"))
        assert shoes.attributes == ["Size", "Colour"]
        shoes_id = shoes.id
    data = {**BASE, "name": "Trail Runner", "sku": "run-1", "category_id": shoes_id}
    staff.post("/admin/products/new", data={**data, "attr-Size": "42", "attr-Colour": "Blue"})
    product = _product(app, sku="RUN-1")
    assert product.attributes == {"Size": "42", "Colour": "Blue"}
    page = staff.get(f"/admin/products/{product.id}").get_data(as_text=True)
    assert 'name="attr-Size"' in page and 'value="42"' in page


def test_two_pictures_uploaded_reordered_and_served(app, staff, factory):
    product = factory.product("Photo Lamp")
    url = f"/admin/products/{product.id}/images"
    first = staff.post(
        url,
        data={"image": (io.BytesIO(_png()), "a.png"), "alt": "Front"},
        content_type="multipart/form-data",
    )
    second = staff.post(
        url,
        data={"image": (io.BytesIO(_png(color="blue", kind="JPEG")), "b.jpg"), "alt": "Side"},
        content_type="multipart/form-data",
    )
    assert first.status_code == second.status_code == 303
    with app.app_context():
        images = db.session.scalars(select(ProductImage).order_by(ProductImage.position)).all()
        assert [i.alt for i in images] == ["Front", "Side"]
        front, side = images[0].id, images[1].id
    assert _product(app, id=product.id).image.startswith(f"media/{front}-")
    staff.post(f"/admin/products/{product.id}/images/{side}/up")
    lamp = _product(app, id=product.id)
    assert lamp.image.startswith(f"media/{side}-")
    served = app.test_client().get("/" + lamp.image)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "immutable" in served.headers["Cache-Control"]
    page = app.test_client().get(f"/products/{lamp.slug}").get_data(as_text=True)
    # The main picture is shown through its responsive sizes; link previews get the original.
    assert 'class="gallery-image" alt="Side"' in page and "/media/v/" in page
    assert f'content="http://localhost/{lamp.image}"' in page
    staff.post(f"/admin/products/{product.id}/images/{side}/delete")
    assert _product(app, id=product.id).image.startswith(f"media/{front}-")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (b"this is not an image", "That file is not an image we can read."),
        (_png(50, 50), "Use an image from 100 to 6000 pixels a side."),
        (b"GIF89a" + b"\x00" * 100, "That file is not an image we can read."),
    ],
)
def test_uploads_that_are_not_good_images_are_refused(app, staff, factory, upload, message):
    product = factory.product()
    response = staff.post(
        f"/admin/products/{product.id}/images",
        data={"image": (io.BytesIO(upload), "x.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ProductImage)) is None


def test_a_50_mb_upload_is_refused(app, staff, factory):
    """Refused from its declared size, before a byte of it is read."""
    product = factory.product()
    response = staff.post(
        f"/admin/products/{product.id}/images",
        data=b"--x--",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(50 * 1024 * 1024)},
    )
    assert response.status_code == 413
    assert "That upload is too large" in response.get_data(as_text=True)


def test_stock_adjustments_keep_a_history_and_never_go_below_zero(app, staff, factory):
    product = factory.product(stock=3)
    url = f"/admin/products/{product.id}/stock"
    assert (
        staff.post(url, data={"delta": "10", "reason": "received", "note": "PO 77"}).status_code
        == 303
    )
    refused = staff.post(url, data={"delta": "-20", "reason": "damaged"})
    assert (
        refused.status_code == 422
        and "Only 13 in stock: you cannot take away 20." in refused.get_data(as_text=True)
    )
    assert staff.post(url, data={"delta": "-1", "reason": "damaged"}).status_code == 303
    assert _product(app, id=product.id).stock == 12
    page = staff.get(f"/admin/products/{product.id}").get_data(as_text=True)
    assert "+10 → 13 · Received from a supplier · PO 77" in page and "-1 → 12 · Damaged" in page


def test_sales_and_cancellations_are_in_the_stock_history(app, factory):
    from tests.conftest import check_out

    product = factory.product(price=1000, stock=5)
    shopper = app.test_client()
    shopper.post("/cart/items", data={"product_id": product.id, "quantity": 2})
    check_out(shopper, method="cod")
    with app.app_context():
        [sale] = db.session.scalars(select(StockMovement)).all()
        assert (sale.delta, sale.stock_after, sale.reason) == (-2, 3, "order")


def test_the_list_filters_quick_edits_and_bulk_actions(app, staff, factory):
    lamp = factory.product("Brass Lamp", price=1000, stock=2)
    chair = factory.product("Oak Chair", price=5000, stock=40)
    other = factory.category("Garden")
    page = staff.get("/admin/products?q=brass").get_data(as_text=True)
    assert "Brass Lamp" in page and "Oak Chair" not in page
    assert "Brass Lamp" in staff.get("/admin/products?stock=low").get_data(as_text=True)
    # Quick edit of one row with htmx: only that row comes back.
    row = staff.post(
        f"/admin/products/{lamp.id}/quick",
        data={f"price-{lamp.id}": "12.50", f"stock-{lamp.id}": "7"},
        headers=htmx(f"row-{lamp.id}"),
    )
    assert row.status_code == 200 and row.get_data(as_text=True).startswith(
        f'<tr id="row-{lamp.id}"'
    )
    assert (_product(app, id=lamp.id).price, _product(app, id=lamp.id).stock) == (1250, 7)
    bad = staff.post(
        f"/admin/products/{lamp.id}/quick",
        data={f"price-{lamp.id}": "-3"},
        headers=htmx(f"row-{lamp.id}"),
    )
    assert bad.status_code == 422 and "enter a price like 19.99" in bad.get_data(as_text=True)
    # Without JavaScript the list's button saves every row.
    save = staff.post(
        "/admin/products/bulk",
        data={"save": "1", f"price-{chair.id}": "45", f"stock-{chair.id}": "40"},
    )
    assert save.status_code == 303 and _product(app, id=chair.id).price == 4500
    moved = staff.post(
        "/admin/products/bulk",
        data={
            "action": "category",
            "category_id": str(other.id),
            "ids": [str(lamp.id), str(chair.id)],
        },
    )
    assert moved.status_code == 303 and _product(app, id=lamp.id).category_id == other.id
    staff.post("/admin/products/bulk", data={"action": "unpublish", "ids": [str(chair.id)]})
    assert app.test_client().get(f"/products/{chair.slug}").status_code == 404
    staff.post("/admin/products/bulk", data={"action": "retire", "ids": [str(lamp.id)]})
    assert _product(app, id=lamp.id).is_retired
    assert "Brass Lamp" not in staff.get("/admin/products").get_data(as_text=True)
    assert "Brass Lamp" in staff.get("/admin/products?status=retired").get_data(as_text=True)
    nothing = staff.post("/admin/products/bulk", data={"action": "publish"})
    assert nothing.status_code == 422 and "Tick the products to change first." in nothing.get_data(
        as_text=True
    )


def _tree(client) -> str:
    page = client.get("/admin/categories").get_data(as_text=True)
    return page[page.index("category-tree") :]


def test_categories_as_a_tree_moved_up_and_down(app, staff, factory):
    staff.post("/admin/categories", data={"name": "Home"})
    staff.post("/admin/categories", data={"name": "Garden"})
    with app.app_context():
        home = db.session.scalar(select(Category).where(Category.name == "Home")).id
        garden = db.session.scalar(select(Category).where(Category.name == "Garden")).id
    staff.post("/admin/categories", data={"name": "Lamps", "parent_id": str(home)})
    tree = _tree(staff)
    assert tree.index(">Home<") < tree.index(">Lamps<") < tree.index(">Garden<")
    assert 'class="depth-1"' in tree
    staff.post(f"/admin/categories/{garden}/move", data={"direction": "up"})
    tree = _tree(staff)
    assert tree.index(">Garden<") < tree.index(">Home<")
    loop = staff.post(f"/admin/categories/{home}", data={"name": "Home", "parent_id": str(home)})
    assert loop.status_code == 422 and "cannot sit inside itself" in loop.get_data(as_text=True)
    twice = staff.post("/admin/categories", data={"name": "Home"})
    assert twice.status_code == 422 and "Another category already has this name." in twice.get_data(
        as_text=True
    )


def test_inventory_lists_what_to_restock(app, staff, factory):
    factory.product("Nearly Gone", stock=1)
    factory.product("Plenty", stock=50)
    page = staff.get("/admin/inventory").get_data(as_text=True)
    assert "Nearly Gone" in page and "Plenty" not in page


def test_a_quick_edit_never_redirects_to_another_site(staff, factory):
    lamp = factory.product("Brass Lamp", price=1000, stock=2)
    data = {f"price-{lamp.id}": "12.50", f"stock-{lamp.id}": "7"}
    for back in ("https://evil.example/", "//evil.example/x", "http://[::1"):
        response = staff.post(f"/admin/products/{lamp.id}/quick", data={**data, "back": back})
        assert response.status_code == 303 and response.headers["Location"] == "/admin/products"
    kept = staff.post(
        f"/admin/products/{lamp.id}/quick", data={**data, "back": "/admin/products?page=2"}
    )
    assert kept.headers["Location"] == "/admin/products?page=2"
