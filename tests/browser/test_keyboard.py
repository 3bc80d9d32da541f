"""Keyboard only: search, add to cart, check out and pay with Tab, Shift+Tab, Space and Enter.

Every element that takes focus on the way must show it (the app's :focus-visible
ring is a box-shadow), and an htmx swap must not drop focus back to the page: not in
the cart, and not when a checkout step is saved and the checkout is swapped in place.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import Shopper
from tests.browser.helpers import (
    WATCH,
    assert_focus_visible,
    expect_answered,
    expect_badge,
    focused,
    tab_until,
)

# Where focus should be after a checkout step is swapped in: somewhere in the checkout.
FOCUS_IN_CHECKOUT = """() => {
    const el = document.activeElement;
    return !!el && el !== document.body && !!el.closest('#checkout');
}"""


def focus_lost_after_swap(page: Page, what: str) -> str | None:
    """None when focus stayed in the checkout after htmx swapped it; else what happened."""
    try:
        page.wait_for_function(FOCUS_IN_CHECKOUT, timeout=1_500)
        return None
    except PlaywrightTimeoutError:
        pass
    now = focused(page)
    page.keyboard.press("Tab")
    after = focused(page) or {"tag": "body", "id": "", "text": ""}
    region = page.evaluate(
        "() => document.activeElement.closest('header, main, footer')?.tagName.toLowerCase()"
    )
    return (
        f"after {what}, focus left the checkout (it is on "
        f"{now['tag'] + '#' + now['id'] if now else '<body>'}); the next Tab goes to "
        f"<{after['tag']}> {after['text'][:40]!r} in the page's <{region}>"
    )


def test_keyboard_only_search_add_and_check_out(
    page: Page, make_shopper: Callable[..., Shopper]
) -> None:
    shopper = make_shopper("Kim Keys")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # The first stop is the skip link; then on to the header's search box.
    first = tab_until(page, lambda f: True)
    assert first["text"] == "Skip to content", first
    tab_until(page, lambda f: f["id"] == "site-q")
    page.keyboard.type("watch")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/products\?q=watch$"))
    expect(page.locator("#results .card")).to_have_count(1)

    # Forward to the only card's "Add to cart" button.
    button = tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Add to cart")
    assert page.locator(f"#{button['describedby']}").inner_text() == WATCH
    page.keyboard.press("Enter")
    expect(page.get_by_text("Added to cart.")).to_be_visible()
    expect_badge(page, 1)
    # htmx replaced the button's form: focus must come back to the new button.
    after = assert_focus_visible(page)
    assert after["tag"] == "button" and after["text"] == "Add to cart", after

    # Back up to the header's cart link with Shift+Tab, then the cart's Checkout link.
    tab_until(page, lambda f: f["href"] == "/cart", backwards=True)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/cart$"))

    # Cart updates swap the cart in place; focus stays on the control that was used.
    more = tab_until(page, lambda f: f["label"] == f"One more {WATCH}")
    page.keyboard.press("Enter")
    expect_badge(page, 2)
    expect(page.locator(f"#{more['id']}")).to_be_focused()
    quantity = tab_until(page, lambda f: f["name"] == "quantity", backwards=True)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("3")
    # With JavaScript a typed quantity is sent by itself (Enter, or leaving the field);
    # the Update button is only there without it.
    expect(page.get_by_role("button", name="Update")).to_be_hidden()
    page.keyboard.press("Enter")
    expect_badge(page, 3)
    expect(page.locator(f"#{quantity['id']}")).to_be_focused()
    assert_focus_visible(page)

    tab_until(page, lambda f: f["tag"] == "a" and f["text"] == "Checkout")
    page.keyboard.press("Enter")

    # Guests may check out; this visitor logs in from the contact step, still by keyboard.
    expect(page).to_have_url(re.compile(r"/checkout$"))
    tab_until(page, lambda f: f["tag"] == "a" and f["text"] == "log in")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)checkout$"))
    tab_until(page, lambda f: f["name"] == "email")
    page.keyboard.type(shopper.email)
    tab_until(page, lambda f: f["name"] == "password")
    page.keyboard.type(shopper.password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/checkout$"))
    expect(page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
    expect(page.locator(".summary-lines")).to_contain_text(WATCH)

    # The shipping address, field by field; each step is saved in place by htmx.
    typed = {
        "full_name": shopper.name,
        "line1": "7 Keyboard Close",
        "city": "Springfield",
        "postal_code": "62704",
        "country": "United States",
    }
    # Sent empty first: the errors come back in place and focus moves to the first
    # field to fix (not to the page's top).
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Use this address")
    page.keyboard.press("Enter")
    expect(page.locator("#full_name-error")).to_be_visible()
    expect(page.locator("#full_name")).to_be_focused()
    assert_focus_visible(page)
    for name, value in typed.items():
        if focused(page)["name"] != name:
            tab_until(page, lambda f, name=name: f["name"] == name)
        page.keyboard.type(value)
    expect(page.locator("#country")).to_have_value("US")
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Use this address")
    page.keyboard.press("Enter")
    expect_answered(page, "address", "7 Keyboard Close")
    lost = [focus_lost_after_swap(page, "saving the shipping address")]

    # Payment: Tab into the radio group, Space chooses, then Continue.
    tab_until(page, lambda f: f["name"] == "payment_method")
    assert_focus_visible(page)
    page.keyboard.press("Space")
    expect(page.locator("#pay-wallet")).to_be_checked()
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Continue")
    page.keyboard.press("Enter")
    expect_answered(page, "payment", "QKart wallet")
    lost.append(focus_lost_after_swap(page, "saving the payment method"))

    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Place order")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()

    # Checked last, so that the rest of the journey is proven either way.
    problems = [problem for problem in lost if problem]
    assert not problems, "\n".join(problems)


def sweep(page: Page, label: str, limit: int = 150) -> int:
    """Tab through the whole page; every stop must show focus. Returns the stop count."""
    page.locator("body").focus()
    stops: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) is None:
            break  # past the last element, focus left the document
        focus = assert_focus_visible(page)
        where = f"{focus['tag']}#{focus['id']}|{focus['href']}|{focus['text'][:20]}"
        if stops and where == stops[0]:
            break
        stops.append(where)
    assert stops, f"nothing on {label} takes keyboard focus"
    return len(stops)


def test_every_stop_shows_focus(page: Page, make_shopper: Callable[..., Shopper]) -> None:
    shopper = make_shopper("Vic Visible", cart={WATCH: 1})
    for path in ("/", "/products", "/products/thinking-fast-and-slow", "/register"):
        page.goto(path)
        sweep(page, path)
    page.goto("/login")
    page.get_by_label("E-mail", exact=True).fill(shopper.email)
    page.get_by_label("Password", exact=True).fill(shopper.password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/$"))
    for path in (
        "/cart",
        "/checkout",
        "/account",
        "/account/addresses",
        "/orders",
        "/account/wallet",
        "/account/settings",
    ):
        page.goto(path)
        sweep(page, path)
