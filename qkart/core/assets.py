"""Static files: content-hashed URLs, minified, precompressed, cached for a year.

``asset("css/qkart.css")`` gives ``/static/css/qkart.<hash>.css``. Each file is read
once per process: the shop's own CSS and JavaScript are minified (vendored files are
served as their authors built them), every text file is compressed once, at the
highest levels (brotli 11, gzip by zopfli), and each request gets the smallest body
its ``Accept-Encoding`` allows. Nothing is built by hand or written to disk, so a fresh
clone, ``make run`` and gunicorn all serve the same bytes.

A URL that carries the file's own hash is cached a year and never revalidated
(``immutable``): a changed file gets a new URL. A plain name is cached an hour. An old
or unknown hash (a page from before a deploy, or from a process that has not got the
new file yet) still gets the current file, but only with ``no-cache``, so no cache
keeps it for a year under a name that is not its own.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import brotli
import rcssmin
import rjsmin
import zopfli.gzip
from flask import Flask, Response, abort, current_app, request, session, url_for
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
PLAIN_MAX_AGE = 3600
HASH_LENGTH = 10
IMMUTABLE = f"public, max-age={YEAR}, immutable"

# Worth compressing: text, and the few binary formats that are not compressed already.
COMPRESSIBLE = frozenset(
    {".css", ".js", ".mjs", ".svg", ".ico", ".json", ".webmanifest", ".txt", ".xml", ".map"}
    | {".ttf", ".otf", ".eot"}
)
MINIFIERS: dict[str, Callable[[str], str]] = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}
VENDORED = "vendor/"  # third-party files stay byte for byte as their authors built them
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".ico": "image/x-icon"}
ENCODINGS = ("br", "gzip")  # preferred first when a client accepts both equally

_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{HASH_LENGTH}}})(?P<ext>\.\w+)?$")


@dataclass
class Asset:
    """One static file as served: its body, its hash and (lazily) its compressed bodies."""

    body: bytes
    digest: str
    mimetype: str
    modified: float
    signature: tuple[int, int]  # (mtime_ns, size) of the file it was built from
    compressible: bool
    _encoded: dict[str, bytes] | None = field(default=None, repr=False)

    def encoded(self) -> dict[str, bytes]:
        """The brotli and gzip bodies, made on the first request that wants one."""
        if self._encoded is None:
            with _lock:
                if self._encoded is None:
                    self._encoded = _compress(self.body) if self.compressible else {}
        return self._encoded


_lock = threading.Lock()
_built: dict[str, Asset] = {}  # absolute path -> asset, shared by every app of the process


def _compress(body: bytes) -> dict[str, bytes]:
    """Each encoding that makes the file smaller."""
    candidates = {
        "br": brotli.compress(body, quality=11),
        "gzip": zopfli.gzip.compress(body),
    }
    return {name: data for name, data in candidates.items() if len(data) < len(body)}


def _build(path: Path, relative: str) -> Asset:
    stat = path.stat()
    suffix = path.suffix.lower()
    body = path.read_bytes()
    minify = MINIFIERS.get(suffix)
    if minify is not None and not relative.startswith(VENDORED):
        body = minify(body.decode("utf-8")).encode("utf-8")
    mimetype = TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Asset(
        body=body,
        digest=hashlib.sha256(body).hexdigest()[:HASH_LENGTH],
        mimetype=mimetype,
        modified=stat.st_mtime,
        signature=(stat.st_mtime_ns, stat.st_size),
        compressible=suffix in COMPRESSIBLE,
    )


def load(folder: str, relative: str) -> Asset | None:
    """The built file ``relative`` under ``folder``, or None if there is no such file.

    Built once per process; in debug mode an edited file is rebuilt on its next use.
    """
    joined = safe_join(folder, relative)
    if joined is None:
        return None
    path = Path(joined)
    found = _built.get(joined)
    if found is not None and not current_app.debug:
        return found
    try:
        if found is not None and _signature(path) == found.signature:
            return found
        if not path.is_file():
            return None
        built = _build(path, relative)
    except OSError:
        return None
    _built[joined] = built
    return built


def _signature(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def hashed_name(filename: str, digest: str) -> str:
    """``css/qkart.css`` -> ``css/qkart.<digest>.css``."""
    head, dot, ext = filename.rpartition(".")
    if not dot or "/" in ext:
        return f"{filename}.{digest}"
    return f"{head}.{digest}.{ext}"


def asset(filename: str) -> str:
    """The URL of a static file, named by its content (a plain URL if it is missing)."""
    app = current_app
    key = (request.script_root, filename)
    urls: dict[tuple[str, str], str] = app.extensions.setdefault("qkart_asset_urls", {})
    url = urls.get(key)
    if url is None or app.debug:
        built = load(app.static_folder or "", filename)
        name = hashed_name(filename, built.digest) if built else filename
        url = urls[key] = url_for("static", filename=name)
    return url


def image_url(path: str) -> str:
    """A product picture: an uploaded one (``media/...``) or a file of the shop's own."""
    if path.startswith("media/"):
        return "/" + path
    return asset(path)


def _resolve(folder: str, filename: str) -> tuple[Asset, str | None]:
    """The file a static URL names and the hash the URL carries (None for a plain name)."""
    plain = load(folder, filename)
    if plain is not None:
        return plain, None
    match = _HASHED.match(filename)
    if match is None:
        abort(404)
    built = load(folder, match["stem"] + (match["ext"] or ""))
    if built is None:
        abort(404)
    return built, match["digest"]


def _encoding(item: Asset) -> str | None:
    """The accepted encoding with the highest quality (brotli first on a tie)."""
    encoded = item.encoded()
    offered = [
        (request.accept_encodings.quality(name), -rank, name)
        for rank, name in enumerate(ENCODINGS)
        if name in encoded
    ]
    best = max(offered, default=(0, 0, None))
    return best[2] if best[0] > 0 else None


def _cache_control(item: Asset, digest: str | None) -> str:
    if digest is None:
        return f"public, max-age={PLAIN_MAX_AGE}"
    # Another hash: a page from before a deploy, or one this process has not got yet.
    return IMMUTABLE if digest == item.digest else "public, no-cache"


def serve_static(filename: str) -> Response:
    """Flask's ``static`` endpoint, with hashed names, encodings and the cache rules above."""
    item, digest = _resolve(current_app.static_folder or "", filename)
    encoding = _encoding(item) if item.compressible else None
    response = Response(item.encoded()[encoding] if encoding else item.body, mimetype=item.mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    if item.compressible:
        response.vary.add("Accept-Encoding")
    # Each encoding is other bytes, so it has its own strong validator.
    response.set_etag(f"{item.digest}-{encoding}" if encoding else item.digest)
    response.last_modified = item.modified  # type: ignore[assignment]
    response.headers["Cache-Control"] = _cache_control(item, digest)
    response.make_conditional(request, accept_ranges=True, complete_length=len(response.get_data()))
    return response


def init_assets(app: Flask) -> None:
    app.add_template_global(asset, "asset")
    app.add_template_global(image_url, "image_url")
    if "static" in app.view_functions:
        app.view_functions["static"] = serve_static
    _compress_pages(app)
    # After-request hooks run last-registered first: at the front of the list this one
    # runs after every other (Flask-Login's remember-cookie hook reads the session).
    app.after_request_funcs.setdefault(None, []).insert(0, _files_ignore_the_session)


def _compress_pages(app: Flask) -> None:
    """Flask-Compress for pages and fragments; a static file leaves as it was built (an
    encoding the client refused, even with ``q=0``, is never made up on the fly)."""
    from qkart.extensions import compress

    @app.after_request
    def compress_pages(response: Response) -> Response:
        if request.endpoint == "static":
            return response
        return compress.after_request(response)


def _files_ignore_the_session(response: Response) -> Response:
    """A static file is the same for everyone. Reading the session (as Flask-Login does on
    every response) would add ``Vary: Cookie``, and browsers then drop the year-long copy
    whenever any cookie changes."""
    if request.endpoint == "static":
        session._get_current_object().accessed = False  # type: ignore[attr-defined]
    return response
