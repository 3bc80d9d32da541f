"""The staff area (/admin) in Chromium: four journeys of an owner, each with JavaScript on
and off, then axe-core and a 768px-wide screen on every page an owner can open.

The journeys go through the pages as staff do (sidebar, links, forms, buttons): create a
product with two pictures and publish it, then find it in the shop; ship an order with a
carrier and tracking number, which the shopper then sees on the order's page; take a
return through approve, received and refund, which the shopper sees refunded; change a
product's stock with a reason and find it in the history. Without JavaScript every form
is a plain POST answered with a 303.

Orders are placed straight in the server's database with the app's checkout service (the
shopper journeys test the checkout itself); products made here cost over 60.00, are in
no Books category and never say "watch", so the catalogue tests that run later still see
what they expect, and they are unpublished again at the end of the module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import PASSWORD, Shopper
from tests.browser.helpers import (
    BOOK,
    BOOK_PRICE,
    US_TAX_RATE,
    AxeAudit,
    log_in,
    money,
    no_page_load,
    posts_answered_with_303,
)

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 800}
ADDRESS = {
    "full_name": "",
    "line1": "7 Admin Avenue",
    "line2": "",
    "city": "Springfield",
    "region": "",
    "postal_code": "62704",
    "country": "US",
    "phone": "",
}
_seq = count(1)

# What sticks out on the right of the viewport, to say what overflows.
OVERFLOW = """() => {
    const limit = window.innerWidth;
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.width && box.right > limit + 0.5) {
            const id = el.id ? '#' + el.id : '';
            const cls = typeof el.className === 'string' && el.className
                ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
            wide.push(`${el.tagName.toLowerCase()}${id}${cls} right=${Math.round(box.right)}`);
        }
    }
    return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        offenders: wide.slice(0, 12),
    };
}"""


# -- data made straight in the server's database -----------------------------------


@dataclass(frozen=True)
class Staff:
    id: int
    name: str
    email: str
    password: str = PASSWORD


@pytest.fixture(scope="module")
def staff(shop_app: Any) -> Staff:
    """An owner: every permission of the staff area."""
    from qkart.accounts.services import mark_verified, register_user
    from qkart.extensions import db

    with shop_app.app_context():
        email = f"owner-{uuid4().hex[:10]}@example.com"
        user = register_user("Olga Owner", email, PASSWORD, role="owner")
        mark_verified(user)
        db.session.commit()
        made = Staff(id=user.id, name=user.name, email=user.email)
        db.session.remove()
    return made


@pytest.fixture(scope="module")
def made_products(shop_app: Any) -> Iterator[list[int]]:
    """Products this module creates; unpublished at its end, out of the later tests' way."""
    ids: list[int] = []
    yield ids
    if ids:
        from qkart.catalog.models import Product
        from qkart.extensions import db

        with shop_app.app_context():
            for product in db.session.scalars(db.select(Product).where(Product.id.in_(ids))):
                product.is_active = False
            db.session.commit()
            db.session.remove()


def _product_id(shop_app: Any, name: str) -> int:
    from qkart.catalog.models import Product
    from qkart.extensions import db

    with shop_app.app_context():
        found = db.session.scalar(db.select(Product.id).where(Product.name == name))
        db.session.remove()
    assert found is not None, f"no product named {name!r}"
    return int(found)


@pytest.fixture
def make_order(
    shop_app: Any, make_shopper: Callable[..., Shopper]
) -> Callable[..., tuple[Shopper, str]]:
    """A new shopper's order of two books, paid from the wallet; (shopper, order number).

    ``until`` moves it on as staff would ("delivered", with a tracking number), and
    ``return_requested`` asks to return one book, for pages that show a return.
    """
    from qkart.accounts.addresses import add_address
    from qkart.cart.services import CartOwner
    from qkart.checkout import services as checkout
    from qkart.checkout.steps import Shopper as CheckoutShopper
    from qkart.extensions import db
    from qkart.orders import lifecycle
    from qkart.orders.services import get_order
    from qkart.returns import services as returns

    def _make(
        name: str, *, until: str | None = None, return_requested: bool = False
    ) -> tuple[Shopper, str]:
        shopper = make_shopper(name, cart={BOOK: 2})
        with shop_app.app_context():
            address = add_address(
                shopper.id, {**ADDRESS, "full_name": shopper.name}, make_default=True
            )
            placed = checkout.place_order(
                CheckoutShopper(
                    owner=CartOwner(user_id=shopper.id), user_id=shopper.id, email=shopper.email
                ),
                idempotency_key=uuid4().hex,
                overrides={"address_id": address.id, "payment_method": "wallet"},
            )
            db.session.commit()
            number = placed.order.number
            assert placed.order.status == "paid", placed.order.status
            if until == "delivered":
                order = get_order(number)
                lifecycle.start_packing(order, actor_id=None)
                lifecycle.ship_order(
                    order, carrier="ups", tracking_number="1Z 111 222 333", actor_id=None
                )
                lifecycle.mark_delivered(order, actor="system")
                db.session.commit()
                if return_requested:
                    order = get_order(number)
                    returns.request_return(
                        order,
                        {order.lines[0].id: 1},
                        reason="It arrived damaged",
                        refund_to="wallet",
                        user_id=shopper.id,
                    )
                    db.session.commit()
            db.session.remove()
        return shopper, number

    return _make


@pytest.fixture
def draft_product(shop_app: Any, made_products: list[int]) -> Callable[[], tuple[int, str]]:
    """An unpublished product with no stock, made with the catalogue service; (id, name)."""
    from qkart.catalog import management as catalogue
    from qkart.catalog.models import Category
    from qkart.extensions import db

    def _make() -> tuple[int, str]:
        n = f"{next(_seq)}{uuid4().hex[:6]}"
        with shop_app.app_context():
            category = db.session.scalar(db.select(Category).where(Category.slug == "sports"))
            assert category is not None
            product = catalogue.save_product(
                None,
                {
                    "name": f"Stockroom Kettlebell {n}",
                    "slug": "",
                    "sku": f"ADM-KB-{n}",
                    "description": "A draft for the stock journey.",
                    "price": 8900,
                    "compare_at_price": None,
                    "category_id": category.id,
                    "brand": "",
                    "tax_class": "standard",
                    "weight_grams": 8000,
                    "seo_title": "",
                    "seo_description": "",
                    "low_stock_threshold": None,
                    "is_active": False,
                    "attributes": {},
                },
            )
            db.session.commit()
            made = (product.id, product.name)
            db.session.remove()
        made_products.append(made[0])
        return made

    return _make


def png(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (160, 120)) -> Path:
    from PIL import Image

    Image.new("RGB", size, colour).save(path, format="PNG")
    return path


# -- pages ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def staff_page(
    browser: Browser, browser_context_args: dict[str, Any], staff: Staff
) -> Iterator[Callable[[bool], Page]]:
    """One logged-in owner's page per module and JavaScript setting, opened on demand."""
    contexts: dict[bool, BrowserContext] = {}
    pages: dict[bool, Page] = {}

    def _page(js: bool) -> Page:
        if js not in pages:
            context = browser.new_context(**browser_context_args, java_script_enabled=js)
            contexts[js] = context
            page = context.new_page()
            page.goto("/login")
            log_in(page, staff.email, staff.password)
            expect(page.locator(".site-header")).to_contain_text(staff.name.split()[0])
            pages[js] = page
        return pages[js]

    yield _page
    for context in contexts.values():
        context.close()


@pytest.fixture
def shopper_page(new_context: Callable[..., BrowserContext]) -> Callable[[Shopper, bool], Page]:
    """A shopper logged in on a new browser context, with or without JavaScript."""

    def _page(shopper: Shopper, js: bool) -> Page:
        page = new_context(java_script_enabled=js).new_page()
        page.goto("/login")
        log_in(page, shopper.email, shopper.password)
        expect(page.locator(".site-header")).to_contain_text(shopper.first_name)
        return page

    return _page


def sidebar(page: Page, section: str) -> None:
    """Open a section of the staff area from the sidebar."""
    page.get_by_role("navigation", name="Staff area").get_by_role(
        "link", name=section, exact=True
    ).click()
    expect(
        page.get_by_role("navigation", name="Staff area").locator("[aria-current=page]")
    ).to_have_text(section)


def expect_flash(page: Page, text: str | re.Pattern[str]) -> None:
    expect(page.locator(".flash-success")).to_contain_text(text)


def maybe_303(page: Page, js: bool) -> AbstractContextManager[Any]:
    """Without JavaScript, every POST of the block must be answered with a 303."""
    return nullcontext() if js else posts_answered_with_303(page)


# -- journeys ------------------------------------------------------------------------


@JS
def test_create_a_product_with_two_pictures_and_publish_it(
    js: bool,
    staff_page: Callable[[bool], Page],
    shop_app: Any,
    made_products: list[int],
    tmp_path: Path,
) -> None:
    page = staff_page(js)
    n = f"{next(_seq)}{uuid4().hex[:6]}"
    name = f"Quokka Desk Globe {n}"
    sku = f"ADM-GLOBE-{n}"
    front = png(tmp_path / "front.png", (200, 40, 40))
    back = png(tmp_path / "back.png", (40, 40, 200), size=(120, 160))

    page.goto("/admin/")
    with maybe_303(page, js):
        sidebar(page, "Products")
        page.get_by_role("link", name="New product").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("New product")
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("SKU", exact=True).fill(sku)
        page.get_by_label("Price", exact=True).fill("129.00")
        page.get_by_label("Category", exact=True).select_option(label="Electronics")
        page.get_by_label("Description", exact=True).fill("A small globe that spins.")
        page.get_by_label("Weight in grams").fill("900")
        expect(page.get_by_label("Published: sold in the shop")).not_to_be_checked()
        page.get_by_role("button", name="Create product").click()
        expect_flash(page, f"{name} created.")
        expect(page).to_have_url(re.compile(r"/admin/products/\d+$"))
        made_products.append(_product_id(shop_app, name))
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(page.get_by_role("link", name="See it in the shop")).to_have_count(0)

        pictures = page.locator("section", has=page.get_by_role("heading", name="Pictures"))
        expect(pictures.locator(".image-row")).to_have_count(0)
        rows = pictures.locator(".image-row img")
        for added, (path, alt) in enumerate(
            ((front, "The globe from the front"), (back, "The globe's stand")), start=1
        ):
            page.get_by_label("Picture (JPEG, PNG or WebP, up to 5 MB)").set_input_files(path)
            page.get_by_label("What it shows (for people who cannot see it)").fill(alt)
            page.get_by_role("button", name="Add picture").click()
            expect(rows).to_have_count(added)  # the page after this upload
            expect_flash(page, "Picture added.")
            expect(page).to_have_url(re.compile(r"/admin/products/\d+#images-title$"))
        expect(rows.nth(0)).to_have_attribute("alt", "The globe from the front")
        expect(rows.nth(1)).to_have_attribute("alt", "The globe's stand")

        details = page.get_by_role("region", name="Details")
        details.get_by_label("Published: sold in the shop").check()
        details.get_by_role("button", name="Save", exact=True).click()
        expect_flash(page, "Product saved.")
        expect(page.get_by_label("Published: sold in the shop")).to_be_checked()

    page.get_by_role("link", name="See it in the shop").click()
    expect(page).to_have_url(re.compile(rf"/products/quokka-desk-globe-{n}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator(".product-price")).to_have_text(money(Decimal("129.00")))
    # The first upload, as its responsive sizes (made after the upload, inline here).
    picture = page.locator(".gallery-slide img").first
    expect(picture).to_have_attribute("src", re.compile(r"^/media/v/\d+-\w+\.jpg$"))
    response = page.request.get(picture.get_attribute("src") or "")
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"

    page.goto(f"/products?q=Quokka+Desk+Globe+{n}")
    cards = page.locator("#results .card")
    expect(cards).to_have_count(1)
    expect(cards.get_by_text(name, exact=True)).to_be_visible()
    page.goto("/categories/electronics")
    expect(page.get_by_text(name, exact=True)).to_be_visible()


@JS
def test_ship_an_order_and_the_shopper_sees_its_tracking(
    js: bool,
    staff_page: Callable[[bool], Page],
    shopper_page: Callable[[Shopper, bool], Page],
    make_order: Callable[..., tuple[Shopper, str]],
) -> None:
    shopper, number = make_order("Tess Tracking")
    tracking = f"1Z{uuid4().hex[:10].upper()}"
    page = staff_page(js)

    page.goto("/admin/")
    with maybe_303(page, js):
        sidebar(page, "Orders")
        page.get_by_role("link", name=number, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {number}")
        expect(page.locator(".page-head .status")).to_have_text("Paid")
        page.get_by_role("button", name="Start packing").click()
        expect_flash(page, f"Order {number}: Being packed.")
        expect(page.locator(".page-head .status")).to_have_text("Being packed")

        page.get_by_label("Carrier").select_option(label="DHL")
        page.get_by_label("Tracking number").fill(tracking)
        page.get_by_role("button", name="Ship", exact=True).click()
        expect_flash(page, f"Order {number} shipped")
        expect(page.locator(".page-head .status")).to_have_text("Shipped")
        next_step = page.locator("section", has=page.get_by_role("heading", name="Next step"))
        expect(next_step).to_contain_text(f"DHL {tracking}")

    mine = shopper_page(shopper, js)
    mine.goto("/orders")
    mine.get_by_role("link", name=number, exact=True).click()
    expect(mine.get_by_role("heading", level=1)).to_have_text(f"Order {number}")
    expect(mine.locator(".page-head .status")).to_have_text("Shipped")
    box = mine.locator("section", has=mine.get_by_role("heading", name="Tracking"))
    expect(box).to_contain_text(f"DHL, tracking number {tracking}")
    expect(box.get_by_role("link", name="follow your parcel on DHL's site")).to_have_attribute(
        "href", re.compile(rf"^https://www\.dhl\.com/.*{tracking}$")
    )
    history = mine.locator("section", has=mine.get_by_role("heading", name="History"))
    expect(history.locator(".timeline li strong")).to_have_text(
        ["Placed", "Paid", "Being packed", "Shipped"]
    )


@JS
def test_approve_receive_and_refund_a_return(
    js: bool,
    staff_page: Callable[[bool], Page],
    shopper_page: Callable[[Shopper, bool], Page],
    make_order: Callable[..., tuple[Shopper, str]],
) -> None:
    shopper, number = make_order("Rory Returns")
    refund = (BOOK_PRICE * (1 + US_TAX_RATE)).quantize(Decimal("0.01"))  # one book, its tax
    page = staff_page(js)

    # Staff deliver it with the order page's buttons.
    page.goto(f"/admin/orders/{number}")
    with maybe_303(page, js):
        page.get_by_role("button", name="Start packing").click()
        expect_flash(page, "Being packed")
        page.get_by_label("Carrier").select_option(label="USPS")
        page.get_by_label("Tracking number").fill("9400 1000 0000 0000")
        page.get_by_role("button", name="Ship", exact=True).click()
        expect_flash(page, "shipped")
        page.get_by_role("button", name="Mark delivered").click()
        expect_flash(page, "Delivered")
        expect(page.locator(".page-head .status")).to_have_text("Delivered")

    # The shopper asks to return one of the two books, to the wallet.
    mine = shopper_page(shopper, js)
    mine.goto(f"/orders/{number}")
    expect(mine.locator(".page-head .status")).to_have_text("Delivered")
    returns = mine.locator("#returns")
    with maybe_303(mine, js):
        returns.locator("summary", has_text="Return items").click()
        returns.get_by_label(f"{BOOK} (up to 2)").fill("1")
        returns.get_by_label("Why are you returning it?").fill("The cover is torn.")
        returns.get_by_label("My QKart wallet").check()
        returns.get_by_role("button", name="Request the return").click()
        expect_flash(mine, "Your return is requested.")
    expect(mine.locator(".page-head .status")).to_have_text("Return requested")
    expect(returns.locator(".return")).to_contain_text("Waiting for our answer")

    # Staff find it in the returns queue and take it to the end.
    page.goto("/admin/")
    with maybe_303(page, js):
        sidebar(page, "Returns")
        row = page.locator("tbody tr").filter(has=page.get_by_role("link", name=number))
        expect(row).to_contain_text(f"1 × {BOOK}")
        expect(row).to_contain_text("Waiting for our answer")
        row.get_by_role("link", name=number).click()
        expect(page).to_have_url(re.compile(rf"/admin/orders/{number}#returns-title$"))
        section = page.locator("section", has=page.get_by_role("heading", name="Returns"))
        expect(section).to_contain_text("“The cover is torn.”")
        expect(section).to_contain_text("refund to wallet")
        section.get_by_role("button", name="Approve").click()
        expect_flash(page, "Return approved.")
        expect(section.get_by_label("can be sold again")).to_be_checked()
        section.get_by_role("button", name="Mark received").click()
        expect_flash(page, "Return received")
        expect(page.locator(".page-head .status")).to_have_text("Returned")
        expect(section).to_contain_text("(back in stock)")
        section.get_by_role("button", name="Refund this return").click()
        expect_flash(page, "Return refunded.")
        expect(section).to_contain_text(f"{money(refund)} refunded")
    payments = page.locator("section", has=page.get_by_role("heading", name="Payments"))
    expect(payments.locator("h3:text-is('Refunds') + ul li")).to_contain_text(
        f"{money(refund)} · succeeded · to wallet"
    )
    sidebar(page, "Returns")
    expect(page.get_by_role("link", name=number)).to_have_count(0)

    # The shopper sees the refund on the order and in the wallet.
    mine.goto(f"/orders/{number}")
    expect(returns.locator(".return")).to_contain_text("Refunded")
    expect(returns.locator(".return")).to_contain_text(f"{money(refund)} refunded")
    mine.goto("/account/wallet")
    credit = mine.locator("tbody tr").filter(has_text=number).filter(has_text=money(refund))
    expect(credit).to_have_count(1)


@JS
def test_adjust_stock_with_a_reason_and_see_the_history(
    js: bool, staff_page: Callable[[bool], Page], draft_product: Callable[[], tuple[int, str]]
) -> None:
    product_id, name = draft_product()
    page = staff_page(js)

    # Staff find the draft with the sidebar's search box, by its SKU.
    page.goto("/admin/")
    with maybe_303(page, js):
        page.get_by_label("Find an order, customer or product").fill(f"adm-kb-{name.split()[-1]}")
        page.get_by_role("button", name="Find", exact=True).click()
        found = page.locator("section", has=page.get_by_role("heading", name="Products"))
        expect(found.locator("li")).to_have_count(1)
        expect(found.locator("li")).to_contain_text("draft")
        found.get_by_role("link", name=name, exact=True).click()
        expect(page).to_have_url(re.compile(rf"/admin/products/{product_id}$"))
        stock = page.locator("section", has=page.locator("#stock-title"))
        expect(page.locator("#stock-title")).to_have_text("Stock: 0")
        expect(stock.get_by_role("heading", name="History")).to_have_count(0)

        stock.get_by_label("Units in (or out, with a minus)").fill("12")
        stock.get_by_label("Why").select_option(label="Received from a supplier")
        stock.get_by_label("Note (optional)").fill("Pallet 42")
        stock.get_by_role("button", name="Change the stock").click()
        expect_flash(page, "Stock is now 12.")
        expect(page).to_have_url(re.compile(rf"/admin/products/{product_id}#stock-title$"))
        expect(page.locator("#stock-title")).to_have_text("Stock: 12")

        stock.get_by_label("Units in (or out, with a minus)").fill("-3")
        stock.get_by_label("Why").select_option(label="Damaged or lost")
        stock.get_by_role("button", name="Change the stock").click()
        expect_flash(page, "Stock is now 9.")
        expect(page.locator("#stock-title")).to_have_text("Stock: 9")

    history = stock.locator("h3:text('History') + ul li")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text(re.compile(r"−3|-3"))
    expect(history.nth(0)).to_contain_text("→ 9 · Damaged or lost")
    expect(history.nth(1)).to_contain_text("+12 → 12 · Received from a supplier · Pallet 42")

    # A refused change says why and keeps the stock as it was.
    stock.get_by_label("Units in (or out, with a minus)").fill("-100")
    stock.get_by_role("button", name="Change the stock").click()
    expect(stock.get_by_text("Only 9 in stock: you cannot take away 100.")).to_be_visible()
    page.goto(f"/admin/products/{product_id}")
    expect(page.locator("#stock-title")).to_have_text("Stock: 9")

    # The list's quick edit counts the shelf: a correction, in the same history.
    page.goto(f"/admin/products?q={name.split()[-1]}")
    shelf = page.get_by_label(f"Stock of {name}")
    if js:  # saved as it changes, the row swapped in place
        with no_page_load(page):
            shelf.fill("20")
            shelf.press("Tab")
            expect(page.locator(f"#row-{product_id}")).not_to_have_class(
                re.compile(r"\bhas-error\b")
            )
            expect(page.get_by_label(f"Stock of {name}")).to_have_value("20")
            page.wait_for_load_state("networkidle")
    else:  # one Save for every row of the list
        with posts_answered_with_303(page):
            shelf.fill("20")
            page.get_by_role("button", name="Save prices and stock").click()
            expect_flash(page, "Prices and stock saved.")
    page.goto(f"/admin/products/{product_id}")
    expect(page.locator("#stock-title")).to_have_text("Stock: 20")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("+11 → 20 · Count correction · Quick edit")


# -- every page: axe and a 768px screen -------------------------------------------


def _first_id(shop_app: Any, model: str, **where: Any) -> int:
    from qkart.extensions import db

    module, name = model.rsplit(".", 1)
    cls = getattr(__import__(module, fromlist=[name]), name)
    with shop_app.app_context():
        stmt = db.select(cls.id).filter_by(**where).order_by(cls.id).limit(1)
        found = db.session.scalar(stmt)
        db.session.remove()
    assert found is not None, f"no {name} with {where}"
    return int(found)


def assert_fits(page: Page, label: str) -> None:
    """No sideways scrolling at 768px wide."""
    page.set_viewport_size(TABLET)
    try:
        found = page.evaluate(OVERFLOW)
        assert found["innerWidth"] == TABLET["width"], found
        assert found["scrollWidth"] <= found["innerWidth"], (
            f"{label} ({page.url}) is {found['scrollWidth']}px wide on a "
            f"{found['innerWidth']}px screen; sticking out: {found['offenders']}"
        )
    finally:
        page.set_viewport_size(DESKTOP)


def test_every_staff_page_is_axe_clean_and_fits_768px(
    staff_page: Callable[[bool], Page],
    shop_app: Any,
    make_order: Callable[..., tuple[Shopper, str]],
    draft_product: Callable[[], tuple[int, str]],
    tmp_path: Path,
) -> None:
    shopper, paid = make_order("Axel Audit")
    _, returning = make_order("Axel Audit", until="delivered", return_requested=True)
    product_id, product_name = draft_product()
    page = staff_page(True)
    page.set_viewport_size(DESKTOP)
    audit = AxeAudit()
    problems: list[str] = []

    def check(label: str) -> None:
        """axe on the page as it is, then its width at 768px."""
        audit.check(page, label)
        try:
            assert_fits(page, label)
        except AssertionError as error:
            problems.append(str(error).splitlines()[0])

    def visit(label: str, path: str, heading: str | None, status: int = 200) -> None:
        response = page.goto(path)
        assert response is not None
        if response.status != status:
            problems.append(f"{label} ({path}): HTTP {response.status}, not {status}")
            return
        h1 = page.get_by_role("heading", level=1)
        expect(h1).to_be_visible()
        if heading is not None:
            expect(h1).to_have_text(heading)
        check(label)

    # A product with a picture and a stock history, as the edit page usually is.
    page.goto(f"/admin/products/{product_id}")
    page.get_by_label("Picture (JPEG, PNG or WebP, up to 5 MB)").set_input_files(
        png(tmp_path / "a.png", (30, 160, 60))
    )
    page.get_by_role("button", name="Add picture").click()
    expect_flash(page, "Picture added.")
    page.get_by_label("Units in (or out, with a minus)").fill("4")
    page.get_by_role("button", name="Change the stock").click()
    expect_flash(page, "Stock is now 4.")

    coupon_id = _first_id(shop_app, "qkart.coupons.models.Coupon")
    method_id = _first_id(shop_app, "qkart.shipping.models.ShippingMethod")
    category_id = _first_id(shop_app, "qkart.catalog.models.Category", slug="electronics")
    pages: list[tuple[str, str, str | None]] = [
        # (label, path, the h1 it shows)
        ("home", "/admin/", "Shop overview"),
        ("orders", "/admin/orders", "Orders"),
        ("orders, filtered", "/admin/orders?status=paid&method=wallet&customer=axel", "Orders"),
        ("an order to ship", f"/admin/orders/{paid}", f"Order {paid}"),
        ("packing slip", f"/admin/orders/{paid}/packing-slip", "Packing slip"),
        ("returns", "/admin/returns", "Returns waiting"),
        ("a return", f"/admin/orders/{returning}#returns-title", f"Order {returning}"),
        ("products", "/admin/products", "Products"),
        ("products, filtered", "/admin/products?status=draft&stock=low&sort=price", "Products"),
        ("new product", "/admin/products/new", "New product"),
        ("edit product", f"/admin/products/{product_id}", product_name),
        ("product import", "/admin/products/import", "Import products from a CSV file"),
        ("categories", "/admin/categories", "Categories"),
        ("a category", f"/admin/categories/{category_id}", "Electronics"),
        ("inventory", "/admin/inventory", "To restock"),
        ("customers", "/admin/customers", "Customers"),
        ("a customer", f"/admin/customers/{shopper.id}", shopper.name),
        ("staff", "/admin/staff", "Staff"),
        ("audit log", "/admin/audit", "Audit log"),
        ("promo codes", "/admin/coupons", "Promo codes"),
        ("a promo code", f"/admin/coupons/{coupon_id}", None),
        ("delivery options", "/admin/shipping", "Delivery options"),
        ("a delivery option", f"/admin/shipping/{method_id}", None),
        ("tax rates", "/admin/taxes", "Tax rates"),
        ("settings", "/admin/settings", "Shop settings"),
        ("search, every kind", f"/admin/search?q={shopper.email}", None),
        ("search, products", "/admin/search?q=leather", "Results for “leather”"),
        ("search, nothing", "/admin/search?q=zzz-nothing-here", None),
        ("search, empty", "/admin/search", "Find something"),
    ]
    for label, path, heading in pages:
        visit(label, path, heading)

    # Every section of the sidebar, including any added after this list was written.
    page.goto("/admin/")
    menu = page.get_by_role("navigation", name="Staff area").get_by_role("link")
    listed = {path.split("?")[0].split("#")[0] for _, path, _ in pages}
    for link in [(a.inner_text(), a.get_attribute("href") or "") for a in menu.all()]:
        if link[1] not in listed:
            visit(f"sidebar: {link[0]}", link[1], None)

    # A filter that cannot be right (422), and a CSV import refused row by row.
    visit("orders, impossible dates", "/admin/orders?since=2026-06-02&until=2026-06-01", None, 422)
    bad = tmp_path / "bad-products.csv"
    bad.write_text("sku,name,price,category\nADM-BAD-1,,not a price,no-such-category\n")
    page.goto("/admin/products/import")
    page.get_by_label("CSV file (UTF-8, up to 5 MB)").set_input_files(bad)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/products/import/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of bad-products.csv")
    check("a product import")

    # The order page in each state of its return, and the staff page with an invitation.
    page.goto(f"/admin/orders/{returning}")
    section = page.locator("section", has=page.get_by_role("heading", name="Returns"))
    for button, done, label in (
        ("Approve", "Return approved.", "a return, approved"),
        ("Mark received", "Return received", "a return, received"),
        ("Refund this return", "Return refunded.", "a return, refunded"),
    ):
        section.get_by_role("button", name=button).click()
        expect_flash(page, done)  # the next page, not the one before it
        check(label)
    page.goto("/admin/staff")
    page.get_by_label("E-mail", exact=True).fill(f"helper-{uuid4().hex[:8]}@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("heading", name="Waiting for an answer")).to_be_visible()
    check("staff, with an invitation")

    # Forms sent back with their errors (422) are pages staff see too.
    page.goto("/admin/products/new")
    page.get_by_role("button", name="Create product").click()
    expect(page.locator(".field.has-error").first).to_be_visible()
    check("new product with errors")
    page.goto(f"/admin/orders/{paid}")
    page.get_by_role("button", name="Ship", exact=True).click()
    expect(page.locator(".field.has-error")).to_be_visible()
    check("ship form with an error")
    page.goto(f"/admin/products/{product_id}")
    page.get_by_role("button", name="Add picture").click()
    expect(page.get_by_text("Choose a picture.")).to_be_visible()
    check("picture form with an error")
    page.goto(f"/admin/products/{product_id}")
    page.get_by_role("button", name="Change the stock").click()
    expect(page.get_by_text("Enter how many.")).to_be_visible()
    check("stock form with an error")

    if problems:
        audit.failures.append("\n".join(problems))
    audit.assert_clean()


# -- analytics ----------------------------------------------------------------------


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_analytics_kpis_funnel_and_charts_render(
    staff_page: Callable[[bool], Page], js: bool
) -> None:
    page = staff_page(js)
    page.set_viewport_size(DESKTOP)
    page.goto("/admin/")
    sidebar(page, "Analytics")
    expect(page.get_by_role("heading", level=1)).to_have_text("Analytics")
    expect(page.get_by_role("heading", name="Conversion")).to_be_visible()
    funnel = page.get_by_role("table", name=re.compile("Sessions at each step"))
    expect(funnel.get_by_role("rowheader", name="Added to cart")).to_be_visible()
    charts = page.locator("img.chart")
    expect(charts).to_have_count(3)
    charts.first.scroll_into_view_if_needed()
    page.locator("img.chart").nth(2).scroll_into_view_if_needed()
    widths = page.locator("img.chart").evaluate_all(
        "imgs => Promise.all(imgs.map(i => i.decode().then(() => i.naturalWidth, () => 0)))"
    )
    assert all(w > 0 for w in widths), widths  # the SVGs load and draw
    page.get_by_role("link", name="7 days").click()
    expect(page.get_by_text(re.compile(r"\(7 days, shop time UTC\)"))).to_be_visible()
    if js:  # axe itself needs JavaScript; the page is the same markup either way
        audit = AxeAudit()
        audit.check(page, "analytics")
        audit.assert_clean()


# -- the staff home's KPIs and the customer report -----------------------------------


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_home_kpis_and_the_customer_report_render(
    staff_page: Callable[[bool], Page],
    make_order: Callable[..., tuple[Shopper, str]],
    js: bool,
) -> None:
    make_order("Rita Returning")  # paid from the wallet: a sold order today
    page = staff_page(js)
    page.set_viewport_size(DESKTOP)
    page.goto("/admin/")
    window = page.get_by_role("heading", level=2, name="Last 7 days", exact=True)
    kpis = page.locator("section", has=window)
    for name in ("Revenue", "Orders", "Average order", "Conversion", "Cart abandonment"):
        expect(kpis.get_by_role("heading", level=3, name=name, exact=True)).to_be_visible()
    expect(kpis.get_by_role("heading", name="Returning customers")).to_be_visible()
    expect(page.get_by_role("link", name="Products to restock")).to_be_visible()
    expect(page.get_by_role("link", name="The returns queue")).to_be_visible()
    charts = page.locator("img.chart")
    expect(charts).to_have_count(2)
    charts.last.scroll_into_view_if_needed()
    widths = charts.evaluate_all(
        "imgs => Promise.all(imgs.map(i => i.decode().then(() => i.naturalWidth, () => 0)))"
    )
    assert all(w > 0 for w in widths), widths  # the SVGs load and draw
    page.get_by_role("link", name="Today", exact=True).click()
    expect(page.get_by_role("heading", level=2, name="Today", exact=True)).to_be_visible()
    page.get_by_role("link", name="30 days", exact=True).click()
    expect(page.get_by_role("heading", level=2, name="Last 30 days", exact=True)).to_be_visible()
    audit = AxeAudit()
    if js:  # axe itself needs JavaScript; the page is the same markup either way
        audit.check(page, "home with KPIs")
        assert_fits(page, "home with KPIs")

    # The customer report, from the analytics pages' own navigation.
    sidebar(page, "Analytics")
    page.get_by_role("navigation", name="Reports").get_by_role("link", name="Customers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
    cohorts = page.get_by_role("table", name=re.compile("Share of each first-order month"))
    expect(cohorts.get_by_role("columnheader", name="Month 0")).to_be_visible()
    top = page.locator("section", has=page.get_by_role("heading", name="Top customers"))
    expect(top.locator("a[href^='/admin/customers/']").first).to_be_visible()
    page.get_by_label("No order in the last (days)").fill("0")
    page.get_by_role("button", name="Show customers at risk").click()
    expect(page.get_by_text("Enter a number of days from 1 to 730.")).to_be_visible()
    if js:
        audit.check(page, "customer report with an error")
        page.get_by_label("No order in the last (days)").fill("30")
        page.get_by_role("button", name="Show customers at risk").click()
        expect(page.get_by_text(re.compile(r"the 30 days up to"))).to_be_visible()
        audit.check(page, "customer report")
        assert_fits(page, "customer report")
        audit.assert_clean()
