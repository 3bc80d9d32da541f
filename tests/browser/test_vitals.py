"""Web vitals in Chromium, under the shop's strict CSP: a product page measured, the
beacon sent as the shopper moves on, and one more page view counted in the report's
histograms; a browser sending Global Privacy Control sends nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PASSWORD, LiveServer
from tests.browser.helpers import BOOK_SLUG, AxeAudit, log_in

BEACON = "/analytics/vitals"
# A tablet: no other browser test is one, so their beacons never mix with these counts.
TABLET = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari"


def views(shop_app: Any, page: str, metric: str, device: str = "tablet") -> int:
    """How many page views of this type and device have a figure for ``metric``."""
    from sqlalchemy import func, select

    from qkart.analytics.models import WebVitalCount
    from qkart.extensions import db

    with shop_app.app_context():
        total = db.session.scalar(
            select(func.coalesce(func.sum(WebVitalCount.count), 0)).where(
                WebVitalCount.page == page,
                WebVitalCount.metric == metric,
                WebVitalCount.device == device,
            )
        )
        db.session.remove()
    return int(total)


def beacons_served(server: LiveServer, path: str) -> int:
    """Beacons the server answered for the page at ``path`` (their Referer), from its access
    log: a beacon sent as a page unloads is not reported to Playwright's request events."""
    sent_from = f'"POST {BEACON} HTTP/1.1" 204 0 "{server.url}{path}"'
    return server.log.read_text(errors="replace").count(sent_from)


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)  # the beacon is written by the server, outside this process
    return condition()


@pytest.fixture
def strict_page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A page under the shop's own CSP (the other browser tests bypass it for axe-core)."""
    context = browser.new_context(base_url=base_url, user_agent=TABLET)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_leaving_a_product_page_sends_its_vitals(
    strict_page: Page, shop_app: Any, live_server: LiveServer
) -> None:
    page = strict_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    before = {metric: views(shop_app, "product", metric) for metric in ("LCP", "CLS")}
    path = f"/products/{BOOK_SLUG}?seen-by=test_vitals"  # a URL no other test opens
    served = beacons_served(live_server, path)

    page.goto(path)
    page.wait_for_load_state("load")
    assert page.evaluate("() => typeof window.webVitals.onLCP") == "function"
    page.get_by_role("heading", level=1).click()  # a first input: LCP is final from here
    page.goto("/")  # moving on hides the product page: the beacon goes out

    assert wait_for(lambda: views(shop_app, "product", "CLS") == before["CLS"] + 1)
    assert views(shop_app, "product", "LCP") == before["LCP"] + 1
    assert wait_for(
        lambda: beacons_served(live_server, path) == served + 1
    )  # one beacon, all three
    assert problems == []  # no CSP refusal, no script error


def test_a_browser_asking_for_privacy_sends_nothing(
    strict_page: Page, shop_app: Any, live_server: LiveServer
) -> None:
    page = strict_page
    # Global Privacy Control set in the browser only: the server still sends the script,
    # which must see the flag and stay silent.
    page.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    path = "/products?q=watch&seen-by=test_vitals"
    served, before = beacons_served(live_server, path), views(shop_app, "search", "LCP")

    page.goto(path)
    page.wait_for_load_state("load")
    assert page.locator("script[src*='/js/vitals.']").count() == 1
    page.get_by_role("heading", level=1).click()
    page.goto("/")
    page.wait_for_load_state("load")

    assert not wait_for(lambda: beacons_served(live_server, path) > served, seconds=2)
    assert views(shop_app, "search", "LCP") == before


# -- the report ---------------------------------------------------------------------------

OLD_DAY = "2025-06-01"  # a day no other test writes to


@pytest.fixture
def owner_page(
    browser: Browser, browser_context_args: dict[str, Any], shop_app: Any
) -> Iterator[Page]:
    """An owner's page on the report, with a known day of checkout vitals in the database."""
    from datetime import date
    from uuid import uuid4

    from sqlalchemy import delete

    from qkart.accounts.services import mark_verified, register_user
    from qkart.analytics.models import WebVitalCount
    from qkart.extensions import db

    email = f"vitals-owner-{uuid4().hex[:8]}@example.com"
    day = date.fromisoformat(OLD_DAY)
    with shop_app.app_context():
        mark_verified(register_user("Vera Vitals", email, PASSWORD, role="owner"))
        db.session.add_all(
            WebVitalCount(day=day, page="checkout", device="tablet", metric=m, upper=u, count=n)
            for m, u, n in (("LCP", 1200, 3), ("LCP", 4100, 1), ("INP", 520, 4), ("CLS", 0, 4))
        )
        db.session.commit()
        db.session.remove()
    context = browser.new_context(**browser_context_args)  # axe needs the CSP bypassed
    page = context.new_page()
    page.goto("/login")
    log_in(page, email, PASSWORD)
    try:
        yield page
    finally:
        context.close()
        with shop_app.app_context():
            db.session.execute(delete(WebVitalCount).where(WebVitalCount.day == day))
            db.session.commit()
            db.session.remove()


def test_the_report_shows_the_day_against_the_thresholds(owner_page: Page) -> None:
    page = owner_page
    page.goto("/admin/analytics")
    page.get_by_role("navigation", name="Reports").get_by_role("link", name="Web vitals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Web vitals")
    page.get_by_label("From", exact=True).fill(OLD_DAY)
    page.get_by_label("To", exact=True).fill(OLD_DAY)
    page.get_by_role("button", name="Show").click()
    pages = page.get_by_role("table", name=re.compile("per page type"))
    row = pages.get_by_role("row", name=re.compile("^Checkout"))
    # LCP: 4 views, the 3rd smallest in the 1.2 s bucket; INP all at 520 ms: poor.
    expect(row.get_by_role("cell")).to_have_count(3)
    expect(row.get_by_role("cell", name="1.20 s good · 4 views")).to_be_visible()
    expect(row.get_by_role("cell", name="520 ms poor · 4 views")).to_be_visible()
    charts = page.locator("img.chart")
    expect(charts).to_have_count(6)
    for n in range(6):
        charts.nth(n).scroll_into_view_if_needed()
    widths = charts.evaluate_all(
        "imgs => Promise.all(imgs.map(i => i.decode().then(() => i.naturalWidth, () => 0)))"
    )
    assert all(w > 0 for w in widths), widths  # the SVGs load and draw
    audit = AxeAudit()
    audit.check(page, "web vitals")
    audit.assert_clean()
