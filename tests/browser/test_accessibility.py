"""axe-core (WCAG 2.0/2.1 A and AA rules) on every page a shopper reaches.

Each test audits its pages in the order a shopper meets them and fails once at the
end, listing every violation of every page: rule id, impact, the offending
elements (selector and HTML) and axe's help text.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import Shopper
from tests.browser.helpers import BOOK, BOOK_SLUG, WATCH, AxeAudit, fill_address, log_in


def test_visitor_pages_have_no_axe_violations(page: Page) -> None:
    audit = AxeAudit()

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    audit.check(page, "home")

    page.goto("/products?q=watch")
    expect(page.locator("#results .card")).to_have_count(1)
    audit.check(page, "catalogue with results")

    page.goto("/products")
    expect(page.locator("#results .card").first).to_be_visible()
    audit.check(page, "catalogue, all products")

    page.goto("/products?q=no-such-thing-anywhere")
    expect(page.get_by_role("heading", name="No products found")).to_be_visible()
    audit.check(page, "catalogue with no results")

    page.goto("/categories/books")
    expect(page.get_by_role("heading", level=1, name="Books")).to_be_visible()
    audit.check(page, "category page")

    page.goto("/cart")
    expect(page.get_by_role("heading", name="Your cart is empty")).to_be_visible()
    audit.check(page, "empty cart")

    page.goto("/login")
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible()
    audit.check(page, "login")

    page.goto("/register")
    expect(page.get_by_role("heading", level=1, name="Create your account")).to_be_visible()
    audit.check(page, "register")

    response = page.goto("/products/no-such-product")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    audit.check(page, "404")

    page.goto(f"/products/{BOOK_SLUG}")
    expect(page.get_by_role("heading", level=1, name=BOOK)).to_be_visible()
    audit.check(page, "product page")

    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Added to cart.")).to_be_visible()
    audit.check(page, "product page after adding to the cart (htmx)")

    page.goto("/products")
    page.locator("#q").fill("book")
    expect(page.locator("#results .card")).to_have_count(1)
    audit.check(page, "catalogue after a live search (htmx)")

    audit.assert_clean()


def test_shopper_pages_have_no_axe_violations(
    page: Page, make_shopper: Callable[..., Shopper]
) -> None:
    shopper = make_shopper("Alex Audit", cart={WATCH: 1, BOOK: 2})
    audit = AxeAudit()

    page.goto("/login")
    log_in(page, shopper.email, shopper.password)
    expect(page.locator(".flash-success")).to_contain_text("Welcome back")

    page.goto("/cart")
    expect(page.locator(".cart-line")).to_have_count(2)
    audit.check(page, "full cart")

    page.get_by_role("button", name=f"One more {BOOK}").click()
    expect(page.get_by_label(f"Quantity of {BOOK}")).to_have_value("3")
    audit.check(page, "full cart after an update in place (htmx)")

    page.goto("/checkout")
    expect(page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
    audit.check(page, "checkout, no address yet")

    # Submitted empty: every field of the address form says what to fix.
    page.get_by_role("button", name="Save address").click()
    expect(page.locator("#addresses .error").first).to_be_visible()
    audit.check(page, "checkout, address form with errors")

    page.goto("/account/addresses")
    expect(page.get_by_role("heading", level=1, name="Your addresses")).to_be_visible()
    audit.check(page, "address book, empty")

    fill_address(page, shopper.name)
    page.get_by_role("button", name="Save address").click()
    expect(page.locator(".address-list .address")).to_have_count(1)
    audit.check(page, "address book, one address")

    page.goto("/orders")
    expect(page.get_by_role("heading", name="No orders yet")).to_be_visible()
    audit.check(page, "orders, none yet")

    page.goto("/checkout")
    expect(page.locator("input[name=address_id]")).to_be_checked()
    audit.check(page, "checkout with an address")

    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    audit.check(page, "order page")

    page.goto("/orders")
    expect(page.locator(".orders-table tbody tr")).to_have_count(1)
    audit.check(page, "orders")

    page.goto("/account")
    expect(
        page.get_by_role("heading", level=1, name=f"Hello, {shopper.first_name}")
    ).to_be_visible()
    audit.check(page, "account")

    page.goto("/cart")
    expect(page.get_by_role("heading", name="Your cart is empty")).to_be_visible()
    audit.check(page, "empty cart, signed in")

    audit.assert_clean()
