"""Picture jobs: the responsive sizes of an upload are made by a worker, after the
upload's request (a large photo takes seconds to encode in AVIF, WebP and JPEG)."""

from __future__ import annotations

from qkart.catalog import images


def make_variants(image_id: int) -> None:
    images.make_variants(image_id)
