"""axe-core (WCAG 2.0/2.1 A and AA rules) on every page a shopper reaches.

Each test audits its pages in the order a shopper meets them and fails once at the
end, listing every violation of every page: rule id, impact, the offending
elements (selector and HTML) and axe's help text. Checkout is audited in each of its
states (every step open, with errors, answered, reopened with "Change", ready to
place), for a guest and for a signed-in shopper.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import LiveServer, Shopper
from tests.browser.helpers import (
    BOOK,
    BOOK_SLUG,
    WATCH,
    AxeAudit,
    expect_answered,
    fill_address,
    log_in,
    step,
)


def radio(page: Page, name: str, label: str) -> Locator:
    """A choice of a checkout step, by the start of its label."""
    return step(page, name).get_by_role("radio", name=re.compile(f"^{re.escape(label)}"))


def change(page: Page, name: str) -> None:
    step(page, name).get_by_role("link", name=re.compile("^Change")).click()
    expect(step(page, name).locator("form")).not_to_have_count(0)


def guest_details(page: Page, email: str) -> None:
    """Contact and address of a guest checkout (JavaScript on: swapped in place)."""
    step(page, "contact").get_by_label("E-mail for your receipt").fill(email)
    step(page, "contact").get_by_role("button", name="Continue").click()
    expect_answered(page, "contact", email)
    fill_address(page, "Gale Guest")
    step(page, "address").get_by_role("button", name="Use this address").click()
    expect_answered(page, "address", "42 Journey Road")


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

    page.goto("/checkout")
    expect(page.get_by_role("heading", name="Your cart is empty")).to_be_visible()
    audit.check(page, "checkout, empty cart")

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


def test_guest_checkout_pages_have_no_axe_violations(page: Page, live_server: LiveServer) -> None:
    audit = AxeAudit()
    page.goto(f"/products/{BOOK_SLUG}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Added to cart.")).to_be_visible()

    # Promo codes: SAVE5 needs 50.00 of goods (refused beside the field), BOOKS20 applies.
    page.goto("/cart")
    page.get_by_label("Promo code").fill("SAVE5")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#code-error")).to_contain_text("minimum order")
    audit.check(page, "cart, promo code refused")
    page.get_by_label("Promo code").fill("BOOKS20")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".coupon-applied")).to_contain_text("BOOKS20")
    audit.check(page, "cart with a promo code applied")

    page.goto("/checkout")
    expect(step(page, "contact").get_by_label("E-mail for your receipt")).to_be_visible()
    audit.check(page, "checkout, guest: contact step")

    step(page, "contact").get_by_label("E-mail for your receipt").fill("not-an-email")
    step(page, "contact").get_by_role("button", name="Continue").click()
    expect(page.locator("#email-error")).to_be_visible()
    audit.check(page, "checkout, guest: contact step with an error")

    step(page, "contact").get_by_label("E-mail for your receipt").fill("gale.guest@example.com")
    step(page, "contact").get_by_role("button", name="Continue").click()
    expect(step(page, "address").locator("details[open]")).to_be_visible()
    audit.check(page, "checkout, guest: address form")

    step(page, "address").get_by_role("button", name="Use this address").click()
    expect(step(page, "address").locator(".error").first).to_be_visible()
    audit.check(page, "checkout, guest: address form with errors")

    fill_address(page, "Gale Guest")
    step(page, "address").get_by_role("button", name="Use this address").click()
    expect_answered(page, "address", "42 Journey Road")
    audit.check(page, "checkout, guest: delivery answered, payment open")

    step(page, "payment").get_by_role("button", name="Continue").click()  # nothing chosen
    expect(step(page, "payment").locator(".error")).to_have_text("Choose how you want to pay.")
    audit.check(page, "checkout, guest: payment step with an error")

    change(page, "shipping")
    expect(radio(page, "shipping", "Standard delivery")).to_be_checked()
    audit.check(page, "checkout, guest: delivery reopened")
    step(page, "shipping").get_by_role("button", name="Continue").click()
    expect_answered(page, "shipping", "Standard delivery")

    radio(page, "payment", "Card").check()
    step(page, "payment").get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Place order and pay by card")).to_be_visible()
    audit.check(page, "checkout, guest: ready to pay by card")

    change(page, "payment")
    audit.check(page, "checkout, guest: payment reopened")
    radio(page, "payment", "Cash on delivery").check()
    step(page, "payment").get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Place order", exact=True)).to_be_visible()
    audit.check(page, "checkout, guest: ready to pay cash on delivery")

    page.get_by_role("button", name="Place order", exact=True).click()
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    audit.check(page, "order page, guest, cash on delivery")

    # A card order left unpaid: the order page waits for the payment (and polls).
    page.goto(f"/products/{BOOK_SLUG}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Added to cart.")).to_be_visible()
    page.goto("/checkout")
    guest_details(page, "gale.guest@example.com")
    radio(page, "payment", "Card").check()
    step(page, "payment").get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Place order and pay by card").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.stripe.url)}/pay/"))
    page.get_by_role("link", name="Cancel and go back").click()
    expect(page.get_by_text("Payment pending.")).to_be_visible()
    expect(page.locator(".page-head .status")).to_have_text("Awaiting payment")
    audit.check(page, "order page, guest, card payment pending")

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

    page.get_by_label("Promo code").fill("WELCOME10")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".coupon-applied")).to_contain_text("WELCOME10")
    audit.check(page, "full cart with a promo code applied (htmx)")

    page.goto("/checkout")
    expect(step(page, "contact")).to_contain_text("Signed in as")
    expect(step(page, "address").locator("details[open]")).to_be_visible()
    audit.check(page, "checkout, signed in, no address yet")

    # Submitted empty: every field of the address form says what to fix.
    step(page, "address").get_by_role("button", name="Use this address").click()
    expect(step(page, "address").locator(".error").first).to_be_visible()
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

    # The default address is preselected: the step shows as answered.
    page.goto("/checkout")
    expect_answered(page, "address", "42 Journey Road")
    audit.check(page, "checkout with the default address")

    change(page, "address")
    expect(radio(page, "address", shopper.name)).to_be_checked()
    audit.check(page, "checkout, choosing among saved addresses")
    step(page, "address").locator("summary", has_text="Add a new address").click()
    expect(step(page, "address").get_by_label("Address line 1")).to_be_visible()
    audit.check(page, "checkout, a new address beside the saved ones")
    step(page, "address").get_by_role("button", name="Deliver here").click()
    expect_answered(page, "address", "42 Journey Road")

    radio(page, "payment", "QKart wallet").check()
    step(page, "payment").get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Place order", exact=True)).to_be_visible()
    audit.check(page, "checkout, ready to pay from the wallet")

    page.get_by_role("button", name="Place order", exact=True).click()
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    audit.check(page, "order page, paid from the wallet")

    page.goto("/orders")
    expect(page.locator(".orders-table tbody tr")).to_have_count(1)
    audit.check(page, "orders")

    page.goto("/account")
    expect(
        page.get_by_role("heading", level=1, name=f"Hello, {shopper.first_name}")
    ).to_be_visible()
    audit.check(page, "account")

    page.goto("/account/wallet")
    expect(page.get_by_role("heading", level=1, name="Your wallet")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(2)  # the welcome credit and the order
    audit.check(page, "wallet")

    page.goto("/cart")
    expect(page.get_by_role("heading", name="Your cart is empty")).to_be_visible()
    audit.check(page, "empty cart, signed in")

    audit.assert_clean()


def test_settings_page_has_no_axe_violations(
    page: Page, make_shopper: Callable[..., Shopper]
) -> None:
    shopper = make_shopper("Sam Settings")
    audit = AxeAudit()
    page.goto("/login")
    log_in(page, shopper.email, shopper.password)
    expect(page.locator(".flash-success")).to_contain_text("Welcome back")

    page.goto("/account/settings")
    expect(page.get_by_role("heading", level=1, name="Settings")).to_be_visible()
    audit.check(page, "settings")
    page.locator("summary", has_text="Delete my account").click()  # open the danger zone
    expect(page.get_by_role("button", name="Delete my account")).to_be_visible()
    audit.check(page, "settings, account deletion open")

    audit.assert_clean()
