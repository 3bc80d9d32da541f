"""The pictures staff upload for a product: checked, kept in order, the first one shown.

Uploads are kept as they came (bytes in the database, so every web process serves
them); their responsive sizes are made by a job (``qkart.catalog.images``).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence

from sqlalchemy import func, select

from qkart.catalog.images import queue_variants
from qkart.catalog.management import CatalogueError
from qkart.catalog.models import Product, ProductImage
from qkart.core.errors import NotFoundError
from qkart.extensions import db

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_SIDE = 6000
MIN_IMAGE_SIDE = 100


def add_image(product: Product, data: bytes, *, alt: str) -> ProductImage:
    """Keep an uploaded picture, once Pillow has read it as a real JPEG, PNG or WebP;
    its responsive sizes are made by a job once the caller commits."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_IMAGE_BYTES:
        raise CatalogueError("Images can be at most 5 MB.", field="image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise CatalogueError(
            "That file is not an image we can read. Use a JPEG, PNG or WebP.", field="image"
        ) from None
    if kind not in IMAGE_TYPES:
        raise CatalogueError("Use a JPEG, PNG or WebP image.", field="image")
    if max(width, height) > MAX_IMAGE_SIDE or min(width, height) < MIN_IMAGE_SIDE:
        raise CatalogueError(
            f"Use an image from {MIN_IMAGE_SIDE} to {MAX_IMAGE_SIDE} pixels a side.",
            field="image",
        )
    last = db.session.scalar(
        select(func.max(ProductImage.position)).where(ProductImage.product_id == product.id)
    )
    image = ProductImage(
        product_id=product.id,
        position=(last or 0) + 1,
        alt=alt.strip()[:200] or product.name,
        content_type=IMAGE_TYPES[kind],
        width=width,
        height=height,
        digest=hashlib.sha256(data).hexdigest()[:16],
        data=data,
    )
    db.session.add(image)
    db.session.flush()
    _use_first_image(product)
    queue_variants(image)
    return image


def images_of(product_id: int) -> Sequence[ProductImage]:
    return db.session.scalars(
        select(ProductImage)
        .where(ProductImage.product_id == product_id)
        .order_by(ProductImage.position, ProductImage.id)
    ).all()


def _image(product: Product, image_id: int) -> ProductImage:
    image = db.session.get(ProductImage, image_id)
    if image is None or image.product_id != product.id:
        raise NotFoundError("We could not find that image.")
    return image


def move_image(product: Product, image_id: int, direction: str) -> None:
    images = list(images_of(product.id))
    index = images.index(_image(product, image_id))
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(images):
        images[index], images[other] = images[other], images[index]
        for position, image in enumerate(images, start=1):
            image.position = position
        db.session.flush()
        _use_first_image(product)


def update_image(product: Product, image_id: int, *, alt: str) -> None:
    _image(product, image_id).alt = alt.strip()[:200] or product.name
    db.session.flush()


def delete_image(product: Product, image_id: int) -> None:
    db.session.delete(_image(product, image_id))
    db.session.flush()
    _use_first_image(product)


def _use_first_image(product: Product) -> None:
    """The first picture is the one cards and the product page show."""
    first = db.session.scalar(
        select(ProductImage)
        .where(ProductImage.product_id == product.id)
        .order_by(ProductImage.position, ProductImage.id)
        .limit(1)
    )
    if first is not None:
        product.image = first.path
    elif product.image.startswith("media/"):
        product.image = "img/categories/generic.svg"
    db.session.flush()


def get_image(image_id: int) -> ProductImage | None:
    return db.session.get(ProductImage, image_id)
