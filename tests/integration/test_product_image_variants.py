"""Responsive sizes of uploaded pictures: made by a job through the outbox (inline here,
without Redis), in AVIF where Pillow can write it, WebP and JPEG, never upscaled."""

from __future__ import annotations

import io

import pytest
from PIL import Image, features
from sqlalchemy import func, select

from qkart.catalog import images
from qkart.catalog.models import Product, ProductImage, ProductImageVariant
from qkart.catalog.uploads import add_image, delete_image
from qkart.jobs.models import OutboxJob


def photo(width: int, height: int, kind: str = "JPEG", mode: str = "RGB", **save) -> bytes:
    """A picture with detail in it (a gradient), so encoders have something to do."""
    picture = Image.linear_gradient("L").resize((width, height)).convert(mode)
    buffer = io.BytesIO()
    picture.save(buffer, kind, **save)
    return buffer.getvalue()


def _upload(db, factory, data: bytes, alt: str = "Front") -> ProductImage:
    product = db.session.get(Product, factory.product("Photo Lamp").id)
    image = add_image(product, data, alt=alt)
    db.session.commit()  # the job runs inline, after this commit
    return image


def _variants(db, image_id: int) -> list[ProductImageVariant]:
    db.session.expire_all()
    return db.session.scalars(
        select(ProductImageVariant)
        .where(ProductImageVariant.image_id == image_id)
        .order_by(ProductImageVariant.format, ProductImageVariant.width)
    ).all()


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (2000, [240, 480, 960]),
        (960, [240, 480, 960]),
        (700, [240, 480, 700]),
        (300, [240, 300]),
        (100, [100]),
    ],
)
def test_widths_step_up_to_the_original_and_never_beyond(width, expected):
    assert images.variant_widths(width) == expected


def test_formats_include_avif_only_where_pillow_writes_it(monkeypatch):
    assert images.variant_formats()[-2:] == ("webp", "jpeg")
    assert ("avif" in images.variant_formats()) == bool(features.check("avif"))
    monkeypatch.setattr(images, "avif_supported", lambda: False)
    assert images.variant_formats() == ("webp", "jpeg")


def test_rendered_variants_are_real_pictures_of_each_format_and_width():
    rendered = images.render_variants(photo(1200, 800))
    formats = images.variant_formats()
    assert {(r.format, r.width) for r in rendered} == {
        (f, w) for f in formats for w in (240, 480, 960)
    }
    for item in rendered:
        with Image.open(io.BytesIO(item.data)) as decoded:
            assert decoded.format == {"avif": "AVIF", "webp": "WEBP", "jpeg": "JPEG"}[item.format]
            assert decoded.size == (item.width, item.height)
            assert item.height == round(item.width * 800 / 1200)  # the shape is kept


def test_a_small_picture_is_not_upscaled_and_transparency_becomes_white_in_jpeg():
    rendered = images.render_variants(photo(180, 120, "PNG", mode="RGBA"), ["webp", "jpeg"])
    assert [(r.format, r.width, r.height) for r in rendered] == [
        ("webp", 180, 120),
        ("jpeg", 180, 120),
    ]
    with Image.open(io.BytesIO(rendered[1].data)) as jpeg:
        assert jpeg.mode == "RGB"


def test_a_photo_taken_sideways_is_turned_upright():
    sideways = Image.linear_gradient("L").resize((600, 400)).convert("RGB")
    exif = sideways.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    buffer = io.BytesIO()
    sideways.save(buffer, "JPEG", exif=exif)
    rendered = images.render_variants(buffer.getvalue(), ["jpeg"])
    assert [(r.width, r.height) for r in rendered] == [(240, 360), (400, 600)]
    with Image.open(io.BytesIO(rendered[0].data)) as variant:
        assert 0x0112 not in variant.getexif()  # no camera details leave the shop


def test_an_upload_queues_the_job_in_its_transaction_and_it_runs_after_the_commit(db, factory):
    image = _upload(db, factory, photo(1000, 500))
    job = db.session.scalar(select(OutboxJob).where(OutboxJob.name == "images.make_variants"))
    assert job.args == [image.id] and job.done_at is not None and job.last_error == ""
    made = _variants(db, image.id)
    assert {(v.format, v.width, v.height) for v in made} == {
        (f, w, w // 2) for f in images.variant_formats() for w in (240, 480, 960)
    }
    assert all(v.size == len(v.data) and len(v.digest) == 16 for v in made)


def test_a_rolled_back_upload_leaves_no_job_and_no_variants(db, factory):
    product = db.session.get(Product, factory.product("Photo Lamp").id)
    add_image(product, photo(400, 400), alt="")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxJob)) == 0
    assert db.session.scalar(select(func.count()).select_from(ProductImageVariant)) == 0


def test_the_job_run_twice_makes_nothing_more_and_a_deleted_picture_is_skipped(db, factory):
    image = _upload(db, factory, photo(500, 500))
    before = len(_variants(db, image.id))
    assert before and images.make_variants(image.id) == 0
    product = db.session.get(Product, image.product_id)
    delete_image(product, image.id)
    db.session.commit()
    assert _variants(db, image.id) == []  # gone with their picture
    assert images.make_variants(image.id) == 0


def test_a_picture_pillow_cannot_decode_keeps_its_original(db, factory, caplog):
    image = _upload(db, factory, photo(400, 400))
    db.session.execute(
        ProductImageVariant.__table__.delete().where(ProductImageVariant.image_id == image.id)
    )
    db.session.execute(
        ProductImage.__table__.update()
        .where(ProductImage.id == image.id)
        .values(data=photo(400, 400)[:300])  # cut short: it cannot be decoded
    )
    db.session.commit()
    assert images.make_variants(image.id) == 0
    assert "cannot be resized" in caplog.text
    picture = images.pictures([image.id])[image.id]
    assert not picture.ready and picture.fallback(480) == picture.path


def test_pictures_for_a_page_come_in_one_query_with_their_variants(app, db, factory):
    from tests.conftest import count_queries

    first = _upload(db, factory, photo(1200, 900)).id
    second = _upload(db, factory, photo(300, 300, "PNG")).id
    db.session.expire_all()
    with count_queries(app) as statements:
        found = images.pictures([first, second, 999_999])
    assert len(statements) == 1, statements
    assert set(found) == {first, second}
    big = found[first]
    assert big.ready and (big.width, big.height) == (960, 720)
    assert [w for _, w in big.srcset("jpeg")] == [240, 480, 960]
    assert big.fallback(480).endswith(".jpg") and "/v/" in big.fallback(480)
    assert [w for _, w in found[second].srcset("webp")] == [240, 300]


def test_the_command_queues_sizes_for_pictures_kept_before_they_existed(app, db, factory):
    kept = _upload(db, factory, photo(600, 400))
    done = _upload(db, factory, photo(600, 400, "PNG"))
    db.session.execute(
        ProductImageVariant.__table__.delete().where(ProductImageVariant.image_id == kept.id)
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "picture-sizes"])
    assert result.exit_code == 0 and "Queued the sizes of 1 picture." in result.output
    assert len(_variants(db, kept.id)) == len(_variants(db, done.id)) > 0
    again = app.test_cli_runner().invoke(args=["jobs", "picture-sizes"])
    assert "Queued the sizes of 0 pictures." in again.output


@pytest.mark.services
def test_with_redis_a_real_worker_makes_the_sizes_and_pages_switch_to_them(worker_app, factory):
    from tests.conftest import login

    app, run_worker, queue = worker_app
    product = factory.product("Photo Lamp")
    staff = app.test_client()
    login(staff, factory.user("worker-pictures@example.com", role="manager"))
    response = staff.post(
        f"/admin/products/{product.id}/images",
        data={"image": (io.BytesIO(photo(800, 600)), "lamp.jpg"), "alt": "Front"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303 and queue.count == 1
    page = app.test_client().get(f"/products/{product.slug}").get_data(as_text=True)
    assert "<picture>" not in page and 'class="gallery-image" alt="Front"' in page
    result = run_worker()
    assert result.returncode == 0, result.stderr[-2000:]
    page = app.test_client().get(f"/products/{product.slug}").get_data(as_text=True)
    assert "<picture>" in page and page.count('type="image/webp"') == 1
