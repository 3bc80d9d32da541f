"""The header search box: suggestions as you type, operated by keyboard alone
(arrow keys move aria-activedescendant, Enter opens, Escape closes), and a plain
search form without JavaScript."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import WATCH, axe_violations, describe_violations


def test_suggestions_by_keyboard(page: Page) -> None:
    page.goto("/")
    box = page.locator("#site-q")
    box.focus()
    page.keyboard.type("watc", delay=40)
    options = page.locator("#site-q-list [role=option]")
    expect(options.first).to_contain_text(WATCH)
    expect(box).to_have_attribute("aria-expanded", "true")
    violations = axe_violations(page)
    assert not violations, describe_violations("suggestions open", violations)
    page.keyboard.press("ArrowDown")
    first = options.first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id") or "")
    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#site-q-list")).to_be_hidden()
    expect(box).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/products/[a-z0-9-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(WATCH)


def test_enter_without_a_choice_searches(page: Page) -> None:
    page.goto("/")
    page.locator("#site-q").fill("watch")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/products\?q=watch$"))
    expect(page.get_by_text(WATCH).first).to_be_visible()


def test_without_javascript_the_box_is_a_form(browser: Browser, base_url: str) -> None:
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    page.locator("#site-q").fill("lmap")
    page.keyboard.press("Enter")
    expect(page.locator("p.alert", has_text="Showing results for")).to_be_visible()
    context.close()
