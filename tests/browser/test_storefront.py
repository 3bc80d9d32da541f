"""The storefront's live touches in a real browser: quick view in a dialog, adding to
the cart without moving the page, Back never showing an old cart count, grid or list,
and the price and Add to cart in reach on a phone."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import (
    BOOK,
    BOOK_SLUG,
    WATCH,
    axe_violations,
    describe_violations,
    expect_badge,
    no_page_load,
)
from tests.browser.test_phone import PHONE, assert_no_sideways_scroll


def card(page: Page, name: str):
    return page.locator("#results .card").filter(has=page.get_by_text(name, exact=True))


def test_quick_view_opens_a_dialog_and_gives_focus_back(page: Page) -> None:
    page.goto("/products?q=watch")
    link = card(page, WATCH).get_by_role("link", name=f"Quick view: {WATCH}")
    with no_page_load(page):
        link.click()
        dialog = page.get_by_role("dialog", name="Quick view")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_role("heading", name=WATCH)).to_be_focused()
        violations = axe_violations(page)
        assert not violations, describe_violations("quick view", violations)
        dialog.get_by_role("button", name="Add to cart").click()
        expect(dialog.get_by_text("Added to cart.")).to_be_visible()
        expect_badge(page, 1)
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(link).to_be_focused()


def test_adding_to_the_cart_moves_nothing_and_says_it_once(page: Page) -> None:
    page.goto("/products")
    target = card(page, BOOK)
    before = page.locator("#results").bounding_box()
    with no_page_load(page):
        target.get_by_role("button", name="Add to cart").click()
        expect(target.get_by_text("Added to cart.")).to_be_visible()
        expect_badge(page, 1)
    assert page.locator("#results").bounding_box() == before  # no banner pushed it down
    expect(page.locator("#news")).to_have_text(f"Added {BOOK} to your cart.")
    expect(page.locator("#toast")).to_be_empty()
    expect(target.get_by_role("button", name="Add to cart")).to_be_focused()
    expect(page.get_by_text(f"Added {BOOK} to your cart.")).to_have_count(1)


def test_back_never_shows_an_old_cart_count(page: Page) -> None:
    page.goto("/products")
    card(page, BOOK).get_by_role("button", name="Add to cart").click()
    expect_badge(page, 1)
    page.goto("/cart")
    page.get_by_role("button", name=f"One more {BOOK}").click()
    expect_badge(page, 2)
    page.go_back()
    expect_badge(page, 2)
    page.go_forward()
    expect(page.locator(".cart-line")).to_have_count(1)
    expect_badge(page, 2)


def test_list_view_is_remembered(page: Page) -> None:
    page.goto("/products")
    page.get_by_role("button", name="List", exact=True).click()
    expect(page.locator("ul.grid-list")).to_be_visible()
    expect(page.get_by_role("button", name="List", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    page.goto("/categories/electronics")
    expect(page.locator("ul.grid-list .card")).to_have_count(3)
    page.get_by_role("button", name="Grid", exact=True).click()
    expect(page.locator("ul.grid-list")).to_have_count(0)


def test_a_phone_keeps_price_and_add_to_cart_in_reach(
    new_context: Callable[..., BrowserContext],
) -> None:
    page = new_context(viewport=PHONE).new_page()
    page.goto(f"/products/{BOOK_SLUG}")
    button = page.get_by_role("button", name="Add to cart")
    box = button.bounding_box()
    assert box and box["y"] + box["height"] <= PHONE["height"], box
    page.mouse.wheel(0, 600)
    page.wait_for_timeout(200)
    box = button.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    expect(page.locator(".buy-box .product-price")).to_be_in_viewport()
    expect(page.get_by_role("heading", name="Delivery")).to_be_visible()
    expect(page.get_by_role("heading", name="Specifications")).to_be_visible()
    assert_no_sideways_scroll(page, "product page with the buy box")
    page.goto("/products?q=watch")
    card(page, WATCH).get_by_role("link", name=f"Quick view: {WATCH}").click()
    expect(page.get_by_role("dialog", name="Quick view")).to_be_visible()
    assert_no_sideways_scroll(page, "quick view on a phone")
