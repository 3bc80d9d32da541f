"""The product page's gallery in Chromium, on a product with three uploaded pictures:
thumbnails as buttons that click and arrow-key between pictures, the strip's own swipe,
and, with JavaScript off, thumbnails that are links to each picture."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import assert_focus_visible, axe_violations, describe_violations
from tests.browser.test_phone import PHONE, assert_no_sideways_scroll

VIEWS = (
    ("Front", "teal", (900, 900)),
    ("Side", "navy", (1200, 800)),
    ("Back", "maroon", (800, 1000)),
)

# Which slide the strip shows: its scroll position in slides (0, 1, 2), once it settles.
SHOWN = """() => {
    const track = document.querySelector('.gallery-track');
    return Math.round(track.scrollLeft / track.clientWidth);
}"""


@pytest.fixture(scope="module")
def gallery_slug(shop_app: Any) -> Iterator[str]:
    """A product of the seeded shop's first category with three pictures uploaded (their
    responsive sizes are made inline, after each commit, as without Redis in production).
    It is retired afterwards, so the other tests' catalogue and searches stay as seeded."""
    from PIL import Image, ImageDraw

    from qkart.catalog.models import Category, Product
    from qkart.catalog.uploads import add_image
    from qkart.extensions import db

    with shop_app.app_context():
        category = db.session.scalar(db.select(Category).order_by(Category.id))
        slug = f"three-view-ornament-{os.getpid()}"
        product = Product(
            sku=f"GALLERY-{os.getpid()}",
            slug=slug,
            name="Three-view Ornament",
            description="An ornament seen from three sides.",
            category_id=category.id,
            price=4_500,
            stock=10,
            image="img/categories/generic.svg",
        )
        db.session.add(product)
        db.session.commit()
        for alt, color, size in VIEWS:
            picture = Image.new("RGB", size, color)
            ImageDraw.Draw(picture).text((40, 40), alt, fill="white")
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG")
            add_image(db.session.get(Product, product.id), buffer.getvalue(), alt=alt)
            db.session.commit()
        product_id = product.id
        db.session.remove()
    yield slug
    with shop_app.app_context():
        from qkart.core.db import utcnow

        retired = db.session.get(Product, product_id)
        retired.is_active, retired.retired_at = False, utcnow()
        db.session.commit()
        db.session.remove()


def _thumb(page: Page, n: int, alt: str) -> Any:
    return page.get_by_role("button", name=f"Picture {n} of 3: {alt}")


def _expect_shown(page: Page, index: int) -> None:
    page.wait_for_function(f"() => ({SHOWN})() === {index}", timeout=5_000)


def test_thumbnails_are_buttons_that_click_and_arrow_between_pictures(
    page: Page, gallery_slug: str
) -> None:
    page.goto(f"/products/{gallery_slug}")
    front, side, back = (_thumb(page, n, alt) for n, (alt, _, _) in enumerate(VIEWS, 1))
    expect(front).to_have_attribute("aria-pressed", "true")
    expect(side).to_have_attribute("aria-pressed", "false")
    # The main picture is an upload's modern size, sharp and in its real shape.
    main = page.locator(".gallery-slide img").first
    expect(main).to_have_attribute("alt", "Front")
    page.wait_for_function(
        "() => document.querySelector('.gallery-slide img').currentSrc.includes('/media/v/')"
    )
    assert page.evaluate("() => document.querySelector('.gallery-slide img').naturalWidth") > 0

    back.click()
    expect(back).to_have_attribute("aria-pressed", "true")
    expect(front).to_have_attribute("aria-pressed", "false")
    _expect_shown(page, 2)

    # One tab stop for the row; the arrow keys move between pictures (and wrap round).
    back.focus()
    page.keyboard.press("ArrowLeft")
    expect(side).to_be_focused()
    expect(side).to_have_attribute("aria-pressed", "true")
    _expect_shown(page, 1)
    assert_focus_visible(page)
    assert page.evaluate("() => document.activeElement.tabIndex") == 0
    assert page.evaluate(
        "() => [...document.querySelectorAll('.gallery-thumb')].map(b => b.tabIndex)"
    ) == [-1, 0, -1]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(front).to_be_focused()
    _expect_shown(page, 0)
    page.keyboard.press("End")
    expect(back).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Home")
    expect(front).to_have_attribute("aria-pressed", "true")

    # The strip itself takes focus and the arrow keys too; the thumbnails follow it.
    page.locator(".gallery-track").focus()
    assert_focus_visible(page)
    page.keyboard.press("ArrowRight")
    _expect_shown(page, 1)
    expect(side).to_have_attribute("aria-pressed", "true")

    # A swipe (here, the strip scrolled to its end) presses the thumbnail it ends on.
    page.evaluate(
        "() => { const t = document.querySelector('.gallery-track');"
        " t.scrollTo({left: 2 * t.clientWidth, behavior: 'auto'}); }"
    )
    expect(back).to_have_attribute("aria-pressed", "true")
    expect(side).to_have_attribute("aria-pressed", "false")

    violations = [v for v in axe_violations(page) if v["id"] != "color-contrast-enhanced"]
    assert not violations, describe_violations("gallery", violations)


def test_without_javascript_thumbnails_link_to_each_picture_and_fit_a_phone(
    new_context: Callable[..., BrowserContext], gallery_slug: str
) -> None:
    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    page.goto(f"/products/{gallery_slug}")
    links = page.locator("a.gallery-thumb")
    expect(links).to_have_count(3)
    expect(page.get_by_role("link", name="Picture 3 of 3: Back")).to_have_attribute(
        "href", "#image-3"
    )
    page.get_by_role("link", name="Picture 3 of 3: Back").click()
    assert page.url.endswith("#image-3")
    _expect_shown(page, 2)
    expect(page.locator("#image-3 img")).to_be_in_viewport()
    assert_no_sideways_scroll(page, "the product page with a gallery")
