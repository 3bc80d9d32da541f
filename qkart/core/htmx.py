"""htmx helpers: one URL, one view, one template; htmx gets the block it targeted.

A view names which template block answers which ``HX-Target``; a plain request
(or a boosted link, or htmx restoring history) gets the whole page. Responses
that differ by these headers say so in ``Vary`` so caches keep them apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, g, make_response, render_template, request
from jinja2_fragments.flask import render_block

VARY = ("HX-Request", "HX-Target")


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def htmx_target() -> str | None:
    """The id of the element htmx will swap, or None for a plain page request."""
    return request.headers.get("HX-Target") if is_htmx() else None


def claim_error_focus() -> bool:
    """True once per request, for a full page answering a form POST: the first field in
    error takes focus there. htmx swaps keep focus where the shopper was instead."""
    if request.method != "POST" or is_htmx() or g.get("error_focus_taken"):
        return False
    g.error_focus_taken = True
    return True


def render(
    template: str,
    blocks: Mapping[str, str] | None = None,
    *,
    status: int = 200,
    oob: tuple[str, ...] = (),
    **context: Any,
) -> Response:
    """Render a page, or only ``blocks[HX-Target]`` plus out-of-band partials for htmx.

    A template whose name starts with ``_`` is itself a fragment. ``oob`` names
    partials (such as the header cart badge) appended to a fragment so htmx swaps
    them in place too; a full page already contains them.
    """
    block = (blocks or {}).get(htmx_target() or "")
    is_partial = template.rsplit("/", 1)[-1].startswith("_")
    if block is not None:
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    if block is not None or is_partial:
        for partial in oob:
            body += render_template(partial, oob=True, **context)
    response = make_response(body, status)
    for header in VARY:
        response.vary.add(header)
    return response


def redirect_303(location: str) -> Response:
    """After a POST: a 303 makes the browser GET the next page, so reload never reposts."""
    response = make_response("", 303)
    response.headers["Location"] = location
    return response
