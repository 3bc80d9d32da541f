"""Responsive product pictures: each upload in a few widths and modern formats.

An upload is kept as it came (``ProductImage``); a worker job then makes
``ProductImageVariant`` rows: widths of ``WIDTHS`` (never wider than the original) in
AVIF (when this Pillow can write it), WebP and a JPEG for every browser. Encoding
takes a second or more for a large photo, so it never runs inside the upload's
request. Pages ask ``pictures`` for a whole page's worth at once (one query) and show
the original until the variants exist.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import undefer

from qkart.catalog.models import ProductImage, ProductImageVariant
from qkart.extensions import db

log = logging.getLogger(__name__)

WIDTHS = (240, 480, 960)
# Quality settings that look the same as the upload at card and page sizes.
ENCODERS = {
    "avif": ("AVIF", {"quality": 60, "speed": 7}),
    "webp": ("WEBP", {"quality": 80, "method": 4}),
    "jpeg": ("JPEG", {"quality": 82, "optimize": True, "progressive": True}),
}
# EXIF orientations that turn the picture a quarter: its width is the stored height.
QUARTER_TURNS = {5, 6, 7, 8}


def avif_supported() -> bool:
    from PIL import features

    return bool(features.check("avif"))


def variant_formats() -> tuple[str, ...]:
    """The formats made, best first; AVIF only where Pillow was built with it."""
    return ("avif", "webp", "jpeg") if avif_supported() else ("webp", "jpeg")


def variant_widths(original_width: int) -> list[int]:
    """The widths to make: the steps narrower than the original, then the original's own
    width as the last step if it is narrower than the widest (never upscaled)."""
    widths = [w for w in WIDTHS if w < original_width]
    if original_width <= WIDTHS[-1]:
        widths.append(original_width)
    return widths


@dataclass(frozen=True)
class Rendered:
    format: str
    width: int
    height: int
    data: bytes


def render_variants(data: bytes, formats: Iterable[str] | None = None) -> list[Rendered]:
    """Every (format, width) of the picture in ``data``, turned upright by its EXIF
    orientation and without its EXIF (no camera or GPS details leave the shop).

    Raises ``OSError`` or ``ValueError`` when Pillow cannot decode the picture.
    """
    from PIL import Image, ImageOps

    formats = tuple(formats or variant_formats())
    with Image.open(io.BytesIO(data)) as source:
        turned = source.getexif().get(0x0112) in QUARTER_TURNS
        upright_width = source.height if turned else source.width
        widest = variant_widths(upright_width)[-1]
        # A JPEG decodes at 1/2, 1/4 or 1/8 of its size when that still covers the
        # widest variant: a 6000-pixel photo then costs a fraction of the memory.
        scale = widest / upright_width
        source.draft("RGB", (ceil(source.width * scale), ceil(source.height * scale)))
        icc = source.info.get("icc_profile")
        picture = ImageOps.exif_transpose(source)
        picture.load()
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    picture = picture.convert("RGBA" if has_alpha else "RGB")
    opaque = picture
    if has_alpha:  # JPEG has no transparency: lay the picture on white
        opaque = Image.new("RGB", picture.size, "white")
        opaque.paste(picture, mask=picture.getchannel("A"))
    out: list[Rendered] = []
    extra = {"icc_profile": icc} if icc else {}
    # Widest first, each width made from the one above it: one costly step from a big
    # original, then cheap ones (a 960-pixel picture halves well).
    shown, flat = picture, opaque
    for width in sorted(variant_widths(upright_width), reverse=True):
        height = max(1, round(width * picture.height / picture.width))
        if shown.size != (width, height):
            shown = shown.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            flat = (
                shown
                if not has_alpha
                else flat.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            )
        for name in formats:
            kind, options = ENCODERS[name]
            buffer = io.BytesIO()
            (flat if name == "jpeg" else shown).save(buffer, kind, **options, **extra)
            out.append(Rendered(name, width, height, buffer.getvalue()))
    order = {name: n for n, name in enumerate(formats)}
    out.sort(key=lambda item: (item.width, order[item.format]))
    return out


def make_variants(image_id: int) -> int:
    """The job's work: store the variants of upload ``image_id`` that are missing.

    Returns how many were made. Running it twice makes nothing the second time; a
    picture deleted meanwhile, or one Pillow cannot decode, is left alone (pages keep
    showing the original). The caller commits.
    """
    image = db.session.get(ProductImage, image_id)
    if image is None:
        return 0
    have = set(
        db.session.execute(
            select(ProductImageVariant.format, ProductImageVariant.width).where(
                ProductImageVariant.image_id == image_id
            )
        ).all()
    )
    try:
        rendered = render_variants(image.data)
    except (OSError, ValueError, SyntaxError) as error:
        log.warning("picture %s cannot be resized (%s); the original stays", image_id, error)
        return 0
    made = 0
    for item in rendered:
        if (item.format, item.width) in have:
            continue
        db.session.add(
            ProductImageVariant(
                image_id=image_id,
                format=item.format,
                width=item.width,
                height=item.height,
                digest=hashlib.sha256(item.data).hexdigest()[:16],
                size=len(item.data),
                data=item.data,
            )
        )
        made += 1
    db.session.flush()
    return made


def queue_variants(image: ProductImage) -> None:
    """Ask a worker for the variants of a new upload (sent when the caller commits)."""
    from qkart.extensions import queue

    queue.after_commit(db.session, "images.make_variants", image.id)


def queue_missing_variants() -> int:
    """Queue the job for every upload without variants (pictures kept before they existed,
    or whose job gave up); returns how many. The caller commits."""
    has_variants = select(ProductImageVariant.id).where(
        ProductImageVariant.image_id == ProductImage.id
    )
    missing = db.session.scalars(
        select(ProductImage).where(~has_variants.exists()).order_by(ProductImage.id)
    ).all()
    for image in missing:
        queue_variants(image)
    return len(missing)


# -- what pages show -----------------------------------------------------------------


@dataclass
class Picture:
    """An uploaded picture as a page offers it: the original and its variants' paths.

    ``width`` and ``height`` are its shape as shown (upright), for the page's layout.
    """

    image_id: int
    product_id: int
    path: str
    width: int
    height: int
    alt: str = ""
    position: int = 0
    sources: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return bool(self.sources.get("jpeg"))

    def srcset(self, fmt: str) -> list[tuple[str, int]]:
        return self.sources.get(fmt, [])

    def fallback(self, width: int) -> str:
        """The JPEG for browsers that read no ``srcset``: the narrowest at least ``width``
        wide (else the widest), or the original before the variants exist."""
        jpegs = self.srcset("jpeg")
        if not jpegs:
            return self.path
        wide_enough = [path for path, w in jpegs if w >= width]
        return wide_enough[0] if wide_enough else jpegs[-1][0]


def _collect(rows: Iterable[tuple]) -> dict[int, Picture]:
    found: dict[int, Picture] = {}
    for image, variant in rows:
        picture = found.get(image.id)
        if picture is None:
            picture = found[image.id] = Picture(
                image_id=image.id,
                product_id=image.product_id,
                path=image.path,
                width=image.width,
                height=image.height,
                alt=image.alt,
                position=image.position,
            )
        if variant is not None:
            picture.sources.setdefault(variant.format, []).append((variant.path, variant.width))
            # Rows come narrowest first: the widest variant's shape is the upright one.
            picture.width, picture.height = variant.width, variant.height
    for picture in found.values():
        for entries in picture.sources.values():
            entries.sort(key=lambda entry: entry[1])
    return found


def _query() -> Select[ProductImage, ProductImageVariant]:
    return (
        select(ProductImage, ProductImageVariant)
        .outerjoin(ProductImageVariant, ProductImageVariant.image_id == ProductImage.id)
        .order_by(ProductImage.position, ProductImage.id, ProductImageVariant.width)
    )


def pictures(image_ids: Iterable[int]) -> dict[int, Picture]:
    """The pictures of these uploads with their variants, in one query."""
    ids = sorted(set(image_ids))
    if not ids:
        return {}
    rows = db.session.execute(_query().where(ProductImage.id.in_(ids))).all()
    return _collect(rows)


def gallery(product_id: int, also: Iterable[int] = ()) -> tuple[list[Picture], dict[int, Picture]]:
    """Every uploaded picture of a product, in the staff's order, and the pictures of
    uploads ``also`` (the page's other cards), in one query."""
    where = ProductImage.product_id == product_id
    others = sorted(set(also))
    if others:
        where = or_(where, ProductImage.id.in_(others))
    found = _collect(db.session.execute(_query().where(where)).all())
    mine = [picture for picture in found.values() if picture.product_id == product_id]
    return mine, found


def media_image_id(path: str) -> int | None:
    """The upload a product's ``image`` path names (``media/12-ab34.jpg``), if any."""
    if not path.startswith("media/"):
        return None
    head = path[len("media/") :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def get_variant(variant_id: int) -> ProductImageVariant | None:
    """A variant with its bytes (one query: the media route serves it at once)."""
    return db.session.scalar(
        select(ProductImageVariant)
        .where(ProductImageVariant.id == variant_id)
        .options(undefer(ProductImageVariant.data))
    )
