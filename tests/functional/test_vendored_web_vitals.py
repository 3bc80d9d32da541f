"""The vendored web-vitals is the pinned npm release, with its licence and no source map;
its share of a page's bytes is held by the budgets in test_static_assets.py."""

from __future__ import annotations

import json
from pathlib import Path

VITALS_FILES = ("vendor/web-vitals-6.2.3.iife.js", "js/vitals.js")


def test_the_vendored_web_vitals_is_the_pinned_one(app):
    root = Path(__file__).resolve().parents[2]
    pinned = json.loads((root / "tools" / "package.json").read_text())["dependencies"]
    vendored = Path(app.static_folder) / VITALS_FILES[0]
    assert vendored.name == f"web-vitals-{pinned['web-vitals']}.iife.js"
    text = vendored.read_text()
    assert text.startswith(f"/*! web-vitals {pinned['web-vitals']} | Apache-2.0 | Copyright Google")
    assert "sourceMappingURL" not in text  # the map is not vendored: no 404 in devtools
    assert VITALS_FILES[0] in (root / "qkart" / "templates" / "base.html").read_text()
