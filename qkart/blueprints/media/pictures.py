"""What templates ask about product pictures, loaded a page at a time.

``picture_of(product.image)`` is called once per card while a page renders, but the
variants of every card on the page come in one query: on the first picture a page
asks for, the uploads named by every product already loaded in this request's
session are fetched together and kept for the rest of the request. A page of 48
cards costs one query, as does a page of 4; a page without uploads costs none.
"""

from __future__ import annotations

from flask import g
from sqlalchemy import inspect

from qkart.blueprints.media import bp
from qkart.catalog import images
from qkart.catalog.images import Picture, media_image_id
from qkart.catalog.models import Product, ProductImage
from qkart.extensions import db

CACHE_KEY = "qkart_pictures"


def _cache() -> dict[int, Picture | None]:
    if CACHE_KEY not in g:
        setattr(g, CACHE_KEY, {})
    return getattr(g, CACHE_KEY)


def _uploads_in_session() -> set[int]:
    """Uploads the products (and pictures) loaded so far name, read without a query."""
    ids: set[int] = set()
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Product):
            path = inspect(obj).dict.get("image")  # never loads an expired attribute
            found = media_image_id(path) if isinstance(path, str) else None
            if found is not None:
                ids.add(found)
        elif isinstance(obj, ProductImage):
            identity = inspect(obj).identity  # the id, even when the row is expired
            if identity:
                ids.add(identity[0])
    return ids


@bp.app_template_global()
def picture_of(path: str) -> Picture | None:
    """The upload ``path`` names with its variants; None for the shop's own drawings."""
    image_id = media_image_id(path or "")
    if image_id is None:
        return None
    cache = _cache()
    if image_id not in cache:
        wanted = ({image_id} | _uploads_in_session()) - cache.keys()
        found = images.pictures(wanted)
        for wanted_id in wanted:
            cache[wanted_id] = found.get(wanted_id)
    return cache[image_id]


@bp.app_template_global()
def gallery_of(product: Product) -> list[Picture]:
    """A product's pictures for its page, main one first: its uploads in the staff's
    order, or its drawing alone. One query, which also brings the pictures of the other
    products loaded for the page; none for a product without uploads."""
    drawing = [Picture(0, product.id, product.image, 480, 480, alt=product.name)]
    if media_image_id(product.image or "") is None:
        return drawing
    cache = _cache()
    # The cards further down the page ("also bought", "recently viewed") come along.
    others = _uploads_in_session() - cache.keys()
    found, every = images.gallery(product.id, also=others)
    for wanted_id in others:
        cache[wanted_id] = every.get(wanted_id)
    main = media_image_id(product.image)
    found.sort(key=lambda picture: picture.image_id != main)  # stable: the rest keep order
    for picture in found:
        picture.alt = picture.alt or product.name
        cache[picture.image_id] = picture
    return found or drawing


@bp.app_template_global()
def srcset(entries: list[tuple[str, int]]) -> str:
    """``/media/v/1-ab.webp 240w, ...`` from a picture's (path, width) list."""
    return ", ".join(f"/{path} {width}w" for path, width in entries)
