"""Uploaded product images, served from the database with a year-long cache.

The URL carries a digest of the bytes, so a replaced image gets a new URL and the
cache never serves a stale one; every web process serves every image (no local disk).
The responsive sizes a job makes of each upload (``/media/v/...``) are served alike.
"""

from __future__ import annotations

from flask import Response, abort, request

from qkart.blueprints.media import bp
from qkart.catalog.images import get_variant
from qkart.catalog.models import VARIANT_EXTENSIONS
from qkart.catalog.uploads import get_image
from qkart.core.assets import YEAR
from qkart.extensions import limiter

EXTENSIONS = {"jpg", "png", "webp"}


def _immutable(data: bytes, mimetype: str, digest: str) -> Response:
    if request.if_none_match and digest in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(data, mimetype=mimetype)
    response.set_etag(digest)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response


@bp.get("/media/<int:image_id>-<digest>.<extension>")
@limiter.exempt
def image(image_id: int, digest: str, extension: str) -> Response:
    found = get_image(image_id)
    if found is None or found.digest != digest[:16] or extension not in EXTENSIONS:
        abort(404)
    return _immutable(found.data, found.content_type, found.digest)


@bp.get("/media/v/<int:variant_id>-<digest>.<extension>")
@limiter.exempt
def variant(variant_id: int, digest: str, extension: str) -> Response:
    found = get_variant(variant_id)
    if found is None or found.digest != digest or VARIANT_EXTENSIONS.get(found.format) != extension:
        abort(404)
    return _immutable(found.data, found.content_type, found.digest)
