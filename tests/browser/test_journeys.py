"""The classic shopper journey, end to end in Chromium, with JavaScript on and off.

Search, add two products (one from the grid, one with a quantity from its page),
change quantities in the cart, check out as a visitor who is sent to log in, add a
shipping address at checkout, pay with the wallet, then find the order in the
order history and the new wallet balance in the header and on the account page.

With JavaScript on, htmx does the searching, adding, cart updates and the address
form in place: those steps must not load a page. With JavaScript off, the same
steps are plain GET forms and POSTs answered with a 303.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from playwright.sync_api import BrowserContext, Locator, Page, Response, expect

from tests.browser.conftest import Shopper
from tests.browser.helpers import (
    BOOK,
    BOOK_SLUG,
    WATCH,
    expect_badge,
    fill_address,
    log_in,
    money,
    no_page_load,
)

WELCOME = 5000
WATCH_PRICE = 60
BOOK_PRICE = 15


def card(page: Page, name: str) -> Locator:
    return page.locator("#results .card").filter(has=page.get_by_text(name, exact=True))


def cart_line(page: Page, name: str) -> Locator:
    return page.locator(".cart-line").filter(has=page.get_by_role("link", name=name, exact=True))


def expect_cart_totals(page: Page, subtotal: int, count: int) -> None:
    expect(page.locator("#cart-subtotal")).to_have_text(money(subtotal))
    expect(page.locator(".totals dt").first).to_have_text(f"Items ({count})")
    shipping = 0 if subtotal >= 100 else 5
    expect(page.locator("#cart-shipping")).to_have_text("Free" if not shipping else money(5))
    expect(page.locator("#cart-total")).to_have_text(money(subtotal + shipping))
    expect_badge(page, count)


def finish_and_check_order(page: Page, shopper: Shopper, total: int) -> None:
    """On the order page just placed: thanks, then order history and wallet."""
    expect(page).to_have_url(re.compile(r"/orders/[^/?]+\?placed=1$"))
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    number = page.locator("h1").inner_text().removeprefix("Order ").strip()
    balance = money(WELCOME - total)
    expect(page.locator("#wallet-remaining")).to_have_text(balance)
    expect(page.locator(".site-header .wallet")).to_have_text(balance)
    expect(page.locator("tfoot .grand td")).to_have_text(money(total))
    expect_badge(page, 0)

    page.get_by_role("link", name="← All orders").click()
    expect(page).to_have_url(re.compile(r"/orders$"))
    row = page.locator(".orders-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name=number, exact=True)).to_be_visible()
    expect(row.locator("td.num")).to_have_text(money(total))

    page.locator(".site-header .nav-link", has_text=shopper.first_name).click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("#wallet-balance")).to_have_text(balance)
    expect(page.locator(".site-header .wallet")).to_have_text(balance)
    recent = page.locator("section", has=page.get_by_role("heading", name="Recent orders"))
    expect(recent.get_by_role("link", name=number, exact=True)).to_be_visible()


# -- JavaScript on ------------------------------------------------------------------


def test_journey_with_javascript(page: Page, make_shopper: Callable[..., Shopper]) -> None:
    shopper = make_shopper("Jo Script")

    # Live search narrows the grid in place; the address bar follows (hx-push-url).
    page.goto("/products")
    expect(page.locator("#results .card")).to_have_count(12)
    with no_page_load(page):
        page.locator("#q").press_sequentially("watch", delay=30)
        expect(page.locator("#results .card")).to_have_count(1)
        expect(card(page, WATCH)).to_be_visible()
        expect(page).to_have_url(re.compile(r"/products\?(.*&)?q=watch(&|$)"))
        expect(page.get_by_role("heading", level=1)).to_have_text("All products")

        # Add to cart from the grid: the button's form is swapped, the badge too.
        card(page, WATCH).get_by_role("button", name="Add to cart").click()
        expect(card(page, WATCH).get_by_text("Added to cart.")).to_be_visible()
        expect_badge(page, 1)

    # The product page, with a quantity.
    page.goto(f"/products/{BOOK_SLUG}")
    with no_page_load(page):
        page.get_by_label("Quantity").fill("2")
        page.get_by_role("button", name="Add to cart").click()
        expect(page.locator(".add-to-cart").get_by_text("Added to cart.")).to_be_visible()
        expect_badge(page, 3)
        # The swapped-in form still offers a quantity, for adding more.
        expect(page.get_by_label("Quantity")).to_have_value("1")

    # The cart: the +/- buttons and a typed quantity update lines, totals and badge in place.
    page.locator(".site-header .cart-link").click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect_cart_totals(page, WATCH_PRICE + 2 * BOOK_PRICE, 3)
    with no_page_load(page):
        page.get_by_role("button", name=f"One more {WATCH}").click()
        expect(cart_line(page, WATCH).locator(".qty-input")).to_have_value("2")
        expect(cart_line(page, WATCH).locator(".line-total")).to_have_text(money(120))
        expect_cart_totals(page, 2 * WATCH_PRICE + 2 * BOOK_PRICE, 4)

        page.get_by_role("button", name=f"One less {BOOK}").click()
        expect(cart_line(page, BOOK).locator(".qty-input")).to_have_value("1")
        expect_cart_totals(page, 2 * WATCH_PRICE + BOOK_PRICE, 3)

        quantity = page.get_by_label(f"Quantity of {WATCH}")
        quantity.fill("3")
        quantity.press("Enter")
        expect(cart_line(page, WATCH).locator(".line-total")).to_have_text(money(180))
        expect_cart_totals(page, 3 * WATCH_PRICE + BOOK_PRICE, 4)
    total = 3 * WATCH_PRICE + BOOK_PRICE

    # Checkout as a visitor: log in first, then back to checkout with the cart kept.
    page.get_by_role("link", name="Checkout").click()
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcheckout"))
    log_in(page, shopper.email, shopper.password)
    expect(page).to_have_url(re.compile(r"/checkout$"))
    expect(page.locator("#checkout-total")).to_have_text(money(total))
    expect_badge(page, 4)

    # The address form swaps in and out without leaving checkout.
    with no_page_load(page):
        expect(page.get_by_text("Add your shipping address")).to_be_visible()
        fill_address(page, shopper.name)
        page.get_by_role("button", name="Save address").click()
        chosen = page.locator("#addresses input[name=address_id]")
        expect(chosen).to_have_count(1)
        expect(chosen).to_be_checked()
        expect(page.locator("#addresses .address")).to_contain_text("42 Journey Road")
        expect(page).to_have_url(re.compile(r"/checkout$"))

    wallet = page.locator(".payment-choices").get_by_label(re.compile("wallet", re.I))
    expect(wallet).to_be_checked()
    expect(page.locator("#wallet-after")).to_have_text(money(WELCOME - total))
    page.get_by_role("button", name="Place order").click()
    finish_and_check_order(page, shopper, total)


# -- JavaScript off -----------------------------------------------------------------


@contextmanager
def posts_answered_with_303(page: Page) -> Iterator[list[Response]]:
    """Every POST made inside the block is answered with a 303 (and there is one)."""
    posts: list[Response] = []

    def record(response: Response) -> None:
        if response.request.method == "POST":
            posts.append(response)

    page.on("response", record)
    try:
        yield posts
    finally:
        page.remove_listener("response", record)
    assert posts, "no form was posted"
    assert [r.status for r in posts] == [303] * len(posts), [
        f"{r.request.url} -> {r.status}" for r in posts
    ]


def test_journey_without_javascript(
    new_context: Callable[..., BrowserContext], make_shopper: Callable[..., Shopper]
) -> None:
    shopper = make_shopper("Noel Script")
    page = new_context(java_script_enabled=False).new_page()

    page.goto("/products")
    page.locator("#q").fill("watch")
    page.get_by_role("button", name="Show results").click()
    expect(page).to_have_url(re.compile(r"/products\?(.*&)?q=watch(&|$)"))
    expect(page.locator("#results .card")).to_have_count(1)

    # Each POST comes back (303) to the page it was sent from, with a message.
    with posts_answered_with_303(page):
        card(page, WATCH).get_by_role("button", name="Add to cart").click()
        expect(page.locator(".flash-success")).to_contain_text(f"Added {WATCH} to your cart.")
    expect(page).to_have_url(re.compile(r"/products\?(.*&)?q=watch(&|$)"))
    expect_badge(page, 1)

    page.goto(f"/products/{BOOK_SLUG}")
    with posts_answered_with_303(page):
        page.get_by_label("Quantity").fill("2")
        page.get_by_role("button", name="Add to cart").click()
        expect(page.locator(".flash-success")).to_contain_text(f"Added {BOOK} to your cart.")
    expect(page).to_have_url(re.compile(rf"/products/{BOOK_SLUG}$"))
    expect_badge(page, 3)

    page.locator(".site-header .cart-link").click()
    expect_cart_totals(page, WATCH_PRICE + 2 * BOOK_PRICE, 3)
    with posts_answered_with_303(page):
        page.get_by_role("button", name=f"One more {WATCH}").click()
        expect(page.locator(".flash-success")).to_have_text("Your cart was updated.")
        expect_cart_totals(page, 2 * WATCH_PRICE + 2 * BOOK_PRICE, 4)

        page.get_by_role("button", name=f"One less {BOOK}").click()
        expect(cart_line(page, BOOK).locator(".qty-input")).to_have_value("1")
        expect_cart_totals(page, 2 * WATCH_PRICE + BOOK_PRICE, 3)

        page.get_by_label(f"Quantity of {WATCH}").fill("3")
        cart_line(page, WATCH).get_by_role("button", name="Update").click()
        expect(cart_line(page, WATCH).locator(".line-total")).to_have_text(money(180))
        expect_cart_totals(page, 3 * WATCH_PRICE + BOOK_PRICE, 4)
    expect(page).to_have_url(re.compile(r"/cart$"))
    total = 3 * WATCH_PRICE + BOOK_PRICE

    page.get_by_role("link", name="Checkout").click()
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcheckout"))
    with posts_answered_with_303(page):
        log_in(page, shopper.email, shopper.password)
        expect(page).to_have_url(re.compile(r"/checkout$"))
    expect(page.locator("#checkout-total")).to_have_text(money(total))

    with posts_answered_with_303(page):
        fill_address(page, shopper.name)
        page.get_by_role("button", name="Save address").click()
        expect(page).to_have_url(re.compile(r"/checkout\?address_id=\d+$"))
    chosen = page.locator("#addresses input[name=address_id]")
    expect(chosen).to_be_checked()
    expect(page.locator("#addresses .address")).to_contain_text("42 Journey Road")

    with posts_answered_with_303(page):
        page.get_by_role("button", name="Place order").click()
        expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    finish_and_check_order(page, shopper, total)
