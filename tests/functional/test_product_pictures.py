"""Product pictures on the shop's pages: a <picture> of responsive sizes once the job has
made them (the original before), the product page's gallery without JavaScript, the
media route for the sizes, and query counts that do not grow with the pictures."""

from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import select

from qkart.blueprints.shop.caching import kept_pages
from qkart.catalog.images import variant_formats
from qkart.catalog.models import Product, ProductImage, ProductImageVariant
from qkart.catalog.uploads import add_image
from qkart.extensions import db
from tests.conftest import count_queries, login


def _photo(width: int, height: int, color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(app, product, *pictures: tuple[int, int, str]) -> list[int]:
    """Upload (width, height, alt) pictures as staff would; the job runs after the commit."""
    ids = []
    with app.app_context():
        item = db.session.get(Product, product.id)
        for width, height, alt in pictures:
            ids.append(add_image(item, _photo(width, height), alt=alt).id)
            db.session.commit()
    return ids


def _variant(app, image_id: int, fmt: str = "webp") -> ProductImageVariant:
    with app.app_context():
        found = db.session.scalars(
            select(ProductImageVariant)
            .where(ProductImageVariant.image_id == image_id, ProductImageVariant.format == fmt)
            .order_by(ProductImageVariant.width)
        ).first()
        db.session.expunge_all()
        return found


def _tags(page: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}\b[^>]*>", page)


def _attr(tag: str, name: str) -> str | None:
    found = re.search(rf'\s{name}="([^"]*)"', tag)
    return found.group(1) if found else None


# -- the media route -----------------------------------------------------------------------


def test_a_variant_is_served_with_its_type_and_a_year_immutable_cache(app, client, factory):
    (image_id,) = upload(app, factory.product("Lamp"), (800, 600, "Front"))
    for fmt, mimetype in (("webp", "image/webp"), ("jpeg", "image/jpeg")):
        variant = _variant(app, image_id, fmt)
        response = client.get("/" + variant.path)
        assert response.status_code == 200 and response.mimetype == mimetype
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        with Image.open(io.BytesIO(response.data)) as served:
            assert served.size == (240, 180)
        again = client.get("/" + variant.path, headers={"If-None-Match": f'"{variant.digest}"'})
        assert again.status_code == 304 and again.data == b""


def test_a_variant_with_a_wrong_digest_or_extension_is_not_found(app, client, factory):
    (image_id,) = upload(app, factory.product("Lamp"), (800, 600, "Front"))
    variant = _variant(app, image_id)
    assert client.get(f"/media/v/{variant.id}-{'0' * 16}.webp").status_code == 404
    assert client.get(f"/media/v/{variant.id}-{variant.digest}.jpg").status_code == 404
    assert client.get(f"/media/v/999999-{variant.digest}.webp").status_code == 404


# -- the <picture> markup --------------------------------------------------------------------


def test_cards_offer_every_format_in_widths_with_the_real_shape(app, client, factory):
    products = [factory.product(f"Lamp {n}") for n in range(6)]
    for product in products:
        upload(app, product, (1200, 900, ""))
    page = client.get("/products?sort=newest").get_data(as_text=True)
    sources = _tags(page, "source")
    types = [_attr(s, "type") for s in sources]
    expected = [f"image/{f}" for f in variant_formats() if f != "jpeg"]
    assert types == expected * 6
    for source in sources:
        widths = re.findall(r" (\d+)w", _attr(source, "srcset"))
        assert widths == ["240", "480", "960"]
        assert _attr(source, "sizes").endswith("50vw")
    imgs = [t for t in _tags(page, "img") if "/media/v/" in t]
    assert len(imgs) == 6
    for index, img in enumerate(imgs, start=1):
        assert (_attr(img, "width"), _attr(img, "height")) == ("480", "360")
        assert _attr(img, "src").endswith(".jpg") and " 960w" in _attr(img, "srcset")
        assert _attr(img, "sizes") and _attr(img, "decoding") == "async"
        # Cards 1-4 load at once (the first as the page's main picture); the rest lazily.
        assert (_attr(img, "loading") == "lazy") == (index > 4)
        assert (_attr(img, "fetchpriority") == "high") == (index == 1)


def test_before_the_variants_exist_pages_show_the_original(app, client, factory):
    product = factory.product("Lamp")
    (image_id,) = upload(app, product, (640, 480, "Front"))
    with app.app_context():
        db.session.execute(ProductImageVariant.__table__.delete())
        db.session.commit()
        path = db.session.get(ProductImage, image_id).path
    page = client.get("/products").get_data(as_text=True)
    assert "<picture>" not in page and "/media/v/" not in page
    (img,) = [t for t in _tags(page, "img") if "/media/" in t]
    assert _attr(img, "src") == "/" + path
    assert (_attr(img, "width"), _attr(img, "height")) == ("480", "360")
    assert client.get("/" + path).status_code == 200


def test_the_shops_own_drawings_stay_plain_images(client, factory):
    factory.product("Drawn Lamp")
    page = client.get("/products").get_data(as_text=True)
    assert "<picture>" not in page
    (img,) = [t for t in _tags(page, "img") if "/img/categories/generic." in t]
    assert (_attr(img, "width"), _attr(img, "height")) == ("480", "480")
    assert _attr(img, "srcset") is None


def test_cart_wishlist_and_order_pages_use_the_sizes(app, client, factory):
    product = factory.product("Lamp", price=2_000)
    upload(app, product, (600, 600, "Front"))
    shopper = factory.user("pictures@example.com", wallet=100_000)
    factory.cart_item(shopper, product, 1)
    login(client, shopper)
    cart = client.get("/cart").get_data(as_text=True)
    (img,) = [t for t in _tags(cart, "img") if "/media/" in t]
    assert "/media/v/" in _attr(img, "srcset") and _attr(img, "alt") == ""
    assert _attr(img, "width") == "96" and _attr(img, "height") == "96"


# -- the gallery ---------------------------------------------------------------------------


def test_the_gallery_without_javascript_links_each_thumbnail_to_its_picture(app, client, factory):
    product = factory.product("Walnut Lamp")
    upload(app, product, (900, 900, "Front"), (900, 600, "Side"), (600, 900, ""))
    page = client.get(f"/products/{product.slug}").get_data(as_text=True)
    gallery = page[page.index('class="gallery"') : page.index('class="product-info"')]
    slides = re.findall(r'<li class="gallery-slide" id="(image-\d)">', gallery)
    assert slides == ["image-1", "image-2", "image-3"]
    thumbs = re.findall(r'<a class="gallery-thumb" href="#(image-\d)">', gallery)
    assert thumbs == slides
    names = re.findall(r'<span class="visually-hidden">([^<]+)</span>', gallery)
    assert names == [
        "Picture 1 of 3: Front",
        "Picture 2 of 3: Side",
        "Picture 3 of 3: Walnut Lamp",  # no description given: the product's name
    ]
    main = [t for t in _tags(gallery, "img") if 'class="gallery-image"' in t]
    assert [_attr(t, "alt") for t in main] == ["Front", "Side", "Walnut Lamp"]
    assert _attr(main[0], "fetchpriority") == "high" and _attr(main[0], "loading") == "eager"
    assert all(_attr(t, "loading") == "lazy" for t in main[1:])
    # The real shapes: square, landscape and portrait.
    shapes = [(_attr(t, "width"), _attr(t, "height")) for t in main]
    assert shapes == [("900", "900"), ("900", "600"), ("600", "900")]
    assert 'role="region"' in gallery and 'tabindex="0"' in gallery
    assert re.search(r'<script src="/static/js/gallery\.[0-9a-f]{10}\.js" defer></script>', gallery)


def test_a_product_with_one_picture_has_no_thumbnails_and_no_script(app, client, factory):
    product = factory.product("Lamp")
    upload(app, product, (900, 900, "Front"))
    drawn = factory.product("Drawn Lamp")
    for item in (product, drawn):
        page = client.get(f"/products/{item.slug}").get_data(as_text=True)
        assert 'id="image-1"' in page and "gallery-thumb" not in page
        assert "gallery.js" not in page
        (main,) = [t for t in _tags(page, "img") if 'class="gallery-image"' in t]
        assert _attr(main, "fetchpriority") == "high"
        assert _attr(main, "alt") == ("Front" if item is product else "Drawn Lamp")


def test_the_gallery_starts_with_the_main_picture_staff_chose(app, client, factory):
    product = factory.product("Lamp")
    _front, side = upload(app, product, (900, 900, "Front"), (900, 900, "Side"))
    staff = app.test_client()
    login(staff, factory.user("staff-pictures@example.com", role="manager"))
    staff.post(f"/admin/products/{product.id}/images/{side}/up")
    page = client.get(f"/products/{product.slug}").get_data(as_text=True)
    main = [t for t in _tags(page, "img") if 'class="gallery-image"' in t]
    assert [_attr(t, "alt") for t in main] == ["Side", "Front"]


# -- query counts ----------------------------------------------------------------------------


def test_catalogue_queries_do_not_grow_with_uploaded_pictures(app, client, factory):
    for n in range(48):
        product = factory.product(f"Gadget {n}")
        if n % 4 == 0:
            upload(app, product, (300, 300, ""))
    client.get("/")  # the visit's analytics session starts here, not in the count
    counts = []
    for per_page in (12, 48):
        with count_queries(app) as statements:
            page = client.get(f"/products?per_page={per_page}").get_data(as_text=True)
        assert "/media/v/" in page
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_product_page_queries_do_not_grow_with_its_pictures(app, client, factory):
    one, four = factory.product("Lamp"), factory.product("Big Lamp")
    upload(app, one, (300, 300, "Front"))
    upload(app, four, *[(300, 300, f"View {n}") for n in range(4)])
    counts = []
    for product in (one, four, one):  # the last visit sees the other in "recently viewed"
        with count_queries(app) as statements:
            assert client.get(f"/products/{product.slug}").status_code == 200
        counts.append(len(statements))
    kept_pages(app).clear()  # drawn again, not the page kept from its first visit
    with count_queries(app) as statements:
        client.get(f"/products/{four.slug}")
    assert counts[2] == len(statements), (counts, len(statements))


def test_a_product_page_with_uploads_costs_one_query_more_than_one_without(app, factory):
    plain = factory.product("Plain Lamp", category=factory.category("Drawn"))
    photos = factory.category("Photographed")
    shown = factory.product("Photo Lamp", category=photos)
    neighbour = factory.product("Photo Stand", category=photos)  # a card on shown's page
    upload(app, shown, (300, 300, "Front"), (300, 300, "Side"), (300, 300, "Back"))
    upload(app, neighbour, (300, 300, "Front"))
    counts = {}
    for product in (plain, shown):
        visitor = app.test_client()
        visitor.get(f"/products/{product.slug}")
        kept_pages(app).clear()  # the warm caches of its parts, not the whole page kept
        with count_queries(app) as statements:
            page = visitor.get(f"/products/{product.slug}").get_data(as_text=True)
        counts[product.name] = len(statements)
    (card,) = [c for c in page.split('<li class="card">')[1:] if "Photo Stand" in c]
    assert "/media/v/" in card.split('class="card-name"')[0]
    # The gallery, its sizes and the neighbour card's sizes: one query together.
    assert counts["Photo Lamp"] == counts["Plain Lamp"] + 1, counts


def test_without_avif_in_pillow_pages_offer_webp_and_jpeg_only(app, client, factory, monkeypatch):
    from qkart.catalog import images

    monkeypatch.setattr(images, "avif_supported", lambda: False)
    product = factory.product("Lamp")
    upload(app, product, (900, 900, "Front"), (900, 900, "Side"))
    page = client.get(f"/products/{product.slug}").get_data(as_text=True)
    assert 'type="image/avif"' not in page and ".avif" not in page
    assert page.count('<source type="image/webp"') == 4  # two slides, two thumbnails
