"""Web vitals in Chromium, under the shop's strict CSP: QKart's own js/vitals.js measures a
product page's LCP, CLS (a real layout shift) and INP (a slow click), and sends them in one
beacon as the shopper moves on, counted in the report's histograms; a page hidden, shown
and hidden again is still one view, one restored from the back/forward cache a new one;
a browser asking for privacy (Do Not Track, Global Privacy Control) sends nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, PASSWORD, LiveServer
from tests.browser.helpers import BOOK_SLUG, AxeAudit, log_in

BEACON = "/analytics/vitals"
METRICS = ("LCP", "CLS", "INP")
# A tablet: no other browser test is one, so their beacons never mix with these counts.
TABLET = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari"
# A layout shift no input explains: a tall block pushed in above the page's content.
SHIFT = """() => {
    const block = document.createElement('div');
    block.style.height = '300px';
    document.querySelector('main').prepend(block);
}"""
# A click whose handler keeps the main thread 150 ms: an interaction INP must report.
SLOW_CLICK = """() => document.querySelector('h1').addEventListener('click', () => {
    const start = performance.now();
    while (performance.now() - start < 150) {}
})"""
# The page hidden or shown as when the shopper switches tabs (headless tabs stay visible).
VISIBILITY = """state => {
    if (state === 'hidden') {
        Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
    } else {
        delete document.visibilityState;  // the browser's own state again: visible
    }
    document.dispatchEvent(new Event('visibilitychange'));
}"""


def views(shop_app: Any, page: str, metric: str, above: int = -1) -> int:
    """How many tablet page views of this type have a figure for ``metric`` in a bucket
    above ``above`` (in the stored unit: ms, or thousandths of CLS)."""
    from sqlalchemy import func, select

    from qkart.analytics.models import WebVitalCount
    from qkart.extensions import db

    with shop_app.app_context():
        total = db.session.scalar(
            select(func.coalesce(func.sum(WebVitalCount.count), 0)).where(
                WebVitalCount.page == page,
                WebVitalCount.metric == metric,
                WebVitalCount.device == "tablet",
                WebVitalCount.upper > above,
            )
        )
        db.session.remove()
    return int(total)


def all_views(shop_app: Any, page: str) -> dict[str, int]:
    return {metric: views(shop_app, page, metric) for metric in METRICS}


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


def watch_errors(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


@pytest.fixture
def strict_page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A page under the shop's own CSP (the other browser tests bypass it for axe-core)."""
    context = browser.new_context(base_url=base_url, user_agent=TABLET)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def caching_page(playwright: Playwright, base_url: str) -> Iterator[Page]:
    """Like ``strict_page``, in a Chromium whose back/forward cache is on (Playwright turns
    it off by default)."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=CHROMIUM_FLAGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    try:
        yield browser.new_context(base_url=base_url, user_agent=TABLET).new_page()
    finally:
        browser.close()


def open_and_use(page: Page, path: str, slow: bool = True) -> None:
    """Open ``path``, let the page shift, click its heading (the first input: LCP is final
    from here), then click it again, slowly, or not."""
    page.goto(path)
    page.wait_for_load_state("load")
    page.evaluate(SHIFT)
    page.wait_for_timeout(200)
    heading = page.get_by_role("heading", level=1)
    heading.click()
    if slow:
        page.evaluate(SLOW_CLICK)
        heading.click()
    page.wait_for_timeout(200)  # the click's next paint, so its event timing entry exists


def test_leaving_a_product_page_sends_its_vitals(
    strict_page: Page, shop_app: Any, live_server: LiveServer
) -> None:
    page = strict_page
    problems = watch_errors(page)
    before = all_views(shop_app, "product")
    shifted, slow = views(shop_app, "product", "CLS", 0), views(shop_app, "product", "INP", 100)
    path = f"/products/{BOOK_SLUG}?seen-by=test_vitals"  # a URL no other test opens
    served = beacons_served(live_server, path)

    open_and_use(page, path)
    assert page.locator("script[src*='vitals']").count() == 1  # QKart's own, no library
    page.goto("/")  # moving on hides the product page: the beacon goes out

    assert wait_for(lambda: beacons_served(live_server, path) == served + 1)
    assert all_views(shop_app, "product") == {m: n + 1 for m, n in before.items()}
    assert views(shop_app, "product", "CLS", 0) == shifted + 1  # the shift, not 0
    assert views(shop_app, "product", "INP", 100) == slow + 1  # the slow click, not the first
    page.wait_for_timeout(500)
    assert beacons_served(live_server, path) == served + 1  # one beacon, all three
    assert problems == []  # no CSP refusal, no script error


def test_a_page_hidden_and_shown_again_is_still_one_view(
    strict_page: Page, shop_app: Any, live_server: LiveServer
) -> None:
    page = strict_page
    problems = watch_errors(page)
    before = all_views(shop_app, "product")
    path = f"/products/{BOOK_SLUG}?seen-by=test_vitals-tabs"
    served = beacons_served(live_server, path)

    open_and_use(page, path, slow=False)  # a quick click is an INP too (the first input)
    page.evaluate(VISIBILITY, "hidden")  # another tab: the beacon goes out
    assert wait_for(lambda: beacons_served(live_server, path) == served + 1)
    page.evaluate(VISIBILITY, "visible")
    page.get_by_role("heading", level=1).click()
    page.evaluate(VISIBILITY, "hidden")
    page.evaluate(VISIBILITY, "visible")
    page.goto("/")

    page.wait_for_load_state("load")
    assert not wait_for(lambda: beacons_served(live_server, path) > served + 1, seconds=2)
    assert all_views(shop_app, "product") == {m: n + 1 for m, n in before.items()}
    assert problems == []


def test_a_page_back_from_the_back_forward_cache_is_a_new_view(
    caching_page: Page, shop_app: Any, live_server: LiveServer
) -> None:
    page = caching_page
    problems = watch_errors(page)
    page.add_init_script("addEventListener('pageshow', e => { window.restored = e.persisted })")
    before = all_views(shop_app, "product")
    path = f"/products/{BOOK_SLUG}?seen-by=test_vitals-back"
    served = beacons_served(live_server, path)

    open_and_use(page, path)
    page.goto("/")
    assert wait_for(lambda: beacons_served(live_server, path) == served + 1)
    page.go_back(wait_until="commit")  # a restored page fires no load event
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    assert page.wait_for_function("() => window.restored !== undefined").json_value() is True
    page.wait_for_timeout(200)  # two animation frames: the restored page's LCP
    page.get_by_role("heading", level=1).click()
    page.wait_for_timeout(200)
    page.goto("/")

    assert wait_for(lambda: beacons_served(live_server, path) == served + 2)
    assert all_views(shop_app, "product") == {m: n + 2 for m, n in before.items()}
    assert problems == []


@pytest.mark.parametrize(
    "flag",
    [
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})",
        "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})",
    ],
    ids=["gpc", "dnt"],
)
def test_a_browser_asking_for_privacy_sends_nothing(
    strict_page: Page, shop_app: Any, live_server: LiveServer, flag: str
) -> None:
    page = strict_page
    # The flag set in the browser only: the server still sends the script, which must see
    # the flag and stay silent.
    page.add_init_script(flag)
    path = "/products?q=watch&seen-by=test_vitals"
    served, before = beacons_served(live_server, path), all_views(shop_app, "search")

    page.goto(path)
    page.wait_for_load_state("load")
    assert page.locator("script[src*='/js/vitals.']").count() == 1
    page.get_by_role("heading", level=1).click()
    page.goto("/")
    page.wait_for_load_state("load")

    assert not wait_for(lambda: beacons_served(live_server, path) > served, seconds=2)
    assert all_views(shop_app, "search") == before


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
