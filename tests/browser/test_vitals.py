"""Web vitals in Chromium, under the shop's strict CSP: a product page measured, the
beacon sent as the shopper moves on, and one more page view counted in the report's
histograms; a browser sending Global Privacy Control sends nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from playwright.sync_api import BrowserContext, Page, Request

from tests.browser.helpers import BOOK_SLUG

BEACON = "/analytics/vitals"


def views(shop_app: Any, page: str, metric: str) -> int:
    """How many page views of this type have a figure for ``metric``, all days together."""
    from sqlalchemy import func, select

    from qkart.analytics.models import WebVitalCount
    from qkart.extensions import db

    with shop_app.app_context():
        total = db.session.scalar(
            select(func.coalesce(func.sum(WebVitalCount.count), 0)).where(
                WebVitalCount.page == page, WebVitalCount.metric == metric
            )
        )
        db.session.remove()
    return int(total)


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)  # the beacon is written by the server, outside this process
    return condition()


def open_strict(new_context: Callable[..., BrowserContext], **options: Any) -> Page:
    """A page under the shop's own CSP (the other browser tests bypass it for axe-core)."""
    return new_context(bypass_csp=False, **options).new_page()


def test_leaving_a_product_page_sends_its_vitals(
    new_context: Callable[..., BrowserContext], shop_app: Any
) -> None:
    page = open_strict(new_context)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    beacons: list[Request] = []
    page.on("request", lambda r: beacons.append(r) if r.url.endswith(BEACON) else None)
    before = views(shop_app, "product", "LCP")

    page.goto(f"/products/{BOOK_SLUG}")
    page.wait_for_load_state("load")
    assert page.evaluate("() => typeof window.webVitals.onLCP") == "function"
    page.get_by_role("heading", level=1).click()  # a first input: LCP is final from here
    page.goto("/")  # moving on hides the product page: the beacon goes out

    assert wait_for(lambda: views(shop_app, "product", "LCP") == before + 1)
    sent = [r for r in beacons if "page=product" in (r.post_data or "")]
    assert len(sent) == 1 and sent[0].method == "POST"
    fields = parse_qs(sent[0].post_data or "", keep_blank_values=True)
    assert fields["page"] == ["product"] and fields["device"] == ["desktop"]
    assert set(fields) >= {"LCP", "CLS"} and float(fields["LCP"][0]) > 0
    assert sent[0].headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert problems == []  # no CSP refusal, no script error


def test_a_browser_asking_for_privacy_sends_nothing(
    new_context: Callable[..., BrowserContext], shop_app: Any
) -> None:
    page = open_strict(new_context)
    # Global Privacy Control set in the browser only: the server still sends the script,
    # which must see the flag and stay silent.
    page.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    beacons: list[Request] = []
    page.on("request", lambda r: beacons.append(r) if r.url.endswith(BEACON) else None)
    before = views(shop_app, "search", "LCP")

    page.goto("/products?q=watch")
    page.wait_for_load_state("load")
    assert page.locator("script[src*='vitals.js']").count() == 1
    page.get_by_role("heading", level=1).click()
    page.goto("/")
    page.wait_for_load_state("load")

    assert not wait_for(lambda: views(shop_app, "search", "LCP") > before, seconds=1.5)
    assert beacons == []
