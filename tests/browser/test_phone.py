"""A phone-sized screen (360 x 740): nothing may make the page scroll sideways."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import Shopper
from tests.browser.helpers import (
    BOOK,
    BOOK_SLUG,
    WATCH,
    expect_answered,
    fill_address,
    log_in,
    step,
)

PHONE = {"width": 360, "height": 740}
LIGHTHOUSE_PHONE = {"width": 412, "height": 823}  # the screen of Lighthouse's mobile runs

# The widest elements that stick out on the right, to say what overflows.
OVERFLOW = """() => {
    const limit = window.innerWidth;
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.width && box.right > limit + 0.5) {
            const id = el.id ? '#' + el.id : '';
            const cls = typeof el.className === 'string' && el.className
                ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
            wide.push(`${el.tagName.toLowerCase()}${id}${cls} right=${Math.round(box.right)}`);
        }
    }
    return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        offenders: wide.slice(0, 12),
    };
}"""


def assert_no_sideways_scroll(page: Page, label: str) -> None:
    found = page.evaluate(OVERFLOW)
    assert found["innerWidth"] == PHONE["width"], found
    assert found["scrollWidth"] <= found["innerWidth"], (
        f"{label} ({page.url}) is {found['scrollWidth']}px wide on a "
        f"{found['innerWidth']}px screen; sticking out: {found['offenders']}"
    )


def test_catalogue_and_cart_fit_a_phone(
    new_context: Callable[..., BrowserContext], make_shopper: Callable[..., Shopper]
) -> None:
    shopper = make_shopper("Pat Phone", cart={WATCH: 2, BOOK: 3})
    page = new_context(viewport=PHONE).new_page()

    page.goto("/")
    expect(page.locator(".grid .card").first).to_be_visible()
    assert_no_sideways_scroll(page, "home")

    page.goto("/products")
    expect(page.locator("#results .card")).to_have_count(12)
    assert_no_sideways_scroll(page, "catalogue")
    # The filters wait behind one button, so the first products are on the first screen.
    expect(page.get_by_label("Min price")).to_be_hidden()
    first = page.locator("#results .card").first.bounding_box()
    assert first and first["y"] < PHONE["height"], first

    page.get_by_text("Filter & sort").click()
    expect(page.get_by_label("Min price")).to_be_visible()
    assert_no_sideways_scroll(page, "catalogue with every filter open")

    page.goto("/products?q=no-such-thing-anywhere")
    expect(page.get_by_role("heading", name="No products found")).to_be_visible()
    assert_no_sideways_scroll(page, "catalogue without results")

    page.goto(f"/products/{BOOK_SLUG}")
    expect(page.get_by_role("heading", level=1, name=BOOK)).to_be_visible()
    assert_no_sideways_scroll(page, "product page")

    page.goto("/login")
    log_in(page, shopper.email, shopper.password)
    expect(page.locator(".flash-success")).to_be_visible()

    page.goto("/cart")
    expect(page.locator(".cart-line")).to_have_count(2)
    assert_no_sideways_scroll(page, "cart with items")

    page.get_by_role("button", name=f"One more {WATCH}").click()
    expect(page.locator("#cart-count")).to_contain_text("6")
    assert_no_sideways_scroll(page, "cart after an update in place")

    page.get_by_label("Promo code").fill("SAVE5")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#cart-discount")).to_be_visible()
    assert_no_sideways_scroll(page, "cart with a promo code applied")

    # Checkout in its states: the address form, then every step answered.
    page.goto("/checkout")
    expect(step(page, "address").locator("details[open]")).to_be_visible()
    assert_no_sideways_scroll(page, "checkout, address form open")

    step(page, "address").get_by_role("button", name="Use this address").click()
    expect(step(page, "address").locator(".error").first).to_be_visible()
    assert_no_sideways_scroll(page, "checkout, address form with errors")

    fill_address(page, shopper.name)
    step(page, "address").get_by_role("button", name="Use this address").click()
    expect_answered(page, "address", "42 Journey Road")
    step(page, "shipping").get_by_role("link", name=re.compile("^Change")).click()
    expect(step(page, "shipping").get_by_role("radio")).to_have_count(3)
    assert_no_sideways_scroll(page, "checkout, delivery options")
    step(page, "shipping").get_by_role("button", name="Continue").click()
    expect_answered(page, "shipping", "Standard delivery")
    assert_no_sideways_scroll(page, "checkout, payment options")

    step(page, "payment").get_by_role("radio", name=re.compile("^QKart wallet")).check()
    step(page, "payment").get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Place order", exact=True)).to_be_visible()
    assert_no_sideways_scroll(page, "checkout, ready to place the order")

    page.get_by_role("button", name="Place order", exact=True).click()
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    assert_no_sideways_scroll(page, "order page")

    page.goto("/account/wallet")
    expect(page.locator("tbody tr")).to_have_count(2)
    assert_no_sideways_scroll(page, "wallet")


# Every page a shopper or a visitor can open, as they are first shown.
VISITOR_PAGES = (
    "/",
    "/categories",
    "/categories/electronics",
    "/products?q=watch",
    "/products?brand=Apple&brand=OnePlus",
    f"/products/{BOOK_SLUG}",
    "/cart",
    "/compare",
    "/login",
    "/register",
    "/forgot-password",
    "/no-such-page",
)
SHOPPER_PAGES = (
    "/account",
    "/account/settings",
    "/account/addresses",
    "/account/wallet",
    "/account/password",
    "/orders",
    "/wishlist",
    "/cart",
    "/checkout",
)


def test_no_page_scrolls_sideways_and_the_header_stays_small(
    new_context: Callable[..., BrowserContext], make_shopper: Callable[..., Shopper]
) -> None:
    page = new_context(viewport=PHONE).new_page()
    for path in VISITOR_PAGES:
        page.goto(path)
        assert_no_sideways_scroll(page, f"visitor {path}")
        header = page.locator(".site-header").bounding_box()
        assert header and header["height"] <= 0.2 * PHONE["height"], (path, header)
    shopper = make_shopper("Pat Phone", cart={WATCH: 1})
    page.goto("/login")
    log_in(page, shopper.email, shopper.password)
    expect(page.locator(".flash-success")).to_be_visible()
    for path in SHOPPER_PAGES:
        page.goto(path)
        assert_no_sideways_scroll(page, f"shopper {path}")
        header = page.locator(".site-header").bounding_box()
        assert header and header["height"] <= 0.2 * PHONE["height"], (path, header)
    page.goto("/account/two-factor")
    page.get_by_role("button", name=re.compile("Set up|Turn on", re.I)).first.click()
    expect(page.get_by_text(re.compile("authenticator", re.I)).first).to_be_visible()
    assert_no_sideways_scroll(page, "two-factor set-up")
    # Tap targets in the header are at least 24 px high.
    for box in page.locator(".site-header a, .site-header button").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    ):
        assert box >= 24, box


# Every layout shift since the page started loading (the browser buffers them).
LAYOUT_SHIFT = """() => new Promise(resolve => {
    let total = 0;
    new PerformanceObserver(list => {
        for (const shift of list.getEntries()) if (!shift.hadRecentInput) total += shift.value;
    }).observe({type: 'layout-shift', buffered: true});
    setTimeout(() => resolve(total), 300);
})"""


def test_the_cart_on_a_phone_does_not_move_when_its_scripts_arrive(
    new_context: Callable[..., BrowserContext], make_shopper: Callable[..., Shopper]
) -> None:
    """The Update button a script makes needless is gone before the first paint (it
    moved the order summary down the screen: Lighthouse's CLS 0.11 on the cart)."""
    shopper = make_shopper("Casey Steady", cart={WATCH: 1})
    page = new_context(viewport=LIGHTHOUSE_PHONE).new_page()
    page.goto("/login")
    log_in(page, shopper.email, shopper.password)
    # shop.js late, as on a slow phone network: the page is painted before it runs.
    page.route(re.compile(r"/js/shop\."), lambda route: (time.sleep(0.6), route.continue_()))
    page.goto("/cart")
    expect(page.locator(".cart-line")).to_have_count(1)
    page.wait_for_load_state("load")
    expect(page.get_by_role("button", name="Update")).to_be_hidden()
    assert page.evaluate(LAYOUT_SHIFT) < 0.01
