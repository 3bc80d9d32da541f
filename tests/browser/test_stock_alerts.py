"""Back-in-stock alerts in a real browser: htmx swaps the form for the answer in place;
without JavaScript the form posts and the page comes back with the news."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import AxeAudit, no_page_load

SOFA = "Stylecon 9 Seater RHS Sofa Set"  # the seeded catalogue's one sold-out product


def _open_sofa(page: Page) -> None:
    page.goto("/products?q=sofa")
    card = page.locator(".card", has_text=SOFA)
    expect(card.get_by_role("button", name="Add to cart")).to_have_count(0)
    card.get_by_role("link", name=re.compile("^Notify me")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SOFA)


def test_with_javascript_the_answer_replaces_the_form(page: Page) -> None:
    audit = AxeAudit()
    page.goto("/products?q=sofa")
    audit.check(page, "catalogue with a sold-out card")
    _open_sofa(page)
    audit.check(page, "sold-out product with the form")
    with no_page_load(page):
        page.get_by_label("Your e-mail address").fill("not-an-address")
        page.get_by_role("button", name="Email me when it's back").click()
        expect(page.locator("#alert-email-error")).to_be_visible()
        page.get_by_label("Your e-mail address").fill("browser-alert@example.com")
        page.get_by_role("button", name="Email me when it's back").click()
        expect(page.locator(".notify")).to_contain_text("browser-alert@example.com")
        expect(page.get_by_role("button", name="Email me when it's back")).to_have_count(0)
    audit.check(page, "the answer in place of the form")
    audit.assert_clean()


def test_without_javascript_the_form_posts_and_comes_back(
    new_context: Callable[..., BrowserContext],
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    _open_sofa(page)
    page.get_by_label("Your e-mail address").fill("no-script-alert@example.com")
    page.get_by_role("button", name="Email me when it's back").click()
    expect(page).to_have_url(re.compile(r"/products/[a-z0-9-]*sofa[a-z0-9-]*$"))
    expect(page.locator("#flash")).to_contain_text("no-script-alert@example.com")
