"""Uploaded product images, served from the database with a year-long cache.

The URL carries a digest of the bytes, so a replaced image gets a new URL and the
cache never serves a stale one; every web process serves every image (no local disk).
"""

from __future__ import annotations

from flask import Response, abort, request

from qkart.blueprints.media import bp
from qkart.catalog.management import get_image
from qkart.core.assets import YEAR
from qkart.extensions import limiter

EXTENSIONS = {"jpg", "png", "webp"}


@bp.get("/media/<int:image_id>-<digest>.<extension>")
@limiter.exempt
def image(image_id: int, digest: str, extension: str) -> Response:
    found = get_image(image_id)
    if found is None or found.digest != digest[:16] or extension not in EXTENSIONS:
        abort(404)
    if request.if_none_match and found.digest in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(found.data, mimetype=found.content_type)
    response.set_etag(found.digest)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response
