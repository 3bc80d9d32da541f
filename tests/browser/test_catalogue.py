"""The catalogue's filters refresh the results in place, with JavaScript on."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import BOOK, WATCH, no_page_load


def names(page: Page) -> list[str]:
    return page.locator("#results .card-name").all_inner_texts()


def test_filters_and_sort_update_results_in_place(page: Page) -> None:
    page.goto("/products")
    expect(page.locator("#results .card")).to_have_count(12)
    with no_page_load(page):
        page.locator("#category-books").check()
        expect(page.locator("#results .card")).to_have_count(1)
        expect(page.locator("#results .card-name")).to_have_text(BOOK)
        expect(page).to_have_url(re.compile(r"/products\?category=books$"))
        # The counts were swapped in, and focus stayed on the box just ticked.
        expect(page.locator("#category-books")).to_be_focused()
        expect(page.get_by_role("link", name="Remove filter: Books")).to_be_visible()
        page.locator("#category-electronics").check()
        expect(page).to_have_url(re.compile(r"/products\?category=books&category=electronics$"))
        expect(page.locator("#results .card")).to_have_count(4)

        page.locator("#category-books").uncheck()
        page.locator("#category-electronics").uncheck()
        expect(page.locator("#results .card")).to_have_count(12)
        page.get_by_label("Sort by").select_option("price_asc")
        expect(page).to_have_url(re.compile(r"[?&]sort=price_asc(&|$)"))
        expect(page.locator("#results .card-name").first).to_have_text(BOOK)

        page.get_by_label("Max price").fill("60")
        page.get_by_label("Max price").press("Tab")
        expect(page).to_have_url(re.compile(r"[?&]max_price=60(&|$)"))
        expect(page.locator("#results .card")).to_have_count(3)
        assert WATCH in names(page)

        page.get_by_label("In stock only").check()
        expect(page).to_have_url(re.compile(r"[?&]in_stock=1(&|$)"))  # no empty fields
        expect(page.locator("#results .card")).to_have_count(3)

        assert "=&" not in page.url and not page.url.endswith("=")
        entries = page.evaluate("history.length")
        page.locator("#q").fill("zzz-nothing")
        expect(page.get_by_role("heading", name="No products found")).to_be_visible()
        # The heading, the title and the count follow the search, and typing replaced
        # the history entry instead of adding one.
        expect(page.locator("h1")).to_have_text("Results for “zzz-nothing”")
        expect(page).to_have_title(re.compile("^Results for “zzz-nothing”"))
        expect(page.locator("#result-status")).to_have_text("No products found")
        assert page.evaluate("history.length") == entries

    # Back restores the earlier results (htmx history), still without a full load.
    page.go_back()
    expect(page).not_to_have_url(re.compile("zzz-nothing"))
    expect(page.locator("#results .card")).to_have_count(3)
