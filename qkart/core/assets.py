"""Static files with their content hash in the URL, so browsers may keep them a year.

``asset("css/qkart.css")`` gives ``/static/css/qkart.css?v=<hash>``; a changed file
gets a new URL, so a far-future, immutable cache never serves a stale copy.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, request, url_for

YEAR = 365 * 24 * 3600


def _digest(folder: str, filename: str) -> str:
    cache: dict[str, str] = current_app.extensions.setdefault("qkart_asset_hashes", {})
    if filename not in cache:
        path = Path(folder) / filename
        data = path.read_bytes() if path.is_file() else b""
        cache[filename] = hashlib.sha256(data).hexdigest()[:10]
    return cache[filename]


def asset(filename: str) -> str:
    """The URL of a static file, versioned by its content."""
    return url_for(
        "static", filename=filename, v=_digest(current_app.static_folder or "", filename)
    )


def image_url(path: str) -> str:
    """A product picture: an uploaded one (``media/...``) or a file of the shop's own."""
    if path.startswith("media/"):
        return "/" + path
    return asset(path)


def init_assets(app: Flask) -> None:
    app.add_template_global(asset, "asset")
    app.add_template_global(image_url, "image_url")

    @app.after_request
    def cache_versioned_assets(response: Response) -> Response:
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response
