"""The classic shopper journey, end to end in Chromium, with JavaScript on and off.

Search, add two products (one from the grid, one with a quantity from its page),
change quantities in the cart, apply a promo code, go to checkout as a visitor and
log in from its contact step, give a shipping address, keep the preselected
delivery, pay with the wallet, then find the order in the order history and the new
wallet balance in the header, on the account page and on the wallet page.

With JavaScript on, htmx does the searching, adding, cart updates, the promo code and
every checkout step in place: those steps must not load a page. With JavaScript off,
the same steps are plain GET forms and POSTs answered with a 303.

Every amount is worked out here from the seeded rules (prices, promo codes, delivery,
7 % US sales tax on goods after discount plus shipping, rounded once half-up), never
read back from the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser.conftest import LiveServer, Shopper
from tests.browser.helpers import (
    BOOK,
    BOOK_PRICE,
    BOOK_SLUG,
    WATCH,
    WATCH_PRICE,
    WELCOME_CREDIT,
    Totals,
    expect_answered,
    expect_badge,
    expect_totals,
    fill_address,
    log_in,
    money,
    no_page_load,
    percent_off,
    posts_answered_with_303,
    priced,
    step,
)

# The cart the journeys end up with: three watches and one book.
SUBTOTAL = 3 * WATCH_PRICE + BOOK_PRICE
# WELCOME10 (qkart/coupons/seed.py): 10 % off a first order.
WITH_WELCOME10 = priced(SUBTOTAL, discount=percent_off(SUBTOTAL, 10))


def test_the_expected_totals_round_tax_once_half_up() -> None:
    # 195.00 - 19.50 = 175.50, free standard delivery from 100.00; 7 % of it is 12.285.
    assert WITH_WELCOME10.shipping == 0
    assert WITH_WELCOME10.tax == Decimal("12.29")
    assert WITH_WELCOME10.total == Decimal("187.79")


def card(page: Page, name: str) -> Locator:
    return page.locator("#results .card").filter(has=page.get_by_text(name, exact=True))


def cart_line(page: Page, name: str) -> Locator:
    return page.locator(".cart-line").filter(has=page.get_by_role("link", name=name, exact=True))


def expect_cart_totals(page: Page, totals: Totals, count: int) -> None:
    expect(page.locator(".summary .totals dt").first).to_have_text(f"Items ({count})")
    expect_totals(page, "cart", totals)
    expect_badge(page, count)


def finish_and_check_order(page: Page, shopper: Shopper, totals: Totals) -> None:
    """On the order page just placed: thanks, totals, payment, then history and wallet."""
    expect(page).to_have_url(re.compile(r"/orders/[^/?]+\?placed=1$"))
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    expect(page.locator(".page-head .status")).to_have_text("Paid")
    number = page.locator("h1").inner_text().removeprefix("Order ").strip()
    balance = money(WELCOME_CREDIT - totals.total)
    expect(page.locator("#wallet-remaining")).to_have_text(balance)
    expect(page.locator(".site-header .wallet")).to_have_text(balance)
    expect_totals(page, "order", totals)
    paid = page.locator(".payments li")
    expect(paid).to_have_count(1)
    expect(paid).to_have_text(
        re.compile(rf"^QKart wallet: {re.escape(money(totals.total))}\s+Paid$")
    )
    expect_badge(page, 0)

    page.get_by_role("link", name="← All orders").click()
    expect(page).to_have_url(re.compile(r"/orders$"))
    row = page.locator(".orders-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name=number, exact=True)).to_be_visible()
    expect(row.locator("td.num")).to_have_text(money(totals.total))

    page.locator(".site-header .nav-link", has_text=shopper.first_name).click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("#wallet-balance")).to_have_text(balance)
    expect(page.locator(".site-header .wallet")).to_have_text(balance)
    recent = page.locator("section", has=page.get_by_role("heading", name="Recent orders"))
    expect(recent.get_by_role("link", name=number, exact=True)).to_be_visible()

    page.get_by_role("navigation", name="Account sections").get_by_role(
        "link", name="Wallet"
    ).click()
    expect(page).to_have_url(re.compile(r"/account/wallet$"))
    expect(page.locator("#wallet-balance")).to_have_text(balance)
    debit = page.locator("tbody tr").filter(has=page.get_by_role("link", name=f"Order {number}"))
    expect(debit).to_have_count(1)
    expect(debit.locator("td.num").first).to_have_text(
        re.compile(rf"^[-−]{re.escape(money(totals.total))}$")
    )
    expect(debit.locator("td.num").last).to_have_text(balance)


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
        # The heading and the title follow the search (swapped out of band).
        expect(page.get_by_role("heading", level=1)).to_have_text("Results for “watch”")
        expect(page).to_have_title(re.compile("^Results for “watch”"))

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

    # The cart: +/-, a typed quantity and a promo code update lines and totals in place.
    page.locator(".site-header .cart-link").click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    first = priced(WATCH_PRICE + 2 * BOOK_PRICE)  # 90.00: standard delivery is not free yet
    expect_cart_totals(page, first, 3)
    expect(page.locator(".summary")).to_contain_text(
        f"Add {money(100 - first.goods)} more for free standard delivery."
    )
    with no_page_load(page):
        page.get_by_role("button", name=f"One more {WATCH}").click()
        expect(cart_line(page, WATCH).locator(".qty-input")).to_have_value("2")
        expect(cart_line(page, WATCH).locator(".line-total")).to_have_text(money(120))
        expect_cart_totals(page, priced(2 * WATCH_PRICE + 2 * BOOK_PRICE), 4)

        page.get_by_role("button", name=f"One less {BOOK}").click()
        expect(cart_line(page, BOOK).locator(".qty-input")).to_have_value("1")
        expect_cart_totals(page, priced(2 * WATCH_PRICE + BOOK_PRICE), 3)

        quantity = page.get_by_label(f"Quantity of {WATCH}")
        quantity.fill("3")
        quantity.press("Enter")
        expect(cart_line(page, WATCH).locator(".line-total")).to_have_text(money(180))
        expect_cart_totals(page, priced(SUBTOTAL), 4)

        page.get_by_label("Promo code").fill("welcome10")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator(".coupon-applied")).to_contain_text("Code WELCOME10 applied")
        expect_cart_totals(page, WITH_WELCOME10, 4)
        expect(page.get_by_role("button", name="Remove code WELCOME10")).to_be_visible()
    totals = WITH_WELCOME10

    # Checkout as a visitor (guests may check out) who logs in from the contact step.
    page.get_by_role("link", name="Checkout").click()
    expect(page).to_have_url(re.compile(r"/checkout$"))
    expect(step(page, "contact").get_by_label("E-mail for your receipt")).to_be_visible()
    expect_totals(page, "checkout", totals)
    step(page, "contact").get_by_role("link", name="log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)checkout$"))
    log_in(page, shopper.email, shopper.password)
    expect(page).to_have_url(re.compile(r"/checkout$"))
    expect(step(page, "contact")).to_contain_text(f"Signed in as {shopper.email}")
    expect_totals(page, "checkout", totals)  # the cart and its code came along
    expect_badge(page, 4)

    # Each step is saved in place; the whole checkout is swapped, never the page.
    with no_page_load(page):
        address = step(page, "address")
        expect(address.locator("details[open] > summary")).to_have_text("Your shipping address")
        fill_address(page, shopper.name)
        address.get_by_role("button", name="Use this address").click()
        expect_answered(page, "address", "42 Journey Road")
        expect_answered(page, "shipping", totals.delivery)  # the first option, preselected
        expect_totals(page, "checkout", totals)

        payment = step(page, "payment")
        payment.get_by_role("radio", name=re.compile(r"^QKart wallet")).check()
        payment.get_by_role("button", name="Continue").click()
        expect_answered(page, "payment", "QKart wallet")
        expect(page).to_have_url(re.compile(r"/checkout$"))

    review = step(page, "review")
    expect(review.locator("#review-total")).to_have_text(money(totals.total))
    expect(review).to_contain_text("from your wallet")
    expect(page.locator("#wallet-after")).to_have_text(money(WELCOME_CREDIT - totals.total))
    review.get_by_role("button", name="Place order", exact=True).click()
    finish_and_check_order(page, shopper, totals)


def test_guest_card_payment_with_javascript(page: Page, live_server: LiveServer) -> None:
    """A visitor without an account pays by card on the (stand-in) Stripe page."""
    email = "card.guest@example.com"
    page.goto(f"/products/{BOOK_SLUG}")
    page.get_by_role("button", name="Add to cart").click()
    expect_badge(page, 1)
    page.locator(".site-header .cart-link").click()
    expect_cart_totals(page, priced(BOOK_PRICE), 1)
    page.get_by_role("link", name="Checkout").click()
    expect(page).to_have_url(re.compile(r"/checkout$"))

    with no_page_load(page):
        expect(step(page, "address")).to_contain_text("Enter your e-mail first.")
        contact = step(page, "contact")
        contact.get_by_label("E-mail for your receipt").fill(email)
        contact.get_by_role("button", name="Continue").click()
        expect_answered(page, "contact", email)

        fill_address(page, "Casey Card")
        step(page, "address").get_by_role("button", name="Use this address").click()
        expect_answered(page, "address", "42 Journey Road")
        expect_answered(page, "shipping", "Standard delivery")
        expect_totals(page, "checkout", priced(BOOK_PRICE))

        # Change the preselected delivery to pickup: shipping and tax follow.
        step(page, "shipping").get_by_role("link", name=re.compile("^Change")).click()
        delivery = step(page, "shipping")
        expect(delivery.get_by_role("radio", name=re.compile("^Standard delivery"))).to_be_checked()
        delivery.get_by_role("radio", name=re.compile("^Store pickup")).check()
        delivery.get_by_role("button", name="Continue").click()
        expect_answered(page, "shipping", "Store pickup")
        totals = priced(BOOK_PRICE, delivery="pickup")
        expect_totals(page, "checkout", totals)

        payment = step(page, "payment")
        expect(payment.get_by_role("radio", name=re.compile(r"^QKart wallet"))).to_be_disabled()
        expect(payment).to_contain_text("Log in to pay with your wallet.")
        payment.get_by_role("radio", name=re.compile(r"^Card")).check()
        payment.get_by_role("button", name="Continue").click()
        expect_answered(page, "payment", "Card")
        expect(step(page, "review").locator("#review-total")).to_have_text(money(totals.total))

    # Stripe's hosted page (the stand-in), for exactly the total.
    step(page, "review").get_by_role("button", name="Place order and pay by card").click()
    stripe = live_server.stripe
    expect(page).to_have_url(re.compile(rf"^{re.escape(stripe.url)}/pay/cs_"))
    expect(page.locator("#amount")).to_have_text(f"{totals.total:.2f} USD")
    session_id = page.url.rsplit("/", 1)[-1]
    page.get_by_role("button", name="Pay", exact=True).click()

    # Back on the order page (a guest's carries its signed link). It is paid already, or
    # it shows "Payment pending." and polls until the webhook lands, then reloads itself.
    expect(page).to_have_url(re.compile(r"/orders/[^/?]+\?paid=1&access=[^&]+$"))
    expect(page.locator(".page-head .status")).to_have_text("Paid", timeout=15_000)
    expect(page.locator("#payment-status")).to_have_count(0)
    expect(page.get_by_text("Payment pending.")).to_have_count(0)
    expect_totals(page, "order", totals)
    paid = page.locator(".payments li")
    expect(paid).to_have_count(1)
    expect(paid).to_have_text(re.compile(rf"^Card: {re.escape(money(totals.total))}\s+Paid$"))
    expect(page.get_by_role("heading", name="Pickup")).to_be_visible()
    expect_badge(page, 0)
    # The stand-in told the app once, and the app took it.
    [event] = [
        e
        for e in stripe.events
        if e["type"] == "checkout.session.completed" and e["data"]["object"]["id"] == session_id
    ]
    assert [d.status for d in stripe.deliveries if d.event_id == event["id"]] == [200]


# -- JavaScript off -----------------------------------------------------------------


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
    expect_cart_totals(page, priced(WATCH_PRICE + 2 * BOOK_PRICE), 3)
    with posts_answered_with_303(page):
        page.get_by_role("button", name=f"One more {WATCH}").click()
        expect(page.locator(".flash-success")).to_have_text("Your cart was updated.")
        expect_cart_totals(page, priced(2 * WATCH_PRICE + 2 * BOOK_PRICE), 4)

        page.get_by_role("button", name=f"One less {BOOK}").click()
        expect(cart_line(page, BOOK).locator(".qty-input")).to_have_value("1")
        expect_cart_totals(page, priced(2 * WATCH_PRICE + BOOK_PRICE), 3)

        page.get_by_label(f"Quantity of {WATCH}").fill("3")
        cart_line(page, WATCH).get_by_role("button", name="Update").click()
        expect(cart_line(page, WATCH).locator(".line-total")).to_have_text(money(180))
        expect_cart_totals(page, priced(SUBTOTAL), 4)

        page.get_by_label("Promo code").fill("WELCOME10")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator(".flash-success")).to_have_text("Code WELCOME10 applied.")
        expect_cart_totals(page, WITH_WELCOME10, 4)
    expect(page).to_have_url(re.compile(r"/cart$"))
    totals = WITH_WELCOME10

    page.get_by_role("link", name="Checkout").click()
    expect(page).to_have_url(re.compile(r"/checkout$"))
    step(page, "contact").get_by_role("link", name="log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)checkout$"))
    with posts_answered_with_303(page):
        log_in(page, shopper.email, shopper.password)
        expect(page).to_have_url(re.compile(r"/checkout$"))
    expect(step(page, "contact")).to_contain_text(f"Signed in as {shopper.email}")
    expect_totals(page, "checkout", totals)

    with posts_answered_with_303(page):
        fill_address(page, shopper.name)
        step(page, "address").get_by_role("button", name="Use this address").click()
        expect(page).to_have_url(re.compile(r"/checkout#step-address$"))
        expect_answered(page, "address", "42 Journey Road")
    expect_answered(page, "shipping", totals.delivery)

    with posts_answered_with_303(page):
        payment = step(page, "payment")
        payment.get_by_role("radio", name=re.compile(r"^QKart wallet")).check()
        payment.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(re.compile(r"/checkout#step-payment$"))
        expect_answered(page, "payment", "QKart wallet")
    expect(page.locator("#review-total")).to_have_text(money(totals.total))
    expect(page.locator("#wallet-after")).to_have_text(money(WELCOME_CREDIT - totals.total))

    with posts_answered_with_303(page):
        step(page, "review").get_by_role("button", name="Place order", exact=True).click()
        expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    finish_and_check_order(page, shopper, totals)


def test_guest_cash_on_delivery_without_javascript(
    new_context: Callable[..., BrowserContext],
) -> None:
    """A visitor without an account, by plain form posts only, pays the courier."""
    email = "cash.guest@example.com"
    page = new_context(java_script_enabled=False).new_page()

    page.goto("/products?q=watch")
    with posts_answered_with_303(page):
        card(page, WATCH).get_by_role("button", name="Add to cart").click()
        expect_badge(page, 1)
    page.goto(f"/products/{BOOK_SLUG}")
    with posts_answered_with_303(page):
        page.get_by_role("button", name="Add to cart").click()
        expect_badge(page, 2)

    # SAVE5 (qkart/coupons/seed.py): 5.00 off orders of 50.00 or more.
    page.locator(".site-header .cart-link").click()
    subtotal = WATCH_PRICE + BOOK_PRICE
    expect_cart_totals(page, priced(subtotal), 2)
    with posts_answered_with_303(page):
        page.get_by_label("Promo code").fill("SAVE5")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator(".flash-success")).to_have_text("Code SAVE5 applied.")
    totals = priced(subtotal, discount=Decimal("5.00"))
    expect_cart_totals(page, totals, 2)

    # No login redirect any more: the contact step asks a guest for an e-mail.
    page.get_by_role("link", name="Checkout").click()
    expect(page).to_have_url(re.compile(r"/checkout$"))
    with posts_answered_with_303(page):
        step(page, "contact").get_by_label("E-mail for your receipt").fill(email)
        step(page, "contact").get_by_role("button", name="Continue").click()
        expect(page).to_have_url(re.compile(r"/checkout#step-contact$"))
        expect_answered(page, "contact", email)

    with posts_answered_with_303(page):
        expect(step(page, "address").locator("details[open] > summary")).to_have_text(
            "Your shipping address"
        )
        fill_address(page, "Cass Cash")
        step(page, "address").get_by_role("button", name="Use this address").click()
        expect(page).to_have_url(re.compile(r"/checkout#step-address$"))
        expect_answered(page, "address", "42 Journey Road")
    expect_answered(page, "shipping", totals.delivery)
    expect_totals(page, "checkout", totals)

    # The preselected delivery, confirmed through its own form.
    step(page, "shipping").get_by_role("link", name=re.compile("^Change")).click()
    expect(page).to_have_url(re.compile(r"/checkout\?change=shipping#step-shipping$"))
    with posts_answered_with_303(page):
        delivery = step(page, "shipping")
        expect(delivery.get_by_role("radio", name=re.compile("^Standard delivery"))).to_be_checked()
        delivery.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(re.compile(r"/checkout#step-shipping$"))
        expect_answered(page, "shipping", totals.delivery)

    with posts_answered_with_303(page):
        payment = step(page, "payment")
        expect(payment.get_by_role("radio", name=re.compile(r"^QKart wallet"))).to_be_disabled()
        payment.get_by_role("radio", name=re.compile(r"^Cash on delivery")).check()
        payment.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(re.compile(r"/checkout#step-payment$"))
        expect_answered(page, "payment", "Cash on delivery")
    review = step(page, "review")
    expect(review).to_contain_text(f"You pay {money(totals.total)} to the courier.")
    expect_totals(page, "checkout", totals)  # no cash fee (QKART_COD_FEE is 0.00)

    with posts_answered_with_303(page):
        review.get_by_role("button", name="Place order", exact=True).click()
        expect(page).to_have_url(re.compile(r"/orders/[^/?]+\?placed=1&access=[^&]+$"))
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    expect(page.get_by_text(f"We have sent a confirmation to {email}.")).to_be_visible()
    expect(page.locator(".page-head .status")).to_have_text("Placed")
    expect_totals(page, "order", totals)
    pending = page.locator(".payments li")
    expect(pending).to_have_count(1)
    expect(pending).to_have_text(
        re.compile(rf"^Cash on delivery: {re.escape(money(totals.total))}\s+Pending$")
    )
    expect(page.locator(".order-layout")).to_contain_text("42 Journey Road")
    expect_badge(page, 0)

    # The signed link opens the order in another browser too.
    link = page.url
    elsewhere = new_context(java_script_enabled=False).new_page()
    elsewhere.goto(link)
    expect(elsewhere.locator("h1")).to_have_text(page.locator("h1").inner_text())
    expect(elsewhere.locator(".payments li")).to_have_text(pending.inner_text())
